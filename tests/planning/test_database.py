"""planning/database.py: pools within the connection limit, replicas, cache, isolation, drivers.

``plan_database`` is called with a fixed capacity and concurrency plan, so every number below is
worked out by hand from the requirements and those two plans.
"""

from __future__ import annotations

from typing import Any

import pytest

from pyt_arch_kit import plan
from pyt_arch_kit.planning.database import (
    _fit,
    limit_for,
    plan_database,
    prepared_statements_fix,
    read_your_writes,
    reserved_for,
)
from pyt_arch_kit.planning.model import Cache, ConcurrencyModel, DatabasePlan, Driver
from pyt_arch_kit.writer import write_design
from tests.planning import capacity, concurrency, req, resolved

M = ConcurrencyModel


def db_plan(
    *,
    instances: int = 5,
    workers: int = 4,
    model: ConcurrencyModel = M.ASYNCIO,
    threads: int = 1,
    redundant: bool = False,
    **sections: Any,
) -> DatabasePlan:
    r = resolved(**sections)
    cap = capacity(instances=instances, redundancy_required=redundant)
    db, _, _ = plan_database(r, cap, concurrency(model, workers, threads))
    assert db is not None
    return db


def figures_and_decisions(**sections: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    r = resolved(**sections)
    _, figs, decs = plan_database(r, capacity(instances=5), concurrency(M.ASYNCIO, 4))
    return {f.key: f for f in figs}, {d.topic: d for d in decs}


#: A measured hit ratio of 0 keeps the cache from taking load off the database, so the
#: worked examples size for every call (the cache's own sizing: tests/planning/test_cache.py).
NO_HITS = {"cache_hit_ratio": 0.0}
BASE: dict[str, Any] = {
    "scale": {"peak_rps": 2000, "read_ratio": 0.9},
    "workload": {"db_calls_per_request": 2, "db_ms_per_call": 5, **NO_HITS},
    "infrastructure": {"db_max_connections": 100},
}


def with_(base: dict[str, Any], **sections: dict[str, Any]) -> dict[str, Any]:
    out = {k: dict(v) for k, v in base.items()}
    for k, v in sections.items():
        out.setdefault(k, {}).update(v)
    return out


# -- pools ------------------------------------------------------------------------------------


def test_async_pool_worked_example() -> None:
    """2,000 req/s × 2 calls × 5 ms = 20 busy connections over 5 × 4 = 20 event loops: 1 each.
    pool = max(2, ⌈2 × 1⌉) = 2, overflow = 2 // 2 = 1. limit 100: reserved = max(3, ⌈10⌉) = 10,
    usable 90, 90 // 20 = 4 per process ≥ 3, so it fits: 20 × 3 = 60 ≤ 90, no PgBouncer.
    db cores: the smallest power of two with 2 × cores ≥ 20 is 16: 2 × 16 = 32 connections
    served well (the low end of the PostgreSQL wiki's 2–10 × cores)."""
    db = db_plan(**BASE)
    assert (db.pool_size, db.max_overflow, db.total_connections) == (2, 1, 60)
    assert (db.connection_limit, db.reserved_connections) == (100, 10)
    assert db.db_busy_connections == pytest.approx(20.0)
    assert not db.pgbouncer
    assert (db.db_cores, db.useful_connections) == (16, 32)


@pytest.mark.parametrize(
    ("db_ms", "pool", "overflow"),
    [
        (5.0, 2, 1),  # 1.0 busy per loop → ⌈2.0⌉ = 2
        (5.05, 3, 1),  # 1.01 busy → ⌈2.02⌉ = 3, overflow 3 // 2 = 1
        (7.5, 3, 1),  # 1.5 busy → ⌈3.0⌉ = 3
        (10.0, 4, 2),  # 2.0 busy → 4 + 2 = 6 > 90 // 20 = 4 per process: shrunk to 4 + 0
        (1.0, 2, 1),  # 0.2 busy → ⌈0.4⌉ = 1, but never below 2
    ],
)
def test_async_pool_is_twice_the_busy_connections_per_loop(
    db_ms: float, pool: int, overflow: int
) -> None:
    db = db_plan(**with_(BASE, workload={"db_ms_per_call": db_ms}))
    if pool + overflow <= 90 // 20:
        assert (db.pool_size, db.max_overflow) == (pool, overflow)
    else:  # 4 connections per process fit: overflow gives way first
        assert (db.pool_size, db.max_overflow) == (pool, 4 - pool)


def test_total_connections_counts_the_overflow_of_every_process() -> None:
    """1,000 req/s × 3 calls × 10 ms = 30 busy over 3 × 2 = 6 loops = 5 each → pool 10,
    overflow 5; limit 1,000: reserved 100, usable 900 // 6 = 150 fit. 6 × 15 = 90."""
    db = db_plan(
        instances=3,
        workers=2,
        scale={"peak_rps": 1000},
        workload={"db_calls_per_request": 3, "db_ms_per_call": 10},
        infrastructure={"db_max_connections": 1000},
    )
    assert (db.pool_size, db.max_overflow) == (10, 5)
    assert db.total_connections == 90
    assert db.reserved_connections == 100


@pytest.mark.parametrize(
    ("model", "threads", "pool", "overflow"),
    [
        (M.SYNC, 1, 1, 0),  # one request at a time per worker: 1, overflow 1 // 2 = 0
        (M.PROCESSES, 1, 1, 0),
        (M.THREADS, 6, 6, 3),  # one per thread, overflow half again
        (M.HYBRID, 1, 2, 1),  # like an event loop
    ],
)
def test_pool_per_concurrency_model(
    model: ConcurrencyModel, threads: int, pool: int, overflow: int
) -> None:
    db = db_plan(
        model=model, threads=threads, **with_(BASE, infrastructure={"db_max_connections": 1000})
    )
    assert (db.pool_size, db.max_overflow) == (pool, overflow)
    assert db.total_connections == 20 * (pool + overflow)


@pytest.mark.parametrize(
    ("pool", "overflow", "per_process", "fitted"),
    [
        (2, 1, 4, (2, 1)),
        (2, 1, 3, (2, 1)),  # exactly fits
        (4, 2, 5, (4, 1)),  # overflow gives way first
        (4, 2, 4, (4, 0)),
        (4, 2, 3, (3, 0)),  # then the pool
        (4, 2, 0, (1, 0)),  # never below one connection
    ],
)
def test_fit_shrinks_overflow_first_then_the_pool(
    pool: int, overflow: int, per_process: int, fitted: tuple[int, int]
) -> None:
    assert _fit(pool, overflow, per_process) == fitted


@pytest.mark.parametrize(
    ("limit", "reserved"),
    [(100, 10), (200, 20), (31, 4), (30, 3), (25, 3), (20, 3), (4, 3), (3, 2), (1, 0)],
)
def test_reserved_connections_are_ten_percent_at_least_three_leaving_one(
    limit: int, reserved: int
) -> None:
    """reserved = min(max(3, ⌈limit / 10⌉), limit − 1)."""
    db = db_plan(model=M.SYNC, **with_(BASE, infrastructure={"db_max_connections": limit}))
    assert db.reserved_connections == reserved


def test_pgbouncer_only_once_one_connection_per_process_no_longer_fits() -> None:
    """limit 23: reserved 3, usable 20. 20 sync processes × 1 = 20 ≤ 20: no PgBouncer;
    21 processes × 1 = 21 > 20: PgBouncer."""
    pg = {"infrastructure": {"db_max_connections": 23}}
    fits = db_plan(instances=4, workers=5, model=M.SYNC, **with_(BASE, **pg))
    over = db_plan(instances=3, workers=7, model=M.SYNC, **with_(BASE, **pg))
    assert (fits.total_connections, fits.pgbouncer) == (20, False)
    assert (over.total_connections, over.pgbouncer) == (21, True)
    assert (over.pool_size, over.max_overflow) == (1, 0)


@pytest.mark.parametrize(
    ("db_ms", "cores"),
    [(4.0, 2), (4.004, 4), (8.0, 4), (8.008, 8), (16.0, 8), (100.0, 64), (1000.0, 512)],
)
def test_database_size_is_the_smallest_with_two_connections_per_busy_core(
    db_ms: float, cores: int
) -> None:
    """1,000 req/s × 1 call × db_ms: busy = db_ms connections; the smallest power of two ≥ 2
    vCPU with 2 × cores ≥ busy, with no ceiling; useful connections = 2 × cores."""
    db = db_plan(
        scale={"peak_rps": 1000},
        workload={"db_calls_per_request": 1, "db_ms_per_call": db_ms, **NO_HITS},
    )
    assert db.db_busy_connections == pytest.approx(db_ms)
    assert (db.db_cores, db.useful_connections) == (cores, 2 * cores)


# -- replicas and cache ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("peak", "replicas"),
    [
        (3000, 0),  # 3,000 reads/s: the primary serves them
        (3001, 1),  # ⌈3,001 / 3,000⌉ − 1 = 1
        (6000, 1),  # ⌈2⌉ − 1 = 1
        (6001, 2),
        (18000, 5),
        (18001, 5),  # ⌈6.0003⌉ − 1 = 6, capped at 5
        (90000, 5),
    ],
)
def test_read_replicas_count(peak: float, replicas: int) -> None:
    db = db_plan(
        scale={"peak_rps": peak, "read_ratio": 1.0},
        consistency={"priority": "balanced", "stale_read_tolerance_s": 5},
        workload=NO_HITS,
    )
    assert db.read_replicas == replicas


