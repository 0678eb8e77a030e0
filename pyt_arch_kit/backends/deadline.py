"""One deadline for a whole model call: every attempt, every retry and every byte of the answer.

``PYT_ARCH_TIMEOUT_S`` is the limit for the call as the user sees it, not for each read or each
attempt:

- the HTTP client's timeout applies to each read, so a server that sends a ``ping`` every few
  seconds (or one byte at a time) would keep a stream alive for ever: :func:`bound` wraps a
  response's byte stream so that reading it past the deadline raises
  :class:`~pyt_arch_kit.backends.faults.DeadlineError` at the next bytes that arrive;
- the SDK retries a timed-out attempt with its full timeout again: :func:`shorten` gives each
  attempt only the time left, and an attempt that would start after the deadline is refused
  (with an error of the SDK's own family, which the SDKs neither wrap nor retry);
- an answer whose ``retry-after`` ends past the deadline is marked ``x-should-retry: false``
  (:func:`after_deadline`), which both SDKs honour: the user hears about the rate limit now
  rather than a timeout after the wait.

:class:`Meter` holds the deadline and counts the requests actually sent, per thread. This module
imports no SDK and no HTTP library at import time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

from pyt_arch_kit.backends.faults import DeadlineError

__all__ = ["Meter", "after_deadline", "bound", "late_error", "shorten"]


class Meter:
    """Requests sent and the deadline in force, kept per thread.

    The SDKs' sync clients send in the thread that asked, so designs running side by side on
    one backend each count only their own requests and keep their own deadline.
    """

    def __init__(self) -> None:
        self._local = threading.local()

    def sent(self) -> int:
        """HTTP requests this thread has sent so far."""
        return int(getattr(self._local, "sent", 0))

    def count(self) -> None:
        """Count one request sent by this thread."""
        self._local.sent = self.sent() + 1

    @property
    def deadline(self) -> float | None:
        """This thread's deadline (``time.monotonic()`` seconds), if a design set one."""
        value = getattr(self._local, "deadline", None)
        return value if isinstance(value, float) else None

    def start(self, seconds: float) -> None:
        """Start this thread's whole-request deadline."""
        self._local.deadline = time.monotonic() + seconds

    def stop(self) -> None:
        """Clear this thread's deadline."""
        self._local.deadline = None

    @property
    def cancel(self) -> Any:
        """This thread's cancel flag (a :class:`~pyt_arch_kit.backends.base.Cancel`), if any."""
        return getattr(self._local, "cancel", None)

    @cancel.setter
    def cancel(self, flag: Any) -> None:
        self._local.cancel = flag


def late_error(sdk_base: type[BaseException]) -> type[DeadlineError]:
    """A :class:`DeadlineError` that is also of the SDK's error family (so it is not retried).

    Both SDKs pass their own errors raised under them through as they are, without wrapping
    them in a connection error or retrying them.
    """
    if issubclass(DeadlineError, sdk_base):
        return DeadlineError
    return type("DeadlineError", (DeadlineError, sdk_base), {"__module__": __name__})


def shorten(request: Any, deadline: float, late: type[DeadlineError]) -> None:
    """Give an attempt only the time left before ``deadline``; refuse it if none is left.

    Raises:
        DeadlineError: (as ``late``) when the deadline has passed before the attempt.
    """
    left = deadline - time.monotonic()
    if left <= 0:
        raise late("the whole-request deadline passed before this attempt")
    limits = request.extensions.get("timeout")
    if isinstance(limits, dict):
        request.extensions["timeout"] = {
            name: left if value is None else min(float(value), left)
            for name, value in limits.items()
        }


def after_deadline(headers: Any, deadline: float) -> bool:
    """Whether an answer's ``retry-after-ms`` / ``retry-after`` (seconds) wait ends past the
    deadline (an HTTP-date or a missing header: ``False``, the SDK's own backoff applies)."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        try:
            wait = float(headers.get(name, "")) * scale
        except ValueError:
            continue
        if wait > 0:
            return time.monotonic() + wait >= deadline
    return False


def bound(response: Any, deadline: float, late: type[DeadlineError] = DeadlineError) -> None:
    """Make reading ``response``'s body raise once ``time.monotonic()`` passes ``deadline``."""
    import httpx2

    inner = response.stream

    class _Bounded(httpx2.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            for chunk in inner:
                if time.monotonic() > deadline:
                    raise late("the whole-request deadline passed")
                yield chunk

        def close(self) -> None:
            inner.close()

    response.stream = _Bounded()
