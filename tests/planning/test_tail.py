"""planning/tail.py: the response-time distribution against closed forms and a quadrature."""

from __future__ import annotations

import math

import pytest

from pyt_arch_kit.planning.tail import ResponseTime, _poisson_mean_reciprocal, regularized_gamma


def gamma_pdf(x: float, k: float, scale: float) -> float:
    if x <= 0:
        return 0.0
    return math.exp((k - 1) * math.log(x) - x / scale - math.lgamma(k) - k * math.log(scale))


def survival_by_quadrature(p: float, theta: float, mean: float, cv: float, t: float) -> float:
    """P(S > t) + p · ∫₀ᵗ f_S(x) e^{−(t−x)/θ} dx by Simpson's rule (independent of the
    package: only the gamma density and the exponential)."""
    k, scale = 1 / cv**2, mean * cv**2
    n = 20_000
    h = t / n
    total = gamma_pdf(0.0, k, scale) * math.exp(-t / theta) + gamma_pdf(t, k, scale)
    for i in range(1, n):
        x = i * h
        total += (4 if i % 2 else 2) * gamma_pdf(x, k, scale) * math.exp(-(t - x) / theta)
    integral = total * h / 3
    # P(S > t) for integer k (Erlang): e^{−t/s} Σ_{j<k} (t/s)^j / j!
    z = t / scale
    tail = math.exp(-z) * sum(z**j / math.factorial(j) for j in range(round(k)))
    return tail + p * integral


# -- the incomplete gamma function ------------------------------------------------------------


@pytest.mark.parametrize("x", [0.3, 1.2, 4.0, 9.0])
def test_regularized_gamma_of_one_half_is_erf(x: float) -> None:
    """P(1/2, x) = erf(√x): the series branch (x < 1.5) and the continued fraction."""
    p, q = regularized_gamma(0.5, x)
    assert p == pytest.approx(math.erf(math.sqrt(x)), rel=1e-10)
    assert q == pytest.approx(math.erfc(math.sqrt(x)), rel=1e-9)


@pytest.mark.parametrize("x", [0.5, 2.0, 3.0])
def test_regularized_gamma_of_three_halves(x: float) -> None:
    """P(3/2, x) = erf(√x) − 2 √(x / π) e^{−x}."""
    expected = math.erf(math.sqrt(x)) - 2 * math.sqrt(x / math.pi) * math.exp(-x)
    assert regularized_gamma(1.5, x)[0] == pytest.approx(expected, rel=1e-10)


def test_regularized_gamma_edges() -> None:
    with pytest.raises(ValueError, match="a must be"):
        regularized_gamma(0.0, 1.0)
    assert regularized_gamma(2.0, 0.0) == (0.0, 1.0)
    assert regularized_gamma(2.0, -1.0) == (0.0, 1.0)


# -- E[1 / (k + N)], N ~ Poisson(λ) -----------------------------------------------------------


def reciprocal_by_sum(k: float, lam: float) -> float:
    top = int(lam + 40 * math.sqrt(lam) + 60)
    return sum(math.exp(n * math.log(lam) - lam - math.lgamma(n + 1)) / (k + n) for n in range(top))


@pytest.mark.parametrize(("k", "lam"), [(2.0, 5.0), (0.5, 40.0), (4.0, 999.0), (1.0, 2000.0)])
def test_poisson_mean_reciprocal(k: float, lam: float) -> None:
    assert _poisson_mean_reciprocal(k, lam) == pytest.approx(reciprocal_by_sum(k, lam), rel=1e-6)


def test_poisson_mean_reciprocal_without_events() -> None:
    assert _poisson_mean_reciprocal(4.0, 0.0) == 0.25


# -- the response time ------------------------------------------------------------------------


def test_mean_is_the_mean_wait_plus_the_service() -> None:
    assert ResponseTime(0.4, 0.01, 0.04, 1.0).mean_s == pytest.approx(0.4 * 0.01 + 0.04)


