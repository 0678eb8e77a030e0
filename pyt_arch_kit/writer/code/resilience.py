"""Cache-aside and retries: how the service behaves when a dependency is slow or down."""

from __future__ import annotations

from pyt_arch_kit.writer.code._template import fill, flavour
from pyt_arch_kit.writer.code.profile import Profile

__all__ = ["cache", "retries"]

DROP = "@drop@"

_REDIS = '''
    # app/cache.py
    """Cache-aside on Redis that never fails a request: a down or stalled cache costs at most
    one cache timeout, then the database answers, and the cache is skipped for BYPASS_S."""

    import json
    import time
    from collections.abc import @Awaitable@, Callable
    from typing import Any

    from redis@asyncio@ import Redis
    from redis.exceptions import RedisError  # ConnectionError and TimeoutError derive from it
    from redis.backoff import NoBackoff
    from redis@asyncio@.retry import Retry

    from app.settings import settings

    redis = Redis.from_url(
        settings.redis_url,
        socket_timeout=settings.cache_timeout_s,
        socket_connect_timeout=settings.cache_timeout_s,
        retry=Retry(NoBackoff(), 0),  # no hidden retries: the database is the fallback
    )
    BYPASS_S = 5.0  # after a cache error, go straight to the database for this long
    _down_until = 0.0


    def _trip() -> None:
        global _down_until
        _down_until = time.monotonic() + BYPASS_S


    @async@def cached(key: str, load: Callable[[], @Awaitable@[dict[str, Any]]]) -> dict[str, Any]:
        """The cached value for ``key``, or ``load()`` (the database) when missing or down."""
        if time.monotonic() >= _down_until:
            try:
                hit = @await@redis.get(key)
            except RedisError:
                _trip()  # an outage degrades to the database, never to an error
            else:
                if hit is not None:
                    return dict(json.loads(hit))
        value = @await@load()
        if time.monotonic() >= _down_until:
            try:
                @await@redis.set(key, json.dumps(value), ex=max(1, round(settings.cache_ttl_s)))
            except RedisError:
                _trip()
        return value


    @async@def invalidate(key: str) -> None:
        """Call after the write commits, so the writer reads its own write next time.

        If the cache is down, the stale value expires within the TTL.
        """
        try:
            @await@redis.delete(key)
        except RedisError:
            _trip()
'''

_LOCAL = '''
    # app/cache.py
    """A bounded in-process TTL cache, per worker process: each process may serve a value up to
    the TTL old; a write invalidates it in the writing process at once."""

    import threading
    from collections.abc import @Awaitable@, Callable
    from typing import Any

    from cachetools import TTLCache

    from app.settings import settings

    _cache: TTLCache[str, dict[str, Any]] = TTLCache(maxsize=10_000, ttl=settings.cache_ttl_s)
    _lock = threading.Lock()  # cachetools caches are not thread-safe


    @async@def cached(key: str, load: Callable[[], @Awaitable@[dict[str, Any]]]) -> dict[str, Any]:
        """The cached value for ``key``, or ``load()`` (the database) on a miss."""
        with _lock:
            hit = _cache.get(key)
        if hit is not None:
            return hit
        value = @await@load()
        with _lock:
            _cache[key] = value
        return value


    def invalidate(key: str) -> None:
        """Call after the write commits, so this process reads its own write next time."""
        with _lock:
            _cache.pop(key, None)
'''


def cache(p: Profile) -> str:
    """``app/cache.py``: Redis cache-aside or an in-process TTL cache."""
    template = _REDIS if p.cache == "redis" else _LOCAL
    text = fill(
        template,
        asyncio=".asyncio" if p.is_async else "",
        Awaitable="Awaitable",
        **flavour(p.is_async),
    )
    if not p.is_async:  # a sync loader returns the value itself
        text = text.replace(
            "Callable[[], Awaitable[dict[str, Any]]]", "Callable[[], dict[str, Any]]"
        )
        text = text.replace(
            "from collections.abc import Awaitable, Callable",
            "from collections.abc import Callable",
        )
    return text


