"""The tutorial's commands and code run, in order, in one empty folder, as a reader would run them.

``docs/tutorial.md`` is read block by block: a ``console`` block's ``$ pyt-arch …`` lines run as
commands (exit code 0), ``python`` blocks run in one namespace, and a ``yaml`` block marked
``<!-- tutorial: file NAME -->`` is written to NAME. A block marked ``<!-- tutorial: not run
(reason) -->`` is skipped (installing, starting JupyterLab).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "docs" / "tutorial.md"
_BLOCK = re.compile(
    r"(?:<!-- tutorial: (?P<mark>[^>]*?) -->\n)?```(?P<lang>\w+)\n(?P<body>.*?)```", re.S
)


@dataclass(frozen=True)
class Block:
    """One fenced block of the tutorial and what the test does with it."""

    lang: str
    body: str
    mark: str

    @property
    def runs(self) -> bool:
        return not self.mark.startswith("not run")


def blocks(text: str) -> list[Block]:
    """The fenced blocks of a page, in order, each with the mark just above it (or "")."""
    return [Block(m["lang"], m["body"], m["mark"] or "") for m in _BLOCK.finditer(text)]


def _pyt_arch() -> list[str]:
    found = shutil.which("pyt-arch", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "pyt_arch_kit"]


def test_every_tutorial_step_runs_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "PYT_ARCH_"))}
    namespace: dict[str, object] = {"__name__": "__tutorial__"}
    ran = {"console": 0, "python": 0, "yaml": 0}
    for block in blocks(TUTORIAL.read_text(encoding="utf-8")):
        if not block.runs:
            continue
        if block.lang == "console":
            for line in block.body.splitlines():
                if not line.startswith("$ "):
                    continue
                argv = shlex.split(line[2:])
                assert argv[0] == "pyt-arch", f"the tutorial runs only pyt-arch here: {line}"
                done = subprocess.run(
                    _pyt_arch() + argv[1:], env=env, capture_output=True, text=True, timeout=120
                )
                assert done.returncode == 0, f"{line}\n{done.stdout[-1500:]}\n{done.stderr[-1500:]}"
                ran["console"] += 1
        elif block.lang == "python":
            exec(compile(block.body, f"{TUTORIAL.name} (python block)", "exec"), namespace)
            ran["python"] += 1
        elif block.lang == "yaml":
            name = block.mark.removeprefix("file ").strip()
            assert block.mark.startswith("file ") and name, "a yaml block needs a file mark"
            (tmp_path / name).write_text(block.body, encoding="utf-8")
            ran["yaml"] += 1
    assert ran["console"] >= 8 and ran["python"] >= 5 and ran["yaml"] == 1, ran
    # What each step promised is there.
    for name in ("orders-api.md", "orders-5k.md", "orders-5k.html", "orders-5k-report.html"):
        assert (tmp_path / name).stat().st_size > 10_000, name
    assert "5,000 req/s" in (tmp_path / "orders-5k.md").read_text(encoding="utf-8")
    comparison = namespace["comparison"].to_markdown()  # type: ignore[attr-defined]
    assert "`scale.peak_rps` | 2,000 | 5,000" in comparison
    assert "`latency.p99_ms` | 200 | 120" in comparison


def test_the_tutorial_is_in_the_nav_and_on_the_home_page() -> None:
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8").split("\nnav:", 1)[1]
    assert "tutorial.md" in nav
    assert "](tutorial.md)" in (ROOT / "docs" / "index.md").read_text(encoding="utf-8")


def test_the_block_reader_keeps_marks_and_order() -> None:
    text = (
        "<!-- tutorial: not run (installs) -->\n```console\n$ pip install x\n```\n"
        "text\n```python\nx = 1\n```\n<!-- tutorial: file a.yaml -->\n```yaml\na: 1\n```\n"
    )
    found = blocks(text)
    assert [(b.lang, b.runs, b.mark) for b in found] == [
        ("console", False, "not run (installs)"),
        ("python", True, ""),
        ("yaml", True, "file a.yaml"),
    ]
