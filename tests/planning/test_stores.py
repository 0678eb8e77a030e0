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
    """1,500 req/s × 90 % writes × 10 points × 100 B a row = 117 GB a day → 10,400 GB is 90
    days kept; the newest chunk fills at the peak (2,000 / 1,500 × that): ⌊24 · 0.25 ·
    memory / 156⌋ hours, a quarter of the database's memory."""
    p = plan(preset("timeseries-ingest"))
    db = p.database
    assert db is not None and db.engine is DatabaseKind.TIMESCALEDB
    assert db.driver is Driver.ASYNCPG and profile(p).dialect == "postgresql"
    assert p.figure("timescale_retention_days").value == 90
    per_day = 1500 * 0.9 * 10 * 100 * 86_400 / 1e9
    at_peak, memory = per_day * 2000 / 1500, db.db_cores * 8 * 1.073741824
    chunk = p.figure("timescale_chunk_interval_h").value
    assert chunk == max(1, math.floor(24 * 0.25 * memory / at_peak))
    assert chunk * at_peak / 24 <= memory / 4
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


def test_timescaledb_is_sized_with_room_for_its_own_jobs() -> None:
    """Review (second round), timeseries-ingest 4: 8 connections busy at peak on a server that
    serves about 8 well, whose cores also compress chunks and refresh aggregates. The inserts
    take at most half of what the server serves well."""
    p = plan(preset("timeseries-ingest"))
    db = p.database
    assert db is not None
    assert db.db_busy_connections <= db.useful_connections / 2
    assert db.db_busy_cores <= db.db_cores / 2  # half the cores left for its jobs


def test_timeseries_rows_are_sized_with_their_header_and_index_not_29_bytes() -> None:
    """Review (third round), timeseries-ingest 2: 50 GB a day of 20,000 points/s was 29 B a
    row, below a heap tuple's header alone. The ingest rate now follows from the points and
    an assumed 100 B a row (PostgreSQL docs, "Database Page Layout") the user can set, and
    the chunk interval and the disks follow from it."""
    p = plan(preset("timeseries-ingest"))
    assumed = {a.field: a for a in p.assumptions}
    assert assumed["workload.bytes_per_row"].value == 100
    assert "Database Page Layout" in assumed["workload.bytes_per_row"].because
    rows_a_day = 1500 * 0.9 * 10 * 86_400
    assert p.resolved.scale.growth_gb_per_month * 1e9 / 30 / rows_a_day >= 99
    stored = p.figure("bom_data_horizon_gb").value
    assert stored > 1000  # 90 days, compressed 90 % after 2: was 540 GB
    data = preset("timeseries-ingest").model_dump()
    data["workload"]["bytes_per_row"] = 50
    q = plan(Requirements.model_validate(data))
    assert (
        q.figure("timescale_chunk_interval_h").value > p.figure("timescale_chunk_interval_h").value
    )
    assert q.figure("bom_data_horizon_gb").value < stored
    text = Architect().design(preset("timeseries-ingest")).to_markdown()
    assert "`workload.bytes_per_row` = 100. *Would change:* if 50" in text


def test_patroni_lag_is_bytes_of_wal_with_an_lsn_alert() -> None:
    """Review (third round), timeseries-ingest 3: maximum_lag_on_failover takes bytes (Patroni
    dynamic configuration), not seconds: 5 s of the peak WAL rate, and an alert on
    pg_wal_lsn_diff."""
    p = plan(preset("timeseries-ingest"))
    assert p.database is not None
    rpo = p.database.rpo
    wal = 2000 * 0.9 * 10 * 100 * 2  # points/s at peak × bytes a row × WAL per row
    assert f"maximum_lag_on_failover = {round(5 * wal, -6):.0f} bytes" in rpo
    assert "pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)" in rpo
    assert "5 s of WAL;" not in rpo


def test_an_upsert_store_neither_reconciles_nor_locks_rows_by_hand() -> None:
    """Review (third round), timeseries-ingest 4: "reconcile later" and "SELECT … FOR UPDATE
    on rows that concurrent requests update" are untrue of an append-only upsert store on one
    primary; the jobs' room beside the peak inserts is stated."""
    p = plan(preset("timeseries-ingest"))
    text = Architect().design(preset("timeseries-ingest")).to_markdown()
    assert "reconcile later" not in text
    assert "FOR UPDATE" not in text
    assert "idempotent upsert on (series_id, time)" in p.decision("consistency").choice
    assert p.database is not None
    db = p.database
    assert f"{db.db_busy_connections:g} busy connections on {db.db_cores} database cores" in text
    assert "timescaledb_information.job_stats" in text


def test_timeseries_design_hands_out_its_batch_ingest_route() -> None:
    """Review (third round), timeseries-ingest 1: the design showed a one-row INSERT … VALUES
    and no endpoint. It hands out app/ingest.py: a validated batch, COPY into a temp table,
    one INSERT … SELECT … ON CONFLICT, retried because it is idempotent (the verify suite runs
    it against PostgreSQL)."""
    text = Architect().design(preset("timeseries-ingest")).to_markdown()
    assert "# app/ingest.py" in text and "app.include_router(router)  # POST /ingest" in text
    assert "copy_records_to_table" in text
    assert "ON CONFLICT (series_id, time) DO UPDATE" in text
    assert "with_retries(lambda: write(sessions, batch.points), idempotent=True)" in text
    assert "VALUES ($1, $2, $3)" not in text
