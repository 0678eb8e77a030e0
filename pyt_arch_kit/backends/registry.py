"""Every backend the kit knows, in one table: the only place a backend's name is written.

The command line's ``--backend`` choices, the ``%%architect`` help, the workbench's backend
toggle, :func:`get_backend`, :class:`~pyt_arch_kit.settings.Settings` (which variables hold the
key and the base URL) and :mod:`~pyt_arch_kit.redaction` (which keys to scrub, and their shapes)
all read :data:`BACKENDS`. Adding a provider is one module under ``backends/`` and one entry here
(plus its prices in ``prices.json``).

This module imports nothing from the kit and no SDK: a factory is a ``"module:Class"`` path,
imported only when that backend is chosen.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyt_arch_kit.backends.base import Backend

__all__ = ["BACKENDS", "BackendSpec", "get_backend", "spec"]

#: The characters of a key after its prefix (what a key-shaped run is made of).
KEY_CHARS = r"[A-Za-z0-9_\-]"


@dataclass(frozen=True)
class BackendSpec:
    """One backend: what it is called, how to make it, and where its secrets live.

    Attributes:
        name: what users type (``--backend NAME``, ``Architect(backend=NAME)``).
        label: the name shown in the workbench.
        summary: one line for help texts.
        factory: ``"module:Class"`` of the backend, imported on first use.
        options: keyword arguments the factory is always called with.
        talks_to_a_model: whether the factory takes ``model``, ``api_key`` and ``settings``.
        key_env: the variable holding its API key (``None``: it needs none).
        other_key_env: further variables holding a credential (scrubbed, never read here).
        base_url_env: the variable holding its API's base URL.
        protocol: the name of its streaming protocol, for messages (``Messages``).
        key_prefix: how its keys begin (``sk-ant-``): text that may grow into a key is held
            back from a live stream until it can be redacted.
        key_pattern: a regular expression of its keys' shape (redacted even when not in use).
        models: the models offered in the workbench (aliases or ids; the first is the default).
        sdk: the module of its SDK (``anthropic``), imported only when it is used.
        extra: the ``pip install "pyt_arch_kit[EXTRA]"`` that brings its SDK.
        in_workbench: whether the workbench's backend toggle offers it.
    """

    name: str
    label: str
    summary: str
    factory: str
    options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    talks_to_a_model: bool = True
    key_env: str | None = None
    other_key_env: tuple[str, ...] = ()
    base_url_env: str | None = None
    protocol: str = ""
    key_prefix: str = ""
    key_pattern: str | None = None
    models: tuple[str, ...] = ()
    sdk: str | None = None
    extra: str | None = None
    in_workbench: bool = True

    def create(
        self, *, model: str | None = None, api_key: str | None = None, settings: Any = None
    ) -> Backend:
        """A new backend of this kind (its SDK is imported now, not before)."""
        module, _, attr = self.factory.partition(":")
        factory = getattr(importlib.import_module(module), attr)
        if not self.talks_to_a_model:
            backend: Backend = factory(**self.options)
        else:
            backend = factory(settings, model=model, api_key=api_key, **self.options)
        return backend


BACKENDS: tuple[BackendSpec, ...] = (
    BackendSpec(
        name="offline",
        label="Offline",
        summary="the deterministic writer: no key, no network (default)",
        factory="pyt_arch_kit.backends.offline:OfflineBackend",
        talks_to_a_model=False,
    ),
    BackendSpec(
        name="claude",
        label="Claude",
        summary="Claude on the Anthropic Messages API (ANTHROPIC_API_KEY)",
        factory="pyt_arch_kit.backends.claude:ClaudeBackend",
        key_env="ANTHROPIC_API_KEY",
        other_key_env=("ANTHROPIC_AUTH_TOKEN",),
        base_url_env="ANTHROPIC_BASE_URL",
        protocol="Messages",
        key_prefix="sk-ant-",
        key_pattern=r"sk-ant-" + KEY_CHARS + "{8,}",
        models=("sonnet", "opus", "haiku"),
        sdk="anthropic",
        extra="claude",
    ),
    BackendSpec(
        name="openai",
        label="OpenAI",
        summary="any Chat Completions endpoint: OpenAI, Ollama, vLLM (OPENAI_API_KEY, "
        "OPENAI_BASE_URL, --model)",
        factory="pyt_arch_kit.backends.openai:OpenAIBackend",
        key_env="OPENAI_API_KEY",
        base_url_env="OPENAI_BASE_URL",
        protocol="Chat Completions",
        key_prefix="sk-",
        key_pattern=r"(?<![A-Za-z0-9_\-])sk-(?:proj-|svcacct-|admin-)?" + KEY_CHARS + "{20,}",
        models=("gpt-5.4-mini", "gpt-5.4", "gpt-5.5"),
        sdk="openai",
        extra="openai",
    ),
    BackendSpec(
        name="replay",
        label="Replay",
        summary="Claude answers recorded in PYT_ARCH_CASSETTE: no key, no network",
        factory="pyt_arch_kit.backends.claude:ClaudeBackend",
        options=MappingProxyType({"replay_only": True, "name": "replay"}),
        sdk="anthropic",
        extra="claude",
        in_workbench=False,
    ),
)

_BY_NAME = {s.name: s for s in BACKENDS}


def names() -> list[str]:
    """Every backend's name, in the registry's order."""
    return [s.name for s in BACKENDS]


def spec(name: str) -> BackendSpec:
    """The entry for a backend name (case and surrounding spaces ignored).

    Raises:
        SettingsError: for a name the registry does not hold, listing those it does.
    """
    found = _BY_NAME.get(name.strip().lower())
    if found is None:
        from pyt_arch_kit.errors import SettingsError

        shown = "".join(c for c in name if c.isprintable())[:40]
        raise SettingsError(f"unknown backend {shown!r}; choose {', '.join(names())}")
    return found


def key_shapes() -> re.Pattern[str]:
    """One pattern matching any registered backend's key shape."""
    shapes = [s.key_pattern for s in BACKENDS if s.key_pattern]
    return re.compile("|".join(f"(?:{p})" for p in shapes))


def get_backend(name: str | Backend | None = None, *, model: str | None = None) -> Backend:
    """A backend by name (default ``offline``), or the backend given.

    Heavy imports (a provider's SDK) happen only when that backend is chosen.

    Raises:
        SettingsError: for an unknown name.

    Example:
        >>> get_backend("offline").name
        'offline'
    """
    if name is not None and not isinstance(name, str):
        return name
    return spec(name or "offline").create(model=model)
