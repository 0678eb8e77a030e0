"""Push back where the proposal is more than the numbers need, and warn where they don't add up.

The rules are a table (:data:`RULES`), like the assumption rules
(:data:`~pyt_arch_kit.requirements.assumptions.RULES`): each row says when it applies and what
its finding says, in the order a reader meets the findings.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from pyt_arch_kit.planning._names import named
from pyt_arch_kit.planning.broker import LOG_BROKER_MIN_EVENTS_S, proposed_log_broker_is_premature
from pyt_arch_kit.planning.choices import FindingKind
from pyt_arch_kit.planning.database import over_the_limit, prepared_statements_fix
from pyt_arch_kit.planning.field_findings import (
    cache_barely_helps,
    cache_warning,
    descriptors_past_limit,
    descriptors_warning,
    network_heavy,
    network_warning,
    p50_missed,
    p50_warning,
    serialisation_heavy,
    serialisation_warning,
)
from pyt_arch_kit.planning.model import (
    BrokerPlan,
    CapacityPlan,
    ConcurrencyModel,
    ConcurrencyPlan,
    DatabasePlan,
    DataPlan,
    Finding,
    fmt_number,
)
from pyt_arch_kit.planning.validity import validity_finding
from pyt_arch_kit.requirements import Architecture, DatabaseKind, Interface
from pyt_arch_kit.resolved import ResolvedRequirements

__all__ = ["RULES", "Facts", "Rule", "find_issues"]


@dataclass(frozen=True)
class Facts:
    """What a push-back rule reads: the requirements and the computed plan's parts.

    Attributes:
        req: the resolved requirements.
        cap, conc, db, data, broker: the plan's capacity, concurrency, database (or ``None``),
            data job (or ``None``) and broker (or ``None``).
    """

    req: ResolvedRequirements
    cap: CapacityPlan
    conc: ConcurrencyPlan
    db: DatabasePlan | None
    data: DataPlan | None
    broker: BrokerPlan | None

    def mentions(self, *names: str) -> bool:
        """Whether the team's proposal names any of these technologies."""
        return bool(named(self.req.proposed.technologies) & set(names))


@dataclass(frozen=True)
class Rule:
    """One push-back or warning: when it applies, and what its finding says.

    Attributes:
        kind: push-back on the proposal, or a warning about the numbers.
        applies: whether the facts call for it.
        says: ``(title, detail, recommendation)`` for the facts it applies to.
    """

    kind: FindingKind
    applies: Callable[[Facts], bool]
    says: Callable[[Facts], tuple[str, str, str]]


def find_issues(
    req: ResolvedRequirements,
    cap: CapacityPlan,
    conc: ConcurrencyPlan,
    db: DatabasePlan | None,
    data: DataPlan | None,
    broker: BrokerPlan | None = None,
) -> list[Finding]:
    """Compare the proposal and the targets with the computed plan (and its chosen broker)."""
    facts = Facts(req, cap, conc, db, data, broker)
    return [Finding(rule.kind, *rule.says(facts)) for rule in RULES if rule.applies(facts)]


# -- push-back on the proposal -----------------------------------------------------------------


def _too_many_services(f: Facts) -> bool:
    """More than one service per two engineers: each service lacks an owner who can run it."""
    services, team = f.req.proposed.service_count, f.req.infrastructure.team_size
    return f.req.proposed.architecture is Architecture.MICROSERVICES and services > max(
        1, team // 2
    )


def _premature_distribution(f: Facts) -> tuple[str, str, str]:
    services, team = f.req.proposed.service_count, f.req.infrastructure.team_size
    return (
        f"{services} services for {team} engineers is premature distribution",
        f"The load ({f.req.scale.peak_rps:,.0f} req/s peak) fits {f.cap.instances} instance(s) "
        f"of one application; {services} services mean {services} deploy pipelines, network "
        "calls where function calls would do, and distributed failure modes for a team of "
        f"{team}.",
        "Build a modular monolith: one deployable with enforced module boundaries "
        "(packages with explicit interfaces); split a module out only when it needs to "
        "scale or deploy independently.",
    )


