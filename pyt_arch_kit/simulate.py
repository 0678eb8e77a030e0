"""Check the planner's p99 with a discrete-event simulation of the queue it models (``ciw``).

The planner's p99 comes from a formula (Allen–Cunneen for the wait, a gamma for the request's
own time, the two convolved: :mod:`pyt_arch_kit.planning.latency`). This module runs the same
queue as a discrete-event simulation with `ciw <https://ciw.readthedocs.io>`_ — Poisson
arrivals, ``c`` FCFS servers, service and IO times drawn from a gamma (the planner's
assumption) or a lognormal (a heavier body, for contrast) with the same mean and cv — and
reports the simulated p99 with a 95 % confidence interval over independent replications.

- **Shared queue** (sync workers): one queue per instance, ``c`` workers, each held for the
  request's CPU *and* IO time (their sum is the service time).
- **Per-worker queue** (event loops, threaded workers, a worker's own process pool): the
  queue is one worker's ``c`` servers, held for CPU only; IO overlaps, so it is a delay drawn
  after the service that holds no server. Arrivals split at random across workers are still
  Poisson at each worker (thinning), so one worker is simulated at its share of the rate;
  with ``round_robin_over=k`` it gets every k-th arrival instead (Erlang-k gaps), the
  "evenly split" case the planner does not model.

This is an edge, not the pure core: it needs ``ciw``, the ``simulate`` extra
(``pip install "pyt_arch_kit[simulate]"``), imported only when a simulation runs; without it a
simulation raises :class:`~pyt_arch_kit.errors.MissingExtraError` naming that extra. Each call
seeds its own replications and restores the global ``random`` and ``numpy.random`` states (and
ciw's own generator) afterwards, so it is repeatable and leaves no trace.

Example:
    >>> from pyt_arch_kit import plan, preset
    >>> from pyt_arch_kit.simulate import simulate_plan
    >>> p = plan(preset("io-bound-api"))
    >>> sim = simulate_plan(p, customers=5_000, replications=3)  # doctest: +SKIP
    >>> sim.p99_ms, sim.low_ms, sim.high_ms, p.capacity.p99_ms  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
import math
import random
import statistics
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Literal

from pyt_arch_kit._optional import require
from pyt_arch_kit.planning.choices import QueueScope
from pyt_arch_kit.planning.latency import QUANTILE, Queue, queue_for, response_time, service_times
from pyt_arch_kit.planning.model import Plan
from pyt_arch_kit.planning.queueing import erlang_c
from pyt_arch_kit.planning.validity import VALIDATED_MAX_UTILISATION, outside_validated_range

__all__ = [
    "RESOLVED",
    "Check",
    "Distribution",
    "QueueCase",
    "SimulatedP99",
    "check",
    "customers_for",
    "error_table",
    "planner_p99",
    "region",
    "simulate",
    "simulate_plan",
]

Distribution = Literal["gamma", "lognormal"]

#: Student's t, two-sided 95 %, by degrees of freedom (any statistics table).
_T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262}
_T95_LARGE = 2.228  # df 10; past it the interval is at most 14 % wider than the normal's
_MAX_CUSTOMERS = 5_000_000
_MAX_REPLICATIONS = 100
#: Simulated time after the last measured arrival, as a fraction of the measured time.
_DRAIN = 0.05


@dataclass(frozen=True)
class QueueCase:
    """One queue as the planner models it, with the load stated as its utilisation.

    Attributes:
        utilisation: ρ, the busy fraction of the queue's servers (0 < ρ < 1).
        servers: c, the servers of the queue.
        shared: ``True`` for a shared queue (sync workers, held for CPU + IO), ``False`` for
            a per-worker queue (held for CPU only, IO overlaps).
        service_cv: the cv of the CPU time and of the IO time (``workload.service_cv``).
        cpu_ms: mean CPU time per request.
        io_ms: mean IO wait per request.
        distribution: what the simulation draws times from (the planner always fits a gamma).
    """

    utilisation: float
    servers: int
    shared: bool
    service_cv: float
    cpu_ms: float = 10.0
    io_ms: float = 0.0
    distribution: Distribution = "gamma"

    @property
    def held_ms(self) -> float:
        """Mean time a request holds a server."""
        return self.cpu_ms + self.io_ms if self.shared else self.cpu_ms

    @property
    def arrival_rate(self) -> float:
        """λ at this queue, per second, for its utilisation: ρ · c / held."""
        return self.utilisation * self.servers / (self.held_ms / 1000)

    @property
    def queue(self) -> Queue:
        """The planner's :class:`~pyt_arch_kit.planning.latency.Queue` for this case."""
        if self.shared:
            return Queue(QueueScope.INSTANCE, self.servers, 1, True, "sync worker", "shared queue")
        return Queue(QueueScope.WORKER, self.servers, 1, False, "worker", "per-worker queue")


