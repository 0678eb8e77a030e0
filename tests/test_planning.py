"""The planner's figures against hand-computed worked examples, and its decisions."""

from __future__ import annotations

import math

import pytest

from pyt_arch_kit import Architect, Requirements, plan, preset
from pyt_arch_kit.design import main_text
from pyt_arch_kit.planning import ConcurrencyModel
from pyt_arch_kit.planning.choices import framework_text
from pyt_arch_kit.planning.queueing import (
    erlang_c,
    fanout_slow_probability,
    littles_law,
    mmc_wait,
    usl_throughput,
)


def req(**sections: object) -> Requirements:
    return Requirements.parse(dict(sections))


# -- queueing formulas ----------------------------------------------------------------------


def test_littles_law_worked_example_from_design_notes() -> None:
    assert littles_law(2000, 0.050) == pytest.approx(100.0)


def _erlang_c_by_factorials(c: int, a: float) -> float:
    """The textbook formula, independent of the recursion the package uses."""
    rho = a / c
    top = a**c / math.factorial(c) / (1 - rho)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


@pytest.mark.parametrize(("c", "a"), [(1, 0.7), (2, 1.0), (4, 3.2), (10, 8.0), (30, 25.0)])
def test_erlang_c_matches_the_factorial_formula(c: int, a: float) -> None:
    assert erlang_c(c, a) == pytest.approx(_erlang_c_by_factorials(c, a), rel=1e-9)


def test_erlang_c_does_not_overflow_for_large_pools() -> None:
    value = erlang_c(2000, 1900.0)
    assert 0.0 < value < 1.0


def test_erlang_c_is_one_when_the_queue_is_unstable() -> None:
    assert erlang_c(4, 4.0) == 1.0


def test_mm1_p99_wait_matches_hand_computation() -> None:
    # M/M/1, λ = 0.5/s, μ = 1/s: C = ρ = 0.5, t99 = ln(0.5 / 0.01) / (1 − 0.5)
    prob, mean, p99 = mmc_wait(0.5, 1.0, 1)
    assert prob == pytest.approx(0.5)
    assert mean == pytest.approx(1.0)  # Wq = C / (cμ − λ) = 0.5 / 0.5
    assert p99 == pytest.approx(math.log(50) / 0.5)


def test_wait_is_infinite_past_saturation() -> None:
    assert mmc_wait(10.0, 1.0, 5)[2] == math.inf


def test_fanout_of_100_hits_a_slow_backend_63_percent_of_the_time() -> None:
    assert fanout_slow_probability(100) == pytest.approx(0.634, abs=1e-3)


def test_usl_with_no_contention_is_linear() -> None:
    assert usl_throughput(8, 100.0, 0.0, 0.0) == pytest.approx(800.0)
    assert usl_throughput(8, 100.0, 0.1, 0.01) < 800.0


# -- capacity -------------------------------------------------------------------------------


def test_in_flight_is_rate_times_time_in_system() -> None:
    p = plan(
        req(
            scale={"peak_rps": 2000},
            workload={"cpu_ms_per_request": 5, "io_wait_ms_per_request": 45},
        )
    )
    assert p.figure("in_flight").value == pytest.approx(100.0)
    assert p.figure("in_flight").formula == "L = λ · W"


def test_cpu_capacity_worked_example_500_rps_at_8_ms() -> None:
    # 500 req/s × 8 ms = 4 busy cores → ⌈4 / 0.66⌉ = 7 cores at one core per instance.
    # (No IO: a sync worker waiting on IO would hold its core's only worker, see below.)
    p = plan(
        req(
            scale={"peak_rps": 500},
            latency={"p99_ms": 1000, "availability_pct": 99.0},
            workload={"cpu_ms_per_request": 8, "io_wait_ms_per_request": 0},
            infrastructure={"cores_per_instance": 1},
        )
    )
    assert p.figure("busy_cores").value == pytest.approx(4.0)
    assert p.capacity.cores == 7
    assert p.capacity.utilisation == pytest.approx(4 / 7)


