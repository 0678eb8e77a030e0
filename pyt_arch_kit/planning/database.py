"""The database layer: driver, pools within the connection limit, isolation, replicas, cache."""

from __future__ import annotations

import math
from typing import Literal

from pyt_arch_kit.planning.broker import DECIDE, BrokerChoice, _Decide, decided
from pyt_arch_kit.planning.cache import (
    COLD_CACHE,
    CacheDecision,
    CacheLoad,
    cache_figures,
    cache_load,
    decide_cache,
    hit_summary,
    replica_figures,
)
from pyt_arch_kit.planning.choices import Cache, Driver
from pyt_arch_kit.planning.consistency import (
    RETENTION_DAYS,
    consistency_decision,
    data_safety,
    isolation_for,
)
from pyt_arch_kit.planning.model import (
    CapacityPlan,
    ConcurrencyModel,
    ConcurrencyPlan,
    DatabasePlan,
    Decision,
    Figure,
)
from pyt_arch_kit.planning.pools import (
    fit,
    limit_for,
    over_the_limit,
    pool_decision,
    prepared_statements_fix,
    reserved_for,
)
from pyt_arch_kit.planning.queueing import LITTLE
from pyt_arch_kit.planning.stores import store_plan
from pyt_arch_kit.requirements import ConsistencyPriority, DatabaseKind, DataMode, Interface
from pyt_arch_kit.resolved import ResolvedRequirements

#: Re-exported: callers import these from here (pools.py holds them).
_fit = fit
__all__ = [
    "CONNECTIONS_PER_DB_CORE",
    "DB_CPU_SHARE",
    "db_cores_for",
    "db_cpu_ms",
    "limit_for",
    "over_the_limit",
    "plan_database",
    "prepared_statements_fix",
    "read_your_writes",
    "reserved_for",
]

HIKARI = (
    "PostgreSQL wiki, “How to Find the Optimal Database Connection Pool Size”: "
    "(core_count × 2) + effective_spindle_count held for 9.1 and earlier; since 9.2 the "
    "optimum is “2 to maybe 10 times the cores” (taken here as the connections that keep the "
    "cores busy: cores ÷ the CPU share of a call, 2 × at the stated half); HikariCP wiki, "
    "“About Pool Sizing”"
)
#: Active connections per database core the planner sizes for: the low end of the wiki's range.
CONNECTIONS_PER_DB_CORE = 2
PG_LIMITS = (
    "PostgreSQL docs, max_connections (default 100) and superuser_reserved_connections (default 3)"
)
#: Where each engine's connection limit is documented (the pools' total must stay under it).
LIMITS = {
    DatabaseKind.POSTGRESQL: PG_LIMITS,
    DatabaseKind.MYSQL: "MySQL docs, max_connections (default 151); each connection is a server "
    "thread with its own buffers",
    DatabaseKind.MONGODB: "MongoDB docs, net.maxIncomingConnections; PyMongo docs, maxPoolSize "
    "(default 100) per MongoClient and server",
    DatabaseKind.TIMESCALEDB: PG_LIMITS + "; TimescaleDB runs inside PostgreSQL",
    DatabaseKind.REDIS: "Redis docs, maxclients (default 10000); redis-py ConnectionPool "
    "max_connections per client",
}
_SQL_POOLS = "; SQLAlchemy QueuePool defaults 5 + 10 overflow, asyncpg 10"
_POOL_SOURCES = {
    DatabaseKind.MYSQL: "; SQLAlchemy QueuePool defaults 5 + 10 overflow",
    DatabaseKind.MONGODB: "; PyMongo maxPoolSize (default 100) per MongoClient, no overflow",
    DatabaseKind.REDIS: "; redis-py ConnectionPool max_connections (unbounded by default: "
    "set it) per client, no overflow",
}
#: The share of a database server's cores its queries may keep busy at peak: the rest is
#: headroom for vacuum, checkpoints, backups and a burst.
DB_TARGET_UTILISATION = 0.75
#: The share of a call's time (``workload.db_ms_per_call``) the server spends on CPU when
#: ``workload.db_cpu_ms_per_call`` is not given: the rest is the network round trip, the
#: driver, and waits on disk and locks, which keep a connection busy but no core.
DB_CPU_SHARE = 0.5
DB_CPU_SOURCE = (
    "stated assumption: half a call's time is server CPU, the rest the round trip and waits "
    "on disk and locks (the ratio behind the PostgreSQL wiki's 2 active connections per core): "
    "measure it with pg_stat_statements (total_exec_time less shared_blk_read_time and "
    "shared_blk_write_time, per call, with track_io_timing on) and set "
    "workload.db_cpu_ms_per_call"
)
#: The wiki's range of active connections per core (2 to maybe 10 × cores).
_CONNECTIONS_PER_CORE_MAX = 10
#: The smallest database server the planner sizes (vCPU).
_MIN_DB_CORES = 2
_READS_PER_REPLICA = 3000.0


