"""The Claude backend: the persona on the Anthropic Messages API, streamed, prompt-cached.

The official ``anthropic`` SDK does the HTTP, retries (429, 529, 5xx, with ``retry-after``) and
timeouts; this module builds the request, streams the text, detects an answer that stopped early,
turns SDK errors into one clear line each, reports usage and cost, and records or replays
exchanges through a cassette (``PYT_ARCH_CASSETTE``).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pyt_arch_kit.backends.base import Backend, DesignRequest, Finished, TextDelta
from pyt_arch_kit.backends.deadline import bound
from pyt_arch_kit.backends.faults import COMPLETE, ProtocolError, explain, stopped
from pyt_arch_kit.cassette import Cassette, fingerprint
from pyt_arch_kit.design import Design, Usage
from pyt_arch_kit.errors import BackendError, IncompleteDesignError
from pyt_arch_kit.files import shown_path
from pyt_arch_kit.persona import resolve_model
from pyt_arch_kit.pricing import estimate_cost
from pyt_arch_kit.prompt import transcript
from pyt_arch_kit.redaction import StreamRedactor, redact, remember, url_secrets
from pyt_arch_kit.settings import Secret, Settings

if TYPE_CHECKING:
    import anthropic

__all__ = ["ClaudeBackend"]


class ClaudeBackend(Backend):
    """Writes the design with Claude.

    Args:
        settings: how to run (defaults to :meth:`Settings.from_env`).
        model: a model id or alias overriding the setting and the persona's ``model:``.
        api_key: a key to use instead of ``ANTHROPIC_API_KEY`` (held in memory only).
        replay_only: never call the API; answer only from the cassette.

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
        # Whatever its form, the key in use is scrubbed by value from all that is shown.
        remember(self._key.reveal() if self._key else None, *url_secrets(self.settings.base_url))
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
        said = transcript(request)
        system = [{"type": "text", "text": said.system, "cache_control": {"type": "ephemeral"}}]
        return {
            "model": self.model_for(request),
            "max_tokens": self.settings.max_tokens,
            "system": system,
            "messages": [{"role": role, "content": text} for role, text in said.turns],
        }

    # -- running -----------------------------------------------------------------------------

    def _secrets(self) -> list[str]:
        """The secret values this backend holds (scrubbed by value from all it returns)."""
        return [self._key.reveal()] if self._key else []

    def events(self, request: DesignRequest) -> Iterator[TextDelta | Finished]:
        """Stream the design's text, then finish with the :class:`Design`.

        Every failure while streaming ends in one :class:`BackendError`; if text had arrived, it
        is an :class:`IncompleteDesignError` whose ``design`` keeps it, marked incomplete.
        """
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
            where = f" in {shown_path(self.settings.cassette)}" if cassette else ""
            raise BackendError(
                f"no recorded answer for request {key}{where}; record it once with a key "
                "(ANTHROPIC_API_KEY set, PYT_ARCH_CASSETTE_MODE=auto or record); nothing was sent",
                cause="cassette",
            )
        client = self.client()
        scrub = StreamRedactor(self._secrets())
        parts: list[str] = []
        before = self._requests_sent()
        failure: Exception | None = None
        final: Any = None
        stream: Any = None
        self._local.deadline = time.monotonic() + self.settings.timeout_s
        try:
            with client.messages.stream(**body) as stream:
                _expect_event_stream(stream.response)
                started = False
                for event in stream:
                    if event.type == "message_start":
                        started = True
                    elif event.type == "content_block_delta" and not started:
                        raise ProtocolError("the API sent text before message_start")
                    elif event.type == "text":
                        safe = scrub.feed(event.text)
                        if safe:
                            parts.append(safe)
                            yield TextDelta(safe)
                final = stream.get_final_message()
        except Exception as exc:  # every failure while streaming takes the one path below
            failure = exc
        finally:
            self._local.deadline = None
        rest = scrub.flush()
        if rest:
            parts.append(rest)
            yield TextDelta(rest)
        text = "".join(parts)
        requests = self._requests_sent() - before
        if failure is not None:
            raise self._failed(request, body, text, failure, stream, requests) from None
        usage = self._usage(final.model or body["model"], final.usage, requests)
        design = self.design_from(request, body, text, final.stop_reason, usage)
        if cassette is not None and final.stop_reason is not None:
            cassette.put(
                key,
                {
                    "model": body["model"],
                    "chunks": parts,
                    "stop_reason": final.stop_reason,
                    "usage": _usage_dict(usage),
                },
            )
        yield from self._finish(design)

    def _failed(
        self,
        request: DesignRequest,
        body: dict[str, Any],
        text: str,
        exc: Exception,
        stream: Any,
        requests: int,
    ) -> BackendError:
        """The one error for a failed stream: the cause, the fix, and the text that arrived."""
        cause, message = explain(exc, self.settings, requests=requests, chars=len(text))
        message = redact(message, self._secrets())
        if not text:
            return BackendError(message, cause=cause)
        snapshot: Any = None
        with contextlib.suppress(Exception):
            snapshot = stream.current_message_snapshot if stream is not None else None
        usage = self._usage(body["model"], getattr(snapshot, "usage", None), requests)
        stop = None if cause == "cut" else cause
        design = self.design_from(request, body, text, stop, usage)
        return IncompleteDesignError(f"incomplete design: {message}", design=design, cause=cause)

    def _replay(
        self, request: DesignRequest, body: dict[str, Any], recorded: dict[str, Any]
    ) -> Iterator[TextDelta | Finished]:
        scrub = StreamRedactor(self._secrets())
        chunks = [scrub.feed(str(c)) for c in recorded["chunks"]]
        chunks.append(scrub.flush())
        for text in chunks:
            if text:
                yield TextDelta(text)
        usage = Usage(**{**recorded["usage"], "requests": 0})
        design = self.design_from(request, body, "".join(chunks), recorded["stop_reason"], usage)
        yield from self._finish(design)

    def _finish(self, design: Design) -> Iterator[Finished]:
        if not design.complete:
            raise IncompleteDesignError(
                f"incomplete design: {stopped(design.stop_reason)}. "
                f"{len(design.text):,} characters that arrived are kept",
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
            complete=stop_reason in COMPLETE,
            stop_reason=stop_reason,
            conversation=(*conversation, ("assistant", text)),
        )

    def _usage(self, model: str, raw: Any, attempts: int) -> Usage:
        values = {
            name: _tokens(getattr(raw, name, 0))
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

    def _bound(self, response: Any) -> None:
        # Like ``_count``, in the thread that streams: that design's deadline, if it set one.
        deadline = getattr(self._local, "deadline", None)
        if deadline is not None:
            bound(response, deadline)

    def _requests_sent(self) -> int:
        return int(getattr(self._local, "sent", 0))

    def client(self) -> anthropic.Anthropic:
        """The SDK client (created on first use; the key stays inside it)."""
        if self._client is None:
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
                http_client=anthropic.DefaultHttpxClient(
                    event_hooks={"request": [self._count], "response": [self._bound]}
                ),
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


def _tokens(value: Any) -> int:
    """A token count as reported, never negative (a negative count must not lower the cost)."""
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError, OverflowError):
        return 0


def _expect_event_stream(response: Any) -> None:
    """Refuse a 200 that is not a stream of events (a proxy's page, a captive portal)."""
    ctype = str(response.headers.get("content-type", ""))
    if not ctype.lower().startswith("text/event-stream"):
        shown = "".join(c for c in ctype if c.isprintable())[:60] or "no content type"
        raise ProtocolError(
            f"the API answered {response.status_code} with {shown} instead of an event stream "
            "(a proxy or a sign-in page may have answered)"
        )


def _explain(exc: Exception, settings: Settings, partial: str, requests: int = 1) -> BackendError:
    """One line naming the cause and the fix for an SDK error outside a stream (batches)."""
    cause, message = explain(exc, settings, requests=requests, chars=len(partial))
    return BackendError(redact(message), cause=cause, partial_text=partial)