@dataclass(frozen=True)
class SimulatedP99:
    """The simulated p99 of the response time, with its 95 % confidence interval.

    Attributes:
        p99_ms: the mean of the replications' p99s, in ms.
        low_ms, high_ms: the 95 % confidence interval of that mean (Student's t over the
            replications).
        replications: each replication's p99, in ms.
        customers: customers measured per replication (after the warm-up).
    """

    p99_ms: float
    low_ms: float
    high_ms: float
    replications: tuple[float, ...]
    customers: int

    @property
    def half_width(self) -> float:
        """Half the confidence interval, relative to the estimate (0.05 = ± 5 %)."""
        return (self.high_ms - self.low_ms) / 2 / self.p99_ms if self.p99_ms > 0 else 0.0


def planner_p99(case: QueueCase) -> float:
    """The planner's p99 in ms for this queue: the formula the plan itself uses."""
    rt = response_time(
        case.arrival_rate, case.cpu_ms, case.io_ms, case.service_cv, case.queue, instances=1
    )
    return rt.quantile(QUANTILE) * 1000


def _ciw() -> ModuleType:
    return require("ciw", for_="simulating a queue")


def _times(ciw: ModuleType, mean_s: float, cv: float, distribution: Distribution) -> Any:
    """A ciw distribution with this mean and cv (a constant below cv 0.01)."""
    if mean_s <= 0:
        return None
    if cv < 0.01:
        return ciw.dists.Deterministic(mean_s)
    if distribution == "lognormal":
        sigma2 = math.log1p(cv * cv)
        return ciw.dists.Lognormal(math.log(mean_s) - sigma2 / 2, math.sqrt(sigma2))
    shape = 1 / (cv * cv)
    return ciw.dists.Gamma(shape, mean_s / shape)


def _one_replication(
    ciw: ModuleType,
    case: QueueCase,
    customers: int,
    warmup: float,
    seed: int,
    round_robin_over: int,
) -> float:
    cpu = _times(ciw, case.cpu_ms / 1000, case.service_cv, case.distribution)
    io = _times(ciw, case.io_ms / 1000, case.service_cv, case.distribution)
    held = cpu if not case.shared or io is None else (io if cpu is None else cpu + io)
    lam = case.arrival_rate
    if round_robin_over > 1:  # every k-th of a Poisson stream of rate k·λ: Erlang-k gaps
        arrivals = ciw.dists.Gamma(float(round_robin_over), 1 / (lam * round_robin_over))
    else:
        arrivals = ciw.dists.Exponential(lam)
    network = ciw.create_network(
        arrival_distributions=[arrivals],
        service_distributions=[held],
        number_of_servers=[case.servers],
    )
    ciw.seed(seed)
    sim = ciw.Simulation(network)
    start = customers * warmup / lam
    end = start + customers / lam
    # run on past the last measured arrival, so the slow ones among the last still finish
    sim.simulate_until_max_time(end + customers * _DRAIN / lam)
    times = [
        r.waiting_time + r.service_time
        for r in sim.get_all_records()
        if start <= r.arrival_date < end
    ]
    if not case.shared and io is not None:  # IO after the CPU, holding no server
        times = [t + io.sample() for t in times]
    if not times:
        return math.nan
    return float(statistics.quantiles(times, n=100, method="inclusive")[98]) * 1000


