"""The advice a senior architect would sign (issue 13): each pitfall the designs used to state
wrong is read back from the generated design, so the wrong statement cannot come back."""

from __future__ import annotations

import re

import pytest

from pyt_arch_kit import Requirements, plan, preset, preset_names
from pyt_arch_kit.baseline import BASELINE, baseline_text
from pyt_arch_kit.design import Design
from pyt_arch_kit.planning.model import fmt_number
from pyt_arch_kit.planning.practices import LB_IDLE_TIMEOUT_S, SERVER_KEEPALIVE_S
from pyt_arch_kit.writer import write_design
from pyt_arch_kit.writer.code import profile

ONLINE = [n for n in preset_names() if (preset(n).scale.peak_rps or 0) > 0]
POSTGRES = [n for n in preset_names() if plan(preset(n)).database is not None]


def design_of(req: Requirements) -> Design:
    p = plan(req)
    return Design(title=req.name, text=write_design(p), plan=p)


def preset_design(name: str) -> Design:
    return design_of(preset(name))


def section(design: Design, title: str) -> str:
    return design.sections[title]


# -- PgBouncer ------------------------------------------------------------------------------

PGBOUNCER_ASYNC = Requirements.parse(
    {
        "scale": {"peak_rps": 20_000},
        "workload": {"cpu_ms_per_request": 2, "io_wait_ms_per_request": 40},
        "infrastructure": {"db_max_connections": 50},
    }
)


def test_pgbouncer_with_asyncpg_names_the_prepared_statement_fix() -> None:
    d = design_of(PGBOUNCER_ASYNC)
    assert d.plan is not None and d.plan.database is not None and d.plan.database.pgbouncer
    assert "asyncpg" in d.plan.database.driver
    assert "PgBouncer" in section(d, "Executive Summary")  # the fix: where it is done
    for title in ("Operational Considerations", "Risks and Mitigations"):
        text = section(d, title)
        assert "prepared_statement_cache_size=0" in text, title
        assert "max_prepared_statements" in text and "1.21" in text, title
    assert "named-statement-safe" not in d.text


@pytest.mark.parametrize("name", POSTGRES)
def test_the_pgbouncer_trigger_uses_the_design_s_own_useful_connections(name: str) -> None:
    d = preset_design(name)
    assert d.plan is not None and d.plan.database is not None
    db = d.plan.database
    ops = section(d, "Operational Considerations")
    useful = d.plan.figure("db_useful_connections").value
    assert useful == db.useful_connections
    usable = db.connection_limit - db.reserved_connections
    assert f"past {usable} usable, add PgBouncer" not in ops
    if (db.total_connections <= db.server_connections and not db.pgbouncer) or profile(
        d.plan
    ).low_traffic:  # the pools never outgrow what the database serves, or no load to pool
        assert "PgBouncer" not in ops
        return
    trigger = next(line for line in ops.splitlines() if "PgBouncer" in line)
    assert f"{db.useful_connections} active connections" in trigger or (
        f"about {db.useful_connections} server connections" in trigger
    )
    assert f"`default_pool_size` ≈ {db.useful_connections}" in trigger or db.pgbouncer


# -- SSI, deadlocks, idempotency, the outbox --------------------------------------------------


def test_the_ledger_states_one_mechanism_row_locks_in_id_order() -> None:
    d = preset_design("payments-ledger")
    assert "READ COMMITTED elsewhere" not in d.text
    summary = section(d, "Executive Summary")
    assert "one mechanism, row locks" in summary and "13.2.1" in summary
    assert "Not SERIALIZABLE on top" in summary
    for title in ("Executive Summary", "Risks and Mitigations"):
        text = section(d, title)
        assert "40P01" in text and "id order" in text, title


