"""What of a plan's generic content applies to a design: the assumptions and decisions a
reader of this design needs, the rest left out (review 3: a batch job's appendix weighed Django
against Flask and assumed a diurnal request ratio)."""

from __future__ import annotations

import re

from pyt_arch_kit.planning.model import Decision, Plan
from pyt_arch_kit.requirements.gaps import Assumption

__all__ = ["alternatives", "shown_assumptions", "shown_decisions"]

#: Request-path assumptions, which a data job (no service beside it) never reads.
_REQUEST_PATH = frozenset(
    {
        "scale.peak_rps",
        "scale.avg_rps",
        "consistency.priority",
        "consistency.stale_read_tolerance_s",
        "workload.db_calls_per_request",
        "workload.kind",
    }
)
#: Decisions that are the same for every data job, or empty without a database.
_JOB_GENERIC = frozenset({"concurrency", "framework"})


def _job(plan: Plan) -> bool:
    return "app" not in plan.components and plan.data is not None


def shown_assumptions(plan: Plan) -> tuple[Assumption, ...]:
    """The plan's assumptions a reader of this design needs: a data job's leave out the
    request path's."""
    if not _job(plan):
        return plan.assumptions
    return tuple(a for a in plan.assumptions if a.field not in _REQUEST_PATH)


def shown_decisions(plan: Plan) -> tuple[Decision, ...]:
    """The decisions the appendix weighs: a data job's leave out the concurrency and
    framework (the same for every job) and a database it does not have."""
    if not _job(plan):
        return plan.decisions
    return tuple(
        d
        for d in plan.decisions
        if d.topic not in _JOB_GENERIC and not (d.topic == "database" and plan.database is None)
    )


def alternatives(d: Decision) -> tuple[str, ...]:
    """A decision's alternatives, less the one it chose."""
    return tuple(
        a for a in d.alternatives if not re.search(rf"\b{re.escape(a)}\b", d.choice, re.IGNORECASE)
    )
