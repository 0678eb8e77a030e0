"""The architect: a persona on a backend, turning requirements into a design."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pyt_arch_kit.backends.base import Backend, DesignRequest
from pyt_arch_kit.backends.registry import get_backend
from pyt_arch_kit.design import Design
from pyt_arch_kit.persona import Persona, load_persona
from pyt_arch_kit.planning import plan as make_plan
from pyt_arch_kit.planning.model import Plan
from pyt_arch_kit.requirements import Requirements, load_requirements

__all__ = ["Architect"]

RequirementsLike = Requirements | dict[str, Any] | str | Path


class Architect:
    """Runs a persona on a backend.

    Args:
        backend: a name from the registry (:data:`~pyt_arch_kit.backends.registry.BACKENDS`):
            ``"offline"`` (default: deterministic, no key, no network), ``"claude"``,
            ``"replay"``, …, or a :class:`~pyt_arch_kit.backends.Backend` instance.
        persona: a :class:`Persona`, a shipped persona name, or an agent file path.
        model: a model id or alias for a backend that talks to a model (for Claude it overrides
            the persona's ``model:``).

    Example:
        >>> from pyt_arch_kit import Architect, preset
        >>> design = Architect().design(preset("io-bound-api"))
        >>> design.complete, design.backend
        (True, 'offline')
    """

    def __init__(
        self,
        backend: str | Backend | None = None,
        persona: Persona | str | Path | None = None,
        *,
        model: str | None = None,
    ) -> None:
        self.backend = get_backend(backend, model=model)
        self.persona = persona if isinstance(persona, Persona) else load_persona(persona)

    def __repr__(self) -> str:
        return f"Architect(backend={self.backend.name!r}, persona={self.persona.name!r})"

    def plan(self, requirements: RequirementsLike) -> Plan:
        """The deterministic plan for these requirements (no backend involved)."""
        return make_plan(load_requirements(requirements))

    def request(self, requirements: RequirementsLike) -> DesignRequest:
        """The request a backend would receive for these requirements."""
        req = load_requirements(requirements)
        return DesignRequest(persona=self.persona, requirements=req, plan=make_plan(req))

    def design(
        self,
        requirements: RequirementsLike,
        *,
        on_text: Callable[[str], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> Design:
        """Write the six-section design.

        Args:
            requirements: a :class:`Requirements`, a mapping, or a YAML/JSON file path.
            on_text: called with each piece of text as it is written.
            cancel: set it to stop early; the partial design comes back marked incomplete.

        Raises:
            RequirementsError: if the requirements are invalid.
            BackendError: if the backend fails (the text so far is on ``partial_text``).
        """
        return self.backend.write(self.request(requirements), on_text=on_text, cancel=cancel)

    def refine(
        self,
        design: Design,
        question: str,
        *,
        on_text: Callable[[str], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> Design:
        """Ask a follow-up on a design, continuing the same conversation.

        Raises:
            BackendError: if the backend cannot answer follow-ups or fails.
        """
        if design.plan is None:
            from pyt_arch_kit.errors import SettingsError

            raise SettingsError(
                "this design has no plan (loaded from JSON); design it again "
                "with Architect.design() before refining"
            )
        req = design.plan.requirements
        history = design.conversation or (("assistant", design.text),)
        request = DesignRequest(
            persona=self.persona,
            requirements=req,
            plan=design.plan,
            followup=question,
            history=history,
        )
        return self.backend.write(request, on_text=on_text, cancel=cancel)
