"""planning/pushback.py: each push-back and warning on both sides of its threshold."""

from __future__ import annotations

from typing import Any

import pytest

from pyt_arch_kit.planning.model import (
    BrokerPlan,
    ConcurrencyModel,
    DatabasePlan,
    DataPlan,
    Finding,
    P99Levers,
)
from pyt_arch_kit.planning.pushback import _down, _up, find_issues
from tests.planning import capacity, concurrency, database, resolved

M = ConcurrencyModel


def issues(
    *,
    cap: dict[str, Any] | None = None,
    model: ConcurrencyModel = M.ASYNCIO,
    db: DatabasePlan | None = None,
    data: DataPlan | None = None,
    broker: BrokerPlan | None = None,
    **sections: Any,
) -> list[Finding]:
    r = resolved(**sections)
    return find_issues(r, capacity(**(cap or {})), concurrency(model), db, data, broker)


def titles(found: list[Finding]) -> list[str]:
    return [f.title for f in found]


@pytest.mark.parametrize(
    ("team", "services", "pushed"),
    [
        (8, 4, False),  # one service per two engineers: fine
        (8, 5, True),
        (9, 4, False),  # ⌊9 / 2⌋ = 4
        (9, 5, True),
        (1, 1, False),  # a team of one may run one service
        (1, 2, True),
        (3, 2, True),  # ⌊3 / 2⌋ = 1
    ],
)
def test_one_service_per_two_engineers(team: int, services: int, pushed: bool) -> None:
    found = issues(
        cap={"instances": 3},
        infrastructure={"team_size": team},
        proposed={"architecture": "microservices", "service_count": services},
    )
    title = f"{services} services for {team} engineers is premature distribution"
    assert (title in titles(found)) is pushed
    if pushed:
        finding = next(f for f in found if f.title == title)
        assert finding.kind == "push-back"
        assert "fits 3 instance(s) of one application" in finding.detail
        assert finding.recommendation.startswith("Build a modular monolith")


def test_many_services_in_a_modular_monolith_are_not_pushed_back() -> None:
    found = issues(
        infrastructure={"team_size": 2},
        proposed={"architecture": "modular_monolith", "service_count": 10},
    )
    assert not any("premature distribution" in t for t in titles(found))


@pytest.mark.parametrize(
    ("instances", "team", "pushed"),
    [(3, 5, True), (4, 5, False), (3, 6, False), (1, 1, True)],
)
def test_kubernetes_for_at_most_three_instances_and_five_engineers(
    instances: int, team: int, pushed: bool
) -> None:
    found = issues(
        cap={"instances": instances},
        infrastructure={"team_size": team},
        proposed={"technologies": ["k8s"]},
    )
    assert ("Kubernetes is more platform than this service needs" in titles(found)) is pushed


@pytest.mark.parametrize(
    ("technology", "model", "title"),
    [
        ("asyncio", M.SYNC, "async where sync suffices"),
        ("async", M.PROCESSES, "asyncio will not speed up CPU-bound work"),
        ("threads", M.PROCESSES, "threads will not parallelise pure-Python CPU work"),
        ("threading", M.PROCESSES, "threads will not parallelise pure-Python CPU work"),
    ],
)
def test_a_proposed_concurrency_model_that_does_not_fit(
    technology: str, model: ConcurrencyModel, title: str
) -> None:
    assert title in titles(issues(model=model, proposed={"technologies": [technology]}))
    fitting = issues(model=M.ASYNCIO, proposed={"technologies": [technology]})
    assert title not in titles(fitting)


def test_async_where_sync_suffices_quotes_the_in_flight_requests() -> None:
    found = issues(cap={"in_flight": 4.5}, model=M.SYNC, proposed={"technologies": ["asyncio"]})
    finding = next(f for f in found if f.title == "async where sync suffices")
    assert finding.detail.startswith("Only 4.5 requests are in flight at peak")


def _data(gb: float) -> DataPlan:
    return DataPlan("batch", "polars (lazy, streaming engine)", gb, gb * 10, 86400.0, "")


@pytest.mark.parametrize(("gb", "pushed"), [(100.0, True), (100.5, False), (5.0, True)])
def test_a_cluster_engine_for_data_that_fits_one_machine(gb: float, pushed: bool) -> None:
    found = issues(data=_data(gb), proposed={"technologies": ["dask"]})
    assert any(t.startswith("a cluster engine for") for t in titles(found)) is pushed
    assert not any(t.startswith("a cluster engine") for t in titles(issues(data=None)))


@pytest.mark.parametrize(("p99", "warned"), [(99.9, True), (100.0, False)])
def test_serverless_cold_starts_below_a_100_ms_p99(p99: float, warned: bool) -> None:
    found = issues(latency={"p50_ms": 20, "p99_ms": p99}, proposed={"architecture": "serverless"})
    assert ("cold starts threaten the p99 target" in titles(found)) is warned
    assert "cold starts threaten the p99 target" not in titles(
        issues(latency={"p50_ms": 20, "p99_ms": 50}, proposed={"architecture": "monolith"})
    )


