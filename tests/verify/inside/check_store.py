"""Redis as the store: the client's pool is the plan's size, a write reads back, and a burst
past the pool waits for the pool timeout and then fails instead of opening more connections."""

from __future__ import annotations

import time
import uuid
from typing import Any

import app.db as db
from verify_support import PLAN, call


def _close(client: Any) -> None:
    call(client.aclose if hasattr(client, "aclose") else client.close)


def _take(pool: Any) -> Any:
    try:
        return call(pool.get_connection)
    except TypeError:  # redis-py 5 wants a command name
        return call(pool.get_connection, "PING")


def test_the_default_pool_is_the_plans() -> None:
    assert db.settings.max_pool_size == PLAN["pool_size"] + PLAN["max_overflow"]
    client = db.make_client()
    try:
        assert client.connection_pool.max_connections == db.settings.max_pool_size
    finally:
        _close(client)


def test_a_write_reads_back() -> None:
    client = db.make_client()
    key = f"verify:{uuid.uuid4()}"
    try:
        assert call(client.set, key, "1", ex=60)
        assert call(client.get, key) == b"1"
        assert call(client.delete, key) == 1
    finally:
        _close(client)


def test_a_burst_past_the_pool_waits_then_fails_without_new_connections() -> None:
    """Every connection of the pool taken: one more waits ``pool_timeout_s`` and fails, and
    the server sees no more connections than the pool holds."""
    client = db.make_client()
    pool = client.connection_pool
    size = db.settings.max_pool_size
    held = [_take(pool) for _ in range(size)]
    try:
        for conn in held:
            call(conn.send_command, "PING")
            assert call(conn.read_response) in (b"PONG", "PONG", True)
        start = time.monotonic()
        try:
            _take(pool)
        except Exception as exc:  # redis.exceptions.ConnectionError: No connection available
            assert "connection" in str(exc).lower()
        else:
            raise AssertionError(f"the pool opened connection {size + 1} of {size}")
        assert time.monotonic() - start >= db.settings.pool_timeout_s * 0.9
    finally:
        for conn in held:
            call(pool.release, conn)
        _close(client)


def _local_port(conn: Any) -> int:
    sock = getattr(conn, "_sock", None)
    if sock is not None:
        return int(sock.getsockname()[1])
    return int(conn._writer.get_extra_info("sockname")[1])


def test_closing_the_client_closes_its_pools_connections() -> None:
    """Shutdown (the app's lifespan, a worker exit) closes the client: the server must see
    its connections go, not keep them until its idle timeout."""
    import redis

    client = db.make_client()
    held = [_take(client.connection_pool) for _ in range(min(2, db.settings.max_pool_size))]
    for conn in held:
        call(conn.send_command, "PING")
        call(conn.read_response)
    ports = {_local_port(conn) for conn in held}
    for conn in held:
        call(client.connection_pool.release, conn)
    _close(client)
    admin = redis.Redis.from_url(db.settings.database_url.get_secret_value())
    try:
        deadline = time.monotonic() + 5
        while True:
            listed = admin.client_list()
            open_ports = {int(c["addr"].rsplit(":", 1)[1]) for c in listed}
            if not ports & open_ports or time.monotonic() > deadline:
                break
            time.sleep(0.05)
    finally:
        admin.close()
    assert not ports & open_ports, "closing the client left its pool's connections open"
