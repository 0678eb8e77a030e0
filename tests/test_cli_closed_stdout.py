"""A closed standard output (``pyt-arch plan --preset x >&-``) is one line and exit 1.

The shell's ``>&-`` closes file descriptor 1 before the program starts; Python then has no
``sys.stdout`` at all (``None``), and writing to it was an ``AttributeError`` traceback. The
README promises exit 1 when standard output cannot be written.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _close_stdout() -> None:
    os.close(1)


@pytest.mark.parametrize(
    ("argv", "fix"),
    [
        (["plan", "--preset", "io-bound-api"], "redirect it to a file"),
        (["gaps", "--preset", "io-bound-api"], "redirect it to a file"),
        (["presets"], "redirect it to a file"),
        (["persona"], "redirect it to a file"),
        (["design", "--preset", "io-bound-api"], "use --out FILE"),
    ],
)
def test_a_closed_stdout_is_one_line_and_exit_1(argv: list[str], fix: str, tmp_path: Path) -> None:
    child = subprocess.run(
        [sys.executable, "-m", "pyt_arch_kit", *argv],
        stderr=subprocess.PIPE,
        preexec_fn=_close_stdout,
        cwd=tmp_path,
        text=True,
        timeout=120,
    )
    assert child.returncode == 1, child.stderr
    assert child.stderr.splitlines() == [
        f"pyt-arch: error: cannot write to standard output (it is closed); {fix}"
    ]


def test_design_with_out_still_works_with_stdout_closed(tmp_path: Path) -> None:
    out = tmp_path / "design.md"
    child = subprocess.run(
        [
            sys.executable,
            "-m",
            "pyt_arch_kit",
            "design",
            "--preset",
            "io-bound-api",
            "--out",
            str(out),
        ],
        stderr=subprocess.PIPE,
        preexec_fn=_close_stdout,
        cwd=tmp_path,
        text=True,
        timeout=120,
    )
    assert child.returncode == 0, child.stderr
    assert out.read_text(encoding="utf-8").startswith("# ")
