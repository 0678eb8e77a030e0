"""The cost of ranking the open questions (issue 14, item 7), against one plan of the same input.

A ranking re-plans each open question at a few plausible answers (at most
``pyt_arch_kit.questions.MAX_REPLANS``), so it costs about that many plans; the offline design
pays it once per design (then it is remembered), ``write_design`` alone never. Every sample
starts cold: the remembered rankings and the planner's remembered response-time quantiles and
cache hit ratios (which re-plans share) are forgotten first, as in a fresh process.
"""

from __future__ import annotations

import time
from typing import Any

from common import Row, median

GROUP = "Targeted questions (ranking cost)"


def _forget() -> None:
    """Forget what a ranking remembers: rankings, response-time quantiles, hit ratios."""
    from pyt_arch_kit.planning.cache import ttl_hit_ratio
    from pyt_arch_kit.planning.tail import _quantile
    from pyt_arch_kit.questions import _MEMO

    _MEMO.clear()
    _quantile.cache_clear()
    ttl_hit_ratio.cache_clear()


def _cases() -> dict[str, Any]:
    from pyt_arch_kit import Requirements, preset

    return {
        "io-bound-api (2 open questions)": preset("io-bound-api"),
        "internal-tool-pushback": preset("internal-tool-pushback"),
        "small admin tool": Requirements.parse(
            {
                "interface": "rest",
                "scale": {"peak_rps": 5, "data_gb": 1},
                "latency": {"p99_ms": 1000},
                "infrastructure": {"database": "postgresql", "cores_per_instance": 2},
            }
        ),
        "nothing given (every question open)": Requirements(),
    }


def question_ranking(repeats: int) -> list[Row]:
    """Per case: ms per ranking (memo cleared each run) against ms per plan; then a design with
    the ranked questions against one without (``OfflineBackend(questions=False)``)."""
    from pyt_arch_kit import Architect, plan
    from pyt_arch_kit.backends.offline import OfflineBackend
    from pyt_arch_kit.questions import rank_questions

    rows: list[Row] = []
    for name, req in _cases().items():
        base = plan(req)
        ranks: list[float] = []
        plans: list[float] = []
        for _ in range(repeats):
            _forget()
            start = time.perf_counter()
            ranked = rank_questions(req, base=base)
            ranks.append(time.perf_counter() - start)
            _forget()
            start = time.perf_counter()
            plan(req)
            plans.append(time.perf_counter() - start)
        replans = sum(len(q.probes) for q in ranked)
        rows.append(
            Row(
                GROUP,
                f"{name}: one ranking",
                median(ranks),
                "s",
                "one plan",
                median(plans),
                note=f"{len(ranked)} questions, {replans} re-plans; "
                f"{sum(q.changes_design for q in ranked)} change the design",
            )
        )
    ranked_designs: list[float] = []
    plain_designs: list[float] = []
    ranked, plain = Architect(), Architect(backend=OfflineBackend(questions=False))
    for _ in range(repeats):
        for req in _cases().values():
            _forget()
            start = time.perf_counter()
            ranked.design(req)
            ranked_designs.append(time.perf_counter() - start)
            _forget()
            start = time.perf_counter()
            plain.design(req)
            plain_designs.append(time.perf_counter() - start)
    rows += _live_preview(repeats)
    rows.append(
        Row(
            GROUP,
            "offline design with ranked questions (p50 over the cases)",
            median(ranked_designs),
            "s",
            "design, questions=False",
            median(plain_designs),
            note="the ranking is remembered: the same requirements again cost nothing",
        )
    )
    return rows


#: The live preview's budget for an edit (issue 19, item 7).
PREVIEW_BUDGET_S = 0.050


def _live_preview(repeats: int) -> list[Row]:
    """The workbench: an edit in a form with every question open (nothing given), from the
    edit to the preview and the questions shown (they are listed at once and ranked in a
    background thread), against ranking them inline as the form did before; the note gives
    when the ranked order appeared."""
    from pyt_arch_kit import Requirements, RequirementsForm
    from pyt_arch_kit.questions import rank_questions

    form = RequirementsForm(Requirements())
    form.wait_for_questions()
    field = form.fields["latency.p99_ms"]
    edits: list[float] = []
    ranked: list[float] = []
    inline: list[float] = []
    for i in range(repeats):
        _forget()
        start = time.perf_counter()
        field.widget.value = 200 + i % 2 * 50  # the edit: validate, preview, questions listed
        edits.append(time.perf_counter() - start)
        form.wait_for_questions()
        ranked.append(time.perf_counter() - start)
        _forget()
        start = time.perf_counter()
        rank_questions(form.requirements)
        inline.append(time.perf_counter() - start)
    edit = median(edits)
    return [
        Row(
            GROUP,
            "live preview, every question open: an edit until the questions are listed",
            edit,
            "s",
            "ranking them inline (the form before)",
            median(inline),
            note=f"{'within' if edit <= PREVIEW_BUDGET_S else 'over'} the 50 ms budget; "
            f"ranked order shown {median(ranked) * 1000:.0f} ms after the edit (p50), "
            "ranked in a background thread",
        )
    ]
