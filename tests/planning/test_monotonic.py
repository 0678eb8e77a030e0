"""Monotone relations of the planner, over generated requirements (hypothesis).

More load never means fewer cores, instances or connections; a tighter target or a higher SLO
never fewer instances; a looser connection limit never a pooler a tighter one did without.
"""

from __future__ import annotations

from hypothesis import assume, given
from hypothesis import strategies as st

from pyt_arch_kit import Requirements, plan
from pyt_arch_kit.planning.latency import Queue, response_time
from tests.test_properties import requirements

factors = st.floats(min_value=1.0, max_value=20.0)


def _resolved(r: Requirements) -> Requirements:
    return r.resolved()[0]


@given(requirements(), factors)
def test_more_load_never_fewer_cores_instances_or_busy_connections(
    r: Requirements, factor: float
) -> None:
    base = _resolved(r)
    more = base._with("scale.peak_rps", (base.scale.peak_rps or 0) * factor)
    low, high = plan(base), plan(more)
    assert high.capacity.in_flight >= low.capacity.in_flight
    assert high.capacity.busy_cores >= low.capacity.busy_cores
    assert high.capacity.cores >= low.capacity.cores
    assert high.capacity.instances >= low.capacity.instances
    # Misses λpᵢ / (1 + λpᵢT) grow with λ, so the database's load grows with the load, except
    # where more load moves the reads from one in-process cache per worker to one shared
    # Redis (200 req/s), which hits more often: that step lowers it on purpose.
    if (
        low.database is not None
        and high.database is not None
        and low.database.cache is high.database.cache
    ):
        assert high.database.db_busy_connections >= low.database.db_busy_connections


@given(requirements(), factors)
def test_event_loop_pools_hold_twice_the_busy_connections_below_the_limit(
    r: Requirements, factor: float
) -> None:
    """The total the pools may open is not monotone in the load (10 busy connections over 6
    loops are 6 × (4 + 2) = 36, over 7 loops 7 × (3 + 1) = 28: rounding), but while the limit
    does not bind it always holds twice the busy connections, at any load."""
    for peak_factor in (1.0, factor):
        base = _resolved(r)._with("infrastructure.db_max_connections", 1_000_000)
        p = plan(base._with("scale.peak_rps", (base.scale.peak_rps or 0) * peak_factor))
        db = p.database
        if db is None or p.concurrency.model.value not in ("asyncio", "hybrid"):
            continue
        if db.total_connections > (db.connection_limit - db.reserved_connections) // 2:
            continue  # near the limit the pools are shrunk to fit
        processes = p.capacity.instances * p.concurrency.workers_per_instance
        assert db.pool_size * processes >= 2 * db.db_busy_connections - 1e-9


@given(requirements(), st.floats(min_value=0.05, max_value=1.0))
def test_a_tighter_p99_never_fewer_instances_while_instances_can_meet_it(
    r: Requirements, tighter: float
) -> None:
    """A target below the request's own p99 (no queueing at all) cannot be met by any count:
    the plan then keeps the base fleet and names the levers (a 632 ms target may take 28
    instances, 630 ms below a 631 ms floor takes the base 9). Otherwise tighter never
    means fewer."""
    base = _resolved(r)
    p99 = base.latency.p99_ms or 250.0
    p50 = min(base.latency.p50_ms or 1.0, p99 * tighter)
    tight = base._with("latency.p99_ms", p99 * tighter)._with("latency.p50_ms", p50)
    loose_cap, tight_cap = plan(base).capacity, plan(tight).capacity
    unreachable = tight_cap.levers is not None and tight_cap.levers.instances is None
    if not unreachable:
        assert tight_cap.instances >= loose_cap.instances


@given(requirements(), st.sampled_from([99.0, 99.5, 99.9, 99.95, 99.99]))
def test_a_higher_slo_never_fewer_instances(r: Requirements, slo: float) -> None:
    base = _resolved(r)
    low = base._with("latency.availability_pct", min(slo, base.latency.availability_pct or 99.9))
    high = base._with("latency.availability_pct", max(slo, base.latency.availability_pct or 99.9))
    assert plan(high).capacity.instances >= plan(low).capacity.instances


@given(requirements(), factors)
def test_more_cpu_per_request_never_fewer_busy_cores_or_cores(
    r: Requirements, factor: float
) -> None:
    base = _resolved(r)
    # A batch system is not asked for CPU per request (it serves none): nothing to make heavier.
    assume(base.workload.cpu_ms_per_request is not None)
    cpu = base.workload.cpu_ms_per_request
    heavier = base._with("workload.cpu_ms_per_request", min(600_000.0, cpu * factor))
    """Cores too, unless the heavier request's own time puts the p99 target out of reach of any
    count: then, as for a tighter target, the plan keeps the base fleet and names the levers
    (27 ms of CPU met 250 ms with 12 one-core instances; 54 ms has a 315 ms floor and keeps
    the base 11)."""
    low, high = plan(base), plan(heavier)
    assert high.capacity.busy_cores >= low.capacity.busy_cores
    unreachable = high.capacity.levers is not None and high.capacity.levers.instances is None
    if low.concurrency.model is high.concurrency.model and not unreachable:
        assert high.capacity.cores >= low.capacity.cores


@given(requirements(), st.integers(min_value=2, max_value=50))
def test_a_looser_connection_limit_never_adds_a_pooler(r: Requirements, factor: int) -> None:
    base = _resolved(r)
    limit = base.infrastructure.db_max_connections or 100
    looser = base._with("infrastructure.db_max_connections", min(1_000_000, limit * factor))
    tight, loose = plan(base).database, plan(looser).database
    if tight is not None and loose is not None:
        assert not (loose.pgbouncer and not tight.pgbouncer)
        assert loose.total_connections >= tight.total_connections


queues = st.builds(
    Queue,
    st.sampled_from(["worker", "instance"]),
    st.integers(1, 16),
    st.integers(1, 8),
    st.booleans(),
    st.just("server"),
    st.just(""),
)


@given(
    queues,
    st.floats(1, 50_000),
    st.floats(0.01, 50),
    st.floats(0, 200),
    st.floats(0.1, 3),
    st.integers(1, 200),
)
def test_more_instances_never_raise_the_p99_and_more_load_never_lowers_it(
    queue: Queue, peak: float, cpu: float, io: float, cv: float, n: int
) -> None:
    p99 = response_time(peak, cpu, io, cv, queue, n).quantile(0.99)
    assert response_time(peak, cpu, io, cv, queue, n + 1).quantile(0.99) <= p99 * (1 + 1e-9)
    assert response_time(peak * 1.5, cpu, io, cv, queue, n).quantile(0.99) >= p99 * (1 - 1e-9)


@given(requirements(), st.integers(1, 64), st.integers(2, 5))
def test_more_cores_per_instance_never_more_instances(
    r: Requirements, cores: int, factor: int
) -> None:
    base = _resolved(r)._with("infrastructure.cores_per_instance", cores)
    bigger = base._with("infrastructure.cores_per_instance", cores * factor)
    assert plan(bigger).capacity.instances <= plan(base).capacity.instances
