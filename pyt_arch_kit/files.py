"""Files a user names: read with a size cap, regular files only, names shown on one line.

A requirements file, an agent file or a cassette named by mistake (``/dev/zero``, a FIFO, a
socket, a multi-gigabyte log) must give one line, not read until memory runs out or wait for a
writer that never comes. :func:`read_bounded` checks what the path is before opening it, opens
it without blocking, checks again on the open file (so a swap in between is caught) and reads at
most ``limit`` bytes. :func:`not_regular` is the same test for a path about to be replaced
(``--out X --force`` replaces regular files only).

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "r.yaml"
    >>> _ = path.write_text("name: tiny")
    >>> read_bounded(path, limit=1024)
    b'name: tiny'
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

__all__ = ["FileRefusedError", "not_regular", "read_bounded", "shown_path", "size_text"]


class FileRefusedError(ValueError):
    """A path that is not a regular file, or is larger than the limit (the message says which).

    The message starts with a verb (``is a FIFO (named pipe), not a regular file``) so a caller
    can put the file's name in front of it.
    """


def shown_path(path: str | os.PathLike[str] | None) -> str:
    """A file name as a one-line message shows it: newlines, ESC and other controls escaped.

    Example:
        >>> shown_path("evil\\n\\x1b[31mname.yaml")
        'evil\\\\n\\\\x1b[31mname.yaml'
    """
    text = os.fspath(path) if path is not None else ""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))


def size_text(size: int) -> str:
    """A byte count for a message: ``1.5 MB``, ``64 MB``, ``512 bytes``."""
    if size < 1024:
        return f"{size} bytes"
    value = float(size)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if value < 1024 or unit == "TB":
            return f"{value:.3g} {unit}"
    return f"{size} bytes"  # pragma: no cover


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    return "not a regular file"


def not_regular(path: str | os.PathLike[str]) -> str | None:
    """What ``path`` is, if it exists and is not a regular file (symbolic links followed).

    Returns:
        ``None`` for a regular file or a path that does not exist; otherwise a phrase such as
        ``"a FIFO (named pipe)"``, ``"a character device"``, ``"a socket"`` or ``"a directory"``.
    """
    try:
        mode = Path(path).stat().st_mode
    except (OSError, ValueError):
        return None
    return None if stat.S_ISREG(mode) else _kind(mode)


def _refuse(mode: int) -> FileRefusedError:
    return FileRefusedError(f"is {_kind(mode)}, not a regular file")


def read_bounded(path: str | os.PathLike[str], *, limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes.

    Raises:
        FileRefusedError: the path is not a regular file (a FIFO, a socket, a device, a folder), or
            it holds more than ``limit`` bytes.
        OSError: the file is missing or cannot be opened (``FileNotFoundError``, …).
        ValueError: the path cannot be a file name (a NUL character).
    """
    target = Path(path)
    mode = target.stat().st_mode  # before opening: a device or FIFO is never opened
    if not stat.S_ISREG(mode):
        raise _refuse(mode)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    flags |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(target, flags)
    try:
        info = os.fstat(fd)  # what was opened, whatever the path points at now
        if not stat.S_ISREG(info.st_mode):
            raise _refuse(info.st_mode)
        too_big = FileRefusedError(
            f"is larger than {size_text(limit)} ({size_text(max(info.st_size, limit + 1))}); "
            "check that this is the right file"
        )
        if info.st_size > limit:
            raise too_big
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:  # it grew while we read
                raise too_big
        return b"".join(chunks)
    finally:
        os.close(fd)
