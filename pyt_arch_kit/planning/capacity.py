"""Compute capacity: cores, instances that survive a failure, and the latency they give.

Two steps. :func:`size_fleet` sizes the fleet on cores alone (the concurrency model is chosen
from it); :func:`plan_capacity` then adds what the concurrency model queues on — its servers'
utilisation, N+1 across zones, and the p99 from the queueing model — and may add instances
until the p99 target is met. Every count comes from a closed form or a bisection, never a step
at a time.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from pyt_arch_kit.planning.capacity_figures import capacity_figures
from pyt_arch_kit.planning.choices import QueueScope
from pyt_arch_kit.planning.closed import ClosedLoop, closed_loop_figure, closed_loop_rate, mva
from pyt_arch_kit.planning.connections import socket_instances
from pyt_arch_kit.planning.latency import (
    QUANTILE,
    Queue,
    find_levers,
    first_true,
    queue_for,
    response_time,
    service_times,
    waited_io_ms,
)
from pyt_arch_kit.planning.model import CapacityPlan, ConcurrencyPlan, Figure, Plan
from pyt_arch_kit.planning.percentile import (
    meets_percentile,
    meets_targets,
    percentile_figure,
    percentile_target,
)
from pyt_arch_kit.planning.queueing import fanout_slow_probability, littles_law
from pyt_arch_kit.requirements import Interface
from pyt_arch_kit.resolved import ResolvedRequirements

__all__ = [
    "FAILOVER_CEILING",
    "REDUNDANCY_SLO_PCT",
    "TARGET_UTILISATION",
    "Fleet",
    "p99_at_utilisation",
    "plan_capacity",
    "service_times",
    "size_fleet",
    "survivors",
    "zones_for",
]

#: Cores are provisioned so that they are busy this fraction of the time at peak: below ~0.8,
#: where M/M/c queueing delay starts to climb steeply.
TARGET_UTILISATION = 0.66
#: After losing one zone (or one instance) the survivors stay below this utilisation.
FAILOVER_CEILING = 0.8
#: An availability SLO at or above this needs N+1: the fleet survives losing a zone.
REDUNDANCY_SLO_PCT = 99.9
#: Zones a fleet of two or more instances is spread across (most cloud regions have three).
MAX_ZONES = 3
#: Instances added for latency stop at this many times the base (then the levers are named).
_LATENCY_GROWTH = 4


@dataclass(frozen=True)
class Fleet:
    """The fleet sized on cores alone, before the concurrency model is known."""

    in_flight: float
    busy_cores: float
    cores_per_instance: int
    instances: int


def _redundancy_required(req: ResolvedRequirements) -> bool:
    if req.interface is Interface.BATCH:
        return False
    return req.latency.availability_pct >= REDUNDANCY_SLO_PCT


def zones_for(instances: int) -> int:
    """Zones ``instances`` are spread across: one each, up to three."""
    return max(1, min(instances, MAX_ZONES))


def survivors(instances: int) -> int:
    """Instances left after losing the largest failure domain (a zone, or the one instance)."""
    if instances <= 1:
        return 0
    return instances - math.ceil(instances / zones_for(instances))


def _fewest_surviving(needed: int) -> int:
    """The fewest instances whose survivors of a zone loss are at least ``needed`` (closed form).

    With three zones the survivors are ⌊2N/3⌋, so N = ⌈3m/2⌉; two instances survive as one.
    """
    if needed <= 1:
        return 2
    return max(MAX_ZONES, math.ceil(3 * needed / 2))


def _instances_for(load: float, per_instance: float, redundant: bool) -> int:
    """Instances so that ``load`` busy servers stay under the target, and under the failover
    ceiling after losing a zone when ``redundant``."""
    if load <= 0 or per_instance <= 0:
        return 1
    n = math.ceil(load / (per_instance * TARGET_UTILISATION) - 1e-9)
    if redundant:
        n = max(n, _fewest_surviving(math.ceil(load / (per_instance * FAILOVER_CEILING) - 1e-9)))
    return max(1, n)


def size_fleet(req: ResolvedRequirements) -> Fleet:
    """Instances for the cores the load keeps busy, N+1 across zones when the SLO asks for it,
    and for the memory of the sockets a WebSocket service holds open.

    ``req`` must be resolved (no relevant field unset).
    """
    peak = req.scale.peak_rps
    cpu_ms, io_ms = service_times(req)
    cpi = req.infrastructure.cores_per_instance
    redundant = _redundancy_required(req)
    busy = peak * cpu_ms / 1000
    io_ms = waited_io_ms(io_ms, req.workload.service_cv, req.workload.fanout_calls)
    n = _instances_for(busy, cpi, redundant)
    if redundant:
        n = max(n, 2)
    # Long-lived sockets: enough instances to hold every connected user in memory, after a
    # zone loss too (0 when the service holds none).
    n = max(n, socket_instances(req, req.scale.concurrent_users, redundant))
    return Fleet(littles_law(peak, (cpu_ms + io_ms) / 1000), busy, cpi, n)


def _queue_load(req: ResolvedRequirements, queue: Queue) -> tuple[float, float]:
    """(busy servers of the queue at peak, servers per instance)."""
    cpu_ms, io_ms = service_times(req)
    io_ms = waited_io_ms(io_ms, req.workload.service_cv, req.workload.fanout_calls)
    held = cpu_ms + io_ms if queue.holds_io else cpu_ms
    return req.scale.peak_rps * held / 1000, queue.servers * queue.queues_per_instance


def plan_capacity(
    req: ResolvedRequirements, fleet: Fleet, conc: ConcurrencyPlan
) -> tuple[CapacityPlan, list[Figure]]:
    """The fleet that survives a zone loss and meets the p99 target, if any fleet can.

    Instances start from the core sizing, grow so that the queue's own servers (sync workers,
    process pools) also stay under the target and failover ceilings, then grow by bisection
    while the p99 from the queueing model misses the target — up to four times the base plus
    four, where the plan stops and names the levers (the count that would meet it among them);
    when no count can meet it (the request's own time misses the target), the plan keeps the
    base and names the levers.
    """
    peak = req.scale.peak_rps
    cpu_ms, io_ms = service_times(req)
    cpi = fleet.cores_per_instance
    cv = req.workload.service_cv
    target = req.latency.p99_ms
    redundant = _redundancy_required(req)
    online = peak > 0 and req.interface is not Interface.BATCH
    queue = queue_for(req, conc)
    q_load, q_per_instance = _queue_load(req, queue)
    base = max(fleet.instances, _instances_for(q_load, q_per_instance, redundant))

    limit = base * _LATENCY_GROWTH + 4
    instances = base
    # Instances help only if the request's own time (no queueing) can meet the target; then
    # the fewest that meet it, up to the limit (monotone in the load, like the base).
    fanout = req.workload.fanout_calls
    waited_ms = waited_io_ms(io_ms, cv, fanout)
    # The percentile target ("80 % within 20 s"), when given, is sized for like the p99.
    if online and meets_targets(response_time(0.0, cpu_ms, io_ms, cv, queue, base, fanout), req):
        found = first_true(
            lambda n: meets_targets(response_time(peak, cpu_ms, io_ms, cv, queue, n, fanout), req),
            base,
            limit,
        )
        instances = found if found is not None else limit
    response = response_time(peak if online else 0.0, cpu_ms, io_ms, cv, queue, instances, fanout)
    p99 = response.quantile(QUANTILE) * 1000
    p50 = response.quantile(0.5) * 1000
    met = p99 <= target * (1 + 1e-9)
    pct_target = percentile_target(req)
    pct_ms = response.quantile(pct_target[0] / 100) * 1000 if pct_target else None
    pct_met = pct_target is None or meets_percentile(response, *pct_target)
    levers = None
    if not met and req.interface is not Interface.BATCH:
        levers = find_levers(req, queue, instances, instances * 2**40, p99)

    cores = instances * cpi
    busy = fleet.busy_cores
    utilisation = busy / cores if cores else 0.0
    left = survivors(instances)
    after_util = busy / (left * cpi) if left else (math.inf if busy > 0 else 0.0)
    after = response_time(peak, cpu_ms, io_ms, cv, queue, left, fanout) if left and online else None
    p99_after = after.quantile(QUANTILE) * 1000 if after is not None else math.inf
    if not online:
        p99_after = p99
    wait_prob = response.wait_probability
    theta = response.conditional_wait_s
    wait99 = theta * math.log(wait_prob / (1 - QUANTILE)) * 1000 if wait_prob > 0.01 else 0.0
    q_util = q_load / (instances * q_per_instance) if q_per_instance else 0.0
    held_ms = cpu_ms + waited_ms if queue.holds_io else cpu_ms
    headroom = _headroom(peak, cores, cpu_ms, held_ms, instances * q_per_instance)
    slow = fanout_slow_probability(fanout)
    cap = CapacityPlan(
        in_flight=fleet.in_flight,
        busy_cores=busy,
        target_utilisation=TARGET_UTILISATION,
        cores=cores,
        instances=instances,
        cores_per_instance=cpi,
        utilisation=utilisation,
        service_ms=cpu_ms + waited_ms,
        p50_ms=p50,
        p99_ms=p99,
        queue_wait_p99_ms=wait99,
        wait_probability=wait_prob,
        meets_p99=met,
        headroom_rps=headroom,
        fanout_slow_probability=slow,
        service_cv=cv,
        queue=queue.per if online and q_load > 0 else QueueScope.NONE,
        queue_servers=queue.servers,
        queue_server=queue.server,
        queue_utilisation=q_util,
        zones=zones_for(instances),
        instances_after_failure=left,
        utilisation_after_failure=after_util,
        p99_after_failure_ms=p99_after,
        redundancy_required=redundant,
        levers=levers,
        target_percentile_ms=pct_ms,
        meets_target_percentile=pct_met,
    )
    ceilings = (TARGET_UTILISATION, FAILOVER_CEILING, REDUNDANCY_SLO_PCT)
    figures = capacity_figures(req, cap, queue, base, theta, ceilings)
    pct_figure = percentile_figure(req, response)
    if pct_figure is not None:
        figures.append(pct_figure)
    if req.scale.clients and online:
        cap, closed_figure = _closed_loop(
            req, cap, int(instances * q_per_instance), held_ms, response.mean_s * 1000
        )
        figures.append(closed_figure)
    return cap, figures


def _closed_loop(
    req: ResolvedRequirements, cap: CapacityPlan, servers: int, held_ms: float, mean_ms: float
) -> tuple[CapacityPlan, Figure]:
    """The closed-loop clients' throughput and response time at the planned fleet.

    When the clients bind (the stated rate is higher, or none is stated), mean value analysis
    at the planned fleet; when the stated rate binds (the clients could send more: a rate
    limit or a longer think time holds them to it), that rate and the open model's mean.
    """
    own_ms = cap.service_ms
    clients, think_s = req.scale.clients, req.scale.think_time_ms / 1000
    stated = req.requirements.scale.peak_rps
    bound = closed_loop_rate(clients, own_ms / 1000, think_s)
    if stated is not None and stated < bound * (1 - 1e-9):
        closed = ClosedLoop(clients, think_s, stated, mean_ms / 1000, cap.queue_utilisation)
        binds = "rate"
    else:
        closed = mva(clients, held_ms / 1000, servers, max(0.0, own_ms - held_ms) / 1000, think_s)
        binds = "clients"
    cap = dataclasses.replace(
        cap,
        closed_loop_rps=closed.throughput,
        closed_loop_response_ms=closed.response_s * 1000,
        closed_loop_binds=binds,
    )
    return cap, closed_loop_figure(
        closed, stated if binds == "rate" else None, servers, held_ms, own_ms
    )


def p99_at_utilisation(plan: Plan, utilisation: float) -> float:
    """The p99 in ms the plan's own queueing model gives when what queues is ``utilisation`` busy.

    The fleet, the concurrency model and what queues (event loops, sync workers, process
    pools: ``capacity.queue_server``) stay the plan's; only the load changes, to
    ``utilisation`` × servers / s held. At ``capacity.queue_utilisation`` it is
    ``capacity.p99_ms``. With nothing that queues the p99 does not move: it is the plan's.
    """
    req, cap = plan.resolved, plan.capacity
    cpu_ms, io_ms = service_times(req)
    queue = queue_for(req, plan.concurrency)
    fanout = req.workload.fanout_calls
    held_ms = cpu_ms + waited_io_ms(io_ms, cap.service_cv, fanout) if queue.holds_io else cpu_ms
    if cap.queue is QueueScope.NONE or held_ms == 0:
        return cap.p99_ms
    servers = cap.instances * queue.servers * queue.queues_per_instance
    peak = utilisation * servers / (held_ms / 1000)
    rt = response_time(peak, cpu_ms, io_ms, cap.service_cv, queue, cap.instances, fanout)
    return rt.quantile(QUANTILE) * 1000


def _headroom(peak: float, cores: int, cpu_ms: float, held_ms: float, servers: float) -> float:
    """Extra req/s before cores, or the queue's servers, pass the failover ceiling."""
    limits = []
    if cpu_ms > 0:
        limits.append(FAILOVER_CEILING * cores / (cpu_ms / 1000))
    if held_ms > 0:
        limits.append(FAILOVER_CEILING * servers / (held_ms / 1000))
    return max(0.0, min(limits) - peak) if limits else math.inf
