"""Scans of what gets published: the executed notebooks and the built site.

Nothing published may hold something that looks like an Anthropic API key, or show a traceback
(a notebook cell that raised, an ANSI-coloured IPython error header, Python's traceback banner).
The ``site`` tests read ``docs/notebooks/*.ipynb`` and ``site/`` as ``bash scripts/docs.sh``
leaves them; the scanner itself is tested on planted files with every unit run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "docs" / "notebooks"
SITE = ROOT / "site"
RUN_DOCS = "run `bash scripts/docs.sh` first (it executes the notebooks and builds the site)"

#: ``sk-ant-`` then key-like characters (real keys: ``sk-ant-api03-`` + ~95 more).
KEY = re.compile(r"sk-ant-[A-Za-z0-9_\-]{8,}")
TRACEBACK = re.compile(r"Traceback \(most recent call last\)")
#: IPython's error header: a red line of dashes, as raw ANSI, as JSON-escaped ANSI in a
#: notebook, or as the HTML span nbconvert turns it into.
ANSI_HEADER = re.compile(
    r"(?:\x1b|\\u001b|\\x1b)\[[0-9;]*m-{20,}|<span class=\"ansi-[a-z-]+\">-{20,}"
)
ERROR_OUTPUT = re.compile(r"\"output_type\"\s*:\s*\"error\"")
#: Files in site/ that are not text (nothing to read) are skipped by suffix.
BINARY = {".png", ".jpg", ".jpeg", ".gif", ".ico", ".webp", ".woff", ".woff2", ".ttf", ".gz"}


@dataclass(frozen=True)
class Finding:
    """One thing that must not be published."""

    path: Path
    line: int
    what: str
    excerpt: str

    def __str__(self) -> str:
        try:
            shown = self.path.relative_to(ROOT)
        except ValueError:
            shown = self.path
        return f"{shown}:{self.line}: {self.what}: {self.excerpt}"


def _excerpt(line: str, start: int) -> str:
    text = line[max(0, start - 30) : start + 50].strip()
    return KEY.sub(lambda m: m.group(0)[:10] + "…", text)  # never echo a key in full


def scan_text(path: Path, text: str) -> Iterator[Finding]:
    """Every key-like string, traceback banner, ANSI error header and error output, by line."""
    for number, line in enumerate(text.splitlines(), 1):
        for pattern, what in (
            (KEY, "looks like an Anthropic API key"),
            (TRACEBACK, "traceback"),
            (ANSI_HEADER, "ANSI-coloured error header (a cell raised)"),
            (ERROR_OUTPUT, "error output (a cell raised)"),
        ):
            for match in pattern.finditer(line):
                yield Finding(path, number, what, _excerpt(line, match.start()))


def scan_notebook(path: Path) -> list[Finding]:
    """A notebook's raw text, plus error outputs found by reading its JSON (one-line JSON too)."""
    text = path.read_text(encoding="utf-8")
    found = list(scan_text(path, text))
    try:
        notebook = json.loads(text)
    except json.JSONDecodeError as exc:
        return [*found, Finding(path, exc.lineno, "not valid notebook JSON", exc.msg)]
    lines_with_errors = {f.line for f in found if f.what.startswith("error output")}
    for index, cell in enumerate(notebook.get("cells", []), 1):
        for output in cell.get("outputs", []) or []:
            if output.get("output_type") == "error" and not lines_with_errors:
                name = f"{output.get('ename', '?')}: {output.get('evalue', '')}"[:80]
                found.append(Finding(path, 1, f"error output in cell {index}", name))
    return found


def scan_files(paths: Iterable[Path]) -> list[Finding]:
    """Scan each file: notebooks as notebooks, other text files line by line."""
    found: list[Finding] = []
    for path in sorted(paths):
        if path.suffix == ".ipynb":
            found += scan_notebook(path)
        elif path.is_file() and path.suffix.lower() not in BINARY:
            found += scan_text(path, path.read_text(encoding="utf-8", errors="replace"))
    return found


def report(found: list[Finding], what: str) -> str:
    shown = "\n".join(f"  {f}" for f in found[:40])
    more = f"\n  … and {len(found) - 40} more" if len(found) > 40 else ""
    return f"{len(found)} problem(s) in {what}:\n{shown}{more}"


# -- the published files (after scripts/docs.sh) ----------------------------------------------


@pytest.mark.site
def test_executed_notebooks_hold_no_key_and_no_traceback() -> None:
    notebooks = sorted(NOTEBOOKS.glob("*.ipynb")) if NOTEBOOKS.is_dir() else []
    if not notebooks:
        pytest.fail(f"no executed notebooks in {NOTEBOOKS.relative_to(ROOT)}/; {RUN_DOCS}")
    unexecuted = [
        p.name
        for p in notebooks
        if not any(
            c.get("execution_count")
            for c in json.loads(p.read_text())["cells"]
            if c.get("cell_type") == "code"
        )
    ]
    assert not unexecuted, f"never executed: {unexecuted}; {RUN_DOCS}"
    found = scan_files(notebooks)
    assert not found, report(found, "the executed notebooks")


