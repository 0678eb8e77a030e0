"""The shared base of every backend that streams a model's answer through a provider's SDK.

:class:`ChatBackend` owns everything that is not a wire format: the settings and the key (held
as a :class:`~pyt_arch_kit.settings.Secret`, scrubbed by value from all that is shown), the HTTP
client under the SDK (requests counted, the whole-request deadline, record/replay through
:mod:`~pyt_arch_kit.backends.transport`), the streaming loop, redaction of what streams in, one
error for every failure (:mod:`~pyt_arch_kit.backends.faults`), a cut stream or a stop reason
(the token limit, …) detected and the text kept, and usage and cost on the
:class:`~pyt_arch_kit.design.Design`.

A provider (:mod:`~pyt_arch_kit.backends.claude`, :mod:`~pyt_arch_kit.backends.openai`)
implements its wire format only: :meth:`ChatBackend.body`, :meth:`ChatBackend.connect`,
:meth:`ChatBackend.open`, :meth:`ChatBackend.sdk_errors` and :attr:`ChatBackend.codec`.
"""

from __future__ import annotations

import contextlib
import threading
from abc import abstractmethod
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol
from urllib.parse import urlsplit

from pyt_arch_kit._optional import require
from pyt_arch_kit.backends import registry
from pyt_arch_kit.backends.base import Backend, DesignRequest, Finished, TextDelta
from pyt_arch_kit.backends.deadline import Meter
from pyt_arch_kit.backends.faults import COMPLETE, SdkErrors, explain, stopped
from pyt_arch_kit.cassette import Cassette, Tape, WireCodec
from pyt_arch_kit.design import Design, Usage
from pyt_arch_kit.errors import BackendError, IncompleteDesignError, SettingsError
from pyt_arch_kit.pricing import estimate_cost
from pyt_arch_kit.prompt import transcript
from pyt_arch_kit.redaction import StreamRedactor, redact, remember, url_secrets
from pyt_arch_kit.settings import Secret, Settings, shown_url

__all__ = ["ChatBackend", "Outcome", "Reply", "Tokens", "base_url_problem", "tokens"]


@dataclass(frozen=True)
class Tokens:
    """Token counts in the kit's terms (a provider maps its own to these)."""

    input: int = 0
    output: int = 0
    cache_write: int = 0
    cache_read: int = 0


@dataclass(frozen=True)
class Outcome:
    """How an answer ended: its stop reason (the kit's vocabulary), model and tokens
    (``None`` when the server reported none: the cost is then unknown, not 0)."""

    stop_reason: str | None
    model: str | None
    tokens: Tokens | None


class Reply(Protocol):
    """A provider's answer as it streams in."""

    def __iter__(self) -> Iterator[str]:
        """The answer's text, piece by piece."""
        ...

    def outcome(self) -> Outcome:
        """How it ended (called once the text is read)."""
        ...

    def tokens_so_far(self) -> Tokens | None:
        """The tokens reported before a failure, if any."""
        ...


def base_url_problem(url: str | None) -> str | None:
    """What is wrong with a base URL (``None``: nothing, or none is set).

    Example:
        >>> base_url_problem("http://127.0.0.1:1:1")
        "its port '1:1' is not a number from 1 to 65535"
    """
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError as exc:  # ``http://[::1``
        return f"it cannot be read as a URL ({exc})"
    if parts.scheme.lower() not in ("http", "https"):
        return "it must start with http:// or https://"
    if not parts.hostname:
        return "it names no host"
    try:
        port = parts.port
    except ValueError:
        raw = parts.netloc.rpartition("@")[2].rpartition("]")[2].partition(":")[2]
        shown = "".join(c for c in raw if c.isprintable())[:20]
        return f"its port {shown!r} is not a number from 1 to 65535"
    if port == 0:
        return "its port 0 is not a number from 1 to 65535"
    return None


def tokens(value: Any) -> int:
    """A token count as reported, never negative (a negative count must not lower the cost)."""
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError, OverflowError):
        return 0


