"""with_retries retries the transient errors of the libraries this stack uses, only for
idempotent calls, within the deadline and the retry budget."""

from __future__ import annotations

import inspect
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import app.retries as retries
import pytest
from verify_support import call

SOURCE = Path(retries.__file__).read_text()
ASYNC = inspect.iscoroutinefunction(retries.with_retries)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def httpx_error() -> BaseException:
    import httpx

    try:
        httpx.get(f"http://127.0.0.1:{closed_port()}/", timeout=0.5)
    except httpx.HTTPError as exc:
        return exc
    raise AssertionError("no error")


def redis_error() -> BaseException:
    import redis

    try:
        redis.Redis(port=closed_port(), socket_connect_timeout=0.2).get("k")
    except redis.exceptions.RedisError as exc:
        return exc
    raise AssertionError("no error")


def sqlalchemy_error() -> BaseException:
    """What the design's own driver raises through SQLAlchemy when the database is down."""
    import os

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    url = make_url(os.environ["APP_DATABASE_URL"]).set(port=closed_port())
    if url.get_driver_name() in ("asyncpg", "asyncmy"):

        async def connect() -> None:
            engine = create_async_engine(url)
            try:
                async with engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
            finally:
                await engine.dispose()

        try:
            call(connect)
        except Exception as exc:
            return exc
    else:
        try:
            with create_engine(url).connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:
            return exc
    raise AssertionError("no error")


def pymongo_error() -> BaseException:
    import pymongo

    try:
        pymongo.MongoClient(
            f"mongodb://127.0.0.1:{closed_port()}/", serverSelectionTimeoutMS=100
        ).admin.command("ping")
    except pymongo.errors.PyMongoError as exc:
        return exc
    raise AssertionError("no error")


PRODUCERS: dict[str, Callable[[], BaseException]] = {"httpx": httpx_error}
if "import redis" in SOURCE:
    PRODUCERS["redis"] = redis_error
if "import sqlalchemy" in SOURCE:
    PRODUCERS["sqlalchemy"] = sqlalchemy_error
if "import pymongo" in SOURCE:
    PRODUCERS["pymongo"] = pymongo_error


def flaky(errors: list[BaseException], attempts: list[float], value: str = "ok") -> Any:
    """A call that raises the given errors in turn, then returns ``value``."""

    def step() -> str:
        attempts.append(time.monotonic())
        if len(attempts) <= len(errors):
            raise errors[len(attempts) - 1]
        return value

    if ASYNC:

        async def call_async() -> str:
            return step()

        return call_async
    return step


@pytest.fixture(autouse=True)
def fresh_budget() -> None:
    retries.budget = retries.RetryBudget()


@pytest.mark.parametrize("library", sorted(PRODUCERS))
def test_a_transient_error_of_the_library_is_retried(library: str) -> None:
    error = PRODUCERS[library]()
    assert isinstance(error, retries.TRANSIENT), f"{type(error)} is not treated as transient"
    attempts: list[float] = []
    assert call(retries.with_retries, flaky([error], attempts), idempotent=True) == "ok"
    assert len(attempts) == 2


def test_a_non_idempotent_call_is_never_retried() -> None:
    attempts: list[float] = []
    with pytest.raises(ConnectionError):
        call(retries.with_retries, flaky([ConnectionResetError()] * 2, attempts), idempotent=False)
    assert len(attempts) == 1


def test_retries_give_up_within_the_deadline() -> None:
    attempts: list[float] = []
    deadline = retries.settings.request_deadline_s
    started = time.monotonic()
    with pytest.raises(ConnectionError):
        always = flaky([ConnectionResetError()] * 1000, attempts)
        call(retries.with_retries, always, idempotent=True)
    assert attempts[-1] - started < deadline, "an attempt started after the deadline"
    assert 2 <= len(attempts) < 1000


def test_a_slow_attempt_is_cut_at_the_attempt_timeout() -> None:
    if not ASYNC:
        pytest.skip("a sync call cannot be cut: the client's own timeout does it (see docstring)")
    import asyncio

    async def hang() -> str:
        await asyncio.sleep(30)
        return "late"

    started = time.monotonic()
    with pytest.raises(TimeoutError):
        call(retries.with_retries, hang, idempotent=True)
    assert time.monotonic() - started < retries.settings.request_deadline_s + 0.1


def test_the_retry_budget_caps_retries_at_a_tenth_of_calls() -> None:
    retries.budget = retries.RetryBudget(ratio=0.1, burst=1.0)
    retried = 0
    for _ in range(50):
        attempts: list[float] = []
        with pytest.raises(ConnectionError):
            failing = flaky([ConnectionResetError()] * 9, attempts)
            call(retries.with_retries, failing, idempotent=True)
        retried += len(attempts) - 1
    assert retried <= 1 + 0.1 * 50, f"{retried} retries for 50 calls"


def test_a_database_connection_killed_mid_call_is_retried() -> None:
    """A failover or a killed backend closes the connection in the middle of a query: asyncpg
    raises a bare DBAPIError ("connection was closed in the middle of operation"), psycopg an
    OperationalError. An idempotent call rides it out on a fresh connection."""
    import os

    if "import sqlalchemy" not in SOURCE or not os.environ["APP_DATABASE_URL"].startswith(
        "postgresql"
    ):
        pytest.skip("PostgreSQL designs: pg_terminate_backend ends the call's own backend")
    from app.db import make_engine
    from sqlalchemy import text

    engine = make_engine()
    attempts: list[str] = []

    def statement() -> str:
        attempts.append("x")  # the first attempt kills its own backend mid-statement
        return (
            "SELECT pg_terminate_backend(pg_backend_pid())"
            if len(attempts) == 1
            else ("SELECT 'ok'")
        )

    if ASYNC:

        async def query() -> str:
            async with engine.connect() as conn:
                return str((await conn.execute(text(statement()))).scalar_one())
    else:

        def query() -> str:
            with engine.connect() as conn:
                return str(conn.execute(text(statement())).scalar_one())

    try:
        assert call(retries.with_retries, query, idempotent=True, deadline_s=5.0) == "ok"
    finally:
        call(engine.dispose)
    assert len(attempts) == 2
