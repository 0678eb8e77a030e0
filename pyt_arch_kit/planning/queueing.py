"""Queueing formulas: Little's law, M/M/c (Erlang C), tail amplification, the USL.

Pure functions of numbers; no I/O. Each is the textbook formula, computed so that it neither
overflows (no factorials) nor divides by zero at the edges.
"""

from __future__ import annotations

import math

__all__ = [
    "DEAN_BARROSO",
    "ERLANG",
    "GUNTHER",
    "LITTLE",
    "erlang_c",
    "fanout_slow_probability",
    "littles_law",
    "mmc_wait",
    "usl_throughput",
]

LITTLE = "J. D. C. Little, “A Proof for the Queuing Formula L = λW”, Operations Research 9(3), 1961"
ERLANG = (
    "A. K. Erlang (1917); M. Harchol-Balter, “Performance Modeling and Design of Computer "
    "Systems”, 2013, ch. 14"
)
DEAN_BARROSO = "J. Dean & L. A. Barroso, “The Tail at Scale”, CACM 56(2), 2013"
GUNTHER = "N. J. Gunther, “Guerrilla Capacity Planning”, Springer, 2007"


def littles_law(arrival_rate: float, time_in_system_s: float) -> float:
    """Mean number in the system, L = λ · W.

    Example:
        >>> littles_law(2000, 0.050)
        100.0
    """
    return arrival_rate * time_in_system_s


def erlang_c(servers: int, offered_load: float) -> float:
    """Probability that an arrival waits in an M/M/c queue (Erlang C).

    Computed from the Erlang B recursion B(k) = a·B(k−1) / (k + a·B(k−1)), then
    C = B / (1 − ρ(1 − B)), which avoids factorials.

    Args:
        servers: c, the number of servers (≥ 1).
        offered_load: a = λ/μ, in Erlangs.

    Returns:
        C(c, a) in [0, 1]; 1.0 when the queue is unstable (a ≥ c).

    Example:
        >>> round(erlang_c(2, 1.0), 4)
        0.3333
    """
    if servers < 1:
        raise ValueError("servers must be ≥ 1")
    if offered_load <= 0:
        return 0.0
    if offered_load >= servers:
        return 1.0
    b = 1.0
    for k in range(1, servers + 1):
        b = offered_load * b / (k + offered_load * b)
    rho = offered_load / servers
    return b / (1 - rho * (1 - b))


def mmc_wait(
    arrival_rate: float, service_rate: float, servers: int, quantile: float = 0.99
) -> tuple[float, float, float]:
    """Queueing delay in an M/M/c queue.

    P(wait > t) = C · e^{−(cμ − λ)t}, so the q-quantile of the wait is
    t = ln(C / (1 − q)) / (cμ − λ) when C > 1 − q, else 0.

    Args:
        arrival_rate: λ, arrivals per second.
        service_rate: μ, completions per second of one server.
        servers: c.
        quantile: which quantile of the wait to return (0.99 → p99).

    Returns:
        ``(probability of waiting, mean wait in s, quantile wait in s)``; waits are ``inf``
        when the queue is unstable (λ ≥ cμ).
    """
    if arrival_rate <= 0 or service_rate == math.inf:
        return 0.0, 0.0, 0.0
    capacity = servers * service_rate
    if arrival_rate >= capacity:
        return 1.0, math.inf, math.inf
    c = erlang_c(servers, arrival_rate / service_rate)
    drain = capacity - arrival_rate
    tail = 1 - quantile
    q_wait = math.log(c / tail) / drain if c > tail else 0.0
    return c, c / drain, q_wait


def fanout_slow_probability(calls: int, per_call_slow: float = 0.01) -> float:
    """Probability that a request fanning out to ``calls`` backends waits on a slow one.

    Example:
        >>> round(fanout_slow_probability(100), 3)
        0.634
    """
    return 1 - (1 - per_call_slow) ** max(calls, 0)


def usl_throughput(n: int, single: float, sigma: float, kappa: float) -> float:
    """Universal Scalability Law: X(N) = λN / (1 + σ(N−1) + κN(N−1)).

    Args:
        n: workers or nodes.
        single: throughput of one (λ).
        sigma: contention coefficient σ.
        kappa: coherency coefficient κ.
    """
    return single * n / (1 + sigma * (n - 1) + kappa * n * (n - 1))
