"""Settings for a backend that talks to a model, read from the environment (never a notebook).

Which variables hold the key and the base URL comes from the backend's entry in
:mod:`~pyt_arch_kit.backends.registry` (``ANTHROPIC_API_KEY`` for Claude, ``OPENAI_API_KEY`` for
OpenAI, …); the ``PYT_ARCH_*`` variables are shared by every backend.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from pyt_arch_kit.backends import registry
from pyt_arch_kit.errors import SettingsError

__all__ = ["Secret", "Settings", "shown_url"]

CASSETTE_MODES = ("auto", "record", "replay")


class Secret:
    """A string that never shows itself: not in repr, str, logs, tracebacks or pickles."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret itself, for the one place that needs it (the SDK client)."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Secret cannot be pickled")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def shown_url(url: str | None) -> str:
    """A URL as messages show it: any ``user:password@`` replaced, control characters escaped.

    Example:
        >>> shown_url("https://me:hunter2@proxy.example/v1")
        'https://…@proxy.example/v1'
    """
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        if "@" in parts.netloc:
            host = parts.netloc.rpartition("@")[2]
            url = urlunsplit(parts._replace(netloc=f"…@{host}"))
    except ValueError:
        url = "(an unparsable URL)"
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in url)


def _number(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(
            f"{name}={raw!r} is not a number; set it to a value between {low:g} and {high:g}"
        ) from None
    if not low <= value <= high:
        raise SettingsError(f"{name}={raw!r} is out of range; use {low:g} to {high:g}")
    return value


@dataclass(frozen=True)
class Settings:
    """How a backend that talks to a model runs.

    Attributes:
        api_key: the backend's key: ``ANTHROPIC_API_KEY`` for Claude, ``OPENAI_API_KEY`` for
            OpenAI (held as a :class:`Secret`).
        base_url: ``ANTHROPIC_BASE_URL`` for Claude, ``OPENAI_BASE_URL`` for OpenAI (the SDK's
            default if unset).
        model: ``PYT_ARCH_MODEL``: a model id or alias overriding the persona's ``model:``.
        max_tokens: ``PYT_ARCH_MAX_TOKENS`` (default 16,000): the answer's token limit.
        timeout_s: ``PYT_ARCH_TIMEOUT_S`` (default 600): the limit for a whole request, from
            sending it to the answer's last byte (a server that keeps a stream alive with
            pings, or trickles bytes, is stopped there too); no single read waits longer.
        max_retries: ``PYT_ARCH_MAX_RETRIES`` (default 3): the SDK's retries on 429/529/5xx.
        cassette: ``PYT_ARCH_CASSETTE``: a file to record exchanges to and replay them from.
        cassette_mode: ``PYT_ARCH_CASSETTE_MODE``: ``auto`` (replay what is recorded, record the
            rest when a key is set), ``record`` (always call and record) or ``replay`` (never
            call; an unrecorded request fails with its fingerprint).
        backend: the backend these settings are for (its registry entry names the variables
            of the key and the base URL).
    """

    api_key: Secret | None = None
    base_url: str | None = None
    model: str | None = None
    max_tokens: int = 16_000
    timeout_s: float = 600.0
    max_retries: int = 3
    cassette: Path | None = None
    cassette_mode: str = "auto"
    backend: str = "claude"

    @property
    def key_env(self) -> str:
        """The variable the key is read from (named in messages), e.g. ``ANTHROPIC_API_KEY``."""
        return registry.spec(self.backend).key_env or "the API key"

    @property
    def base_url_env(self) -> str:
        """The variable the base URL is read from, e.g. ``ANTHROPIC_BASE_URL``."""
        return registry.spec(self.backend).base_url_env or "the base URL"

    @property
    def protocol(self) -> str:
        """The name of the backend's streaming protocol, e.g. ``Messages``."""
        return registry.spec(self.backend).protocol or "streaming"

    def __repr__(self) -> str:
        return (
            f"Settings(api_key={self.api_key!r}, base_url={shown_url(self.base_url)!r}, "
            f"model={self.model!r}, max_tokens={self.max_tokens}, timeout_s={self.timeout_s:g}, "
            f"max_retries={self.max_retries}, cassette={self.cassette!r}, "
            f"cassette_mode={self.cassette_mode!r}, backend={self.backend!r})"
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, backend: str = "claude") -> Settings:
        """Read the settings from the environment.

        Args:
            env: the variables (default: ``os.environ``).
            backend: whose key and base URL to read (a name in the registry).

        Raises:
            SettingsError: for a value that is malformed or out of range, naming the variable.
        """
        env = os.environ if env is None else env
        entry = registry.spec(backend)
        key = (env.get(entry.key_env) or "").strip() if entry.key_env else ""
        base_url = (env.get(entry.base_url_env) or "").strip() if entry.base_url_env else ""
        mode = (env.get("PYT_ARCH_CASSETTE_MODE") or "auto").strip().lower()
        if mode not in CASSETTE_MODES:
            raise SettingsError(
                f"PYT_ARCH_CASSETTE_MODE={mode!r}; use one of {', '.join(CASSETTE_MODES)}"
            )
        cassette = (env.get("PYT_ARCH_CASSETTE") or "").strip()
        return cls(
            api_key=Secret(key) if key else None,
            base_url=base_url or None,
            model=(env.get("PYT_ARCH_MODEL") or "").strip() or None,
            max_tokens=int(_number(env, "PYT_ARCH_MAX_TOKENS", 16_000, 256, 128_000)),
            timeout_s=_number(env, "PYT_ARCH_TIMEOUT_S", 600.0, 1, 3600),
            max_retries=int(_number(env, "PYT_ARCH_MAX_RETRIES", 3, 0, 10)),
            cassette=Path(cassette) if cassette else None,
            cassette_mode=mode,
            backend=entry.name,
        )
