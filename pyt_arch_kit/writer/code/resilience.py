"""Cache-aside: how the service behaves when its cache is slow or down (retries are the
baseline's `app/retries.py`)."""

from __future__ import annotations

from pyt_arch_kit.writer.code._template import fill, flavour
from pyt_arch_kit.writer.code.profile import Profile

__all__ = ["cache"]


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

    redis: Redis | None = None  # this process's client: open_cache(), never at import
    BYPASS_S = 5.0  # after a cache error, go straight to the database for this long
    _down_until = 0.0


    def open_cache() -> Redis:
        """This process's client, made after the fork: call it where the server starts
        (serve(), the lifespan); the first cache read makes it otherwise."""
        global redis
        if redis is None:
            redis = Redis.from_url(
                settings.redis_url,
                socket_timeout=settings.cache_timeout_s,
                socket_connect_timeout=settings.cache_timeout_s,
                retry=Retry(NoBackoff(), 0),  # no hidden retries: the database is the fallback
            )
        return redis


    def _trip() -> None:
        global _down_until
        _down_until = time.monotonic() + BYPASS_S


    @async@def cached(key: str, load: Callable[[], @Awaitable@[dict[str, Any]]]) -> dict[str, Any]:
        """The cached value for ``key``, or ``load()`` (the database) when missing or down."""
        if time.monotonic() >= _down_until:
            try:
                hit = @await@open_cache().get(key)
            except RedisError:
                _trip()  # an outage degrades to the database, never to an error
            else:
                if hit is not None:
                    return dict(json.loads(hit))
        value = @await@load()
        if time.monotonic() >= _down_until:
            try:
                ttl = max(1, round(settings.cache_ttl_s))
                @await@open_cache().set(key, json.dumps(value), ex=ttl)
            except RedisError:
                _trip()
        return value


    @async@def invalidate(key: str) -> None:
        """Call after the write commits, so the writer reads its own write next time.

        If the cache is down, the stale value expires within the TTL.
        """
        try:
            @await@open_cache().delete(key)
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
