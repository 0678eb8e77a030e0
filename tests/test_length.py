"""A design is as long as its decisions: every preset's main text stays within a reading budget,
and two service designs share only the advice that is really the same.

*Main text* is :func:`pyt_arch_kit.design.main_text`: the six sections' prose and tables, fenced
code blocks (code, the mermaid source, configuration) left out, the ``## Appendix: figures``
(the figures table and its derivations) left out. Words are whitespace-separated tokens, table
pipes and rules not counted (:func:`pyt_arch_kit.design.main_words`).
"""

from __future__ import annotations

import itertools
import re

import pytest

from pyt_arch_kit import Architect, preset
from pyt_arch_kit.design import SECTIONS, main_text, parse_appendix, parse_sections
from pyt_arch_kit.presets import preset_names

#: Words a team reads, at most: a service, and a small tool or a job.
SERVICE_BUDGET = 2_500
SMALL_BUDGET = 1_500
#: Presets read as a small tool or a job (the rest are services).
SMALL = ("internal-tool-pushback", "nightly-batch", "big-data-pipeline", "streaming-pipeline")
#: The largest share of one service design's 8-grams that may appear verbatim in another's.
SHARED_CEILING = 0.15

NAMES = preset_names()
_DESIGNS: dict[str, str] = {}


def _design(name: str) -> str:
    if name not in _DESIGNS:
        _DESIGNS[name] = Architect().design(preset(name)).text
    return _DESIGNS[name]


def _words(text: str) -> list[str]:
    return [w for w in text.split() if w.strip("|-:")]


def _grams(words: list[str], n: int = 8) -> list[tuple[str, ...]]:
    norm = [re.sub(r"[^\w%.-]", "", w.lower()) for w in words]
    return [tuple(norm[i : i + n]) for i in range(len(norm) - n + 1)]


def shared_share(a: str, b: str, n: int = 8) -> float:
    """The share of design A's main-text word n-grams (8 words, lower-cased, punctuation off)
    that also occur in design B's main text: 0 when A says nothing B says verbatim, 1 when every
    run of 8 words of A is in B."""
    grams_a = _grams(_words(main_text(a)), n)
    grams_b = set(_grams(_words(main_text(b)), n))
    return sum(g in grams_b for g in grams_a) / len(grams_a) if grams_a else 0.0


@pytest.mark.parametrize("name", NAMES)
def test_the_main_text_is_within_its_reading_budget(name: str) -> None:
    budget = SMALL_BUDGET if name in SMALL else SERVICE_BUDGET
    words = len(_words(main_text(_design(name))))
    assert words <= budget, f"{name}: {words} words of main text, budget {budget}"


@pytest.mark.xfail(
    strict=True,
    reason="issue 20, open: two service designs still share up to 32 % of their 8-grams (the "
    "lines built around each design's own figures, worded alike; the rest is the baseline's)",
)
def test_no_two_service_designs_share_more_than_15_percent_of_their_words() -> None:
    services = [n for n in NAMES if n not in SMALL]
    worst = max(
        (
            (shared_share(_design(a), _design(b)), a, b)
            for a, b in itertools.permutations(services, 2)
        ),
    )
    assert worst[0] <= SHARED_CEILING, (
        f"{worst[1]} shares {worst[0]:.0%} of its 8-grams with {worst[2]}"
    )


#: Today's worst share (io-bound-api vs timeseries-ingest, 32 % since the service baseline took
#: the generic practices), with a little room: a guard against shared text growing back while
#: the 15 % target above is still open.
SHARED_TODAY = 0.34


def test_shared_text_does_not_grow_back() -> None:
    services = [n for n in NAMES if n not in SMALL]
    worst = max(
        (shared_share(_design(a), _design(b)), a, b) for a, b in itertools.permutations(services, 2)
    )
    assert worst[0] <= SHARED_TODAY, f"{worst[1]} shares {worst[0]:.0%} with {worst[2]}"


def test_the_figures_are_an_appendix_after_the_six_sections() -> None:
    text = _design("io-bound-api")
    assert list(parse_sections(text)) == list(SECTIONS)
    appendix = parse_appendix(text)
    assert "| Figure | Value | Formula |" in appendix
    assert "| Figure | Value |" not in main_text(text)
    assert "Appendix: figures" in parse_sections(text)["Operational Considerations"]
