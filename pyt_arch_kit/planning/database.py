"""The database layer: driver, pools within the connection limit, isolation, replicas, cache."""

from __future__ import annotations

import math

from pyt_arch_kit.planning.broker import choose_broker
from pyt_arch_kit.planning.model import (
    CapacityPlan,
    ConcurrencyModel,
    ConcurrencyPlan,
    DatabasePlan,
    Decision,
    Figure,
)
from pyt_arch_kit.planning.queueing import LITTLE
from pyt_arch_kit.requirements import (
    ConsistencyPriority,
    DatabaseKind,
    Interface,
    Requirements,
)

__all__ = [
    "limit_for",
    "over_the_limit",
    "plan_database",
    "prepared_statements_fix",
    "read_your_writes",
    "reserved_for",
]

HIKARI = "HikariCP wiki, “About Pool Sizing”: connections ≈ (cores × 2) + effective spindles"
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
}
#: Database server sizes considered (vCPU); the largest is the planner's ceiling for one primary.
_DB_SIZES = (2, 4, 8)
_READS_PER_REPLICA = 3000.0


def uses_broker(req: Requirements) -> bool:
    """Whether the design publishes events through a message broker (with an outbox).

    It does whenever :func:`~pyt_arch_kit.planning.broker.choose_broker` chooses one.
    """
    return choose_broker(req) is not None


def prepared_statements_fix(driver: str) -> str:
    """How to keep this driver's prepared statements working through PgBouncer's transaction
    pooling (a statement prepared on one server connection is unknown on the next)."""
    if driver.startswith("asyncpg"):
        how = (
            "disable asyncpg's statement cache: `prepared_statement_cache_size=0` on the "
            "SQLAlchemy `postgresql+asyncpg` URL (`statement_cache_size=0` for bare asyncpg)"
        )
    elif driver.startswith("psycopg"):
        how = "turn off psycopg 3's automatic preparing: `prepare_threshold=None`"
    else:
        how = "do not use server-side prepared statements"
    return (
        "transaction pooling breaks server-side prepared statements: "
        + how
        + ", or run PgBouncer ≥ 1.21 with `max_prepared_statements` set; and keep no session "
        "state (SET, advisory locks, LISTEN) across transactions"
    )


def read_your_writes(cache: str) -> str:
    """How a cache-aside design keeps a user's own writes visible to them."""
    if cache.startswith("Redis"):
        return (
            "on every write, delete the key after the commit (not before), and serve a user's "
            "reads right after their own write from the primary, bypassing the cache: the TTL "
            "only bounds how stale other users' reads can be"
        )
    return (
        "an in-process cache cannot be invalidated on other instances: a user's reads right "
        "after their own write bypass it and read the primary; the TTL bounds everyone else's"
    )


_RETENTION_DAYS = 14


def _data_safety(
    req: Requirements, engine: DatabaseKind, redundant: bool
) -> tuple[int, bool, str, str]:
    """(standbys, synchronous, RPO, RTO) for the consistency and availability asked for."""
    strong = req.consistency.priority is ConsistencyPriority.STRONG
    if engine is DatabaseKind.MONGODB:
        return (
            2,
            True,
            "0 for writes acknowledged with w: majority",
            "≈ 10–30 s (a replica-set election)",
        )
    if strong:
        return 1, True, "0 for committed transactions", "≈ 1–2 min (automated failover)"
    if redundant:
        return (
            1,
            False,
            "seconds (the standby's replication lag; alert above 5 s)",
            "≈ 1–2 min (automated failover)",
        )
    return (
        0,
        False,
        "≤ 1 min (WAL archived at least every 60 s)",
        "the time to restore the base backup and replay WAL: rehearse and measure it",
    )


def _fit(pool: int, overflow: int, per_process: int) -> tuple[int, int]:
    """Shrink (pool, overflow) to at most ``per_process`` connections, overflow first.

    Closed form: overflow gives way first, then the pool, which keeps at least one connection.
    """
    if pool + overflow <= per_process:
        return pool, overflow
    if pool <= per_process:
        return pool, per_process - pool
    return max(1, per_process), 0