@pytest.mark.parametrize(("calls", "warned"), [(9, False), (10, True)])
def test_fan_out_of_ten_calls_or_more_warns(calls: int, warned: bool) -> None:
    found = issues(cap={"fanout_slow_probability": 0.0956}, workload={"fanout_calls": calls})
    assert ("fan-out amplifies tail latency" in titles(found)) is warned
    if warned:
        finding = next(f for f in found if f.title == "fan-out amplifies tail latency")
        assert "Each request waits on 10 calls, so 10% of requests" in finding.detail


@pytest.mark.parametrize(
    ("busy", "title"),
    [
        (17.0, None),  # at what the database serves well (17): fine
        (17.01, "more busy connections than the database serves well"),
        (72.0, "more busy connections than the database serves well"),  # 0.8 × 90 = 72
        (72.01, "the database is the bottleneck"),
    ],
)
def test_busy_connections_against_useful_and_usable(busy: float, title: str | None) -> None:
    found = issues(db=database(db_busy_connections=busy))
    named = {
        "more busy connections than the database serves well",
        "the database is the bottleneck",
    }
    assert [t for t in titles(found) if t in named] == ([title] if title else [])
    if title == "the database is the bottleneck":
        finding = next(f for f in found if f.title == title)
        assert "72 connections are busy at peak against 90 usable" in finding.detail


def test_the_serves_well_warning_names_pgbouncer_with_the_drivers_fix() -> None:
    found = issues(db=database(db_busy_connections=30.0))
    finding = next(f for f in found if f.title.startswith("more busy connections"))
    assert "default_pool_size ≈ 17" in finding.recommendation
    assert "prepared_statement_cache_size=0" in finding.recommendation


def test_pools_that_outgrow_the_limit_warn_with_the_numbers() -> None:
    found = issues(db=database(pgbouncer=True, total_connections=120))
    finding = next(f for f in found if f.title.startswith("the workers could open more"))
    assert finding.kind == "warning"
    assert finding.detail == "The pools may open 120 connections against 100 − 10 reserved."
    assert "PgBouncer in transaction mode" in finding.recommendation
    assert not any(t.startswith("the workers could open") for t in titles(issues(db=database())))


@pytest.mark.parametrize(
    ("availability", "team", "warned"),
    [(99.99, 3, True), (99.98, 3, False), (99.99, 4, False), (99.999, 1, True)],
)
def test_four_nines_need_more_than_three_engineers(
    availability: float, team: int, warned: bool
) -> None:
    found = issues(latency={"availability_pct": availability}, infrastructure={"team_size": team})
    assert (f"{availability:g} % with {team} engineers" in titles(found)) is warned


# -- the p99 ----------------------------------------------------------------------------------


def test_a_missed_p99_lists_each_lever_that_would_meet_it() -> None:
    levers = P99Levers(
        instances=None, service_cv=0.456, cpu_ms=3.99, io_ms=12.34, target_ms=212.1, floor_ms=180
    )
    found = issues(
        cap={"meets_p99": False, "p99_ms": 212.1, "service_cv": 1.0, "levers": levers},
        latency={"p99_ms": 150},
        workload={"cpu_ms_per_request": 5, "io_wait_ms_per_request": 20},
    )
    finding = next(f for f in found if f.title == "the p99 target is not met by this plan")
    assert finding.detail.startswith("Estimated p99 212 ms against a target of 150 ms")
    assert "no instance count can meet the target" in finding.detail
    assert "a p99 of 180 ms before any queueing" in finding.detail
    assert finding.recommendation == (
        "What would meet it, each with the rest held: less variable requests (cv ≤ 0.45, "
        "today 1: cap the work per request, precompute or cache the slow cases); less CPU per "
        "request (≤ 3.9 ms, today 5); less IO wait per request (≤ 12 ms, today 20); a looser "
        "target (p99 ≥ 213 ms)."
    )


def test_levers_that_cannot_help_are_left_out() -> None:
    levers = P99Levers(
        instances=40, service_cv=1.0, cpu_ms=None, io_ms=None, target_ms=99.0, floor_ms=50
    )
    found = issues(cap={"meets_p99": False, "levers": levers, "service_cv": 1.0, "queue": "worker"})
    finding = next(f for f in found if f.title == "the p99 target is not met by this plan")
    assert "queueing per worker" in finding.detail and "would take 40" in finding.detail
    assert finding.recommendation == (
        "What would meet it, each with the rest held: 40 instances; a looser target (p99 ≥ 99 ms)."
    )


@pytest.mark.parametrize(
    ("cap", "warned"),
    [
        ({"p99_after_failure_ms": 201.0}, True),
        ({"p99_after_failure_ms": 200.0}, False),  # exactly the target still meets it
        ({"p99_after_failure_ms": 300.0, "redundancy_required": False}, False),
        ({"p99_after_failure_ms": 300.0, "instances_after_failure": 0}, False),
        ({"p99_after_failure_ms": 300.0, "meets_p99": False}, False),
    ],
)
def test_a_zone_outage_that_breaks_the_p99(cap: dict[str, Any], warned: bool) -> None:
    base = {"redundancy_required": True, "instances_after_failure": 2, "meets_p99": True}
    found = issues(cap={**base, **cap}, latency={"p99_ms": 200})
    assert ("a zone outage breaks the p99 target" in titles(found)) is warned
    if warned:
        finding = next(f for f in found if f.title == "a zone outage breaks the p99 target")
        assert "2 instance(s) carry the peak and the p99 rises to 201 ms against 200 ms" in (
            finding.detail
        )