@pytest.mark.parametrize(
    ("consistency", "replicas"),
    [
        ({"priority": "balanced", "stale_read_tolerance_s": 1}, 2),
        ({"priority": "balanced", "stale_read_tolerance_s": 0.99}, 0),  # no staleness allowed
        ({"priority": "availability", "stale_read_tolerance_s": 1}, 2),
        ({"priority": "strong"}, 0),
    ],
)
def test_replicas_need_staleness_and_no_strong_consistency(
    consistency: dict[str, Any], replicas: int
) -> None:
    db = db_plan(scale={"peak_rps": 9000, "read_ratio": 1.0}, consistency=consistency)
    assert db.read_replicas == replicas


def test_read_replica_figure_and_decision_state_the_count() -> None:
    r = resolved(
        scale={"peak_rps": 10000, "read_ratio": 0.9},
        consistency={"priority": "balanced", "stale_read_tolerance_s": 2},
        workload=NO_HITS,
    )
    _, figs, decs = plan_database(r, capacity(instances=5), concurrency())
    fig = next(f for f in figs if f.key == "read_replicas")
    assert fig.value == 2  # ⌈9,000 / 3,000⌉ − 1
    assert dict(fig.inputs)["read req/s reaching the database"] == pytest.approx(9000.0)
    dec = next(d for d in decs if d.topic == "read replicas")
    assert dec.choice == "2 asynchronous read replica(s)"
    assert "9,000 reads/s" in dec.why and "2 s" in dec.why
    without = plan_database(resolved(scale={"peak_rps": 100}), capacity(), concurrency())
    assert "read_replicas" not in {f.key for f in without[1]}
    assert "read replicas" not in {d.topic for d in without[2]}


