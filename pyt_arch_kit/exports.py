"""Saving designs to files: Markdown or JSON, written atomically, never clobbering by accident.

Every write goes to a temporary file in the target's directory, is flushed to disk, and is then
published in one step: with a hard link (which fails if the target exists) when overwriting was
not asked for, or ``os.replace`` when it was. A failure half-way leaves neither a partial target
nor a stray temporary file. Nothing that looks like an Anthropic API key is ever written.

A path that cannot be written (missing or read-only folder, a file where a folder should be, a
name too long, a NUL byte) is a :class:`~pyt_arch_kit.errors.SettingsError` whose one-line message
names the path and the fix; no bare ``OSError`` or ``ValueError`` escapes. Files get the mode a
plain ``open(path, "w")`` would give them: ``0o666`` less the process umask.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> from pyt_arch_kit import Architect, preset
    >>> design = Architect().design(preset("io-bound-api"))
    >>> folder = Path(tempfile.mkdtemp())
    >>> export_design(design, folder / "orders.md").name
    'orders.md'
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import secrets
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

from pyt_arch_kit import redaction
from pyt_arch_kit.design import Design
from pyt_arch_kit.errors import ExportError, PytArchError, SettingsError
from pyt_arch_kit.files import not_regular, shown_path
from pyt_arch_kit.markup import cell, inline

__all__ = ["FORMATS", "RunLike", "export_design", "export_runs", "redact", "write_atomically"]

#: File suffixes :func:`export_design` understands, and the format each one means.
FORMATS: dict[str, str] = {".md": "markdown", ".json": "json", ".html": "html"}

_REDACTED = redaction.MARKER


class RunLike(Protocol):
    """What :func:`export_runs` reads from a run of the workbench (``form.runs``)."""

    @property
    def requirements(self) -> Any: ...
    @property
    def plan(self) -> Any: ...
    @property
    def design(self) -> Design | None: ...
    @property
    def error(self) -> str: ...
    @property
    def backend(self) -> str: ...
    @property
    def usage(self) -> Any: ...
    @property
    def text(self) -> str: ...
    @property
    def state(self) -> str:
        """``done``, ``stopped``, ``incomplete`` or ``failed`` (the workbench's ``Run.state``)."""
        ...


def redact(text: str) -> str:
    """Replace the secrets in use (by value) and anything shaped like an API key with a marker.

    See :mod:`pyt_arch_kit.redaction`: the key a backend was given, ``ANTHROPIC_API_KEY`` and
    base-URL credentials are scrubbed whatever their form.

    Example:
        >>> key = "sk-ant-" + "api03-abcdefghijklmnop"  # split so no key-like text is published
        >>> redact(f"key {key} end")
        'key sk-ant-…[redacted] end'
    """
    return redaction.redact(text)


def _shown(path: Path) -> str:
    """The path for a one-line message: control characters (a NUL, a newline) escaped."""
    return shown_path(path)


def _cannot_write(path: Path, exc: OSError | ValueError) -> SettingsError:
    """The error for a path the operating system refuses, naming the path, the reason, the fix."""
    reason = (exc.strerror if isinstance(exc, OSError) else None) or str(exc)
    reason = " ".join(reason.split()) or type(exc).__name__
    return SettingsError(f"{_shown(path)}: cannot write here ({reason}); choose another path")


def write_atomically(
    path: str | Path,
    text: str,
    *,
    overwrite: bool = False,
    fix: str = "pass overwrite=True to replace it, or choose another name",
) -> Path:
    """Write ``text`` to ``path`` all at once: readers see the old file or the new, never half.

    Args:
        path: the file to write; its directory must exist.
        text: the content (UTF-8); anything that looks like an API key is redacted first.
        overwrite: replace an existing file; otherwise an existing file is left as it is.
        fix: what the error message tells the user to do when the file exists.

    Returns:
        The path written.

    Raises:
        ExportError: if the file exists and ``overwrite`` is false.
        SettingsError: if the directory is missing or the file cannot be written.
    """
    dest = Path(path)
    try:
        _write(dest, redact(text).encode("utf-8"), overwrite=overwrite, fix=fix)
    except PytArchError:
        raise
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte or an unencodable name
        raise _cannot_write(dest, exc) from None
    _sync_folder(dest.parent)
    return dest


def _write(dest: Path, data: bytes, *, overwrite: bool, fix: str) -> None:
    try:
        folder = dest.parent.stat()
    except FileNotFoundError:
        raise SettingsError(
            f"{_shown(dest)}: the folder {_shown(dest.parent)} does not exist; "
            "create it or choose another path"
        ) from None
    if not stat.S_ISDIR(folder.st_mode):
        raise SettingsError(
            f"{_shown(dest)}: {_shown(dest.parent)} is a file, not a folder; choose another path"
        )
    if dest.is_dir():
        raise SettingsError(
            f"{_shown(dest)} is a folder; give a file name such as {_shown(dest / 'design.md')}"
        )
    kind = not_regular(dest)
    if kind is not None:  # never replace a FIFO, a socket or a device node with a file
        raise SettingsError(
            f"{_shown(dest)} is {kind}, not a regular file; only regular files are replaced: "
            "choose a file path"
        )
    if dest.exists() and not overwrite:
        raise ExportError(f"{_shown(dest)} exists; {fix}")
    fd, tmp = _open_temp(dest)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        _publish(tmp, dest, overwrite=overwrite, fix=fix)
    finally:
        tmp.unlink(missing_ok=True)


def _open_temp(dest: Path) -> tuple[int, Path]:
    """Create and open a new temporary file next to ``dest``.

    The file is created with mode ``0o666`` (as ``open(path, "w")`` does) so the kernel applies
    the process umask, and any default ACL, atomically: the published file ends up ``0o644``
    under the usual umask 022. ``tempfile.mkstemp`` would create it ``0o600`` whatever the umask,
    and reading the umask to correct that means ``os.umask(0)`` then restoring it, which is
    process-wide and would let another thread create a file with no umask in between.

    The temporary name keeps at most 64 characters of ``dest``'s name, so a name near the file
    system's limit (255 bytes) can still be written.
    """
    flags = (
        os.O_WRONLY
        | os.O_CREAT
        | os.O_EXCL
        | getattr(os, "O_CLOEXEC", 0)
        | getattr(os, "O_NOFOLLOW", 0)
        | getattr(os, "O_BINARY", 0)
    )
    stem = dest.name[:64]
    for _ in range(100):
        tmp = dest.with_name(f".{stem}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(dest.parent))


def _publish(tmp: Path, dest: Path, *, overwrite: bool, fix: str) -> None:
    """Move the finished temporary file into place (no-clobber unless ``overwrite``)."""
    if overwrite:
        tmp.replace(dest)
        return
    try:
        os.link(tmp, dest)  # atomic, and fails if dest exists
        return
    except FileExistsError:
        raise ExportError(f"{_shown(dest)} exists; {fix}") from None
    except OSError as exc:
        if exc.errno not in {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV}:
            raise
    # No hard links on this file system: claim the name exclusively, then replace it in one step.
    try:
        os.close(os.open(dest, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
    except FileExistsError:
        raise ExportError(f"{_shown(dest)} exists; {fix}") from None
    tmp.replace(dest)


def _sync_folder(folder: Path) -> None:
    """Flush the directory entry too, where the platform allows it."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _format_of(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        choices = ", ".join(FORMATS)
        raise SettingsError(
            f"{path}: cannot tell the format from the suffix '{path.suffix}'; end the name "
            f"with one of {choices}"
        )
    return fmt


def _render(design: Design, fmt: str, extra: dict[str, Any] | None = None) -> str:
    if fmt == "html":
        return design.to_html()
    if fmt == "json":
        data = design.to_dict()
        if extra:
            data.update(extra)
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return design.to_markdown()


def export_design(design: Design, path: str | Path, *, overwrite: bool = False) -> Path:
    """Save a design as Markdown (``.md``), JSON (``.json``) or one HTML file (``.html``).

    The suffix picks the format; ``.html`` is the self-contained report of
    [`design_html`][pyt_arch_kit.report.design_html].

    Args:
        design: the design to save (an incomplete one is saved with its note).
        path: where to write it; the suffix picks the format.
        overwrite: replace an existing file (otherwise an existing file is an error).

    Returns:
        The path written.

    Raises:
        ExportError: if the file exists and ``overwrite`` is false.
        SettingsError: for an unknown suffix or a folder that does not exist.
    """
    dest = Path(path)
    return write_atomically(dest, _render(design, _format_of(dest)), overwrite=overwrite)


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:40].rstrip("-") or "design"


def _run_design(run: RunLike) -> tuple[Design, str]:
    """The run's design (a stand-in keeping the text for a failed run) and its state."""
    design = run.design
    if design is not None:
        return design, run.state
    title = getattr(run.requirements, "name", None) or "untitled system"
    stand_in = Design(
        title=str(title),
        text=getattr(run, "text", "") or "",
        plan=run.plan,
        backend=run.backend,
        complete=False,
        stop_reason="failed",
    )
    return stand_in, run.state


def _run_markdown(design: Design, run: RunLike, status: str) -> str:
    text = design.to_markdown()
    if not run.error:
        return text
    head, _, rest = text.partition("\n\n")
    note = f"> **Run {status}**: " + inline(run.error)
    return f"{head}\n\n{note}\n\n{rest}"


def export_runs(
    runs: Iterable[RunLike], directory: str | Path, *, overwrite: bool = False
) -> list[Path]:
    """Save every run of a workbench session: each as Markdown and JSON, plus an index.

    Failed, stopped and incomplete runs are kept with whatever text arrived, marked with the
    run's state (``done``, ``stopped``, ``incomplete`` or ``failed``, as ``Run.state`` has it).

    Args:
        runs: the runs, oldest first (``form.runs``).
        directory: the folder to write into (created if missing).
        overwrite: replace files from an earlier export; otherwise nothing is written if any
            of the files exists.

    Returns:
        The paths written: per run ``run-NN-<name>.md`` and ``.json``, then ``index.md`` and
        ``index.json``.

    Raises:
        ExportError: if a file exists and ``overwrite`` is false (nothing is written then).
        SettingsError: if the folder cannot be created or written.
    """
    folder = Path(directory)
    try:
        if folder.exists() and not folder.is_dir():
            raise SettingsError(
                f"{_shown(folder)} is a file; give a folder to export the runs into"
            )
        folder.mkdir(parents=True, exist_ok=True)
    except PytArchError:
        raise
    except (OSError, ValueError) as exc:
        raise _cannot_write(folder, exc) from None
    planned: list[tuple[Path, str]] = []
    index_rows: list[dict[str, Any]] = []
    for number, run in enumerate(runs, 1):
        design, status = _run_design(run)
        title = redact(design.title).replace(_REDACTED, "redacted")  # no key in a file name
        stem = f"run-{number:02d}-{_slug(title)}"
        usage = run.usage
        summary = usage.summary() if usage is not None else ""
        meta = {"number": number, "status": status, "backend": run.backend, "error": run.error}
        planned.append((folder / f"{stem}.md", _run_markdown(design, run, status)))
        planned.append((folder / f"{stem}.json", _render(design, "json", {"run": meta})))
        index_rows.append({**meta, "title": design.title, "usage": summary, "stem": stem})
    planned.append((folder / "index.md", _index_markdown(index_rows)))
    planned.append(
        (folder / "index.json", json.dumps({"runs": index_rows}, indent=2, ensure_ascii=False))
    )
    try:
        clash = [p for p, _ in planned if p.exists()]
    except OSError as exc:
        raise _cannot_write(folder, exc) from None
    if clash and not overwrite:
        more = f" and {len(clash) - 1} more" if len(clash) > 1 else ""
        raise ExportError(
            f"{_shown(clash[0])}{more} exist; pass overwrite=True or export into an empty folder"
        )
    return [write_atomically(p, text, overwrite=overwrite) for p, text in planned]


def _index_markdown(rows: Sequence[dict[str, Any]]) -> str:
    lines = [
        "# Design runs",
        "",
        f"{len(rows)} run(s), oldest first.",
        "",
        "| # | system | backend | status | usage | files |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        title = cell(str(r["title"]))
        status = cell(r["status"] + (" — " + str(r["error"]) if r["error"] else ""))
        files = f"[md]({r['stem']}.md) · [json]({r['stem']}.json)"
        lines.append(
            f"| {r['number']} | {title} | {r['backend']} | {status} | {r['usage']} | {files} |"
        )
    return "\n".join(lines) + "\n"
