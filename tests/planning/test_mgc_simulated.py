"""The planner's M/G/c response time against a discrete-event simulation of the same queue.

Issue 21 item 4: the real-server benchmark's one miss (sync, 3 workers, ρ 71 %, measured p99
0.78× the planner's) asked whether Allen–Cunneen's wait and the exponential conditional wait
overstate the tail at c = 3. They do not: an exact FCFS simulation of M/G/3 with gamma service
of the same mean and cv, at ρ 0.3–0.9 and cv 0.5–1.5, gives p99s within a few percent of the
planner's (measured 2026-12-05 with 400,000 customers a point: the largest gap 4 %, at ρ 0.8,
cv 0.5). The miss is the benchmark's sample: its own draws through an exact M/G/3 give 250 ms
(measured 234.8); see ``replayed`` and ``spread`` in benchmarks/bench_server.py.
"""

from __future__ import annotations

import heapq
import math
import random

import pytest

from pyt_arch_kit.planning.queueing import mgc_wait
from pyt_arch_kit.planning.tail import ResponseTime

#: Relative tolerance on the p99: the approximation's gap (≤ 4 % on the grid) plus the
#: simulation's own noise at this length (about 3 % at ρ 0.9: the p99 of a run of
#: correlated waits).
TOLERANCE = 0.08
SERVERS = 3


def _simulated_p99(rho: float, cv: float, customers: int, seed: int) -> float:
    """p99 of the response time of FCFS M/G/c, gamma service of mean 1 and this cv."""
    rng = random.Random(seed)
    rate = rho * SERVERS
    shape = 1 / (cv * cv)
    free = [0.0] * SERVERS
    now = 0.0
    times: list[float] = []
    warm = customers // 10
    for i in range(customers):
        now += rng.expovariate(rate)
        start = max(now, heapq.heappop(free))
        end = start + rng.gammavariate(shape, 1 / shape)
        heapq.heappush(free, end)
        if i >= warm:
            times.append(end - now)
    times.sort()
    return times[int(0.99 * len(times))]


def _planner_p99(rho: float, cv: float) -> float:
    prob, _mean, theta = mgc_wait(rho * SERVERS, 1.0, SERVERS, cv)
    return ResponseTime(prob, theta, 1.0, cv).quantile(0.99)


@pytest.mark.parametrize("rho", [0.3, 0.7, 0.9])
@pytest.mark.parametrize("cv", [0.5, 1.0, 1.5])
def test_the_m_g_3_p99_matches_a_simulation(rho: float, cv: float) -> None:
    customers = 600_000 if rho >= 0.9 else 200_000
    simulated = _simulated_p99(rho, cv, customers, seed=int(rho * 100 + cv * 10))
    assert _planner_p99(rho, cv) == pytest.approx(simulated, rel=TOLERANCE)


def _sync_run(seed: int, rate: float = 39.0, count: int = 1200) -> list[float]:
    """Latencies (ms) of one benchmark-like run through an exact FCFS M/G/3 from empty.

    The draws are the benchmark's (benchmarks/bench_server.py ``_drive``): Poisson gaps, then
    a gamma CPU time (mean 10 ms, cv 1) and IO wait (40 ms, cv 1) per request; the sync
    worker is held for the CPU × 1.15 (the stretch measured) + the IO + 3.6 ms (outside the
    handler and late sleeps), as the planner was given at the 20:15 UTC run's ρ 0.71 point.
    """
    rng = random.Random(seed)
    free = [0.0] * SERVERS
    now = 0.0
    times = []
    for _ in range(count):
        now += rng.expovariate(rate) * 1000
        held = rng.gammavariate(1.0, 10.0) * 1.15 + rng.gammavariate(1.0, 40.0) + 3.6
        begin = max(now, heapq.heappop(free))
        heapq.heappush(free, begin + held)
        times.append(begin + held - now)
    return sorted(times)


def _p99(ordered: list[float]) -> float:
    return ordered[math.ceil(0.99 * len(ordered)) - 1]


def test_the_benchmarks_miss_is_its_sample_not_the_approximation() -> None:
    """The sync point the 2026-12-05 20:15 UTC run missed (measured p99 234.8 ms, interval
    223–263; planner 299.9 ms). Its own draws (seed 1002) through an exact M/G/3 give a p99
    inside the measured interval, and runs of its length from empty spread their p99 over a
    range several times the interval's width, with the planner's steady-state figure inside."""
    prob, _mean, theta = mgc_wait(39.0, 0.0551, SERVERS, math.hypot(11.5, 43.6) / 55.1)
    planner = ResponseTime(prob, theta, 0.0551, math.hypot(11.5, 43.6) / 55.1).quantile(0.99)
    assert planner * 1000 == pytest.approx(299.9, rel=0.01)
    assert 223 <= _p99(_sync_run(1002)) <= 263
    p99s = sorted(_p99(_sync_run(seed)) for seed in range(200))
    low, high = p99s[5], p99s[194]  # the central 95 %
    assert low < planner * 1000 < high
    assert high - low > 3 * (263 - 223)