@pytest.mark.parametrize(
    ("peak", "ratio", "stale", "cache", "ttl"),
    [
        (200, 0.7, 1, "Redis, cache-aside", 1.0),
        (200, 0.7, 500, "Redis, cache-aside", 300.0),  # TTL capped at 5 minutes
        (199.9, 0.7, 30, "in-process TTL cache (cachetools)", 30.0),
        (199.9, 0.7, 500, "in-process TTL cache (cachetools)", 60.0),  # capped at a minute
        (0.1, 0.7, 30, "in-process TTL cache (cachetools)", 30.0),
        (0.0, 0.7, 30, "none", 0.0),  # no requests, nothing to cache
        (200, 0.69, 30, "none", 0.0),  # not read-heavy enough
        (200, 0.9, 0.99, "none", 0.0),  # no staleness allowed
    ],
)
def test_cache_choice_thresholds(
    peak: float, ratio: float, stale: float, cache: str, ttl: float
) -> None:
    db = db_plan(  # a measured hit ratio: the thresholds alone decide
        scale={"peak_rps": peak, "read_ratio": ratio},
        consistency={"priority": "balanced", "stale_read_tolerance_s": stale},
        workload={"cache_hit_ratio": 0.9},
    )
    assert (db.cache, db.cache_ttl_s) == (cache, ttl)


