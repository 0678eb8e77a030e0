"""Connection pools that fit under the server's limit, and what to do when they cannot."""

from __future__ import annotations

import math

from pyt_arch_kit.planning.choices import Driver
from pyt_arch_kit.planning.model import DatabasePlan, Decision
from pyt_arch_kit.requirements import DatabaseKind

__all__ = [
    "fit",
    "limit_for",
    "over_the_limit",
    "pool_decision",
    "prepared_statements_fix",
    "reserved_for",
]


def prepared_statements_fix(driver: Driver) -> str:
    """How to keep this driver's prepared statements working through PgBouncer's transaction
    pooling (a statement prepared on one server connection is unknown on the next)."""
    if driver is Driver.ASYNCPG:
        how = (
            "disable asyncpg's statement cache: `prepared_statement_cache_size=0` on the "
            "SQLAlchemy `postgresql+asyncpg` URL (`statement_cache_size=0` for bare asyncpg)"
        )
    elif driver is Driver.PSYCOPG:
        how = "turn off psycopg 3's automatic preparing: `prepare_threshold=None`"
    else:
        how = "do not use server-side prepared statements"
    return (
        "transaction pooling breaks server-side prepared statements: "
        + how
        + ", or run PgBouncer ≥ 1.21 with `max_prepared_statements` set; and keep no session "
        "state (SET, advisory locks, LISTEN) across transactions"
    )


def fit(pool: int, overflow: int, per_process: int) -> tuple[int, int]:
    """Shrink (pool, overflow) to at most ``per_process`` connections, overflow first.

    Closed form: overflow gives way first, then the pool, which keeps at least one connection.
    """
    if pool + overflow <= per_process:
        return pool, overflow
    if pool <= per_process:
        return pool, per_process - pool
    return max(1, per_process), 0


def pool_decision(db: DatabasePlan, engine: DatabaseKind, processes: int, usable: int) -> Decision:
    """The pool sizes, and what to do when they cannot fit under the limit, per engine."""
    per = db.pool_size + db.max_overflow
    total, useful = db.total_connections, db.useful_connections
    sum_up = f"{processes:,} processes × {per} = {total:,}"
    trade = (
        "a small pool queues in the app under bursts; a large one overloads the "
        f"database, which does its best work near {useful} active connections "
        "(2 × its cores, the low end of the PostgreSQL wiki's 2–10 × cores)"
    )
    if engine is DatabaseKind.MONGODB:
        choice = f"maxPoolSize={db.pool_size} per MongoClient (one client per process)"
        alternatives: tuple[str, ...] = ("a larger net.maxIncomingConnections", "fewer processes")
    elif engine is DatabaseKind.REDIS:
        choice = (
            f"ConnectionPool(max_connections={db.pool_size}) per process "
            "(BlockingConnectionPool to wait, not fail, when it is exhausted)"
        )
        alternatives = ("a larger maxclients", "fewer processes")
    else:
        choice = f"pool_size={db.pool_size}, max_overflow={db.max_overflow} per process"
        alternatives = (
            ("PgBouncer in transaction mode", "larger max_connections")
            if engine.postgres
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
    if db.engine is DatabaseKind.REDIS:
        return (
            f"raise maxclients to at least {need:,} (and the open-files limit with it), or "
            f"run fewer worker processes; each keeps one ConnectionPool of {db.pool_size}"
        )
    if db.engine is DatabaseKind.MONGODB:
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