def _driver(engine: DatabaseKind, model: ConcurrencyModel) -> str:
    is_async = model in (ConcurrencyModel.ASYNCIO, ConcurrencyModel.HYBRID)
    if engine is DatabaseKind.POSTGRESQL:
        return "asyncpg via SQLAlchemy 2.0 (async)" if is_async else "psycopg 3 via SQLAlchemy 2.0"
    if engine is DatabaseKind.MYSQL:
        return "asyncmy via SQLAlchemy 2.0 (async)" if is_async else "PyMySQL via SQLAlchemy 2.0"
    return "PyMongo AsyncMongoClient (Motor is deprecated)" if is_async else "PyMongo MongoClient"


def _isolation(req: Requirements, engine: DatabaseKind) -> tuple[str, str]:
    priority = req.consistency.priority
    if engine is DatabaseKind.MONGODB:
        if priority is ConsistencyPriority.STRONG:
            return (
                "multi-document transactions, writeConcern majority, readConcern snapshot",
                "one transaction per command; retry on TransientTransactionError",
            )
        return (
            "writeConcern majority, readConcern local",
            "single-document atomic updates; no multi-document transactions on the hot path",
        )
    if priority is ConsistencyPriority.STRONG:
        return (
            "SERIALIZABLE (SSI) for every transaction that reads or writes the invariant's rows "
            "(balances); READ COMMITTED only for transactions that touch none of them",
            "SSI protects only transactions that themselves run SERIALIZABLE (PostgreSQL docs, "
            "13.2.3): a READ COMMITTED transaction writing a balance can still break the "
            "invariant, so none may. One short transaction per command: lock the accounts in "
            "id order (SELECT … FOR UPDATE ORDER BY id, so opposite transfers cannot "
            "deadlock), check the invariant, write the rows and the outbox event, commit; "
            "retry serialization failures (SQLSTATE 40001) and deadlocks (40P01) a few times "
            "with jittered backoff; never hold a transaction across a network call",
        )
    return (
        "READ COMMITTED (the PostgreSQL default)"
        if engine is DatabaseKind.POSTGRESQL
        else "REPEATABLE READ (the InnoDB default)",
        "one transaction per request, opened late and committed early; SELECT … FOR UPDATE "
        "on rows that concurrent requests update",
    )


PACELC = "D. Abadi, “Consistency Tradeoffs in Modern Distributed Database System Design”, 2012"


def _consistency_decision(req: Requirements) -> Decision:
    """Where the system sits on CAP / PACELC, stated as a decision."""
    priority = req.consistency.priority or ConsistencyPriority.BALANCED
    stale = req.consistency.stale_read_tolerance_s or 0.0
    choice, why = {
        ConsistencyPriority.STRONG: (
            "PC/EC: one primary, synchronous commit, reads of mutable data from the primary",
            "invariants (balances, stock) must never be violated; under a partition the system "
            "refuses writes rather than diverge",
        ),
        ConsistencyPriority.BALANCED: (
            "PC/EL: consistent writes on the primary, reads may be served stale "
            f"for up to {stale:g} s",
            "writes stay correct; reads trade a bounded staleness for latency",
        ),
        ConsistencyPriority.AVAILABILITY: (
            "PA/EL: stay available and fast, reconcile later",
            f"stale reads up to {stale:g} s are acceptable; idempotent writes make retries "
            "and replays safe",
        ),
    }[priority]
    return Decision(
        "consistency",
        choice,
        why + f" ({PACELC})",
        "stronger consistency costs latency and availability during failover; weaker "
        "consistency moves reconciliation into the application",
        ("PC/EC", "PC/EL", "PA/EL"),
    )


def _pool_decision(db: DatabasePlan, engine: DatabaseKind, processes: int, usable: int) -> Decision:
    """The pool sizes, and what to do when they cannot fit under the limit, per engine."""
    per = db.pool_size + db.max_overflow
    total, useful = db.total_connections, db.useful_connections
    sum_up = f"{processes:,} processes × {per} = {total:,}"
    trade = (
        "a small pool queues in the app under bursts; a large one overloads the "
        f"database, which does its best work near {useful} active connections "
        "((cores × 2) + spindles)"
    )
    if engine is DatabaseKind.MONGODB:
        choice = f"maxPoolSize={db.pool_size} per MongoClient (one client per process)"
        alternatives: tuple[str, ...] = ("a larger net.maxIncomingConnections", "fewer processes")
    else:
        choice = f"pool_size={db.pool_size}, max_overflow={db.max_overflow} per process"
        alternatives = (
            ("PgBouncer in transaction mode", "larger max_connections")
            if engine is DatabaseKind.POSTGRESQL
            else ("ProxySQL (connection multiplexing)", "larger max_connections")
        )
    if db.pgbouncer:
        choice += " behind PgBouncer (transaction mode)"
        why = (
            f"{sum_up} > {usable:,} usable connections: PgBouncer multiplexes them onto "
            f"~{db.server_connections} server connections (default_pool_size), what the "
            "database serves well"
        )
        trade += "; " + prepared_statements_fix(db.driver)
    elif total > usable:
        why = f"{sum_up} > {usable:,} usable connections: " + over_the_limit(db)
    else:
        why = f"{sum_up} ≤ {usable:,} usable connections"
    return Decision("connection pool", choice, why, trade, alternatives)