def test_a_cache_the_model_says_rarely_hits_is_left_out_until_measured() -> None:
    db = db_plan(
        scale={"peak_rps": 2000, "read_ratio": 0.9},
        consistency={"priority": "balanced", "stale_read_tolerance_s": 5},
    )
    assert db.cache is Cache.MEASURE_FIRST and db.cache_ttl_s == 0
    assert db.db_queries_per_s == db.db_queries_per_s_without_cache


def test_strong_consistency_caches_no_mutable_data() -> None:
    db = db_plan(scale={"peak_rps": 5000, "read_ratio": 0.95}, consistency={"priority": "strong"})
    assert (db.cache, db.cache_ttl_s) == ("none for mutable data (reads go to the primary)", 0.0)


def test_a_batch_job_has_no_cache_and_no_replicas() -> None:
    db = db_plan(
        interface="batch",
        scale={"peak_rps": 9000, "read_ratio": 1.0},
        consistency={"priority": "balanced", "stale_read_tolerance_s": 30},
        infrastructure={"database": "postgresql"},  # a batch job names its database
    )
    assert (db.cache, db.cache_ttl_s, db.read_replicas) == ("none", 0.0, 0)


# -- idempotency, outbox, isolation, drivers, data safety -----------------------------------


@pytest.mark.parametrize(
    ("sections", "keys"),
    [
        ({"scale": {"read_ratio": 0.5}}, False),
        ({"scale": {"read_ratio": 0.49}}, True),  # write-heavy: retried writes must apply once
        ({"scale": {"read_ratio": 0.9}, "consistency": {"priority": "strong"}}, True),
        ({"scale": {"read_ratio": 0.9}, "interface": "events"}, True),  # events go via a broker
    ],
)
def test_idempotency_keys(sections: dict[str, Any], keys: bool) -> None:
    assert db_plan(**sections).idempotency_keys is keys


@pytest.mark.parametrize(
    ("database", "interface", "outbox"),
    [("postgresql", "events", True), ("postgresql", "rest", False), ("mongodb", "events", False)],
)
def test_outbox_when_events_follow_a_relational_commit(
    database: str, interface: str, outbox: bool
) -> None:
    assert db_plan(interface=interface, infrastructure={"database": database}).outbox is outbox


@pytest.mark.parametrize(
    ("database", "priority", "isolation"),
    [
        ("postgresql", "balanced", "READ COMMITTED (the PostgreSQL default)"),
        ("mysql", "availability", "REPEATABLE READ (the InnoDB default)"),
        ("mongodb", "balanced", "writeConcern majority, readConcern local"),
        (
            "mongodb",
            "strong",
            "multi-document transactions, writeConcern majority, readConcern snapshot",
        ),
    ],
)
def test_isolation_per_engine_and_priority(database: str, priority: str, isolation: str) -> None:
    db = db_plan(infrastructure={"database": database}, consistency={"priority": priority})
    assert db.isolation == isolation


