"""The slowest of N parallel calls: the part of a fanned-out request that the tail lives in.

A request that sends ``N`` calls in parallel and waits for all of them waits for the slowest:
``M = max(X₁, …, X_N)`` with the ``Xᵢ`` independent, each a gamma distribution fitted to one
call's mean and coefficient of variation. Its distribution is exact,
``P(M ≤ t) = F_X(t)ᴺ``, so its quantile is ``F_X⁻¹(q^{1/N})``: 100 exponential calls of
10 ms have ``M`` ≥ 92 ms at the p99 (10 · ln(1 / (1 − 0.99^{1/100}))), where one call has 46 ms.

:class:`SlowestCall` keeps ``M`` as a table of its quantiles at fixed quadrature nodes in
``u = P(M ≤ m)`` — Gauss–Legendre panels over the body and over each decade of the upper tail
down to 10⁻⁹ — so that any expectation ``E[g(M)] = ∫₀¹ g(F_M⁻¹(u)) du`` is a weighted sum: the
convolution of ``M`` with the rest of the response time in
:class:`~pyt_arch_kit.planning.tail.ResponseTime`, its mean and its variance.

Pure functions of numbers; every loop is bounded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from pyt_arch_kit.planning.tail import log_gamma_tails

__all__ = ["SlowestCall", "gamma_upper_quantile"]

#: Gauss–Legendre nodes and weights on [−1, 1], six points (exact for degree-11 polynomials).
_GL6 = (
    (-0.9324695142031521, 0.1713244923791704),
    (-0.6612093864662645, 0.3607615730481386),
    (-0.2386191860831909, 0.4679139345726910),
    (0.2386191860831909, 0.4679139345726910),
    (0.6612093864662645, 0.3607615730481386),
    (0.9324695142031521, 0.1713244923791704),
)
#: Panels in u: the body [0, 0.9] in nine, then each decade of 1 − u down to 10⁻⁹, the
#: decades where percentile targets sit (10⁻¹–10⁻⁵) in four panels each.
_BODY_PANELS = 9
_TAIL_DECADES = 9
_FINE_DECADES = 4
_FINE_PANELS = 4
_NEWTON_STEPS = 60


def _panels() -> tuple[tuple[float, float], ...]:
    """(1 − u, weight) at every node: the probability mass each node stands for."""
    nodes: list[tuple[float, float]] = []
    for i in range(_BODY_PANELS):  # u in the body [0, 0.9], uniform
        lo, hi = 0.9 * i / _BODY_PANELS, 0.9 * (i + 1) / _BODY_PANELS
        half, mid = (hi - lo) / 2, (hi + lo) / 2
        nodes += [(1.0 - (mid + half * x), half * w) for x, w in _GL6]
    for d in range(1, _TAIL_DECADES + 1):  # v = 1 − u = 10^{−s}, s in [d, d + 1]
        panels = _FINE_PANELS if d <= _FINE_DECADES else 1
        for p in range(panels):
            for x, w in _GL6:
                s = d + (p + (x + 1) / 2) / panels
                v = 10.0**-s
                nodes.append((v, w / 2 / panels * math.log(10) * v))
    return tuple(nodes)


_NODES = _panels()


def gamma_upper_quantile(shape: float, tail: float) -> float:
    """The x with ``Q(shape, x) = tail`` for a gamma of scale 1: its (1 − tail)-quantile.

    Newton's method on ``log Q`` (``d log Q / dx = −f(x) / Q``), started from the exponential's
    answer and kept positive; exact for ``shape = 1``.

    Example:
        >>> round(gamma_upper_quantile(1.0, 0.01), 4)  # exponential: ln(100)
        4.6052
    """
    if tail >= 1.0:
        return 0.0
    if shape == 1.0:
        return -math.log(tail)
    target = math.log(tail)
    x = max(shape - math.log(tail) * math.sqrt(shape), 1e-3 * shape)
    for _ in range(_NEWTON_STEPS):
        _log_p, log_q = log_gamma_tails(shape, x)
        log_f = (shape - 1.0) * math.log(x) - x - math.lgamma(shape)
        step = (log_q - target) / math.exp(log_f - log_q)  # (log Q − target) / (f / Q)
        nxt = x + step
        x = nxt if nxt > 0 else x / 2
        if abs(step) <= 1e-12 * x:
            break
    return x


@lru_cache(maxsize=512)
def _standard_quantiles(shape: float, calls: int) -> tuple[float, ...]:
    """Quantiles of the slowest of ``calls`` gammas (shape, scale 1) at the quadrature nodes."""
    out = []
    for v, _w in _NODES:
        # P(M > m) = v  ⇔  F_X(m) = (1 − v)^{1/N}  ⇔  Q_X(m) = −expm1(log1p(−v) / N)
        one_call_tail = -math.expm1(math.log1p(-v) / calls)
        out.append(gamma_upper_quantile(shape, one_call_tail))
    return tuple(out)


@dataclass(frozen=True)
class SlowestCall:
    """The slowest of ``calls`` independent parallel calls, each gamma(mean, cv).

    Attributes:
        calls: N, the parallel calls a request waits for (≥ 1).
        mean_s: the mean time of one call, in seconds.
        cv: the coefficient of variation of one call's time (1 = exponential).
    """

    calls: int
    mean_s: float
    cv: float

    @property
    def _shape(self) -> float:
        """The gamma shape 1 / cv², to four significant digits: a search over the cv (the
        planner's levers) then reuses the few quantile tables it has computed."""
        return float(f"{1.0 / (self.cv * self.cv):.4g}")

    def nodes(self) -> tuple[tuple[float, float], ...]:
        """``(m, weight)``: quantiles of M in seconds and the probability each stands for."""
        if self.cv < 0.01 or self.mean_s <= 0:  # constant calls: the slowest is any of them
            return ((self.mean_s, 1.0),)
        shape = self._shape
        scale = self.mean_s / shape
        qs = _standard_quantiles(shape, max(1, self.calls))
        return tuple((q * scale, w) for q, (_v, w) in zip(qs, _NODES, strict=True))

    @property
    def expected_s(self) -> float:
        """E[M], in seconds."""
        nodes = self.nodes()
        return sum(m * w for m, w in nodes) / sum(w for _m, w in nodes)

    @property
    def variance_s2(self) -> float:
        """Var[M], in seconds²."""
        nodes = self.nodes()
        total = sum(w for _m, w in nodes)
        mean = sum(m * w for m, w in nodes) / total
        return max(0.0, sum(m * m * w for m, w in nodes) / total - mean * mean)

    def survival(self, t: float) -> float:
        """P(M > t) = 1 − F_X(t)ᴺ, exactly."""
        if t < 0:
            return 1.0
        if self.cv < 0.01 or self.mean_s <= 0:
            return 1.0 if t < self.mean_s else 0.0
        shape = self._shape
        log_p, _log_q = log_gamma_tails(shape, t * shape / self.mean_s)
        return -math.expm1(max(1, self.calls) * log_p)

    def quantile(self, q: float) -> float:
        """The q-quantile of M, in seconds: ``F_X⁻¹(q^{1/N})``.

        Example:
            >>> round(SlowestCall(100, 0.010, 1.0).quantile(0.99) * 1000, 1)
            92.1
        """
        if self.cv < 0.01 or self.mean_s <= 0:
            return self.mean_s
        shape = self._shape
        one_call_tail = -math.expm1(math.log1p(-(1.0 - q)) / max(1, self.calls))
        return gamma_upper_quantile(shape, one_call_tail) * self.mean_s / shape
