"""planning/queueing.py: Little, Erlang C, M/M/c and M/G/c waits, fan-out, the USL — by value."""

from __future__ import annotations

import math

import pytest

from pyt_arch_kit.planning.queueing import (
    erlang_c,
    fanout_slow_probability,
    littles_law,
    mgc_response_quantile,
    mgc_wait,
    mmc_wait,
    usl_throughput,
)


def erlang_c_in_logs(c: int, a: float) -> float:
    """The textbook formula term by term in log space, independent of the package."""
    rho = a / c
    logs = [k * math.log(a) - math.lgamma(k + 1) for k in range(c)]
    top = c * math.log(a) - math.lgamma(c + 1) - math.log(1 - rho)
    peak = max([*logs, top])
    below = sum(math.exp(x - peak) for x in logs)
    return math.exp(top - peak) / (below + math.exp(top - peak))


def test_littles_law() -> None:
    assert littles_law(10, 0.2) == pytest.approx(2.0)
    assert littles_law(2000, 0.05) == pytest.approx(100.0)


@pytest.mark.parametrize(
    ("c", "a", "expected"),
    [
        (1, 0.4, 0.4),  # M/M/1: P(wait) = ρ
        (2, 1.0, 1 / 3),  # [1/2 · 2] / [1 + 1 + 1] = 1/3
        (3, 2.0, 4 / 9),  # [8/6 · 3] / [1 + 2 + 2 + 4] = 4/9
    ],
)
def test_erlang_c_worked_examples(c: int, a: float, expected: float) -> None:
    assert erlang_c(c, a) == pytest.approx(expected, rel=1e-12)


def test_erlang_c_edges() -> None:
    with pytest.raises(ValueError, match="servers"):
        erlang_c(0, 1.0)
    assert erlang_c(1, 0.0) == 0.0
    assert erlang_c(1, -1.0) == 0.0
    assert erlang_c(4, 4.0) == 1.0  # λ = cμ: unstable, everyone waits
    assert erlang_c(4, 3.999) < 1.0
    assert erlang_c(1000, 1e-5) == 0.0  # the recursion underflows: nobody waits


@pytest.mark.parametrize(("c", "a"), [(1000, 950.0), (1001, 951.0), (1001, 700.0)])
def test_erlang_c_on_both_sides_of_the_switch_to_the_gamma_function(c: int, a: float) -> None:
    assert erlang_c(c, a) == pytest.approx(erlang_c_in_logs(c, a), rel=1e-9)


def test_mmc_wait_edges() -> None:
    assert mmc_wait(0.0, 1.0, 1) == (0.0, 0.0, 0.0)
    assert mmc_wait(1.0, math.inf, 1) == (0.0, 0.0, 0.0)
    assert mmc_wait(2.0, 1.0, 2) == (1.0, math.inf, math.inf)  # λ = cμ
    assert mmc_wait(1.99, 1.0, 2)[1] < math.inf


@pytest.mark.parametrize(
    ("lam", "quantile", "p_wait", "mean", "q_wait"),
    [
        (0.5, 0.99, 0.5, 1.0, math.log(50) / 0.5),  # M/M/1, μ = 1: C = ρ, Wq = C / (μ − λ)
        (0.5, 0.9, 0.5, 1.0, math.log(5) / 0.5),
        (0.02, 0.99, 0.02, 0.02 / 0.98, math.log(2) / 0.98),
        (0.01, 0.99, 0.01, 0.01 / 0.99, 0.0),  # C = 1 − q: the quantile does not wait
    ],
)
def test_mm1_waits(lam: float, quantile: float, p_wait: float, mean: float, q_wait: float) -> None:
    c, w, q = mmc_wait(lam, 1.0, 1, quantile)
    assert (c, w, q) == (pytest.approx(p_wait), pytest.approx(mean), pytest.approx(q_wait))