@pytest.mark.parametrize(
    ("database", "kind", "retried"),
    [
        ("postgresql", "READ COMMITTED (the PostgreSQL default) with row locks", "40P01"),
        ("mysql", "READ COMMITTED with row locks", "1213"),
    ],
)
def test_strong_consistency_guards_the_invariant_with_ordered_row_locks(
    database: str, kind: str, retried: str
) -> None:
    db = db_plan(infrastructure={"database": database}, consistency={"priority": "strong"})
    assert db.isolation.startswith(kind)
    assert retried in db.transaction_boundaries and "ORDER BY id" in db.transaction_boundaries


@pytest.mark.parametrize(
    ("database", "model", "driver"),
    [
        ("postgresql", M.ASYNCIO, "asyncpg via SQLAlchemy 2.0 (async)"),
        ("postgresql", M.HYBRID, "asyncpg via SQLAlchemy 2.0 (async)"),
        ("postgresql", M.SYNC, "psycopg 3 via SQLAlchemy 2.0"),
        ("postgresql", M.THREADS, "psycopg 3 via SQLAlchemy 2.0"),
        ("postgresql", M.PROCESSES, "psycopg 3 via SQLAlchemy 2.0"),
        ("mysql", M.ASYNCIO, "asyncmy via SQLAlchemy 2.0 (async)"),
        ("mysql", M.SYNC, "PyMySQL via SQLAlchemy 2.0"),
        ("mongodb", M.HYBRID, "PyMongo AsyncMongoClient (Motor is deprecated)"),
        ("mongodb", M.THREADS, "PyMongo MongoClient"),
    ],
)
def test_one_driver_per_engine_and_concurrency_model(
    database: str, model: ConcurrencyModel, driver: str
) -> None:
    db = db_plan(model=model, infrastructure={"database": database})
    assert db.driver == driver
    assert db.engine == database


@pytest.mark.parametrize(
    ("database", "priority", "redundant", "standbys", "sync"),
    [
        ("mongodb", "balanced", False, 2, True),  # a replica set of three
        ("postgresql", "strong", False, 1, True),
        ("postgresql", "balanced", True, 1, False),
        ("postgresql", "balanced", False, 0, False),
    ],
)
def test_data_safety(
    database: str, priority: str, redundant: bool, standbys: int, sync: bool
) -> None:
    db = db_plan(  # run by the team: the standby and the WAL archiving are its own
        redundant=redundant,
        infrastructure={"database": database, "hosting": "on_prem"},
        consistency={"priority": priority},
    )
    assert (db.standbys, db.synchronous_standby, db.backup_retention_days) == (standbys, sync, 14)
    assert db.rpo and db.rto
    if standbys == 0:
        assert db.rpo.startswith("≤ 1 min")


@pytest.mark.parametrize(("redundant", "standbys"), [(True, 1), (False, 0)])
def test_a_managed_database_has_a_synchronous_standby_and_a_5_minute_pitr_rpo(
    redundant: bool, standbys: int
) -> None:
    """RDS Multi-AZ replicates synchronously; its logs reach S3 every 5 minutes."""
    db = db_plan(redundant=redundant, infrastructure={"database": "postgresql"})
    assert (db.standbys, db.synchronous_standby) == (standbys, bool(standbys))
    assert "≤ 5 min for a point-in-time restore" in db.rpo


# -- figures and decisions --------------------------------------------------------------------


