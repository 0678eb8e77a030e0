"""Push back where the proposal is more than the numbers need, and warn where they don't add up."""

from __future__ import annotations

import math

from pyt_arch_kit.planning._names import named
from pyt_arch_kit.planning.broker import LOG_BROKER_MIN_EVENTS_S, proposed_log_broker_is_premature
from pyt_arch_kit.planning.database import over_the_limit, prepared_statements_fix
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
from pyt_arch_kit.requirements import Architecture, Interface, Requirements

__all__ = ["find_issues"]


def _mentions(req: Requirements, *names: str) -> bool:
    return bool(named(req.proposed.technologies) & set(names))


def find_issues(
    req: Requirements,
    cap: CapacityPlan,
    conc: ConcurrencyPlan,
    db: DatabasePlan | None,
    data: DataPlan | None,
    broker: BrokerPlan | None = None,
) -> list[Finding]:
    """Compare the proposal and the targets with the computed plan (and its chosen broker)."""
    out: list[Finding] = []
    peak = req.scale.peak_rps or 0.0
    team = req.infrastructure.team_size or 5
    services = req.proposed.service_count or 1
    prop = req.proposed

    # More than one service per two engineers means each service lacks an owner who can run it.
    if prop.architecture is Architecture.MICROSERVICES and services > max(1, team // 2):
        out.append(
            Finding(
                "push-back",
                f"{services} services for {team} engineers is premature distribution",
                f"The load ({peak:,.0f} req/s peak) fits {cap.instances} instance(s) of one "
                f"application; {services} services mean {services} deploy pipelines, network calls "
                "where function calls would do, and distributed failure modes for a team of "
                f"{team}.",
                "Build a modular monolith: one deployable with enforced module boundaries "
                "(packages with explicit interfaces); split a module out only when it needs to "
                "scale or deploy independently.",
            )
        )
    if proposed_log_broker_is_premature(req):
        proposed = "Pulsar" if _mentions(req, "pulsar") and not _mentions(req, "kafka") else "Kafka"
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
        out.append(
            Finding(
                "push-back",
                f"{proposed} is more than this event rate needs",
                f"At {peak:,.0f} events/s a {proposed} cluster (brokers, partitions, consumer "
                "groups, schema management) is operational weight with no throughput to "
                "justify it.",
                instead,
            )
        )
    if _mentions(req, "kubernetes", "k8s") and cap.instances <= 3 and team <= 5:
        out.append(
            Finding(
                "push-back",
                "Kubernetes is more platform than this service needs",
                f"{cap.instances} instance(s) and a team of {team}: a cluster's upgrades, "
                "networking and RBAC would cost more time than the service itself.",
                "Run containers on a managed service (Cloud Run, ECS/Fargate, App Service) or a VM "
                "with systemd; adopt Kubernetes when many services share a platform team.",
            )
        )
    if _mentions(req, "asyncio", "async") and conc.model is ConcurrencyModel.SYNC:
        out.append(
            Finding(
                "push-back",
                "async where sync suffices",
                f"Only {cap.in_flight:.1f} requests are in flight at peak; async code would add "
                "colour to every function and an event loop to reason about, for no concurrency "
                "gain.",
                "Use synchronous workers ((2 × cores) + 1 gunicorn workers); switch when in-flight "
                "requests per instance reach the dozens.",
            )
        )
    if _mentions(req, "asyncio", "async") and conc.model is ConcurrencyModel.PROCESSES:
        out.append(
            Finding(
                "push-back",
                "asyncio will not speed up CPU-bound work",
                "The requests spend most of their time computing; on an event loop that work "
                "blocks "
                "every other request on the same loop.",
                "Run one worker process per core, or keep asyncio only for IO and offload the "
                "computation to a ProcessPoolExecutor.",
            )
        )
    if _mentions(req, "threads", "threading") and conc.model is ConcurrencyModel.PROCESSES:
        out.append(
            Finding(
                "push-back",
                "threads will not parallelise pure-Python CPU work",
                "The GIL lets one thread run Python bytecode at a time (free-threaded CPython, PEP "
                "703, is still opt-in).",
                "Use processes: one worker per core or a ProcessPoolExecutor.",
            )
        )
    if _mentions(req, "spark", "pyspark", "dask") and data is not None and data.data_gb <= 100:
        out.append(
            Finding(
                "push-back",
                f"a cluster engine for {data.data_gb:,.0f} GB",
                f"{data.data_gb:,.0f} GB fits one machine with {data.tool}; a cluster adds "
                "scheduling, shuffle and serialisation overhead that often makes small jobs "
                "slower.",
                f"Use {data.tool}; move to Dask or PySpark when data outgrows one machine.",
            )
        )
    if prop.architecture is Architecture.SERVERLESS and (req.latency.p99_ms or 1e9) < 100:
        out.append(
            Finding(
                "warning",
                "cold starts threaten the p99 target",
                f"A p99 of {req.latency.p99_ms:g} ms leaves no room for function cold starts, "
                "which "
                "commonly take hundreds of milliseconds for Python with dependencies.",
                "Keep instances warm (provisioned concurrency) or run a long-lived service.",
            )
        )
    out += _latency_findings(req, cap)
    outside = validity_finding(req, cap) if req.interface is not Interface.BATCH else None
    out += [outside] if outside is not None else []
    if req.workload.fanout_calls >= 10:
        out.append(
            Finding(
                "warning",
                "fan-out amplifies tail latency",
                f"Each request waits on {req.workload.fanout_calls} calls, so "
                f"{cap.fanout_slow_probability:.0%} of requests hit at least one backend's p99.",
                "Set per-call deadlines, send hedged requests after the p95, and degrade "
                "gracefully "
                "(answer with the results that arrived).",
            )
        )
    if (
        db is not None
        and db.db_busy_connections > (db.connection_limit - db.reserved_connections) * 0.8
    ):
        out.append(
            Finding(
                "warning",
                "the database is the bottleneck",
                f"{db.db_busy_connections:,.0f} connections are busy at peak against "
                f"{db.connection_limit - db.reserved_connections} usable: more app workers cannot "
                "help.",
                "Cut queries per request (batch, cache), shorten transactions, add read replicas "
                "for reads, or scale the database.",
            )
        )
    elif db is not None and db.db_busy_connections > db.useful_connections:
        out.append(
            Finding(
                "warning",
                "more busy connections than the database serves well",
                f"{db.db_busy_connections:,.0f} connections are busy at peak; a database server "
                f"does its best work near {db.useful_connections} active connections (cores × 2 "
                "+ spindles), beyond which contention raises every query's latency.",
                "Measure the database under load; cut round trips per request (batch queries, "
                "cache), or " + _cap_active_connections(db) + ".",
            )
        )
    if db is not None and db.total_connections > db.connection_limit - db.reserved_connections:
        out.append(
            Finding(
                "warning",
                "the workers could open more connections than the database allows",
                f"The pools may open {db.total_connections:,} connections against "
                f"{db.connection_limit} − {db.reserved_connections} reserved.",
                "Put PgBouncer in transaction mode between the app and PostgreSQL, with "
                f"default_pool_size ≈ {db.server_connections} server connections (what the "
                "database serves well); " + prepared_statements_fix(db.driver) + "."
                if db.pgbouncer
                else over_the_limit(db)[0].upper() + over_the_limit(db)[1:] + ".",
            )
        )
    if (req.latency.availability_pct or 0) >= 99.99 and team <= 3:
        out.append(
            Finding(
                "warning",
                f"{req.latency.availability_pct:g} % with {team} engineers",
                "Four nines allow ~4.3 minutes of downtime a month, less than one incident's "
                "response time for a team too small for a sustainable on-call rotation.",
                "Agree a 99.9 % SLO, or staff an on-call rotation and automate failover.",
            )
        )
    return out


def _cap_active_connections(db: DatabasePlan) -> str:
    """How to keep the connections active on the server near what it serves well, per engine."""
    useful = db.useful_connections
    if db.engine == "postgresql":
        return (
            "put PgBouncer (transaction mode) in front with default_pool_size ≈ "
            f"{useful} to cap active server connections; " + prepared_statements_fix(db.driver)
        )
    if db.engine == "mysql":
        return (
            f"put ProxySQL in front to multiplex the pools onto ≈ {useful} server connections "
            "(its multiplexing stops for a connection holding session state: temporary tables, "
            "user variables, open transactions)"
        )
    return (
        "lower maxPoolSize so that the clients together keep about "
        f"{useful} operations active on the primary"
    )


def _latency_findings(req: Requirements, cap: CapacityPlan) -> list[Finding]:
    """The p99 target against the queueing model: missed, and what would meet it."""
    target = req.latency.p99_ms or 0.0
    out: list[Finding] = []
    lev = cap.levers
    if not cap.meets_p99 and lev is not None:
        cpu_ms = req.workload.cpu_ms_per_request or 0.0
        io_ms = req.workload.io_wait_ms_per_request or 0.0
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
        out.append(
            Finding(
                "warning",
                "the p99 target is not met by this plan",
                f"Estimated p99 {fmt_number(cap.p99_ms)} ms against a target of "
                f"{fmt_number(target)} ms; the cause is {cause}.",
                "What would meet it, each with the rest held: " + "; ".join(fixes) + ".",
            )
        )
    elif (
        cap.meets_p99
        and cap.redundancy_required
        and cap.instances_after_failure > 0
        and cap.p99_after_failure_ms > target > 0
    ):
        out.append(
            Finding(
                "warning",
                "a zone outage breaks the p99 target",
                f"With a zone lost, {cap.instances_after_failure} instance(s) carry the peak and "
                f"the p99 rises to {fmt_number(cap.p99_after_failure_ms)} ms against "
                f"{fmt_number(target)} ms.",
                "Accept it for the outage's duration (it spends error budget), or add an "
                "instance per zone; autoscale on the queue's utilisation so lost capacity is "
                "replaced within minutes.",
            )
        )
    return out


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