@pytest.mark.parametrize(
    ("value", "down"), [(0.0, "0"), (-1.0, "0"), (0.456, "0.45"), (3.99, "3.9"), (12.34, "12")]
)
def test_a_bound_not_to_exceed_rounds_down(value: float, down: str) -> None:
    assert _down(value) == down


@pytest.mark.parametrize(
    ("value", "up"),
    [(0.0, "0"), (0.0123, "0.013"), (3.01, "3.1"), (9.99, "10"), (10.0, "10"), (12.1, "13")],
)
def test_a_bound_to_reach_rounds_up(value: float, up: str) -> None:
    assert _up(value) == up


@pytest.mark.parametrize(
    ("engine", "fix"),
    [
        ("mysql", "put ProxySQL in front to multiplex the pools onto ≈ 17 server connections"),
        ("mongodb", "lower maxPoolSize so that the clients together keep about 17 operations"),
    ],
)
def test_busy_connections_past_what_mysql_or_mongodb_serve_well_name_no_pgbouncer(
    engine: str, fix: str
) -> None:
    found = issues(db=database(engine=engine, driver="PyMySQL", db_busy_connections=30.0))
    finding = next(f for f in found if f.title.startswith("more busy connections"))
    assert fix in finding.recommendation
    assert "PgBouncer" not in finding.recommendation


@pytest.mark.parametrize(
    ("engine", "start"),
    [
        ("mysql", "Raise max_connections to at least 134 (each connection"),  # 120 / 0.9 → 134
        ("mongodb", "Raise the server's net.maxIncomingConnections to at least 134"),
    ],
)
def test_pools_over_a_mysql_or_mongodb_limit_say_raise_it(engine: str, start: str) -> None:
    found = issues(db=database(engine=engine, total_connections=120))
    finding = next(f for f in found if f.title.startswith("the workers could open more"))
    assert finding.recommendation.startswith(start)
    assert "PgBouncer" not in finding.recommendation


def test_microservices_with_no_service_count_are_taken_as_one_service() -> None:
    """The service count has no assumption: unset, it counts as one, which no team outgrows."""
    found = issues(infrastructure={"team_size": 2}, proposed={"architecture": "microservices"})
    assert not any("premature distribution" in t for t in titles(found))
    two = issues(
        infrastructure={"team_size": 2},
        proposed={"architecture": "microservices", "service_count": 2},
    )
    assert "2 services for 2 engineers is premature distribution" in titles(two)


@pytest.mark.parametrize(
    ("proposed", "existing", "instead"),
    [
        (["kafka"], [], "Use the database as the queue: a transactional outbox table"),
        (["kafka"], ["rabbitmq"], "Publish through the RabbitMQ the organisation already runs"),
        (["kafka", "rabbitmq"], [], "Publish through the RabbitMQ the team also proposed"),
    ],
)
def test_a_premature_kafka_says_what_to_publish_through_instead(
    proposed: list[str], existing: list[str], instead: str
) -> None:
    from pyt_arch_kit.planning.broker import plan_broker

    sections: dict[str, Any] = {
        "scale": {"peak_rps": 50},
        "proposed": {"technologies": proposed},
        "infrastructure": {"existing_services": existing},
    }
    broker, _ = plan_broker(resolved(**sections), M.SYNC)
    found = issues(broker=broker, **sections)
    finding = next(f for f in found if f.title == "Kafka is more than this event rate needs")
    assert finding.recommendation.startswith(instead)
    assert finding.recommendation.endswith(
        "revisit past ~1,000 events/s or when several consumers need replay."
    )
    assert finding.detail.startswith("At 50 events/s a Kafka cluster")


def test_a_premature_pulsar_is_named_pulsar() -> None:
    found = issues(scale={"peak_rps": 50}, proposed={"technologies": ["pulsar"]})
    assert "Pulsar is more than this event rate needs" in titles(found)


def test_a_missed_p99_with_no_io_says_zero_ms_of_io() -> None:
    levers = P99Levers(
        instances=None, service_cv=None, cpu_ms=None, io_ms=None, target_ms=40.0, floor_ms=35
    )
    found = issues(
        cap={"meets_p99": False, "p99_ms": 40.0, "service_cv": 1.0, "levers": levers},
        latency={"p50_ms": 5, "p99_ms": 20},
        workload={"cpu_ms_per_request": 8, "io_wait_ms_per_request": 0},
    )
    finding = next(f for f in found if f.title == "the p99 target is not met by this plan")
    assert "the request's own time: 8 ms CPU + 0 ms IO with cv 1 has a p99 of 35 ms" in (
        finding.detail
    )
    assert finding.recommendation == (
        "What would meet it, each with the rest held: a looser target (p99 ≥ 40 ms)."
    )
