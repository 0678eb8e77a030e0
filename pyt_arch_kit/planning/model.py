"""The values a plan is made of: figures with their formulas, decisions with trade-offs."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from pyt_arch_kit.requirements import Assumption, Requirements

__all__ = [
    "BrokerPlan",
    "CapacityPlan",
    "ConcurrencyModel",
    "ConcurrencyPlan",
    "DataPlan",
    "DatabasePlan",
    "Decision",
    "Figure",
    "Finding",
    "Plan",
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
        kind: ``"push-back"`` (the proposal is more than the need) or ``"warning"`` (a risk in
            the numbers, e.g. an SLA that queueing cannot meet).
        title: a one-line statement.
        detail: the evidence, with numbers.
        recommendation: what to do instead.
    """

    kind: str
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
class CapacityPlan:
    """How much compute the load needs."""

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


@dataclass(frozen=True)
class ConcurrencyPlan:
    """How each instance runs requests."""

    model: ConcurrencyModel
    framework: str
    server: str
    workers_per_instance: int
    worker_class: str
    process_pool_workers: int
    threads_per_worker: int
    in_flight_per_worker: float
    why: str


@dataclass(frozen=True)
class DatabasePlan:
    """The database layer: engine, pools, isolation, replicas, caching."""

    engine: str
    driver: str
    pool_size: int
    max_overflow: int
    total_connections: int
    connection_limit: int
    reserved_connections: int
    pgbouncer: bool
    db_busy_connections: float
    isolation: str
    transaction_boundaries: str
    read_replicas: int
    cache: str
    cache_ttl_s: float
    idempotency_keys: bool
    outbox: bool
    useful_connections: int = 17


@dataclass(frozen=True)
class BrokerPlan:
    """The message broker events go through.

    Attributes:
        key: ``"kafka"``, ``"pulsar"``, ``"rabbitmq"`` or ``"sqs"``.
        name: its name for people, e.g. ``"RabbitMQ"``.
        client: the client library on PyPI for the concurrency model, e.g. ``"aio-pika"``.
        ordering: how to keep one aggregate's events in order on it.
    """

    key: str
    name: str
    client: str
    ordering: str


@dataclass(frozen=True)
class DataPlan:
    """Bulk data processing: the tool for the data size and freshness."""

    mode: str
    tool: str
    data_gb: float
    ram_needed_gb: float
    freshness_s: float
    why: str


@dataclass(frozen=True)
class Plan:
    """Everything the planner computed for a set of requirements.

    The planner is pure and deterministic: the same requirements give an equal plan.

    Attributes:
        requirements: the requirements with every gap filled by an assumption.
        assumptions: what was assumed for the gaps.
        capacity, concurrency, database, data: the four parts of the plan.
        figures: every number, with formula, inputs and source.
        decisions: every choice, with why and its trade-off.
        findings: push-back and warnings.
        components: the components of the system, in diagram order.
        broker: the message broker events go through, or ``None``.
    """

    requirements: Requirements
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
