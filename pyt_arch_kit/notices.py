"""Notes the command line gives once per machine, not on every call.

A note that does not change between calls (the diagram check cannot run here: no node or no
mermaid) is noise the second time. :func:`first_time` remembers that a note was given with an
empty marker file in the kit's state folder: ``$PYT_ARCH_STATE_DIR``, by default
``$XDG_STATE_HOME/pyt_arch_kit`` (``~/.local/state/pyt_arch_kit``), the folder that also holds
the batch ledger. Deleting the folder brings the notes back.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["first_time", "state_dir"]


def state_dir() -> Path:
    """The kit's state folder: ``PYT_ARCH_STATE_DIR``, else ``$XDG_STATE_HOME/pyt_arch_kit``."""
    configured = os.environ.get("PYT_ARCH_STATE_DIR", "").strip()
    if configured:
        return Path(configured)
    xdg = os.environ.get("XDG_STATE_HOME", "").strip()
    return (Path(xdg) if xdg else Path.home() / ".local" / "state") / "pyt_arch_kit"


def first_time(note: str) -> bool:
    """Whether ``note`` (a short file-name-safe key) is given for the first time on this machine.

    The first call records it and returns ``True``; later calls return ``False``. When the
    marker cannot be written (a read-only home), every call returns ``True``: a note said
    twice is better than a note never said.
    """
    marker = state_dir() / "notes" / note
    if marker.exists():
        return False
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    except OSError:
        pass
    return True