@pytest.mark.site
def test_built_site_holds_no_key_and_no_traceback() -> None:
    if not (SITE / "index.html").is_file():
        pytest.fail(f"no built site in {SITE.relative_to(ROOT)}/ (no index.html); {RUN_DOCS}")
    pages = [p for p in SITE.rglob("*") if p.is_file()]
    assert any(p.suffix == ".html" for p in pages)
    found = scan_files(pages)
    assert not found, report(found, "the built site")


# -- the scanner itself (runs with the unit tests) --------------------------------------------

LEAKED = "sk-ant-" + "api03-Zx9_Qw-" + "a" * 60  # built in parts: this file is not a leak


def planted_notebook(outputs: list[dict[str, object]]) -> str:
    cell = {
        "cell_type": "code",
        "execution_count": 1,
        "metadata": {},
        "outputs": outputs,
        "source": ["print('hi')"],
    }
    return json.dumps(
        {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1
    )


@pytest.mark.parametrize(
    ("outputs", "what"),
    [
        ([{"output_type": "stream", "name": "stdout", "text": [f"key={LEAKED}\n"]}], "API key"),
        (
            [
                {
                    "output_type": "error",
                    "ename": "ValueError",
                    "evalue": "bad",
                    "traceback": ["\x1b[0;31m" + "-" * 75 + "\x1b[0m", "ValueError: bad"],
                }
            ],
            "error output",
        ),
        (
            [
                {
                    "output_type": "stream",
                    "name": "stderr",
                    "text": ["Traceback (most recent call last):\n"],
                }
            ],
            "traceback",
        ),
    ],
)
def test_scanner_finds_what_is_planted_in_a_notebook(
    tmp_path: Path, outputs: list[dict[str, object]], what: str
) -> None:
    path = tmp_path / "n.ipynb"
    path.write_text(planted_notebook(outputs), encoding="utf-8")
    found = scan_files([path])
    assert any(what in f.what for f in found), found
    assert all(f.line > 1 for f in found)  # points at the line, not just the file
    assert all(LEAKED not in str(f) for f in found)  # the report never repeats a key


def test_scanner_finds_a_one_line_notebooks_error_output_by_cell(tmp_path: Path) -> None:
    path = tmp_path / "n.ipynb"
    nb = json.loads(planted_notebook([{"output_type": "error", "ename": "KeyError"}]))
    path.write_text(json.dumps(nb, separators=(",", ":")), encoding="utf-8")
    assert any("error output" in f.what for f in scan_files([path]))


@pytest.mark.parametrize(
    "html",
    [
        f"<p>export ANTHROPIC_API_KEY={LEAKED}</p>",
        '<pre><span class="ansi-red-fg">' + "-" * 75 + "</span>\n</pre>",
        "<pre>Traceback (most recent call last):\n  File …</pre>",
    ],
)
def test_scanner_finds_what_is_planted_in_a_page(tmp_path: Path, html: str) -> None:
    page = tmp_path / "site" / "guide" / "index.html"
    page.parent.mkdir(parents=True)
    page.write_text(f"<html>\n<body>\n{html}\n</body></html>\n", encoding="utf-8")
    found = scan_files(p for p in (tmp_path / "site").rglob("*") if p.is_file())
    assert len(found) == 1 and found[0].line == 3 and found[0].path == page, found


@pytest.mark.parametrize(
    "text",
    [
        "placeholder: sk-ant-…  (kept in memory for this session only)",
        "exported as [redacted]",
        "set ANTHROPIC_API_KEY=sk-ant-... in your shell",
        "| ------------------------------------- | table rule |",
        "the CLI prints one line, never a traceback",
    ],
)
def test_scanner_leaves_ordinary_text_alone(tmp_path: Path, text: str) -> None:
    page = tmp_path / "index.html"
    page.write_text(text, encoding="utf-8")
    assert scan_files([page]) == []


def test_missing_notebooks_or_site_fail_saying_to_build_them_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = __import__(__name__, fromlist=["x"])
    monkeypatch.setattr(module, "ROOT", tmp_path)
    monkeypatch.setattr(module, "NOTEBOOKS", tmp_path / "docs" / "notebooks")
    monkeypatch.setattr(module, "SITE", tmp_path / "site")
    for check in (
        test_executed_notebooks_hold_no_key_and_no_traceback,
        test_built_site_holds_no_key_and_no_traceback,
    ):
        with pytest.raises(pytest.fail.Exception, match=r"run `bash scripts/docs\.sh` first"):
            check()
