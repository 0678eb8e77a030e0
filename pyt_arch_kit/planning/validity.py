"""Where the p99 model has been checked, and the warning a plan carries outside that range.

The planner's p99 (Allen–Cunneen wait, gamma-fitted request time, the two convolved:
:mod:`pyt_arch_kit.planning.latency`) was compared with a discrete-event simulation (``ciw``)
of the same queues over a grid — utilisation 0.3–0.9, 1–64 servers, service-time cv 0.5–3,
the queue alone, per-worker queues with IO overlapped and shared queues held for IO, with
gamma times (the model's assumption) and lognormal times of the same mean and cv (another
shape, with a longer tail): ``benchmarks/queueing.py`` and ``benchmarks/QUEUEING.md``,
summarised in the planner guide under "How far to trust the p99". Inside the range below,
the planner is within 10 % of the simulation with gamma times; it knows a mean and a cv, not
a shape, and with lognormal times it is up to about 11 % optimistic (one server, cv 1: a
lognormal's own p99 is 6.5 % above a gamma's at cv 1, and its long times lengthen the waits
behind them).

- **Utilisation** up to :data:`VALIDATED_MAX_UTILISATION` of what queues. Past it the
  simulation itself could not pin the p99 (± 15–40 % at 36,500 customers per run on few
  servers), and every input moves the p99 a lot. The planner never plans above it at peak
  (its ceilings are 0.66, and 0.8 after losing a zone); its chart of the p99 against
  utilisation does.
- **Variability** up to a cv of :data:`VALIDATED_MAX_CV` on four or more servers per queue,
  and :data:`VALIDATED_MAX_CV_FEW_SERVERS` on one to three. Past cv 1.5 the request's own p99
  depends on the shape (a lognormal's is 12 % below a gamma's at cv 2, 28 % at cv 3: the
  planner is pessimistic by up to 40 % on many servers). On one or two servers a long-tailed
  time also lengthens the waits behind it: at cv 1.5 lognormal times left the planner 15–18 %
  below the simulated p99, at cv 2–3 the simulated p99 was up to about twice the formula's.

Pure functions of numbers; no I/O.
"""

from __future__ import annotations

import math
from statistics import NormalDist

from pyt_arch_kit.planning.choices import FindingKind, QueueScope
from pyt_arch_kit.planning.latency import service_times
from pyt_arch_kit.planning.model import CapacityPlan, Finding, fmt_number
from pyt_arch_kit.planning.tail import ResponseTime
from pyt_arch_kit.resolved import ResolvedRequirements

__all__ = [
    "FEW_SERVERS",
    "VALIDATED_MAX_CV",
    "VALIDATED_MAX_CV_FEW_SERVERS",
    "VALIDATED_MAX_UTILISATION",
    "lognormal_quantile",
    "max_validated_cv",
    "outside_validated_range",
    "validity_finding",
]

#: Past this utilisation of what queues the estimate was not within the stated error.
VALIDATED_MAX_UTILISATION = 0.8
#: Past this coefficient of variation the p99 depends on the distribution's shape.
VALIDATED_MAX_CV = 1.5
#: A queue with this many servers or fewer…
FEW_SERVERS = 3
#: … is validated only up to this cv: long-tailed times lengthen the waits behind them.
VALIDATED_MAX_CV_FEW_SERVERS = 1.0
_P99 = 0.99
_SLACK = 1e-9


def max_validated_cv(servers: int) -> float:
    """The largest service-time cv validated for a queue of ``servers`` servers."""
    return VALIDATED_MAX_CV_FEW_SERVERS if servers <= FEW_SERVERS else VALIDATED_MAX_CV


