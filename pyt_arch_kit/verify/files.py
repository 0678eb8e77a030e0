"""Read a saved design (Markdown or JSON) for ``pyt-arch verify``: the check's file edge.

A JSON design (``pyt-arch design --format json``) carries the requirements it was planned from,
so its plan is computed again (the planner is deterministic). A Markdown design carries no plan:
give its requirements to check its figures and components.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pyt_arch_kit.design import Design
from pyt_arch_kit.errors import SettingsError
from pyt_arch_kit.files import FileRefusedError, read_bounded, shown_path
from pyt_arch_kit.planning import plan as make_plan
from pyt_arch_kit.planning.model import Plan
from pyt_arch_kit.requirements import Requirements

__all__ = ["MAX_DESIGN_BYTES", "read_design"]

#: The largest design file read (a design is tens of kilobytes; a model answer under a megabyte).
MAX_DESIGN_BYTES = 8 * 1024 * 1024
_FIX = "give a design saved by `pyt-arch design` (Markdown, or --format json)"


def _read(path: Path) -> str:
    name = shown_path(path)
    try:
        return read_bounded(path, limit=MAX_DESIGN_BYTES).decode("utf-8")
    except FileRefusedError as exc:
        raise SettingsError(f"{name}: {exc}; {_FIX}") from None
    except FileNotFoundError:
        raise SettingsError(f"{name}: no such file; check the path") from None
    except UnicodeDecodeError:
        raise SettingsError(f"{name}: not UTF-8 text; {_FIX}") from None
    except (OSError, ValueError) as exc:
        raise SettingsError(f"{name}: cannot be read ({exc.__class__.__name__}); {_FIX}") from None


def _from_json(path: Path, text: str) -> tuple[Design, Plan | None]:
    try:
        data: Any = json.loads(text)
    except (json.JSONDecodeError, RecursionError, ValueError) as exc:
        where = f"line {exc.lineno}: " if isinstance(exc, json.JSONDecodeError) else ""
        raise SettingsError(f"{shown_path(path)}: {where}not valid JSON; {_FIX}") from None
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        raise SettingsError(f'{shown_path(path)}: a JSON design needs a "text" field; {_FIX}')
    design = Design(title=str(data.get("title") or path.stem), text=data["text"])
    saved = data.get("plan")
    requirements = saved.get("requirements") if isinstance(saved, dict) else None
    if requirements is None:
        return design, None
    return design, make_plan(Requirements.parse(requirements, source=f"{shown_path(path)} (plan)"))


def read_design(path: str | Path) -> tuple[Design, Plan | None]:
    """The design in a file and, for a JSON design, the plan it was written from.

    Raises:
        SettingsError: one line naming the file and what to do, if it cannot be read as a
            design (missing, a directory, not UTF-8, invalid JSON, no text).
    """
    p = Path(path)
    text = _read(p)
    if p.suffix.lower() == ".json" or text.lstrip().startswith("{"):
        return _from_json(p, text)
    if not text.strip():
        raise SettingsError(f"{shown_path(p)}: empty; {_FIX}")
    title = re.match(r"\s*#\s+(.+)", text)
    return Design(title=title.group(1).strip() if title else p.stem, text=text), None
