"""The values a plan is made of: figures with their formulas, decisions with trade-offs."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from pyt_arch_kit.planning.choices import (
    Broker,
    Cache,
    DataTool,
    Driver,
    FindingKind,
    Framework,
    Isolation,
    QueueScope,
    Server,
    WorkerClass,
)
from pyt_arch_kit.requirements import Assumption, DatabaseKind, DataMode, Requirements
from pyt_arch_kit.resolved import ResolvedRequirements

if TYPE_CHECKING:
    from pyt_arch_kit.planning.bom import BomLine

__all__ = [
    "Broker",
    "BrokerPlan",
    "Cache",
    "CapacityPlan",
    "ConcurrencyModel",
    "ConcurrencyPlan",
    "DataPlan",
    "DataTool",
    "DatabasePlan",
    "Decision",
    "Driver",
    "Figure",
    "Finding",
    "FindingKind",
    "Framework",
    "Isolation",
    "P99Levers",
    "PipelinePlan",
    "Plan",
    "QueueScope",
    "Server",
    "WorkerClass",
]


@dataclass(frozen=True)
class Figure:
    """A computed number and how it was computed.

    Attributes:
        key: a stable identifier, e.g. ``"in_flight"``.
        label: what it is, for people.
        value: the number.
        unit: its unit (``"requests"``, ``"cores"``, ``"ms"`` …).
        formula: the formula with symbols, e.g. ``"L = λ · W"``.
        inputs: the values substituted into it.
        source: the reference the formula comes from.
    """

    key: str
    label: str
    value: float
    unit: str
    formula: str
    inputs: tuple[tuple[str, float | str], ...]
    source: str

    def show(self) -> str:
        """The value with its unit, formatted for reading."""
        return f"{fmt_number(self.value)} {self.unit}".strip()

    def inputs_text(self) -> str:
        """The inputs as ``name = value`` pairs."""
        return ", ".join(
            f"{k} = {fmt_number(v) if isinstance(v, int | float) else v}" for k, v in self.inputs
        )


def fmt_number(value: float) -> str:
    """Format a number compactly: integers with separators, others to 3 significant digits."""
    if value != value:  # NaN
        return "n/a"
    if value in (float("inf"), float("-inf")):
        return "∞"
    if float(value).is_integer():
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{value:.3g}"


@dataclass(frozen=True)
class Decision:
    """An architectural choice, why it was made and what it costs."""

    topic: str
    choice: str
    why: str
    trade_off: str
    alternatives: tuple[str, ...] = ()


@dataclass(frozen=True)
class Finding:
    """A push-back or warning: where the proposal or the numbers call for a change.

    Attributes:
        kind: :attr:`FindingKind.PUSH_BACK` (the proposal is more than the need) or
            :attr:`FindingKind.WARNING` (a risk in the numbers, e.g. an SLA that queueing
            cannot meet).
        title: a one-line statement.
        detail: the evidence, with numbers.
        recommendation: what to do instead.
    """

    kind: FindingKind
    title: str
    detail: str
    recommendation: str


class ConcurrencyModel(StrEnum):
    """How a worker runs its requests."""

    SYNC = "sync"
    THREADS = "threads"
    ASYNCIO = "asyncio"
    PROCESSES = "processes"
    HYBRID = "hybrid"


@dataclass(frozen=True)
class P99Levers:
    """What would meet a p99 target the plan misses, each lever with the others held.

    Attributes:
        instances: the instance count that meets it by adding instances alone, or ``None``
            when no instance count can (the request's own time distribution misses it).
        service_cv: the largest coefficient of variation of CPU and IO time that meets it at
            the planned instances, or ``None`` when even constant times do not.
        cpu_ms: the largest CPU ms per request that meets it, or ``None``.
        io_ms: the largest IO wait ms per request that meets it, or ``None``.
        target_ms: the p99 the plan does reach: the loosest target it meets.
        floor_ms: the p99 of the request's own CPU + IO time with no queueing at all: no
            instance count goes below it.
    """

    instances: int | None
    service_cv: float | None
    cpu_ms: float | None
    io_ms: float | None
    target_ms: float
    floor_ms: float


@dataclass(frozen=True)
class CapacityPlan:
    """How much compute the load needs, what queues, and the latency that follows.

    Attributes:
        in_flight: requests in the system at peak (Little's law).
        busy_cores: cores busy at peak.
        target_utilisation: the core utilisation the fleet is sized for.
        cores, instances, cores_per_instance: the fleet.
        utilisation: core utilisation at peak.
        service_ms: a request's mean CPU + IO time.
        p50_ms, p99_ms: median and 99th percentile of the response time (wait + service), from
            the queueing model of what queues (``queue``).
        queue_wait_p99_ms: the 99th percentile of the wait for a server alone.
        wait_probability: the chance a request waits for a server.
        meets_p99: whether ``p99_ms`` is within the target.
        target_percentile_ms: the response time at ``latency.target_percentile`` (e.g. the
            p80 of "80 % within 20 s"), or ``None`` without such a target.
        meets_target_percentile: whether that percentile is within ``latency.target_ms``
            (``True`` without such a target).
        closed_loop_rps, closed_loop_response_ms: the throughput and mean response time of
            ``scale.clients`` closed-loop clients at this fleet (mean value analysis), or
            ``None`` without clients.
        closed_loop_binds: ``"clients"`` or ``"rate"``: which of the two limits the load
            (``""`` without clients).
        headroom_rps: extra req/s before cores (or the queue's servers) pass 80 % busy.
        fanout_slow_probability: chance a request waits on a backend's p99 tail.
        service_cv: coefficient of variation of CPU and IO time used by the model.
        queue: where requests queue (:class:`QueueScope`).
        queue_servers: servers in one queue.
        queue_server: what a server is (``"event loop"``, ``"sync worker"`` …).
        queue_utilisation: utilisation of those servers at peak.
        zones: availability zones the instances are spread across.
        instances_after_failure: instances left after losing the largest failure domain (one
            zone, or the one instance).
        utilisation_after_failure: core utilisation on those survivors (``inf`` when none).
        p99_after_failure_ms: the p99 while that capacity is lost.
        redundancy_required: whether the availability SLO asks for N+1.
        levers: what would meet a missed p99 target, or ``None`` when it is met.
    """

    in_flight: float
    busy_cores: float
    target_utilisation: float
    cores: int
    instances: int
    cores_per_instance: int
    utilisation: float
    service_ms: float
    p50_ms: float
    p99_ms: float
    queue_wait_p99_ms: float
    wait_probability: float
    meets_p99: bool
    headroom_rps: float
    fanout_slow_probability: float
    service_cv: float = 1.0
    queue: QueueScope = QueueScope.NONE
    queue_servers: int = 0
    queue_server: str = ""
    queue_utilisation: float = 0.0
    zones: int = 1
    instances_after_failure: int = 0
    utilisation_after_failure: float = 0.0
    p99_after_failure_ms: float = 0.0
    redundancy_required: bool = False
    levers: P99Levers | None = None
    target_percentile_ms: float | None = None
    meets_target_percentile: bool = True
    closed_loop_rps: float | None = None
    closed_loop_response_ms: float | None = None
    closed_loop_binds: str = ""


@dataclass(frozen=True)
class ConcurrencyPlan:
    """How each instance runs requests."""

    model: ConcurrencyModel
    framework: Framework
    server: Server
    workers_per_instance: int
    worker_class: WorkerClass
    process_pool_workers: int
    threads_per_worker: int
    in_flight_per_worker: float
    why: str


@dataclass(frozen=True)
class DatabasePlan:
    """The database layer: engine, pools, isolation, replicas, caching, and its data safety.

    ``standbys`` are failover copies in other zones (a MongoDB replica set's secondaries);
    ``rpo`` and ``rto`` state what a failure may lose and how long it may last.
    ``cache_hit_ratio`` is the read cache's hit ratio at peak (0 without one);
    ``db_queries_per_s`` is what reaches the database (writes + read misses), and the
    ``…_without_cache`` fields are the same plan's load and replicas with no cache.
    """

    engine: DatabaseKind
    driver: Driver
    pool_size: int
    max_overflow: int
    total_connections: int
    connection_limit: int
    reserved_connections: int
    pgbouncer: bool
    db_busy_connections: float
    isolation: Isolation
    transaction_boundaries: str
    read_replicas: int
    cache: Cache
    cache_ttl_s: float
    idempotency_keys: bool
    outbox: bool
    useful_connections: int = 17
    db_cores: int = 8
    standbys: int = 0
    synchronous_standby: bool = False
    backup_retention_days: int = 14
    rpo: str = ""
    rto: str = ""
    cache_hit_ratio: float = 0.0
    db_queries_per_s: float = 0.0
    db_queries_per_s_without_cache: float = 0.0
    read_replicas_without_cache: int = 0

    @property
    def server_connections(self) -> int:
        """Server connections a pooler (PgBouncer, ProxySQL) should hold: what the database
        serves well, and never more than the limit leaves usable."""
        usable = self.connection_limit - self.reserved_connections
        return max(1, min(self.useful_connections, usable))


@dataclass(frozen=True)
class BrokerPlan:
    """The message broker events go through.

    Attributes:
        key: which broker (:class:`Broker`).
        name: its name for people, e.g. ``"RabbitMQ"``.
        client: the client library on PyPI for the concurrency model, e.g. ``"aio-pika"``.
        ordering: how to keep one aggregate's events in order on it.
    """

    key: Broker
    name: str
    client: str
    ordering: str


@dataclass(frozen=True)
class DataPlan:
    """Bulk data processing: the tool for the data size and freshness."""

    mode: DataMode
    tool: DataTool
    data_gb: float
    ram_needed_gb: float
    freshness_s: float
    why: str

    @property
    def tool_name(self) -> str:
        """The tool's name without where its state lives (:attr:`DataTool.short_name`)."""
        return self.tool.short_name


@dataclass(frozen=True)
class PipelinePlan:
    """A data job sized as such (:mod:`~pyt_arch_kit.planning.pipeline`).

    Batch fields are set for a batch job, streaming fields for a stream; the others keep their
    defaults.

    Attributes:
        mode: batch or streaming.
        window_h: hours one batch run must finish in.
        mb_per_s_per_core: throughput of one core of the engine (stated or measured).
        cores: cores that finish a run inside the window with the safety factor.
        executors, executor_cores, nodes: the fleet (Spark executors, worker nodes).
        run_time_h: estimated run time on that fleet.
        executor_memory_gb: heap per executor.
        input_partitions, output_files: input splits and output files per run.
        shuffle_gb: data a run shuffles (assumed share of the input).
        scheduler: what starts the job.
        events_per_s, partitions, consumers: a stream's peak rate, topic partitions and
            consumers in the group (0 when the stream is not read from a log).
        lag_budget_s: consumer lag to alert at, from the freshness.
        semantics: the delivery guarantee.
        distributed: whether the batch runs on a cluster (executors on nodes) or one machine.
    """

    mode: DataMode
    window_h: float = 0.0
    mb_per_s_per_core: float = 0.0
    cores: int = 0
    executors: int = 0
    executor_cores: int = 0
    nodes: int = 0
    run_time_h: float = 0.0
    executor_memory_gb: float = 0.0
    input_partitions: int = 0
    output_files: int = 0
    shuffle_gb: float = 0.0
    scheduler: str = ""
    events_per_s: float = 0.0
    partitions: int = 0
    consumers: int = 0
    lag_budget_s: float = 0.0
    semantics: str = ""
    distributed: bool = False


@dataclass(frozen=True)
class Plan:
    """Everything the planner computed for a set of requirements.

    The planner is pure and deterministic: the same requirements give an equal plan.

    Attributes:
        requirements: the requirements with every gap filled by an assumption.
        resolved: the same with every field typed and set (what the planner read).
        assumptions: what was assumed for the gaps.
        capacity, concurrency, database, data: the four parts of the plan.
        figures: every number, with formula, inputs and source.
        decisions: every choice, with why and its trade-off.
        findings: push-back and warnings.
        components: the components of the system, in diagram order.
        broker: the message broker events go through, or ``None``.
        materials: the bill of materials, one line per part (cores, RAM, storage); its
            totals are the ``bom_*`` figures (:mod:`pyt_arch_kit.planning.bom`).
        pipeline: the data job sized by its window or its stream, or ``None``.
    """

    requirements: Requirements
    resolved: ResolvedRequirements
    assumptions: tuple[Assumption, ...]
    capacity: CapacityPlan
    concurrency: ConcurrencyPlan
    database: DatabasePlan | None
    data: DataPlan | None
    figures: tuple[Figure, ...]
    decisions: tuple[Decision, ...]
    findings: tuple[Finding, ...]
    components: tuple[str, ...] = field(default=())
    broker: BrokerPlan | None = None
    materials: tuple[BomLine, ...] = ()
    pipeline: PipelinePlan | None = None

    def figure(self, key: str) -> Figure:
        """The figure with this key.

        Raises:
            KeyError: if the plan has no such figure.
        """
        for f in self.figures:
            if f.key == key:
                return f
        raise KeyError(key)

    def decision(self, topic: str) -> Decision:
        """The decision on this topic.

        Raises:
            KeyError: if the plan made no such decision.
        """
        for d in self.decisions:
            if d.topic == topic:
                return d
        raise KeyError(topic)

    def _repr_markdown_(self) -> str:
        from pyt_arch_kit.render import plan_markdown

        return plan_markdown(self)