def _premature_log_broker(f: Facts) -> tuple[str, str, str]:
    req, broker = f.req, f.broker
    proposed = "Pulsar" if f.mentions("pulsar") and not f.mentions("kafka") else "Kafka"
    revisit = (
        f"revisit past ~{LOG_BROKER_MIN_EVENTS_S:,.0f} events/s or when several consumers "
        "need replay."
    )
    instead = (
        f"Publish through the {broker.name} "
        + (
            "the organisation already runs"
            if broker.key in named(req.infrastructure.existing_services)
            else "the team also proposed"
        )
        + f", fed by a transactional outbox table; {revisit}"
        if broker is not None
        else "Use the database as the queue: a transactional outbox table polled with "
        "SELECT … FOR UPDATE SKIP LOCKED, or a task queue on Redis; " + revisit
    )
    return (
        f"{proposed} is more than this event rate needs",
        f"At {req.scale.peak_rps:,.0f} events/s a {proposed} cluster (brokers, partitions, "
        "consumer groups, schema management) is operational weight with no throughput to "
        "justify it.",
        instead,
    )


def _kubernetes(f: Facts) -> tuple[str, str, str]:
    return (
        "Kubernetes is more platform than this service needs",
        f"{f.cap.instances} instance(s) and a team of {f.req.infrastructure.team_size}: a "
        "cluster's upgrades, networking and RBAC would cost more time than the service itself.",
        "Run containers on a managed service (Cloud Run, ECS/Fargate, App Service) or a VM "
        "with systemd; adopt Kubernetes when many services share a platform team.",
    )


def _async_where_sync_suffices(f: Facts) -> tuple[str, str, str]:
    return (
        "async where sync suffices",
        f"Only {f.cap.in_flight:.1f} requests are in flight at peak; async code would add "
        "colour to every function and an event loop to reason about, for no concurrency "
        "gain.",
        "Use synchronous workers ((2 × cores) + 1 gunicorn workers); switch when in-flight "
        "requests per instance reach the dozens.",
    )


def _cluster_engine(f: Facts) -> tuple[str, str, str]:
    assert f.data is not None
    gb, tool = f.data.data_gb, f.data.tool
    return (
        f"a cluster engine for {gb:,.0f} GB",
        f"{gb:,.0f} GB fits one machine with {tool}; a cluster adds scheduling, shuffle and "
        "serialisation overhead that often makes small jobs slower.",
        f"Use {tool}; move to Dask or PySpark when data outgrows one machine.",
    )


# -- warnings about the numbers ------------------------------------------------------------------


def _usable(db: DatabasePlan) -> int:
    return db.connection_limit - db.reserved_connections


def _database_is_the_bottleneck(f: Facts) -> bool:
    return f.db is not None and f.db.db_busy_connections > _usable(f.db) * 0.8


def _busy_past_useful(f: Facts) -> bool:
    """Past what the server serves well, unless it is the bottleneck outright (that says more)."""
    return (
        f.db is not None
        and not _database_is_the_bottleneck(f)
        and f.db.db_busy_connections > f.db.useful_connections
    )


def _bottleneck(f: Facts) -> tuple[str, str, str]:
    assert f.db is not None
    return (
        "the database is the bottleneck",
        f"{f.db.db_busy_connections:,.0f} connections are busy at peak against "
        f"{_usable(f.db)} usable: more app workers cannot help.",
        "Cut queries per request (batch, cache), shorten transactions, add read replicas "
        "for reads, or scale the database.",
    )


def _busy_connections(f: Facts) -> tuple[str, str, str]:
    assert f.db is not None
    db = f.db
    return (
        "more busy connections than the database serves well",
        f"{db.db_busy_connections:,.0f} connections are busy at peak; a database server "
        f"does its best work near {db.useful_connections} active connections (2 × its "
        "cores, the low end of 2–10 × cores), beyond which contention raises every "
        "query's latency.",
        "Measure the database under load; cut round trips per request (batch queries, "
        "cache), or " + _cap_active_connections(db) + ".",
    )


def _over_the_limit(f: Facts) -> tuple[str, str, str]:
    assert f.db is not None
    db = f.db
    return (
        "the workers could open more connections than the database allows",
        f"The pools may open {db.total_connections:,} connections against "
        f"{db.connection_limit} − {db.reserved_connections} reserved.",
        "Put PgBouncer in transaction mode between the app and PostgreSQL, with "
        f"default_pool_size ≈ {db.server_connections} server connections (what the "
        "database serves well); " + prepared_statements_fix(db.driver) + "."
        if db.pgbouncer
        else over_the_limit(db)[0].upper() + over_the_limit(db)[1:] + ".",
    )


#: The push-back and warning rules, in the order their findings are listed.
def _outside_validated_range(f: Facts) -> bool:
    """The p99 comes from queues the simulation did not check (an online service only)."""
    return f.req.interface is not Interface.BATCH and validity_finding(f.req, f.cap) is not None


