"""planning/capacity.py: instances for the cores, N+1 across zones, the p99, headroom."""

from __future__ import annotations

import math
from typing import Any

import pytest

from pyt_arch_kit import plan
from pyt_arch_kit.planning.capacity import (
    _fewest_surviving,
    _instances_for,
    p99_at_utilisation,
    size_fleet,
    survivors,
    zones_for,
)
from pyt_arch_kit.planning.latency import meets, queue_for, response_time
from pyt_arch_kit.planning.model import ConcurrencyModel
from tests.planning import req, resolved

# -- zones and N+1 --------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "zones"), [(0, 1), (1, 1), (2, 2), (3, 3), (4, 3), (9, 3)])
def test_instances_spread_over_at_most_three_zones(n: int, zones: int) -> None:
    assert zones_for(n) == zones


@pytest.mark.parametrize(
    ("n", "left"),
    # N − ⌈N / zones⌉: one instance leaves none; two leave one; 4 over 3 zones lose 2
    [(0, 0), (1, 0), (2, 1), (3, 2), (4, 2), (5, 3), (6, 4), (7, 4), (8, 5), (9, 6)],
)
def test_survivors_of_losing_the_largest_zone(n: int, left: int) -> None:
    assert survivors(n) == left


@pytest.mark.parametrize(
    ("needed", "fewest"),
    # two instances survive as one; with three zones ⌈3m / 2⌉, at least 3
    [(0, 2), (1, 2), (2, 3), (3, 5), (4, 6), (5, 8), (6, 9)],
)
def test_fewest_instances_whose_survivors_suffice(needed: int, fewest: int) -> None:
    assert _fewest_surviving(needed) == fewest
    assert survivors(fewest) >= needed
    if fewest > 2:
        assert survivors(fewest - 1) < needed  # the fewest, not just enough


@pytest.mark.parametrize(
    ("load", "per", "redundant", "n"),
    [
        (0.0, 4, True, 1),  # nothing busy
        (4.0, 0, False, 1),  # no capacity per instance to divide by
        (4.0, 1, False, 7),  # ⌈4 / 0.66⌉ = ⌈6.06⌉
        (3.96, 1, False, 6),  # ⌈6.0⌉ exactly: no extra instance for a rounding error
        (4.0, 1, True, 8),  # N+1: ⌈4 / 0.8⌉ = 5 survivors → ⌈7.5⌉ = 8
        (8.0, 4, True, 5),  # ⌈8 / 2.64⌉ = 4; survivors ⌈8 / 3.2⌉ = 3 → 5
        (0.5, 4, False, 1),
    ],
)
def test_instances_for_a_load(load: float, per: int, redundant: bool, n: int) -> None:
    assert _instances_for(load, per, redundant) == n


@pytest.mark.parametrize(
    ("availability", "instances", "redundant"),
    [(99.0, 7, False), (99.89, 7, False), (99.9, 8, True), (99.99, 8, True)],
)
def test_the_availability_slo_at_99_9_asks_for_n_plus_one(
    availability: float, instances: int, redundant: bool
) -> None:
    """500 req/s × 8 ms = 4 busy cores at one core each: 7 instances at U = 0.66; N+1 needs
    5 survivors at U = 0.8, so 8."""
    r = resolved(
        scale={"peak_rps": 500},
        latency={"availability_pct": availability, "p99_ms": 10_000},
        workload={"cpu_ms_per_request": 8, "io_wait_ms_per_request": 0},
        infrastructure={"cores_per_instance": 1},
    )
    fleet = size_fleet(r)
    assert fleet.busy_cores == pytest.approx(4.0)
    assert fleet.in_flight == pytest.approx(4.0)  # 500 × 8 ms
    assert fleet.instances == instances
    assert plan(r.requirements).capacity.redundancy_required is redundant


