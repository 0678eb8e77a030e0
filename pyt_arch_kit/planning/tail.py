"""The response-time distribution of one queue: the wait for a server plus the service itself.

A request's response time is ``T = W + S``: ``W`` the wait for a server (zero with probability
``1 − P_wait``, otherwise exponential with mean ``θ``), and ``S`` its own time (CPU + IO), which
is independent of the wait under FCFS. ``S`` is a gamma distribution fitted to its mean and
coefficient of variation (two-moment fit; cv = 1 is the exponential, cv → 0 a constant).

The tail ``P(T > t) = P(S > t) + P_wait · ∫₀ᵗ f_S(x) e^{−(t−x)/θ} dx`` is the numerical
convolution of the two distributions, evaluated in closed form through the regularized
incomplete gamma function, and quantiles are found by bisection on it. Nothing here adds a
percentile to a mean.

Pure functions of numbers; every loop is bounded.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyt_arch_kit.planning.fanout import SlowestCall

__all__ = ["DETERMINISTIC_CV", "ResponseTime", "log_gamma_tails", "regularized_gamma"]

#: Below this coefficient of variation the service time is treated as a constant.
DETERMINISTIC_CV = 0.01
_EPS = 1e-13
_TINY = 1e-300
_MAX_TERMS = 100_000
_POISSON_ASYMPTOTIC = 1_000.0


def _series_log_p(a: float, x: float) -> float:
    """log P(a, x) by the series (Numerical Recipes §6.2, gser); for x < a + 1."""
    term = total = 1.0 / a
    ap = a
    for _ in range(_MAX_TERMS):
        ap += 1.0
        term *= x / ap
        total += term
        if term < total * _EPS:
            break
    return math.log(total) - x + a * math.log(x) - math.lgamma(a)


def _fraction_log_q(a: float, x: float) -> float:
    """log Q(a, x) by the continued fraction (Numerical Recipes §6.2, gcf); for x ≥ a + 1."""
    b = x + 1.0 - a
    c = 1.0 / _TINY
    d = 1.0 / b
    h = d
    for i in range(1, _MAX_TERMS):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = d if abs(d) > _TINY else _TINY
        c = b + an / c
        c = c if abs(c) > _TINY else _TINY
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _EPS:
            break
    return math.log(h) - x + a * math.log(x) - math.lgamma(a)


def _log_pq(a: float, x: float) -> tuple[float, float]:
    """(log P(a, x), log Q(a, x)), each accurate where it is small."""
    if x <= 0:
        return -math.inf, 0.0
    if x < a + 1.0:
        log_p = _series_log_p(a, x)
        return log_p, math.log1p(-math.exp(log_p)) if log_p < 0 else -math.inf
    log_q = _fraction_log_q(a, x)
    return math.log1p(-math.exp(log_q)) if log_q < 0 else -math.inf, log_q


def log_gamma_tails(a: float, x: float) -> tuple[float, float]:
    """``(log P(a, x), log Q(a, x))`` of the regularized incomplete gamma functions, each
    accurate where it is small (far tails included)."""
    return _log_pq(a, x)


def regularized_gamma(a: float, x: float) -> tuple[float, float]:
    """The regularized incomplete gamma functions ``(P(a, x), Q(a, x))``, P + Q = 1.

    ``P(a, x)`` is the CDF at ``x`` of a gamma distribution of shape ``a`` and scale 1.
    Computed by the series or the continued fraction of Numerical Recipes (Press et al.,
    3rd ed., 2007, §6.2), whichever converges fast for these arguments.

    Example:
        >>> round(regularized_gamma(1.0, 1.0)[1], 6)  # exponential: Q = e^{−x}
        0.367879
    """
    if a <= 0:
        raise ValueError("a must be > 0")
    log_p, log_q = _log_pq(a, x)
    return math.exp(log_p), math.exp(log_q)


def _poisson_mean_reciprocal(k: float, lam: float) -> float:
    """E[1 / (k + N)] for N ~ Poisson(λ), k > 0."""
    if lam <= 0:
        return 1.0 / k
    if lam > _POISSON_ASYMPTOTIC:  # delta method; relative error O(λ⁻²)
        inverse = 1.0 / (k + lam)
        return inverse * (1.0 + lam * inverse * inverse)
    width = int(12 * math.sqrt(lam)) + 20
    start = max(0, int(lam) - width)
    log_pmf = start * math.log(lam) - lam - math.lgamma(start + 1)
    pmf = math.exp(log_pmf)
    total = 0.0
    for n in range(start, int(lam) + width + 1):
        total += pmf / (k + n)
        pmf *= lam / (n + 1)
    return total


@dataclass(frozen=True)
class ResponseTime:
    """The distribution of a request's response time ``T = W + S`` at one queue.

    Attributes:
        wait_probability: ``P(W > 0)``, the chance a request finds every server busy.
        conditional_wait_s: ``θ``, the mean wait of a request that does wait (its wait is
            taken as exponential: exact for M/M/c, the heavy-traffic shape for M/G/c).
        service_s: the mean of ``S``, the request's own time (CPU + IO), in seconds.
        service_cv: the coefficient of variation of ``S`` (standard deviation / mean).
        slowest: the slowest of N parallel calls the request also waits for, ``M``
            (:class:`~pyt_arch_kit.planning.fanout.SlowestCall`), or ``None``. With it,
            ``T = W + S + M``, and ``S`` is the rest of the request's own time (its CPU).
    """

    wait_probability: float
    conditional_wait_s: float
    service_s: float
    service_cv: float
    slowest: SlowestCall | None = None

    @property
    def mean_s(self) -> float:
        """E[T] = P_wait · θ + E[S] (+ E[M])."""
        extra = self.slowest.expected_s if self.slowest is not None else 0.0
        return self.wait_probability * self.conditional_wait_s + self.service_s + extra

    def _wait_tail(self, t: float) -> float:
        """P(W > t)."""
        if self.conditional_wait_s <= 0 or self.wait_probability <= 0:
            return 0.0
        if math.isinf(self.conditional_wait_s):
            return self.wait_probability
        return self.wait_probability * math.exp(-t / self.conditional_wait_s)

    def survival(self, t: float) -> float:
        """P(T > t), for t in seconds.

        With a fan-out, ``P(T > t) = E[P(W + S > t − M)]``: the convolution with the slowest
        call, a weighted sum over its quantile table.
        """
        if self.slowest is None:
            return self._survival_without_fanout(t)
        if self.service_s <= 0 and (self.wait_probability <= 0 or self.conditional_wait_s <= 0):
            return self.slowest.survival(t)  # nothing to convolve with: exact
        total = sum(w * self._survival_without_fanout(t - m) for m, w in self.slowest.nodes())
        return min(1.0, max(0.0, total))

    def _survival_without_fanout(self, t: float) -> float:
        """P(W + S > t)."""
        if t < 0:
            return 1.0
        m, cv, theta = self.service_s, self.service_cv, self.conditional_wait_s
        if self.wait_probability > 0 and math.isinf(theta):
            return 1.0
        if m <= 0:
            return self._wait_tail(t)
        if cv < DETERMINISTIC_CV:
            return 1.0 if t < m else self._wait_tail(t - m)
        k = 1.0 / (cv * cv)
        s = m * cv * cv
        _log_p, log_q = _log_pq(k, t / s)
        tail = math.exp(log_q)
        if self.wait_probability > 0 and theta > 0 and t > 0:
            tail += self.wait_probability * math.exp(self._log_convolution(t, k, s, 1.0 / theta))
        return min(1.0, max(0.0, tail))

    @staticmethod
    def _log_convolution(t: float, k: float, s: float, r: float) -> float:
        """log ∫₀ᵗ f_S(x) e^{−r(t−x)} dx, S ~ Gamma(k, s): P(E + S > t) − P(S > t), E ~ Exp(r)."""
        beta = 1.0 / s - r
        if abs(beta) * t < 1e-12:
            return -r * t + k * math.log(t / s) - math.lgamma(k + 1.0)
        if beta > 0:  # ∫ x^{k−1} e^{−βx} dx is an incomplete gamma function
            log_p, _ = _log_pq(k, beta * t)
            return -r * t - k * math.log1p(-r * s) + log_p
        # β < 0: t · f_S(t) · E[1 / (k + N)], N ~ Poisson(|β| t) (Kummer's series)
        log_density = (k - 1.0) * math.log(t) - t / s - math.lgamma(k) - k * math.log(s)
        return math.log(t) + log_density + math.log(_poisson_mean_reciprocal(k, -beta * t))

    def quantile(self, q: float) -> float:
        """The q-quantile of T in seconds (``q = 0.99`` → the p99), by bisection on the tail.

        Returns ``inf`` when the queue is unstable (every request waits forever).
        """
        return _quantile(self, q)


@functools.lru_cache(maxsize=4096)
def _quantile(rt: ResponseTime, q: float) -> float:
    # Remembered: the ranking of open questions re-plans up to 64 times, and most of those
    # plans ask again for the same response times (a pure function of five numbers).
    if not 0 < q < 1:
        raise ValueError("q must be in (0, 1)")
    tail = 1.0 - q
    if rt.wait_probability > 0 and math.isinf(rt.conditional_wait_s):
        return math.inf
    if rt.survival(0.0) <= tail:
        return 0.0
    fanned = rt.slowest.expected_s if rt.slowest is not None else 0.0
    scale = max(rt.service_s + fanned, rt.conditional_wait_s, 1e-12)
    hi = scale
    for _ in range(2_000):
        if rt.survival(hi) <= tail:
            break
        hi *= 2.0
    lo = 0.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if rt.survival(mid) > tail:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-9 * hi:
            break
    return hi
