"""The backend protocol: take persona + requirements + plan, yield text, finish with a Design."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from pyt_arch_kit.design import Design
from pyt_arch_kit.errors import DesignInterruptedError
from pyt_arch_kit.prompt import DesignRequest

__all__ = ["Backend", "DesignRequest", "Finished", "TextDelta"]


@dataclass(frozen=True)
class TextDelta:
    """A piece of the design's text, as it is written."""

    text: str


@dataclass(frozen=True)
class Finished:
    """The end of a stream: the finished (or honestly incomplete) design."""

    design: Design


class Backend(ABC):
    """A writer of designs. Subclasses implement :meth:`events`.

    Errors a user can act on are raised as :class:`~pyt_arch_kit.errors.BackendError` with
    whatever text arrived kept on ``partial_text``.
    """

    name: str = "backend"
    #: Whether its text arrives over time (a terminal shows it live as it streams in).
    streams: bool = True

    @abstractmethod
    def events(self, request: DesignRequest) -> Iterator[TextDelta | Finished]:
        """Yield the design's text as it is written, then one :class:`Finished`."""

    def write(
        self,
        request: DesignRequest,
        *,
        on_text: Callable[[str], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> Design:
        """Run :meth:`events` to the end and return the design.

        Args:
            request: what to write.
            on_text: called with each piece of text as it arrives.
            cancel: when set, stop reading; the design so far is returned, marked incomplete.
        """
        parts: list[str] = []
        stream = self.events(request)
        try:
            for event in stream:
                if isinstance(event, Finished):
                    return event.design
                parts.append(event.text)
                if on_text is not None:
                    on_text(event.text)
                if cancel is not None and cancel.is_set():
                    break
        except KeyboardInterrupt as exc:
            if isinstance(exc, DesignInterruptedError):
                raise
            text = "".join(parts)
            raise DesignInterruptedError(
                f"interrupted; the {len(text):,} characters that arrived are kept",
                design=self._partial(request, text, "interrupted"),
                cause="interrupted",
            ) from None
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
        return self._partial(request, "".join(parts), "cancelled")

    def _partial(self, request: DesignRequest, text: str, stop_reason: str) -> Design:
        """The design so far, marked incomplete, for a run that was stopped."""
        return Design(
            title=request.requirements.name,
            text=text,
            plan=request.plan,
            assumptions=request.plan.assumptions,
            backend=self.name,
            complete=False,
            stop_reason=stop_reason,
        )
