"""Unit tests of ``pyt_arch_kit/planning/``, one file per module.

Each threshold is tested on both sides of its boundary and each derived figure by value, with
the expected numbers worked out by hand in the test (not copied from the code's output), so
that a refactor of the planner that changes behaviour fails here.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pyt_arch_kit.planning.model import (
    CapacityPlan,
    ConcurrencyModel,
    ConcurrencyPlan,
    DatabasePlan,
)
from pyt_arch_kit.requirements import Requirements


def req(**sections: Any) -> Requirements:
    """Requirements from keyword sections, e.g. ``req(scale={"peak_rps": 10})``."""
    return Requirements.parse(dict(sections))


def resolved(**sections: Any) -> Requirements:
    """The same, with every unset field filled by its assumption (what the planner sees)."""
    return req(**sections).resolved()[0]


_CAP = CapacityPlan(
    in_flight=10.0,
    busy_cores=1.0,
    target_utilisation=0.66,
    cores=8,
    instances=2,
    cores_per_instance=4,
    utilisation=0.125,
    service_ms=50.0,
    p50_ms=40.0,
    p99_ms=200.0,
    queue_wait_p99_ms=0.0,
    wait_probability=0.0,
    meets_p99=True,
    headroom_rps=100.0,
    fanout_slow_probability=0.0,
)


def capacity(**changes: Any) -> CapacityPlan:
    """A capacity plan with these fields changed (the rest are plausible and fixed)."""
    return replace(_CAP, **changes)


def concurrency(
    model: ConcurrencyModel = ConcurrencyModel.ASYNCIO, workers: int = 4, threads: int = 1
) -> ConcurrencyPlan:
    """A concurrency plan with this model and worker count."""
    return ConcurrencyPlan(
        model=model,
        framework="FastAPI",
        server="uvicorn",
        workers_per_instance=workers,
        worker_class="uvicorn",
        process_pool_workers=0,
        threads_per_worker=threads,
        in_flight_per_worker=1.0,
        why="",
    )


_DB = DatabasePlan(
    engine="postgresql",
    driver="asyncpg via SQLAlchemy 2.0 (async)",
    pool_size=2,
    max_overflow=1,
    total_connections=60,
    connection_limit=100,
    reserved_connections=10,
    pgbouncer=False,
    db_busy_connections=5.0,
    isolation="READ COMMITTED (the PostgreSQL default)",
    transaction_boundaries="",
    read_replicas=0,
    cache="none",
    cache_ttl_s=0.0,
    idempotency_keys=False,
    outbox=False,
    useful_connections=17,
    db_cores=8,
)


def database(**changes: Any) -> DatabasePlan:
    """A database plan with these fields changed (usable connections 100 − 10 = 90)."""
    return replace(_DB, **changes)
