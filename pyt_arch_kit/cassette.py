"""Record model exchanges to a file and replay them with no key and no network.

This is the transport-neutral core of record/replay; the HTTP adapter that sits under the SDKs
is :mod:`pyt_arch_kit.backends.transport`. A request is known by the :func:`fingerprint` of its
JSON body (never its headers, so never a key). An answer is kept in no provider's wire format:
each provider's :class:`WireCodec` reads its streamed answer into an exchange as it passes
(:class:`Recorder`), and writes the exchange back as the bytes its SDK expects on replay
(:class:`Tape`), so a replay goes through the same SDK and the same streaming loop as a live
answer. The text recorded is redacted like everything shown (a key echoed by a proxy, even split
across events, is scrubbed before it is written).

A cassette is JSON: ``{"version": 1, "exchanges": {fingerprint: exchange}, "note": "…"}``, each
exchange ``{"model", "chunks", "stop_reason", "usage"}`` (the stop reason in the kit's
vocabulary, e.g. ``end_turn`` or ``max_tokens``, whichever provider answered; cassettes
recorded before providers were pluggable have the same form and still replay). It is read with a
size cap, regular files only, and validated against that schema before anything is replayed: a
hand-edited or damaged cassette (a ``chunks`` string, a mistyped or extra ``usage`` field, deep
nesting, a 5,000-digit number, bytes that are not UTF-8) is one line naming the cassette, the
field and the fix, never a traceback and never a replay of something else.

Recording is safe when several designs record at once (threads, processes, pytest-xdist
workers): each write holds an exclusive lock on a small ``.<name>.lock`` file beside the cassette
(``fcntl.flock``), re-reads the cassette, adds its exchange and replaces the file atomically, so
every exchange is kept and a reader sees the old file or the new, never half of one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from pyt_arch_kit.errors import BackendError
from pyt_arch_kit.files import FileRefusedError, not_regular, read_bounded, shown_path
from pyt_arch_kit.redaction import StreamRedactor

try:  # POSIX; elsewhere only threads in this process are kept apart
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "MAX_CASSETTE_BYTES",
    "Cassette",
    "MissError",
    "Recorder",
    "Tape",
    "WireCodec",
    "fingerprint",
]

#: The largest cassette read (a recorded design is tens of kilobytes).
MAX_CASSETTE_BYTES = 64 * 1024 * 1024

_FIX = "delete it (or restore it from version control) to record again"
_thread_lock = threading.Lock()

Tokens = Annotated[int, Field(ge=0, le=10**12)]
Fingerprint = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{24}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)


class _Usage(_Strict):
    input_tokens: Tokens = 0
    output_tokens: Tokens = 0
    cache_creation_input_tokens: Tokens = 0
    cache_read_input_tokens: Tokens = 0
    cost_usd: Annotated[float, Field(ge=0, le=10**9)] | None = None


class _Exchange(_Strict):
    model: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    chunks: list[str]
    stop_reason: Annotated[str, StringConstraints(max_length=100)] | None
    usage: _Usage = Field(default_factory=_Usage)


class _File(_Strict):
    version: Literal[1] = 1
    exchanges: dict[Fingerprint, _Exchange] = Field(default_factory=dict)
    note: Annotated[str, StringConstraints(max_length=4000)] | None = None


def fingerprint(body: dict[str, Any], extra: tuple[str, ...] = ()) -> str:
    """A stable id of a request body: the model, system prompt, messages and token limit, and
    the ``extra`` fields a provider names (e.g. ``max_completion_tokens``).

    Headers (and so the key) never enter it, nor fields an SDK adds on its own, so an SDK
    upgrade does not orphan a cassette. A Claude request's id is the same as before other
    providers were added.
    """
    canonical = {k: body.get(k) for k in ("model", "system", "messages", "max_tokens")}
    canonical |= {k: body.get(k) for k in extra if k not in canonical}
    raw = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:24]


class Cassette:
    """A JSON file of recorded exchanges keyed by request fingerprint."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def _broken(self, why: str) -> BackendError:
        return BackendError(f"cassette {shown_path(self.path)} {why}; {_FIX}", cause="cassette")

    def _load(self) -> dict[str, Any]:
        """The cassette's data, validated; an empty cassette if the file does not exist."""
        try:
            raw = read_bounded(self.path, limit=MAX_CASSETTE_BYTES)
        except FileNotFoundError:
            return {"version": 1, "exchanges": {}}
        except FileRefusedError as exc:
            raise BackendError(
                f"cassette {shown_path(self.path)} {exc}; point PYT_ARCH_CASSETTE at a JSON file",
                cause="cassette",
            ) from None
        except (OSError, ValueError) as exc:
            raise self._broken(f"cannot be read ({exc.__class__.__name__})") from None
        try:
            data = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise self._broken("is not UTF-8 text") from None
        except json.JSONDecodeError as exc:
            raise self._broken(f"cannot be read (not JSON at line {exc.lineno})") from None
        except RecursionError:
            raise self._broken("cannot be read (nested too deeply)") from None
        except ValueError:  # a number with thousands of digits
            raise self._broken("cannot be read (a number has too many digits)") from None
        try:
            checked = _File.model_validate(data)
        except ValidationError as exc:
            raise self._broken(f"is not a pyt_arch_kit cassette ({_first(exc)})") from None
        return checked.model_dump(exclude={"note"} if checked.note is None else set())

    def get(self, key: str) -> dict[str, Any] | None:
        """The recorded exchange for a fingerprint, if any (validated: see the module)."""
        found = self._load()["exchanges"].get(key)
        return dict(found) if isinstance(found, dict) else None

    def put(self, key: str, exchange: dict[str, Any]) -> None:
        """Record an exchange: under the cassette's lock, re-read, add, replace atomically.

        Raises:
            BackendError: if the cassette is not a regular file, is damaged, or cannot be
                written (``cause="cassette"``).
        """
        try:
            entry = _Exchange.model_validate(exchange).model_dump()
        except ValidationError as exc:
            raise self._broken(f"cannot record this exchange ({_first(exc)})") from None
        kind = not_regular(self.path)
        if kind is not None:
            raise BackendError(
                f"cassette {shown_path(self.path)} is {kind}, not a regular file; point "
                "PYT_ARCH_CASSETTE at a JSON file",
                cause="cassette",
            )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._locked():
                data = self._load()
                data["exchanges"][key] = entry
                self._replace(data)
        except OSError as exc:
            why = exc.strerror or type(exc).__name__
            raise self._broken(f"cannot be written ({why})") from None

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the cassette's lock (threads and processes) for a read-modify-write."""
        lock_path = self.path.with_name(f".{self.path.name}.lock")
        with _thread_lock:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
            try:
                if fcntl is not None:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)  # releases the lock

    def _replace(self, data: dict[str, Any]) -> None:
        fd, tmp = tempfile.mkstemp(
            dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp"
        )
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=1, ensure_ascii=False, sort_keys=True)
                handle.write("\n")
                handle.flush()
                os.fsync(handle.fileno())
            Path(tmp).replace(self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _first(exc: ValidationError) -> str:
    """The first problem of a validation error, on one line: where, and what."""
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"])[:80] or "the top level"
    what = " ".join(str(err["msg"]).split())[:100]
    more = exc.error_count() - 1
    return f"{shown_path(where)}: {what}" + (f"; {more} more" if more else "")


# -- the tape: record and replay through a provider's wire format ------------------------------
#: The most of an answer's body a recording holds; a longer answer is streamed but not recorded.
MAX_RECORDED_BYTES = 16 * 1024 * 1024


class WireCodec(Protocol):
    """A provider's streamed answer, as a cassette sees it.

    Attributes:
        path: the end of the URL path of the streamed request (``/v1/messages``).
        content_type: the media type of a streamed answer (``text/event-stream``).
        keys: request fields that change the answer, besides the model, system prompt,
            messages and ``max_tokens`` (they enter the fingerprint).
    """

    path: str
    content_type: str
    keys: tuple[str, ...]

    def encode(self, exchange: dict[str, Any]) -> Iterator[bytes]:
        """A recorded exchange as the bytes of the provider's streamed answer."""
        ...

    def decode(self, events: list[tuple[str, str]]) -> dict[str, Any] | None:
        """The exchange in a streamed answer's ``(event, data)`` pairs, if it finished."""
        ...


class MissError(BackendError):
    """A request the cassette cannot answer while nothing may be sent."""


class Tape:
    """A cassette played through a provider's wire format: the core of the HTTP adapters.

    Args:
        cassette: the file.
        codec: the provider's wire format.
        mode: ``auto``, ``record`` or ``replay`` (see :class:`~pyt_arch_kit.settings.Settings`).
        key_env: the variable a key is read from (named in the message for an unrecorded
            request).
        secrets: secret values to scrub from what is recorded (besides those in use).
    """

    def __init__(
        self,
        cassette: Cassette,
        codec: WireCodec,
        *,
        mode: str = "auto",
        key_env: str = "the API key",
        secrets: list[str] | None = None,
    ) -> None:
        self.cassette = cassette
        self.codec = codec
        self.mode = mode
        self._key_env = key_env
        self._secrets = list(secrets or [])

    def handles(self, method: str, path: str) -> bool:
        """Whether a request is a streamed answer this tape records and replays."""
        return method == "POST" and path.rstrip("/").endswith(self.codec.path)

    def key_of(self, content: bytes) -> str:
        """The fingerprint of a request's JSON body (its headers never enter it)."""
        try:
            body = json.loads(content.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            body = None
        if not isinstance(body, dict):
            return hashlib.sha256(content).hexdigest()[:24]
        return fingerprint(body, self.codec.keys)

    def answer(self, key: str) -> Iterator[bytes] | None:
        """The recorded answer's bytes, or ``None`` (always ``None`` in record mode)."""
        if self.mode == "record":
            return None
        recorded = self.cassette.get(key)
        return None if recorded is None else self.codec.encode(recorded)

    def miss(self, key: str) -> MissError:
        """The error for a request with no recorded answer, when nothing may be sent."""
        return MissError(
            f"no recorded answer for request {key} in {shown_path(self.cassette.path)}; record "
            f"it once with a key ({self._key_env} set, PYT_ARCH_CASSETTE_MODE=auto or record); "
            "nothing was sent",
            cause="cassette",
        )

    def recorder(self, key: str) -> Recorder:
        """Something to feed an answer's bytes as they arrive; it records a finished answer."""
        return Recorder(self, key)


class Recorder:
    """Reads a streamed answer as it passes and records it once, if it finished."""

    def __init__(self, tape: Tape, key: str) -> None:
        self._tape = tape
        self._key = key
        self._buffer = b""
        self._size = 0
        self._events: list[tuple[str, str]] = []
        self._done = False

    def feed(self, chunk: bytes) -> None:
        """Take the next bytes of the answer."""
        if self._done:
            return
        self._size += len(chunk)
        if self._size > MAX_RECORDED_BYTES:
            self._done = True  # too long to record: it still streams, unrecorded
            return
        self._buffer += chunk
        *blocks, self._buffer = self._buffer.replace(b"\r\n", b"\n").split(b"\n\n")
        self._events += [e for e in (_event(b) for b in blocks) if e is not None]

    def finish(self) -> None:
        """The answer ended (read to the end, or closed): record it if it finished.

        Raises:
            BackendError: if the cassette cannot be written (``cause="cassette"``).
        """
        if self._done:
            return
        self._done = True
        tail = _event(self._buffer)
        events = self._events + ([tail] if tail is not None else [])
        try:
            exchange = self._tape.codec.decode(events)
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
            return  # a stream that breaks the protocol is not recorded
        if exchange is None or exchange.get("stop_reason") is None:
            return
        scrub = StreamRedactor(self._tape._secrets)
        chunks = [scrub.feed(str(c)) for c in exchange["chunks"]]
        rest = scrub.flush()
        if rest:
            chunks.append(rest)
        self._tape.cassette.put(self._key, {**exchange, "chunks": [c for c in chunks if c]})


def _event(block: bytes) -> tuple[str, str] | None:
    """One server-sent event's ``(event, data)``; ``None`` for a comment or an empty block."""
    name, data = "", []
    for line in block.decode("utf-8", "replace").split("\n"):
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "event":
            name = value
        elif field == "data":
            data.append(value)
    return (name, "\n".join(data)) if data else None