def simulate(
    case: QueueCase,
    *,
    customers: int = 20_000,
    replications: int = 5,
    warmup: float = 0.1,
    seed: int = 1,
    round_robin_over: int = 1,
) -> SimulatedP99:
    """Simulate the queue of ``case`` and estimate its response-time p99.

    Args:
        case: the queue, its load and its time distributions.
        customers: customers measured per replication (the warm-up comes on top).
        replications: independent runs (seeds ``seed``, ``seed + 1`` …); the interval comes
            from their spread.
        warmup: the fraction of ``customers`` simulated first and not measured (the queue
            starts empty).
        seed: the first replication's seed.
        round_robin_over: ``k > 1`` gives the queue every k-th arrival of the fleet instead of
            a random share (per-worker queues behind an even split).

    Returns:
        The p99 with its 95 % confidence interval.

    Raises:
        ValueError: when the load is not below the servers' capacity or a count is out of
            range.
        MissingExtraError: when ``ciw`` is not installed (the ``simulate`` extra).
    """
    if not 0 < case.utilisation < 1:
        raise ValueError("utilisation must be in (0, 1): an unstable queue has no p99")
    if case.held_ms <= 0 or case.servers < 1:
        raise ValueError("the queue needs servers and a time that holds them")
    if not 1 <= customers <= _MAX_CUSTOMERS or not 2 <= replications <= _MAX_REPLICATIONS:
        raise ValueError(
            f"customers in [1, {_MAX_CUSTOMERS:,}] and replications in [2, {_MAX_REPLICATIONS}]"
        )
    ciw: Any = _ciw()  # a module: Any, so that ciw.rng can be put back
    numpy = importlib.import_module("numpy")
    saved = random.getstate(), numpy.random.get_state(), getattr(ciw, "rng", None)
    try:
        p99s = tuple(
            _one_replication(ciw, case, customers, warmup, seed + i, round_robin_over)
            for i in range(replications)
        )
    finally:
        random.setstate(saved[0])
        numpy.random.set_state(saved[1])
        if saved[2] is not None:  # ciw.seed also replaces ciw's own numpy generator
            ciw.rng = saved[2]
    mean = statistics.fmean(p99s)
    half = _T95.get(replications - 1, _T95_LARGE) * statistics.stdev(p99s) / math.sqrt(replications)
    return SimulatedP99(mean, mean - half, mean + half, p99s, customers)


def simulate_plan(
    plan: Plan,
    *,
    distribution: Distribution = "gamma",
    customers: int = 20_000,
    replications: int = 5,
    seed: int = 1,
) -> SimulatedP99:
    """Simulate the queue a plan models, at its peak, with the plan's fleet.

    The plan's requests split at random across its queues (instances, or workers), so one
    queue is simulated at its share of the peak. ``distribution="lognormal"`` draws the CPU
    and IO times from lognormals of the plan's means and cv instead of the model's gammas.

    Args:
        plan: a plan of an online service (:func:`~pyt_arch_kit.planning.plan`).
        distribution: what the CPU and IO times are drawn from.
        customers: customers measured per replication; at a utilisation above 0.5 on few
            servers, use :func:`customers_for` for an interval of similar width.
        replications: independent runs, for the confidence interval.
        seed: the first replication's seed.

    Returns:
        The simulated p99 with its 95 % confidence interval, to set beside
        ``plan.capacity.p99_ms``.

    Raises:
        ValueError: when nothing queues in the plan (no load, or no CPU and IO time).
    """
    req, cap = plan.resolved, plan.capacity
    if cap.queue is QueueScope.NONE:
        raise ValueError("nothing queues in this plan: its p99 is the request's own time")
    cpu_ms, io_ms = service_times(req)
    queue = queue_for(req, plan.concurrency)
    case = QueueCase(
        utilisation=cap.queue_utilisation,
        servers=queue.servers,
        shared=queue.holds_io,
        service_cv=cap.service_cv,
        cpu_ms=cpu_ms,
        io_ms=io_ms,
        distribution=distribution,
    )
    return simulate(case, customers=customers, replications=replications, seed=seed)


# -- the planner against the simulation, over a grid --------------------------------------


@dataclass(frozen=True)
class Check:
    """The planner's p99 for one queue next to the simulated one.

    Attributes:
        case: the queue.
        planner_ms: the planner's p99.
        simulated: the simulated p99 with its confidence interval.
    """

    case: QueueCase
    planner_ms: float
    simulated: SimulatedP99

    @property
    def error(self) -> float:
        """The planner's relative error: planner / simulated − 1 (+0.1 = 10 % pessimistic)."""
        return self.planner_ms / self.simulated.p99_ms - 1

    @property
    def within_interval(self) -> bool:
        """Whether the planner's p99 lies inside the simulation's 95 % interval."""
        return self.simulated.low_ms <= self.planner_ms <= self.simulated.high_ms


