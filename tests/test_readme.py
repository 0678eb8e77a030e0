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
