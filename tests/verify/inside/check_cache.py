"""The cache serves hits, is invalidated on write, and degrades to the database when the
cache is down or stalled, within the cache's timeout."""

from __future__ import annotations

import contextlib
import importlib
import inspect
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import app.cache as cache
import app.settings
from verify_support import PLAN, call

REDIS = hasattr(cache, "redis")


def loader(value: dict[str, Any], counter: list[int]) -> Any:
    if inspect.iscoroutinefunction(cache.cached):

        async def load() -> dict[str, Any]:
            counter.append(1)
            return value
    else:

        def load() -> dict[str, Any]:
            counter.append(1)
            return value

    return load


def reload_with(**env: str) -> Any:
    os.environ.update(env)
    importlib.reload(app.settings)
    return importlib.reload(cache)


def test_a_second_read_is_a_hit_and_a_write_invalidates_it() -> None:
    mod = reload_with()
    key, loads = f"order:{uuid.uuid4()}", []
    assert call(mod.cached, key, loader({"v": 1}, loads)) == {"v": 1}
    assert call(mod.cached, key, loader({"v": 1}, loads)) == {"v": 1}
    assert len(loads) == 1, "the second read did not come from the cache"
    call(mod.invalidate, key)  # after the write commits
    assert call(mod.cached, key, loader({"v": 2}, loads)) == {"v": 2}, "read-your-writes"
    assert len(loads) == 2


def test_the_client_is_built_without_warnings() -> None:
    """Under ``-W error`` (as CI runs): an asyncio client given the sync ``redis.retry.Retry``
    warns (an error here); it needs ``redis.asyncio.retry.Retry``."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reload_with()


def test_settings_are_what_the_cache_uses() -> None:
    mod = reload_with()
    assert mod.settings.cache_ttl_s == PLAN["cache_ttl_s"]
    if REDIS:
        kwargs = mod.redis.connection_pool.connection_kwargs
        assert kwargs["socket_timeout"] == mod.settings.cache_timeout_s
    else:
        assert mod._cache.ttl == mod.settings.cache_ttl_s


@contextlib.contextmanager
def stalled_server() -> Iterator[int]:
    """A socket that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            with contextlib.suppress(OSError):
                conn, _ = server.accept()
                held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        server.close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_cache_outage_degrades_to_the_database() -> None:
    if not REDIS:
        return
    mod = reload_with(APP_REDIS_URL=f"redis://127.0.0.1:{closed_port()}/0")
    loads: list[int] = []
    assert call(mod.cached, "k", loader({"v": 1}, loads)) == {"v": 1}
    call(mod.invalidate, "k")  # does not raise either
    assert len(loads) == 1


def test_a_stalled_cache_costs_at_most_its_timeout_then_is_skipped() -> None:
    if not REDIS:
        return
    with stalled_server() as port:
        mod = reload_with(APP_REDIS_URL=f"redis://127.0.0.1:{port}/0")
        timeout = mod.settings.cache_timeout_s
        loads: list[int] = []
        started = time.monotonic()
        assert call(mod.cached, "k", loader({"v": 1}, loads)) == {"v": 1}
        first = time.monotonic() - started
        started = time.monotonic()
        assert call(mod.cached, "k", loader({"v": 1}, loads)) == {"v": 1}
        second = time.monotonic() - started
    # one connect plus one read can each take the timeout; hidden client retries would not fit
    assert first < 3 * timeout + 0.25, f"a stalled cache held the request {first:.3f} s"
    assert second < timeout, "the cache was not skipped after it stalled"
    reload_with(APP_REDIS_URL=os.environ["VERIFY_REDIS_URL"])
