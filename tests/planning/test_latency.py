"""planning/latency.py: what queues under each model, the response time, the searches."""

from __future__ import annotations

import math

import pytest

from pyt_arch_kit.planning.latency import (
    Queue,
    _largest,
    _total_cv,
    find_levers,
    first_true,
    meets,
    queue_for,
    response_time,
    service_times,
)
from pyt_arch_kit.planning.model import ConcurrencyModel, ConcurrencyPlan, QueueScope
from pyt_arch_kit.planning.tail import ResponseTime
from tests.planning import concurrency, resolved

M = ConcurrencyModel


@pytest.mark.parametrize(
    ("cpu", "io", "times"),
    [(1e-6, 2e-6, (1e-6, 2e-6)), (9.9e-7, 5.0, (0.0, 5.0)), (5.0, 9.9e-7, (5.0, 0.0))],
)
def test_times_below_a_nanosecond_count_as_none(
    cpu: float, io: float, times: tuple[float, float]
) -> None:
    r = resolved(workload={"cpu_ms_per_request": cpu, "io_wait_ms_per_request": io})
    assert service_times(r) == times


def _with_pool(model: ConcurrencyModel, workers: int, pool: int) -> ConcurrencyPlan:
    from dataclasses import replace

    return replace(concurrency(model, workers), process_pool_workers=pool)


@pytest.mark.parametrize(
    ("interface", "model", "workers", "pool", "queue"),
    [
        ("rest", M.SYNC, 9, 0, ("instance", 9, 1, True, "sync worker")),
        ("rest", M.PROCESSES, 4, 0, ("instance", 4, 1, True, "sync worker")),
        ("rest", M.HYBRID, 2, 3, ("worker", 3, 2, False, "process-pool process")),
        ("rest", M.HYBRID, 2, 0, ("worker", 1, 2, False, "process-pool process")),
        ("rest", M.ASYNCIO, 4, 0, ("worker", 1, 4, False, "event loop")),
        ("grpc", M.ASYNCIO, 4, 0, ("worker", 1, 4, False, "event loop")),
        ("rest", M.THREADS, 9, 0, ("worker", 1, 9, False, "GIL")),
        ("grpc", M.PROCESSES, 4, 0, ("worker", 1, 4, False, "GIL")),  # a process per container
        ("rest", M.ASYNCIO, 0, 0, ("worker", 1, 1, False, "event loop")),  # at least one
    ],
)
def test_what_queues_under_each_model(
    interface: str,
    model: ConcurrencyModel,
    workers: int,
    pool: int,
    queue: tuple[str, int, int, bool, str],
) -> None:
    q = queue_for(resolved(interface=interface), _with_pool(model, workers, pool))
    assert (q.per, q.servers, q.queues_per_instance, q.holds_io, q.server) == queue
    assert ("HTTP/2" in q.why) is (interface == "grpc")
    assert ("gRPC server process" in q.why) is (interface == "grpc" and model is M.PROCESSES)


@pytest.mark.parametrize(
    ("cpu", "io", "cv", "total"),
    [(3.0, 4.0, 1.0, 5 / 7), (3.0, 4.0, 2.0, 10 / 7), (5.0, 0.0, 0.5, 0.5), (0.0, 0.0, 1.0, 0.0)],
)
def test_cv_of_cpu_plus_io(cpu: float, io: float, cv: float, total: float) -> None:
    """cv · √(cpu² + io²) / (cpu + io) for independent parts with the same cv."""
    assert _total_cv(cpu, io, cv) == pytest.approx(total)


def test_response_time_splits_the_load_over_the_queues() -> None:
    """Event loops (CPU held): 2,000 req/s over 5 × 4 = 20 loops = 100 req/s each at 4 ms:
    M/G/1 at ρ = 0.4, θ = 1 / 150 s; the service is CPU + IO = 40 ms with cv √(4² + 36²)/40."""
    loop = Queue(QueueScope.WORKER, 1, 4, False, "event loop", "")
    rt = response_time(2000, 4, 36, 1.0, loop, 5)
    assert rt.wait_probability == pytest.approx(0.4)
    assert rt.conditional_wait_s == pytest.approx(1 / 150)
    assert rt.service_s == pytest.approx(0.040)
    assert rt.service_cv == pytest.approx(math.hypot(4, 36) / 40)
    # sync workers hold the IO too: 2,000 / 5 = 400 req/s at 40 ms on 9 servers: ρ = 16 / 9
    sync = Queue(QueueScope.INSTANCE, 9, 1, True, "sync worker", "")
    assert response_time(2000, 4, 36, 1.0, sync, 5).wait_probability == 1.0  # unstable
    assert response_time(2000, 4, 36, 1.0, sync, 10).wait_probability < 1.0
    # no instances counts as one
    assert response_time(100, 4, 0, 1.0, loop, 0) == response_time(100, 4, 0, 1.0, loop, 1)


def test_meets_is_at_most_one_percent_past_the_target() -> None:
    exp = ResponseTime(0.0, 0.0, 1.0, 1.0)  # Exp(1): P(T > ln 100) = 1 %
    p99_ms = math.log(100) * 1000
    assert meets(exp, p99_ms * (1 + 1e-9))
    assert not meets(exp, p99_ms * (1 - 1e-6))


