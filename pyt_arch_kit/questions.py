"""Targeted questions: the open questions ranked by how much their answer would change the design.

:meth:`Requirements.gaps` lists every unset field in schema order. The persona asks *targeted*
questions, so :func:`rank_questions` re-plans with each assumption pushed to a plausible low and
high value (×0.1 and ×10 for loads and sizes, a per-field range for the others, every
alternative of a choice) and measures what flips: the decisions (concurrency model, framework,
cache, read replicas, broker, data tool, PgBouncer …), the instance count, whether the pools fit
under the connection limit, and whether the p99 meets its target. The questions that change the
most come first; those that change nothing come last, marked as such.

It is pure and deterministic: a fixed table of probes per field (at most :data:`MAX_REPLANS`
re-plans in all), no clock, no I/O; ties keep the schema order.

Example:
    >>> from pyt_arch_kit import Requirements, rank_questions
    >>> ranked = rank_questions(Requirements(scale={"peak_rps": 5}))
    >>> ranked[0].changes_design
    True
    >>> ranked[-1].changes_design
    False
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from pyt_arch_kit.planning import plan as make_plan
from pyt_arch_kit.planning.model import Plan, fmt_number
from pyt_arch_kit.requirements import Gap, Requirements
from pyt_arch_kit.requirements.gaps import _fmt

__all__ = ["MAX_REPLANS", "Change", "Probe", "Question", "design_facts", "rank_questions"]

#: The most re-plans one ranking makes (the probes of the later fields are dropped past it).
MAX_REPLANS = 64

#: Weight of a flipped decision, SLA verdict or pool fit against one doubling of the instances.
_FLIP_WEIGHT = 4.0


@dataclass(frozen=True)
class _Answers:
    """The answers tried for one field: ``values(assumed)``, relative to it or fixed."""

    values: Callable[[Any], list[Any]]
    relative: bool


def _times(*factors: float, whole: bool = False) -> _Answers:
    """Multiples of the assumed value (for a zero, the factors themselves as values)."""

    def values(v: Any) -> list[Any]:
        base = float(v) if v else 1.0
        out = [base * f for f in factors]
        return [max(1, round(x)) for x in out] if whole else out

    return _Answers(values, relative=True)


def _fixed(*choices: Any) -> _Answers:
    return _Answers(lambda v: [c for c in choices if c != v], relative=False)


#: Per field: the plausible answers tried, from the assumed value. Loads and sizes ×0.1 and ×10;
#: shares, targets and counts over a range an architect would meet; choices over every
#: alternative (added in :func:`_candidates`).
PROBES: dict[str, _Answers] = {
    "scale.peak_rps": _times(0.1, 10),
    "scale.avg_rps": _times(0.1, 10),
    "scale.concurrent_users": _times(0.1, 10, whole=True),
    "scale.data_gb": _times(0.1, 10),
    "scale.growth_gb_per_month": _times(0.1, 10),
    "scale.read_ratio": _fixed(0.5, 0.95),
    "scale.payload_kb": _times(0.1, 10),
    "latency.p50_ms": _times(0.25, 4),
    "latency.p99_ms": _times(0.2, 4),
    "latency.availability_pct": _fixed(99.0, 99.99),
    "consistency.stale_read_tolerance_s": _fixed(0.0, 60.0),
    "workload.cpu_ms_per_request": _times(0.1, 10),
    "workload.io_wait_ms_per_request": _times(0.1, 10),
    "workload.service_cv": _fixed(0.5, 3.0),
    "workload.db_calls_per_request": _fixed(1.0, 10.0),
    "workload.db_ms_per_call": _times(0.2, 10),
    "workload.batch_data_gb": _times(0.1, 10),
    "workload.freshness_s": _fixed(5.0, 3600.0, 86_400.0),
    "infrastructure.db_max_connections": _times(0.25, 5, whole=True),
    "infrastructure.cores_per_instance": _times(0.5, 4, whole=True),
    "infrastructure.team_size": _fixed(1, 30),
}


def design_facts(plan: Plan) -> dict[str, str]:
    """What a question's answer can flip, as ``{aspect: value as shown}``.

    The aspects are the plan's decisions (concurrency model, framework, database, cache, read
    replicas, standbys, PgBouncer, broker, data tool), its size (instances) and its verdicts
    (whether the pools fit under the connection limit, whether the p99 meets its target).
    """
    cap, conc, db = plan.capacity, plan.concurrency, plan.database
    online = "app" in plan.components
    facts = {
        "concurrency model": conc.model.value if online else "none (a batch job)",
        "framework": conc.framework.value,
        "instances": str(cap.instances) if online else "0",
        "database": "none" if db is None else db.engine.value,
        "cache": "none" if db is None else db.cache.value,
        "read replicas": "0" if db is None else str(db.read_replicas),
        "standbys": "0" if db is None else str(db.standbys),
        "PgBouncer": "yes" if db is not None and db.pgbouncer else "no",
        "broker": "none" if plan.broker is None else plan.broker.name,
        "data tool": "none" if plan.data is None else plan.data.tool_name,
        "pools fit the connection limit": _fits(plan),
        "p99 meets the target": ("yes" if cap.meets_p99 else "no") if online else "n/a",
    }
    return facts


def _fits(plan: Plan) -> str:
    db = plan.database
    if db is None:
        return "n/a"
    usable = db.connection_limit - db.reserved_connections
    return "yes" if db.pgbouncer or db.total_connections <= usable else "no"


@dataclass(frozen=True)
class Change:
    """One aspect of the design an answer flips.

    Attributes:
        aspect: what changes (a key of :func:`design_facts`, e.g. ``"instances"``).
        before: its value under the assumption.
        after: its value under the answer.
    """

    aspect: str
    before: str
    after: str

    def __str__(self) -> str:
        return f"{self.aspect} {self.before} → {self.after}"


@dataclass(frozen=True)
class Probe:
    """One plausible answer tried, and what it changes.

    Attributes:
        value: the answer tried.
        relative: how it relates to the assumption (``"×10"``), or ``""`` for a choice.
        changes: what the design would change, or nothing.
        score: how much (flips weigh :data:`_FLIP_WEIGHT`, instances the doublings).
    """

    value: Any
    relative: str
    changes: tuple[Change, ...]
    score: float

    def __str__(self) -> str:
        said = _fmt(self.value) + (f" ({self.relative} the assumption)" if self.relative else "")
        return f"if {said}: " + (", ".join(map(str, self.changes)) or "no change")


@dataclass(frozen=True)
class Question:
    """An open question, ranked by how much its answer would change the design.

    Attributes:
        gap: the open question and its assumption (:class:`~pyt_arch_kit.requirements.Gap`).
        probes: the answers tried, each with what it changes.
        score: the sum of the probes' scores (0 when no answer tried changes anything).
    """

    gap: Gap
    probes: tuple[Probe, ...]
    score: float

    @property
    def field(self) -> str:
        """The dotted field the question asks about."""
        return self.gap.field

    @property
    def changes_design(self) -> bool:
        """Whether some plausible answer changes the design."""
        return self.score > 0

    def impact(self) -> str:
        """What the answers would change, in one line (the probes that change something).

        Example: ``"if 1,000 (×10 the assumption): instances 1 → 3, cache none → Redis"``.
        """
        moving = [p for p in self.probes if p.changes]
        if not moving:
            return "does not change this design"
        return "; ".join(str(p) for p in moving)


def _candidates(gap: Gap) -> list[tuple[Any, str]]:
    assumed = gap.assumed
    if isinstance(assumed, StrEnum):
        return [(m, "") for m in type(assumed) if m is not assumed]
    answers = PROBES.get(gap.field)
    if answers is None:
        return []
    out: list[tuple[Any, str]] = []
    for v in answers.values(assumed):
        relative = answers.relative and isinstance(assumed, int | float) and assumed
        out.append((v, f"×{fmt_number(v / assumed)}" if relative else ""))
    return out


def _answered(req: Requirements, field: str, value: Any) -> Requirements | None:
    """The requirements with this answer, or ``None`` when the answer is not valid with them."""
    data = req.model_dump()
    section, _, key = field.rpartition(".")
    (data[section] if section else data)[key] = value
    try:
        return Requirements.model_validate(data)
    except ValidationError:
        return None


def _changes(before: dict[str, str], after: dict[str, str]) -> tuple[tuple[Change, ...], float]:
    changes = tuple(Change(k, before[k], after[k]) for k in before if before[k] != after[k])
    score = 0.0
    for c in changes:
        if c.aspect == "instances":
            a, b = max(1, int(c.before)), max(1, int(c.after))
            score += abs(math.log2(b / a)) + 0.5
        else:
            score += _FLIP_WEIGHT
    return changes, score


def rank_questions(
    requirements: Requirements, *, budget: int = MAX_REPLANS, base: Plan | None = None
) -> list[Question]:
    """The open questions, the ones whose answer changes the design most first.

    Each open question (:meth:`Requirements.gaps`) is answered with a few plausible values in
    turn (:data:`PROBES`; every alternative of a choice), the plan is recomputed, and what
    changed (:func:`design_facts`) is recorded. Questions are ordered by the total change,
    ties (and the questions that change nothing, listed last) in schema order. The last few
    rankings are remembered, so showing the same requirements again costs nothing.

    Args:
        requirements: the requirements as given (their unset fields are the questions).
        budget: the most re-plans to make; probes past it are not tried.
        base: ``plan(requirements)`` if already computed (saves one plan).

    Returns:
        One :class:`Question` per open question.
    """
    gaps = requirements.gaps()
    if not gaps:
        return []
    key = (requirements.model_dump_json(), max(0, budget))
    ranked = _MEMO.get(key)
    if ranked is None:
        ranked = _rank(requirements, gaps, key[1], base or make_plan(requirements))
        if len(_MEMO) >= _MEMO_SIZE:
            del _MEMO[next(iter(_MEMO))]  # the oldest
        _MEMO[key] = ranked
    return list(ranked)


def known_ranking(
    requirements: Requirements, *, budget: int = MAX_REPLANS
) -> list[Question] | None:
    """The ranking :func:`rank_questions` remembers for these requirements, without computing
    one: ``None`` if it has not ranked them yet (the live preview shows the questions at once
    and ranks them in the background)."""
    gaps = requirements.gaps()
    if not gaps:
        return []
    ranked = _MEMO.get((requirements.model_dump_json(), max(0, budget)))
    return None if ranked is None else list(ranked)


_MEMO: dict[tuple[str, int], tuple[Question, ...]] = {}
_MEMO_SIZE = 32


def _rank(
    requirements: Requirements, gaps: list[Gap], budget: int, base: Plan
) -> tuple[Question, ...]:
    before = design_facts(base)
    left = budget
    questions: list[Question] = []
    for gap in gaps:
        probes: list[Probe] = []
        for value, relative in _candidates(gap):
            if left <= 0:
                break
            answered = _answered(requirements, gap.field, value)
            if answered is None:
                continue
            left -= 1
            changes, score = _changes(before, design_facts(make_plan(answered)))
            probes.append(Probe(value, relative, changes, score))
        questions.append(Question(gap, tuple(probes), sum(p.score for p in probes)))
    order = sorted(range(len(questions)), key=lambda i: (-questions[i].score, i))
    return tuple(questions[i] for i in order)
