"""The HTTP under every SDK: counting, the whole-request deadline, and record/replay.

The ``anthropic`` and ``openai`` SDKs both send through an ``httpx2.Client`` they accept as
``http_client``; the client's transport is where this module sits, like httpx's own
``MockTransport``:

- :class:`NetworkTransport` sends through the SDK's own default client (its proxies from the
  environment, keep-alive and limits), counts the requests actually sent, per thread, and bounds
  each attempt and each answer by the whole-request deadline
  (:mod:`~pyt_arch_kit.backends.deadline`).
- :class:`CassetteTransport` answers a request recorded in a cassette without sending it, and
  records a finished answer as it streams past; with no network transport under it (replay
  mode, or no key), an unrecorded request fails with its fingerprint and nothing is sent. The
  cassette itself, fingerprints and the provider's wire codec are the transport-neutral core in
  :mod:`pyt_arch_kit.cassette`; this is the small ``httpx2`` adapter over it.

This module imports ``httpx2`` (which comes with an SDK): it is imported only once the SDK has
been found (:func:`~pyt_arch_kit._optional.require`), never by ``import pyt_arch_kit.backends``.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable, Iterator
from typing import Any

import httpx2

from pyt_arch_kit.backends.deadline import Meter, after_deadline, bound, late_error, shorten
from pyt_arch_kit.backends.faults import DeadlineError
from pyt_arch_kit.cassette import Recorder, Tape

__all__ = ["CassetteTransport", "Meter", "NetworkTransport", "http_client"]


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
    """Sends through ``client`` (the SDK's default), counting and bounding each attempt.

    Args:
        client: the SDK's default client.
        meter: counts requests and holds the deadline.
        late: the error raised when the deadline passes (one of the SDK's family, so the SDK
            neither wraps nor retries it).
    """

    def __init__(
        self, client: httpx2.Client, meter: Meter, late: type[DeadlineError] = DeadlineError
    ) -> None:
        self._client = client
        self._meter = meter
        self._late = late

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        deadline = self._meter.deadline
        if deadline is not None:  # a retry gets the time left, not the whole limit again
            shorten(request, deadline, self._late)
        self._meter.count()
        response = self._client.send(request, stream=True)
        if deadline is not None:
            bound(response, deadline, self._late)
            if after_deadline(response.headers, deadline):  # waiting would outlast the call
                response.headers["x-should-retry"] = "false"
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
        meter: holds the whole-request deadline, which bounds a replayed answer too.
        late: the error raised when the deadline passes.
    """

    def __init__(
        self,
        tape: Tape,
        inner: httpx2.BaseTransport | None,
        meter: Meter | None = None,
        late: type[DeadlineError] = DeadlineError,
    ) -> None:
        self._tape = tape
        self._inner = inner
        self._meter = meter
        self._late = late

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        content = request.read()
        key = self._tape.key_of(content)
        if not self._tape.handles(request.method, request.url.path):
            if self._inner is None:
                raise self._tape.miss(key)
            return self._inner.handle_request(request)
        recorded = self._tape.answer(key)
        if recorded is not None:
            replayed = httpx2.Response(
                200,
                headers={"content-type": self._tape.codec.content_type},
                stream=_Replayed(recorded),
                request=request,
            )
            deadline = self._meter.deadline if self._meter is not None else None
            if deadline is not None:  # a replay is bounded by the same whole-request limit
                bound(replayed, deadline, self._late)
            return replayed
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
    default_client: type[httpx2.Client],
    meter: Meter,
    tape: Tape | None,
    *,
    send: bool,
    sdk_error: type[BaseException] = Exception,
) -> httpx2.Client:
    """The ``httpx2.Client`` to hand an SDK as ``http_client``.

    Args:
        default_client: the SDK's ``DefaultHttpxClient`` (its defaults for proxies, limits and
            keep-alive are kept for the requests actually sent).
        meter: counts requests and holds the deadline.
        tape: the cassette, if one is set.
        send: whether anything may be sent (``False``: replay only).
        sdk_error: the SDK's base error class (the deadline is raised as one of its family).
    """
    late = late_error(sdk_error)
    network = NetworkTransport(default_client(), meter, late) if send else None
    transport: httpx2.BaseTransport | None = network
    if tape is not None:
        transport = CassetteTransport(tape, network, meter, late)
    if transport is None:
        raise ValueError("nothing to answer with: no cassette, and sending is not allowed")
    return default_client(transport=transport)