class ChatBackend(Backend):
    """Streams a design from a model through a provider's SDK.

    Args:
        settings: how to run (default: :meth:`Settings.from_env` for this provider).
        model: a model id or alias overriding ``PYT_ARCH_MODEL`` (and, for Claude, the
            persona's ``model:``).
        api_key: a key to use instead of the provider's variable (held in memory only).
        replay_only: never call the API; answer only from the cassette.
        name: the name designs record as their backend (default: the provider's).

    Raises:
        SettingsError: for ``replay_only`` without a cassette (``PYT_ARCH_CASSETTE``).
    """

    #: The registry name whose settings (key and base URL variables) this backend reads.
    provider: ClassVar[str] = ""
    #: The provider's streamed answer as a cassette records and replays it.
    codec: ClassVar[WireCodec]
    #: A base URL of the right form, for the message about a malformed one.
    example_base_url: ClassVar[str] = "http://127.0.0.1:8080"

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        model: str | None = None,
        api_key: str | None = None,
        replay_only: bool = False,
        name: str | None = None,
    ) -> None:
        self.settings = settings or Settings.from_env(backend=self.provider)
        self.name = name or self.provider
        self._model = model
        self._key = Secret(api_key) if api_key else self.settings.api_key
        # Whatever its form, the key in use is scrubbed by value from all that is shown.
        remember(self._key.reveal() if self._key else None, *url_secrets(self.settings.base_url))
        self._replay_only = replay_only or self.settings.cassette_mode == "replay"
        if self._replay_only and self.settings.cassette is None:
            raise SettingsError(
                f"the {self.name} backend replays a cassette: set "
                "PYT_ARCH_CASSETTE=path/to/cassette.json"
            )
        self._client: Any = None
        self._meter = Meter()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(model={self._model or self.settings.model!r}, "
            f"key={'set' if self._key else 'unset'}, cassette={self.settings.cassette})"
        )

    # -- the wire format: what a provider implements ------------------------------------------

    @abstractmethod
    def body(self, request: DesignRequest) -> dict[str, Any]:
        """The request body the provider's API receives (no credentials in it)."""

    @abstractmethod
    def connect(self, key: str, http: Any, *, max_retries: int) -> Any:
        """The SDK's client, given the key and the ``httpx2.Client`` to send through."""

    @abstractmethod
    def open(self, client: Any, body: dict[str, Any]) -> AbstractContextManager[Reply]:
        """Send the request; the answer streams in inside the context."""

    @abstractmethod
    def sdk_errors(self) -> SdkErrors:
        """The SDK's exception classes (imported when first needed)."""

    @abstractmethod
    def default_http_client(self) -> type[Any]:
        """The SDK's ``DefaultHttpxClient`` (an ``httpx2.Client`` with its defaults)."""

    # -- running -----------------------------------------------------------------------------

    def _secrets(self) -> list[str]:
        """The secret values this backend holds (scrubbed by value from all it returns)."""
        return [self._key.reveal()] if self._key else []

    def scrub(self, text: str) -> str:
        """``text`` with every secret in use (this backend's key included) redacted."""
        return redact(text, self._secrets())

    def write(
        self,
        request: DesignRequest,
        *,
        on_text: Callable[[str], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> Design:
        """As :meth:`Backend.write`; a :class:`~pyt_arch_kit.backends.base.Cancel` also closes
        the connection of the answer in flight, so a stalled stream stops at once."""
        self._meter.cancel = cancel
        try:
            return super().write(request, on_text=on_text, cancel=cancel)
        finally:
            self._meter.cancel = None

    def events(self, request: DesignRequest) -> Iterator[TextDelta | Finished]:
        """Stream the design's text, then finish with the :class:`Design`.

        Every failure while streaming ends in one :class:`BackendError`; if text had arrived, it
        is an :class:`IncompleteDesignError` whose ``design`` keeps it, marked incomplete.
        """
        body = self.body(request)
        client = self.client()
        scrub = StreamRedactor(self._secrets())
        parts: list[str] = []
        before = self._meter.sent()
        failure: Exception | None = None
        outcome: Outcome | None = None
        reply: Reply | None = None
        self._meter.start(self.settings.timeout_s)
        try:
            with self.open(client, body) as reply:
                for piece in reply:
                    safe = scrub.feed(piece)
                    if safe:
                        parts.append(safe)
                        yield TextDelta(safe)
                outcome = reply.outcome()
        except Exception as exc:  # every failure while streaming takes the one path below
            failure = exc
        finally:
            self._meter.stop()
        rest = scrub.flush()
        if rest:
            parts.append(rest)
            yield TextDelta(rest)
        text = "".join(parts)
        requests = self._meter.sent() - before
        if failure is not None or outcome is None:
            error = failure or RuntimeError("the answer ended without an outcome")
            raise self._failed(request, body, text, error, reply, requests) from None
        usage = self._usage(outcome.model or body["model"], outcome.tokens, requests)
        yield from self._finish(
            self.design_from(request, text, outcome.stop_reason, usage, model=body["model"])
        )

    def explain(
        self, exc: BaseException, *, requests: int = 1, chars: int = 0, started: bool = False
    ) -> BackendError:
        """One :class:`BackendError` naming the cause and the fix (the key scrubbed)."""
        cause, message = explain(
            exc,
            self.settings,
            requests=requests,
            chars=chars,
            sdk=self.sdk_errors(),
            started=started,
        )
        return BackendError(redact(message, self._secrets()), cause=cause)

    def _failed(
        self,
        request: DesignRequest,
        body: dict[str, Any],
        text: str,
        exc: Exception,
        reply: Reply | None,
        requests: int,
    ) -> BackendError:
        """The one error for a failed stream: the cause, the fix, and the text that arrived."""
        error = self.explain(exc, requests=requests, chars=len(text), started=reply is not None)
        if not text:
            return error
        so_far: Tokens | None = None
        with contextlib.suppress(Exception):
            so_far = reply.tokens_so_far() if reply is not None else None
        usage = self._usage(body["model"], so_far, requests)
        stop = None if error.cause == "cut" else error.cause
        design = self.design_from(request, text, stop, usage, model=body["model"])
        return IncompleteDesignError(
            f"incomplete design: {error}", design=design, cause=error.cause
        )

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
        text: str,
        stop_reason: str | None,
        usage: Usage,
        *,
        model: str,
    ) -> Design:
        """The :class:`Design` for an answer's text (used by streaming and batches)."""
        return Design(
            title=request.requirements.name,
            text=text,
            plan=request.plan,
            assumptions=request.plan.assumptions,
            backend=self.name,
            model=model,
            usage=usage,
            complete=stop_reason in COMPLETE,
            stop_reason=stop_reason,
            conversation=(*transcript(request).turns, ("assistant", text)),
        )

    def _usage(
        self, model: str, reported: Tokens | None, attempts: int, *, batch: bool = False
    ) -> Usage:
        used = reported or Tokens()
        cost = None
        if reported is not None:
            cost = estimate_cost(
                model, used.input, used.output, used.cache_write, used.cache_read, batch=batch
            )
        return Usage(
            input_tokens=used.input,
            output_tokens=used.output,
            cache_creation_input_tokens=used.cache_write,
            cache_read_input_tokens=used.cache_read,
            cost_usd=cost,
            requests=attempts,
        )

    # -- the client --------------------------------------------------------------------------

    def require_sdk(self) -> None:
        """Import this backend's SDK, or raise one line naming the extra that installs it."""
        entry = next((s for s in registry.BACKENDS if s.name == self.name), None)
        if entry is not None and entry.sdk:
            require(entry.sdk, for_=f"the {entry.label} backend")

    def check_base_url(self) -> None:
        """Refuse a malformed base URL in one line naming its variable (before any request).

        Raises:
            SettingsError: naming the variable (``ANTHROPIC_BASE_URL``, …) and the fix.
        """
        problem = base_url_problem(self.settings.base_url)
        if problem is not None:
            env = self.settings.base_url_env
            raise SettingsError(
                f"{env}={shown_url(self.settings.base_url)} is not a usable base URL: "
                f"{problem}; set it to the API's address, e.g. {self.example_base_url}, "
                f"or unset {env} for the provider's own"
            )

    def require_key(self) -> str:
        """The key, or the one-line error naming the variable to set (``cause="no_key"``)."""
        if self._key is None:
            raise BackendError(
                f"no API key: set {self.settings.key_env} or use the offline backend "
                "(--backend offline)",
                cause="no_key",
            )
        return self._key.reveal()

    def client(self) -> Any:
        """The SDK client (created on first use; the key stays inside it).

        With a cassette and no key (or in replay mode) it can only replay: an unrecorded
        request fails with its fingerprint, and nothing is sent.
        """
        if self._client is None:
            self.require_sdk()  # a missing SDK is named before a missing key
            self.check_base_url()
            cassette = self.settings.cassette
            send = not self._replay_only and (self._key is not None or cassette is None)
            key = self.require_key() if send else "replay-only-no-key"
            tape = None
            if cassette is not None:
                tape = Tape(
                    Cassette(cassette),
                    self.codec,
                    mode=self.settings.cassette_mode,
                    key_env=self.settings.key_env,
                    secrets=self._secrets(),
                )
            from pyt_arch_kit.backends.transport import http_client  # needs the SDK's httpx2

            http = http_client(
                self.default_http_client(),
                self._meter,
                tape,
                send=send,
                sdk_error=self.sdk_errors().base,
            )
            retries = self.settings.max_retries if send else 0
            self._client = self.connect(key, http, max_retries=retries)
        return self._client
