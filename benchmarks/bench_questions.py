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
