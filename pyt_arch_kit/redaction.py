"""Keeping secrets out of everything we show or write: by value, and by shape.

Redaction by shape (anything that looks like a registered backend's key, ``sk-ant-…``) misses a
key of another form (one typed into the workbench, a proxy's token), so the secrets actually in
use are also scrubbed by value: every key a backend was given (it calls :func:`remember`), the
key variables of every backend in :mod:`~pyt_arch_kit.backends.registry` (``ANTHROPIC_API_KEY``,
``ANTHROPIC_AUTH_TOKEN``, ``OPENAI_API_KEY``, …), and the credentials of their base URLs such as
``https://user:password@proxy`` (also as the ``Authorization: Basic`` value the HTTP client
makes of them). Each is also looked for percent-encoded and
JSON-escaped, the forms an echoing proxy or a log line would give it.

:class:`StreamRedactor` does the same for text that arrives in pieces: a secret split across two
pieces is held back until it can be scrubbed whole, so a live terminal never shows it either.

A secret is scrubbed whatever its length, by this rule:

- a value of :data:`MIN_LENGTH` (8) characters or more is scrubbed wherever it appears;
- a shorter one (a local server's ``hunter2``) is scrubbed wherever it stands as a whole token,
  not touching a letter or a digit (``key: hunter2``, ``Bearer hunter2``, ``"hunter2"``), so a
  short key does not mangle the words that contain it;
- a value under :data:`MIN_SHORT` (4) characters is a placeholder (``x`` for a local server that
  wants no key), not a secret anyone could keep: scrubbing it would mangle ordinary text, so it
  is left alone. The user name of a base URL is scrubbed only when it is 8 characters or more
  (``admin`` is no secret); its password follows the rule above.

Secrets are remembered in memory only, for the life of the process; nothing here is written.
"""

from __future__ import annotations

import base64
import json
import os
import re
import threading
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import quote, unquote, urlsplit

from pyt_arch_kit.backends import registry

__all__ = ["MARKER", "StreamRedactor", "redact", "remember", "secrets_in_use", "url_secrets"]

#: What a secret is replaced with: the same for every provider's key, and no key's shape.
MARKER = "[redacted]"
#: Values this long are scrubbed wherever they appear; shorter ones only as a whole token.
MIN_LENGTH = 8
#: Shorter values are placeholders, not secrets: they are not scrubbed (see the module's rule).
MIN_SHORT = 4

_SHAPE = registry.key_shapes()


def _tail(prefixes: list[str]) -> re.Pattern[str]:
    """The tail of a text that could still grow into a key-shaped run."""
    starts = {p[:n] for p in prefixes for n in range(1, len(p))}
    forms = [re.escape(s) for s in sorted(starts)]
    forms += [re.escape(p) + registry.KEY_CHARS + "*" for p in prefixes]
    return re.compile("(?:" + "|".join(forms) + r")\Z")


_SHAPE_TAIL = _tail([s.key_prefix for s in registry.BACKENDS if s.key_prefix])
_ENV = tuple(
    name for s in registry.BACKENDS for name in (s.key_env, *s.other_key_env) if name is not None
)
_URL_ENV = tuple(s.base_url_env for s in registry.BACKENDS if s.base_url_env)

_remembered: set[str] = set()
_lock = threading.Lock()


def url_secrets(url: str | None) -> list[str]:
    """The credentials in a URL's ``user:password@`` part: each, both, and as Basic auth."""
    if not url:
        return []
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return []
    found: list[str] = []
    userinfo = parts.netloc.rpartition("@")[0] if "@" in parts.netloc else ""
    if userinfo:
        user, _, password = userinfo.partition(":")
        plain = f"{unquote(user)}:{unquote(password)}"
        basic = base64.b64encode(plain.encode("utf-8")).decode("ascii")  # HTTP Basic auth
        found += [userinfo, plain, basic, basic.rstrip("="), password, unquote(password)]
        found += [u for u in (user, unquote(user)) if len(u) >= MIN_LENGTH]  # not `admin`
    return [s for s in found if s]


