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
    reason="issue 20, open: two service designs still share up to 33 % of their 8-grams (the "
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


#: Today's worst share (io-bound-api vs timeseries-ingest, 33 %: 32 % since the service baseline
#: took the generic practices, + the line citing its app/retries.py), with a little room: a guard against shared text growing back while
#: the 15 % target above is still open.
SHARED_TODAY = 0.34


def test_shared_text_does_not_grow_back() -> None:
    services = [n for n in NAMES if n not in SMALL]
    worst = max(
        (shared_share(_design(a), _design(b)), a, b) for a, b in itertools.permutations(services, 2)
    )
    assert worst[0] <= SHARED_TODAY, f"{worst[1]} shares {worst[0]:.0%} with {worst[2]}"


def code_text(text: str) -> str:
    """The design's Python blocks (the code a team copies), in the six sections."""
    bodies = parse_sections(text).values()
    return "\n".join(c for b in bodies for c in re.findall(r"```python\n(.*?)```", b, re.S))


def shared_code_share(a: str, b: str, n: int = 8) -> float:
    """As :func:`shared_share`, over the designs' Python blocks: copied code counts too."""
    grams_a = _grams(code_text(a).split(), n)
    grams_b = set(_grams(code_text(b).split(), n))
    return sum(g in grams_b for g in grams_a) / len(grams_a) if grams_a else 0.0


#: The largest share of one service design's code 8-grams found verbatim in another's, today
#: 89 % (timeseries-ingest in payments-ledger): app/retries.py is the baseline's since the
#: second review (94 % before); the settings, pool, app and server blocks, filled with each
#: design's numbers and driver, remain alike.
SHARED_CODE_TODAY = 0.9


def test_copied_code_does_not_grow_back() -> None:
    """Bug fixed: app/retries.py (~430 words) was copied into six service designs; the 8-gram
    measure skipped code, so nothing caught it (second review)."""
    services = [n for n in NAMES if n not in SMALL]
    worst = max(
        (shared_code_share(_design(a), _design(b)), a, b)
        for a, b in itertools.permutations(services, 2)
    )
    assert worst[0] <= SHARED_CODE_TODAY, f"{worst[1]}'s code is {worst[0]:.0%} {worst[2]}'s"


def test_the_figures_are_an_appendix_after_the_six_sections() -> None:
    text = _design("io-bound-api")
    assert list(parse_sections(text)) == list(SECTIONS)
    appendix = parse_appendix(text)
    assert "| Figure | Value | Formula |" in appendix
    assert "| Figure | Value |" not in main_text(text)
    assert "Appendix: figures" in parse_sections(text)["Operational Considerations"]


@pytest.mark.parametrize("name", NAMES)
def test_the_appendix_cites_each_source_once_and_drops_what_says_nothing(name: str) -> None:
    """Bug fixed: appendices of 1,600-4,300 words repeated the same citation on every row,
    kept zero rows (network 0 Mbit/s, backups 0 GB in jobs, a job's pool size) and restated
    the reasons the main text gave (second review)."""
    d = Architect().design(preset(name))
    appendix = parse_appendix(d.text)
    sources = appendix.split("\nSources:\n", 1)[1]
    listed = re.findall(r"^\d+\. (.+)$", sources, re.M)
    assert listed and len(listed) == len(set(listed))
    for figure in d.plan.figures:
        shown = f"| {figure.label} |" in appendix
        if figure.value == 0 and figure.key.startswith(("bom_", "db_busy")):
            assert not shown, figure.label
        if "app" not in d.plan.components and figure.key in ("pool_size", "total_connections"):
            assert not shown, figure.label
    said = main_text(d.text)
    for decision in d.plan.decisions:
        if f"{decision.why}." in said:
            assert f"**{decision.topic.capitalize()}:** {decision.why}." not in appendix
