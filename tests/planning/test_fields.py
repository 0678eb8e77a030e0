"""Every asked field changes the plan: payload, concurrent users, average rate, p50, hosting;
and a WebSocket service is sized for the sockets it holds open (issue 14, item 3)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pyt_arch_kit import Requirements, plan, preset
from pyt_arch_kit.planning.connections import sockets_per_instance_limit
from pyt_arch_kit.planning.model import Plan
from pyt_arch_kit.requirements import Hosting, Interface
from tests.test_properties import requirements

factors = st.floats(min_value=1.0, max_value=20.0)


def _titles(p: Plan) -> list[str]:
    return [f.title for f in p.findings]


def _with(r: Requirements, **changes: Any) -> Requirements:
    """``r`` with these fields changed (``section__field``), then every gap filled."""
    for path, value in changes.items():
        r = r._with(path.replace("__", "."), value)
    return r.resolved()[0]


def _fleet_fds(p: Plan) -> float:
    """Descriptors across the fleet at peak: sockets (or requests in flight) + pools + baseline."""
    n, workers = p.capacity.instances, p.concurrency.workers_per_instance
    per_worker = p.figure("fds_per_worker")
    pool_and_base = sum(v for k, v in per_worker.inputs if k in ("database pool", "baseline"))
    try:
        held = p.figure("sockets_per_instance").value * n
    except KeyError:
        held = p.capacity.in_flight
    assert isinstance(pool_and_base, int | float)
    return held + pool_and_base * workers * n


def _fleet_socket_gib(p: Plan) -> float:
    try:
        return p.figure("socket_memory_gib_per_instance").value * p.capacity.instances
    except KeyError:
        return 0.0


@settings(max_examples=60)
@given(requirements(), st.sampled_from([Interface.REST, Interface.WEBSOCKET]), factors)
def test_more_peak_load_never_means_fewer_cores_or_instances(
    r: Requirements, interface: Interface, factor: float
) -> None:
    base = _with(r, interface=interface)
    more = base._with("scale.peak_rps", (base.scale.peak_rps or 0) * factor)
    low, high = plan(base), plan(more)
    assert high.capacity.cores >= low.capacity.cores
    assert high.capacity.instances >= low.capacity.instances


@settings(max_examples=60)
@given(requirements(), st.sampled_from([Interface.REST, Interface.WEBSOCKET]), factors)
def test_more_concurrent_users_never_mean_fewer_cores_instances_descriptors_or_memory(
    r: Requirements, interface: Interface, factor: float
) -> None:
    base = _with(r, interface=interface)
    users = base.scale.concurrent_users or 0
    more = base._with("scale.concurrent_users", int(users * factor) + 1)
    low, high = plan(base), plan(more)
    assert high.capacity.cores >= low.capacity.cores
    assert high.capacity.instances >= low.capacity.instances
    if "app" in low.components:
        assert _fleet_fds(high) >= _fleet_fds(low)
        assert _fleet_socket_gib(high) >= _fleet_socket_gib(low)


def test_websocket_fleet_holds_every_socket_after_losing_a_zone() -> None:
    p = plan(preset("realtime-websocket"))
    users = p.resolved.scale.concurrent_users
    limit = sockets_per_instance_limit(p.capacity.cores_per_instance)
    assert p.capacity.instances_after_failure * limit >= users
    assert p.figure("sockets_per_instance_after_failure").value <= limit
    # the requests alone needed two instances: the sockets add the third
    fewer = plan(_with(preset("realtime-websocket"), scale__concurrent_users=1000))
    assert fewer.capacity.instances < p.capacity.instances
    topics = {d.topic for d in p.decisions}
    assert {"socket balancing", "broadcast", "heartbeats", "reconnects"} <= topics
    assert "workers need more file descriptors than the default limit" in _titles(p)


def test_a_rest_service_holds_no_sockets_and_stays_under_the_descriptor_limit() -> None:
    p = plan(preset("io-bound-api"))
    assert "socket balancing" not in {d.topic for d in p.decisions}
    assert p.figure("fds_per_worker").value < 1024
    assert p.figure("client_connections").value == p.resolved.scale.concurrent_users


def test_a_large_payload_warns_about_the_network_and_json_cpu() -> None:
    small = plan(preset("io-bound-api"))
    big = plan(_with(preset("io-bound-api"), scale__payload_kb=500))
    assert big.figure("network_mbps_per_instance").value > 100 * (
        small.figure("network_mbps_per_instance").value
    )
    assert "the network, not the CPU, may limit each instance" in _titles(big)
    assert "JSON serialisation is a large share of each request's CPU" in _titles(big)
    assert not {t for t in _titles(small) if "network" in t or "JSON" in t}


def test_average_rate_sets_the_autoscaling_floor_and_daily_volume() -> None:
    r = preset("io-bound-api")
    quiet = plan(_with(r, scale__avg_rps=50))
    busy = plan(_with(r, scale__avg_rps=2000))
    assert quiet.figure("autoscaling_floor").value < busy.figure("autoscaling_floor").value
    assert busy.figure("autoscaling_floor").value == busy.capacity.instances
    assert quiet.figure("autoscaling_floor").value >= 2  # N+1 at a 99.9 % SLO
    assert quiet.figure("daily_requests").value == 50 * 86_400


def test_a_p50_target_below_the_estimate_is_a_warning() -> None:
    r = preset("io-bound-api")
    met = plan(r)
    missed = plan(_with(r, latency__p50_ms=met.capacity.p50_ms / 2))
    assert "the median misses the p50 target" not in _titles(met)
    assert "the median misses the p50 target" in _titles(missed)


def test_hosting_decides_who_runs_the_database() -> None:
    r = preset("payments-ledger")
    cloud = plan(_with(r, infrastructure__hosting=Hosting.CLOUD)).decision("database hosting")
    on_prem = plan(_with(r, infrastructure__hosting=Hosting.ON_PREM)).decision("database hosting")
    assert "managed service" in cloud.choice and "parameter group" in cloud.why
    assert "Patroni" in on_prem.choice and "pgBackRest" in on_prem.why


def test_broadcast_rides_the_plans_redis_else_a_small_redis_for_the_code() -> None:
    r = preset("realtime-websocket")
    with_redis = plan(r)
    no_cache = plan(_with(r, consistency__stale_read_tolerance_s=0.0))
    assert "redis" in with_redis.components
    assert with_redis.decision("broadcast").choice.startswith("Redis pub/sub:")
    assert "redis" in no_cache.components  # the bus, costed and drawn
    assert no_cache.decision("broadcast").choice.startswith("Redis pub/sub (a small Redis")
