"""How a model call fails: every exception becomes one cause code and one line with the fix.

Whatever goes wrong while a design streams in (an HTTP status, a dropped or stalled connection, a
server that stops following the streaming protocol, an ``event: error`` mid-answer, a whole-request
deadline) is explained here as a ``(cause, message)`` pair; the chat backend
(:mod:`~pyt_arch_kit.backends.chat`) turns it into one :class:`~pyt_arch_kit.errors.BackendError`
(or, when text had arrived, an :class:`~pyt_arch_kit.errors.IncompleteDesignError` keeping it).
Counts in the messages are the HTTP requests actually sent, not the retry setting. The SDKs
built on ``httpx2`` (``anthropic``, ``openai``) share one error vocabulary; a provider names its
classes in an :class:`SdkErrors`, and messages name its variables (``ANTHROPIC_API_KEY``,
``OPENAI_BASE_URL``, …) from :class:`~pyt_arch_kit.settings.Settings`.

Cause codes: ``auth``, ``permission``, ``bad_request``, ``billing``, ``rate_limit``,
``overloaded``, ``server``, ``timeout``, ``connection`` (the API could not be reached), ``cut``
(the answer stopped arriving half-way), ``protocol`` (the server's answer did not follow the
streaming protocol), ``cassette``, and the stop reasons in :data:`STOP_REASONS` (each provider
maps its own, e.g. OpenAI's ``length``, to these).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pyt_arch_kit.errors import PytArchError
from pyt_arch_kit.settings import Settings, shown_url

__all__ = [
    "COMPLETE",
    "STOP_REASONS",
    "DeadlineError",
    "ProtocolError",
    "SdkErrors",
    "chain",
    "expect_event_stream",
    "explain",
    "stopped",
]

#: Stop reasons that mean the answer is finished.
COMPLETE = ("end_turn", "stop_sequence")

#: Every other stop reason the Messages API documents, and what it means for a design.
STOP_REASONS: dict[str, str] = {
    "max_tokens": "the answer hit the token limit (max_tokens); raise PYT_ARCH_MAX_TOKENS",
    "refusal": (
        "the model declined to write this design (stop_reason: refusal); rephrase the "
        "requirements' summary and notes, or use the offline backend"
    ),
    "pause_turn": (
        "the API paused the turn before it finished (stop_reason: pause_turn); run it again"
    ),
    "tool_use": (
        "the model stopped to call a tool (stop_reason: tool_use), which a design request "
        "does not offer; run it again"
    ),
    "model_context_window_exceeded": (
        "the conversation filled the model's context window "
        "(stop_reason: model_context_window_exceeded); shorten the follow-up history or the "
        "requirements"
    ),
}

# The error types an API names in an error body or a mid-stream error → (cause, what to do).
_ERROR_TYPES: dict[str, tuple[str, str]] = {
    "server_error": ("server", "try again"),
    "rate_limit_exceeded": ("rate_limit", "wait a minute, or raise PYT_ARCH_MAX_RETRIES"),
    "insufficient_quota": ("billing", "check the account's plan and credits"),
    "overloaded_error": ("overloaded", "try again in a few minutes"),
    "api_error": ("server", "try again"),
    "rate_limit_error": ("rate_limit", "wait a minute, or raise PYT_ARCH_MAX_RETRIES"),
    "authentication_error": ("auth", "check {key_env}"),
    "permission_error": ("permission", "check that the key may use this model"),
    "billing_error": ("billing", "check the account's plan and credits"),
    "invalid_request_error": ("bad_request", "check the model id and PYT_ARCH_MAX_TOKENS"),
    "not_found_error": ("bad_request", "check the model id"),
    "request_too_large": ("bad_request", "shorten the requirements or the follow-up history"),
    "timeout_error": ("timeout", "try again"),
}


@dataclass(frozen=True)
class SdkErrors:
    """A provider SDK's exception classes (both SDKs name them alike).

    Attributes:
        base: the SDK's base error (a mid-stream error that carries no status is one).
        status: errors with an HTTP status (``status_code``, ``body``).
        connection: the API could not be reached (or, once an answer began, it broke off).
        timeout: no answer in time.
    """

    base: type[BaseException]
    status: type[BaseException]
    connection: type[BaseException]
    timeout: type[BaseException]


class DeadlineError(Exception):
    """The whole request ran past ``PYT_ARCH_TIMEOUT_S`` (raised while reading the stream)."""


class ProtocolError(Exception):
    """The server's answer does not follow the provider's streaming protocol."""


def expect_event_stream(response: Any) -> None:
    """Refuse a 200 that is not a stream of events (a proxy's page, a captive portal)."""
    ctype = str(response.headers.get("content-type", ""))
    if not ctype.lower().startswith("text/event-stream"):
        shown = "".join(c for c in ctype if c.isprintable())[:60] or "no content type"
        raise ProtocolError(
            f"the API answered {response.status_code} with {shown} instead of an event stream "
            "(a proxy or a sign-in page may have answered)"
        )


def _requests(n: int) -> str:
    return f"{n} request" + ("" if n == 1 else "s")


def _arrived(chars: int) -> str:
    return f"; the {chars:,} characters that arrived are kept" if chars else ""


def _error_body(exc: Any) -> dict[str, Any]:
    """The error object of an API error: ``body["error"]`` (Anthropic) or ``body`` (OpenAI)."""
    body = getattr(exc, "body", None)
    if not isinstance(body, dict):
        return {}
    inner = body.get("error")
    return inner if isinstance(inner, dict) else body


def _api_message(exc: Any) -> str:
    message = _error_body(exc).get("message")
    if isinstance(message, str):  # one line, no escape sequences from the server
        return " ".join("".join(c if c.isprintable() else " " for c in message).split())[:300]
    return str(exc.__class__.__name__)


def _error_type(exc: Any) -> str:
    err = _error_body(exc)
    for name in ("type", "code"):
        if isinstance(err.get(name), str) and err[name] in _ERROR_TYPES:
            return str(err[name])
    kind = err.get("type")
    return kind if isinstance(kind, str) else ""


#: How many links of an exception's cause chain are looked at (a loop or a runaway chain ends).
_CHAIN_LIMIT = 16


def chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and what it was raised from or while handling (``__cause__``, else
    ``__context__``), outermost first, at most :data:`_CHAIN_LIMIT` links, each once.

    An SDK wraps what broke in its own error (``anthropic`` 2.17 wraps every failure to read
    the body in its connection error), so a failure is classified by what the chain holds,
    not by the wrapper's class.
    """
    links: list[BaseException] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(links) < _CHAIN_LIMIT:
        seen.add(id(current))
        links.append(current)
        following = current.__cause__
        if following is None and not current.__suppress_context__:
            following = current.__context__
        current = following
    return links


def stopped(stop_reason: str | None) -> str:
    """What a stop reason means for the design, in words, with what to do.

    Example:
        >>> stopped("refusal").split(" (")[0]
        'the model declined to write this design'
    """
    if stop_reason is None:
        return "the connection ended before the answer finished; run it again"
    known = STOP_REASONS.get(stop_reason)
    if known is not None:
        return known
    shown = "".join(c for c in stop_reason if c.isprintable())[:60]
    return (
        f"the answer stopped for a reason this version does not know (stop_reason: {shown!r}); "
        "run it again or update pyt_arch_kit"
    )


def explain(
    exc: BaseException,
    settings: Settings,
    *,
    requests: int,
    chars: int,
    sdk: SdkErrors,
    started: bool = False,
) -> tuple[str, str]:
    """The cause code and the one-line message for an exception raised during a model call.

    Args:
        exc: what was raised (by the SDK, the HTTP library, the JSON decoder or our checks).
        settings: the settings in force (for the numbers and names in the fix).
        requests: HTTP requests actually sent for this call.
        chars: characters of the answer that arrived before it failed.
        sdk: the provider SDK's exception classes.
        started: whether the answer had begun (its status and headers had arrived), so a
            broken connection is an answer cut off, not an API out of reach.
    """
    import httpx2

    sent = _requests(requests)
    kept = _arrived(chars)
    timeout = settings.timeout_s
    base_url = settings.base_url_env
    wrapped: BaseException | None = None  # the connection error the SDK wrapped things in
    named: BaseException | None = None  # the HTTP library's error under it, if any
    for link in chain(exc):
        if isinstance(link, PytArchError):  # ours (a cassette's), raised under the SDK
            return getattr(link, "cause", "backend"), str(link)
        if isinstance(link, DeadlineError):
            return "timeout", (
                f"the answer did not finish within PYT_ARCH_TIMEOUT_S={timeout:g} s (the limit "
                f"for the whole request): raise PYT_ARCH_TIMEOUT_S or retry{kept}"
            )
        if isinstance(link, sdk.status):
            return _status(link, settings, sent, kept)
        if isinstance(link, sdk.base) and _error_body(link):  # an error sent in a 200 stream
            return _stopped_with(link, settings, sent, kept)
        if isinstance(link, ProtocolError):
            return "protocol", f"{link}; check {base_url}{kept}"
        if isinstance(link, json.JSONDecodeError | UnicodeDecodeError):
            return "protocol", (
                "the API sent an event that is not valid JSON; run it again, and check "
                f"{base_url} if it persists{kept}"
            )
        if isinstance(link, sdk.timeout | httpx2.TimeoutException):
            return "timeout", (
                f"no answer within {timeout:g} s: raise PYT_ARCH_TIMEOUT_S or retry{kept}"
            )
        if isinstance(link, sdk.connection | httpx2.TransportError):
            wrapped = wrapped or link  # a wrapper: what it wraps may say more
            if not isinstance(link, sdk.base):
                named = named or link
            continue
        if wrapped is None:
            break  # not raised under a connection error: the SDK's own check failed
        return _broken(named or link, settings, sent, kept, started=started)
    if wrapped is not None:
        return _broken(named or wrapped, settings, sent, kept, started=started)
    # The SDK asserts on event order (AssertionError, RuntimeError, IndexError, …).
    detail = " ".join(str(exc).split())[:120] or type(exc).__name__
    return "protocol", (
        f"the API's stream did not follow the {settings.protocol} protocol "
        f"({type(exc).__name__}: {detail}); run it again, and check {base_url} if it "
        f"persists{kept}"
    )


def _broken(
    broke: BaseException, settings: Settings, sent: str, kept: str, *, started: bool
) -> tuple[str, str]:
    """The connection failed: the API was out of reach, or (once it answered) it broke off."""
    if not started:
        where = f" at {shown_url(settings.base_url)}" if settings.base_url else ""
        return "connection", (
            f"cannot reach the API{where} ({sent}): check the network or {settings.base_url_env}"
        )
    return "cut", (
        f"the connection broke while the answer streamed in ({type(broke).__name__}); "
        f"run it again{kept}"
    )


def _stopped_with(exc: Any, settings: Settings, sent: str, kept: str) -> tuple[str, str]:
    """An error the API sent in the middle of an answer that had started (status 200)."""
    msg = _api_message(exc)
    kind = _error_type(exc)
    cause, fix = _ERROR_TYPES.get(kind, ("server", "try again"))
    named = "".join(c for c in kind if c.isprintable())[:40] or "an error"
    fix = fix.format(key_env=settings.key_env)
    return cause, f"the API stopped the answer with {named} after {sent} ({msg}): {fix}{kept}"


#: HTTP status → (cause, message); ``{msg}`` is the API's message, ``{sent}`` the requests sent.
_STATUS: dict[int, tuple[str, str]] = {
    401: ("auth", "the API key was rejected (401): check {key_env}"),
    403: ("permission", "the key may not use this model or workspace (403): {msg}"),
    404: ("bad_request", "not found (404): {msg}; check the model id"),
    400: ("bad_request", "the API rejected the request (400): {msg}"),
    422: ("bad_request", "the API rejected the request (422): {msg}"),
    429: (
        "rate_limit",
        "rate limited (429) after {sent}: wait a minute, or raise PYT_ARCH_MAX_RETRIES "
        "(now {retries})",
    ),
}


def _status(exc: Any, settings: Settings, sent: str, kept: str) -> tuple[str, str]:
    status = getattr(exc, "status_code", None)
    msg = _api_message(exc)
    kind = _error_type(exc)
    if status == 200:  # ``event: error`` in the middle of an answer that had started
        return _stopped_with(exc, settings, sent, kept)
    known = _STATUS.get(status) if isinstance(status, int) else None
    if known is not None:
        cause, text = known
        shown = text.format(
            msg=msg, sent=sent, key_env=settings.key_env, retries=settings.max_retries
        )
        return cause, shown + kept
    if status == 529 or kind == "overloaded_error":
        return "overloaded", (
            f"the API is overloaded ({status}) after {sent}: try again in a few minutes{kept}"
        )
    return "server", f"the API failed ({status}) after {sent}: {msg}{kept}"