def db_cores_for(busy_cores: float) -> int:
    """vCPU for a primary whose queries keep ``busy_cores`` of CPU busy at peak (queries/s ×
    CPU s per query): the smallest power of two (an instance class's size), at least 2, with
    the busy CPU at most ``DB_TARGET_UTILISATION`` of the cores. No ceiling: a load past one
    large server is a finding (replicas, a cache, sharding), not a smaller answer.

    Example:
        >>> db_cores_for(4.8)  # the ledger: 9.6 connections busy, half of it on CPU
        8
    """
    need = max(float(_MIN_DB_CORES), busy_cores / DB_TARGET_UTILISATION)
    return int(2 ** math.ceil(math.log2(need) - 1e-12))


def db_cpu_ms(req: ResolvedRequirements) -> float:
    """Server CPU per database call, in ms: ``workload.db_cpu_ms_per_call`` when given (at most
    the call's time), else :data:`DB_CPU_SHARE` of ``workload.db_ms_per_call``."""
    db_ms = req.workload.db_ms_per_call
    given = req.requirements.workload.db_cpu_ms_per_call
    return db_ms * DB_CPU_SHARE if given is None else min(given, db_ms)


def useful_connections(cores: int, cpu_share: float) -> int:
    """Active connections ``cores`` serve well: the connections that keep them busy when each
    is on a core ``cpu_share`` of its time, within the PostgreSQL wiki's 2–10 × cores."""
    per_core = 1 / cpu_share if cpu_share > 0 else float(_CONNECTIONS_PER_CORE_MAX)
    per_core = min(float(_CONNECTIONS_PER_CORE_MAX), max(float(CONNECTIONS_PER_DB_CORE), per_core))
    return int(cores * per_core + 1e-9)


def read_your_writes(cache: Cache) -> str:
    """How a cache-aside design keeps a user's own writes visible to them."""
    if cache is Cache.REDIS:
        return (
            "on every write, delete the key after the commit (not before), and serve a user's "
            "reads right after their own write from the primary, bypassing the cache: the TTL "
            "only bounds how stale other users' reads can be"
        )
    return (
        "an in-process cache cannot be invalidated on other instances: a user's reads right "
        "after their own write bypass it and read the primary; the TTL bounds everyone else's"
    )


def _replicas(req: ResolvedRequirements, read_rps: float) -> int:
    """Asynchronous read replicas for ``read_rps`` reads reaching the database."""
    if (
        req.interface is Interface.BATCH
        or req.consistency.priority is ConsistencyPriority.STRONG
        or req.consistency.stale_read_tolerance_s < 1
        or read_rps <= _READS_PER_REPLICA
    ):
        return 0
    return min(5, math.ceil(read_rps / _READS_PER_REPLICA) - 1) or 1


def _driver(engine: DatabaseKind, model: ConcurrencyModel) -> Driver:
    is_async = model in (ConcurrencyModel.ASYNCIO, ConcurrencyModel.HYBRID)
    if engine.postgres:
        return Driver.ASYNCPG if is_async else Driver.PSYCOPG
    if engine is DatabaseKind.REDIS:
        return Driver.REDIS_ASYNC if is_async else Driver.REDIS
    if engine is DatabaseKind.MYSQL:
        return Driver.ASYNCMY if is_async else Driver.PYMYSQL
    return Driver.PYMONGO_ASYNC if is_async else Driver.PYMONGO


