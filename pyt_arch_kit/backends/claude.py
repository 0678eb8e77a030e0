"""The Claude backend: the persona on the Anthropic Messages API, streamed, prompt-cached.

The official ``anthropic`` SDK does the HTTP, retries (429, 529, 5xx, with ``retry-after``) and
timeouts. This module is the Messages wire format only: the request body (the persona as a
system block marked for prompt caching), reading the streamed events, and the same answer as a
cassette records and replays it. Everything else (the loop, errors, usage, record/replay) is
the shared :class:`~pyt_arch_kit.backends.chat.ChatBackend`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

from pyt_arch_kit._optional import require
from pyt_arch_kit.backends.chat import ChatBackend, Outcome, Tokens, tokens
from pyt_arch_kit.backends.faults import ProtocolError, SdkErrors, expect_event_stream
from pyt_arch_kit.cassette import WireCodec
from pyt_arch_kit.design import Usage
from pyt_arch_kit.persona import resolve_model
from pyt_arch_kit.pricing import estimate_cost
from pyt_arch_kit.prompt import DesignRequest, transcript

__all__ = ["ClaudeBackend", "MessagesCodec"]

_USAGE = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")


def _tokens(raw: Any) -> Tokens:
    values = [tokens(getattr(raw, name, 0)) for name in _USAGE]
    return Tokens(*values)


class _Reply:
    """A Messages stream: text events, then the final message."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[str]:
        started = False
        for event in self._stream:
            if event.type == "message_start":
                started = True
            elif event.type == "content_block_delta" and not started:
                raise ProtocolError("the API sent text before message_start")
            elif event.type == "text":
                yield event.text

    def outcome(self) -> Outcome:
        final = self._stream.get_final_message()
        return Outcome(final.stop_reason, final.model, _tokens(final.usage))

    def tokens_so_far(self) -> Tokens | None:
        snapshot = self._stream.current_message_snapshot
        return _tokens(getattr(snapshot, "usage", None))


class MessagesCodec:
    """A Messages API streamed answer (server-sent events) as a cassette exchange, and back."""

    path = "/v1/messages"
    content_type = "text/event-stream"
    keys: tuple[str, ...] = ()

    def encode(self, exchange: dict[str, Any]) -> Iterator[bytes]:
        """The events the API would stream for a recorded exchange."""
        usage = exchange.get("usage") or {}

        def event(name: str, data: dict[str, Any]) -> bytes:
            return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()

        start_usage = {k: usage.get(k, 0) for k in _USAGE}
        start_usage["output_tokens"] = 0
        message = {
            "id": "msg_replayed",
            "type": "message",
            "role": "assistant",
            "model": exchange["model"],
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": start_usage,
        }
        yield event("message_start", {"type": "message_start", "message": message})
        block = {"type": "text", "text": ""}
        yield event(
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": block},
        )
        for chunk in exchange["chunks"]:
            delta = {"type": "text_delta", "text": chunk}
            yield event(
                "content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}
            )
        yield event("content_block_stop", {"type": "content_block_stop", "index": 0})
        stop = {"stop_reason": exchange["stop_reason"], "stop_sequence": None}
        out = {"output_tokens": usage.get("output_tokens", 0)}
        yield event("message_delta", {"type": "message_delta", "delta": stop, "usage": out})
        yield event("message_stop", {"type": "message_stop"})

    def decode(self, events: list[tuple[str, str]]) -> dict[str, Any] | None:
        """The exchange in a streamed answer, or ``None`` if it did not finish."""
        model, chunks, stop = "", [], None
        usage = dict.fromkeys(_USAGE, 0)
        for name, data in events:
            if name == "error":
                return None
            if name not in ("message_start", "content_block_delta", "message_delta"):
                continue
            event = json.loads(data)
            if name == "message_start":
                model = str(event["message"]["model"])
                usage |= {k: tokens(v) for k, v in event["message"]["usage"].items() if k in usage}
            elif name == "content_block_delta" and event["delta"].get("type") == "text_delta":
                chunks.append(str(event["delta"]["text"]))
            elif name == "message_delta":
                stop = event["delta"].get("stop_reason")
                reported = event.get("usage") or {}
                usage |= {k: tokens(v) for k, v in reported.items() if k in usage and v is not None}
        if not model or stop is None:
            return None
        cost = estimate_cost(model, *usage.values())
        return {
            "model": model,
            "chunks": chunks,
            "stop_reason": stop,
            "usage": usage | {"cost_usd": cost},
        }


