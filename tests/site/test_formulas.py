"""The planner's formulas on the site: prose keeps its spaces, variables are math.

KaTeX ignores spaces in math, so a formula typeset whole ran its words together ("survivors
ofazone loss", "CPUsper request"). The hook (docs/hooks/reader.py) keeps prose as text and
sets only variables, Greek letters and scripts as math.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

from pyt_arch_kit import preset, preset_names
from pyt_arch_kit.architect import Architect

ROOT = Path(__file__).resolve().parents[2]


def _reader() -> ModuleType:
    spec = importlib.util.spec_from_file_location("reader_hook", ROOT / "docs/hooks/reader.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


reader = _reader()


def _formulas() -> list[str]:
    architect = Architect(backend="offline")
    found = {f.formula for n in preset_names() for f in architect.request(preset(n)).plan.figures}
    return sorted(found)


def _prose(formula: str) -> str:
    return "".join(v for k, v in reader.formula_segments(formula) if k == "text")


@pytest.mark.parametrize(
    ("formula", "words"),
    [
        ("max(⌈busy / (c · U_target)⌉, N+1: survivors of a zone loss", "survivors of a zone loss"),
        ("+ more (bisection) while the p99 misses, up to 4× + 4", "while the p99 misses"),
        ("busy = λ · CPU s per request", "CPU s per request"),
        ("= partitions (one consumer a partition; more", "one consumer a partition"),
        ("P(T > t) = 0.01 on the survivors", ") = 0.01 on the survivors"),
        ("avg req/s · 86,400 s", "avg req/s · 86,400 s"),
    ],
)
def test_prose_in_a_formula_keeps_its_words_apart(formula: str, words: str) -> None:
    assert words in _prose(formula)


def test_variables_and_greek_letters_are_math() -> None:
    math = [
        v for k, v in reader.formula_segments("t₉₉ = θ · ln(C / 0.01), L_db = λ") if k == "math"
    ]
    assert math == ["t_{99}", r"\theta", "C", r"L_{\text{db}}", r"\lambda"]


def test_every_planner_formula_keeps_every_character_of_its_prose() -> None:
    """Nothing typed is lost: the prose and the math's sources add up to the formula."""
    for formula in _formulas():
        segments = reader.formula_segments(formula)
        assert segments, formula
        html = reader.formula_html(formula)
        assert html.count('class="arithmatex"') == sum(k == "math" for k, _ in segments)
        # Every space of the formula is in the prose (none falls between two math pieces).
        spaces = re.sub(r"\S", "", formula)
        assert re.sub(r"\S", "", _prose(formula)) == spaces, formula


def test_long_identifiers_in_tables_may_wrap_after_an_underscore_but_code_stays_whole() -> None:
    table = (
        "<table><tr><td>PostgreSQL superuser_reserved_connections</td>"
        "<td><code>pool_size</code></td></tr></table>"
    )
    out = reader.breakable_identifiers(table)
    assert "superuser_<wbr>reserved_<wbr>connections" in out
    assert "<code>pool_size</code>" in out