_RETRY = '''
    # app/retries.py
    """Timeouts and retries that cannot make an outage worse.

    * A total deadline under the p99 target bounds a call, retries included.
    * Only idempotent calls (reads, or writes that carry an idempotency key) are retried.
    * A retry budget caps retries at ~10 % of calls per process (Google SRE book, ch. 22), so a
      struggling dependency sees at most 1.1x its normal load from us.
    * Only transient errors of the libraries in this stack are retried.
    """

    @asyncio_import@import random
    import time
    from collections.abc import @Awaitable@, Callable
    from typing import TypeVar

    import httpx
    @imports@

    from app.settings import settings

    T = TypeVar("T")

    TRANSIENT: tuple[type[BaseException], ...] = (
        TimeoutError,  # builtin, raised by asyncio.wait_for too
        ConnectionError,  # builtin: refused, reset, aborted
        httpx.TransportError,  # httpx connect/read/write/pool timeouts and network errors
        @transient@
    )


    def is_transient(exc: BaseException) -> bool:
        """Whether a retry may succeed where this attempt failed."""
        @invalidated@return isinstance(exc, TRANSIENT)


    class RetryBudget:
        """A token bucket: each call earns ``ratio`` of a retry, each retry spends one."""

        def __init__(self, ratio: float = 0.1, burst: float = 10.0) -> None:
            self.ratio, self.burst, self.tokens = ratio, burst, burst

        def earn(self) -> None:
            self.tokens = min(self.burst, self.tokens + self.ratio)

        def spend(self) -> bool:
            if self.tokens < 1:
                return False
            self.tokens -= 1
            return True


    budget = RetryBudget()


    @async@def with_retries(
        call: Callable[[], @Awaitable_T@],
        *,
        idempotent: bool,
        deadline_s: float | None = None,
        attempt_timeout_s: float | None = None,
        base_s: float = 0.01,
    ) -> T:
        """``call()``, retried on transient errors with capped exponential backoff and full
        jitter, until ``deadline_s`` (default: settings.request_deadline_s) has passed.

        Raises the last error when the deadline, the budget or ``idempotent=False`` stops the
        retries@timeout_doc@.
        """
        deadline_s = settings.request_deadline_s if deadline_s is None else deadline_s
        attempt_timeout_s = (
            settings.attempt_timeout_s if attempt_timeout_s is None else attempt_timeout_s
        )
        deadline = time.monotonic() + deadline_s
        budget.earn()
        attempt = 0
        while True:
            attempt += 1
            remaining = deadline - time.monotonic()
            try:
                @call@
            except Exception as exc:
                remaining = deadline - time.monotonic()
                pause = random.uniform(0, max(0.0, min(remaining / 2, base_s * 2**attempt)))
                if not (idempotent and is_transient(exc)) or remaining <= pause:
                    raise
                if not budget.spend():
                    raise
                @await@@sleep@(pause)
                if time.monotonic() >= deadline:  # woke up late: no attempt past the deadline
                    raise
'''

_CALL_ASYNC = (
    "return await asyncio.wait_for(call(), timeout=max(0.001, min(attempt_timeout_s, remaining)))"
)
_CALL_SYNC = "return call()  # give the client its own timeout: httpx.Client(timeout=...)"


def retries(p: Profile) -> str:
    """``app/retries.py``: deadline, idempotency, retry budget, the stack's transient errors."""
    imports: list[str] = []
    transient: list[str] = []
    if p.cache == "redis" or p.dialect == "redis":
        imports.append("import redis.exceptions")
        transient.append("redis.exceptions.ConnectionError,  # redis-py's own (not builtins)")
        transient.append("redis.exceptions.TimeoutError,")
    if p.sql:
        imports.append("import sqlalchemy.exc")
        transient.append(
            "sqlalchemy.exc.OperationalError,  # "
            + ("psycopg" if p.driver == "psycopg" else p.driver)
            + ": connection lost or refused"
        )
        transient.append("sqlalchemy.exc.InterfaceError,  # the connection closed under us")
    if p.dialect == "mongodb":
        imports.append("import pymongo.errors")
        transient.append("pymongo.errors.AutoReconnect,  # network errors, server selection")
    invalidated = (
        "if isinstance(exc, sqlalchemy.exc.DBAPIError) and exc.connection_invalidated:\n"
        "        # the connection died mid-call (a failover, a killed backend): asyncpg raises a\n"
        '        # bare DBAPIError, "connection was closed in the middle of operation"\n'
        "        return True\n    "
        if p.sql
        else ""
    )
    text = fill(
        _RETRY,
        invalidated=invalidated,
        asyncio_import="import asyncio\n" if p.is_async else "",
        imports="\n".join(sorted(imports)) if imports else DROP,
        transient="\n    ".join(transient) if transient else DROP,
        Awaitable="Awaitable" if p.is_async else "",
        Awaitable_T="Awaitable[T]" if p.is_async else "T",
        timeout_doc=" (each attempt is cut at ``attempt_timeout_s``)"
        if p.is_async
        else " (pass ``attempt_timeout_s`` to the client itself: a sync call cannot be cut)",
        call=_CALL_ASYNC if p.is_async else _CALL_SYNC,
        **flavour(p.is_async),
    )
    if not p.is_async:
        text = text.replace(
            "from collections.abc import , Callable", "from collections.abc import Callable"
        )
    return text