def _caching_decision(
    cache: Cache,
    ttl: float,
    load: CacheLoad,
    rejected: tuple[Cache, float, CacheLoad] | None,
    stale: float,
    read_ratio: float,
    why: str = "",
) -> Decision:
    """The read cache, or why there is none (it would not shrink the database, or its
    modelled hit ratio is too low to build it before a measurement)."""
    if rejected is not None:
        was, was_ttl, was_load = rejected
        return Decision(
            "caching",
            cache.value,
            f"{was} ({was_ttl:g} s TTL) would hit about {was_load.hit_ratio:.0%} of reads by "
            "the TTL model"
            + (f"; {why}" if why else "")
            + ": measure the hit ratio on real traffic first (workload.cache_hit_ratio)",
            "the database is sized to serve every read; a cache built later on evidence "
            "changes the pools and the bill",
            ("no cache", "Redis", "CDN"),
        )
    if why:  # none: a cache would not shrink the database
        return Decision(
            "caching",
            cache.value,
            why,
            "every read reaches the database; a cache adds invalidation work and a failure "
            "mode, built when the database outgrows its size",
            ("no cache", "in-process cache", "Redis"),
        )
    return Decision(
        "caching",
        cache.value if ttl == 0 else f"{cache} (TTL {ttl:g} s)",
        f"stale reads tolerated for {stale:g} s, {read_ratio:.0%} reads"
        + (f"; {hit_summary(load)}; {read_your_writes(cache)}" if ttl else ""),
        "a cache adds invalidation work and a failure mode; it pays off only when "
        "reads dominate and staleness is allowed" + (f"; {COLD_CACHE}" if ttl else ""),
        ("no cache", "Redis", "CDN"),
    )