@pytest.mark.parametrize(
    ("threshold", "low", "limit", "found"),
    [
        (37, 1, 100, 37),
        (1, 1, 100, 1),  # true at once
        (5, 5, 100, 5),
        (100, 1, 100, 100),  # true only at the limit
        (101, 1, 100, None),  # never within the limit
        (10**9, 3, 2**40, 10**9),
    ],
)
def test_first_true_finds_the_smallest(
    threshold: int, low: int, limit: int, found: int | None
) -> None:
    calls: list[int] = []

    def at_least(n: int) -> bool:
        calls.append(n)
        return n >= threshold

    assert first_true(at_least, low, limit) == found
    assert len(calls) <= 2 * 64 + 1  # doubling then bisection, never a step at a time
    assert all(low <= n <= limit for n in calls)


def test_largest_finds_the_edge_by_bisection() -> None:
    assert _largest(lambda x: x <= 0.3, 1.0) == pytest.approx(0.3, abs=1e-12)
    assert _largest(lambda x: x <= 5.0, 1.0) == pytest.approx(1.0, abs=1e-12)
    assert _largest(lambda x: False, 1.0) is None


def test_levers_each_meet_the_target_and_a_little_more_misses() -> None:
    """An event-loop service at 200 req/s per loop on 4 ms of CPU (ρ = 0.8) misses a 60 ms
    p99; each lever, with the others held, meets it, and 1 % beyond it misses again."""
    r = resolved(
        scale={"peak_rps": 800},
        latency={"p50_ms": 10, "p99_ms": 60},
        workload={"cpu_ms_per_request": 4, "io_wait_ms_per_request": 6, "service_cv": 1.0},
    )
    loop = Queue(QueueScope.WORKER, 1, 4, False, "event loop", "")
    assert not meets(response_time(800, 4, 6, 1.0, loop, 1), 60)
    lev = find_levers(r, loop, 1, 100, 70.0)
    assert lev.target_ms == 70.0
    # no queueing: the 10 ms of CPU + IO alone, cv √(4² + 6²) / 10
    alone = ResponseTime(0, 0, 0.010, math.hypot(4, 6) / 10)
    assert lev.floor_ms == pytest.approx(alone.quantile(0.99) * 1000)
    assert lev.instances == 2
    # IO holds no event loop: even none leaves the wait (θ = 1 / (250 − 200) s = 20 ms,
    # P = 0.8) whose p99 alone is 20 · ln(80) ≈ 88 ms: no IO lever
    assert lev.io_ms is None
    assert lev.cpu_ms is not None and lev.service_cv is not None
    assert meets(response_time(800, lev.cpu_ms, 6, 1.0, loop, 1), 60)
    assert not meets(response_time(800, lev.cpu_ms * 1.01, 6, 1.0, loop, 1), 60)
    assert meets(response_time(800, 4, 6, lev.service_cv, loop, 1), 60)
    assert not meets(response_time(800, 4, 6, lev.service_cv * 1.01, loop, 1), 60)


def test_no_lever_on_a_time_the_request_does_not_spend() -> None:
    r = resolved(
        scale={"peak_rps": 800},
        latency={"p50_ms": 5, "p99_ms": 20},
        workload={"cpu_ms_per_request": 4, "io_wait_ms_per_request": 0, "service_cv": 1.0},
    )
    loop = Queue(QueueScope.WORKER, 1, 4, False, "event loop", "")
    lev = find_levers(r, loop, 1, 100, 30.0)
    assert lev.io_ms is None and lev.cpu_ms is not None
    with_io = resolved(
        scale={"peak_rps": 400},
        latency={"p50_ms": 5, "p99_ms": 60},
        workload={"cpu_ms_per_request": 2, "io_wait_ms_per_request": 20, "service_cv": 1.0},
    )
    lev = find_levers(with_io, loop, 1, 100, 100.0)
    assert lev.io_ms is not None and lev.io_ms < 20
    assert meets(response_time(400, 2, lev.io_ms, 1.0, loop, 1), 60)
    assert not meets(response_time(400, 2, lev.io_ms * 1.01, 1.0, loop, 1), 60)


def test_fan_out_of_100_parallel_calls_is_in_the_p99() -> None:
    """100 parallel exponential calls of 10 ms: the slowest is ≥ 92 ms at the p99
    (P(max ≤ t) = (1 − e^{−t/10})¹⁰⁰), so a 60 ms target is missed."""
    from pyt_arch_kit import Requirements, plan

    p = plan(
        Requirements(
            scale={"peak_rps": 100},
            latency={"p99_ms": 60},
            workload={
                "cpu_ms_per_request": 0.01,
                "io_wait_ms_per_request": 10,
                "fanout_calls": 100,
                "service_cv": 1,
            },
        )
    )
    assert p.capacity.p99_ms >= 92
    assert not p.capacity.meets_p99
    fig = next(f for f in p.figures if f.key == "slowest_call_p99_ms")
    assert fig.value == pytest.approx(92.05, abs=0.05)