def test_figures_carry_the_worked_example() -> None:
    figs, decs = figures_and_decisions(**BASE)
    assert figs["db_busy_connections"].value == pytest.approx(20.0)
    assert dict(figs["db_busy_connections"].inputs) == {
        "λ": 2000.0,
        "calls per request": 2.0,
        "cache hit ratio": 0.0,
        "database queries/s": 4000.0,
        "s per call": 0.005,
    }
    assert figs["pool_size"].value == 2
    assert dict(figs["pool_size"].inputs) == {
        "busy connections per process": 1.0,
        "processes": 20,
    }
    assert figs["total_connections"].value == 60
    assert dict(figs["total_connections"].inputs) == {
        "instances": 5,
        "workers": 4,
        "pool_size": 2,
        "max_overflow": 1,
        "max_connections": 100,
        "reserved": 10,
    }
    assert figs["db_useful_connections"].value == 32
    pool = decs["connection pool"]
    assert pool.choice == "pool_size=2, max_overflow=1 per process"
    assert pool.why == "20 processes × 3 = 60 ≤ 90 usable connections"
    assert "near 32 active connections" in pool.trade_off


def test_the_pool_decision_behind_pgbouncer_says_why_and_how() -> None:
    r = resolved(**with_(BASE, infrastructure={"db_max_connections": 23}))
    _, _, decs = plan_database(r, capacity(instances=3), concurrency(M.SYNC, 7))
    pool = next(d for d in decs if d.topic == "connection pool")
    assert (
        pool.choice == "pool_size=1, max_overflow=0 per process behind PgBouncer (transaction mode)"
    )
    assert pool.why.startswith("21 processes × 1 = 21 > 20 usable connections: PgBouncer")
    assert "prepare_threshold=None" in pool.trade_off  # psycopg 3 for sync workers


@pytest.mark.parametrize(
    ("priority", "stale", "choice"),
    [
        ("strong", 0, "PC/EC: one primary"),
        (
            "balanced",
            5,
            "PC/EL: consistent writes on the primary, reads may be served stale for up to 5 s",
        ),
        ("availability", 30, "PA/EL: stay available and fast"),
    ],
)
def test_consistency_decision(priority: str, stale: float, choice: str) -> None:
    consistency: dict[str, Any] = {"priority": priority}
    if priority != "strong":
        consistency["stale_read_tolerance_s"] = stale
    _, decs = figures_and_decisions(consistency=consistency)
    assert decs["consistency"].choice.startswith(choice)
    if priority == "availability":
        assert "stale reads up to 30 s" in decs["consistency"].why


def test_the_caching_decision_states_the_ttl_and_read_your_writes() -> None:
    _, decs = figures_and_decisions(
        scale={"peak_rps": 2000, "read_ratio": 0.9},
        consistency={"priority": "balanced", "stale_read_tolerance_s": 5},
        workload={"cache_keys": 1000},
    )
    assert decs["caching"].choice == "Redis, cache-aside (TTL 5 s)"
    assert decs["caching"].why.startswith(
        "stale reads tolerated for 5 s, 90% reads; a modelled hit ratio of "
    )
    assert "; on every write, delete the key after the commit" in decs["caching"].why
    _, none = figures_and_decisions(consistency={"priority": "strong"})
    assert none["caching"].choice == "none for mutable data (reads go to the primary)"


def test_no_database_plans_no_pool() -> None:
    db, figs, decs = plan_database(
        resolved(infrastructure={"database": "none"}), capacity(), concurrency()
    )
    assert db is None and figs == []
    assert [(d.topic, d.choice) for d in decs] == [("database", "none")]


# -- helpers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("driver", "fix"),
    [
        ("asyncpg via SQLAlchemy 2.0 (async)", "prepared_statement_cache_size=0"),
        ("psycopg 3 via SQLAlchemy 2.0", "prepare_threshold=None"),
        ("PyMySQL via SQLAlchemy 2.0", "do not use server-side prepared statements"),
    ],
)
def test_prepared_statement_fix_per_driver(driver: str, fix: str) -> None:
    text = prepared_statements_fix(Driver(driver))
    assert fix in text
    assert text.startswith("transaction pooling breaks server-side prepared statements: ")


def test_read_your_writes_per_cache() -> None:
    assert read_your_writes(Cache.REDIS).startswith("on every write, delete the key")
    assert read_your_writes(Cache.LOCAL).startswith("an in-process cache cannot be invalidated")


