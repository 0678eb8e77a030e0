"""Settings are what the engine uses, and all the plan's processes together never open more
connections than the plan's total (counted by the database itself)."""

from __future__ import annotations

import functools
import inspect
import os
from typing import Any

import app.db as db
from verify_support import PLAN, call, gather


def test_the_defaults_are_the_plans_numbers() -> None:
    settings = db.settings
    assert (settings.pool_size, settings.max_overflow) == (PLAN["pool_size"], PLAN["max_overflow"])


def test_the_engine_uses_the_settings() -> None:
    engine = db.make_engine()
    try:
        pool: Any = engine.pool
        assert pool.size() == db.settings.pool_size
        assert pool._max_overflow == db.settings.max_overflow
        assert pool._timeout == db.settings.pool_timeout_s
    finally:
        call(engine.dispose)


def _count_sql(dialect: str) -> str:
    if dialect == "postgresql":
        return (
            "SELECT COUNT(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    return (
        "SELECT COUNT(*) FROM information_schema.processlist "
        "WHERE db = DATABASE() AND id <> CONNECTION_ID()"
    )


def test_every_process_at_full_burst_stays_within_the_total() -> None:
    """One engine per process of the plan, each asked for two more connections than it may
    open at once; the database counts the connections while they are all held."""
    from sqlalchemy import text

    engines = [db.make_engine() for _ in range(PLAN["processes"])]
    per_process = PLAN["pool_size"] + PLAN["max_overflow"]
    holder = db.make_engine()  # the counting connection
    count = text(_count_sql(PLAN["dialect"]))
    hold_s = max(2.0, 2 * db.settings.pool_timeout_s)
    pause = "pg_sleep" if PLAN["dialect"] == "postgresql" else "SLEEP"
    sleep = text(f"SELECT {pause}({hold_s})")
    counted: list[int] = []

    if inspect.iscoroutinefunction(engines[0].dispose):
        import asyncio

        async def hold(engine: Any) -> None:
            async with engine.connect() as conn:
                await conn.execute(sleep)

        async def sample() -> None:
            for _ in range(3):
                await asyncio.sleep(hold_s / 4)
                async with holder.connect() as conn:
                    counted.append(int((await conn.execute(count)).scalar()))
    else:
        import time

        def hold(engine: Any) -> None:
            with engine.connect() as conn:
                conn.execute(sleep)

        def sample() -> None:
            for _ in range(3):
                time.sleep(hold_s / 4)
                with holder.connect() as conn:
                    counted.append(int(conn.execute(count).scalar()))

    try:
        calls = [
            functools.partial(hold, engine) for engine in engines for _ in range(per_process + 2)
        ]
        results = gather([*calls, sample])
        errors = [r for r in results if isinstance(r, Exception)]
        other = [r for r in errors if type(r).__name__ != "TimeoutError"]
        assert not other, other[:3]
        assert len(errors) == 2 * len(engines), "a pool opened more than its size + overflow"
        assert counted and max(counted) <= PLAN["total"], (
            f"{counted} connections open > the plan's total {PLAN['total']}"
        )
        assert max(counted) >= PLAN["total"] - 1, f"the burst did not fill the pools: {counted}"
    finally:
        for engine in engines:
            call(engine.dispose)
        call(holder.dispose)
    assert os.environ["APP_DATABASE_URL"]
