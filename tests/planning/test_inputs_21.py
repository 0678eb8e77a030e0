"""The models and inputs of issue 21: each input a user has is accepted and changes the plan."""

from __future__ import annotations

import pytest

from pyt_arch_kit import Requirements, plan
from pyt_arch_kit.planning.model import ConcurrencyModel


def _figure(p: object, key: str) -> float:
    return float(next(f.value for f in p.figures if f.key == key))  # type: ignore[attr-defined]


def test_a_1_ms_cpu_handler_gets_no_process_pool() -> None:
    """1 ms CPU + 3 ms IO: the pool's hand-off costs about as much as the work."""
    for rps in (100, 5000):
        p = plan(
            Requirements(
                scale={"peak_rps": rps},
                workload={"cpu_ms_per_request": 1, "io_wait_ms_per_request": 3},
            )
        )
        assert p.concurrency.model is not ConcurrencyModel.HYBRID
        assert p.concurrency.process_pool_workers == 0
        assert "hand-off" in p.concurrency.why


def test_a_20_ms_cpu_handler_still_gets_its_pool() -> None:
    p = plan(
        Requirements(
            scale={"peak_rps": 200},
            workload={"cpu_ms_per_request": 20, "io_wait_ms_per_request": 40},
        )
    )
    assert p.concurrency.model is ConcurrencyModel.HYBRID


def test_the_database_is_sized_from_its_load_without_a_ceiling() -> None:
    """17,400 calls/s of 2 ms keep 34.8 connections busy: 32 vCPU, PgBouncer at 64, not 17."""
    p = plan(
        Requirements(
            scale={"peak_rps": 17_400},
            consistency={"priority": "strong"},
            workload={"db_calls_per_request": 1, "db_ms_per_call": 2},
        )
    )
    db = p.database
    assert db is not None
    assert db.db_busy_connections == pytest.approx(34.8)
    assert db.db_cores == 32
    assert db.server_connections >= db.db_busy_connections


def test_the_database_cores_given_are_used() -> None:
    p = plan(Requirements(scale={"peak_rps": 1000}, infrastructure={"db_cores": 96}))
    assert p.database is not None
    assert p.database.db_cores == 96 and p.database.useful_connections == 192


def test_the_shuffle_share_sets_the_throughput_per_core() -> None:
    def rate(share: float) -> float:
        p = plan(
            Requirements(
                interface="batch",
                workload={"data_mode": "batch", "batch_data_gb": 1000, "shuffle_share": share},
                proposed={"technologies": ["pyspark"]},
            )
        )
        return _figure(p, "mb_per_s_per_core")

    assert rate(0.0) == pytest.approx(25.0)
    assert rate(1.0) == pytest.approx(100e6 / (23 * 60 * 6592))
    assert rate(0.0) > rate(0.5) > rate(1.0)


def test_a_consumer_slower_than_a_tenth_of_a_mb_per_s_is_accepted() -> None:
    """1 KB events at 10/s per consumer: 0.01 MB/s; 1,000 events/s need 100 partitions."""
    p = plan(
        Requirements(
            interface="batch",
            scale={"payload_kb": 1},
            workload={"data_mode": "streaming", "events_per_s": 1000, "consumer_mb_s": 0.01},
        )
    )
    assert p.pipeline is not None and p.pipeline.partitions == 100
    assert _figure(p, "stream_partitions_for_growth") == 200


def test_node_ram_sizes_the_executors() -> None:
    def memory(ram: float | None) -> float:
        infra = {"cores_per_instance": 16} | ({"node_ram_gb": ram} if ram else {})
        p = plan(
            Requirements(
                interface="batch",
                workload={"data_mode": "batch", "batch_data_gb": 5000},
                infrastructure=infra,
                proposed={"technologies": ["pyspark"]},
            )
        )
        return _figure(p, "executor_memory_gb")

    assert memory(64) == pytest.approx(63 / 3 / 1.1)
    assert memory(None) == pytest.approx((16 * 8 - 1) / 3 / 1.1)


def test_a_cache_ttl_above_300_s_and_a_zipf_skew_are_used() -> None:
    base = {
        "scale": {"peak_rps": 2000, "read_ratio": 0.95},
        "consistency": {"priority": "availability", "stale_read_tolerance_s": 3600},
        "workload": {"cache_keys": 10_000_000},
    }
    default = plan(Requirements(**base))
    longer = plan(
        Requirements(**(base | {"workload": {"cache_keys": 10_000_000, "cache_ttl_s": 1800}}))
    )
    skewed = plan(
        Requirements(**(base | {"workload": {"cache_keys": 10_000_000, "cache_zipf_alpha": 1.2}}))
    )
    assert default.database is not None and longer.database is not None
    assert default.database.cache_ttl_s == 300 and longer.database.cache_ttl_s == 1800
    assert longer.database.cache_hit_ratio > default.database.cache_hit_ratio
    assert skewed.database is not None
    assert skewed.database.cache_hit_ratio > default.database.cache_hit_ratio


def test_the_balancer_is_an_input_and_an_assumption() -> None:
    r = Requirements(scale={"peak_rps": 100})
    assert any(g.field == "infrastructure.balancer" for g in r.gaps())
    p = plan(Requirements(scale={"peak_rps": 100}, infrastructure={"balancer": "random"}))
    assert _figure(p, "arrival_cv2") == 1.0
