"""The bill of materials (issue 14, item 6): cores, RAM, storage and network of every design."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from pyt_arch_kit import Requirements, plan, preset, preset_names
from pyt_arch_kit.charts import growth_points
from pyt_arch_kit.planning.bom import DB_HOT_SHARE, HORIZON_MONTHS, WORKER_RSS_MB
from pyt_arch_kit.planning.choices import Cache
from pyt_arch_kit.planning.connections import SOCKET_KIB, holds_sockets
from pyt_arch_kit.planning.model import Plan
from pyt_arch_kit.render import plan_markdown
from pyt_arch_kit.requirements import DatabaseKind
from pyt_arch_kit.writer import write_design
from tests.test_properties import requirements

BOM_KEYS = {
    "bom_cores",
    "bom_ram_gb",
    "bom_data_horizon_gb",
    "bom_backup_gb",
    "bom_storage_gb",
    "bom_network_mbps",
    "bom_transfer_gb_month",
}


def line(p: Plan, part: str) -> tuple[int, float, float, float]:
    x = next(x for x in p.materials if x.part == part)
    return x.count, x.cores, x.ram_gb, x.storage_gb


def check_totals(p: Plan) -> None:
    figs = {f.key: f for f in p.figures if f.key.startswith("bom_")}
    assert set(figs) == BOM_KEYS
    for f in figs.values():
        assert f.formula and f.inputs and f.source and f.value >= 0
    assert figs["bom_cores"].value == sum(x.cores for x in p.materials)
    ram = sum(x.ram_gb for x in p.materials)
    assert figs["bom_ram_gb"].value == pytest.approx(round(ram, 3))  # shown to 3 decimals
    parts = sum(x.storage_gb for x in p.materials)
    backups = figs["bom_backup_gb"].value
    assert figs["bom_storage_gb"].value == pytest.approx(parts + backups, rel=1e-3, abs=1e-2)
    if "app" in p.components:
        cap, conc = p.capacity, p.concurrency
        _, cores, ram, _ = line(p, "Application workers")
        assert cores == cap.instances * cap.cores_per_instance
        users = p.resolved.scale.concurrent_users if holds_sockets(p.resolved) else 0
        assert ram == pytest.approx(
            cap.instances * conc.workers_per_instance * WORKER_RSS_MB / 1e3
            + users * SOCKET_KIB * 1.024e-6
        )
    if p.pipeline is not None and p.pipeline.distributed:
        count, cores, ram, _ = next(
            (x.count, x.cores, x.ram_gb, x.storage_gb)
            for x in p.materials
            if "worker nodes" in x.part
        )
        assert count == p.pipeline.nodes
        assert cores >= p.pipeline.executors * p.pipeline.executor_cores
        assert ram >= p.pipeline.executors * p.pipeline.executor_memory_gb


@pytest.mark.parametrize("name", preset_names())
def test_every_preset_has_a_bill_whose_totals_add_up(name: str) -> None:
    check_totals(plan(preset(name)))


@settings(max_examples=40, deadline=None)
@given(requirements())
def test_the_totals_are_the_sum_of_the_parts(req: Requirements) -> None:
    check_totals(plan(req))


def test_database_copies_are_sized_like_the_primary_for_the_working_set() -> None:
    p = plan(  # the read-heavy API, with a cache that never hits: replicas and a standby
        Requirements(
            scale={"peak_rps": 20_000, "read_ratio": 0.95},
            consistency={"stale_read_tolerance_s": 30},
            workload={"cache_hit_ratio": 0.0},
        )
    )
    db = p.database
    assert db is not None and db.standbys and db.read_replicas
    _, cores, ram, stored = line(p, "Database primary")
    horizon = p.resolved.scale.data_gb + p.resolved.scale.growth_gb_per_month * HORIZON_MONTHS
    assert stored == pytest.approx(horizon)
    today = p.resolved.scale.data_gb  # sized for today's working set: the horizon, a later step
    assert ram >= DB_HOT_SHARE * today / 0.75 and ram >= min(db.db_cores, 64) * 8
    assert line(p, "Database read replicas") == (
        db.read_replicas,
        db.read_replicas * cores,
        db.read_replicas * ram,
        db.read_replicas * stored,
    )
    assert line(p, "Database standbys")[0] == db.standbys


def test_a_bigger_working_set_gets_more_database_ram() -> None:
    small = plan(Requirements(scale={"data_gb": 100}))
    large = plan(Requirements(scale={"data_gb": 5000}))
    assert line(large, "Database primary")[2] > line(small, "Database primary")[2]


def test_faster_growth_means_more_storage_at_the_horizon() -> None:
    slow = plan(Requirements(scale={"data_gb": 100, "growth_gb_per_month": 1}))
    fast = plan(Requirements(scale={"data_gb": 100, "growth_gb_per_month": 50}))
    assert fast.figure("bom_data_horizon_gb").value == 100 + 50 * HORIZON_MONTHS
    assert fast.figure("bom_storage_gb").value > slow.figure("bom_storage_gb").value


def test_redis_is_a_line_only_when_the_plan_caches_in_redis() -> None:
    for name in preset_names():
        p = plan(preset(name))
        has = any(x.part == "Redis cache nodes" for x in p.materials)
        assert has == (p.database is not None and p.database.cache is Cache.REDIS), name


def test_the_capacity_chart_uses_the_same_horizon() -> None:
    points = growth_points(plan(preset("io-bound-api")))
    assert points[-1].month == HORIZON_MONTHS


def test_the_bill_is_shown_in_the_plan_and_the_design() -> None:
    p = plan(preset("io-bound-api"))
    md, design = plan_markdown(p), write_design(p)
    appendix = design.split("## Appendix: figures")[1]
    for text in (md, appendix):
        assert "**Bill of materials**" in text
        for x in p.materials:
            assert f"| {x.part} |" in text
        assert "RAM in all (bill of materials)" in text


def test_a_time_series_store_keeps_what_its_retention_keeps_and_its_chunks_in_memory() -> None:
    p = plan(preset("timeseries-ingest"))
    db = p.database
    assert db is not None and db.engine is DatabaseKind.TIMESCALEDB
    _, _, ram, stored = line(p, "Database primary")
    # no growth past the retention; 90 % saved on chunks older than compress_after (2 days)
    recent = p.resolved.scale.growth_gb_per_month / 30 * 2
    assert stored == pytest.approx(recent + (p.resolved.scale.data_gb - recent) * 0.1)
    assert ram == pytest.approx(db.db_cores * 8 * 1.073741824)  # db.r7g: 8 GiB per vCPU
    check_totals(p)


def test_redis_as_the_store_is_billed_by_memory_per_shard_with_room_for_the_fork() -> None:
    p = plan(
        Requirements(scale={"peak_rps": 3000, "data_gb": 200}, workload={"data_shape": "key_value"})
    )
    used, host = p.figure("redis_memory_gb").value, p.figure("redis_host_memory_gb").value
    count, _, ram, stored = line(p, "Redis store primaries")
    assert count * host == pytest.approx(2 * used)  # every shard's host holds 2 × its share
    assert ram == pytest.approx(2 * used) and stored == pytest.approx(2 * used)
    assert not [x for x in p.materials if x.part.startswith("Database")]
    assert p.figure("bom_backup_gb").formula == "D_db · retention days"
    check_totals(p)
