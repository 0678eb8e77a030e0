"""The OpenAI backend: the persona on any Chat Completions endpoint, streamed.

The official ``openai`` SDK (the ``openai`` extra) does the HTTP, retries (429, 5xx, with
``retry-after``) and timeouts, so the persona runs on OpenAI or on any server that speaks Chat
Completions: a local Ollama or vLLM (``OPENAI_BASE_URL=http://localhost:11434/v1``), or a hosted
one. This module is the Chat Completions wire format only: the request body (the persona as the
``system`` message), reading the streamed chunks (``stream_options={"include_usage": true}``
puts the token counts in the last one), and the same answer as a cassette records and replays
it. Everything else is the shared :class:`~pyt_arch_kit.backends.chat.ChatBackend`.

Finish reasons are reported in the kit's vocabulary: ``stop`` → ``end_turn``, ``length`` →
``max_tokens``, ``content_filter`` → ``refusal``, ``tool_calls`` → ``tool_use``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any, ClassVar

from pyt_arch_kit._optional import require
from pyt_arch_kit.backends.chat import ChatBackend, Outcome, Tokens, tokens
from pyt_arch_kit.backends.faults import ProtocolError, SdkErrors, expect_event_stream
from pyt_arch_kit.cassette import WireCodec
from pyt_arch_kit.errors import SettingsError
from pyt_arch_kit.pricing import estimate_cost
from pyt_arch_kit.prompt import DesignRequest, transcript
from pyt_arch_kit.settings import Settings

__all__ = ["ChatCompletionsCodec", "OpenAIBackend"]

#: Chat Completions finish reasons → the kit's stop reasons (others are kept as they are).
FINISH_REASONS = {
    "stop": "end_turn",
    "length": "max_tokens",
    "content_filter": "refusal",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
}
_FINISHES = {ours: theirs for theirs, ours in reversed(FINISH_REASONS.items())}


def _sdk() -> ModuleType:
    """The ``openai`` SDK, or one line naming the extra that installs it."""
    return require("openai", for_="the OpenAI backend")


def _tokens(usage: Any) -> Tokens:
    """Chat Completions usage in the kit's terms: cached prompt tokens are cache reads."""
    prompt = tokens(getattr(usage, "prompt_tokens", 0))
    cached = min(
        prompt, tokens(getattr(getattr(usage, "prompt_tokens_details", None), "cached_tokens", 0))
    )
    return Tokens(
        input=prompt - cached,
        output=tokens(getattr(usage, "completion_tokens", 0)),
        cache_read=cached,
    )


class _Reply:
    """A Chat Completions stream: content deltas, a finish reason, then the usage chunk."""

    def __init__(self, stream: Any, model: str) -> None:
        self._stream = stream
        self._model = model
        self._finish: str | None = None
        self._usage: Any = None

    def __iter__(self) -> Iterator[str]:
        chunks = 0
        for chunk in self._stream:
            chunks += 1
            self._model = chunk.model or self._model
            if chunk.usage is not None:
                self._usage = chunk.usage
            for choice in chunk.choices or ():
                if choice.index != 0:
                    continue
                if choice.delta is not None and choice.delta.content:
                    yield str(choice.delta.content)
                if choice.finish_reason:
                    self._finish = str(choice.finish_reason)
        if chunks == 0:
            raise ProtocolError("the API's event stream ended without a single chunk")

    def outcome(self) -> Outcome:
        stop = FINISH_REASONS.get(self._finish, self._finish) if self._finish else None
        used = _tokens(self._usage) if self._usage is not None else None
        return Outcome(stop, self._model, used)

    def tokens_so_far(self) -> Tokens | None:
        return _tokens(self._usage) if self._usage is not None else None


