"""The planner's M/G/c response time against a discrete-event simulation of the same queue.

Issue 21 item 4: the real-server benchmark's one miss (sync, 3 workers, ρ 71 %, measured p99
0.78× the planner's) asked whether Allen–Cunneen's wait and the exponential conditional wait
overstate the tail at c = 3. They do not: an exact FCFS simulation of M/G/3 with gamma service
of the same mean and cv, at ρ 0.3–0.9 and cv 0.5–1.5, gives p99s within a few percent of the
planner's (measured 2026-12-05 with 400,000 customers a point: the largest gap 4 %, at ρ 0.8,
cv 0.5). The miss is the benchmark's sample: see benchmarks/bench_server.py (``replayed``).
"""

from __future__ import annotations

import heapq
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


def test_the_benchmarks_miss_is_within_the_spread_of_a_run_of_its_length() -> None:
    """1,200 requests from an empty M/G/3 at ρ 0.71 (the benchmark's sync point, 55.1 ms held,
    cv 0.82): the planner's steady-state p99 (about 300 ms) is inside the range such runs'
    p99s span, and so is the measured 234.8 ms; the run's own interval (223–263 ms, order
    statistics of independent samples) is far narrower than that range."""
    held_s, cv, rate = 0.0551, 0.82, 39.0
    shape = 1 / (cv * cv)
    p99s = []
    for seed in range(200):
        rng = random.Random(seed)
        free = [0.0] * SERVERS
        now = 0.0
        times = []
        for _ in range(1200):
            now += rng.expovariate(rate)
            start = max(now, heapq.heappop(free))
            end = start + rng.gammavariate(shape, held_s / shape)
            heapq.heappush(free, end)
            times.append(end - now)
        times.sort()
        p99s.append(times[int(0.99 * 1200) - 1] * 1000)
    p99s.sort()
    low, high = p99s[5], p99s[194]  # the central 95 %
    prob, _mean, theta = mgc_wait(rate, held_s, SERVERS, cv)
    planner = ResponseTime(prob, theta, held_s, cv).quantile(0.99) * 1000
    assert low < 234.8 < planner < high
    assert high - low > 2 * (263 - 223)
