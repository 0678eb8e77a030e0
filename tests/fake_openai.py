"""A fake Chat Completions API on 127.0.0.1, and the ``fake_openai`` fixture.

The unmodified ``openai`` SDK talks to it over real HTTP (``OPENAI_BASE_URL``). It speaks the
real wire format: ``POST /v1/chat/completions`` streamed as server-sent events, one
``chat.completion.chunk`` per small content delta, a chunk with the ``finish_reason``, a last
chunk with ``usage`` (and no choices) when the request asks for it with
``stream_options={"include_usage": true}``, then ``data: [DONE]``. It emulates automatic prompt
caching: a system message seen before is reported as ``prompt_tokens_details.cached_tokens``.

It is scripted with the same replies and faults as the fake Messages API (``tests/fake_api.py``):
``Stream`` (its ``stop_reason`` is sent as the ``finish_reason``; ``end_turn`` is sent as
``stop``), ``Status``, ``Hang``, ``NonJSON``, ``RawSSE``, ``Echo``, and the faults ``Cut``,
``Stall``, ``Trickle`` (SSE comments for ever), ``Malformed`` and ``ErrorEvent`` (the
``{"error": …}`` chunk the API sends in a stream that had started).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from tests.fake_api import (
    Cut,
    DeltasFirst,
    Echo,
    ErrorEvent,
    Hang,
    LocalServer,
    Malformed,
    NonJSON,
    RawSSE,
    Received,
    Stall,
    Status,
    Stream,
    Trickle,
    _tokens,
)

FAKE_OPENAI_KEY = "sk-proj-FAKEopenaiKEYfortests0123456789abcdefghijklmnopqrstuvwxyz-BBBB"

_ERRORS = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "unsupported_country_region_territory"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
    500: ("server_error", None),
    503: ("server_error", None),
}


class FakeOpenAI(LocalServer):
    """The server: start it, script it, read what it received."""

    url_suffix = "/v1"

    def __init__(self) -> None:
        super().__init__()
        self.reports_usage = True  # False: a server that ignores stream_options

    @property
    def completions(self) -> list[Received]:
        """Requests to ``POST /v1/chat/completions``."""
        return [r for r in self.requests if r.path.rstrip("/") == "/v1/chat/completions"]

    def usage_for(self, body: dict[str, Any], text: str) -> dict[str, Any]:
        """Prompt tokens (the system message cached after its first sight) and output tokens."""
        messages = body.get("messages") or []
        system = "".join(str(m.get("content", "")) for m in messages if m.get("role") == "system")
        prompt = _tokens(json.dumps(messages))
        cached = 0
        if system:
            key = hashlib.sha256((str(body.get("model")) + system).encode()).hexdigest()
            with self._lock:
                if key in self._cache:
                    cached = _tokens(system)
                self._cache.add(key)
        return {
            "prompt_tokens": prompt,
            "completion_tokens": _tokens(text),
            "total_tokens": prompt + _tokens(text),
            "prompt_tokens_details": {"cached_tokens": cached},
        }


class _Handler(BaseHTTPRequestHandler):
    fake: FakeOpenAI
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _send_json(self, code: int, data: Any, headers: dict[str, str] | None = None) -> None:
        raw = json.dumps(data).encode()
        self.send_response(code)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(raw)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(raw)

    def _raw(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _echo(self, credentials_only: bool = False) -> str:
        return "; ".join(
            f"{k}: {v}"
            for k, v in self.headers.items()
            if not credentials_only or k.lower() == "authorization"
        )

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.fake.requests.append(Received(self.command, self.path, headers, body))
        if self.path.split("?")[0].rstrip("/") != "/v1/chat/completions":
            self._send_json(
                404, {"error": {"message": "no such path", "type": "invalid_request_error"}}
            )
            return
        reply = self.fake.next_reply()
        while isinstance(reply, Hang):
            time.sleep(reply.seconds)
            reply = self.fake.next_reply()
        if isinstance(reply, Status):
            kind, code = _ERRORS.get(reply.code, ("server_error", None))
            message = reply.message + (f" (you sent {self._echo(True)})" if reply.echo else "")
            error = {"message": message, "type": kind, "param": None, "code": code}
            retry = {"retry-after-ms": "0", "retry-after": "0", **reply.headers}
            self._send_json(reply.code, {"error": error}, retry)
            return
        if isinstance(reply, RawSSE):
            self._raw(reply.body, "text/event-stream")
            return
        if isinstance(reply, NonJSON):
            self._raw(reply.body.encode(), reply.content_type)
            return
        if isinstance(reply, Echo):
            reply = Stream(f"## Executive Summary\n\nYou sent: {self._echo()}\n", reply.stop_reason)
        if not body.get("stream"):
            self._send_json(400, {"error": {"message": "this fake streams only", "type": "x"}})
            return
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up
            self._stream(body, reply)

    def _stream(self, body: dict[str, Any], reply: Stream) -> None:
        fault = reply.fault
        if isinstance(fault, DeltasFirst):
            raise NotImplementedError("Chat Completions chunks have no order to break")
        chunked = isinstance(fault, Cut)
        self.send_response(200)
        self.send_header("content-type", "text/event-stream; charset=utf-8")
        self.send_header("connection", "close")
        if chunked:
            self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        self.close_connection = True
        model = str(body.get("model"))

        def write(raw: bytes) -> None:
            if chunked:
                raw = f"{len(raw):x}\r\n".encode() + raw + b"\r\n"
            self.wfile.write(raw)
            self.wfile.flush()

        def chunk(choices: list[dict[str, Any]], **more: Any) -> None:
            data = {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": 1_790_000_000,
                "model": model,
                "system_fingerprint": "fp_fake",
                "choices": choices,
                **more,
            }
            write(f"data: {json.dumps(data)}\n\n".encode())

        def delta(content: dict[str, Any], finish: str | None = None) -> None:
            chunk([{"index": 0, "delta": content, "logprobs": None, "finish_reason": finish}])

        self._play(reply, body, delta, chunk, write)

    def _play(
        self,
        reply: Stream,
        body: dict[str, Any],
        delta: Callable[..., None],
        chunk: Callable[..., None],
        write: Callable[[bytes], None],
    ) -> None:
        fault = reply.fault
        delta({"role": "assistant", "content": ""})
        text = reply.text if reply.cut_after is None else reply.text[: reply.cut_after]
        sent: list[str] = []
        pending = fault is not None
        for i in range(0, len(text), reply.chunk):
            if pending and i >= reply.fault_after:
                pending = False
                if self._go_wrong(fault, sent, write):
                    return
            piece = text[i : i + reply.chunk]
            sent.append(piece)
            delta({"content": piece})
        if pending and self._go_wrong(fault, sent, write):
            return
        self.fake.sent_text.append("".join(sent))
        if reply.cut_after is not None:
            return  # the server closes at a chunk boundary: no finish_reason, no [DONE]
        finish = {"end_turn": "stop"}.get(str(reply.stop_reason), reply.stop_reason)
        delta({}, finish)
        if self.fake.reports_usage and (body.get("stream_options") or {}).get("include_usage"):
            chunk([], usage=self.fake.usage_for(body, reply.text))
        write(b"data: [DONE]\n\n")

    def _go_wrong(self, fault: Any, sent: list[str], write: Callable[[bytes], None]) -> bool:
        """Act out the fault; True if the connection is to be dropped now."""
        self.fake.sent_text.append("".join(sent))
        if isinstance(fault, Cut):
            event = b'data: {"id": "chatcmpl-fake", "choices": [{"index": 0, "delta": '
            self.wfile.write(f"{len(event) + 40:x}\r\n".encode() + event)  # a short chunk
            self.wfile.flush()
            return True
        if isinstance(fault, Stall | Trickle):
            self.fake.stalling.set()
        if isinstance(fault, Stall):
            time.sleep(fault.seconds)
        elif isinstance(fault, Trickle):
            for _ in range(fault.count):
                time.sleep(fault.interval_s)
                write(b": keep-alive\n\n")
        elif isinstance(fault, Malformed):
            write(b'data: {"id": "chatcmpl-fake", "choices": [{"index": 0, "delta": {"cont\n\n')
            return True
        elif isinstance(fault, ErrorEvent):
            error = {"message": fault.message, "type": fault.type, "param": None, "code": None}
            write(f"data: {json.dumps({'error': error})}\n\n".encode())
            return True
        self.fake.sent_text.pop()
        return False


FakeOpenAI.handler = _Handler


@pytest.fixture
def fake_openai(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    """A started fake Chat Completions API; ``OPENAI_BASE_URL``, a fake key and a model point
    the SDK at it."""
    fake = FakeOpenAI()
    monkeypatch.setenv("OPENAI_BASE_URL", fake.start())
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_OPENAI_KEY)
    monkeypatch.setenv("PYT_ARCH_MODEL", "gpt-5.4-mini")
    try:
        yield fake
    finally:
        fake.stop()