@pytest.mark.parametrize(
    ("theta", "t"),
    [
        (2.0, 1.0),  # the wait drains slower than the service (β = 1/s − 1/θ > 0)
        (2.0, 6.0),
        (0.5, 1.0),  # faster (β < 0)
        (0.5, 7.0),
        (1.0, 2.0),  # equal rates (β = 0): an Erlang-2
    ],
)
def test_exponential_service_plus_a_wait_is_hypoexponential(theta: float, t: float) -> None:
    """S ~ Exp(1), W = 0 w.p. 1 − P else Exp(1/θ): P(T > t) = (1 − P) e^{−t} + P · h(t), with
    h = (r e^{−t} − e^{−rt}) / (r − 1), r = 1/θ (or e^{−t}(1 + t) when r = 1)."""
    p, r = 0.3, 1 / theta
    h = math.exp(-t) * (1 + t) if r == 1 else (r * math.exp(-t) - math.exp(-r * t)) / (r - 1)
    expected = (1 - p) * math.exp(-t) + p * h
    assert ResponseTime(p, theta, 1.0, 1.0).survival(t) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(
    ("p", "theta", "mean", "cv", "t"),
    [
        (0.4, 0.02, 0.01, 0.5, 0.05),  # Erlang-4 service, slow wait (β > 0)
        (0.4, 0.001, 0.01, 0.5, 0.02),  # fast wait (β < 0)
        (0.5, 1e-4, 0.01, 0.5, 0.2),  # very fast wait: |β| t > 1,000 (asymptotic branch)
    ],
)
def test_gamma_service_plus_a_wait_matches_a_quadrature(
    p: float, theta: float, mean: float, cv: float, t: float
) -> None:
    got = ResponseTime(p, theta, mean, cv).survival(t)
    assert got == pytest.approx(survival_by_quadrature(p, theta, mean, cv, t), rel=1e-5, abs=1e-15)


def test_constant_service_shifts_the_wait() -> None:
    """cv below 0.01 is a constant: T = S + W, so P(T > t) = 1 before S, then P · e^{−(t−S)/θ}."""
    rt = ResponseTime(0.5, 0.01, 0.02, 0.0)
    assert rt.survival(0.019) == 1.0
    assert rt.survival(0.03) == pytest.approx(0.5 * math.exp(-1))
    nearly = ResponseTime(0.5, 0.01, 0.02, 0.0099)
    assert nearly.survival(0.03) == pytest.approx(0.5 * math.exp(-1))
    gamma = ResponseTime(0.5, 0.01, 0.02, 0.01)  # at 0.01 the gamma takes over, ≈ the same
    assert gamma.survival(0.03) == pytest.approx(0.5 * math.exp(-1), rel=0.02)


def test_no_service_is_the_wait_alone() -> None:
    rt = ResponseTime(0.5, 0.01, 0.0, 1.0)
    assert rt.survival(0.02) == pytest.approx(0.5 * math.exp(-2))
    assert ResponseTime(0.0, 0.01, 0.0, 1.0).survival(0.02) == 0.0
    assert ResponseTime(0.5, 0.0, 0.0, 1.0).survival(0.02) == 0.0


def test_survival_edges() -> None:
    rt = ResponseTime(0.5, 0.01, 0.02, 1.0)
    assert rt.survival(-0.001) == 1.0
    assert rt.survival(0.0) == pytest.approx(1.0)
    unstable = ResponseTime(1.0, math.inf, 0.02, 1.0)
    assert unstable.survival(100.0) == 1.0
    assert unstable.quantile(0.99) == math.inf
    waits_forever = ResponseTime(0.5, math.inf, 0.0, 1.0)
    assert waits_forever.survival(5.0) == 1.0  # even with no service time


@pytest.mark.parametrize(
    ("q", "t"), [(0.99, math.log(100)), (0.5, math.log(2)), (0.9, math.log(10))]
)
def test_quantiles_of_an_exponential(q: float, t: float) -> None:
    assert ResponseTime(0.0, 0.0, 1.0, 1.0).quantile(q) == pytest.approx(t, rel=1e-8)


def test_quantile_edges() -> None:
    rt = ResponseTime(0.0, 0.0, 1.0, 1.0)
    for q in (0.0, 1.0, -0.5, 1.5):
        with pytest.raises(ValueError, match="q must be"):
            rt.quantile(q)
    assert ResponseTime(0.0, 0.0, 0.0, 1.0).quantile(0.99) == 0.0  # nothing takes any time
    assert ResponseTime(0.0, 0.0, 2.0, 0.0).quantile(0.99) == pytest.approx(2.0, rel=1e-8)
    # a long tail far beyond the mean is still found (the bracket doubles past the scale)
    heavy = ResponseTime(0.0, 0.0, 1.0, 5.0)
    assert heavy.survival(heavy.quantile(0.99)) == pytest.approx(0.01, rel=1e-6)
