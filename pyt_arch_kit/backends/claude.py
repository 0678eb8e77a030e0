"""The Claude backend: the persona on the Anthropic Messages API, streamed, prompt-cached.

The official ``anthropic`` SDK does the HTTP, retries (429, 529, 5xx, with ``retry-after``) and
timeouts; this module builds the request, streams the text, detects an answer that stopped early,
turns SDK errors into one clear line each, reports usage and cost, and records or replays
exchanges through a cassette (``PYT_ARCH_CASSETTE``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pyt_arch_kit._optional import require
from pyt_arch_kit.backends.base import Backend, DesignRequest, Finished, TextDelta
from pyt_arch_kit.cassette import Cassette, fingerprint
from pyt_arch_kit.design import Design, Usage
from pyt_arch_kit.errors import BackendError, IncompleteDesignError
from pyt_arch_kit.persona import resolve_model
from pyt_arch_kit.pricing import estimate_cost
from pyt_arch_kit.prompt import build_messages, build_system
from pyt_arch_kit.settings import Secret, Settings

if TYPE_CHECKING:
    import anthropic

__all__ = ["ClaudeBackend"]

_COMPLETE = ("end_turn", "stop_sequence")


class ClaudeBackend(Backend):
    """Writes the design with Claude.

    Args:
        settings: how to run (defaults to :meth:`Settings.from_env`).
        model: a model id or alias overriding the setting and the persona's ``model:``.
        api_key: a key to use instead of ``ANTHROPIC_API_KEY`` (held in memory only).
        replay_only: never call the API; answer only from the cassette.

    Raises (from :meth:`events`):
        BackendError: with ``cause`` one of ``no_key``, ``auth``, ``permission``,
            ``bad_request``, ``rate_limit``, ``overloaded``, ``server``, ``timeout``,
            ``connection``, ``cassette``; the text that arrived is on ``partial_text``.
        IncompleteDesignError: the stream was cut or hit the token limit; ``.design`` keeps
            every character that arrived.
    """

    name = "claude"

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        model: str | None = None,
        api_key: str | None = None,
        replay_only: bool = False,
    ) -> None:
        self.settings = settings or Settings.from_env()
        self._model = model
        self._key = Secret(api_key) if api_key else self.settings.api_key
        self._replay_only = replay_only or self.settings.cassette_mode == "replay"
        self._client: anthropic.Anthropic | None = None
        self._local = threading.local()  # HTTP requests sent, counted per thread

    def __repr__(self) -> str:
        return (
            f"ClaudeBackend(model={self._model or self.settings.model!r}, "
            f"key={'set' if self._key else 'unset'}, cassette={self.settings.cassette})"
        )

    # -- the request -------------------------------------------------------------------------

    def model_for(self, request: DesignRequest) -> str:
        """The model id: argument, then ``PYT_ARCH_MODEL``, then the persona's alias."""
        return resolve_model(self._model or self.settings.model or request.persona.model)

    def body(self, request: DesignRequest) -> dict[str, Any]:
        """The Messages API request body (no credentials in it)."""
        return {
            "model": self.model_for(request),
            "max_tokens": self.settings.max_tokens,
            "system": build_system(request),
            "messages": build_messages(request),
        }

    # -- running -----------------------------------------------------------------------------

    def events(self, request: DesignRequest) -> Iterator[TextDelta | Finished]:
        """Stream the design's text, then finish with the :class:`Design`."""
        body = self.body(request)
        key = fingerprint(body)
        cassette = Cassette(self.settings.cassette) if self.settings.cassette else None
        recorded = (
            cassette.get(key) if cassette and self.settings.cassette_mode != "record" else None
        )
        if recorded is not None:
            yield from self._replay(request, body, recorded)
            return
        if self._replay_only or (cassette is not None and self._key is None):
            where = f" in {self.settings.cassette}" if cassette else ""
            raise BackendError(
                f"no recorded answer for request {key}{where}; record it once with a key "
                "(ANTHROPIC_API_KEY set, PYT_ARCH_CASSETTE_MODE=auto or record); nothing was sent",
                cause="cassette",
            )
        require("anthropic", for_="the Claude backend")
        import anthropic

        client = self.client()
        parts: list[str] = []
        chunks: list[str] = []
        before = self._requests_sent()
        try:
            with client.messages.stream(**body) as stream:
                for text in stream.text_stream:
                    parts.append(text)
                    chunks.append(text)
                    yield TextDelta(text)
                final = stream.get_final_message()
        except anthropic.AnthropicError as exc:  # every SDK error becomes one clear line
            raise _explain(exc, self.settings, "".join(parts)) from None
        usage = self._usage(
            final.model or body["model"], final.usage, self._requests_sent() - before
        )
        design = self.design_from(request, body, "".join(parts), final.stop_reason, usage)
        if cassette is not None:
            cassette.put(
                key,
                {
                    "model": body["model"],
                    "chunks": chunks,
                    "stop_reason": final.stop_reason,
                    "usage": _usage_dict(usage),
                },
            )
        yield from self._finish(design)

    def _replay(
        self, request: DesignRequest, body: dict[str, Any], recorded: dict[str, Any]
    ) -> Iterator[TextDelta | Finished]:
        chunks = [str(c) for c in recorded.get("chunks", [])]
        for text in chunks:
            yield TextDelta(text)
        usage_data = dict(recorded.get("usage") or {})
        usage = Usage(**{**usage_data, "requests": 0})
        design = self.design_from(
            request, body, "".join(chunks), recorded.get("stop_reason"), usage
        )
        yield from self._finish(design)

    def _finish(self, design: Design) -> Iterator[Finished]:
        if not design.complete:
            why = (
                "the answer hit the token limit (max_tokens); raise PYT_ARCH_MAX_TOKENS"
                if design.stop_reason == "max_tokens"
                else "the connection ended before the answer finished; run it again"
            )
            raise IncompleteDesignError(
                f"incomplete design: {why}. {len(design.text):,} characters that arrived are kept",
                design=design,
                cause=design.stop_reason or "cut",
            )
        yield Finished(design)

    def design_from(
        self,
        request: DesignRequest,
        body: dict[str, Any],
        text: str,
        stop_reason: str | None,
        usage: Usage,
    ) -> Design:
        """The :class:`Design` for an answer's text (used by streaming, replay and batches)."""
        conversation = tuple((m["role"], str(m["content"])) for m in body["messages"])
        return Design(
            title=request.requirements.name,
            text=text,
            plan=request.plan,
            assumptions=request.plan.assumptions,
            backend=self.name,
            model=body["model"],
            usage=usage,
            complete=stop_reason in _COMPLETE,
            stop_reason=stop_reason,
            conversation=(*conversation, ("assistant", text)),
        )

    def _usage(self, model: str, raw: Any, attempts: int) -> Usage:
        values = {
            name: int(getattr(raw, name, 0) or 0)
            for name in (
                "input_tokens",
                "output_tokens",
                "cache_creation_input_tokens",
                "cache_read_input_tokens",
            )
        }
        cost = estimate_cost(
            model,
            values["input_tokens"],
            values["output_tokens"],
            values["cache_creation_input_tokens"],
            values["cache_read_input_tokens"],
        )
        return Usage(**values, cost_usd=cost, requests=attempts)

    def _count(self, _request: object) -> None:
        # The SDK's sync client runs its event hooks in the thread that sends the request, so
        # designs running side by side on one backend each count only their own requests.
        self._local.sent = self._requests_sent() + 1

    def _requests_sent(self) -> int:
        return int(getattr(self._local, "sent", 0))

    def client(self) -> anthropic.Anthropic:
        """The SDK client (created on first use; the key stays inside it)."""
        if self._client is None:
            require("anthropic", for_="the Claude backend")
            import anthropic

            if self._key is None:
                raise BackendError(
                    "no API key: set ANTHROPIC_API_KEY (create one at console.anthropic.com) "
                    "or use the offline backend (--backend offline)",
                    cause="no_key",
                )
            self._client = anthropic.Anthropic(
                api_key=self._key.reveal(),
                base_url=self.settings.base_url,
                max_retries=self.settings.max_retries,
                timeout=self.settings.timeout_s,
                http_client=anthropic.DefaultHttpxClient(event_hooks={"request": [self._count]}),
            )
        return self._client