def test_slo_of_three_nines_gets_at_least_two_instances() -> None:
    p = plan(req(scale={"peak_rps": 1}, latency={"availability_pct": 99.9}))
    assert p.capacity.instances >= 2


def test_tight_p99_adds_instances_until_queueing_fits() -> None:
    # Nearly constant service times (cv 0.1): the request's own p99 is ~12.5 ms, so only the
    # wait has to shrink to fit 14 ms.
    base = {
        "scale": {"peak_rps": 300},
        "workload": {"cpu_ms_per_request": 10, "io_wait_ms_per_request": 0, "service_cv": 0.1},
        "infrastructure": {"cores_per_instance": 2},
    }
    loose = plan(Requirements.parse({**base, "latency": {"p99_ms": 5000}}))
    tight = plan(Requirements.parse({**base, "latency": {"p50_ms": 10, "p99_ms": 14}}))
    assert tight.capacity.instances > loose.capacity.instances
    assert tight.capacity.meets_p99


def test_p99_below_the_request_s_own_time_is_flagged_not_hidden() -> None:
    p = plan(
        req(
            latency={"p50_ms": 10, "p99_ms": 20},
            workload={"cpu_ms_per_request": 30, "io_wait_ms_per_request": 10},
        )
    )
    assert not p.capacity.meets_p99
    assert any("p99 target is not met" in f.title for f in p.findings)


def test_every_figure_carries_formula_inputs_and_source() -> None:
    p = plan(req(workload={"fanout_calls": 20, "data_mode": "batch"}))
    for f in p.figures:
        assert f.formula and f.source and f.inputs, f.key


# -- concurrency ----------------------------------------------------------------------------


def test_io_bound_with_many_in_flight_chooses_asyncio() -> None:
    p = plan(
        req(
            scale={"peak_rps": 2000},
            workload={"cpu_ms_per_request": 2, "io_wait_ms_per_request": 80},
        )
    )
    assert p.concurrency.model is ConcurrencyModel.ASYNCIO
    assert p.concurrency.workers_per_instance == p.capacity.cores_per_instance


def test_cpu_bound_with_little_io_chooses_processes() -> None:
    p = plan(
        req(
            scale={"peak_rps": 200},
            workload={"cpu_ms_per_request": 40, "io_wait_ms_per_request": 2},
        )
    )
    assert p.concurrency.model is ConcurrencyModel.PROCESSES


def test_mixed_work_chooses_a_hybrid_with_a_process_pool() -> None:
    p = plan(
        req(
            scale={"peak_rps": 300},
            infrastructure={"cores_per_instance": 8},
            workload={"cpu_ms_per_request": 20, "io_wait_ms_per_request": 30},
        )
    )
    assert p.concurrency.model is ConcurrencyModel.HYBRID
    assert p.concurrency.process_pool_workers >= 1


def test_tiny_load_stays_synchronous_with_gunicorn_formula() -> None:
    p = plan(req(scale={"peak_rps": 5}, infrastructure={"cores_per_instance": 2}))
    assert p.concurrency.model is ConcurrencyModel.SYNC
    assert p.concurrency.workers_per_instance == 2 * 2 + 1


def test_mandated_django_under_moderate_io_load_uses_threads() -> None:
    p = plan(
        req(
            scale={"peak_rps": 400},
            workload={"cpu_ms_per_request": 3, "io_wait_ms_per_request": 60},
            infrastructure={"must_use": ["Django"]},
        )
    )
    assert p.concurrency.model is ConcurrencyModel.THREADS
    assert "Django" in p.concurrency.framework


# -- database -------------------------------------------------------------------------------


