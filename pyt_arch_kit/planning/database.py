"""The database layer: driver, pools within the connection limit, isolation, replicas, cache."""

from __future__ import annotations

import math
from typing import Literal

from pyt_arch_kit.planning.broker import DECIDE, BrokerChoice, _Decide, decided
from pyt_arch_kit.planning.cache import (
    COLD_CACHE,
    CacheLoad,
    cache_figures,
    cache_load,
    choose_cache,
    hit_summary,
    replica_figures,
    too_rare,
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
    "db_cores_for",
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
    "optimum is “2 to maybe 10 times the cores” (the low end taken here, to raise under a "
    "load test); HikariCP wiki, “About Pool Sizing”"
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
#: The smallest database server the planner sizes (vCPU).
_MIN_DB_CORES = 2
_READS_PER_REPLICA = 3000.0


def db_cores_for(busy_connections: float) -> int:
    """vCPU for a primary with ``busy_connections`` active at peak: the smallest power of two
    (a cloud instance size), at least 2, with 2 × cores ≥ busy. No ceiling: a load past one
    large server is a finding (replicas, a cache, sharding), not a smaller answer.

    Example:
        >>> db_cores_for(34.8)  # 17,400 calls/s × 2 ms
        32
    """
    need = max(float(_MIN_DB_CORES), busy_connections / CONNECTIONS_PER_DB_CORE)
    return int(2 ** math.ceil(math.log2(need) - 1e-12))


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
) -> Decision:
    """The read cache, or why there is none yet (a modelled hit ratio too low to pay)."""
    if rejected is not None:
        was, was_ttl, was_load = rejected
        return Decision(
            "caching",
            cache.value,
            f"{was} ({was_ttl:g} s TTL) would hit about {was_load.hit_ratio:.0%} of reads by "
            "the TTL model: measure the hit ratio on real traffic first "
            "(workload.cache_hit_ratio)",
            "the database is sized to serve every read; a cache built later on evidence "
            "changes the pools and the bill",
            ("no cache", "Redis", "CDN"),
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
    limit = req.infrastructure.db_max_connections
    reserved = reserved_for(limit)
    usable = limit - reserved
    processes = cap.instances * conc.workers_per_instance
    priority = req.consistency.priority
    stale = req.consistency.stale_read_tolerance_s
    read_ratio = req.scale.read_ratio
    cache, ttl = choose_cache(req)
    if engine is DatabaseKind.REDIS:  # the store is the cache: nothing to put in front of it
        cache, ttl = Cache.NONE, 0.0

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

    load = load_for(cache, ttl)
    rejected: tuple[Cache, float, CacheLoad] | None = None
    if too_rare(cache, load):  # not worth building before a measurement says it hits
        rejected = (cache, ttl, load)
        cache, ttl = Cache.MEASURE_FIRST, 0.0
        load = load_for(cache, ttl)
    busy = load.queries_per_s * db_ms / 1000
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
    given_cores = req.infrastructure.db_cores
    db_cores = given_cores or db_cores_for(busy)
    hikari = db_cores * CONNECTIONS_PER_DB_CORE

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
        isolation=isolation,
        transaction_boundaries=boundaries,
        read_replicas=replicas,
        cache=cache,
        cache_ttl_s=ttl,
        idempotency_keys=strong or events or read_ratio < 0.5,
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
            "db cores × 2 (the low end of 2–10 × cores)",
            (
                (
                    "db cores (infrastructure.db_cores)"
                    if given_cores
                    else "db cores (smallest power of two ≥ 2 with 2 × cores ≥ busy)",
                    db_cores,
                ),
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
        consistency_decision(req),
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
        _caching_decision(cache, ttl, load, rejected, stale, read_ratio),
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
