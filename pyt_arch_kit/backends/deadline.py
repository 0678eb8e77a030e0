"""A deadline for a whole streamed request, not for each read.

The HTTP client's timeout applies to each read, so a server that sends a ``ping`` every few
seconds (or one byte at a time) keeps a stream alive for ever. :func:`bound` wraps a response's
byte stream so that reading it past the deadline raises
:class:`~pyt_arch_kit.backends.faults.DeadlineError` at the next bytes that arrive; a server that
sends nothing at all is stopped by the per-read timeout, which is never longer than the whole.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from pyt_arch_kit.backends.faults import DeadlineError

__all__ = ["bound"]


def bound(response: Any, deadline: float) -> None:
    """Make reading ``response``'s body raise once ``time.monotonic()`` passes ``deadline``."""
    import httpx2

    inner = response.stream

    class _Bounded(httpx2.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            for chunk in inner:
                if time.monotonic() > deadline:
                    raise DeadlineError("the whole-request deadline passed")
                yield chunk

        def close(self) -> None:
            inner.close()

    response.stream = _Bounded()
