"""The HTTP under every SDK: counting, the whole-request deadline, and record/replay.

The ``anthropic`` and ``openai`` SDKs both send through an ``httpx2.Client`` they accept as
``http_client``; the client's transport is where this module sits, like httpx's own
``MockTransport``:

- :class:`NetworkTransport` sends through the SDK's own default client (its proxies from the
  environment, keep-alive and limits), counts the requests actually sent, per thread, and bounds
  each answer by the whole-request deadline (:mod:`~pyt_arch_kit.backends.deadline`).
- :class:`CassetteTransport` answers a request recorded in a cassette without sending it, and
  records a finished answer as it streams past; with no network transport under it (replay
  mode, or no key), an unrecorded request fails with its fingerprint and nothing is sent. The
  cassette itself, fingerprints and the provider's wire codec are the transport-neutral core in
  :mod:`pyt_arch_kit.cassette`; this is the small ``httpx2`` adapter over it.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx2

from pyt_arch_kit.backends.deadline import bound
from pyt_arch_kit.cassette import Recorder, Tape

__all__ = ["CassetteTransport", "Meter", "NetworkTransport", "http_client"]


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


def _aborter(response: httpx2.Response) -> Callable[[], None]:
    """Cut ``response`` short from another thread: a read blocked on it returns at once.

    Closing a socket does not wake a thread blocked reading it; shutting it down does.
    """

    def abort() -> None:
        stream = response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    return abort


class NetworkTransport(httpx2.BaseTransport):
    """Sends through ``client`` (the SDK's default), counting and bounding each answer."""

    def __init__(self, client: httpx2.Client, meter: Meter) -> None:
        self._client = client
        self._meter = meter

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        self._meter.count()
        response = self._client.send(request, stream=True)
        deadline = self._meter.deadline
        if deadline is not None:
            bound(response, deadline)
        on_set = getattr(self._meter.cancel, "on_set", None)
        if on_set is not None:
            on_set(_aborter(response))  # Stop closes the connection, not waits for its bytes
        return response

    def close(self) -> None:
        self._client.close()


class _Recording(httpx2.SyncByteStream):
    """An answer's body passed on as it arrives, and fed to a recorder."""

    def __init__(self, inner: Any, recorder: Recorder) -> None:
        self._inner = inner
        self._recorder = recorder

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            self._recorder.feed(chunk)
            yield chunk
        self._recorder.finish()

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            self._recorder.finish()


class _Replayed(httpx2.SyncByteStream):
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self._chunks


class CassetteTransport(httpx2.BaseTransport):
    """Replays recorded answers and records new ones; ``inner=None`` never sends anything.

    Args:
        tape: the cassette, its mode and the provider's wire codec.
        inner: the transport that sends (``None``: replay only).
    """

    def __init__(self, tape: Tape, inner: httpx2.BaseTransport | None) -> None:
        self._tape = tape
        self._inner = inner

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        content = request.read()
        key = self._tape.key_of(content)
        if not self._tape.handles(request.method, request.url.path):
            if self._inner is None:
                raise self._tape.miss(key)
            return self._inner.handle_request(request)
        recorded = self._tape.answer(key)
        if recorded is not None:
            return httpx2.Response(
                200,
                headers={"content-type": self._tape.codec.content_type},
                stream=_Replayed(recorded),
                request=request,
            )
        if self._inner is None:
            raise self._tape.miss(key)
        response = self._inner.handle_request(request)
        if response.status_code == 200:
            response.stream = _Recording(response.stream, self._tape.recorder(key))
        return response

    def close(self) -> None:
        if self._inner is not None:
            self._inner.close()


def http_client(
    default_client: type[httpx2.Client], meter: Meter, tape: Tape | None, *, send: bool
) -> httpx2.Client:
    """The ``httpx2.Client`` to hand an SDK as ``http_client``.

    Args:
        default_client: the SDK's ``DefaultHttpxClient`` (its defaults for proxies, limits and
            keep-alive are kept for the requests actually sent).
        meter: counts requests and holds the deadline.
        tape: the cassette, if one is set.
        send: whether anything may be sent (``False``: replay only).
    """
    network = NetworkTransport(default_client(), meter) if send else None
    transport: httpx2.BaseTransport | None = network
    if tape is not None:
        transport = CassetteTransport(tape, network)
    if transport is None:
        raise ValueError("nothing to answer with: no cassette, and sending is not allowed")
    return default_client(transport=transport)