def customers_for(utilisation: float, base: int = 10_000, servers: int = 1) -> int:
    """Customers per replication for a p99 of similar noise at this utilisation.

    The p99 of a queue that waits is set by its long busy periods, whose customers all wait
    long together, so far fewer of its samples are independent than it has customers; busy
    periods lengthen as 1 / (1 − ρ)². So ``base`` is scaled by ``(0.5 / (1 − ρ))²`` (at least
    1, at most 8) for the share of requests that wait (Erlang C): a queue of many servers at
    the same ρ rarely waits, and its p99 is the request's own time, sampled independently.

    Example:
        >>> customers_for(0.5, 1_000), customers_for(0.8, 1_000), customers_for(0.8, 1_000, 64)
        (1000, 5200, 1294)
    """
    scale = min(8.0, max(1.0, (0.5 / max(1 - utilisation, 1e-9)) ** 2))
    waiting = erlang_c(max(1, servers), utilisation * max(1, servers))
    return round(base * (1 + (scale - 1) * waiting))


def check(case: QueueCase, *, base: int = 10_000, replications: int = 5, seed: int = 1) -> Check:
    """The planner's p99 for ``case`` against a simulation of ``customers_for(ρ, base, c)``."""
    sim = simulate(
        case,
        customers=customers_for(case.utilisation, base, case.servers),
        replications=replications,
        seed=seed,
    )
    return Check(case, planner_p99(case), sim)


#: A simulated p99 pinned within this (the 95 % interval's half-width) can judge a 10 % error.
RESOLVED = 0.05
_KINDS = ("queue alone", "per-worker, IO overlapped", "shared, IO held")
_REGIONS = ("inside", "cv past the limit", "ρ past 0.8")


def region(case: QueueCase) -> tuple[str, str, str]:
    """Where a case falls, for :func:`error_table`: what queues, the time distribution, and
    whether it is inside the validated range or past which limit.

    What queues is "queue alone" when there is no IO (per-worker and shared queues are then
    the same queue). The limits are those of
    :func:`~pyt_arch_kit.planning.validity.outside_validated_range`; a case past both counts
    as past the utilisation.
    """
    kind = _KINDS[0] if case.io_ms <= 0 else (_KINDS[2] if case.shared else _KINDS[1])
    if case.utilisation > VALIDATED_MAX_UTILISATION + 1e-9:
        where = _REGIONS[2]
    elif outside_validated_range(case.utilisation, case.service_cv, case.servers):
        where = _REGIONS[1]
    else:
        where = _REGIONS[0]
    return kind, case.distribution, where


def _order(key: tuple[str, str, str]) -> tuple[int, str, int]:
    kind, dist, where = key
    return _KINDS.index(kind), dist, _REGIONS.index(where)


def error_table(checks: list[Check], resolved: float = RESOLVED) -> str:
    """The planner's error per region of the grid, as a Markdown table.

    A point is *resolved* when the simulation's 95 % interval is within ``± resolved`` of its
    p99; elsewhere the simulation's own noise is as large as the error being measured, and
    the point neither confirms nor refutes the planner. Columns: points, resolved points, the
    median size and the worst (largest in size, with its sign) of the relative error of the
    p99 over the resolved points, at how many points (of all) the simulation's 95 % interval
    excludes the planner's p99, and the median half-width of those intervals.
    """
    groups: dict[tuple[str, str, str], list[Check]] = {}
    for c in checks:
        groups.setdefault(region(c.case), []).append(c)
    rows = [
        "| queue | times | validated range | points | resolved (± ≤ "
        f"{resolved * 100:.0f} %) | median \\|error\\| | worst error | outside the 95 % interval "
        "| simulation ± |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for key in sorted(groups, key=_order):
        members = groups[key]
        sharp = [c.error for c in members if c.simulated.half_width <= resolved]
        median = f"{statistics.median(abs(e) for e in sharp):.1%}" if sharp else "—"
        worst = f"{max(sharp, key=abs):+.1%}" if sharp else "—"
        outside = sum(not c.within_interval for c in members)
        noise = statistics.median(c.simulated.half_width for c in members)
        rows.append(
            f"| {' | '.join(key)} | {len(members)} | {len(sharp)} | {median} | {worst} "
            f"| {outside} | {noise:.1%} |"
        )
    return "\n".join(rows)
