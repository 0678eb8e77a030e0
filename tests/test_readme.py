"""The README's examples run: its requirements YAML validates and designs offline."""

from __future__ import annotations

import re
from pathlib import Path

from pyt_arch_kit import Architect, Requirements

README = Path(__file__).resolve().parents[1] / "README.md"


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_readme_requirements_example_validates_and_designs() -> None:
    (yaml_text,) = _blocks("yaml")
    req = Requirements.from_yaml(yaml_text, source="README.md")
    design = Architect().design(req)
    assert design.complete and not design.missing_sections
    assert any(f.kind == "push-back" for f in design.plan.findings)  # type: ignore[union-attr]


def test_readme_names_the_two_commands_that_ci_runs() -> None:
    text = README.read_text(encoding="utf-8")
    assert "bash scripts/test.sh" in text
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert "bash scripts/test.sh" in ci
    assert "pyt-arch design --preset" in text


#: A path in the table's first column: ``pyt_arch_kit/…``, or a module or folder beside it.
_PATH = re.compile(r"`(pyt_arch_kit/[^`]+)`|`([^`/]+\.(?:py|json)|[^`/]+/)`")


def _layout_rows() -> list[str]:
    text = README.read_text(encoding="utf-8")
    table = text.split("## Layout", 1)[1].split("\n\n", 2)[1]
    return [line for line in table.splitlines() if line.startswith("| `pyt_arch_kit/")]


def test_the_layout_table_matches_the_package() -> None:
    """Every module and package of pyt_arch_kit is in the table, and every path it names exists;
    the planning and requirements modules are each named in their row."""
    package = README.parent / "pyt_arch_kit"
    rows = _layout_rows()
    named: set[str] = set()
    for row in rows:
        paths = row.split(" | ")[0]
        for first, rest in _PATH.findall(paths):
            name = (first or rest).removeprefix("pyt_arch_kit/").rstrip("/")
            assert (package / name).exists(), f"README names {name!r}, which does not exist"
            named.add(name)
    entries = {
        p.name
        for p in package.iterdir()
        if p.name not in {"__init__.py", "py.typed", "__pycache__"} and not p.name.endswith(".pyc")
    }
    assert entries - named == set(), "modules the README's layout table does not name"
    for sub in ("planning", "requirements"):
        row = next(r for r in rows if r.startswith(f"| `pyt_arch_kit/{sub}/`"))
        modules = {p.stem for p in (package / sub).glob("*.py")} - {"__init__", "_names"}
        missing = {m for m in modules if f"`{m}`" not in row}
        assert missing == set(), f"{sub}/ modules the layout table does not name"
