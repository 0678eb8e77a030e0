"""What queues, and the response-time distribution it gives: the planner's p50 and p99.

The queue is whatever a request waits for under the chosen concurrency model:

- **sync workers** (gunicorn ``sync``, also one per core for CPU-bound work) accept from the
  instance's one listening socket: a request waits for *any* free worker of its instance, and
  the worker is held for the request's whole time, CPU and IO. One M/G/c queue per instance,
  c = workers.
- **event loops** (uvicorn workers) accept connections and keep them (keep-alive, HTTP/2), so
  each worker is its own queue, and its loop runs one request's Python at a time while the
  others' IO overlaps. One M/G/1 queue per worker on CPU time.
- **threaded workers** (gunicorn ``gthread``) and **gRPC processes** (one per container, a
  core each) share one GIL per process: M/G/1 per worker on CPU time.
- **hybrid** workers send CPU work to their own process pool: M/G/c per worker, c = the pool.

Waiting follows Allen–Cunneen (M/G/c); the response time is that wait plus the request's own
CPU + IO time as a distribution (:class:`~pyt_arch_kit.planning.tail.ResponseTime`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

from pyt_arch_kit.planning.choices import QueueScope
from pyt_arch_kit.planning.fanout import SlowestCall
from pyt_arch_kit.planning.model import ConcurrencyModel, ConcurrencyPlan, P99Levers
from pyt_arch_kit.planning.queueing import mgc_wait
from pyt_arch_kit.planning.tail import ResponseTime
from pyt_arch_kit.requirements import Balancer, Interface
from pyt_arch_kit.resolved import ResolvedRequirements

__all__ = [
    "QUANTILE",
    "Queue",
    "find_levers",
    "first_true",
    "meets",
    "queue_for",
    "response_time",
    "service_times",
    "slowest_call",
    "spread",
    "waited_io_ms",
]

#: The latency target is a 99th percentile.
QUANTILE = 0.99
_SEARCH_STEPS = 64
#: Bisection steps for a lever: 2⁻⁴⁰ of its range, far below what a design prints.
_LEVER_STEPS = 40
_Predicate = Callable[[int], bool]
_FloatPredicate = Callable[[float], bool]


def service_times(req: ResolvedRequirements) -> tuple[float, float]:
    """(CPU ms, IO-wait ms) per request, as the planner reads them.

    A time below a nanosecond counts as none: it is no work, and ``1 / x`` would overflow.
    """
    cpu_ms = req.workload.cpu_ms_per_request
    io_ms = req.workload.io_wait_ms_per_request
    return (cpu_ms if cpu_ms >= 1e-6 else 0.0), (io_ms if io_ms >= 1e-6 else 0.0)


@dataclass(frozen=True)
class Queue:
    """What a request queues for under the concurrency model.

    Attributes:
        per: :attr:`QueueScope.WORKER` (each worker process is its own queue) or
            :attr:`QueueScope.INSTANCE` (the workers of an instance share one queue).
        servers: c, the servers of one queue.
        queues_per_instance: how many such queues one instance has.
        holds_io: whether a server stays busy while its request waits on IO.
        server: what a server is, for people (``"sync worker"``, ``"event loop"`` …).
        why: why this is what queues.
        balancer: how the load balancer spreads requests over the instances
            (:func:`spread`).
    """

    per: QueueScope
    servers: int
    queues_per_instance: int
    holds_io: bool
    server: str
    why: str
    balancer: Balancer = Balancer.RANDOM


def spread(queue: Queue, instances: int) -> tuple[int, int, float]:
    """(queues, servers per queue, Ca² of each queue's arrivals) under the queue's balancer.

    - **random** (e.g. kube-proxy's iptables mode): each queue sees a Poisson share of the
      load, Ca² = 1: independent M/G/c queues, the planner's model before balancers.
    - **round robin** (AWS ALB, nginx and Envoy's default): instance i gets every n-th
      request, Erlang-n inter-arrivals (Ca² = 1/n); a worker that is its own queue then gets
      a random 1/w of those (the kernel's accept), Ca² = (1/w)(1/n) + (1 − 1/w). Waits by
      Allen–Cunneen with that Ca² (Harchol-Balter 2013, ch. 24, on task assignment: round
      robin lowers the variability of each server's arrivals, not their load).
    - **least outstanding requests** (least connections): a request goes to a server with
      the fewest in progress, close to one shared queue: one M/G/c over every server of the
      fleet (Harchol-Balter 2013, ch. 24: join-the-shortest-queue approaches the central
      queue).
    """
    n = max(1, instances)
    per_instance = queue.queues_per_instance
    if queue.balancer is Balancer.LEAST_OUTSTANDING:
        return 1, n * per_instance * queue.servers, 1.0
    queues = n * per_instance
    if queue.balancer is Balancer.ROUND_ROBIN:
        w = per_instance
        return queues, queue.servers, (1 / w) * (1 / n) + (1 - 1 / w)
    return queues, queue.servers, 1.0


def queue_for(req: ResolvedRequirements, conc: ConcurrencyPlan) -> Queue:
    """The queue a request waits in, for this concurrency model, interface and balancer."""
    queue = _queue_for(req, conc)
    return dataclasses.replace(queue, balancer=req.infrastructure.balancer)


def _queue_for(req: ResolvedRequirements, conc: ConcurrencyPlan) -> Queue:
    workers = max(1, conc.workers_per_instance)
    model = conc.model
    grpc = req.interface is Interface.GRPC
    if model in (ConcurrencyModel.SYNC, ConcurrencyModel.PROCESSES) and not grpc:
        return Queue(
            QueueScope.INSTANCE,
            workers,
            1,
            True,
            "sync worker",
            "gunicorn's sync workers accept from the instance's one listening socket, so a "
            "request waits for any free worker, which it then holds for its CPU and IO time",
        )
    if model is ConcurrencyModel.HYBRID:
        pool = max(1, conc.process_pool_workers)
        return Queue(
            QueueScope.WORKER,
            pool,
            workers,
            False,
            "process-pool process",
            "each event-loop worker keeps the connections it accepted and sends CPU work to "
            f"its own pool of {pool} process(es); IO overlaps on the loop",
        )
    if model is ConcurrencyModel.ASYNCIO:
        return Queue(
            QueueScope.WORKER,
            1,
            workers,
            False,
            "event loop",
            "each worker keeps the connections it accepted (keep-alive"
            + (", HTTP/2" if grpc else "")
            + "), so its event loop is its own queue: it runs one request's Python at a time "
            "while the others' IO overlaps",
        )
    return Queue(
        QueueScope.WORKER,
        1,
        workers,
        False,
        "GIL",
        "each worker process keeps its connections"
        + (" (a gRPC server process per container, its HTTP/2 connections)" if grpc else "")
        + " and its threads take turns on one GIL for CPU work; IO overlaps",
    )


def _total_cv(cpu_ms: float, io_ms: float, cv: float) -> float:
    """cv of CPU + IO when each has coefficient of variation ``cv`` (independent)."""
    total = cpu_ms + io_ms
    return cv * math.hypot(cpu_ms, io_ms) / total if total > 0 else 0.0


def slowest_call(io_ms: float, service_cv: float, fanout: int) -> SlowestCall | None:
    """The slowest of ``fanout`` parallel calls of ``io_ms`` each, or ``None`` without a
    fan-out (fewer than two calls, or no IO)."""
    if fanout < 2 or io_ms <= 0:
        return None
    return SlowestCall(fanout, io_ms / 1000, service_cv)


def waited_io_ms(io_ms: float, service_cv: float, fanout: int) -> float:
    """The mean IO wait of a request: one call's, or the slowest of ``fanout`` parallel calls'.

    Example:
        >>> round(waited_io_ms(10, 1.0, 100), 1)  # 10 ms × H₁₀₀ for exponential calls
        51.9
    """
    slowest = slowest_call(io_ms, service_cv, fanout)
    return io_ms if slowest is None else slowest.expected_s * 1000


def response_time(
    peak_rps: float,
    cpu_ms: float,
    io_ms: float,
    service_cv: float,
    queue: Queue,
    instances: int,
    fanout: int = 0,
) -> ResponseTime:
    """The response-time distribution at ``instances`` instances (the load split evenly).

    Args:
        peak_rps: λ for the whole fleet.
        cpu_ms: mean CPU time of a request.
        io_ms: mean IO wait of a request, or of each of its ``fanout`` parallel calls.
        service_cv: coefficient of variation of the CPU time and of the IO wait (of a call).
        queue: what queues (:func:`queue_for`).
        instances: application instances sharing the load.
        fanout: parallel calls a request waits for (``workload.fanout_calls``): its IO wait is
            then the slowest of them (:class:`~pyt_arch_kit.planning.fanout.SlowestCall`),
            convolved with the rest of its time, not a mean.
    """
    queues, servers, ca2 = spread(queue, instances)
    slowest = slowest_call(io_ms, service_cv, fanout)
    if slowest is None:
        total_cv = _total_cv(cpu_ms, io_ms, service_cv)
        held_ms = cpu_ms + io_ms if queue.holds_io else cpu_ms
        held_cv = total_cv if queue.holds_io else service_cv
        prob, _mean, theta = mgc_wait(peak_rps / queues, held_ms / 1000, servers, held_cv, ca2)
        return ResponseTime(prob, theta, (cpu_ms + io_ms) / 1000, total_cv)
    if queue.holds_io:  # a sync worker is held for its CPU and the slowest call
        fan_ms = slowest.expected_s * 1000
        held_ms = cpu_ms + fan_ms
        sd_ms = math.hypot(service_cv * cpu_ms, math.sqrt(slowest.variance_s2) * 1000)
        held_cv = sd_ms / held_ms if held_ms > 0 else 0.0
    else:
        held_ms, held_cv = cpu_ms, service_cv
    prob, _mean, theta = mgc_wait(peak_rps / queues, held_ms / 1000, servers, held_cv, ca2)
    return ResponseTime(prob, theta, cpu_ms / 1000, service_cv, slowest)


def meets(rt: ResponseTime, target_ms: float) -> bool:
    """Whether the p99 of ``rt`` is within ``target_ms``: P(T > target) ≤ 1 %."""
    return rt.survival(target_ms / 1000) <= 1 - QUANTILE


def first_true(predicate: _Predicate, low: int, limit: int) -> int | None:
    """The smallest n in [low, limit] with ``predicate(n)``, for a monotone predicate.

    Doubles from ``low`` and then bisects: O(log(n / low)) calls, never a step at a time.
    """
    if predicate(low):
        return low
    lo, hi = low, low
    for _ in range(_SEARCH_STEPS):
        hi = min(limit, max(hi * 2, hi + 1))
        if predicate(hi):
            break
        lo = hi
        if hi >= limit:
            return None
    else:
        return None
    for _ in range(_SEARCH_STEPS):  # invariant: not predicate(lo), predicate(hi)
        if hi - lo <= 1:
            break
        mid = (lo + hi) // 2
        if predicate(mid):
            hi = mid
        else:
            lo = mid
    return hi


def _largest(predicate: _FloatPredicate, high: float) -> float | None:
    """The largest x in [0, high] with ``predicate(x)`` (true at 0 if anywhere), by bisection."""
    if not predicate(0.0):
        return None
    lo, hi = 0.0, high
    for _ in range(_LEVER_STEPS):
        mid = (lo + hi) / 2
        if predicate(mid):
            lo = mid
        else:
            hi = mid
    return lo


def find_levers(
    req: ResolvedRequirements, queue: Queue, instances: int, limit: int, p99_ms: float
) -> P99Levers:
    """What would meet the p99 target that ``instances`` instances miss.

    Each lever is computed by bisection with the others held: more instances (up to
    ``limit``), a lower service-time cv, less CPU per request, less IO wait, or a looser target.
    """
    peak = req.scale.peak_rps
    cpu_ms, io_ms = service_times(req)
    cv = req.workload.service_cv
    target = req.latency.p99_ms

    fanout = req.workload.fanout_calls

    def at(cpu: float, io: float, c: float, n: int) -> bool:
        return meets(response_time(peak, cpu, io, c, queue, n, fanout), target)

    alone = response_time(0.0, cpu_ms, io_ms, cv, queue, instances, fanout)
    floor_ms = alone.quantile(QUANTILE) * 1000
    more = first_true(lambda n: at(cpu_ms, io_ms, cv, n), instances, limit)
    return P99Levers(
        instances=more,
        service_cv=_largest(lambda c: at(cpu_ms, io_ms, c, instances), cv),
        cpu_ms=_largest(lambda c: at(c, io_ms, cv, instances), cpu_ms) if cpu_ms else None,
        io_ms=_largest(lambda i: at(cpu_ms, i, cv, instances), io_ms) if io_ms else None,
        target_ms=p99_ms,
        floor_ms=floor_ms,
    )
