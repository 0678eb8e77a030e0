"""The code for Redis as the store: one redis-py client and bounded pool per worker process."""

from __future__ import annotations

from pyt_arch_kit.planning.model import Plan
from pyt_arch_kit.writer.code._template import fill
from pyt_arch_kit.writer.code.profile import Profile

__all__ = ["redis_store"]

_REDIS_STORE = '''
    # app/db.py
    import @module@ as redis

    from app.settings import settings


    def make_client() -> redis.Redis:
        """One client (and connection pool) per worker process, created after the fork.

        @processes@ processes × @per_process@ = @total@ connections ≤ @usable@ usable (maxclients).
        Redis is the store here, not a cache: run it with `appendonly yes`, `appendfsync
        everysec` (a crash loses at most ~1 s of writes) and `maxmemory-policy noeviction`
        (a full store refuses writes instead of evicting data).
        """
        pool = redis.BlockingConnectionPool.from_url(
            settings.database_url.get_secret_value(),  # redis://… (rediss:// for TLS)
            max_connections=settings.max_pool_size,  # ConnectionPool's default is 2**31
            timeout=settings.pool_timeout_s,  # wait for a free connection, then fail fast
            socket_timeout=settings.request_deadline_s,
            socket_connect_timeout=settings.request_deadline_s,
            health_check_interval=30,
        )
        return redis.Redis.from_pool(pool)  # owns the pool: closing the client closes it
'''


def redis_store(plan: Plan, p: Profile) -> str:
    """``app/db.py`` for Redis as the store: the client, its pool bounded by the plan."""
    db, cap, conc = plan.database, plan.capacity, plan.concurrency
    assert db is not None
    processes = cap.instances * conc.workers_per_instance
    per_process = db.pool_size + db.max_overflow
    return fill(
        _REDIS_STORE,
        module="redis.asyncio" if p.is_async else "redis",
        processes=processes,
        per_process=per_process,
        total=processes * per_process,
        usable=db.connection_limit - db.reserved_connections,
    )