class ChatCompletionsCodec:
    """A Chat Completions streamed answer (server-sent events) as a cassette exchange, and back."""

    path = "/chat/completions"
    content_type = "text/event-stream"
    keys: tuple[str, ...] = ("max_completion_tokens",)

    def encode(self, exchange: dict[str, Any]) -> Iterator[bytes]:
        """The chunks the API would stream for a recorded exchange."""
        usage = exchange.get("usage") or {}

        def chunk(choices: list[dict[str, Any]], **more: Any) -> bytes:
            data = {
                "id": "chatcmpl-replayed",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": exchange["model"],
                "choices": choices,
                **more,
            }
            return f"data: {json.dumps(data)}\n\n".encode()

        def choice(delta: dict[str, Any], finish: str | None = None) -> list[dict[str, Any]]:
            return [{"index": 0, "delta": delta, "finish_reason": finish}]

        yield chunk(choice({"role": "assistant", "content": ""}))
        for text in exchange["chunks"]:
            yield chunk(choice({"content": text}))
        stop = exchange["stop_reason"]
        yield chunk(choice({}, _FINISHES.get(stop, stop)))
        cached = usage.get("cache_read_input_tokens", 0)
        prompt = usage.get("input_tokens", 0) + usage.get("cache_creation_input_tokens", 0)
        counts = {
            "prompt_tokens": prompt + cached,
            "completion_tokens": usage.get("output_tokens", 0),
            "total_tokens": prompt + cached + usage.get("output_tokens", 0),
            "prompt_tokens_details": {"cached_tokens": cached},
        }
        if counts["total_tokens"]:  # an answer recorded with no usage replays with none
            yield chunk([], usage=counts)
        yield b"data: [DONE]\n\n"

    def decode(self, events: list[tuple[str, str]]) -> dict[str, Any] | None:
        """The exchange in a streamed answer, or ``None`` if it did not finish."""
        model, chunks, finish, usage = "", [], None, None
        for _name, data in events:
            if data.startswith("[DONE]"):
                break
            chunk = json.loads(data)
            if chunk.get("error"):
                return None
            model = str(chunk.get("model") or model)
            usage = chunk.get("usage") or usage
            for c in chunk.get("choices") or ():
                if c.get("index", 0) == 0:
                    content = (c.get("delta") or {}).get("content")
                    chunks += [str(content)] if content else []
                    finish = c.get("finish_reason") or finish
        if not model or finish is None:
            return None
        used = usage or {}
        prompt = tokens(used.get("prompt_tokens"))
        cached = min(prompt, tokens((used.get("prompt_tokens_details") or {}).get("cached_tokens")))
        counts = {
            "input_tokens": prompt - cached,
            "output_tokens": tokens(used.get("completion_tokens")),
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": cached,
        }
        cost = estimate_cost(model, *counts.values()) if usage is not None else None
        stop = FINISH_REASONS.get(finish, finish)
        return {
            "model": model,
            "chunks": chunks,
            "stop_reason": stop,
            "usage": counts | {"cost_usd": cost},
        }


class OpenAIBackend(ChatBackend):
    """Writes the design with a model behind any Chat Completions endpoint.

    Args:
        settings: how to run (defaults to :meth:`Settings.from_env` with ``OPENAI_API_KEY``
            and ``OPENAI_BASE_URL``).
        model: the model id (else ``PYT_ARCH_MODEL``; there is no default, since a local
            server names its own models).
        api_key: a key to use instead of ``OPENAI_API_KEY`` (held in memory only; a local
            server such as Ollama accepts any value).
        replay_only: never call the API; answer only from the cassette.
        name: the name designs record as their backend.

    Raises (from :meth:`events`): the same :class:`~pyt_arch_kit.errors.BackendError` causes as
    :class:`~pyt_arch_kit.backends.claude.ClaudeBackend`, and
    :class:`~pyt_arch_kit.errors.MissingExtraError` if the ``openai`` SDK is not installed.
    """

    provider: ClassVar[str] = "openai"
    codec: ClassVar[WireCodec] = ChatCompletionsCodec()
    example_base_url: ClassVar[str] = "http://localhost:11434/v1"

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        model: str | None = None,
        api_key: str | None = None,
        replay_only: bool = False,
        name: str | None = None,
    ) -> None:
        _sdk()  # a missing SDK is one line naming the extra, before anything else
        super().__init__(settings, model=model, api_key=api_key, replay_only=replay_only, name=name)

    def model_for(self, request: DesignRequest) -> str:
        """The model id: the argument, then ``PYT_ARCH_MODEL``.

        Raises:
            SettingsError: when neither is set.
        """
        model = self._model or self.settings.model
        if not model:
            raise SettingsError(
                "the openai backend needs a model: pass --model ID (Architect(model=...)) or set "
                "PYT_ARCH_MODEL, e.g. gpt-5.4-mini, or a local server's model such as llama3.3"
            )
        return model

    def body(self, request: DesignRequest) -> dict[str, Any]:
        """The Chat Completions request body (no credentials in it)."""
        said = transcript(request)
        turns = [{"role": role, "content": text} for role, text in said.turns]
        return {
            "model": self.model_for(request),
            "max_completion_tokens": self.settings.max_tokens,
            "messages": [{"role": "system", "content": said.system}, *turns],
            "stream": True,
            "stream_options": {"include_usage": True},
        }

    @contextmanager
    def open(self, client: Any, body: dict[str, Any]) -> Iterator[_Reply]:
        """Stream the answer with ``client.chat.completions.create(stream=True)``."""
        with client.chat.completions.create(**body) as stream:
            expect_event_stream(stream.response)
            yield _Reply(stream, body["model"])

    def connect(self, key: str, http: Any, *, max_retries: int) -> Any:
        """An ``openai.OpenAI`` client sending through ``http``."""
        return _sdk().OpenAI(
            api_key=key,
            base_url=self.settings.base_url,
            max_retries=max_retries,
            timeout=self.settings.timeout_s,
            http_client=http,
        )

    def default_http_client(self) -> type[Any]:
        """``openai.DefaultHttpxClient``."""
        client: type[Any] = _sdk().DefaultHttpxClient
        return client

    def sdk_errors(self) -> SdkErrors:
        """The ``openai`` SDK's exception classes."""
        sdk = _sdk()
        return SdkErrors(
            base=sdk.OpenAIError,
            status=sdk.APIStatusError,
            connection=sdk.APIConnectionError,
            timeout=sdk.APITimeoutError,
        )