@pytest.mark.parametrize(("availability", "instances"), [(99.89, 1), (99.9, 2)])
def test_minimum_instance_count(availability: float, instances: int) -> None:
    """A tiny load fits one instance; N+1 at the SLO means at least two."""
    cap = plan(
        req(scale={"peak_rps": 1}, latency={"availability_pct": availability, "p99_ms": 10_000})
    ).capacity
    assert cap.instances == instances
    assert cap.zones == instances
    assert cap.instances_after_failure == instances - 1


def test_a_batch_job_is_never_sized_for_n_plus_one() -> None:
    r = resolved(interface="batch", latency={"availability_pct": 99.99})
    assert size_fleet(r).instances == 1
    cap = plan(r.requirements).capacity
    assert not cap.redundancy_required and cap.queue == "none"


# -- the capacity plan by value -----------------------------------------------------------------

IO_API: dict[str, Any] = {
    "scale": {"peak_rps": 2000},
    "latency": {"p99_ms": 200, "availability_pct": 99.9},
    "workload": {"cpu_ms_per_request": 4, "io_wait_ms_per_request": 36, "service_cv": 1.0},
    # a random split: each event loop an M/G/1 queue with Poisson arrivals, the textbook case
    "infrastructure": {"cores_per_instance": 4, "balancer": "random"},
}


def test_io_bound_worked_example() -> None:
    """2,000 req/s × 4 ms = 8 busy cores; ⌈8 / (4 × 0.66)⌉ = 4; N+1: ⌈8 / 3.2⌉ = 3 survivors
    → 5 instances, 20 cores, ρ = 0.4. Asyncio: each of the 20 event loops is an M/G/1 queue at
    ρ = 100 req/s × 4 ms = 0.4, so P(wait) = 0.4 and θ = (1 + 1²)/2 / (250 − 100) s = 6.67 ms;
    the p99 wait is θ · ln(0.4 / 0.01) = 24.6 ms. Losing a zone leaves 3 instances, cores
    8 / 12 busy. Headroom: 0.8 × 20 / 0.004 − 2,000 = 2,000 req/s."""
    p = plan(req(**IO_API))
    cap = p.capacity
    assert p.concurrency.model is ConcurrencyModel.ASYNCIO
    assert (cap.instances, cap.cores, cap.cores_per_instance, cap.zones) == (5, 20, 4, 3)
    assert cap.in_flight == pytest.approx(80.0)
    assert cap.busy_cores == pytest.approx(8.0)
    assert cap.utilisation == pytest.approx(0.4)
    assert cap.queue == "worker" and cap.queue_servers == 1 and cap.queue_server == "event loop"
    assert cap.queue_utilisation == pytest.approx(0.4)
    assert cap.wait_probability == pytest.approx(0.4)
    theta_ms = 1000 / 150
    assert cap.queue_wait_p99_ms == pytest.approx(theta_ms * math.log(40))
    assert cap.instances_after_failure == 3
    assert cap.utilisation_after_failure == pytest.approx(8 / 12)
    assert cap.headroom_rps == pytest.approx(2000.0)
    assert cap.service_ms == pytest.approx(40.0)
    assert cap.target_utilisation == 0.66
    assert cap.meets_p99 and cap.levers is None
    assert cap.p50_ms < cap.p99_ms <= 200
    assert cap.p99_after_failure_ms > cap.p99_ms  # three instances carry what five did


def test_the_p99_wait_is_zero_when_at_most_one_request_in_a_hundred_waits() -> None:
    """One core, CPU only (processes, one M/G/1 queue per instance), 10 ms per request:
    1 req/s is ρ = 0.01 → P(wait) = 0.01, not above 1 %: no p99 wait. 2 req/s is ρ = 0.02:
    θ = 1 / (100 − 2) s, p99 wait = θ · ln(0.02 / 0.01) = 7.07 ms."""
    shape: dict[str, Any] = {
        "latency": {"availability_pct": 99.0, "p99_ms": 10_000},
        "workload": {"cpu_ms_per_request": 10, "io_wait_ms_per_request": 0},
        "infrastructure": {"cores_per_instance": 1},
    }
    one = plan(req(scale={"peak_rps": 1}, **shape)).capacity
    two = plan(req(scale={"peak_rps": 2}, **shape)).capacity
    assert one.instances == two.instances == 1
    assert one.queue == "instance" and one.queue_servers == 1
    assert one.wait_probability == pytest.approx(0.01)
    assert one.queue_wait_p99_ms == 0.0
    assert two.wait_probability == pytest.approx(0.02)
    assert two.queue_wait_p99_ms == pytest.approx(1000 / 98 * math.log(2))