def outside_validated_range(utilisation: float, service_cv: float, servers: int) -> list[str]:
    """Why the p99 estimate for this queue is outside the range the simulation validated.

    Args:
        utilisation: ρ, the busy fraction of what queues (0 when nothing queues).
        service_cv: the coefficient of variation of the request's CPU and IO time.
        servers: c, the servers of one queue (1 for an event loop).

    Returns:
        One reason per limit passed; empty inside the range.

    Example:
        >>> outside_validated_range(0.6, 1.5, servers=8)
        []
        >>> outside_validated_range(0.6, 1.5, servers=1)[0][:19]
        'service-time cv 1.5'
    """
    reasons = []
    limit = max_validated_cv(servers)
    if service_cv > limit + _SLACK and servers <= FEW_SERVERS:
        reasons.append(
            f"service-time cv {fmt_number(service_cv)} is above {fmt_number(limit)} on "
            f"{servers} server{'s' if servers > 1 else ''} per queue, where a long-tailed "
            "time also lengthens the waits behind it (lognormal times of the same mean and cv "
            "gave a p99 about 20 % above the formula at cv 1.5, up to twice it at cv 2–3)"
        )
    elif service_cv > limit + _SLACK:
        reasons.append(
            f"service-time cv {fmt_number(service_cv)} is above {fmt_number(limit)}, where the "
            "p99 depends on the shape of the time distribution, not only its mean and cv"
        )
    if utilisation > VALIDATED_MAX_UTILISATION + _SLACK:
        reasons.append(
            f"ρ {fmt_number(utilisation)} is above {fmt_number(VALIDATED_MAX_UTILISATION)}, "
            "where the queueing tail is approximate and every input moves the p99 a lot"
        )
    return reasons


def lognormal_quantile(mean: float, cv: float, q: float) -> float:
    """The q-quantile of a lognormal distribution with this mean and cv.

    Example:
        >>> round(lognormal_quantile(1.0, 1.0, 0.99), 3)
        4.905
    """
    if mean <= 0:
        return 0.0
    if cv <= 0:
        return mean
    sigma2 = math.log1p(cv * cv)
    return math.exp(math.log(mean) - sigma2 / 2 + NormalDist().inv_cdf(q) * math.sqrt(sigma2))


def validity_finding(req: ResolvedRequirements, cap: CapacityPlan) -> Finding | None:
    """A warning when the plan's p99 comes from outside the range the simulation checked.

    ``req`` are the resolved requirements and ``cap`` their capacity plan, for an online
    service (a batch job states no p99).
    """
    queued = cap.queue is not QueueScope.NONE
    rho = cap.queue_utilisation if queued else 0.0
    servers = cap.queue_servers if queued else FEW_SERVERS + 1  # the request's own time only
    reasons = outside_validated_range(rho, cap.service_cv, servers)
    if not reasons:
        return None
    cpu_ms, io_ms = service_times(req)
    mean_s = (cpu_ms + io_ms) / 1000
    # CPU and IO are independent, each with this cv: their sum varies less
    cv = cap.service_cv * math.hypot(cpu_ms, io_ms) / (cpu_ms + io_ms) if mean_s > 0 else 0.0
    gamma_ms = ResponseTime(0.0, 0.0, mean_s, cv).quantile(_P99) * 1000
    lognormal_ms = lognormal_quantile(mean_s, cv, _P99) * 1000
    shape = (
        f" On its own, the request's time ({fmt_number(cpu_ms)} ms CPU + {fmt_number(io_ms)} "
        f"ms IO, cv {fmt_number(cv)} in all) has a p99 of {fmt_number(gamma_ms)} ms as a "
        f"gamma (the model's assumption) and {fmt_number(lognormal_ms)} ms as a lognormal of "
        "the same mean and cv."
        if cap.service_cv > VALIDATED_MAX_CV and mean_s > 0
        else ""
    )
    return Finding(
        FindingKind.WARNING,
        "the p99 estimate is outside the model's validated range",
        f"The estimated p99 of {fmt_number(cap.p99_ms)} ms is for cv "
        f"{fmt_number(cap.service_cv)} at ρ {fmt_number(rho)}; a simulation (ciw) of such "
        "queues agreed with the model within 10 % with gamma times, and within about 11 % "
        f"with lognormal times, up to cv {fmt_number(max_validated_cv(servers))} and ρ "
        f"{fmt_number(VALIDATED_MAX_UTILISATION)}, and here {'; and '.join(reasons)}.{shape}",
        "Load-test before trusting it: measure the p50, p99 and cv of the handler time at "
        "peak and re-plan with them; pyt_arch_kit.simulate.simulate_plan replays this "
        "queue with gamma or lognormal times.",
    )
