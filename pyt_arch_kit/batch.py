"""Many designs at once through the Message Batches API (half the price, results in minutes).

A batch runs for minutes to hours, and it is paid for whether or not anyone collects it. So
:func:`design_many` records the batch's id the moment the API accepts it, before it waits:

- it is **shown** at once (a line on stderr, or your ``on_submit``),
- it is **saved** in a ledger of batches beside the rest of the kit's state
  (``$PYT_ARCH_STATE_DIR/batches.jsonl``, by default ``~/.local/state/pyt_arch_kit/``), with the
  fingerprints of the requests it holds, and
- it is **returned** on the results (``results.batch_id``) and carried by any error raised
  after submission, Ctrl-C included.

A later call collects it without paying again: ``design_many(variants, batch_id="msgbatch_…")``
with the same variants; :func:`pending_batches` lists the batches submitted but not collected.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pyt_arch_kit._optional import require
from pyt_arch_kit.architect import Architect, RequirementsLike
from pyt_arch_kit.backends.claude import ClaudeBackend
from pyt_arch_kit.cassette import fingerprint
from pyt_arch_kit.design import Design
from pyt_arch_kit.errors import BackendError, SettingsError
from pyt_arch_kit.files import read_bounded, shown_path
from pyt_arch_kit.persona import Persona
from pyt_arch_kit.settings import Settings

__all__ = ["BatchResults", "design_many", "ledger_path", "pending_batches"]

Progress = Callable[[dict[str, Any]], None]
_MAX_LEDGER_BYTES = 16 * 1024 * 1024


class BatchResults(list[Design | BackendError]):
    """The results of :func:`design_many`, in input order, with the batch they came from.

    Attributes:
        batch_id: the Message Batch's id (``msgbatch_…``).
    """

    batch_id: str = ""


def ledger_path() -> Path:
    """Where submitted batches are recorded: ``$PYT_ARCH_STATE_DIR/batches.jsonl``.

    ``PYT_ARCH_STATE_DIR`` defaults to ``$XDG_STATE_HOME/pyt_arch_kit``, which defaults to
    ``~/.local/state/pyt_arch_kit``.
    """
    state = os.environ.get("PYT_ARCH_STATE_DIR", "").strip()
    if state:
        return Path(state) / "batches.jsonl"
    xdg = os.environ.get("XDG_STATE_HOME", "").strip()
    base = Path(xdg) if xdg else Path.home() / ".local" / "state"
    return base / "pyt_arch_kit" / "batches.jsonl"


def _record(ledger: Path, entry: dict[str, Any]) -> None:
    """Append one line to the ledger, whole, under a lock (several kernels may submit)."""
    line = (json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
    ledger.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(
        ledger, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600
    )
    try:
        with contextlib.suppress(ImportError, OSError):
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def _entries(ledger: Path) -> list[dict[str, Any]]:
    try:
        raw = read_bounded(ledger, limit=_MAX_LEDGER_BYTES).decode("utf-8", "replace")
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise SettingsError(
            f"the batch ledger {shown_path(ledger)} cannot be read: {exc}"
        ) from None
    found = []
    for line in raw.splitlines():
        with contextlib.suppress(ValueError):
            entry = json.loads(line)
            if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                found.append(entry)
    return found


def pending_batches(ledger: str | Path | None = None) -> list[dict[str, Any]]:
    """The batches submitted but not collected yet, oldest first.

    Each is the ledger's record: ``id``, ``submitted`` (UTC time), ``count``, ``names`` (the
    systems in it), ``model`` and ``fingerprints`` (of the requests, in order).
    """
    entries = _entries(Path(ledger) if ledger else ledger_path())
    done = {e["id"] for e in entries if e.get("state") == "collected"}
    return [e for e in entries if e.get("state") == "submitted" and e["id"] not in done]


def _announce(batch_id: str, count: int, ledger: Path) -> None:
    print(
        f"pyt-arch: batch {batch_id} submitted ({count} designs), recorded in "
        f"{shown_path(ledger)}; if this stops, collect it with "
        f"design_many(variants, batch_id={batch_id!r})",
        file=sys.stderr,
        flush=True,
    )


def design_many(
    variants: Sequence[RequirementsLike],
    *,
    persona: Persona | str | Path | None = None,
    model: str | None = None,
    settings: Settings | None = None,
    poll_interval_s: float = 10.0,
    on_progress: Progress | None = None,
    batch_id: str | None = None,
    on_submit: Callable[[str], None] | None = None,
    ledger: str | Path | None = None,
) -> BatchResults:
    """Design every variant in one Message Batch and return the results in input order.

    A variant that failed comes back as a :class:`BackendError` in its place (not raised), so
    one bad item does not lose the others.

    Args:
        variants: requirements (objects, mappings or file paths), e.g. a load sweep.
        persona: the persona (default ``pyt-arch``).
        model: a model id or alias overriding the persona's.
        settings: Claude settings (default: from the environment).
        poll_interval_s: seconds between status polls.
        on_progress: called after each poll with the batch's request counts.
        batch_id: collect this batch (submitted earlier for the same variants) instead of
            submitting a new one.
        on_submit: called with the new batch's id as soon as it is accepted (default: a line
            on stderr saying how to collect it later).
        ledger: where to record the batch (default :func:`ledger_path`).

    Returns:
        The designs (or errors) in input order; ``.batch_id`` names the batch.

    Raises:
        BackendError: if the batch cannot be submitted, polled or collected (no key, auth,
            network); once submitted, the message names the batch id to collect it with.
        SettingsError: if ``batch_id`` was submitted for other requirements.
    """
    backend = ClaudeBackend(settings or Settings.from_env(), model=model)
    backend.require_sdk()  # a missing SDK is named before a missing key
    architect = Architect(backend=backend, persona=persona)
    requests = [architect.request(v) for v in variants]
    bodies = [backend.body(r) for r in requests]
    prints = [fingerprint(b) for b in bodies]
    where = Path(ledger) if ledger else ledger_path()
    backend.require_key()  # a batch is always sent: a cassette does not answer one
    client = backend.client()
    require("anthropic", for_="design_many (the Message Batches API)")
    import anthropic

    submitted = batch_id
    try:
        if batch_id is None:
            batch = client.messages.batches.create(
                requests=[
                    {"custom_id": f"item-{i}", "params": body} for i, body in enumerate(bodies)
                ]
            )
            submitted = batch.id
            _record(
                where,
                {
                    "id": batch.id,
                    "state": "submitted",
                    "submitted": datetime.now(UTC).isoformat(timespec="seconds"),
                    "count": len(bodies),
                    "names": [r.requirements.name for r in requests],
                    "model": bodies[0]["model"] if bodies else "",
                    "fingerprints": prints,
                },
            )
            (on_submit or (lambda i: _announce(i, len(bodies), where)))(batch.id)
        else:
            _same_requests(batch_id, prints, where)
            batch = client.messages.batches.retrieve(batch_id)
        while batch.processing_status != "ended":
            if on_progress is not None:
                on_progress(batch.request_counts.to_dict())
            time.sleep(poll_interval_s)
            batch = client.messages.batches.retrieve(batch.id)
        if on_progress is not None:
            on_progress(batch.request_counts.to_dict())
        results = {r.custom_id: r.result for r in client.messages.batches.results(batch.id)}
    except anthropic.AnthropicError as exc:
        error = backend.explain(exc)
        if batch_id is not None and isinstance(exc, anthropic.NotFoundError):
            raise _unknown(batch_id, where) from None
        if submitted:
            kept = (
                f"batch {submitted} is recorded in {shown_path(where)}"
                if _recorded(submitted, where)
                else f"batch {submitted} may still be running"
            )
            raise BackendError(
                f"{error}; {kept}: collect it with design_many(variants, batch_id={submitted!r})",
                cause=error.cause,
            ) from None
        raise error from None
    except KeyboardInterrupt as exc:
        if submitted:
            exc.add_note(
                f"batch {submitted} is still yours: collect it with "
                f"design_many(variants, batch_id={submitted!r})"
            )
        raise
    out = BatchResults(_designs(backend, requests, bodies, results))
    out.batch_id = batch.id
    _record(where, {"id": batch.id, "state": "collected", "count": len(out)})
    return out


def _recorded(batch_id: str, ledger: Path) -> bool:
    """Whether the ledger holds this batch's submission."""
    with contextlib.suppress(SettingsError):
        return any(e["id"] == batch_id and e.get("state") == "submitted" for e in _entries(ledger))
    return False