def test_idempotency_keys_are_scoped_expiring_fingerprinted_and_replay_the_response() -> None:
    d = preset_design("payments-ledger")
    assert d.plan is not None
    decision = d.plan.decision("idempotency")
    words = decision.choice + " " + decision.why
    for needed in (
        "scoped to",
        "24 h",
        "fingerprint",
        "stored response",
        "rejected",
        "not globally",
    ):
        assert needed in words, needed
    assert decision.choice in section(d, "Executive Summary")


def test_outbox_rows_carry_the_event_id_and_aggregate_key_the_risks_rely_on() -> None:
    d = preset_design("payments-ledger")
    assert d.plan is not None
    outbox = d.plan.decision("outbox").choice
    assert "event id" in outbox and "aggregate key" in outbox
    risks = section(d, "Risks and Mitigations")
    row = next(line for line in risks.splitlines() if "Duplicate or out-of-order" in line)
    assert "event id" in row and "aggregate key" in row


# -- gRPC -----------------------------------------------------------------------------------


def test_grpc_balances_calls_not_connections_with_one_process_per_container() -> None:
    d = preset_design("grpc-internal")
    assert d.plan is not None
    lb = d.plan.decision("load balancing")
    assert "round_robin" in lb.choice and "L7" in lb.choice and "max_connection_age" in lb.choice
    assert "balances connections, not calls" in lb.why
    guide = section(d, "Implementation Guidelines")
    assert "one process, one core each" in guide and "SO_REUSEPORT" not in lb.choice
    assert "DEADLINE_EXCEEDED" in guide and "grpc.health.v1" in guide
    assert "per-call balancing" in d.diagram
    assert "max_connection_age" in section(d, "Operational Considerations")


# -- retries --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ONLINE)
def test_retries_are_idempotent_only_bounded_budgeted_and_at_one_layer(name: str) -> None:
    d = preset_design(name)
    assert d.plan is not None
    target = d.plan.requirements.latency.p99_ms
    retries = d.plan.decision("retries")
    deadline = f"below the {fmt_number(target or 0)} ms"
    for needed in ("idempotent", "one layer", "retry budget of 10%", deadline):
        assert needed in retries.choice, needed
    assert "ch. 22" in retries.why
    rows = [ln for ln in section(d, "Risks and Mitigations").splitlines() if "Retry storms" in ln]
    if profile(d.plan).low_traffic:  # below 1 req/s nothing storms: the row would be padding
        assert rows == []
        return
    risk = rows[0]
    assert "idempotent" in risk and "10% retry budget" in risk


# -- probes, keep-alive, alerts ---------------------------------------------------------------


@pytest.mark.parametrize("name", ONLINE)
def test_readiness_never_queries_the_shared_database(name: str) -> None:
    """A service's probes are the baseline's: the design cites it, and says nothing else."""
    d = preset_design(name)
    assert BASELINE in section(d, "Executive Summary")
    assert "SELECT 1" not in section(d, "Operational Considerations")
    rules = " ".join(baseline_text().split())
    assert "readiness whether the worker is saturated, never the shared database" in rules
    assert "SELECT 1" not in rules


@pytest.mark.parametrize("name", ONLINE)
def test_server_keepalive_outlasts_the_load_balancer_idle_timeout(name: str) -> None:
    d = preset_design(name)
    line = next(
        (
            ln
            for ln in section(d, "Operational Considerations").splitlines()
            if ln.startswith("- Keep-alive")
        ),
        None,
    )
    if line is None:  # HTTP keep-alive: the baseline's, longer than the balancer's timeout
        assert SERVER_KEEPALIVE_S > LB_IDLE_TIMEOUT_S
        assert f"= {SERVER_KEEPALIVE_S} s against a {LB_IDLE_TIMEOUT_S} s" in baseline_text()
    else:  # gRPC and WebSockets ping inside the timeout
        assert "ping" in line


