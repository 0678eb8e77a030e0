"""A fake Anthropic Messages API on 127.0.0.1, and the ``fake_api`` fixture.

The unmodified ``anthropic`` SDK talks to it over real HTTP (``ANTHROPIC_BASE_URL``). It speaks
the real wire format: ``POST /v1/messages`` as JSON or as server-sent events
(``message_start``, ``content_block_start``, ``ping``, many small ``content_block_delta``
events, ``content_block_stop``,
``message_delta`` with the stop reason and usage, ``message_stop``), and the Message Batches
endpoints. It emulates prompt caching: a system block marked ``cache_control`` is written to the
cache on first sight and read from it afterwards.

Script the next answers with :meth:`FakeAnthropic.queue`; unscripted requests get
:attr:`FakeAnthropic.default` (a full six-section design). Every request received is kept in
:attr:`FakeAnthropic.requests` (method, path, headers, JSON body).

Replies:
    ``Stream(text, stop_reason="end_turn", cut_after=None)`` — an answer; ``cut_after=N`` drops
    the connection after N characters of text (no ``message_stop``).
    ``Stream(text, fault=..., fault_after=N)`` — an answer that goes wrong after N characters of
    text, in one of the ways a network or a server can (see the fault classes below):
    :class:`Cut` (dropped mid-chunk), :class:`Stall` (no bytes for a while),
    :class:`Trickle` (``ping`` events forever), :class:`Hold` (the text so far, then nothing
    until released: a deterministic point to interrupt the client at),
    :class:`Malformed` (an event that is not JSON),
    :class:`ErrorEvent` (``event: error``, as the API sends ``overloaded_error``),
    :class:`DeltasFirst` (text deltas before ``message_start``).
    ``Status(code, message, headers={})`` — an error answer (429, 529, 401, …).
    ``Hang(seconds)`` — wait before answering (for client timeouts).
    ``NonJSON(body)`` — a ``200`` whose body is not JSON or SSE (a captive portal, a proxy page).
    ``Echo()`` — an echoing proxy: the answer's text repeats every request header it received
    (the API key included), as a misconfigured proxy at ``ANTHROPIC_BASE_URL`` could.
    ``Status(..., echo=True)`` — an error whose message repeats the request's credentials.
    ``RawSSE(body)`` — an event stream of exactly these bytes (for fuzzing the parser).

:attr:`FakeAnthropic.batch_error`, when set, is the answer to every batch poll.
:attr:`FakeAnthropic.stalling` is set when a :class:`Stall` or :class:`Trickle` begins, so a test
can act (interrupt the client) while an answer is half-way.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

FAKE_KEY = "sk-ant-fake03-FAKEKEYfortests0123456789abcdefghijklmnop-AAAA"  # fake, key-shaped

SIX = (
    "Executive Summary",
    "System Diagram",
    "Technology Stack",
    "Implementation Guidelines",
    "Operational Considerations",
    "Risks and Mitigations",
)


def design_text(title: str = "a service") -> str:
    """A short but complete six-section answer, as a model would write it."""
    bodies = {
        "System Diagram": "```mermaid\nflowchart LR\n    a[Client] --> b[API]\n```",
        "Technology Stack": (
            "| Library | Version | Why |\n|---|---|---|\n| fastapi | `>=0.115` | async |"
        ),
        "Implementation Guidelines": "```python\nprint('hello')\n```",
    }
    return "\n\n".join(f"## {s}\n\n{bodies.get(s, f'{s} of {title}.')}" for s in SIX) + "\n"


@dataclass
class Cut:
    """Drop the connection in the middle of an HTTP chunk (``RemoteProtocolError``)."""


@dataclass
class Stall:
    """Send nothing for ``seconds`` (then finish the answer normally)."""

    seconds: float


@dataclass
class Trickle:
    """Send a ``ping`` every ``interval_s`` seconds, ``count`` times (then finish)."""

    interval_s: float = 0.2
    count: int = 10_000


@dataclass
class Hold:
    """Hold the answer open (no bytes) until :attr:`LocalServer.release` is set or ``seconds``
    pass, then drop the connection: the answer never finishes by itself. The peer's port is
    :attr:`LocalServer.held_port`, set with :attr:`LocalServer.stalling` when the hold begins."""

    seconds: float = 60.0


@dataclass
class Malformed:
    """Send an event whose data is not JSON, then drop the connection."""

    data: str = '{"type": "content_block_delta", "index": 0, "delta": {"type": "text_de'


@dataclass
class ErrorEvent:
    """Send ``event: error`` mid-stream (how the API reports ``overloaded_error``)."""

    type: str = "overloaded_error"
    message: str = "Overloaded"


@dataclass
class DeltasFirst:
    """Send text deltas before ``message_start`` (the SDK asserts on the order)."""


Fault = Cut | Stall | Trickle | Hold | Malformed | ErrorEvent | DeltasFirst


@dataclass
class Stream:
    """A (streamed or plain) answer.

    Attributes:
        text: the answer's text.
        stop_reason: the ``stop_reason`` of ``message_delta``.
        cut_after: drop the connection (cleanly, at an event boundary) after this many
            characters of text.
        chunk: characters of text per ``content_block_delta``.
        fault: what goes wrong, after ``fault_after`` characters of text (default: at once).
        output_tokens: the ``usage.output_tokens`` to report (default: about ``len(text)/4``).
    """

    text: str
    stop_reason: str | None = "end_turn"
    cut_after: int | None = None
    chunk: int = 7
    fault: Fault | None = None
    fault_after: int = 0
    output_tokens: int | None = None


@dataclass
class Status:
    """An error status with the API's error body (``echo=True``: the credentials in it)."""

    code: int
    message: str = "error"
    headers: dict[str, str] = field(default_factory=dict)
    echo: bool = False


