"""Review 3 (issue 20, round 4; cross-cutting 2 and 8, io-bound-api 2–4): the database is sized
from its CPU per query and its working set, not one core per busy connection; egress is in
the bill; max_connections is a parameter-group setting; the design claims stale reads only
when something serves them; and the IO wait the model uses is split into the database's share
and the rest."""

from __future__ import annotations

from typing import Any

import pytest

from pyt_arch_kit import Requirements, RequirementsError, plan, preset, preset_names
from pyt_arch_kit.planning.costs import UNIT_PRICES, bill_of_materials, tiered
from pyt_arch_kit.planning.model import Plan
from pyt_arch_kit.writer import write_design


def _with(name: str, **workload: Any) -> Plan:
    data = preset(name).model_dump(mode="json", exclude_none=True)
    data["workload"] = {**data.get("workload", {}), **workload}
    return plan(Requirements.parse(data))


def _line(p: Plan, start: str) -> Any:
    return next(c for c in bill_of_materials(p) if c.component.startswith(start))


def test_the_io_bound_database_is_sized_by_its_cpu_per_query() -> None:
    """Bug fixed: 18 busy connections of 3 ms queries were taken as 18 busy cores, so 32 vCPU
    (db.r7g.8xlarge, 5,632 of 6,549 USD). A connection waits on the network and the disk for
    part of a call: at the stated half of a call on CPU, 9 cores are busy, 16 vCPU carry them
    at ≤ 75 %, and the 67 GB working set fits the class's 128 GiB."""
    p = plan(preset("io-bound-api"))
    db = p.database
    assert db is not None
    assert db.db_busy_connections == pytest.approx(18.0)
    assert db.db_busy_cores == pytest.approx(9.0)  # 6,000 queries/s × 1.5 ms of CPU
    primary = next(m for m in p.materials if m.part == "Database primary")
    assert primary.instance == "db.r7g.4xlarge" and db.db_cores == 16
    line = _line(p, "Database (")
    assert line.monthly is not None and line.monthly < 3000
    # the connections a 16-core server serves well still hold the busy ones: no false warning
    assert db.useful_connections >= db.db_busy_connections
    assert not any("serves well" in f.title for f in p.findings)
    busy = p.figure("db_busy_cores")
    assert "pg_stat_statements" in busy.source


def test_a_measured_cpu_per_query_sizes_the_cores_and_the_working_set_keeps_its_ram() -> None:
    """workload.db_cpu_ms_per_call = 0.3 ms: 1.8 cores busy, 4 would carry them, but the 67 GB
    working set needs 64 GiB: db.r7g.2xlarge. The connections served well rise with the share of
    a call spent waiting (up to the wiki's 10 × cores)."""
    p = _with("io-bound-api", db_cpu_ms_per_call=0.3)
    db = p.database
    assert db is not None
    assert db.db_busy_cores == pytest.approx(1.8)
    primary = next(m for m in p.materials if m.part == "Database primary")
    assert primary.instance == "db.r7g.2xlarge" and "67 GB RAM" in primary.basis
    assert db.useful_connections == 10 * db.db_cores  # 0.3 of 3 ms: 10 per core
    assert "(10 × its cores: those that keep them busy" in p.decision("connection pool").trade_off
    labels = dict(p.figure("db_busy_cores").inputs)
    assert "CPU s per call (workload.db_cpu_ms_per_call)" in labels


def test_more_cpu_per_call_than_the_call_holds_is_one_clear_line() -> None:
    with pytest.raises(RequirementsError) as exc:
        Requirements.parse({"workload": {"db_ms_per_call": 3, "db_cpu_ms_per_call": 5}})
    msg = str(exc.value)
    assert "workload.db_cpu_ms_per_call" in msg and "lower db_cpu_ms_per_call" in msg