def test_mm2_wait() -> None:
    """λ = 1, μ = 1, c = 2: C = 1/3, Wq = C / (2 − 1) = 1/3, t99 = ln(33.3) / 1."""
    c, w, q = mmc_wait(1.0, 1.0, 2)
    assert c == pytest.approx(1 / 3)
    assert w == pytest.approx(1 / 3)
    assert q == pytest.approx(math.log(100 / 3))


@pytest.mark.parametrize(
    ("lam", "service", "c", "cv", "p_wait", "theta"),
    [
        (0.5, 1.0, 1, 1.0, 0.5, 2.0),  # M/M/1: θ = 1 / (μ − λ)
        (0.5, 1.0, 1, 0.0, 0.5, 1.0),  # M/D/1: half of it (Pollaczek–Khinchine)
        (1.0, 1.0, 2, 1.0, 1 / 3, 1.0),  # M/M/2: θ = 1 / (cμ − λ)
        (1.0, 1.0, 2, 2.0, 1 / 3, 2.5),  # heavy tails: (1 + 4) / 2 = 2.5×
        (100.0, 0.004, 1, 1.0, 0.4, 1 / 150),
    ],
)
def test_mgc_wait_allen_cunneen(
    lam: float, service: float, c: int, cv: float, p_wait: float, theta: float
) -> None:
    prob, mean, cond = mgc_wait(lam, service, c, cv)
    assert prob == pytest.approx(p_wait)
    assert cond == pytest.approx(theta)
    assert mean == pytest.approx(p_wait * theta)


def test_mgc_wait_edges() -> None:
    assert mgc_wait(0.0, 1.0, 1, 1.0) == (0.0, 0.0, 0.0)
    assert mgc_wait(1.0, 0.0, 1, 1.0) == (0.0, 0.0, 0.0)
    assert mgc_wait(2.0, 1.0, 2, 1.0) == (1.0, math.inf, math.inf)
    assert mgc_response_quantile(2.0, 1.0, 2, 1.0) == math.inf


def test_mm1_response_quantile_is_exponential() -> None:
    """M/M/1 with μ = 250, λ = 125: T ~ Exp(125), so the p99 is ln(100) / 125 and the p50
    ln(2) / 125."""
    assert mgc_response_quantile(125, 0.004, 1, 1.0) == pytest.approx(math.log(100) / 125)
    assert mgc_response_quantile(125, 0.004, 1, 1.0, 0.5) == pytest.approx(math.log(2) / 125)


@pytest.mark.parametrize(
    ("calls", "per_call", "p"),
    [
        (0, 0.01, 0.0),
        (-3, 0.01, 0.0),
        (1, 0.01, 0.01),
        (2, 0.01, 1 - 0.99**2),
        (10, 0.05, 1 - 0.95**10),
        (100, 0.01, 1 - 0.99**100),
    ],
)
def test_fanout_slow_probability(calls: int, per_call: float, p: float) -> None:
    assert fanout_slow_probability(calls, per_call) == pytest.approx(p)


@pytest.mark.parametrize(
    ("n", "sigma", "kappa", "x"),
    [
        (1, 0.1, 0.01, 100.0),  # one worker: λ whatever σ and κ
        (8, 0.0, 0.0, 800.0),  # no contention: linear
        (8, 0.1, 0.01, 800 / 2.26),  # 1 + 0.1 × 7 + 0.01 × 8 × 7 = 2.26
        (4, 0.05, 0.0, 400 / 1.15),  # Amdahl: 1 + 0.05 × 3
        (32, 0.0, 0.001, 3200 / 1.992),  # 1 + 0.001 × 32 × 31
    ],
)
def test_usl_values(n: int, sigma: float, kappa: float, x: float) -> None:
    assert usl_throughput(n, 100.0, sigma, kappa) == pytest.approx(x)


def test_usl_coherency_makes_more_workers_slower_past_the_peak() -> None:
    """With κ > 0 throughput peaks near N* = √((1 − σ) / κ) = √(0.9 / 0.01) ≈ 9.5, then falls."""
    x = [usl_throughput(n, 100.0, 0.1, 0.01) for n in (4, 9, 10, 20)]
    assert x[0] < x[1] and x[2] > x[3]