class ClaudeBackend(ChatBackend):
    """Writes the design with Claude.

    Args:
        settings: how to run (defaults to :meth:`Settings.from_env`).
        model: a model id or alias overriding the setting and the persona's ``model:``.
        api_key: a key to use instead of ``ANTHROPIC_API_KEY`` (held in memory only).
        replay_only: never call the API; answer only from the cassette.
        name: the name designs record as their backend (``replay`` for the replay backend).

    Raises (from :meth:`events`; every failure while streaming is one of these, never an SDK,
    HTTP or JSON exception):
        BackendError: when nothing of the answer arrived, with ``cause`` one of ``no_key``,
            ``auth``, ``permission``, ``bad_request``, ``billing``, ``rate_limit``,
            ``overloaded``, ``server``, ``timeout`` (``PYT_ARCH_TIMEOUT_S`` bounds the whole
            request), ``connection``, ``protocol`` (the server broke the streaming protocol)
            or ``cassette``.
        IncompleteDesignError: when text had arrived: the same causes, or ``cut`` (the stream
            stopped half-way) or the stop reason (``max_tokens``, ``refusal``, ``pause_turn``,
            …); ``.design`` keeps every character that arrived, marked incomplete.
    """

    provider: ClassVar[str] = "claude"
    codec: ClassVar[WireCodec] = MessagesCodec()

    def model_for(self, request: DesignRequest) -> str:
        """The model id: argument, then ``PYT_ARCH_MODEL``, then the persona's alias."""
        return resolve_model(self._model or self.settings.model or request.persona.model)

    def body(self, request: DesignRequest) -> dict[str, Any]:
        """The Messages API request body (no credentials in it)."""
        said = transcript(request)
        system = [{"type": "text", "text": said.system, "cache_control": {"type": "ephemeral"}}]
        return {
            "model": self.model_for(request),
            "max_tokens": self.settings.max_tokens,
            "system": system,
            "messages": [{"role": role, "content": text} for role, text in said.turns],
        }

    @contextmanager
    def open(self, client: Any, body: dict[str, Any]) -> Iterator[_Reply]:
        """Stream the answer with ``client.messages.stream``."""
        with client.messages.stream(**body) as stream:
            expect_event_stream(stream.response)
            yield _Reply(stream)

    def batch_usage(self, model: str, raw: Any) -> Usage:
        """The usage of one answer from a Message Batch (billed at the batch price)."""
        return self._usage(model, _tokens(raw), 1, batch=True)

    def connect(self, key: str, http: Any, *, max_retries: int) -> Any:
        """An ``anthropic.Anthropic`` client sending through ``http``."""
        require("anthropic", for_="the Claude backend")
        import anthropic

        return anthropic.Anthropic(
            api_key=key,
            base_url=self.settings.base_url,
            max_retries=max_retries,
            timeout=self.settings.timeout_s,
            http_client=http,
        )

    def default_http_client(self) -> type[Any]:
        """``anthropic.DefaultHttpxClient``."""
        require("anthropic", for_="the Claude backend")
        import anthropic

        return anthropic.DefaultHttpxClient

    def sdk_errors(self) -> SdkErrors:
        """The ``anthropic`` SDK's exception classes."""
        require("anthropic", for_="the Claude backend")
        import anthropic

        return SdkErrors(
            base=anthropic.AnthropicError,
            status=anthropic.APIStatusError,
            connection=anthropic.APIConnectionError,
            timeout=anthropic.APITimeoutError,
        )