def remember(*values: str | None) -> None:
    """Scrub these values (keys, tokens, URL credentials) from everything shown or written."""
    with _lock:
        for value in values:
            value = (value or "").strip()
            if len(value) >= MIN_SHORT:
                _remembered.add(value)


def _variants(value: str) -> set[str]:
    forms = {value, quote(value, safe=""), json.dumps(value)[1:-1]}
    return {f for f in forms if len(f) >= MIN_SHORT}


def secrets_in_use(extra: Iterable[str] = ()) -> list[str]:
    """Every secret to scrub, in every form, longest first."""
    values = set(extra)
    with _lock:
        values |= _remembered
    for name in _ENV:
        values.add(os.environ.get(name, "").strip())
    for name in _URL_ENV:
        values.update(url_secrets(os.environ.get(name)))
    forms: set[str] = set()
    for value in values:
        if len(value) >= MIN_SHORT:
            forms |= _variants(value)
    return sorted(forms, key=lambda s: (-len(s), s))


@lru_cache(maxsize=256)
def _token(secret: str) -> re.Pattern[str]:
    """A short secret standing as a whole token (no letter or digit either side)."""
    return re.compile(r"(?<![^\W_])" + re.escape(secret) + r"(?![^\W_])")


def _by_value(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret in text:
            if len(secret) >= MIN_LENGTH:
                text = text.replace(secret, MARKER)
            else:
                text = _token(secret).sub(MARKER, text)
    return text


def redact(text: str, extra: Iterable[str] = ()) -> str:
    """``text`` with every secret in use, and anything shaped like a key, replaced.

    Args:
        text: what is about to be shown or written.
        extra: more secret values to scrub (e.g. a key held only by the caller).

    Example:
        >>> key = "sk-ant-" + "api03-abcdefghijklmnop"  # split so no key-like text is published
        >>> redact(f"key {key} end")
        'key [redacted] end'
        >>> redact("token=hunter2hunter2", extra=["hunter2hunter2"])
        'token=[redacted]'
        >>> redact("Bearer hunter2; hunter2s", extra=["hunter2"])  # short: whole tokens only
        'Bearer [redacted]; hunter2s'
    """
    return _SHAPE.sub(MARKER, _by_value(text, secrets_in_use(extra)))


class StreamRedactor:
    """Redacts text that arrives in pieces, holding back a tail that may be half a secret.

    ``"".join(r.feed(p) for p in pieces) + r.flush()`` equals ``redact("".join(pieces))``,
    except that a secret cut short at the very end of the text is scrubbed too.

    Args:
        extra: secret values to scrub besides those in use process-wide.
    """

    def __init__(self, extra: Iterable[str] = ()) -> None:
        self._secrets = secrets_in_use(extra)
        self._held = ""

    def _hold(self, text: str) -> int:
        """How many trailing characters could be the start of a secret or a key shape."""
        keep = 0
        for secret in self._secrets:
            tail = text[-(len(secret) - 1) :]  # (every secret has at least MIN_SHORT characters)
            at = tail.find(secret[0])
            while at != -1 and len(tail) - at > keep:
                if secret.startswith(tail[at:]):
                    keep = len(tail) - at
                    break
                at = tail.find(secret[0], at + 1)
        shape = _SHAPE_TAIL.search(text)
        if shape is not None:
            keep = max(keep, len(text) - shape.start())
        return keep

    def feed(self, piece: str) -> str:
        """The part of the text so far that is safe to show now."""
        text = self._held + piece
        # Scrub whole secrets first; a tail that may be the start of one waits for more text.
        text = _by_value(text, self._secrets)
        keep = self._hold(text)
        self._held = text[len(text) - keep :] if keep else ""
        return _SHAPE.sub(MARKER, text[: len(text) - keep])

    def flush(self) -> str:
        """The rest, at the end of the text (a secret cut short is scrubbed too)."""
        text, self._held = self._held, ""
        text = _SHAPE.sub(MARKER, _by_value(text, self._secrets))
        for secret in self._secrets:
            if len(text) >= MIN_LENGTH and secret.startswith(text):
                return MARKER
        return text
