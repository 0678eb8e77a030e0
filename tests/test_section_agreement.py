"""One design, one set of numbers: the Executive Summary, the diagram, the stack, the operations
and the risks name the same components and the same figures as the plan (issue 13, item 5)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings

from pyt_arch_kit import Requirements, plan, preset, preset_names
from pyt_arch_kit.design import APPENDIX, Design
from pyt_arch_kit.planning.model import Plan, fmt_number
from pyt_arch_kit.requirements import Interface
from pyt_arch_kit.writer import write_design
from pyt_arch_kit.writer.sockets import sockets_held
from tests.test_properties import requirements

SUMMARY, DIAGRAM, STACK = "Executive Summary", "System Diagram", "Technology Stack"
OPS, RISKS, GUIDE = (
    "Operational Considerations",
    "Risks and Mitigations",
    "Implementation Guidelines",
)
APPX = APPENDIX  # the bill of materials, the cost lines and the figures, after the six sections


def _names(p: Plan) -> dict[str, dict[str, str]]:
    """For each component: the words each section uses for it."""
    db, broker = p.database, p.broker
    out: dict[str, dict[str, str]] = {
        "redis": {DIAGRAM: '[("Redis', STACK: "| redis |", APPX: "| Redis cache |"},
        "pgbouncer": {DIAGRAM: "PgBouncer<br/>", STACK: "| PgBouncer |", APPX: "| PgBouncer |"},
        "replicas": {DIAGRAM: "read replica(s)", RISKS: "Replica lag"},
        "load_balancer": {APPX: "| Load balancer |"},
        "object_storage": {DIAGRAM: "Object storage", APPX: "| Object storage"},
        "data_job": {APPX: "| Data job"},
        "app": {APPX: "vCPU, sized for the peak"},
    }
    if db is not None:
        out["database"] = {
            DIAGRAM: f"{db.engine} primary",
            APPX: f"| Database ({db.engine}) |",
            SUMMARY: f"**{db.engine}**",
        }
    if broker is not None:
        out["broker"] = {
            DIAGRAM: f'[["{broker.name}"]]',
            STACK: f"| {broker.client} |",
            APPX: f"| {broker.name} |",
        }
    return out


def check_consistent(p: Plan) -> None:
    d = Design(title=p.requirements.name, text=write_design(p), plan=p)
    s = {**d.sections, APPX: d.appendix}
    assert len(re.findall(r"^## ", d.text, re.M)) == 7  # six sections and the appendix
    cap, conc, db = p.capacity, p.concurrency, p.database
    comps = set(p.components)

    for comp, where in _names(p).items():
        for title, words in where.items():
            assert (words in s[title]) == (comp in comps), (comp, title, words)

    if "app" in comps:
        n, cpi = cap.instances, cap.cores_per_instance
        assert f"**{n} instance(s) × {cpi} cores**" in s[SUMMARY]
        assert f"→ {cap.cores} provisioned" in s[SUMMARY]
        assert f"{n} × {conc.workers_per_instance} " in d.diagram
        http = p.resolved.interface is not Interface.GRPC and not sockets_held(p)
        assert (f"across {n} instance(s)" in s[DIAGRAM]) != http  # else the drawing says it
        assert f"- {n} instance(s) of {cpi} cores" in s[OPS]
        assert f"{n} instance(s) × {cpi} vCPU" in s[APPX]
        counts = {int(m.replace(",", "")) for m in re.findall(r"(\d[\d,]*) instance\(s\)", d.text)}
        assert counts <= {n, cap.instances_after_failure}, counts
        # gunicorn's row is the baseline's (no reason of its own): the diagram states the workers
        p99 = fmt_number(cap.p99_ms)
        assert f"Estimated p99 {p99} ms (p50 {fmt_number(cap.p50_ms)} ms) against" in s[SUMMARY]
        assert f"| Estimated p99 latency | {p99} ms |" in s[APPX]
        assert f"p99 ≈ {p99} ms" in s[GUIDE]
        assert ("**met**" in s[SUMMARY]) == cap.meets_p99
        assert ("**not met**" in s[SUMMARY]) == (not cap.meets_p99)
        assert ("p99 target is not met" in s[RISKS]) == (not cap.meets_p99)
        if cap.zones > 1:
            left, util = cap.instances_after_failure, f"{cap.utilisation_after_failure:.0%}"
            busy = f"{left} instance(s) carry the peak, their cores {util} busy"
            assert busy in s[SUMMARY] and busy in s[RISKS]
            assert f"leaves {left} instance(s) with their cores {util} busy" in s[OPS]
            after = f"p99 ≈ {fmt_number(cap.p99_after_failure_ms)} ms"
            assert after in s[OPS] and after in s[RISKS]
        else:  # one instance is never "spread across zones"
            prose = s[SUMMARY] + s[OPS] + s[RISKS] + s[DIAGRAM]
            assert not re.search(r"instance(\(s\))?[^.|]{0,40} zones", prose)
            assert "availability zones" not in prose

    if db is not None and "app" in comps:
        usable = db.connection_limit - db.reserved_connections
        pools = f"pools of {db.pool_size} + {db.max_overflow} overflow per process"
        if db.total_connections <= usable:
            assert f"{pools} keep all workers at {db.total_connections} ≤ {usable}" in s[SUMMARY]
        else:  # over the limit: see the strict xfail in test_consistency.py
            assert pools in s[SUMMARY]
        # the pool decision's row is the appendix's: the summary's pools line above states it
        assert f"pool {db.pool_size}+{db.max_overflow}" in d.diagram
        total = f"{db.total_connections:,}"
        assert f"may open {total}" in s[OPS] or f"pools' {total} client" in s[OPS]
        opened = fmt_number(db.total_connections)
        assert f"| Connections all workers may open | {opened} " in s[APPX]
        if db.db_busy_connections >= 0.1 * db.total_connections:  # else the pools idle
            assert f"{db.reserved_connections} connections reserved" in s[RISKS]
        line = next(
            ln
            for ln in s[OPS].splitlines()
            if ln.startswith("- Database connections:") or "PgBouncer (" in ln
        )
        assert f"{db.useful_connections} active connections" in line or (
            f"about {db.server_connections} server connections" in line
        )


@pytest.mark.parametrize("name", preset_names())
def test_every_preset_design_names_the_plan_s_components_and_numbers(name: str) -> None:
    check_consistent(plan(preset(name)))


@settings(max_examples=100)
@given(requirements())
def test_any_design_names_the_plan_s_components_and_numbers(r: Requirements) -> None:
    check_consistent(plan(r))
