"""Queueing formulas: Little's law, M/M/c (Erlang C), M/G/c (Allen–Cunneen), fan-out, the USL.

Pure functions of numbers; no I/O. Each is the textbook formula, computed so that it neither
overflows (no factorials) nor divides by zero at the edges, in time that does not grow with
the number of servers beyond O(√c).
"""

from __future__ import annotations

import math

from pyt_arch_kit.planning.tail import regularized_gamma

__all__ = [
    "ALLEN_CUNNEEN",
    "DEAN_BARROSO",
    "ERLANG",
    "GUNTHER",
    "LITTLE",
    "erlang_c",
    "fanout_slow_probability",
    "littles_law",
    "mgc_response_quantile",
    "mgc_wait",
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
ALLEN_CUNNEEN = (
    "Allen–Cunneen: A. O. Allen, “Probability, Statistics, and Queueing Theory”, 2nd ed., "
    "1990; W. Whitt, “Approximations for the GI/G/m queue”, Production and Operations "
    "Management 2(2), 1993"
)
#: Past this many servers Erlang B comes from the Poisson distribution (O(√c)), not the
#: O(c) recursion.
_RECURSION_MAX_SERVERS = 1_000


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
    C = B / (1 − ρ(1 − B)), which avoids factorials. Past 1,000 servers, B is the Poisson
    ratio P(N = c) / P(N ≤ c) with N ~ Poisson(a), from the regularized incomplete gamma
    function, so the work stays O(√c) however large c is.

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
    rho = offered_load / servers
    if servers > _RECURSION_MAX_SERVERS:
        # P(N ≤ c) = Q(c + 1, a); P(N = c) = e^{c ln a − a − ln c!}
        _p, below = regularized_gamma(servers + 1.0, offered_load)
        log_pmf = servers * math.log(offered_load) - offered_load - math.lgamma(servers + 1.0)
        b = math.exp(log_pmf) / below if below > 0 else 1.0
        return b / (1 - rho * (1 - b))
    b = 1.0
    for k in range(1, servers + 1):
        b = offered_load * b / (k + offered_load * b)
        if b == 0.0:  # underflowed: far more servers than load, nobody waits
            return 0.0
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


def mgc_wait(
    arrival_rate: float,
    service_s: float,
    servers: int,
    service_cv: float,
    arrival_cv2: float = 1.0,
) -> tuple[float, float, float]:
    """Waiting in an M/G/c queue by the Allen–Cunneen approximation.

    Wq(M/G/c) ≈ Wq(M/M/c) · (Ca² + Cs²) / 2 with Poisson arrivals (Ca = 1); the probability
    of waiting is Erlang C's, and a request that waits is taken to wait an exponential time
    with mean θ = Wq / C (exact for M/M/c; the heavy-traffic shape of the GI/G/c wait). For
    c = 1 this is the Pollaczek–Khinchine mean, exactly.

    Args:
        arrival_rate: λ, arrivals per second at this queue.
        service_s: mean time a request holds a server, in seconds.
        servers: c.
        service_cv: Cs, the coefficient of variation of that time (1 = exponential).
        arrival_cv2: Ca², the squared coefficient of variation of the inter-arrival times
            (1 = Poisson; 1/k for the Erlang-k arrivals a round-robin split over k gives).

    Returns:
        ``(probability of waiting, mean wait s, mean wait of those who wait s)``; the waits are
        ``inf`` when the queue is unstable (λ · service ≥ c).

    Example:
        >>> prob, mean, theta = mgc_wait(0.5, 1.0, 1, 0.0)  # M/D/1 at ρ = 0.5
        >>> round(mean, 3)  # Pollaczek–Khinchine: ρ·S·(1 + 0) / (2(1 − ρ))
        0.5
    """
    if arrival_rate <= 0 or service_s <= 0:
        return 0.0, 0.0, 0.0
    capacity = servers / service_s
    if arrival_rate >= capacity:
        return 1.0, math.inf, math.inf
    c = erlang_c(servers, arrival_rate * service_s)
    theta = (arrival_cv2 + service_cv**2) / 2 / (capacity - arrival_rate)
    return c, c * theta, theta


def mgc_response_quantile(
    arrival_rate: float,
    service_s: float,
    servers: int,
    service_cv: float,
    quantile: float = 0.99,
) -> float:
    """A quantile of the response time (wait + service) of an M/G/c queue, in seconds.

    The wait from :func:`mgc_wait`, the service time a gamma with this mean and cv, the two
    convolved (:class:`~pyt_arch_kit.planning.tail.ResponseTime`). ``inf`` when unstable.

    Example:
        >>> round(mgc_response_quantile(100, 0.040, 8, 1.0) * 1000)  # M/M/8 at ρ = 0.5
        185
    """
    from pyt_arch_kit.planning.tail import ResponseTime

    prob, _mean, theta = mgc_wait(arrival_rate, service_s, servers, service_cv)
    return ResponseTime(prob, theta, service_s, service_cv).quantile(quantile)


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
