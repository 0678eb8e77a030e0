"""Closed-loop clients: N clients, each sending a request, waiting for it, then thinking Z.

A load test of 200 users or a fixed pool of workers calling the service does not send an
open arrival rate: each client has at most one request outstanding, so the rate falls as the
response time grows. The interactive response-time law gives it, ``X = N / (R + Z)``
(Lazowska et al. 1984, ch. 3), and so does its bound: ``X ≤ N / (D + Z)``, D the request's own
time, reached when nothing queues (ch. 5). The planner sizes the fleet for that bound (or the
stated rate, whichever is lower: :func:`closed_loop_rate`), then reads the throughput and the
mean response time at the planned fleet by mean value analysis (:func:`mva`; ch. 6): exact for
one server, and for c servers Seidmann's approximation (one server of demand D/c followed by a
delay of D(c − 1)/c).

Pure functions of numbers; the MVA loop runs once per client (the field is bounded).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from pyt_arch_kit.planning.model import Figure

__all__ = [
    "LAZOWSKA",
    "SEIDMANN",
    "ClosedLoop",
    "closed_loop_figure",
    "closed_loop_rate",
    "mva",
]

LAZOWSKA = (
    "E. D. Lazowska, J. Zahorjan, G. S. Graham & K. C. Sevcik, “Quantitative System "
    "Performance”, Prentice-Hall, 1984, ch. 3 (the interactive response-time law), ch. 5 "
    "(asymptotic bounds) and ch. 6 (mean value analysis)"
)
SEIDMANN = (
    "A. Seidmann, P. J. Schweitzer & S. Shalev-Oren, “Computerized closed queueing network "
    "models of flexible manufacturing systems”, Large Scale Systems 12, 1987 (a c-server "
    "station as one server of D/c and a delay of D(c − 1)/c)"
)


def closed_loop_rate(clients: int, own_s: float, think_s: float) -> float:
    """The most requests per second ``clients`` closed-loop clients can send: N / (D + Z).

    Reached when no request queues (Lazowska et al. 1984, ch. 5); ``inf`` when a request and
    the think time both take no time.

    Example:
        >>> closed_loop_rate(200, 0.050, 0.950)  # 200 users, 50 ms requests, 950 ms thinking
        200.0
    """
    cycle = own_s + think_s
    return clients / cycle if cycle > 0 else math.inf


@dataclass(frozen=True)
class ClosedLoop:
    """Throughput and mean response time of N closed-loop clients (mean value analysis).

    Attributes:
        clients: N.
        think_s: Z, seconds a client waits between a response and its next request.
        throughput: X, requests per second.
        response_s: R, the mean response time in seconds (X = N / (R + Z)).
        busy: the fraction of the servers busy (X · D / c).
    """

    clients: int
    think_s: float
    throughput: float
    response_s: float
    busy: float


@functools.lru_cache(maxsize=256)
def mva(clients: int, held_s: float, servers: int, delay_s: float, think_s: float) -> ClosedLoop:
    """Mean value analysis of N clients over one queueing station and a delay.

    Args:
        clients: N (≥ 1).
        held_s: the time a request holds one of the station's servers.
        servers: c, the station's servers (the fleet's workers, loops or pool processes).
        delay_s: the rest of a request's own time, which holds no server (IO on an event loop).
        think_s: Z.

    For c = 1 this is exact MVA (Lazowska et al. 1984, ch. 6): R(n) = D(1 + Q(n − 1)),
    X(n) = n / (R(n) + delay + Z), Q(n) = X(n) R(n). For c > 1 the station is Seidmann's
    single server of demand D/c with a delay of D(c − 1)/c added.

    Example:
        >>> r = mva(1, 0.010, 1, 0.0, 0.090)  # one client: no one to queue behind
        >>> round(r.throughput, 6), round(r.response_s, 6)
        (10.0, 0.01)
    """
    c = max(1, servers)
    demand = held_s / c
    fixed = held_s * (c - 1) / c + delay_s
    queued = 0.0
    x = r = 0.0
    for n in range(1, max(1, clients) + 1):
        at_station = demand * (1 + queued)
        r = at_station + fixed
        cycle = r + think_s
        x = n / cycle if cycle > 0 else math.inf
        queued = x * at_station if math.isfinite(x) else 0.0
    busy = min(1.0, x * held_s / c) if math.isfinite(x) else 1.0
    return ClosedLoop(max(1, clients), think_s, x, r, busy)


def closed_loop_figure(
    closed: ClosedLoop, stated_rps: float | None, servers: int, held_ms: float, own_ms: float
) -> Figure:
    """The figure of the clients' throughput at the planned fleet, saying what binds.

    Args:
        closed: the MVA result at the planned fleet (:func:`mva`).
        stated_rps: the peak rate the requirements state, or ``None``.
        servers: the fleet's servers (c).
        held_ms: the time a request holds one.
        own_ms: the request's own time (held and not).
    """
    bound = closed_loop_rate(closed.clients, own_ms / 1000, closed.think_s)
    rate_binds = stated_rps is not None and stated_rps < bound
    binds = (
        f"the stated {stated_rps:g} req/s binds (the clients could send up to {bound:,.0f}: "
        "a rate limit or a longer think time holds them to it)"
        if rate_binds
        else f"the clients bind (at most N / (D + Z) = {bound:,.1f} req/s)"
    )
    return Figure(
        "closed_loop_throughput_rps",
        f"Throughput of {closed.clients:,} closed-loop clients: {binds}",
        closed.throughput,
        "req/s",
        "min(λ stated, N / (D + Z)); R from the open model at λ"
        if rate_binds
        else "X = N / (R + Z), R by mean value analysis (Seidmann's c-server approximation)",
        (
            ("N (clients)", closed.clients),
            ("Z (think ms)", closed.think_s * 1000),
            ("R (mean response ms)", closed.response_s * 1000),
            ("c (servers)", servers),
            ("ms held", held_ms),
            ("servers busy", closed.busy),
        ),
        LAZOWSKA + "; " + SEIDMANN,
    )