@pytest.mark.parametrize("name", preset_names())
def test_every_design_with_clients_prices_what_it_sends_them(name: str) -> None:
    """Bug fixed: 4,666 GB a month of client transfer was 'before traffic', neither priced nor
    counted among the unpriced lines. Every design with clients now has a transfer line: to
    the internet at the EC2 tiers, or between zones for callers inside the region (gRPC,
    events); a job has no clients and no line."""
    p = plan(preset(name))
    lines = [c for c in bill_of_materials(p) if c.component.startswith("Data transfer")]
    if "app" not in p.components:
        assert lines == []
        return
    (line,) = lines
    assert line.quantity == p.figure("bom_transfer_gb_month").value
    assert line.monthly is not None and line.monthly > 0
    assert "aws.amazon.com/ec2/pricing" in line.note
    internal = p.resolved.interface in ("grpc", "events")
    assert line.component == ("Data transfer between zones" if internal else "Data transfer out")


def test_the_io_bound_egress_is_its_reads_at_the_first_tier() -> None:
    """600 req/s × 90 % reads × 3 KB × 30 days = 4,199 GB at $0.09: about 378 USD a month."""
    line = _line(plan(preset("io-bound-api")), "Data transfer out")
    assert line.quantity == pytest.approx(4199.04)
    assert line.monthly == pytest.approx(377.9, abs=0.1)


def test_pushed_messages_count_in_the_websocket_egress_and_the_tiers_apply() -> None:
    """5 messages/s to 10,000 sockets each is 50,000 sends/s at peak: at the requests' 1:4
    average, about 34 TB a month, priced through the tiers (10,240 GB at 0.09, then 0.085)."""
    p = plan(preset("realtime-websocket"))
    gb = p.figure("bom_transfer_gb_month").value
    assert gb > 30_000
    line = _line(p, "Data transfer out")
    assert line.monthly == pytest.approx(tiered(gb, UNIT_PRICES.egress_tiers or ()))
    assert line.monthly < gb * 0.09


def test_max_connections_is_a_parameter_group_setting_not_the_class_default() -> None:
    """Bug fixed: the design sized pools to max_connections = 200 while its hosting decision
    said max_connections follows the class (RDS: LEAST(DBInstanceClassMemory / 9531392,
    5000), 5,000 here)."""
    text = write_design(plan(preset("io-bound-api")))
    assert "follows the instance class" not in text
    assert "max_connections = 200, the limit the pools are sized to, is set explicitly" in text
    assert "LEAST(DBInstanceClassMemory / 9531392, 5000)" in text


def test_stale_reads_are_claimed_only_when_something_serves_them() -> None:
    """Bug fixed: 'reads may be served stale for up to 5 s' with no cache and no replica."""
    io = plan(preset("io-bound-api")).decision("consistency")
    assert "stale for up to" not in io.choice and io.choice.startswith("PC/EC as built")
    assert "no cache or replica serves stale reads" in io.why
    grpc = plan(preset("grpc-internal"))  # a Redis cache serves reads up to its TTL
    assert grpc.database is not None and grpc.database.cache_ttl_s
    assert "reads may be served stale for up to 30 s" in grpc.decision("consistency").choice


def test_the_io_wait_names_what_is_not_the_database() -> None:
    """Bug fixed: the model used 36 ms of IO per request while the design's only IO is 3
    database calls × 3 ms; the figures now split it: 9 ms database, 27 ms other IO."""
    split = dict(plan(preset("io-bound-api")).figure("db_ms_per_request").inputs)
    assert split["IO wait ms per request"] == 36
    assert split["other IO ms (IO wait − database)"] == 27


@pytest.mark.parametrize("name", preset_names())
def test_the_load_balancer_s_capacity_units_are_priced_not_left_as_traffic(name: str) -> None:
    """Bug fixed: the load balancer was 'plus per-traffic units', unpriced and not counted
    among the unpriced lines. Its LCUs at the average rate are the larger of the GB it
    processes an hour and the connections it holds / 3,000 (ALB pricing)."""
    p = plan(preset(name))
    lines = {c.component: c for c in bill_of_materials(p)}
    if "load_balancer" not in p.components:
        assert "Load balancer capacity units" not in lines
        return
    lcu = lines["Load balancer capacity units"]
    assert lcu.monthly is not None and lcu.monthly > 0
    assert "elasticloadbalancing/pricing" in lcu.note
    if name == "io-bound-api":  # 600 req/s × 3 KB × 3,600 s = 6.48 GB an hour
        assert lcu.quantity == pytest.approx(6.48 * 730, abs=0.1)