def test_pools_of_all_workers_fit_under_max_connections() -> None:
    p = plan(
        req(
            scale={"peak_rps": 8000},
            workload={"db_calls_per_request": 3, "db_ms_per_call": 4},
            infrastructure={"db_max_connections": 200},
        )
    )
    db = p.database
    assert db is not None
    processes = p.capacity.instances * p.concurrency.workers_per_instance
    assert db.total_connections == processes * (db.pool_size + db.max_overflow)
    assert db.total_connections <= db.connection_limit - db.reserved_connections


def test_more_processes_than_connections_calls_for_pgbouncer() -> None:
    p = plan(
        req(
            scale={"peak_rps": 20000},
            workload={"cpu_ms_per_request": 20, "io_wait_ms_per_request": 5},
            infrastructure={"db_max_connections": 50},
        )
    )
    assert p.database is not None and p.database.pgbouncer
    assert "pgbouncer" in p.components


def test_async_pool_follows_littles_law_on_database_time() -> None:
    # 2,000 req/s × 2 calls × 5 ms = 20 busy connections across 16 event loops
    p = plan(
        req(
            scale={"peak_rps": 2000},
            workload={
                "cpu_ms_per_request": 5,
                "io_wait_ms_per_request": 45,
                "db_calls_per_request": 2,
                "db_ms_per_call": 5,
                "cache_hit_ratio": 0.0,  # no reads served by the cache: every call counts
            },
        )
    )
    assert p.figure("db_busy_connections").value == pytest.approx(20.0)
    assert p.database is not None
    loops = p.capacity.instances * p.concurrency.workers_per_instance
    assert p.database.pool_size == math.ceil(20 / loops * 2)


def test_strong_consistency_uses_row_locks_and_no_cache_of_mutable_data() -> None:
    p = plan(req(consistency={"priority": "strong"}, scale={"peak_rps": 5000}))
    assert p.database is not None
    assert p.database.isolation.startswith("READ COMMITTED (the PostgreSQL default) with row")
    assert p.database.cache.startswith("none")
    assert p.database.read_replicas == 0


def test_read_heavy_stale_tolerant_load_gets_replicas_and_a_cache() -> None:
    p = plan(
        req(
            scale={"peak_rps": 20000, "read_ratio": 0.95},
            consistency={"priority": "availability", "stale_read_tolerance_s": 30},
        )
    )
    assert p.database is not None
    assert p.database.read_replicas >= 1
    assert p.database.cache.startswith("Redis")
    assert p.database.cache_ttl_s == 30


def test_no_database_means_no_pool() -> None:
    p = plan(req(infrastructure={"database": "none"}))
    assert p.database is None
    assert "database" not in p.components


# -- data -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gb", "tool"), [(1, "pandas"), (50, "polars"), (500, "Dask"), (5000, "PySpark")]
)
def test_data_tool_follows_data_size(gb: float, tool: str) -> None:
    p = plan(req(workload={"data_mode": "batch", "batch_data_gb": gb}))
    assert p.data is not None and tool in p.data.tool


def test_pandas_ram_figure_is_ten_times_the_data() -> None:
    p = plan(req(workload={"data_mode": "batch", "batch_data_gb": 1.5}))
    assert p.figure("pandas_ram_gb").value == pytest.approx(15.0)


def test_second_level_freshness_streams_through_kafka() -> None:
    p = plan(req(workload={"data_mode": "streaming", "freshness_s": 5, "batch_data_gb": 2}))
    assert p.data is not None and "Kafka" in p.data.tool


# -- push-back ------------------------------------------------------------------------------


def _pushback(p: object) -> list[str]:
    return [f.title for f in p.findings if f.kind == "push-back"]  # type: ignore[attr-defined]


def test_microservices_kafka_kubernetes_for_a_tiny_tool_are_pushed_back() -> None:
    p = plan(
        req(
            scale={"peak_rps": 5},
            infrastructure={"team_size": 3},
            proposed={
                "architecture": "microservices",
                "service_count": 8,
                "technologies": ["Kafka", "Kubernetes"],
            },
        )
    )
    titles = " | ".join(_pushback(p))
    assert "8 services for 3 engineers" in titles
    assert "Kafka" in titles
    assert "Kubernetes" in titles


