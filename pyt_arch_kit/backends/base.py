"""The backend protocol: take persona + requirements + plan, yield text, finish with a Design."""

from __future__ import annotations

import contextlib
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from pyt_arch_kit.design import Design
from pyt_arch_kit.errors import DesignInterruptedError
from pyt_arch_kit.prompt import DesignRequest

__all__ = ["Backend", "Cancel", "DesignRequest", "Finished", "TextDelta"]


@dataclass(frozen=True)
class TextDelta:
    """A piece of the design's text, as it is written."""

    text: str


@dataclass(frozen=True)
class Finished:
    """The end of a stream: the finished (or honestly incomplete) design."""

    design: Design


class Cancel(threading.Event):
    """A cancel flag that also ends a wait in progress when it is set.

    A reader blocked on a stalled stream does not look at a flag until its next bytes arrive;
    whatever is waiting registers with :meth:`on_set` how to cut that wait short (the HTTP
    transport closes its connection), and :meth:`set` runs it from the thread that cancels.
    """

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._hooks: list[Callable[[], object]] = []

    def on_set(self, hook: Callable[[], object]) -> None:
        """Run ``hook`` when the flag is set (at once if it already is)."""
        with self._lock:
            if not self.is_set():
                self._hooks.append(hook)
                return
        with contextlib.suppress(Exception):
            hook()

    def set(self) -> None:
        """Set the flag and run every registered hook once."""
        with self._lock:
            super().set()
            hooks, self._hooks = self._hooks, []
        for hook in hooks:
            with contextlib.suppress(Exception):  # cancelling must never raise at the user
                hook()


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
                A :class:`Cancel` also cuts a wait for the next bytes short.
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
        except Exception:
            if cancel is None or not cancel.is_set():
                raise
            # The stream was cut because it was cancelled: what arrived is the answer so far.
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
