"""Requirements with every field set: what the planner and the writer read.

:meth:`Requirements.resolved` fills each open gap from the assumption rules
(:data:`~pyt_arch_kit.requirements.assumptions.RULES`); :func:`resolve` then turns the result
into a :class:`ResolvedRequirements`, whose fields are never ``None``, so no planner or writer
code restates a default as an ``or …`` fallback. A field that a rule leaves unset because it
does not matter for this system (no database, no data job, a batch system's users) gets its
neutral value here, in :data:`NOT_APPLICABLE`, the one place besides the rules where a value is
chosen for the user.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pyt_arch_kit.requirements import (
    Architecture,
    Assumption,
    Balancer,
    ConsistencyPriority,
    DatabaseKind,
    DataMode,
    DataShape,
    Hosting,
    Interface,
    Requirements,
    WorkloadKind,
)

#: The highest peak rate a requirements file takes (``scale.peak_rps``'s bound).
_MAX_RPS = 10_000_000.0

__all__ = [
    "NOT_APPLICABLE",
    "ResolvedConsistency",
    "ResolvedInfrastructure",
    "ResolvedLatency",
    "ResolvedProposal",
    "ResolvedRequirements",
    "ResolvedScale",
    "ResolvedWorkload",
    "resolve",
]

#: The value of each field a rule may leave unset because it does not matter for this system.
NOT_APPLICABLE: dict[str, Any] = {
    "scale.concurrent_users": 0,  # a batch system has no users online
    "workload.service_cv": 1.0,  # a batch system has no request queue to model
    "workload.db_ms_per_call": 0.0,  # no database
    "workload.batch_data_gb": 0.0,  # no data job (0 reads as "the data set's size")
    "workload.freshness_s": 0.0,  # no data job
    # A batch system serves no requests: these only keep its (unused) request model defined,
    # at the values an API would be assumed to have.
    "scale.read_ratio": 0.8,
    "scale.payload_kb": 4.0,
    "latency.p50_ms": 50.0,
    "latency.p99_ms": 250.0,
    "workload.cpu_ms_per_request": 20.0,
    "workload.io_wait_ms_per_request": 30.0,
    "workload.window_h": 0.0,  # no batch job
    "workload.mb_per_s_per_core": 0.0,  # not measured: the engine's stated figure
    "workload.events_per_s": 0.0,  # no streaming job
    "workload.messages_per_s": 0.0,  # not given: no pushed messages sized
    "workload.sockets_per_message": 0,  # not given: every connected user
    "infrastructure.db_max_connections": 0,  # no database
    "proposed.service_count": 1,  # no service count proposed: one deployable
    "workload.cache_keys": 1,  # no read cache can pay off: the key count is not used
    "workload.shuffle_share": 0.0,  # no data job shuffles
    "workload.partition_mb_s": 0.0,  # not measured: the planner's stated figure
    "workload.consumer_mb_s": 0.0,  # not measured: the engine's stated figure
    "workload.cache_ttl_s": 0.0,  # not given: the stale-read tolerance, up to 300 s
    "workload.cache_zipf_alpha": 0.0,  # not given: the planner's stated 0.8
    "infrastructure.db_cores": 0,  # not given: sized from the database's load
    "infrastructure.node_ram_gb": 0.0,  # not given: 8 GB per core of a worker node
    "infrastructure.balancer": Balancer.ROUND_ROBIN,  # a batch job has no balancer
    "scale.clients": 0,  # an open arrival rate, no closed-loop clients
    "scale.think_time_ms": 0.0,  # no think time given: clients call back to back
    "latency.target_percentile": 0.0,  # no percentile-threshold target given
    "latency.target_ms": 0.0,  # no percentile-threshold target given
}


@dataclass(frozen=True)
class ResolvedScale:
    """Load and data volume, every field set (see :class:`~pyt_arch_kit.requirements.Scale`)."""

    peak_rps: float
    avg_rps: float
    concurrent_users: int
    data_gb: float
    growth_gb_per_month: float
    read_ratio: float
    payload_kb: float
    clients: int = 0
    think_time_ms: float = 0.0


@dataclass(frozen=True)
class ResolvedLatency:
    """Latency targets and availability, every field set."""

    p50_ms: float
    p99_ms: float
    availability_pct: float
    target_percentile: float = 0.0
    target_ms: float = 0.0


@dataclass(frozen=True)
class ResolvedConsistency:
    """Consistency versus availability, every field set."""

    priority: ConsistencyPriority
    stale_read_tolerance_s: float


@dataclass(frozen=True)
class ResolvedWorkload:
    """Where request time goes, every field set."""

    kind: WorkloadKind
    cpu_ms_per_request: float
    io_wait_ms_per_request: float
    db_calls_per_request: float
    db_ms_per_call: float
    service_cv: float
    fanout_calls: int
    data_mode: DataMode
    data_shape: DataShape
    batch_data_gb: float
    freshness_s: float
    cache_keys: int
    window_h: float = 0.0
    mb_per_s_per_core: float = 0.0
    events_per_s: float = 0.0
    messages_per_s: float = 0.0
    sockets_per_message: int = 0
    shuffle_share: float = 0.0
    partition_mb_s: float = 0.0
    consumer_mb_s: float = 0.0
    cache_ttl_s: float = 0.0
    cache_zipf_alpha: float = 0.0


@dataclass(frozen=True)
class ResolvedInfrastructure:
    """Hosting and constraints, every field set."""

    hosting: Hosting
    database: DatabaseKind
    db_max_connections: int
    cores_per_instance: int
    team_size: int
    existing_services: tuple[str, ...]
    must_use: tuple[str, ...]
    must_avoid: tuple[str, ...]
    db_cores: int = 0
    node_ram_gb: float = 0.0
    balancer: Balancer = Balancer.ROUND_ROBIN


@dataclass(frozen=True)
class ResolvedProposal:
    """The approach the team proposes; ``architecture`` is ``None`` when none is proposed."""

    architecture: Architecture | None
    service_count: int
    technologies: tuple[str, ...]
    notes: str


@dataclass(frozen=True)
class ResolvedRequirements:
    """Requirements with every gap filled, typed so that no field is ``None``.

    Made once per plan by :func:`resolve`; the planner's functions take it.

    Attributes:
        requirements: the same requirements as the pydantic model (for JSON and display).
        name, summary, interface, scale, latency, consistency, workload, infrastructure,
            proposed: the sections, as in :class:`~pyt_arch_kit.requirements.Requirements`.
    """

    requirements: Requirements
    name: str
    summary: str
    interface: Interface
    scale: ResolvedScale
    latency: ResolvedLatency
    consistency: ResolvedConsistency
    workload: ResolvedWorkload
    infrastructure: ResolvedInfrastructure
    proposed: ResolvedProposal


def _field(req: Requirements, path: str) -> Any:
    section, _, key = path.rpartition(".")
    value = getattr(getattr(req, section) if section else req, key)
    if value is None:
        value = NOT_APPLICABLE.get(path)
    if value is None:  # a rule that always answers did not: a bug in RULES, not in the input
        raise AssertionError(f"{path} is unset after every assumption was applied")
    return value


def _closed_loop(
    requirements: Requirements, filled: Requirements, made: list[Assumption]
) -> tuple[Requirements, list[Assumption]]:
    """Requirements whose peak rate is what their closed-loop clients can send, N / (D + Z)
    (D the request's own CPU + IO time: nothing queued), or the stated peak if lower."""
    from pyt_arch_kit.planning.closed import closed_loop_rate

    s, w = filled.scale, filled.workload
    clients = requirements.scale.clients or 0
    think_ms = s.think_time_ms or 0.0
    own_ms = (w.cpu_ms_per_request or 0.0) + (w.io_wait_ms_per_request or 0.0)
    if filled.interface is Interface.BATCH or own_ms + think_ms <= 0:
        return filled, made  # no requests to send, or requests of no time: no bound
    bound = min(_MAX_RPS, closed_loop_rate(clients, own_ms / 1000, think_ms / 1000))
    given = requirements.scale.peak_rps
    if given is not None and given <= bound:
        return filled, made  # the stated rate binds: the clients could send more
    scale = requirements.scale.model_copy(
        update={
            "peak_rps": bound,
            "avg_rps": None if s.avg_rps is None else min(s.avg_rps, bound),
        }
    )
    filled, made = requirements.model_copy(update={"scale": scale}).resolved()
    because = (
        f"what {clients:,} closed-loop clients can send: N / (D + Z) with D = {own_ms:g} ms and "
        f"Z = {think_ms:g} ms (Lazowska et al. 1984, ch. 5)"
        + ("" if given is None else f"; below the stated {given:g} req/s, so the clients bind")
    )
    return filled, [*made, Assumption("scale.peak_rps", bound, because)]


def resolve(requirements: Requirements) -> tuple[ResolvedRequirements, list[Assumption]]:
    """Fill every gap with its assumption (:meth:`Requirements.resolved`), every field typed.

    Returns:
        ``(the resolved requirements, the assumptions made)``.

    Example:
        >>> from pyt_arch_kit import Requirements
        >>> req, _ = resolve(Requirements(scale={"peak_rps": 2000}))
        >>> req.latency.p99_ms, req.infrastructure.cores_per_instance
        (250.0, 4)
    """
    filled, made = requirements.resolved()
    if requirements.scale.clients:
        filled, made = _closed_loop(requirements, filled, made)

    def get(path: str) -> Any:
        return _field(filled, path)

    i, p = filled.infrastructure, filled.proposed
    resolved = ResolvedRequirements(
        requirements=filled,
        name=filled.name,
        summary=filled.summary,
        interface=get("interface"),
        scale=ResolvedScale(
            **{k: get(f"scale.{k}") for k in ResolvedScale.__dataclass_fields__},
        ),
        latency=ResolvedLatency(
            **{k: get(f"latency.{k}") for k in ResolvedLatency.__dataclass_fields__},
        ),
        consistency=ResolvedConsistency(
            **{k: get(f"consistency.{k}") for k in ResolvedConsistency.__dataclass_fields__},
        ),
        workload=ResolvedWorkload(
            **{k: get(f"workload.{k}") for k in ResolvedWorkload.__dataclass_fields__},
        ),
        infrastructure=ResolvedInfrastructure(
            hosting=get("infrastructure.hosting"),
            database=get("infrastructure.database"),
            db_max_connections=get("infrastructure.db_max_connections"),
            cores_per_instance=get("infrastructure.cores_per_instance"),
            team_size=get("infrastructure.team_size"),
            existing_services=tuple(i.existing_services),
            must_use=tuple(i.must_use),
            must_avoid=tuple(i.must_avoid),
            db_cores=get("infrastructure.db_cores"),
            node_ram_gb=get("infrastructure.node_ram_gb"),
            balancer=get("infrastructure.balancer"),
        ),
        proposed=ResolvedProposal(
            architecture=p.architecture,
            service_count=get("proposed.service_count"),
            technologies=tuple(p.technologies),
            notes=p.notes,
        ),
    )
    return resolved, made
