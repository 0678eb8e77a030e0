"""Golden files: every shipped preset's offline design, as ``pyt-arch design`` writes it.

``tests/golden/<preset>.md`` is ``pyt-arch design --preset <preset>`` and
``tests/golden/<preset>.json`` is the same with ``--format json``, byte for byte. The unit test
``tests/test_golden.py`` compares today's output with them, so a change that alters any design
(a refactor of the planner or the writer that should not) fails loudly with a diff.

When a design changes on purpose, regenerate them and say why in the commit message:

    python -m tests.golden --update     # rewrite the files from today's code
    python -m tests.golden              # check only: exit 1 and list what differs

Floats in the JSON are compared to 12 significant digits, so a last-bit difference in a libm
between two machines is not a change of design; everything else is compared exactly.
"""

from __future__ import annotations

import contextlib
import difflib
import io
import json
from pathlib import Path
from typing import Any

from pyt_arch_kit.cli import main
from pyt_arch_kit.presets import preset_names

__all__ = ["FOLDER", "HOW_TO_UPDATE", "canonical", "diff", "expected_files", "render"]

FOLDER = Path(__file__).resolve().parent
HOW_TO_UPDATE = (
    "If this change of design is intended, regenerate the golden files with "
    "`python -m tests.golden --update` and say in the commit message which designs change and "
    "why; if it is not, the change broke a design."
)
FORMATS = {"md": "markdown", "json": "json"}


def render(name: str, suffix: str) -> str:
    """What ``pyt-arch design --preset NAME [--format json]`` prints, offline."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["design", "--preset", name, "--format", FORMATS[suffix], "--no-verify"])
    if code != 0:
        raise RuntimeError(f"pyt-arch design --preset {name} exited {code}")
    return out.getvalue()


def expected_files() -> dict[str, tuple[str, str]]:
    """``{file name: (preset, suffix)}`` for every golden file there should be."""
    return {f"{n}.{s}": (n, s) for n in preset_names() for s in FORMATS}


def _round(value: Any) -> Any:
    if isinstance(value, float):
        return float(f"{value:.12g}")
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_round(v) for v in value]
    return value


def canonical(text: str, suffix: str) -> str:
    """The text as compared: JSON re-serialised with floats at 12 significant digits."""
    if suffix != "json":
        return text
    return json.dumps(_round(json.loads(text)), indent=2, ensure_ascii=False) + "\n"


def diff(name: str, suffix: str, limit: int = 60) -> str | None:
    """A unified diff from the golden file to today's output, or ``None`` when they agree."""
    path = FOLDER / f"{name}.{suffix}"
    want = path.read_text(encoding="utf-8") if path.exists() else ""
    got = canonical(render(name, suffix), suffix)
    if want and canonical(want, suffix) == got:
        return None
    lines = list(
        difflib.unified_diff(
            canonical(want, suffix).splitlines() if want else [],
            got.splitlines(),
            f"tests/golden/{path.name}",
            f"today's pyt-arch design --preset {name}",
            lineterm="",
            n=1,
        )
    )
    shown = "\n".join(line[:300] for line in lines[:limit])
    more = f"\n… {len(lines) - limit} more diff lines" if len(lines) > limit else ""
    return shown + more