def test_async_proposed_where_sync_suffices_is_pushed_back() -> None:
    p = plan(req(scale={"peak_rps": 3}, proposed={"technologies": ["asyncio"]}))
    assert any("async where sync suffices" in t for t in _pushback(p))


def test_a_fitting_proposal_gets_no_push_back() -> None:
    p = plan(
        req(
            scale={"peak_rps": 3000},
            infrastructure={"team_size": 40},
            proposed={"architecture": "modular_monolith", "technologies": ["asyncio"]},
        )
    )
    assert _pushback(p) == []


def test_cluster_engine_for_small_data_is_pushed_back() -> None:
    p = plan(
        req(
            workload={"data_mode": "batch", "batch_data_gb": 5},
            proposed={"technologies": ["spark"]},
        )
    )
    assert any("cluster engine" in t for t in _pushback(p))


def test_fanout_warning_quotes_the_tail_probability() -> None:
    p = plan(req(workload={"fanout_calls": 100}))
    warning = next(f for f in p.findings if "fan-out" in f.title)
    assert "63%" in warning.detail


# -- determinism and assumptions ------------------------------------------------------------


def test_same_requirements_give_an_equal_plan() -> None:
    r = req(scale={"peak_rps": 1234})
    assert plan(r) == plan(r)


def test_assumptions_cover_every_gap() -> None:
    r = req(scale={"peak_rps": 10})
    p = plan(r)
    assert [a.field for a in p.assumptions] == [g.field for g in r.gaps()]
    assert p.requirements.gaps() == []


def test_batch_system_is_sized_by_its_data_not_by_requests() -> None:
    p = plan(req(interface="batch", workload={"data_mode": "batch", "batch_data_gb": 3000}))
    assert p.requirements.scale.peak_rps == 0
    assert "app" not in p.components
    assert p.data is not None and "PySpark" in p.data.tool


def test_busy_connections_beyond_what_the_database_serves_well_are_flagged() -> None:
    p = plan(
        req(
            scale={"peak_rps": 5000},
            workload={
                "cpu_ms_per_request": 1,
                "io_wait_ms_per_request": 4,
                "db_calls_per_request": 2,
                "db_ms_per_call": 5,
            },
        )
    )
    assert any("serves well" in f.title for f in p.findings)


def test_consistency_priority_is_stated_on_the_pacelc_scale() -> None:
    strong = plan(req(consistency={"priority": "strong"})).decision("consistency")
    available = plan(
        req(consistency={"priority": "availability", "stale_read_tolerance_s": 10})
    ).decision("consistency")
    assert strong.choice.startswith("PC/EC")
    assert available.choice.startswith("PA/EL") and "10 s" in available.why


def test_events_without_a_database_publish_straight_to_the_broker() -> None:
    p = plan(req(interface="events", infrastructure={"database": "none"}))
    assert "broker" in p.components
    assert "outbox_relay" not in p.components


def test_kafka_already_operated_is_not_pushed_back() -> None:
    p = plan(
        req(
            scale={"peak_rps": 300},
            infrastructure={"existing_services": ["Kafka"]},
            proposed={"technologies": ["kafka"]},
        )
    )
    assert not any("Kafka" in t for t in _pushback(p))


def test_a_few_services_for_a_larger_team_are_not_pushed_back() -> None:
    p = plan(
        req(
            infrastructure={"team_size": 8},
            proposed={"architecture": "microservices", "service_count": 4},
        )
    )
    assert _pushback(p) == []


