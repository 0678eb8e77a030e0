"""Compute capacity: in-flight requests, cores, instances, and the queueing they imply."""

from __future__ import annotations

import math

from pyt_arch_kit.planning.model import CapacityPlan, Figure
from pyt_arch_kit.planning.queueing import (
    DEAN_BARROSO,
    ERLANG,
    LITTLE,
    fanout_slow_probability,
    littles_law,
    mmc_wait,
)
from pyt_arch_kit.requirements import Interface, Requirements

__all__ = ["TARGET_UTILISATION", "plan_capacity", "service_times"]

#: Cores are provisioned so that they are busy this fraction of the time at peak: below ~0.8,
#: where M/M/c queueing delay starts to climb steeply.
TARGET_UTILISATION = 0.66
_HIKE_LIMIT = 0.8


def service_times(req: Requirements) -> tuple[float, float]:
    """(CPU ms, IO-wait ms) per request, as the planner reads them.

    CPU time below a nanosecond counts as none: it is no work, and ``1 / x`` would overflow.
    """
    cpu_ms = req.workload.cpu_ms_per_request or 0.0
    if cpu_ms < 1e-6:
        cpu_ms = 0.0
    return cpu_ms, req.workload.io_wait_ms_per_request or 0.0


def _min_instances(req: Requirements) -> int:
    """Two instances at least for an SLO of 99.9 % or more (one can fail or be deployed)."""
    if req.interface is Interface.BATCH:
        return 1
    return 2 if (req.latency.availability_pct or 0) >= 99.9 else 1


def _queue(req: Requirements, instances: int, cores_per_instance: int) -> tuple[float, float]:
    """(probability of waiting, p99 wait in ms) for one instance's cores as an M/M/c queue."""
    cpu_s = service_times(req)[0] / 1000
    peak = req.scale.peak_rps or 0
    if cpu_s == 0 or peak <= 0:
        return 0.0, 0.0
    prob, _mean, p99 = mmc_wait(peak / instances, 1 / cpu_s, cores_per_instance)
    return prob, p99 * 1000


def plan_capacity(req: Requirements) -> tuple[CapacityPlan, list[Figure]]:
    """Size the fleet for the peak rate and check the p99 target against queueing.

    ``req`` must be resolved (no relevant field unset).
    """
    peak = req.scale.peak_rps or 0.0
    cpu_ms, io_ms = service_times(req)
    cpi = req.infrastructure.cores_per_instance or 1
    p99_target = req.latency.p99_ms or math.inf
    service_ms = cpu_ms + io_ms

    in_flight = littles_law(peak, service_ms / 1000)
    busy = peak * cpu_ms / 1000
    cores_needed = max(1, math.ceil(busy / TARGET_UTILISATION - 1e-9))
    base = max(_min_instances(req), math.ceil(cores_needed / cpi))
    instances = base
    prob, wait99 = _queue(req, instances, cpi)
    # Add instances while queueing, not the request's own time, breaks the p99 target.
    if service_ms < p99_target:
        while service_ms + wait99 > p99_target and instances < base * 4 + 4:
            instances += 1
            prob, wait99 = _queue(req, instances, cpi)
    cores = instances * cpi
    utilisation = busy / cores if cores else 0.0
    p99_est = service_ms + wait99
    headroom = max(0.0, _HIKE_LIMIT * cores / (cpu_ms / 1000) - peak) if cpu_ms > 0 else math.inf
    fanout = req.workload.fanout_calls
    slow = fanout_slow_probability(fanout)

    cap = CapacityPlan(
        in_flight=in_flight,
        busy_cores=busy,
        target_utilisation=TARGET_UTILISATION,
        cores=cores,
        instances=instances,
        cores_per_instance=cpi,
        utilisation=utilisation,
        service_ms=service_ms,
        p50_ms=service_ms,
        p99_ms=p99_est,
        queue_wait_p99_ms=wait99,
        wait_probability=prob,
        meets_p99=p99_est <= p99_target,
        headroom_rps=headroom,
        fanout_slow_probability=slow,
    )
    figures = [
        Figure(
            "in_flight",
            "Requests in flight at peak",
            in_flight,
            "requests",
            "L = λ · W",
            (("λ (peak req/s)", peak), ("W (s in system)", service_ms / 1000)),
            LITTLE,
        ),
        Figure(
            "busy_cores",
            "CPU cores busy at peak",
            busy,
            "cores",
            "busy = λ · CPU s per request",
            (("λ (peak req/s)", peak), ("CPU s per request", cpu_ms / 1000)),
            "utilisation law, U = X · S (Denning & Buzen, 1978)",
        ),
        Figure(
            "cores",
            "Cores to provision",
            cores,
            "cores",
            "max(⌈busy / U_target⌉, instances · cores per instance)",
            (
                ("busy cores", busy),
                ("U_target", TARGET_UTILISATION),
                ("instances", instances),
                ("cores per instance", cpi),
            ),
            "headroom below ρ ≈ 0.8, where M/M/c waits climb (" + ERLANG + ")",
        ),
        Figure(
            "instances",
            "Application instances",
            instances,
            "instances",
            "max(N_min, ⌈cores needed / cores per instance⌉), + more if queueing breaks p99",
            (
                ("cores needed", cores_needed),
                ("cores per instance", cpi),
                ("N_min (redundancy for the SLO)", _min_instances(req)),
            ),
            "N+1 redundancy; " + ERLANG,
        ),
        Figure(
            "utilisation",
            "Core utilisation at peak",
            utilisation,
            "",
            "ρ = busy / cores",
            (("busy cores", busy), ("cores", cores)),
            ERLANG,
        ),
        Figure(
            "wait_probability",
            "Probability a request queues for a core",
            prob,
            "",
            "C(c, a) (Erlang C), per instance",
            (
                ("c (cores per instance)", cpi),
                ("a = λ/μ per instance", busy / instances if instances else 0.0),
            ),
            ERLANG,
        ),
        Figure(
            "queue_wait_p99_ms",
            "p99 wait for a core",
            wait99,
            "ms",
            "t₉₉ = ln(C / 0.01) / (cμ − λ)",
            (
                ("c", cpi),
                ("μ (req/s per core)", 1000 / cpu_ms if cpu_ms else math.inf),
                ("λ per instance", peak / instances if instances else 0.0),
            ),
            ERLANG,
        ),
        Figure(
            "p99_estimate_ms",
            "Estimated p99 latency",
            p99_est,
            "ms",
            "service time (CPU + IO wait) + p99 queueing wait",
            (
                ("CPU ms", cpu_ms),
                ("IO wait ms", io_ms),
                ("p99 wait ms", wait99),
                ("target p99 ms", p99_target),
            ),
            ERLANG + "; assumes exponential service, ignores service-time variance",
        ),
        Figure(
            "headroom_rps",
            "Extra req/s before cores pass 80 % busy",
            headroom,
            "req/s",
            "0.8 · cores / CPU s − λ",
            (("cores", cores), ("CPU s per request", cpu_ms / 1000), ("λ", peak)),
            ERLANG,
        ),
    ]
    if fanout > 0:
        figures.append(
            Figure(
                "fanout_slow_probability",
                "Chance a request waits on a backend's p99 tail",
                slow,
                "",
                "1 − 0.99ᴺ",
                (("N (parallel calls)", fanout),),
                DEAN_BARROSO,
            )
        )
    return cap, figures
