"""The writer's text for a small internal tool: low-traffic alerting and its approval domain.

Branches on :class:`pyt_arch_kit.writer.code.Profile`: ``low_traffic`` (an average rate below
``LOW_TRAFFIC_RPS``) and ``approvals`` (an approval workflow, ``app/approvals.py``).
"""

from __future__ import annotations

from pyt_arch_kit.planning.model import Plan, fmt_number
from pyt_arch_kit.writer.code.approvals import MAX_RECEIPT_MB
from pyt_arch_kit.writer.code.profile import profile

__all__ = ["approvals_guideline", "low_traffic_alerts"]


def low_traffic_alerts(plan: Plan, minutes: float) -> list[str] | None:
    """The alerting lines of a low-traffic service, else ``None`` (the usual burn-rate pages)."""
    if not profile(plan).low_traffic:
        return None
    avail = plan.resolved.latency.availability_pct
    return [
        f"- SLO {avail:g} %: {minutes:,.0f} min of error budget a month. At "
        f"{fmt_number(plan.resolved.scale.avg_rps)} req/s on average and next to none at "
        "night, one failed request can fill a 5-min window, so burn-rate alerts open "
        "**tickets only**, no pages (SRE Workbook, ch. 5, “Low-traffic services”); a "
        "synthetic request every minute keeps the SLI defined.",
    ]


def approvals_guideline(plan: Plan) -> list[str]:
    """An Implementation Guidelines paragraph on the approval workflow."""
    if not profile(plan).approvals:
        return []
    return [
        "The domain is a state machine (`app/approvals.py`): a report is *submitted*, then "
        "*approved* or *rejected* by someone other than its submitter, and an approved one "
        "is *paid*. Four eyes hold twice: the code refuses a self-approval, and a CHECK "
        "constraint (`decided_by <> submitter`) refuses it from any client. Every transition "
        "appends a row (actor, from, to, time) to `expense_audit` in the same transaction; a "
        "trigger refuses UPDATE and DELETE there. Receipts go to object storage (S3) through "
        f"a presigned POST limited to PDF, JPEG or PNG of at most {MAX_RECEIPT_MB} MB; the "
        "table keeps only the object key.",
        "",
    ]
