"""How a model call fails: every exception becomes one cause code and one line with the fix.

Whatever goes wrong while a design streams in (an HTTP status, a dropped or stalled connection, a
server that stops following the streaming protocol, an ``event: error`` mid-answer, a whole-request
deadline) is explained here as a ``(cause, message)`` pair; the Claude backend turns it into one
:class:`~pyt_arch_kit.errors.BackendError` (or, when text had arrived, an
:class:`~pyt_arch_kit.errors.IncompleteDesignError` keeping it). Counts in the messages are the
HTTP requests actually sent, not the retry setting.

Cause codes: ``auth``, ``permission``, ``bad_request``, ``billing``, ``rate_limit``,
``overloaded``, ``server``, ``timeout``, ``connection`` (the API could not be reached), ``cut``
(the answer stopped arriving half-way), ``protocol`` (the server's answer did not follow the
Messages streaming protocol), and the stop reasons in :data:`STOP_REASONS`.
"""

from __future__ import annotations

import json
from typing import Any

from pyt_arch_kit.settings import Settings, shown_url

__all__ = ["COMPLETE", "STOP_REASONS", "DeadlineError", "ProtocolError", "explain", "stopped"]

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

# ``event: error`` types → (cause, what to do).
_ERROR_TYPES: dict[str, tuple[str, str]] = {
    "overloaded_error": ("overloaded", "try again in a few minutes"),
    "api_error": ("server", "try again"),
    "rate_limit_error": ("rate_limit", "wait a minute, or raise PYT_ARCH_MAX_RETRIES"),
    "authentication_error": ("auth", "check ANTHROPIC_API_KEY"),
    "permission_error": ("permission", "check that the key may use this model"),
    "billing_error": ("billing", "check the account's plan and credits"),
    "invalid_request_error": ("bad_request", "check the model id and PYT_ARCH_MAX_TOKENS"),
    "not_found_error": ("bad_request", "check the model id"),
    "request_too_large": ("bad_request", "shorten the requirements or the follow-up history"),
    "timeout_error": ("timeout", "try again"),
}


class DeadlineError(Exception):
    """The whole request ran past ``PYT_ARCH_TIMEOUT_S`` (raised while reading the stream)."""


class ProtocolError(Exception):
    """The server's answer does not follow the Messages streaming protocol."""


def _requests(n: int) -> str:
    return f"{n} request" + ("" if n == 1 else "s")


def _arrived(chars: int) -> str:
    return f"; the {chars:,} characters that arrived are kept" if chars else ""


def _api_message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict) and isinstance(err.get("message"), str):
            return " ".join(str(err["message"]).split())[:300]
    return str(exc.__class__.__name__)


def _error_type(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict) and isinstance(err.get("type"), str):
            return str(err["type"])
    return ""


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
    exc: BaseException, settings: Settings, *, requests: int, chars: int
) -> tuple[str, str]:
    """The cause code and the one-line message for an exception raised during a model call.

    Args:
        exc: what was raised (by the SDK, the HTTP library, the JSON decoder or our checks).
        settings: the settings in force (for the numbers and names in the fix).
        requests: HTTP requests actually sent for this call.
        chars: characters of the answer that arrived before it failed.
    """
    import anthropic
    import httpx2

    sent = _requests(requests)
    kept = _arrived(chars)
    timeout = settings.timeout_s
    if isinstance(exc, DeadlineError):
        return "timeout", (
            f"the answer did not finish within PYT_ARCH_TIMEOUT_S={timeout:g} s (the limit for "
            f"the whole request): raise PYT_ARCH_TIMEOUT_S or retry{kept}"
        )
    if isinstance(exc, anthropic.APITimeoutError | httpx2.TimeoutException):
        return "timeout", (
            f"no answer within {timeout:g} s: raise PYT_ARCH_TIMEOUT_S or retry{kept}"
        )
    if isinstance(exc, anthropic.APIConnectionError):
        where = f" at {shown_url(settings.base_url)}" if settings.base_url else ""
        return "connection", (
            f"cannot reach the API{where} ({sent}): check the network or ANTHROPIC_BASE_URL"
        )
    if isinstance(exc, httpx2.TransportError):  # the body stopped arriving half-way
        return "cut", (
            f"the connection broke while the answer streamed in ({type(exc).__name__}); "
            f"run it again{kept}"
        )
    if isinstance(exc, anthropic.APIStatusError):
        return _status(exc, settings, sent, kept)
    if isinstance(exc, ProtocolError):
        return "protocol", f"{exc}; check ANTHROPIC_BASE_URL{kept}"
    if isinstance(exc, json.JSONDecodeError | UnicodeDecodeError):
        return "protocol", (
            "the API sent an event that is not valid JSON; run it again, and check "
            f"ANTHROPIC_BASE_URL if it persists{kept}"
        )
    # The SDK asserts on event order (AssertionError, RuntimeError, IndexError, …).
    detail = " ".join(str(exc).split())[:120] or type(exc).__name__
    return "protocol", (
        f"the API's stream did not follow the Messages protocol ({type(exc).__name__}: "
        f"{detail}); run it again, and check ANTHROPIC_BASE_URL if it persists{kept}"
    )


def _status(exc: Any, settings: Settings, sent: str, kept: str) -> tuple[str, str]:
    import anthropic

    status = getattr(exc, "status_code", None)
    msg = _api_message(exc)
    kind = _error_type(exc)
    if status == 200:  # ``event: error`` in the middle of an answer that had started
        cause, fix = _ERROR_TYPES.get(kind, ("server", "try again"))
        named = "".join(c for c in kind if c.isprintable())[:40] or "an error"
        return cause, f"the API stopped the answer with {named} after {sent} ({msg}): {fix}{kept}"
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
            "rate limited (429) after {sent}: wait a minute, or raise PYT_ARCH_MAX_RETRIES "
            f"(now {settings.max_retries})",
        ),
    ]
    for kind_cls, cause, text in table:
        if isinstance(exc, kind_cls):
            return cause, text.format(msg=msg, sent=sent) + kept
    if status == 529 or kind == "overloaded_error":
        return "overloaded", (
            f"the API is overloaded ({status}) after {sent}: try again in a few minutes{kept}"
        )
    return "server", f"the API failed ({status}) after {sent}: {msg}{kept}"