def test_a_premature_kafka_is_pushed_back_on_and_left_out_of_the_design() -> None:
    design = Architect().design(preset("internal-tool-pushback"))
    findings = [f.title for f in design.plan.findings]
    assert "Kafka is more than this event rate needs" in findings
    assert "broker" not in design.plan.components
    assert "Message broker" not in design.diagram
    assert all(item.library != "confluent-kafka" for item in design.stack)


def test_a_proposed_kafka_at_a_rate_that_needs_it_stays_in_the_design() -> None:
    busy = preset("internal-tool-pushback").model_copy(
        update={
            "scale": preset("internal-tool-pushback").scale.model_copy(update={"peak_rps": 5000})
        }
    )
    p = plan(busy)
    assert "broker" in p.components and "outbox_relay" in p.components
    assert not any("Kafka" in f.title for f in p.findings)


# -- the broker ------------------------------------------------------------------------------


def _with(base: Requirements, section: str, **values: object) -> Requirements:
    data = base.model_dump(mode="json", exclude_none=True)
    data.setdefault(section, {}).update(values)
    return Requirements.parse(data)


def test_a_pushed_back_kafka_gives_way_to_the_rabbitmq_the_organisation_runs() -> None:
    rabbit = _with(
        preset("internal-tool-pushback"), "infrastructure", existing_services=["rabbitmq"]
    )
    design = Architect().design(rabbit)
    p = design.plan
    assert p.broker is not None and p.broker.name == "RabbitMQ"
    assert p.concurrency.model is ConcurrencyModel.SYNC and p.broker.client == "pika"
    assert "RabbitMQ" in p.decision("broker").choice
    libraries = [item.library for item in design.stack]
    assert "pika" in libraries and "confluent-kafka" not in libraries
    assert 'broker[["RabbitMQ"]]' in design.diagram and "Message broker" not in design.diagram
    pushback = next(f for f in p.findings if f.title == "Kafka is more than this event rate needs")
    assert "RabbitMQ" in pushback.recommendation
    # Kafka is named only where the design says why it is not used.
    text = main_text(design.text)  # the appendix lists Kafka among the alternatives weighed
    assert [line for line in text.splitlines() if "Kafka" in line] == [
        line for line in text.splitlines() if "Kafka is more than" in line
    ]


def test_an_async_design_on_sqs_uses_the_async_client() -> None:
    p = plan(
        req(
            interface="events",
            scale={"peak_rps": 2000},
            workload={"cpu_ms_per_request": 2, "io_wait_ms_per_request": 40},
            infrastructure={"existing_services": ["SQS"]},
        )
    )
    assert p.concurrency.model is ConcurrencyModel.ASYNCIO
    assert p.broker is not None and (p.broker.name, p.broker.client) == ("Amazon SQS", "aioboto3")
    framework = framework_text(p.concurrency.framework, p.broker)
    assert "Amazon SQS" in framework and "Kafka" not in framework


def test_an_event_interface_with_no_broker_named_defaults_to_kafka() -> None:
    p = plan(req(interface="events"))
    assert p.broker is not None and p.broker.name == "Kafka"
    assert "Kafka" in p.decision("broker").choice


def test_a_proposed_pulsar_at_a_rate_that_needs_it_is_the_broker() -> None:
    p = plan(req(scale={"peak_rps": 5000}, proposed={"technologies": ["Pulsar"]}))
    assert p.broker is not None and (p.broker.name, p.broker.client) == ("Pulsar", "pulsar-client")


def test_a_design_without_events_makes_no_broker_decision() -> None:
    p = plan(preset("io-bound-api"))
    assert p.broker is None
    with pytest.raises(KeyError):
        p.decision("broker")


def test_technology_names_match_whatever_their_case_and_spacing() -> None:
    from pyt_arch_kit.planning._names import named

    assert named([" Kubernetes", "K8S "]) == {"kubernetes", "k8s"}
    p = plan(req(scale={"peak_rps": 5}, proposed={"technologies": [" Kubernetes "]}))
    assert any("Kubernetes" in t for t in _pushback(p))