@dataclass
class Hang:
    """Sleep before answering."""

    seconds: float


@dataclass
class NonJSON:
    """A 200 answer whose body is neither JSON nor server-sent events."""

    body: str = "<html><body>Please sign in to the network</body></html>"
    content_type: str = "text/html"


@dataclass
class RawSSE:
    """A 200 event stream whose body is exactly these bytes (for fuzzing the stream parser)."""

    body: bytes


@dataclass
class Echo:
    """An echoing proxy: the answer's text lists the request headers, the key among them."""

    stop_reason: str = "end_turn"


Reply = Stream | Status | Hang | NonJSON | Echo | RawSSE


_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


@dataclass
class Received:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class LocalServer:
    """A fake API on 127.0.0.1: scripted replies, what it received, start and stop.

    A provider's fake sets :attr:`handler` (its wire format) and :attr:`url_suffix` (what the
    SDK's base URL ends with).
    """

    handler: type[BaseHTTPRequestHandler]
    url_suffix = ""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.script: deque[Reply] = deque()
        self.default: Stream = Stream(design_text())
        self.sent_text: list[str] = []
        self.stalling = threading.Event()
        self.release = threading.Event()  # ends a Hold
        self.held_port = 0  # the client's port of the connection a Hold holds
        self._cache: set[str] = set()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.base_url = ""

    def queue(self, *replies: Reply) -> None:
        """Answer the next requests with these replies, in order."""
        self.script.extend(replies)

    def start(self) -> str:
        handler = type("Handler", (self.handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}{self.url_suffix}"
        return self.base_url

    def stop(self) -> None:
        self.release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def next_reply(self) -> Reply:
        with self._lock:
            return self.script.popleft() if self.script else self.default


class FakeAnthropic(LocalServer):
    """The server: start it, script it, read what it received."""

    def __init__(self) -> None:
        super().__init__()
        self.last_byte_at: float = 0.0
        self.batch_error: Status | None = None  # set: batch polls answer this error
        self._batches: dict[str, dict[str, Any]] = {}

    # -- control -------------------------------------------------------------------------

    @property
    def messages(self) -> list[Received]:
        """Requests to ``POST /v1/messages``."""
        return [r for r in self.requests if r.path.rstrip("/") == "/v1/messages"]

    # -- the model's side ----------------------------------------------------------------

    def usage_for(self, body: dict[str, Any]) -> dict[str, int]:
        """Input tokens, split into uncached / cache write / cache read like the API does."""
        system = body.get("system") or []
        if isinstance(system, str):
            system = [{"type": "text", "text": system}]
        cached = "".join(b.get("text", "") for b in system if b.get("cache_control"))
        plain = "".join(b.get("text", "") for b in system if not b.get("cache_control"))
        messages = json.dumps(body.get("messages", []))
        write = read = 0
        if cached:
            key = hashlib.sha256((body.get("model", "") + cached).encode()).hexdigest()
            with self._lock:
                if key in self._cache:
                    read = _tokens(cached)
                else:
                    self._cache.add(key)
                    write = _tokens(cached)
        return {
            "input_tokens": _tokens(plain + messages),
            "output_tokens": 0,
            "cache_creation_input_tokens": write,
            "cache_read_input_tokens": read,
        }

    def message(self, body: dict[str, Any], reply: Stream, usage: dict[str, int]) -> dict[str, Any]:
        return {
            "id": f"msg_{len(self.requests):04d}",
            "type": "message",
            "role": "assistant",
            "model": body.get("model", "claude-sonnet-5-5"),
            "content": [{"type": "text", "text": reply.text}],
            "stop_reason": reply.stop_reason,
            "stop_sequence": None,
            "usage": {
                **usage,
                "output_tokens": _tokens(reply.text)
                if reply.output_tokens is None
                else reply.output_tokens,
            },
        }


class _Handler(BaseHTTPRequestHandler):
    fake: FakeAnthropic
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _record(self, body: dict[str, Any]) -> None:
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.fake.requests.append(Received(self.command, self.path, headers, body))

    def _json(self, code: int, data: Any, headers: dict[str, str] | None = None) -> None:
        raw = json.dumps(data).encode()
        self.send_response(code)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(raw)))
        self.send_header("request-id", "req_fake")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(raw)
        self.fake.last_byte_at = time.perf_counter()

    def do_GET(self) -> None:
        self._record({})
        parts = self.path.split("?")[0].strip("/").split("/")
        failing = self.fake.batch_error
        if failing is not None and parts[:3] == ["v1", "messages", "batches"]:
            self._json(
                failing.code,
                {
                    "type": "error",
                    "error": {
                        "type": _ERROR_TYPES.get(failing.code, "api_error"),
                        "message": failing.message,
                    },
                },
            )
            return
        if parts[:3] == ["v1", "messages", "batches"] and len(parts) >= 4:
            batch = self.fake._batches.get(parts[3])
            if batch is None:
                self._json(
                    404,
                    {
                        "type": "error",
                        "error": {"type": "not_found_error", "message": "no such batch"},
                    },
                )
                return
            if len(parts) == 5 and parts[4] == "results":
                lines = "\n".join(json.dumps(r) for r in batch["results"]) + "\n"
                raw = lines.encode()
                self.send_response(200)
                self.send_header("content-type", "application/binary")
                self.send_header("content-length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)
                return
            batch["polls"] += 1
            self._json(200, _batch_view(self.fake, batch))
            return
        self._json(404, {"type": "error", "error": {"type": "not_found_error", "message": "?"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        self._record(body)
        path = self.path.split("?")[0].rstrip("/")
        if path == "/v1/messages/batches":
            self._create_batch(body)
            return
        if path != "/v1/messages":
            self._json(
                404, {"type": "error", "error": {"type": "not_found_error", "message": path}}
            )
            return
        reply = self.fake.next_reply()
        while isinstance(reply, Hang):
            time.sleep(reply.seconds)
            reply = self.fake.next_reply()
        if isinstance(reply, Status):
            headers = {"retry-after-ms": "0", "retry-after": "0", **reply.headers}
            message = reply.message + (f" (you sent {self._echo(True)})" if reply.echo else "")
            self._json(
                reply.code,
                {
                    "type": "error",
                    "error": {
                        "type": _ERROR_TYPES.get(reply.code, "api_error"),
                        "message": message,
                    },
                },
                headers,
            )
            return
        if isinstance(reply, RawSSE):
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("content-length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
            return
        if isinstance(reply, NonJSON):
            raw = reply.body.encode()
            self.send_response(200)
            self.send_header("content-type", reply.content_type)
            self.send_header("content-length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)
            return
        if isinstance(reply, Echo):
            reply = Stream(f"## Executive Summary\n\nYou sent: {self._echo()}\n", reply.stop_reason)
        usage = self.fake.usage_for(body)
        if body.get("stream"):
            self._stream(body, reply, usage)
        else:
            self.fake.sent_text.append(reply.text)
            self._json(200, self.fake.message(body, reply, usage))

    def _echo(self, credentials_only: bool = False) -> str:
        """The request's headers (or just its credentials), as an echoing proxy repeats them."""
        wanted = {"x-api-key", "authorization"}
        return "; ".join(
            f"{k}: {v}"
            for k, v in self.headers.items()
            if not credentials_only or k.lower() in wanted
        )

    def _stream(self, body: dict[str, Any], reply: Stream, usage: dict[str, int]) -> None:
        fault = reply.fault
        chunked = isinstance(fault, Cut)
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("request-id", "req_fake")
        self.send_header("connection", "close")
        if chunked:
            self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        self.close_connection = True
        start = self.fake.message(body, Stream("", reply.stop_reason), usage)
        start["stop_reason"] = None
        start["usage"]["output_tokens"] = 1

        def write(raw: bytes) -> None:
            if chunked:
                raw = f"{len(raw):x}\r\n".encode() + raw + b"\r\n"
            self.wfile.write(raw)
            self.wfile.flush()

        def send(event: str, data: dict[str, Any]) -> None:
            write(f"event: {event}\ndata: {json.dumps(data)}\n\n".encode())

        def delta(piece: str) -> None:
            send(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": piece},
                },
            )

        def go_wrong(sent: list[str]) -> bool:
            """Act out the fault; True if the connection is to be dropped now."""
            self.fake.sent_text.append("".join(sent))
            self.fake.last_byte_at = time.perf_counter()
            if isinstance(fault, Cut):
                event = b'event: content_block_delta\ndata: {"type": "content_block_delta", '
                self.wfile.write(f"{len(event) + 40:x}\r\n".encode() + event)  # short chunk
                self.wfile.flush()
                return True
            if isinstance(fault, Hold):
                self.fake.held_port = self.client_address[1]
                self.fake.stalling.set()
                self.fake.release.wait(fault.seconds)
                return True
            if isinstance(fault, Stall | Trickle):
                self.fake.stalling.set()
            if isinstance(fault, Stall):
                time.sleep(fault.seconds)
            elif isinstance(fault, Trickle):
                for _ in range(fault.count):
                    time.sleep(fault.interval_s)
                    send("ping", {"type": "ping"})
            elif isinstance(fault, Malformed):
                write(f"event: content_block_delta\ndata: {fault.data}\n\n".encode())
                return True
            elif isinstance(fault, ErrorEvent):
                send(
                    "error",
                    {"type": "error", "error": {"type": fault.type, "message": fault.message}},
                )
                return True
            self.fake.sent_text.pop()
            return False

        try:
            self._events(reply, start, send, delta, go_wrong)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a deadline)
            self.fake.last_byte_at = time.perf_counter()

    def _events(
        self,
        reply: Stream,
        start: dict[str, Any],
        send: Any,
        delta: Any,
        go_wrong: Any,
    ) -> None:
        fault = reply.fault
        if isinstance(fault, DeltasFirst):
            for i in range(0, len(reply.text), reply.chunk):
                delta(reply.text[i : i + reply.chunk])
        send("message_start", {"type": "message_start", "message": start})
        send(
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        )
        send("ping", {"type": "ping"})
        text = reply.text if reply.cut_after is None else reply.text[: reply.cut_after]
        sent: list[str] = []
        pending = fault is not None and not isinstance(fault, DeltasFirst)
        for i in range(0, len(text), reply.chunk):
            if pending and i >= reply.fault_after:
                pending = False
                if go_wrong(sent):
                    return
            piece = text[i : i + reply.chunk]
            sent.append(piece)
            delta(piece)
            if i % (reply.chunk * 40) == 0:
                send("ping", {"type": "ping"})
        if pending and go_wrong(sent):
            return
        self.fake.sent_text.append("".join(sent))
        if reply.cut_after is not None:
            self.fake.last_byte_at = time.perf_counter()
            return  # drop the connection: no content_block_stop, message_delta, message_stop
        send("content_block_stop", {"type": "content_block_stop", "index": 0})
        send(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": reply.stop_reason, "stop_sequence": None},
                "usage": {
                    "output_tokens": _tokens(reply.text)
                    if reply.output_tokens is None
                    else reply.output_tokens
                },
            },
        )
        send("message_stop", {"type": "message_stop"})
        self.fake.last_byte_at = time.perf_counter()

    def _create_batch(self, body: dict[str, Any]) -> None:
        bid = f"msgbatch_{len(self.fake._batches):04d}"
        results = []
        for item in body.get("requests", []):
            reply = self.fake.next_reply()
            if isinstance(reply, Echo):
                echoed = f"## Executive Summary\n\nYou sent: {self._echo()}\n"
                reply = Stream(echoed, reply.stop_reason)
            if isinstance(reply, Status):
                results.append(
                    {
                        "custom_id": item["custom_id"],
                        "result": {
                            "type": "errored",
                            "error": {
                                "type": "error",
                                "error": {
                                    "type": _ERROR_TYPES.get(reply.code, "api_error"),
                                    "message": reply.message
                                    + (f" (you sent {self._echo(True)})" if reply.echo else ""),
                                },
                            },
                        },
                    }
                )
            elif isinstance(reply, Stream):
                usage = self.fake.usage_for(item["params"])
                results.append(
                    {
                        "custom_id": item["custom_id"],
                        "result": {
                            "type": "succeeded",
                            "message": self.fake.message(item["params"], reply, usage),
                        },
                    }
                )
        results.reverse()  # the API does not promise input order
        self.fake._batches[bid] = {"id": bid, "results": results, "polls": 0}
        self._json(200, _batch_view(self.fake, self.fake._batches[bid]))


FakeAnthropic.handler = _Handler


def _batch_view(fake: FakeAnthropic, batch: dict[str, Any]) -> dict[str, Any]:
    ended = batch["polls"] >= 2
    ok = sum(1 for r in batch["results"] if r["result"]["type"] == "succeeded")
    errored = len(batch["results"]) - ok
    return {
        "id": batch["id"],
        "type": "message_batch",
        "processing_status": "ended" if ended else "in_progress",
        "request_counts": {
            "processing": 0 if ended else len(batch["results"]),
            "succeeded": ok if ended else 0,
            "errored": errored if ended else 0,
            "canceled": 0,
            "expired": 0,
        },
        "created_at": "2026-11-24T00:00:00Z",
        "expires_at": "2026-11-25T00:00:00Z",
        "ended_at": "2026-11-24T00:01:00Z" if ended else None,
        "archived_at": None,
        "cancel_initiated_at": None,
        "results_url": f"{fake.base_url}/v1/messages/batches/{batch['id']}/results"
        if ended
        else None,
    }


@pytest.fixture
def fake_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAnthropic]:
    """A started fake API; ``ANTHROPIC_BASE_URL`` and a fake key point the SDK at it."""
    fake = FakeAnthropic()
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.start())
    monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_KEY)
    try:
        yield fake
    finally:
        fake.stop()
