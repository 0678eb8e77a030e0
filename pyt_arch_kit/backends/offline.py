"""The offline backend: writes the whole design from the plan, with no key and no network."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pyt_arch_kit.backends.base import Backend, DesignRequest, Finished, TextDelta
from pyt_arch_kit.design import Design
from pyt_arch_kit.errors import BackendError
from pyt_arch_kit.questions import rank_questions
from pyt_arch_kit.writer import write_design

__all__ = ["OfflineBackend"]


class OfflineBackend(Backend):
    """A deterministic writer: same requirements, same design, byte for byte.

    It streams the design paragraph by paragraph, so the workbench and the CLI show it the same
    way as a model's answer.

    Args:
        questions: rank the open questions by what their answer would change and list the
            assumptions in that order, each with what it would change
            (:func:`~pyt_arch_kit.questions.rank_questions`: a few dozen re-plans, remembered
            for the same requirements). ``False`` lists them in schema order and skips the
            re-plans: for sweeps of many designs nobody reads one by one.
    """

    name = "offline"
    streams = False

    def __init__(self, *, questions: bool = True) -> None:
        self.questions = questions

    def events(self, request: DesignRequest) -> Iterator[TextDelta | Finished]:
        """Yield the design in paragraph-sized pieces, then the finished :class:`Design`."""
        if request.followup:
            raise BackendError(
                "the offline backend writes designs but does not answer follow-up questions; "
                "change the requirements and design again, or use --backend claude",
                cause="unsupported",
            )
        # The open questions, ranked by what their answer would change (a few dozen re-plans,
        # so only here, where the design shows them; write_design alone keeps schema order).
        ranked = rank_questions(request.requirements, base=request.plan) if self.questions else None
        text = write_design(request.plan, questions=ranked)
        for piece in re.split(r"(?<=\n\n)", text):
            if piece:
                yield TextDelta(piece)
        yield Finished(
            Design(
                title=request.requirements.name,
                text=text,
                plan=request.plan,
                assumptions=request.plan.assumptions,
                backend=self.name,
                model=None,
                complete=True,
                stop_reason="end_turn",
                conversation=(("assistant", text),),
            )
        )