def _usage_dict(usage: Usage) -> dict[str, Any]:
    return {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cache_creation_input_tokens": usage.cache_creation_input_tokens,
        "cache_read_input_tokens": usage.cache_read_input_tokens,
        "cost_usd": usage.cost_usd,
    }


def _api_message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict) and isinstance(err.get("message"), str):
            return str(err["message"])[:300]
    return str(exc.__class__.__name__)


def _explain(exc: Exception, settings: Settings, partial: str) -> BackendError:
    """One line naming the cause and the fix; never the key."""
    require("anthropic", for_="the Claude backend")
    import anthropic

    retries = settings.max_retries
    table: list[tuple[type[Exception], str, str]] = [
        (
            anthropic.AuthenticationError,
            "auth",
            "the API key was rejected (401): check ANTHROPIC_API_KEY",
        ),
        (
            anthropic.PermissionDeniedError,
            "permission",
            "the key may not use this model or workspace (403): {msg}",
        ),
        (anthropic.NotFoundError, "bad_request", "not found (404): {msg}; check the model id"),
        (anthropic.BadRequestError, "bad_request", "the API rejected the request (400): {msg}"),
        (
            anthropic.RateLimitError,
            "rate_limit",
            f"rate limited (429) after {retries} retries: wait a minute, or raise "
            "PYT_ARCH_MAX_RETRIES",
        ),
        (
            anthropic.APITimeoutError,
            "timeout",
            f"no answer within {settings.timeout_s:g} s: raise PYT_ARCH_TIMEOUT_S or retry",
        ),
        (
            anthropic.APIConnectionError,
            "connection",
            "cannot reach the API{where}: check the network or ANTHROPIC_BASE_URL",
        ),
    ]
    status = getattr(exc, "status_code", None)
    for kind, cause, text in table:
        if isinstance(exc, kind):
            where = f" at {settings.base_url}" if settings.base_url else ""
            return BackendError(
                text.format(msg=_api_message(exc), where=where), cause=cause, partial_text=partial
            )
    if status == 529:
        return BackendError(
            f"the API is overloaded (529) after {retries} retries: try again in a few minutes",
            cause="overloaded",
            partial_text=partial,
        )
    if isinstance(exc, anthropic.APIStatusError):
        return BackendError(
            f"the API failed ({status}) after {retries} retries: {_api_message(exc)}",
            cause="server",
            partial_text=partial,
        )
    return BackendError(
        f"the Claude call failed: {exc.__class__.__name__}", cause="backend", partial_text=partial
    )