def test_sync_workers_held_by_io_set_the_headroom() -> None:
    """Sync: 5 req/s × (2 + 98) ms holds 0.5 workers; 1 instance × (2 × 2 + 1) = 5 workers.
    Cores: 0.8 × 2 / 0.002 = 800 req/s; workers: 0.8 × 5 / 0.1 = 40 req/s, the lower:
    headroom 40 − 5 = 35 req/s. Workers busy 0.5 / 5 = 0.1."""
    cap = plan(
        req(
            scale={"peak_rps": 5},
            latency={"availability_pct": 99.0, "p99_ms": 10_000},
            workload={"cpu_ms_per_request": 2, "io_wait_ms_per_request": 98},
            infrastructure={"cores_per_instance": 2},
        )
    ).capacity
    assert (cap.instances, cap.queue, cap.queue_servers) == (1, "instance", 5)
    assert cap.queue_utilisation == pytest.approx(0.1)
    assert cap.headroom_rps == pytest.approx(35.0)
    # one instance: losing it leaves none
    assert cap.instances_after_failure == 0 and cap.zones == 1
    assert cap.utilisation_after_failure == math.inf
    assert cap.p99_after_failure_ms == math.inf


def test_no_cpu_and_no_requests_have_no_queue_and_no_headroom_limit() -> None:
    idle = plan(req(scale={"peak_rps": 0}, latency={"availability_pct": 99.0})).capacity
    assert idle.queue == "none"
    assert idle.utilisation_after_failure == 0.0  # nothing busy, nothing to lose
    assert idle.p99_after_failure_ms == idle.p99_ms  # offline: the p99 does not move
    # sync workers are held by IO, so they queue even with no CPU time...
    sync_io = plan(
        req(
            scale={"peak_rps": 10},
            latency={"p99_ms": 10_000},
            workload={"cpu_ms_per_request": 0.0, "io_wait_ms_per_request": 20},
        )
    ).capacity
    assert sync_io.queue == "instance" and sync_io.busy_cores == 0.0
    # ...event loops are not: 1,000 req/s × 20 ms = 20 in flight → asyncio, nothing queues
    loop_io = plan(
        req(
            scale={"peak_rps": 1000},
            latency={"p99_ms": 10_000},
            workload={"cpu_ms_per_request": 0.0, "io_wait_ms_per_request": 20},
        )
    )
    assert loop_io.concurrency.model is ConcurrencyModel.ASYNCIO
    assert loop_io.capacity.queue == "none" and loop_io.capacity.wait_probability == 0.0


def test_a_tight_p99_adds_exactly_the_instances_that_meet_it() -> None:
    """CPU only at cv 0.1 (own p99 ≈ 12.5 ms): a 14 ms target needs more instances than the
    cores do, and one fewer than planned misses it."""
    base = {
        "scale": {"peak_rps": 300},
        "workload": {"cpu_ms_per_request": 10, "io_wait_ms_per_request": 0, "service_cv": 0.1},
        "infrastructure": {"cores_per_instance": 2},
    }
    loose = plan(req(**base, latency={"p99_ms": 5000})).capacity
    p = plan(req(**base, latency={"p50_ms": 10, "p99_ms": 14}))
    cap = p.capacity
    assert cap.meets_p99 and cap.p99_ms <= 14
    assert cap.instances > loose.instances
    queue = queue_for(p.requirements, p.concurrency)
    assert meets(response_time(300, 10, 0, 0.1, queue, cap.instances_after_failure), 14)
    fewer = cap.instances - 1  # N+1: the smallest count whose zone-loss survivors meet it too
    assert not meets(response_time(300, 10, 0, 0.1, queue, survivors(fewer)), 14)