def _validity(f: Facts) -> tuple[str, str, str]:
    finding = validity_finding(f.req, f.cap)
    assert finding is not None
    return finding.title, finding.detail, finding.recommendation


RULES: tuple[Rule, ...] = (
    Rule(FindingKind.PUSH_BACK, _too_many_services, _premature_distribution),
    Rule(
        FindingKind.PUSH_BACK,
        lambda f: proposed_log_broker_is_premature(f.req),
        _premature_log_broker,
    ),
    Rule(
        FindingKind.PUSH_BACK,
        lambda f: (
            f.mentions("kubernetes", "k8s")
            and f.cap.instances <= 3
            and f.req.infrastructure.team_size <= 5
        ),
        _kubernetes,
    ),
    Rule(
        FindingKind.PUSH_BACK,
        lambda f: f.mentions("asyncio", "async") and f.conc.model is ConcurrencyModel.SYNC,
        _async_where_sync_suffices,
    ),
    Rule(
        FindingKind.PUSH_BACK,
        lambda f: f.mentions("asyncio", "async") and f.conc.model is ConcurrencyModel.PROCESSES,
        lambda f: (
            "asyncio will not speed up CPU-bound work",
            "The requests spend most of their time computing; on an event loop that work "
            "blocks every other request on the same loop.",
            "Run one worker process per core, or keep asyncio only for IO and offload the "
            "computation to a ProcessPoolExecutor.",
        ),
    ),
    Rule(
        FindingKind.PUSH_BACK,
        lambda f: f.mentions("threads", "threading") and f.conc.model is ConcurrencyModel.PROCESSES,
        lambda f: (
            "threads will not parallelise pure-Python CPU work",
            "The GIL lets one thread run Python bytecode at a time (free-threaded CPython, PEP "
            "703, is still opt-in).",
            "Use processes: one worker per core or a ProcessPoolExecutor.",
        ),
    ),
    Rule(
        FindingKind.PUSH_BACK,
        lambda f: (
            f.mentions("spark", "pyspark", "dask") and f.data is not None and f.data.data_gb <= 100
        ),
        _cluster_engine,
    ),
    Rule(
        FindingKind.WARNING,
        lambda f: (
            f.req.proposed.architecture is Architecture.SERVERLESS and f.req.latency.p99_ms < 100
        ),
        lambda f: (
            "cold starts threaten the p99 target",
            f"A p99 of {f.req.latency.p99_ms:g} ms leaves no room for function cold starts, "
            "which commonly take hundreds of milliseconds for Python with dependencies.",
            "Keep instances warm (provisioned concurrency) or run a long-lived service.",
        ),
    ),
    Rule(
        FindingKind.WARNING,
        lambda f: not f.cap.meets_p99 and f.cap.levers is not None,
        lambda f: _p99_missed(f.req, f.cap),
    ),
    Rule(
        FindingKind.WARNING,
        lambda f: (
            f.cap.meets_p99
            and f.cap.redundancy_required
            and f.cap.instances_after_failure > 0
            and f.cap.p99_after_failure_ms > f.req.latency.p99_ms > 0
        ),
        lambda f: (
            "a zone outage breaks the p99 target",
            f"With a zone lost, {f.cap.instances_after_failure} instance(s) carry the peak and "
            f"the p99 rises to {fmt_number(f.cap.p99_after_failure_ms)} ms against "
            f"{fmt_number(f.req.latency.p99_ms)} ms.",
            "Accept it for the outage's duration (it spends error budget), or add an "
            "instance per zone; autoscale on the queue's utilisation so lost capacity is "
            "replaced within minutes.",
        ),
    ),
    Rule(FindingKind.WARNING, p50_missed, p50_warning),
    Rule(FindingKind.WARNING, _outside_validated_range, _validity),
    Rule(
        FindingKind.WARNING,
        lambda f: f.req.workload.fanout_calls >= 10,
        lambda f: (
            "fan-out amplifies tail latency",
            f"Each request waits on {f.req.workload.fanout_calls} calls, so "
            f"{f.cap.fanout_slow_probability:.0%} of requests hit at least one backend's p99.",
            "Set per-call deadlines, send hedged requests after the p95, and degrade "
            "gracefully (answer with the results that arrived).",
        ),
    ),
    Rule(FindingKind.WARNING, network_heavy, network_warning),
    Rule(FindingKind.WARNING, serialisation_heavy, serialisation_warning),
    Rule(FindingKind.WARNING, descriptors_past_limit, descriptors_warning),
    Rule(FindingKind.WARNING, cache_barely_helps, cache_warning),
    Rule(FindingKind.WARNING, _database_is_the_bottleneck, _bottleneck),
    Rule(FindingKind.WARNING, _busy_past_useful, _busy_connections),
    Rule(
        FindingKind.WARNING,
        lambda f: f.db is not None and f.db.total_connections > _usable(f.db),
        _over_the_limit,
    ),
    Rule(
        FindingKind.WARNING,
        lambda f: f.req.latency.availability_pct >= 99.99 and f.req.infrastructure.team_size <= 3,
        lambda f: (
            f"{f.req.latency.availability_pct:g} % with {f.req.infrastructure.team_size} engineers",
            "Four nines allow ~4.3 minutes of downtime a month, less than one incident's "
            "response time for a team too small for a sustainable on-call rotation.",
            "Agree a 99.9 % SLO, or staff an on-call rotation and automate failover.",
        ),
    ),
)


