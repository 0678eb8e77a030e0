"""Issue 13, item 5: the sections of a design agree with the plan and with each other.

Built on :meth:`Design.verify`: its figures check compares every number a section quotes for a
plan figure with the plan, and its components check makes the summary, diagram and stack name
the plan's engine, cache, broker, framework and data tool and no rival. Here that runs for every
preset and for a hypothesis sweep of requirements, and each section is required to state the
plan's scale (so the agreement is never vacuous).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyt_arch_kit import Architect, Design, Requirements, plan, preset, preset_names
from pyt_arch_kit.verify import Verification
from pyt_arch_kit.verify.catalogue import chosen_components
from pyt_arch_kit.verify.mermaid import NodeMermaid
from pyt_arch_kit.writer import write_design
from tests.test_properties import requirements

BROKERS = ["kafka", "pulsar", "rabbitmq", "sqs", "redis", "kubernetes", "grpc", "asyncio"]


def figures_quoted(verdict: Verification) -> dict[str, set[str]]:
    """For each section, the plan figures it quotes (all already checked against the plan)."""
    out: dict[str, set[str]] = {}
    for q in verdict.quotes:
        out.setdefault(q.section, set()).add(q.figure)
    return out


def assert_consistent(design: Design, verdict: Verification) -> None:
    assert design.plan is not None
    assert not list(verdict), verdict.to_text()  # the checker finds no disagreement
    quoted = figures_quoted(verdict)
    if "app" in design.plan.components:  # a service: its size is stated where it is decided
        for section in ("Executive Summary", "System Diagram", "Operational Considerations"):
            assert "application instances" in quoted.get(section, set()), (section, quoted)
    else:  # a batch job: the data it is sized for
        assert "data per run (GB)" in quoted.get("Executive Summary", set()), quoted
    if design.plan.database is not None and "app" in design.plan.components:
        pool = (  # MongoDB pools per client with no overflow (pymongo's maxPoolSize)
            "connections per process (pool + overflow)"
            if design.plan.database.engine == "mongodb"
            else "pool size per process"
        )
        assert pool in quoted.get("Implementation Guidelines", set())


@pytest.mark.parametrize("name", preset_names())
def test_every_preset_states_the_plans_components_and_numbers(
    name: str, mermaid: NodeMermaid
) -> None:
    design = Architect().design(preset(name))
    verdict = design.verify(diagrams=mermaid)
    assert_consistent(design, verdict)
    assert verdict.check("diagram").status == "passed"  # mermaid's parser ran
    assert design.plan is not None and chosen_components(design.plan)  # something to agree on


def test_a_sweep_of_requirements_gives_consistent_designs(mermaid: NodeMermaid) -> None:
    diagrams: list[str] = []

    @given(requirements(), st.lists(st.sampled_from(BROKERS), max_size=3, unique=True))
    def check(r: Requirements, named: list[str]) -> None:
        r = r._with("proposed.technologies", named[:2])
        r = r._with("infrastructure.existing_services", named[2:])
        p = plan(r)
        design = Design(title=r.name, text=write_design(p), plan=p)
        assert_consistent(design, design.verify())
        diagrams.append(design.diagram)

    check()
    # mermaid's own parser on every diagram the sweep drew, in one node run
    verdicts = mermaid(list(dict.fromkeys(diagrams)))
    assert [v for v in verdicts if v is not None] == []


@pytest.mark.parametrize("database", ["postgresql", "mysql", "mongodb"])
def test_a_design_never_claims_pools_fit_under_a_limit_they_exceed(database: str) -> None:
    p = plan(
        Requirements.parse({"infrastructure": {"database": database, "db_max_connections": 5}})
    )
    assert p.database is not None
    usable = p.database.connection_limit - p.database.reserved_connections
    assert p.database.total_connections > usable
    text = write_design(p)
    assert f"{p.database.total_connections} ≤ {usable}" not in text
    assert f"= {p.database.total_connections} ≤ {usable} usable" not in text
    # and it says what happens instead: PgBouncer, or the limit to raise
    summary = text.split("## System Diagram")[0]
    assert f"more than the {usable} usable" in summary
    assert ("PgBouncer multiplexes" in summary) == (database == "postgresql")
    # and Operational Considerations agree: the limit is raised first, not worked around
    assert ("more than the limit: raise it first" in text) == (database != "postgresql")


def test_a_pooler_never_holds_more_server_connections_than_the_limit_leaves() -> None:
    # 4 connections allowed, 3 reserved: the database would serve ~5 well, but 1 is all there is.
    p = plan(
        Requirements.parse({"infrastructure": {"database": "postgresql", "db_max_connections": 4}})
    )
    assert p.database is not None and p.database.pgbouncer
    usable = p.database.connection_limit - p.database.reserved_connections
    assert p.database.server_connections == usable < p.database.useful_connections
    text = write_design(p)
    assert f"onto ~{usable} server connections" in text
    assert f"default_pool_size ≈ {p.database.useful_connections}" not in text


@pytest.mark.parametrize(
    ("services", "source"),
    [([], "db -->|new rows every 600 s| job"), (["rabbitmq"], "broker -->|events| job")],
)
def test_a_streaming_job_is_drawn_reading_from_what_the_plan_has(
    services: list[str], source: str
) -> None:
    p = plan(
        Requirements.parse(
            {
                "workload": {"data_mode": "streaming", "freshness_s": 600, "batch_data_gb": 5},
                "infrastructure": {"existing_services": services},
            }
        )
    )
    design = Design(title="t", text=write_design(p), plan=p)
    assert source in design.diagram
    assert "Kafka" not in design.diagram
    assert 'job["polars (lazy, streaming engine)"]' in design.diagram  # named whole


@pytest.mark.parametrize("services", [[], ["rabbitmq"], ["pulsar"], ["kafka"]])
def test_a_stream_consumed_as_it_arrives_reads_the_plans_kafka(services: list[str]) -> None:
    p = plan(
        Requirements.parse(
            {
                "workload": {"data_mode": "streaming", "freshness_s": 10, "batch_data_gb": 5},
                "infrastructure": {"existing_services": services},
            }
        )
    )
    assert p.broker is not None and p.broker.key == "kafka"  # the log its code consumes
    design = Design(title="t", text=write_design(p), plan=p)
    assert "broker -->|events| job" in design.diagram
    assert not list(design.verify()), design.verify().to_text()