def test_instances_added_for_latency_stop_at_four_times_the_base_plus_four() -> None:
    """When only a great many instances would meet the target, the plan stops at 4 × base + 4
    and names the count that would."""
    p = plan(
        req(
            scale={"peak_rps": 300},
            latency={"availability_pct": 99.0, "p50_ms": 10, "p99_ms": 12.75},
            workload={"cpu_ms_per_request": 10, "io_wait_ms_per_request": 0, "service_cv": 0.1},
            infrastructure={"cores_per_instance": 2, "balancer": "random"},
        )
    )
    cap = p.capacity
    base = 3  # ⌈300 × 10 ms / (2 × 0.66)⌉ = ⌈2.27⌉
    assert size_fleet(p.requirements).instances == base
    assert cap.instances == 4 * base + 4
    assert not cap.meets_p99
    assert cap.levers is not None and cap.levers.instances is not None
    more = cap.levers.instances
    assert more > cap.instances
    queue = queue_for(p.requirements, p.concurrency)
    assert meets(response_time(300, 10, 0, 0.1, queue, more), 12.75)
    assert not meets(response_time(300, 10, 0, 0.1, queue, more - 1), 12.75)
    finding = next(f for f in p.findings if f.title == "the p99 target is not met by this plan")
    assert f"at {cap.instances:,} (4 × what the load needs + 4)" in finding.detail
    assert f"{more:,} instances" in finding.recommendation


def test_p99_at_the_plans_own_utilisation_is_the_plans_p99() -> None:
    p = plan(req(**IO_API))
    cap = p.capacity
    assert p99_at_utilisation(p, cap.queue_utilisation) == pytest.approx(cap.p99_ms, rel=1e-6)
    assert p99_at_utilisation(p, 0.8) > cap.p99_ms > p99_at_utilisation(p, 0.1)
    idle = plan(req(scale={"peak_rps": 0}))
    assert p99_at_utilisation(idle, 0.5) == idle.capacity.p99_ms


@pytest.mark.parametrize("cores", [1, 4])
def test_the_balancer_orders_the_p99_random_round_robin_least_outstanding(cores: int) -> None:
    """The same fleet queues least under one shared queue (least outstanding requests), more
    under round robin's Erlang-n arrivals, most under a random split (independent queues)."""
    p99 = {}
    for balancer in ("random", "round_robin", "least_outstanding"):
        p = plan(
            req(
                scale={"peak_rps": 1000},
                latency={"p99_ms": 1000, "availability_pct": 99.0},
                workload={"cpu_ms_per_request": 10, "io_wait_ms_per_request": 0.0},
                infrastructure={"cores_per_instance": cores, "balancer": balancer},
            )
        )
        p99[balancer] = p.capacity.p99_ms
        assert p.capacity.instances == math.ceil(10 / (cores * 0.66))
    assert p99["random"] > p99["round_robin"] > p99["least_outstanding"]


def test_ten_erlangs_on_one_core_instances_meet_a_target_as_one_shared_queue() -> None:
    """10 Erlangs of 10 ms work: one shared M/M/c queue (least outstanding) meets a 50 ms p99
    with 16 instances (N+1 for 10 busy cores at 0.66); a random split needs many more."""
    common = {
        "scale": {"peak_rps": 1000},
        "latency": {"p99_ms": 50, "availability_pct": 99.0},
        "workload": {"cpu_ms_per_request": 10, "io_wait_ms_per_request": 0.0},
    }
    shared = plan(
        req(**common, infrastructure={"cores_per_instance": 1, "balancer": "least_outstanding"})
    )
    split = plan(req(**common, infrastructure={"cores_per_instance": 1, "balancer": "random"}))
    assert shared.capacity.meets_p99 and shared.capacity.instances == 16
    assert split.capacity.instances > 2 * shared.capacity.instances