def _cap_active_connections(db: DatabasePlan) -> str:
    """How to keep the connections active on the server near what it serves well, per engine."""
    useful = db.useful_connections
    if db.engine.postgres:
        return (
            "put PgBouncer (transaction mode) in front with default_pool_size ≈ "
            f"{useful} to cap active server connections; " + prepared_statements_fix(db.driver)
        )
    if db.engine is DatabaseKind.MYSQL:
        return (
            f"put ProxySQL in front to multiplex the pools onto ≈ {useful} server connections "
            "(its multiplexing stops for a connection holding session state: temporary tables, "
            "user variables, open transactions)"
        )
    if db.engine is DatabaseKind.REDIS:
        return (
            "Redis runs commands on one thread: cut round trips with pipelines and MULTI "
            "blocks, and shard (Redis Cluster) when one core is busy, rather than add "
            "connections"
        )
    return (
        "lower maxPoolSize so that the clients together keep about "
        f"{useful} operations active on the primary"
    )


def _p99_missed(req: ResolvedRequirements, cap: CapacityPlan) -> tuple[str, str, str]:
    """The p99 target against the queueing model: missed, why, and what would meet it."""
    lev = cap.levers
    assert lev is not None
    cpu_ms = req.workload.cpu_ms_per_request
    io_ms = req.workload.io_wait_ms_per_request
    if lev.instances is None:
        cause = (
            f"the request's own time: {fmt_number(cpu_ms)} ms CPU + {fmt_number(io_ms)} ms "
            f"IO with cv {fmt_number(cap.service_cv)} has a p99 of "
            f"{fmt_number(lev.floor_ms)} ms before any queueing, so no instance count can "
            "meet the target"
        )
    else:
        cause = (
            f"queueing per {cap.queue}: the plan stops adding instances at "
            f"{cap.instances:,} (4 × what the load needs + 4), and meeting the target by "
            f"instances alone would take {lev.instances:,}"
        )
    fixes = []
    if lev.service_cv is not None and lev.service_cv < cap.service_cv:
        fixes.append(
            f"less variable requests (cv ≤ {_down(lev.service_cv)}, today "
            f"{fmt_number(cap.service_cv)}: cap the work per request, precompute or cache "
            "the slow cases)"
        )
    if lev.cpu_ms is not None:
        fixes.append(f"less CPU per request (≤ {_down(lev.cpu_ms)} ms, today {cpu_ms:g})")
    if lev.io_ms is not None:
        fixes.append(f"less IO wait per request (≤ {_down(lev.io_ms)} ms, today {io_ms:g})")
    if lev.instances is not None:
        fixes.append(f"{lev.instances:,} instances")
    fixes.append(f"a looser target (p99 ≥ {_up(lev.target_ms)} ms)")
    return (
        "the p99 target is not met by this plan",
        f"Estimated p99 {fmt_number(cap.p99_ms)} ms against a target of "
        f"{fmt_number(req.latency.p99_ms)} ms; the cause is {cause}.",
        "What would meet it, each with the rest held: " + "; ".join(fixes) + ".",
    )


def _down(value: float) -> str:
    """A bound that must not be exceeded, rounded down to 2 significant digits."""
    if value <= 0:
        return "0"
    digits = max(0, 1 - math.floor(math.log10(value)))
    scale = 10.0**digits
    return fmt_number(math.floor(value * scale) / scale)


def _up(value: float) -> str:
    """A bound that must be reached, rounded up to a whole ms (or 2 significant digits)."""
    if value >= 10:
        return fmt_number(float(math.ceil(value)))
    digits = max(0, 1 - math.floor(math.log10(value))) if value > 0 else 0
    scale = 10.0**digits
    return fmt_number(math.ceil(value * scale) / scale)