# -- MySQL and MongoDB: no PostgreSQL pooler ----------------------------------------------------


@pytest.mark.parametrize("database", ["mysql", "mongodb"])
def test_pgbouncer_is_never_planned_for_mysql_or_mongodb(database: str) -> None:
    """limit 23 (usable 20) and 21 sync processes × 1 = 21: over the limit. PostgreSQL gets
    PgBouncer; MySQL and MongoDB are told to raise the limit to the smallest that holds 21:
    24 (reserved max(3, ⌈2.4⌉) = 3, usable 21), run fewer processes, or (MySQL) ProxySQL."""
    over = with_(BASE, infrastructure={"database": database, "db_max_connections": 23})
    r = resolved(**over)
    db, _, decs = plan_database(r, capacity(instances=3), concurrency(M.SYNC, 7))
    assert db is not None
    assert (db.total_connections, db.pgbouncer) == (21, False)
    pool = next(d for d in decs if d.topic == "connection pool")
    assert "PgBouncer" not in pool.choice + pool.why + pool.trade_off
    assert "PgBouncer in transaction mode" not in pool.alternatives
    assert pool.why.startswith("21 processes × 1 = 21 > 20 usable connections: raise ")
    limit = "max_connections" if database == "mysql" else "net.maxIncomingConnections"
    assert f"{limit} to at least 24" in pool.why
    assert ("ProxySQL" in pool.why) is (database == "mysql")


@pytest.mark.parametrize("database", ["mysql", "mongodb"])
def test_a_mysql_or_mongodb_design_over_the_limit_names_no_pgbouncer(database: str) -> None:
    p = plan(req(infrastructure={"database": database, "db_max_connections": 5}))
    assert p.database is not None and not p.database.pgbouncer
    assert "pgbouncer" not in p.components
    finding = next(f for f in p.findings if f.title.startswith("the workers could open more"))
    assert finding.recommendation.startswith("Raise ")
    assert "PgBouncer" not in write_design(p)


def test_mongodb_pools_per_client_with_max_pool_size_and_no_overflow() -> None:
    """PyMongo caps each MongoClient at maxPoolSize and has no overflow: the 2 + 1 an event loop
    would get under SQLAlchemy is one cap of 3, the same 60 connections in all."""
    r = resolved(**with_(BASE, infrastructure={"database": "mongodb"}))
    db, figs, decs = plan_database(r, capacity(instances=5), concurrency(M.ASYNCIO, 4))
    assert db is not None
    assert (db.pool_size, db.max_overflow, db.total_connections) == (3, 0, 60)
    pool = next(d for d in decs if d.topic == "connection pool")
    assert pool.choice == "maxPoolSize=3 per MongoClient (one client per process)"
    assert pool.why == "20 processes × 3 = 60 ≤ 90 usable connections"
    by_key = {f.key: f for f in figs}
    assert by_key["pool_size"].formula.startswith("maxPoolSize")
    assert "maxIncomingConnections" in by_key["total_connections"].source


@pytest.mark.parametrize(
    ("total", "limit"),
    # the smallest limit whose usable connections (after 10 %, at least 3) hold the total
    [(18, 21), (21, 24), (27, 30), (28, 32), (90, 100), (91, 102), (300, 334)],
)
def test_the_limit_that_holds_a_total(total: int, limit: int) -> None:
    assert limit_for(total) == limit
    assert limit - reserved_for(limit) >= total > (limit - 1) - reserved_for(limit - 1)


def test_no_database_calls_keep_no_connection_busy() -> None:
    """A request that makes no database call (0 calls, stated) keeps none busy: the smallest
    server (2 vCPU, 4 useful connections) is enough."""
    db = db_plan(workload={"db_calls_per_request": 0, "db_ms_per_call": 5})
    assert db.db_busy_connections == 0.0
    assert (db.db_cores, db.useful_connections) == (2, 4)
