"""The live preview under the form: the key figures, recomputed on every valid edit.

The planner is pure and takes about a millisecond, so the form re-plans on each valid edit and
shows what the design would build on — instances, the p99 estimate against the SLA, whether the
connection pools fit the database, the push-back count — before anyone presses Design.
"""

from __future__ import annotations

import html

from pyt_arch_kit.planning import plan as make_plan
from pyt_arch_kit.planning.choices import FindingKind
from pyt_arch_kit.planning.model import Plan, fmt_number
from pyt_arch_kit.requirements import Requirements
from pyt_arch_kit.widgets.results import plural

__all__ = ["preview_html", "preview_plan"]

_OK, _BAD = "<span style='color:#1a7f37'>✓ {}</span>", "<span style='color:#b00020'>✗ {}</span>"


def preview_plan(requirements: Requirements) -> Plan:
    """The plan the preview shows (the planner itself, nothing approximated)."""
    return make_plan(requirements)


def preview_html(p: Plan) -> str:
    """The key figures of a plan as one short block of HTML."""
    cap, req = p.capacity, p.requirements
    items = [
        f"<b>{plural(cap.instances, 'instance')}</b> × {plural(cap.cores_per_instance, 'core')}"
        f" · {html.escape(p.concurrency.model.value)}, "
        f"{plural(p.concurrency.workers_per_instance, 'worker')} per instance"
    ]
    sla = req.latency.p99_ms
    p99 = f"p99 ≈ {fmt_number(cap.p99_ms)} ms"
    if sla:
        verdict = (_OK if cap.meets_p99 else _BAD).format(
            f"{'within' if cap.meets_p99 else 'over'} the {fmt_number(sla)} ms SLA"
        )
        items.append(f"{p99} {verdict}")
    else:
        items.append(p99)
    if cap.target_percentile_ms is not None:
        pct = fmt_number(req.latency.target_percentile or 0)
        within = fmt_number(req.latency.target_ms or 0)
        ok = cap.meets_target_percentile
        items.append(
            f"p{pct} ≈ {fmt_number(cap.target_percentile_ms)} ms "
            + (_OK if ok else _BAD).format(
                f"{pct} % {'within' if ok else 'not within'} {within} ms"
            )
        )
    db = p.database
    if db is not None:
        usable = db.connection_limit - db.reserved_connections
        if db.pgbouncer:
            # The pools' client connections end at PgBouncer; the database sees its few.
            text = (
                f"pools open {fmt_number(db.total_connections)} client connections to PgBouncer, "
                f"which holds {fmt_number(db.server_connections)} of the database's "
                f"{fmt_number(usable)}"
            )
            items.append(_OK.format(f"{text}: fits"))
        else:
            fits = db.total_connections <= usable
            text = (
                f"pools use {fmt_number(db.total_connections)} of {fmt_number(usable)} "
                "database connections"
            )
            items.append(
                (_OK if fits else _BAD).format(f"{text}: {'fits' if fits else 'too many'}")
            )
    pushback = sum(1 for f in p.findings if f.kind is FindingKind.PUSH_BACK)
    warnings = len(p.findings) - pushback
    items.append(
        f"{plural(pushback, 'push-back')}, {plural(warnings, 'warning')}"
        if p.findings
        else "no push-back, no warning"
    )
    return (
        "<div style='border:1px solid #d0d7de;border-radius:4px;padding:4px 8px;margin:4px 0;"
        "line-height:1.45'>"
        "<b>Live preview</b> <small style='color:#666'>(the planner's key figures, updated as "
        "you edit; <b>Design</b> writes the full design)</small><br>" + " · ".join(items) + "</div>"
    )
