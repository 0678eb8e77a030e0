"""Targeted questions (issue 14, item 7): the open questions ranked by what their answer changes.

Every claim a question makes ("if 1,000 (×10 the assumption): instances 2 → 5") is checked by
re-planning with that answer here, reading the plan directly (not through the ranking's own
summary of it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

from pyt_arch_kit import Requirements, plan, rank_questions
from pyt_arch_kit.cli import main
from pyt_arch_kit.planning.model import Plan
from pyt_arch_kit.questions import _MEMO, Question
from pyt_arch_kit.requirements import _fmt
from tests.test_properties import requirements

#: A small admin tool: a handful of users, the rest left open.
ADMIN = {
    "name": "admin-tool",
    "summary": "Back-office tool for a few staff",
    "interface": "rest",
    "scale": {"peak_rps": 5, "data_gb": 1},
    "latency": {"p99_ms": 1000},
    "infrastructure": {"database": "postgresql", "cores_per_instance": 2, "team_size": 2},
}

#: How the test reads each aspect off a plan, independently of ``design_facts``.
READ: dict[str, Callable[[Plan], str]] = {
    "instances": lambda p: str(p.capacity.instances) if "app" in p.components else "0",
    "concurrency model": lambda p: (
        p.concurrency.model.value if "app" in p.components else "none (a batch job)"
    ),
    "framework": lambda p: p.concurrency.framework.value,
    "cache": lambda p: "none" if p.database is None else p.database.cache.value,
    "read replicas": lambda p: "0" if p.database is None else str(p.database.read_replicas),
    "standbys": lambda p: "0" if p.database is None else str(p.database.standbys),
    "PgBouncer": lambda p: "yes" if p.database is not None and p.database.pgbouncer else "no",
    "database": lambda p: "none" if p.database is None else p.database.engine.value,
    "broker": lambda p: "none" if p.broker is None else p.broker.name,
    "data tool": lambda p: "none" if p.data is None else p.data.tool_name,
    "pools fit the connection limit": lambda p: (
        "n/a"
        if p.database is None
        else "yes"
        if p.database.pgbouncer
        or p.database.total_connections
        <= p.database.connection_limit - p.database.reserved_connections
        else "no"
    ),
    "p99 meets the target": lambda p: (
        ("yes" if p.capacity.meets_p99 else "no") if "app" in p.components else "n/a"
    ),
}


def answered(req: Requirements, field: str, value: Any) -> Requirements:
    data = req.model_dump()
    section, _, key = field.rpartition(".")
    (data[section] if section else data)[key] = value
    return Requirements.model_validate(data)


def check_claims(req: Requirements, ranked: list[Question]) -> None:
    before = plan(req)
    for q in ranked:
        for probe in q.probes:
            after = plan(answered(req, q.field, probe.value))
            for change in probe.changes:
                assert change.aspect in READ, change  # every claim is checked here
                if change.aspect in READ:
                    assert READ[change.aspect](before) == change.before, (q.field, change)
                    assert READ[change.aspect](after) == change.after, (q.field, change)
            if not probe.changes:  # nothing the ranking reads changed
                for aspect, read in READ.items():
                    assert read(after) == read(before), (q.field, probe.value, aspect)


def test_a_small_admin_tools_top_questions_are_the_ones_that_change_it() -> None:
    req = Requirements.parse(ADMIN)
    ranked = rank_questions(req)
    assert sorted(q.field for q in ranked) == sorted(g.field for g in req.gaps())
    moving = [q.changes_design for q in ranked]
    assert moving[0] and not moving[-1]
    assert moving == sorted(moving, reverse=True)  # every question that changes it comes first
    scores = [q.score for q in ranked]
    assert scores == sorted(scores, reverse=True)
    check_claims(req, ranked)


def test_the_peak_question_says_what_ten_times_the_load_needs() -> None:
    req = Requirements.parse({**ADMIN, "scale": {"data_gb": 1}})  # peak left open
    q = next(q for q in rank_questions(req) if q.field == "scale.peak_rps")
    high = next(p for p in q.probes if p.relative == "×10")
    assert high.value == 1000  # the assumed 100 req/s, ×10
    assert "instances" in {c.aspect for c in high.changes}
    assert f"if {_fmt(high.value)} (×10 the assumption)" in q.impact()
    bigger = plan(answered(req, "scale.peak_rps", 1000.0))
    assert bigger.capacity.instances > plan(req).capacity.instances
    check_claims(req, [q])


def test_questions_that_change_nothing_are_listed_last_and_say_so() -> None:
    ranked = rank_questions(Requirements.parse(ADMIN))
    still = [q for q in ranked if not q.changes_design]
    assert still and ranked[-len(still) :] == still
    assert all(q.impact() == "does not change this design" for q in still)


def test_the_ranking_is_deterministic() -> None:
    req = Requirements.parse(ADMIN)
    first = rank_questions(req)
    _MEMO.clear()
    assert rank_questions(req) == first
    assert [q.field for q in rank_questions(req)] == [q.field for q in first]


def test_the_ranking_is_bounded_by_its_budget() -> None:
    ranked = rank_questions(Requirements(), budget=5)
    assert sum(len(q.probes) for q in ranked) == 5
    assert len(ranked) == len(Requirements().gaps())  # every question is still listed


def test_a_choice_is_tried_over_every_alternative() -> None:
    req = Requirements.parse({k: v for k, v in ADMIN.items() if k != "interface"})
    q = next(q for q in rank_questions(req) if q.field == "interface")
    assert {str(p.value) for p in q.probes} == {"grpc", "graphql", "websocket", "events", "batch"}


def test_cli_gaps_prints_the_ranked_order(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "admin.yaml"
    path.write_text(Requirements.parse(ADMIN).to_yaml(), encoding="utf-8")
    assert main(["gaps", str(path)]) == 0
    out = capsys.readouterr().out
    fields = [ln[2:].split(":")[0] for ln in out.splitlines() if ln.startswith("- ")]
    ranked = rank_questions(Requirements.from_file(path))
    assert fields == [q.field for q in ranked]
    top, last = ranked[0], ranked[-1]
    assert f"would change: {top.impact()}" in out
    tail = out.split(f"- {last.field}:")[1]
    assert "does not change this design" in tail


def test_the_offline_design_lists_assumptions_in_ranked_order() -> None:
    from pyt_arch_kit import Architect

    req = Requirements.parse(ADMIN)
    text = Architect().design(req).text
    summary = text.split("## System Diagram")[0]
    block = summary.split("**Assumptions**")[1]
    listed = re.findall(r"`([a-z0-9_.]+)` = ", block)
    assert listed == [q.field for q in rank_questions(req)]
    assert "*Would change:*" in block and "*Does not change this design*" in block


@settings(max_examples=8, deadline=None)
@given(requirements())
def test_every_open_question_is_ranked_once_changers_first(req: Requirements) -> None:
    ranked = rank_questions(req, budget=24)
    assert sorted(q.field for q in ranked) == sorted(g.field for g in req.gaps())
    moving = [q.changes_design for q in ranked]
    assert moving == sorted(moving, reverse=True)
    assert sum(len(q.probes) for q in ranked) <= 24
    check_claims(req, ranked)
