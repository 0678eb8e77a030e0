"""The baseline's app/retries.py, beside a design's own files: with_retries (asyncio) and
with_retries_sync retry the transient errors of the clients this stack installs, only for
idempotent calls, within the design's deadline and the retry budget."""

from __future__ import annotations

import importlib.util
import os
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import app.retries as retries
import pytest
from verify_support import call

#: Both entry points, each tested: asyncio workers call one, sync workers the other.
FLAVOURS = {"async": retries.with_retries, "sync": retries.with_retries_sync}
SQL_URL = os.environ.get("APP_DATABASE_URL", "").startswith(("postgresql", "mysql"))


def installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


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


# the clients this design's stack installs (its venv is the stack's): each one's real error
PRODUCERS: dict[str, Callable[[], BaseException]] = {}
if installed("httpx"):
    PRODUCERS["httpx"] = httpx_error
if installed("redis"):
    PRODUCERS["redis"] = redis_error
if installed("sqlalchemy") and SQL_URL:
    PRODUCERS["sqlalchemy"] = sqlalchemy_error
if installed("pymongo"):
    PRODUCERS["pymongo"] = pymongo_error


def flaky(
    errors: list[BaseException], attempts: list[float], is_async: bool, value: str = "ok"
) -> Any:
    """A call that raises the given errors in turn, then returns ``value``."""

    def step() -> str:
        attempts.append(time.monotonic())
        if len(attempts) <= len(errors):
            raise errors[len(attempts) - 1]
        return value

    if is_async:

        async def call_async() -> str:
            return step()

        return call_async
    return step


@pytest.fixture(autouse=True)
def fresh_budget() -> None:
    retries.budget = retries.RetryBudget()


@pytest.fixture(params=sorted(FLAVOURS))
def flavour(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_the_stacks_clients_are_known() -> None:
    assert "httpx" in PRODUCERS, "every service's stack has httpx (the baseline's libraries)"


@pytest.mark.parametrize("library", sorted(PRODUCERS))
def test_a_transient_error_of_the_library_is_retried(library: str, flavour: str) -> None:
    error = PRODUCERS[library]()
    assert isinstance(error, retries.TRANSIENT), f"{type(error)} is not treated as transient"
    attempts: list[float] = []
    retried = FLAVOURS[flavour]
    assert call(retried, flaky([error], attempts, flavour == "async"), idempotent=True) == "ok"
    assert len(attempts) == 2


def test_a_non_idempotent_call_is_never_retried(flavour: str) -> None:
    attempts: list[float] = []
    twice = flaky([ConnectionResetError()] * 2, attempts, flavour == "async")
    with pytest.raises(ConnectionError):
        call(FLAVOURS[flavour], twice, idempotent=False)
    assert len(attempts) == 1


def test_retries_give_up_within_the_deadline(flavour: str) -> None:
    attempts: list[float] = []
    deadline = retries.settings.request_deadline_s
    started = time.monotonic()
    with pytest.raises(ConnectionError):
        always = flaky([ConnectionResetError()] * 1000, attempts, flavour == "async")
        call(FLAVOURS[flavour], always, idempotent=True)
    assert attempts[-1] - started < deadline, "an attempt started after the deadline"
    assert 2 <= len(attempts) < 1000


def test_a_slow_attempt_is_cut_at_the_attempt_timeout() -> None:
    """asyncio workers only: a sync call cannot be cut (the client's own timeout does it)."""
    import asyncio

    async def hang() -> str:
        await asyncio.sleep(30)
        return "late"

    started = time.monotonic()
    with pytest.raises(TimeoutError):
        call(retries.with_retries, hang, idempotent=True)
    assert time.monotonic() - started < retries.settings.request_deadline_s + 0.1


def test_the_retry_budget_caps_retries_at_a_tenth_of_calls(flavour: str) -> None:
    retries.budget = retries.RetryBudget(ratio=0.1, burst=1.0)
    retried = 0
    for _ in range(50):
        attempts: list[float] = []
        with pytest.raises(ConnectionError):
            failing = flaky([ConnectionResetError()] * 9, attempts, flavour == "async")
            call(FLAVOURS[flavour], failing, idempotent=True)
        retried += len(attempts) - 1
    assert retried <= 1 + 0.1 * 50, f"{retried} retries for 50 calls"


def test_a_database_connection_killed_mid_call_is_retried() -> None:
    """A failover or a killed backend closes the connection in the middle of a query: asyncpg
    raises a bare DBAPIError ("connection was closed in the middle of operation"), psycopg an
    OperationalError. An idempotent call rides it out on a fresh connection."""
    if not os.environ.get("APP_DATABASE_URL", "").startswith("postgresql"):
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

    is_async = "AsyncEngine" in Path(sys.modules["app.db"].__file__ or "").read_text()
    if is_async:

        async def query() -> str:
            async with engine.connect() as conn:
                return str((await conn.execute(text(statement()))).scalar_one())
    else:

        def query() -> str:
            with engine.connect() as conn:
                return str(conn.execute(text(statement())).scalar_one())

    try:
        # the fresh connection may take longer than one attempt's budget on a loaded machine
        roomy = {"attempt_timeout_s": 2.0} if is_async else {}
        retried = retries.with_retries if is_async else retries.with_retries_sync
        assert call(retried, query, idempotent=True, deadline_s=5.0, **roomy) == "ok"
    finally:
        call(engine.dispose)
    assert len(attempts) == 2