def reserved_for(limit: int) -> int:
    """Connections kept free for operations: 10 %, at least 3, and at least one left to use."""
    return min(max(3, math.ceil(limit * 0.1)), limit - 1)


def limit_for(total: int) -> int:
    """The smallest connection limit whose usable connections (after :func:`reserved_for`)
    hold ``total``."""
    limit = max(total + 3, math.ceil(total * 10 / 9))
    for _ in range(3):  # the closed form is at most a step short of the rounding
        if limit - reserved_for(limit) >= total:
            break
        limit += 1
    return limit


def over_the_limit(db: DatabasePlan) -> str:
    """What to do when the pools of every process together can open more connections than a
    MySQL or MongoDB server allows (PgBouncer is PostgreSQL's answer)."""
    need = limit_for(db.total_connections)
    if db.engine == DatabaseKind.MONGODB.value:
        return (
            f"raise the server's net.maxIncomingConnections to at least {need:,} (mongod's "
            "default is far higher, bounded by the open-files limit), or run fewer worker "
            f"processes; each process keeps one MongoClient with maxPoolSize={db.pool_size}"
        )
    return (
        f"raise max_connections to at least {need:,} (each connection is a server thread "
        "with its own buffers: check the memory), run fewer worker processes, or put ProxySQL "
        f"in front to multiplex the pools onto ~{db.server_connections} server connections"
    )