@pytest.mark.parametrize("name", ONLINE)
def test_burn_rate_alerts_have_the_workbook_s_short_windows(name: str) -> None:
    d = preset_design(name)
    ops = section(d, "Operational Considerations")
    assert d.plan is not None
    if profile(d.plan).low_traffic:  # SRE Workbook ch. 5, low-traffic services: tickets only
        assert "**tickets only**" in ops and "page at" not in ops
        return
    assert "(14.4×)" in ops and "(6×)" in ops and "ticket at" in ops
    assert "2 % of the budget in 1 h" not in ops
    windows = " ".join(baseline_text().split())
    assert "14.4× over both 1 h and 5 min" in windows and "6× over both 6 h and 30 min" in windows


# -- caching --------------------------------------------------------------------------------


def test_cache_aside_keeps_a_user_s_own_writes_visible() -> None:
    d = preset_design("grpc-internal")
    assert d.plan is not None and d.plan.database is not None
    assert d.plan.database.cache.startswith("Redis")
    caching = d.plan.decision("caching").why
    for text in (caching, section(d, "System Diagram"), baseline_text()):  # the risk: baseline
        assert "after the commit" in text
        assert "primary" in text


# -- data -----------------------------------------------------------------------------------


def test_a_spark_rerun_does_not_delete_earlier_partitions() -> None:
    risks = section(preset_design("big-data-pipeline"), "Risks and Mitigations")
    assert "partitionOverwriteMode=dynamic" in risks


# -- redundancy -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", preset_names())
def test_zones_are_named_only_with_instances_to_fill_them(name: str) -> None:
    d = preset_design(name)
    assert d.plan is not None
    cap = d.plan.capacity
    mentions = [int(z) for z in re.findall(r"across (\d+) (?:availability )?zones", d.text)]
    assert all(z == cap.zones for z in mentions)
    if cap.instances < 2:
        assert mentions == [] and "at least two availability zones" not in d.text


# -- the sections a senior always writes -----------------------------------------------------


@pytest.mark.parametrize("name", preset_names())
def test_security_data_safety_migrations_and_cost_are_inside_the_six_sections(name: str) -> None:
    d = preset_design(name)
    assert d.plan is not None
    assert len(re.findall(r"^## ", d.text, re.M)) == 7  # the six sections, then the appendix
    ops = section(d, "Operational Considerations")
    service = "app" in d.plan.components
    # a service's security, restore drill and migrations are the baseline's, which it cites
    rules = baseline_text() if service else ops
    guidelines = baseline_text() if service else section(d, "Implementation Guidelines")
    if service:
        assert BASELINE in section(d, "Executive Summary")
        assert "Rate limits" in rules and "Authentication" in rules
    assert "Security" in rules and "Secrets:" in rules
    if d.plan.database is not None:
        assert "sslmode=verify-full" in rules or "tls=true" in rules or "verifying `ssl`" in rules
        assert "**Data safety**" in ops and "RPO" in ops and "RTO" in ops
        assert "point-in-time" in rules
    if d.plan.database is not None and service:  # a job creates the table it loads
        assert "expand" in guidelines.lower()
    assert "**Cost**: about" in ops and "as of 2025-06" in d.appendix


@pytest.mark.parametrize(
    ("database", "says", "never"),
    [
        ("mysql", ["1213", "1205", "InnoDB locking reads"], ["SSI", "40P01", "PostgreSQL docs"]),
        ("postgresql", ["13.2.1 Read Committed", "40P01"], ["1213", "InnoDB"]),
    ],
)
def test_strong_consistency_advice_is_the_engines_own(
    database: str, says: list[str], never: list[str]
) -> None:
    p = plan(
        Requirements.parse(
            {"consistency": {"priority": "strong"}, "infrastructure": {"database": database}}
        )
    )
    text = write_design(p)
    prose = re.sub(r"```.*?```", "", text, flags=re.S)  # the code blocks are checked elsewhere
    for phrase in says:
        assert phrase in prose, phrase
    for phrase in never:
        assert phrase not in prose, phrase
