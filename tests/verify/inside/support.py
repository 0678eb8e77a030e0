"""Shared by the checks that run inside a design's venv (copied next to them as
``verify_support.py``): the plan's numbers, and one way to call sync or async code."""

from __future__ import annotations

import asyncio
import inspect
import json
import os
from collections.abc import Callable
from typing import Any

PLAN: dict[str, Any] = json.loads(os.environ["VERIFY_PLAN"])
_loop = asyncio.new_event_loop()


def call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call ``fn``; if it is a coroutine function, run it on the one event loop of this run."""
    result = fn(*args, **kwargs)
    if inspect.isawaitable(result):
        return _loop.run_until_complete(result)
    return result


def gather(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls concurrently (tasks on the loop, or threads for sync code); results or
    the exceptions they raised."""
    if calls and inspect.iscoroutinefunction(getattr(calls[0], "func", calls[0])):

        async def all_() -> list[Any]:
            return list(await asyncio.gather(*(c() for c in calls), return_exceptions=True))

        return _loop.run_until_complete(all_())
    from concurrent.futures import ThreadPoolExecutor

    def safe(c: Callable[[], Any]) -> Any:
        try:
            return c()
        except Exception as exc:
            return exc

    with ThreadPoolExecutor(max_workers=len(calls) or 1) as pool:
        return list(pool.map(safe, calls))


def sql(engine: Any, statement: str, params: dict[str, Any] | None = None) -> list[Any]:
    """Rows of one statement on the engine (sync or async), in its own transaction."""
    from sqlalchemy import text

    if inspect.iscoroutinefunction(getattr(engine, "dispose", None)):

        async def run() -> list[Any]:
            async with engine.begin() as conn:
                result = await conn.execute(text(statement), params or {})
                return list(result.all()) if result.returns_rows else []

        return _loop.run_until_complete(run())
    with engine.begin() as conn:
        result = conn.execute(text(statement), params or {})
        return list(result.all()) if result.returns_rows else []


def dispose(engine: Any) -> None:
    call(engine.dispose)
