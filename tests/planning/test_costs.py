"""planning/costs.py: the bill of materials, line by line, by value."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from pyt_arch_kit import plan
from pyt_arch_kit.planning.costs import UNIT_PRICES, CostLine, bill_of_materials, monthly_total
from tests.planning import req


def lines(**sections: Any) -> dict[str, CostLine]:
    return {line.component: line for line in bill_of_materials(plan(req(**sections)))}


def test_cost_line_monthly_needs_both_quantity_and_price() -> None:
    assert CostLine("x", 3.0, "vCPU", 37.0, "").monthly == pytest.approx(111.0)
    assert CostLine("x", None, "vCPU", 37.0, "").monthly is None
    assert CostLine("x", 3.0, "vCPU", None, "").monthly is None


def test_monthly_total_sums_the_priced_lines_and_counts_the_rest() -> None:
    bill = [
        CostLine("a", 2.0, "", 10.0, ""),
        CostLine("b", None, "", 10.0, ""),
        CostLine("c", 1.0, "", 5.5, ""),
        CostLine("d", 1.0, "", None, ""),
    ]
    assert monthly_total(bill) == (pytest.approx(25.5), 2)
    assert monthly_total([]) == (0, 0)


def test_a_service_with_a_database_and_redis() -> None:
    """io-bound-like: 5 × 4 vCPU at 37; PostgreSQL db.r7g.2xlarge, primary + 1 standby
    = 16 vCPU at 88; 250 GB × 2 copies of storage; backups of 250 GB; Redis primary + replica."""
    bill = lines(
        scale={"peak_rps": 2000, "read_ratio": 0.9, "data_gb": 250},
        latency={"p99_ms": 200, "availability_pct": 99.9},
        consistency={"priority": "balanced", "stale_read_tolerance_s": 5},
        workload={
            "cpu_ms_per_request": 4,
            "io_wait_ms_per_request": 36,
            "db_calls_per_request": 3,
            "db_ms_per_call": 3,
            "cache_keys": 1000,  # reads concentrate on few keys: the cache pays
        },
        infrastructure={"cores_per_instance": 4, "db_max_connections": 200},
    )
    app = bill["Application compute"]
    assert (app.quantity, app.unit, app.unit_price, app.monthly) == (20.0, "vCPU", 37.0, 740.0)
    assert app.note == "5 instance(s) × 4 vCPU, sized for the peak"
    assert bill["Load balancer"].monthly == pytest.approx(16.5)
    assert (bill["Redis cache"].quantity, bill["Redis cache"].monthly) == (2.0, 230.0)
    db = bill["Database (postgresql)"]
    # 2 cores needed, today's working set 20 % × 250 GB / 0.75 = 67 GB: db.r7g.2xlarge
    # (8 vCPU, 64 GiB = 68.7 GB) for the primary and its standby, at 88 per vCPU
    assert (db.quantity, db.monthly) == (16.0, 1408.0)
    assert db.note.startswith("primary + 1 standby, as in the bill of materials: db.r7g.2xlarge")
    storage = bill["Database storage"]
    assert (storage.quantity, storage.note) == (
        1100.0,
        "every copy at 24 months, as in the bill of materials",
    )
    assert bill["Backups (PITR window)"].quantity == pytest.approx(791.92)
    assert bill["Observability"].monthly is None
    assert "PgBouncer" not in bill


def test_one_copy_is_singular_and_replicas_add_copies() -> None:
    single = lines(latency={"availability_pct": 99.0}, scale={"data_gb": 10})
    assert single["Database (postgresql)"].note.startswith("primary, as in the bill")
    replicated = lines(
        scale={"peak_rps": 10000, "read_ratio": 0.9, "data_gb": 10},
        consistency={"priority": "balanced", "stale_read_tolerance_s": 5},
        latency={"availability_pct": 99.0},
    )
    # 9,000 reads/s → 2 replicas, no standby below the 99.9 % SLO: 3 copies
    assert replicated["Database storage"].quantity == 3 * single["Database storage"].quantity
    assert replicated["Database (postgresql)"].note.startswith("primary + 2 replica(s)")


def test_pgbouncer_is_two_small_vms() -> None:
    bill = lines(
        scale={"peak_rps": 20000},
        workload={"cpu_ms_per_request": 20, "io_wait_ms_per_request": 5},
        infrastructure={"db_max_connections": 50},
    )
    bouncer = bill["PgBouncer"]
    assert (bouncer.quantity, bouncer.unit, bouncer.monthly) == (2.0, "vCPU", 74.0)


@pytest.mark.parametrize(
    ("existing", "note"),
    [
        (["Kafka"], "already run by the organisation: only its extra topics and storage"),
        ([], "priced by brokers or requests: size it with the provider"),
    ],
)
def test_a_broker_is_listed_without_a_guessed_price(existing: list[str], note: str) -> None:
    bill = lines(interface="events", infrastructure={"existing_services": existing})
    kafka = bill["Kafka"]
    assert (kafka.quantity, kafka.unit_price, kafka.note) == (None, None, note)


def test_a_batch_job_prices_storage_and_leaves_the_cluster_to_a_test_run() -> None:
    bill = lines(
        interface="batch",
        scale={"data_gb": 300},
        workload={"batch_data_gb": 40},
        infrastructure={"database": "postgresql"},  # results go to a database it names
    )
    assert "Application compute" not in bill and "Load balancer" not in bill
    stored = bill["Object storage (Parquet)"]
    # 300 GB today, 660 GB at the bill's 24-month horizon: priced as the bill lists it
    assert (stored.quantity, stored.monthly) == (660.0, pytest.approx(660 * 0.023))
    job = next(v for k, v in bill.items() if k.startswith("Data job ("))
    assert job.component == "Data job (polars (lazy, streaming engine))"
    assert (job.quantity, job.monthly) == (None, None)
    assert job.note == "40 GB per run: size the cluster from a timed test run"
    db_storage = bill["Database storage"]  # the job's results only: no size to guess
    assert (db_storage.quantity, db_storage.note) == (None, "the job's results only: size them")
    assert bill["Backups (PITR window)"].quantity is None


def test_prices_are_replaceable() -> None:
    mine = replace(UNIT_PRICES, vcpu_month=10.0, cache_node_month=None)
    p = plan(req(scale={"peak_rps": 2000, "read_ratio": 0.9}))
    bill = {line.component: line for line in bill_of_materials(p, mine)}
    assert bill["Application compute"].monthly == pytest.approx(10.0 * p.capacity.cores)
    if "Redis cache" in bill:
        assert bill["Redis cache"].monthly is None


@pytest.mark.parametrize(
    ("workload", "component"),
    [
        ({"data_mode": "batch", "batch_data_gb": 1}, "Data job (pandas)"),
        (
            {"data_mode": "streaming", "freshness_s": 5, "batch_data_gb": 1},
            "Data job (Kafka + a Python consumer group (confluent-kafka))",
        ),
    ],
)
def test_the_data_job_is_named_by_its_tool_up_to_the_first_clause(
    workload: dict[str, Any], component: str
) -> None:
    """Bug fixed: the name was cut at the first comma even inside parentheses, giving
    'Data job (polars (lazy)'."""
    bill = lines(workload=workload)
    assert component in bill