def plan_database(
    req: ResolvedRequirements,
    cap: CapacityPlan,
    conc: ConcurrencyPlan,
    *,
    broker: BrokerChoice | Literal[_Decide.DECIDE] | None = DECIDE,
) -> tuple[DatabasePlan | None, list[Figure], list[Decision]]:
    """Size connection pools so that every worker together stays under the server's limit.

    ``broker`` is the plan's broker choice (events through a broker need an outbox and
    idempotency keys), decided here when omitted.
    """
    engine = req.infrastructure.database
    if engine is DatabaseKind.NONE:
        return (
            None,
            [],
            [
                Decision(
                    "database",
                    "none",
                    "the requirements name no database"
                    + (
                        "; the stream's sink is the table its readers query, "
                        "written through the job's upsert"
                        if req.workload.data_mode is DataMode.STREAMING
                        else ""
                    ),
                    "state lives elsewhere",
                )
            ],
        )
    peak = req.scale.peak_rps
    calls = req.workload.db_calls_per_request
    db_ms = req.workload.db_ms_per_call
    io_ms = req.workload.io_wait_ms_per_request
    limit = req.infrastructure.db_max_connections
    reserved = reserved_for(limit)
    usable = limit - reserved
    processes = cap.instances * conc.workers_per_instance
    priority = req.consistency.priority
    stale = req.consistency.stale_read_tolerance_s
    read_ratio = req.scale.read_ratio

    def load_for(cache: Cache, ttl: float) -> CacheLoad:
        return cache_load(
            cache=cache,
            ttl_s=ttl,
            peak_rps=peak,
            read_ratio=read_ratio,
            calls_per_request=calls,
            keys=req.workload.cache_keys,
            payload_kb=req.scale.payload_kb,
            processes=processes,
            measured_hit_ratio=req.requirements.workload.cache_hit_ratio,
            alpha=req.workload.cache_zipf_alpha,
        )

    given_cores = req.infrastructure.db_cores
    cpu_ms = db_cpu_ms(req)

    def size(load: CacheLoad) -> tuple[int, int]:
        """The database behind ``load``: (cores, read replicas)."""
        cores = given_cores or db_cores_for(load.queries_per_s * cpu_ms / 1000)
        return cores, _replicas(req, load.read_rps)

    if engine is DatabaseKind.REDIS:  # the store is the cache: nothing to put in front of it
        chosen = CacheDecision(Cache.NONE, 0.0, load_for(Cache.NONE, 0.0))
    else:
        chosen = decide_cache(req, load_for, size)
    cache, ttl, load, rejected = chosen.cache, chosen.ttl_s, chosen.load, chosen.rejected
    busy = load.queries_per_s * db_ms / 1000
    busy_cpu = load.queries_per_s * cpu_ms / 1000
    per_process_busy = busy / processes if processes else 0.0

    if conc.model in (ConcurrencyModel.ASYNCIO, ConcurrencyModel.HYBRID):
        pool = max(2, math.ceil(per_process_busy * 2))
    elif conc.model is ConcurrencyModel.THREADS:
        pool = conc.threads_per_worker
    else:
        pool = 1
    pool, overflow = fit(pool, pool // 2, usable // processes if processes else usable)
    if engine in (DatabaseKind.MONGODB, DatabaseKind.REDIS):  # one cap per client, no overflow
        pool, overflow = pool + overflow, 0
    total = processes * (pool + overflow)
    # PgBouncer pools PostgreSQL connections only; for MySQL and MongoDB a total over the
    # limit is a finding (raise the limit, fewer processes, or ProxySQL for MySQL).
    pgbouncer = total > usable and engine.postgres
    db_cores = given_cores or db_cores_for(busy_cpu)
    cpu_share = cpu_ms / db_ms if db_ms else DB_CPU_SHARE
    hikari = useful_connections(db_cores, cpu_share)

    read_rps = load.read_rps
    replicas = _replicas(req, read_rps)
    replicas_without = _replicas(req, load.read_rps_without)
    isolation, boundaries = isolation_for(req, engine)
    events = decided(req, broker) is not None
    strong = priority is ConsistencyPriority.STRONG
    safety = data_safety(req, engine, cap.redundancy_required)
    plan = DatabasePlan(
        engine=engine,
        driver=_driver(engine, conc.model),
        pool_size=pool,
        max_overflow=overflow,
        total_connections=total,
        connection_limit=limit,
        reserved_connections=reserved,
        pgbouncer=pgbouncer,
        db_busy_connections=busy,
        db_busy_cores=busy_cpu,
        isolation=isolation,
        transaction_boundaries=boundaries,
        read_replicas=replicas,
        cache=cache,
        cache_ttl_s=ttl,
        # time series upsert on their natural key (series, time): a replay is harmless, and
        # a key table would add a write per batch (one mechanism for one concern)
        idempotency_keys=(strong or events or read_ratio < 0.5)
        and engine is not DatabaseKind.TIMESCALEDB,
        outbox=events and engine not in (DatabaseKind.MONGODB, DatabaseKind.REDIS),
        useful_connections=hikari,
        db_cores=db_cores,
        standbys=safety[0],
        synchronous_standby=safety[1],
        backup_retention_days=RETENTION_DAYS,
        rpo=safety[2],
        rto=safety[3],
        cache_hit_ratio=load.hit_ratio,
        db_queries_per_s=load.queries_per_s,
        db_queries_per_s_without_cache=load.queries_per_s_without,
        read_replicas_without_cache=replicas_without,
    )
    io_split = [  # a fan-out's IO is the slowest of parallel calls: no sum to split
        Figure(
            "db_ms_per_request",
            "Database time per request",
            calls * db_ms,
            "ms",
            "calls per request · ms per call; other IO = IO wait − database",
            (
                ("calls per request", calls),
                ("ms per call", db_ms),
                ("IO wait ms per request", io_ms),
                ("other IO ms (IO wait − database)", max(0.0, io_ms - calls * db_ms)),
            ),
            "the requirements' workload.io_wait_ms_per_request less its database calls: IO "
            "outside the database (another service, object storage) that the requirements "
            "state but do not name. Name it, or measure and lower the input: the fleet and "
            "the p99 are sized on the whole",
        )
    ][: 1 if req.workload.fanout_calls <= 1 else 0]
    figures = [
        Figure(
            "db_busy_connections",
            "Connections busy at peak",
            busy,
            "connections",
            "L_db = database queries/s · s per call (queries/s = (writes + read misses) · "
            "calls per request)",
            (
                ("λ", peak),
                ("calls per request", calls),
                ("cache hit ratio", load.hit_ratio),
                ("database queries/s", load.queries_per_s),
                ("s per call", db_ms / 1000),
            ),
            LITTLE,
        ),
        *io_split,
        Figure(
            "db_busy_cores",
            "Database cores busy at peak",
            busy_cpu,
            "cores",
            "database queries/s · server CPU s per call",
            (
                ("database queries/s", load.queries_per_s),
                (
                    "CPU s per call (workload.db_cpu_ms_per_call)"
                    if req.requirements.workload.db_cpu_ms_per_call is not None
                    else f"CPU s per call ({DB_CPU_SHARE:g} × s per call)",
                    cpu_ms / 1000,
                ),
            ),
            DB_CPU_SOURCE,
        ),
        Figure(
            "pool_size",
            "Pool size per worker process",
            pool,
            "connections",
            ("maxPoolSize" if engine is DatabaseKind.MONGODB else "max_connections")
            + " = pool + overflow (≈ 2 × busy connections per process, and half again), "
            "shrunk to fit the limit"
            if engine in (DatabaseKind.MONGODB, DatabaseKind.REDIS)
            else "≈ 2 × busy connections per process, shrunk to fit the limit",
            (("busy connections per process", per_process_busy), ("processes", processes)),
            LITTLE + _POOL_SOURCES.get(engine, _SQL_POOLS),
        ),
        Figure(
            "total_connections",
            "Connections all workers may open",
            total,
            "connections",
            "instances × workers × (pool_size + max_overflow) ≤ max_connections − reserved",
            (
                ("instances", cap.instances),
                ("workers", conc.workers_per_instance),
                ("pool_size", pool),
                ("max_overflow", overflow),
                ("max_connections", limit),
                ("reserved", reserved),
            ),
            LIMITS[engine],
        ),
        Figure(
            "db_useful_connections",
            "Connections a database server uses well",
            hikari,
            "connections",
            "db cores ÷ CPU share of a call, within 2–10 × cores",
            (
                (
                    "db cores (infrastructure.db_cores)"
                    if given_cores
                    else "db cores (smallest power of two ≥ 2 with "
                    f"{DB_TARGET_UTILISATION:g} × cores ≥ busy cores)",
                    db_cores,
                ),
                ("busy cores", busy_cpu),
                ("CPU share of a call", cpu_share),
                ("busy connections", busy),
            ),
            HIKARI,
        ),
    ]
    if ttl:
        figures += cache_figures(load, cache, ttl, db_ms)
    if replicas or replicas_without:
        figures += replica_figures(replicas, replicas_without, read_rps, _READS_PER_REPLICA)
    decisions = [
        consistency_decision(req, serves_stale=bool(ttl or replicas)),
        Decision(
            "database",
            f"{engine.value} with {plan.driver}",
            "the requirements' primary store, with a driver that matches the "
            f"{conc.model.value} workers",
            "one primary is simple and consistent; its write throughput is the ceiling",
            ("PostgreSQL", "MySQL", "MongoDB", "TimescaleDB", "Redis"),
        ),
        pool_decision(plan, engine, processes, usable),
        Decision(
            "isolation",
            isolation.value,
            boundaries,
            "commands on one hot account queue on its row lock, one at a time"
            if strong
            else "READ COMMITTED allows non-repeatable reads inside a transaction",
            ("SERIALIZABLE", "REPEATABLE READ", "READ COMMITTED"),
        ),
        _caching_decision(cache, ttl, load, rejected, stale, read_ratio, chosen.why),
    ]
    if replicas:
        decisions.append(
            Decision(
                "read replicas",
                f"{replicas} asynchronous read replica(s)",
                f"{read_rps:,.0f} reads/s at peak reach the database"
                + (" (the cache's misses)" if ttl else "")
                + f", stale reads allowed for {stale:g} s",
                "replica lag means a user may not see their own write: read-your-writes paths go "
                "to the primary",
                ("primary only", "cache"),
            )
        )
    more_figures, more_decisions = store_plan(req, plan)
    return plan, figures + more_figures, decisions + more_decisions