def plan_database(
    req: Requirements, cap: CapacityPlan, conc: ConcurrencyPlan
) -> tuple[DatabasePlan | None, list[Figure], list[Decision]]:
    """Size connection pools so that every worker together stays under the server's limit."""
    engine = req.infrastructure.database or DatabaseKind.POSTGRESQL
    if engine is DatabaseKind.NONE:
        return (
            None,
            [],
            [
                Decision(
                    "database", "none", "the requirements name no database", "state lives elsewhere"
                )
            ],
        )
    peak = req.scale.peak_rps or 0.0
    calls = req.workload.db_calls_per_request or 0.0
    db_ms = req.workload.db_ms_per_call or 0.0
    limit = req.infrastructure.db_max_connections or 100
    reserved = reserved_for(limit)
    usable = limit - reserved
    busy = peak * calls * db_ms / 1000
    processes = cap.instances * conc.workers_per_instance
    per_process_busy = busy / processes if processes else 0.0

    if conc.model in (ConcurrencyModel.ASYNCIO, ConcurrencyModel.HYBRID):
        pool = max(2, math.ceil(per_process_busy * 2))
    elif conc.model is ConcurrencyModel.THREADS:
        pool = conc.threads_per_worker
    else:
        pool = 1
    pool, overflow = _fit(pool, pool // 2, usable // processes if processes else usable)
    if engine is DatabaseKind.MONGODB:  # PyMongo caps each MongoClient at maxPoolSize, no overflow
        pool, overflow = pool + overflow, 0
    total = processes * (pool + overflow)
    # PgBouncer pools PostgreSQL connections only; for MySQL and MongoDB a total over the
    # limit is a finding (raise the limit, fewer processes, or ProxySQL for MySQL).
    pgbouncer = total > usable and engine is DatabaseKind.POSTGRESQL
    db_cores = next((c for c in _DB_SIZES if 2 * c >= busy), _DB_SIZES[-1])
    hikari = db_cores * 2 + 1

    priority = req.consistency.priority
    stale = req.consistency.stale_read_tolerance_s or 0.0
    read_ratio = req.scale.read_ratio if req.scale.read_ratio is not None else 0.8
    read_rps = peak * read_ratio
    replicas = 0
    if priority is not ConsistencyPriority.STRONG and stale >= 1 and read_rps > _READS_PER_REPLICA:
        replicas = min(5, math.ceil(read_rps / _READS_PER_REPLICA) - 1) or 1
    if priority is ConsistencyPriority.STRONG:
        cache, ttl = "none for mutable data (reads go to the primary)", 0.0
    elif stale >= 1 and read_ratio >= 0.7 and peak >= 200:
        cache, ttl = "Redis, cache-aside", float(min(stale, 300.0))
    elif stale >= 1 and read_ratio >= 0.7 and peak > 0:
        cache, ttl = "in-process TTL cache (cachetools)", float(min(stale, 60.0))
    else:
        cache, ttl = "none", 0.0
    isolation, boundaries = _isolation(req, engine)
    events = uses_broker(req)
    strong = priority is ConsistencyPriority.STRONG
    if req.interface is Interface.BATCH:
        cache, ttl, replicas = "none", 0.0, 0
    safety = _data_safety(req, engine, cap.redundancy_required)
    plan = DatabasePlan(
        engine=engine.value,
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
        outbox=events and engine is not DatabaseKind.MONGODB,
        useful_connections=hikari,
        db_cores=db_cores,
        standbys=safety[0],
        synchronous_standby=safety[1],
        backup_retention_days=_RETENTION_DAYS,
        rpo=safety[2],
        rto=safety[3],
    )
    figures = [
        Figure(
            "db_busy_connections",
            "Connections busy at peak",
            busy,
            "connections",
            "L_db = λ · calls per request · s per call",
            (("λ", peak), ("calls per request", calls), ("s per call", db_ms / 1000)),
            LITTLE,
        ),
        Figure(
            "pool_size",
            "Pool size per worker process",
            pool,
            "connections",
            "maxPoolSize = pool + overflow (≈ 2 × busy connections per process, and half "
            "again), shrunk to fit the limit"
            if engine is DatabaseKind.MONGODB
            else "≈ 2 × busy connections per process, shrunk to fit the limit",
            (("busy connections per process", per_process_busy), ("processes", processes)),
            LITTLE
            + (
                "; PyMongo maxPoolSize (default 100) per MongoClient, no overflow"
                if engine is DatabaseKind.MONGODB
                else "; SQLAlchemy QueuePool defaults 5 + 10 overflow, asyncpg 10"
            ),
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
            "(db cores × 2) + effective spindles",
            (
                ("db cores (smallest of 2/4/8 with 2 × cores ≥ busy)", db_cores),
                ("spindles (SSD)", 1),
            ),
            HIKARI,
        ),
    ]
    if replicas:
        figures.append(
            Figure(
                "read_replicas",
                "Read replicas",
                replicas,
                "replicas",
                "⌈read req/s / reads per replica⌉ − 1 (the primary serves reads too)",
                (("read req/s", read_rps), ("reads per replica (assumed)", _READS_PER_REPLICA)),
                "capacity planning rule of thumb; measure one replica's read throughput",
            )
        )
    decisions = [
        _consistency_decision(req),
        Decision(
            "database",
            f"{engine.value} with {plan.driver}",
            "the requirements' primary store, with a driver that matches the "
            f"{conc.model.value} workers",
            "one primary is simple and consistent; its write throughput is the ceiling",
            ("PostgreSQL", "MySQL", "MongoDB"),
        ),
        _pool_decision(plan, engine, processes, usable),
        Decision(
            "isolation",
            isolation,
            boundaries,
            "stronger isolation costs retries under contention"
            if strong
            else "READ COMMITTED allows non-repeatable reads inside a transaction",
            ("SERIALIZABLE", "REPEATABLE READ", "READ COMMITTED"),
        ),
        Decision(
            "caching",
            cache if ttl == 0 else f"{cache} (TTL {ttl:g} s)",
            f"stale reads tolerated for {stale:g} s, {read_ratio:.0%} reads"
            + (f"; {read_your_writes(cache)}" if ttl else ""),
            "a cache adds invalidation work and a failure mode; it pays off only when "
            "reads dominate and staleness is allowed",
            ("no cache", "Redis", "CDN"),
        ),
    ]
    if replicas:
        decisions.append(
            Decision(
                "read replicas",
                f"{replicas} asynchronous read replica(s)",
                f"{read_rps:,.0f} reads/s at peak, stale reads allowed for {stale:g} s",
                "replica lag means a user may not see their own write: read-your-writes paths go "
                "to the primary",
                ("primary only", "cache"),
            )
        )
    return plan, figures, decisions