def _unknown(batch_id: str, ledger: Path) -> BackendError:
    """The API knows no batch by this id: say so, and where the known ones are listed."""
    shown = "".join(c for c in batch_id if c.isprintable())[:80]
    where = (
        f"it is in {shown_path(ledger)}, so the API may have deleted it (results are kept 29 days)"
        if _recorded(batch_id, ledger)
        else f"pending_batches() lists the batches recorded in {shown_path(ledger)}"
    )
    return BackendError(
        f"no batch {shown!r} was found with this key (404): check the id; {where}",
        cause="bad_request",
    )


def _same_requests(batch_id: str, prints: list[str], ledger: Path) -> None:
    """Refuse to collect a recorded batch for requirements other than the ones it holds."""
    recorded = next(
        (e for e in _entries(ledger) if e["id"] == batch_id and e.get("state") == "submitted"),
        None,
    )
    if recorded is not None and recorded.get("fingerprints") != prints:
        names = ", ".join(str(n) for n in recorded.get("names", []))[:200]
        raise SettingsError(
            f"batch {batch_id} was submitted for other requirements ({names}); pass the same "
            "variants, in the same order, to collect it"
        )


def _designs(
    backend: ClaudeBackend,
    requests: list[Any],
    bodies: list[dict[str, Any]],
    results: dict[str, Any],
) -> list[Design | BackendError]:
    out: list[Design | BackendError] = []
    for i, (request, body) in enumerate(zip(requests, bodies, strict=True)):
        result: Any = results.get(f"item-{i}")
        if result is None or result.type != "succeeded":
            kind = _one_line(str(getattr(result, "type", "missing")))
            detail = _one_line(backend.scrub(_error_text(result)))
            out.append(
                BackendError(
                    f"item {i} ({request.requirements.name}): {kind}"
                    + (f": {detail}" if detail else ""),
                    cause="batch",
                )
            )
            continue
        message = result.message
        text = backend.scrub("".join(b.text for b in message.content if b.type == "text"))
        usage = backend.batch_usage(body["model"], message.usage)
        out.append(
            backend.design_from(request, text, message.stop_reason, usage, model=body["model"])
        )
    return out


def _one_line(text: str, limit: int = 300) -> str:
    """Text from the API as one line of printable characters (no escape sequences)."""
    text = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _error_text(result: Any) -> str:
    error = getattr(result, "error", None)
    inner = getattr(error, "error", None)
    message = getattr(inner, "message", None)
    return str(message) if message else ""
