"""planning/stores.py and the writer for each store: TimescaleDB, Redis as the store, MongoDB,
MySQL — each gets its own drivers, limits and advice, and none gets PostgreSQL's."""

from __future__ import annotations

import math
from typing import Any

import pytest

from pyt_arch_kit import Architect, Requirements, plan, preset
from pyt_arch_kit.baseline import BASELINE, baseline_text
from pyt_arch_kit.planning.model import Cache, Driver, Plan
from pyt_arch_kit.requirements import DatabaseKind
from pyt_arch_kit.writer.code import profile
from tests.planning import req


def _design(database: str, **sections: dict[str, Any]) -> tuple[Plan, str]:
    data: dict[str, dict[str, Any]] = {
        "scale": {"peak_rps": 3000, "read_ratio": 0.9},
        "consistency": {"stale_read_tolerance_s": 10},
        "infrastructure": {"database": database},
    }
    for key, values in sections.items():
        data[key] = {**data.get(key, {}), **values}
    r = req(**data)
    return plan(r), Architect().design(r).to_markdown()


@pytest.mark.parametrize(
    ("database", "limit"),
    [
        ("postgresql", 100),
        ("timescaledb", 100),
        ("mysql", 151),
        ("mongodb", 65_536),
        ("redis", 10_000),
    ],
)
def test_the_assumed_connection_limit_is_the_engine_s_default(database: str, limit: int) -> None:
    p = plan(req(infrastructure={"database": database}))
    assert p.database is not None and p.database.connection_limit == limit
    assumed = {a.field: a for a in p.assumptions}["infrastructure.db_max_connections"]
    assert assumed.value == limit


def test_timescaledb_is_postgresql_with_a_hypertable() -> None:
    """4,500 GB at 1,500 GB a month = 50 GB a day → 90 days kept. The database has 2 × 4 ≥ 8
    busy connections → db.r7g.xlarge, 4 vCPU × 8 GiB = 34.4 GB: ⌊24 · 0.25 · 34.4 / 50⌋ = 4 h
    chunks."""
    p = plan(preset("timeseries-ingest"))
    db = p.database
    assert db is not None and db.engine is DatabaseKind.TIMESCALEDB
    assert db.driver is Driver.ASYNCPG and profile(p).dialect == "postgresql"
    assert p.figure("timescale_retention_days").value == 90
    per_day, memory = 1500 / 30, db.db_cores * 8 * 1.073741824
    assert p.figure("timescale_chunk_interval_h").value == max(
        1, math.floor(24 * 0.25 * memory / per_day)
    )
    decision = p.decision("time-series")
    assert "INTERVAL '90 days'" in decision.choice and "continuous aggregates" in decision.choice
    text = Architect().design(preset("timeseries-ingest")).to_markdown()
    assert "create_hypertable('metrics'" in text
    assert "add_retention_policy('metrics', INTERVAL '90 days')" in text
    assert "| TimescaleDB | `>=2.13` |" in text


def test_redis_as_the_store_is_persisted_sized_by_memory_and_uncached() -> None:
    p, text = _design("redis", scale={"data_gb": 40, "growth_gb_per_month": 2})
    db = p.database
    assert db is not None and db.driver is Driver.REDIS_ASYNC and db.cache is Cache.NONE
    assert db.max_overflow == 0  # one cap per client, as redis-py's pool has
    assert p.figure("redis_memory_gb").value == pytest.approx((40 + 24) * 1.5)
    persistence = p.decision("persistence").choice
    assert "appendfsync everysec" in persistence and "noeviction" in persistence
    assert "Redis Cluster with 4 shards" in persistence  # 96 GB over 25 GB a shard
    for postgres_only in ("PgBouncer", "SSI", "psycopg", "asyncpg", "SQLAlchemy", "alembic"):
        assert postgres_only not in text, postgres_only
    assert "BlockingConnectionPool.from_url(" in text
    assert "rediss://" in text  # TLS advice for redis-py, not sslmode


def test_redis_store_pools_over_maxclients_raise_it_not_pgbouncer() -> None:
    p, _ = _design("redis", infrastructure={"db_max_connections": 10})
    db = p.database
    assert db is not None and not db.pgbouncer
    assert "maxclients" in p.decision("connection pool").why


@pytest.mark.parametrize("database", ["mongodb", "mysql"])
def test_no_postgresql_advice_for_other_engines(database: str) -> None:
    _, text = _design(database)
    assert "psycopg" not in text and "sslmode" not in text
    assert "(PostgreSQL, Redis)" not in text
    driver = {"mongodb": "pymongo", "mysql": "asyncmy"}[database]
    assert driver in text.lower()
    assert "CONCURRENTLY" not in text and "lock_timeout" not in text  # PostgreSQL DDL


def test_mysql_migrations_use_innodb_online_ddl() -> None:
    # a service's migrations are the service baseline's, which its design cites
    _, text = _design("mysql")
    assert BASELINE in text
    rules = baseline_text()
    assert "ALGORITHM=INPLACE, LOCK=NONE" in rules and "lock_wait_timeout" in rules


def test_mongodb_uses_pymongo_async_not_motor() -> None:
    p, text = _design("mongodb")
    assert p.database is not None and p.database.driver is Driver.PYMONGO_ASYNC
    assert "AsyncMongoClient" in text and "Motor is deprecated" in text
    assert "motor" not in [
        line.split("|")[1].strip()
        for line in text.splitlines()
        if line.startswith("| ") and line.count("|") >= 4
    ]


@pytest.mark.parametrize(
    ("shape", "engine"),
    [
        ("relational", DatabaseKind.POSTGRESQL),
        ("time_series", DatabaseKind.TIMESCALEDB),
        ("key_value", DatabaseKind.REDIS),
        ("document", DatabaseKind.MONGODB),
    ],
)
def test_the_shape_of_the_data_picks_the_store_when_none_is_named(
    shape: str, engine: DatabaseKind
) -> None:
    p = plan(req(scale={"peak_rps": 500}, workload={"data_shape": shape}))
    assert p.database is not None and p.database.engine is engine
    (made,) = [a for a in p.assumptions if a.field == "infrastructure.database"]
    assert made.value is engine
    named = plan(
        req(
            scale={"peak_rps": 500},
            workload={"data_shape": shape},
            infrastructure={"database": "mysql"},
        )
    )
    assert named.database is not None and named.database.engine is DatabaseKind.MYSQL


def test_a_trickle_of_growth_on_timescaledb_plans_the_longest_chunk_not_an_overflow() -> None:
    # hypothesis found it: 2.2e-311 GB a month made the chunk hours infinite (math.floor raised)
    req = Requirements.model_validate(
        {"infrastructure": {"database": "timescaledb"}, "scale": {"growth_gb_per_month": 2.2e-311}}
    )
    p = plan(req)
    assert p.figure("timescale_chunk_interval_h").value == 168.0
    assert p.figure("timescale_retention_days").value <= 36_500
