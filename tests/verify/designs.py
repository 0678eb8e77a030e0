"""Requirements that together take every branch the offline writer's code has.

The writer's choices (:class:`pyt_arch_kit.writer.code.Profile`): concurrency model (sync, threads,
asyncio, processes, hybrid) and so sync or async code; framework (FastAPI, Strawberry, Flask,
Django, gRPC aio and sync, batch); database and driver (PostgreSQL asyncpg/psycopg, MySQL
asyncmy/PyMySQL, MongoDB async/sync, Redis as the store async/sync, none); PgBouncer; cache (Redis
async/sync, in-process async/sync, none); the ledger (PostgreSQL and MySQL, async and sync); brokers
(Kafka, Pulsar, RabbitMQ, SQS, each sync and async); data tools (pandas, polars, Dask, PySpark,
Kafka consumers, Spark streaming). :func:`uncovered` names any branch value no design here takes,
and a test fails on it, so a new branch in the writer needs a design here.
"""

from __future__ import annotations

from typing import Any

from pyt_arch_kit import Requirements, plan
from pyt_arch_kit.planning.model import Plan
from pyt_arch_kit.writer.code import Profile, profile

__all__ = ["DESIGNS", "EXPECTED", "plans", "uncovered"]

_IO = {
    "cpu_ms_per_request": 4,
    "io_wait_ms_per_request": 60,
    "db_calls_per_request": 3,
    "db_ms_per_call": 4,
}
_CPU = {
    "cpu_ms_per_request": 40,
    "io_wait_ms_per_request": 4,
    "db_calls_per_request": 1,
    "db_ms_per_call": 2,
}
_MIXED = {
    "cpu_ms_per_request": 20,
    "io_wait_ms_per_request": 30,
    "db_calls_per_request": 2,
    "db_ms_per_call": 3,
}
_CACHED = {"priority": "balanced", "stale_read_tolerance_s": 30}
_STRONG = {"priority": "strong", "stale_read_tolerance_s": 0}


def _req(name: str, **fields: Any) -> Requirements:
    base: dict[str, Any] = {
        "name": name,
        "interface": "rest",
        "scale": {"peak_rps": 400, "read_ratio": 0.9, "data_gb": 20},
        "latency": {"p99_ms": 300, "availability_pct": 99.9},
        "consistency": _CACHED,
        "workload": _IO,
        "infrastructure": {
            "database": "postgresql",
            "cores_per_instance": 4,
            "db_max_connections": 100,
        },
    }
    for key, value in fields.items():
        base[key] = {**base[key], **value} if isinstance(value, dict) and key in base else value
    return Requirements.model_validate(base)


#: Reads concentrated on few keys, so the TTL model gives the read cache a hit ratio worth
#: building (below 30 % the plan leaves the cache out until measured).
_HOT_KEYS = {"cache_keys": 1_000}

#: name → requirements; each name says the branches it takes.
DESIGNS: dict[str, Requirements] = {
    "fastapi-asyncpg-redis": _req("fastapi-asyncpg-redis", workload=_HOT_KEYS),
    "fastapi-redis-store": _req(
        "fastapi-redis-store", infrastructure={"database": "redis", "db_max_connections": 10000}
    ),
    "flask-redis-store-sync": _req(
        "flask-redis-store-sync",
        workload={"cpu_ms_per_request": 5, "io_wait_ms_per_request": 20},
        scale={"peak_rps": 20},
        infrastructure={"database": "redis", "must_use": ["Flask"]},
    ),
    "fastapi-ledger-kafka": _req(
        "fastapi-ledger-kafka",
        interface="events",
        consistency=_STRONG,
        scale={"peak_rps": 1500, "read_ratio": 0.5},
        infrastructure={"existing_services": ["Kafka"]},
    ),
    "fastapi-sync-ledger-rabbitmq": _req(
        "fastapi-sync-ledger-rabbitmq",
        interface="events",
        consistency=_STRONG,
        scale={"peak_rps": 20, "read_ratio": 0.5},
        workload={"cpu_ms_per_request": 5, "io_wait_ms_per_request": 20},
        infrastructure={"existing_services": ["RabbitMQ"]},
    ),
    "strawberry-mysql-local-cache": _req(
        "strawberry-mysql-local-cache",
        interface="graphql",
        workload=_HOT_KEYS,
        scale={"peak_rps": 150},
        infrastructure={"database": "mysql"},
    ),
    "websocket-mongodb-pulsar": _req(
        "websocket-mongodb-pulsar",
        interface="websocket",
        consistency=_STRONG,
        infrastructure={"database": "mongodb", "existing_services": ["Pulsar"]},
    ),
    "fastapi-hybrid-redis": _req(
        "fastapi-hybrid-redis",
        scale={"peak_rps": 300},
        workload={
            "cpu_ms_per_request": 6,
            "io_wait_ms_per_request": 10,
            "db_calls_per_request": 1,
            "db_ms_per_call": 2,
            **_HOT_KEYS,
        },
    ),
    "flask-threads-pymysql-ledger": _req(
        "flask-threads-pymysql-ledger",
        consistency=_STRONG,
        infrastructure={"database": "mysql", "must_use": ["Flask"]},
    ),
    "django-threads-local-cache-sqs": _req(
        "django-threads-local-cache-sqs",
        scale={"peak_rps": 150},
        workload=_HOT_KEYS,
        infrastructure={"must_use": ["Django"], "existing_services": ["SQS"]},
    ),
    "flask-processes-mongodb-sync": _req(
        "flask-processes-mongodb-sync",
        workload=_CPU,
        consistency=_STRONG,
        infrastructure={"database": "mongodb"},
    ),
    "fastapi-hybrid-pool-pgbouncer": _req(
        "fastapi-hybrid-pool-pgbouncer",
        workload=_MIXED,
        scale={"peak_rps": 3000},
        infrastructure={"db_max_connections": 20, "cores_per_instance": 8},
    ),
    "flask-pgbouncer-psycopg": _req(  # also a model, an approval workflow, low traffic
        "flask-pgbouncer-psycopg",
        summary="Scores and approves expense reports.",
        scale={"peak_rps": 2000, "avg_rps": 0.5},
        workload={**_CPU, **_HOT_KEYS},
        infrastructure={"db_max_connections": 20},
    ),
    "fastapi-asyncmy-ledger-sqs": _req(
        "fastapi-asyncmy-ledger-sqs",
        interface="events",
        consistency=_STRONG,
        scale={"peak_rps": 900, "read_ratio": 0.5},
        infrastructure={"database": "mysql", "existing_services": ["SQS"]},
    ),
    "events-sync-pulsar-pymongo": _req(
        "events-sync-pulsar-pymongo",
        interface="events",
        scale={"peak_rps": 20},
        workload={"cpu_ms_per_request": 5, "io_wait_ms_per_request": 20},
        infrastructure={"database": "mongodb", "existing_services": ["Pulsar"]},
    ),
    "events-sync-kafka-psycopg": _req(
        "events-sync-kafka-psycopg",
        interface="events",
        scale={"peak_rps": 20},
        workload={"cpu_ms_per_request": 5, "io_wait_ms_per_request": 20},
        infrastructure={"existing_services": ["Kafka"]},
    ),
    "events-async-rabbitmq": _req(
        "events-async-rabbitmq",
        interface="events",
        infrastructure={"existing_services": ["RabbitMQ"]},
    ),
    "grpc-aio-asyncpg-redis": _req("grpc-aio-asyncpg-redis", interface="grpc", workload=_HOT_KEYS),
    "grpc-sync-processes": _req(
        "grpc-sync-processes",
        interface="grpc",
        workload=_CPU,
        consistency=_STRONG,
    ),
    "grpc-no-database": _req(
        "grpc-no-database",
        interface="grpc",
        infrastructure={"database": "none"},
    ),
    "rest-no-database": _req("rest-no-database", infrastructure={"database": "none"}),
    "batch-pandas": _req(
        "batch-pandas",
        interface="batch",
        workload={"data_mode": "batch", "batch_data_gb": 1},
    ),
    "batch-polars": _req(
        "batch-polars",
        interface="batch",
        workload={"data_mode": "batch", "batch_data_gb": 50},
    ),
    "batch-dask": _req(
        "batch-dask",
        interface="batch",
        workload={"data_mode": "batch", "batch_data_gb": 500},
    ),
    "batch-pyspark": _req(
        "batch-pyspark",
        interface="batch",
        workload={"data_mode": "batch", "batch_data_gb": 5000},
    ),
    "batch-pyspark-facts": _req(
        "batch-pyspark-facts",
        interface="batch",
        workload={"data_mode": "batch", "batch_data_gb": 3000, "window_h": 6},
        infrastructure={"database": "none"},
    ),
    "stream-kafka-consumers": _req(
        "stream-kafka-consumers",
        workload={"data_mode": "streaming", "batch_data_gb": 2, "freshness_s": 10},
    ),
    "stream-spark": _req(
        "stream-spark",
        interface="batch",
        workload={"data_mode": "streaming", "batch_data_gb": 500, "freshness_s": 30},
    ),
}

#: What each branch of the writer can be; every value must be taken by some design.
EXPECTED: dict[str, set[Any]] = {
    "is_async": {True, False},
    "web": {"fastapi", "strawberry", "flask", "django", "grpc", ""},
    "dialect": {"postgresql", "mysql", "mongodb", "redis", ""},
    "driver": {"asyncpg", "psycopg", "asyncmy", "pymysql", "pymongo", "redis", ""},
    "cache": {"redis", "local", ""},
    "ledger": {True, False},
    "broker": {"kafka", "pulsar", "rabbitmq", "sqs", ""},
    "data": {"pandas", "polars", "Dask", "PySpark", "Kafka", "Spark streaming", ""},
    "pgbouncer": {True, False},
    "serve": {True, False},
    "websocket": {True, False},
    "model": {True, False},
    "low_traffic": {True, False},
    "approvals": {True, False},
}


def plans() -> dict[str, Plan]:
    """Each design's plan."""
    return {name: plan(req) for name, req in DESIGNS.items()}


def uncovered() -> list[str]:
    """Branch values of the writer no design takes (``field=value``), and pairs that matter
    (async × sync per driver, cache and ledger dialect) that none takes."""
    profiles: list[Profile] = [profile(p) for p in plans().values()]
    missing = [
        f"{name}={value!r}"
        for name, values in EXPECTED.items()
        for value in sorted(values, key=repr)
        if all(getattr(p, name) != value for p in profiles)
    ]
    seen = {(p.is_async, p.cache) for p in profiles if p.cache}
    seen |= {(p.is_async, f"ledger-{p.dialect}") for p in profiles if p.ledger}
    seen |= {(p.is_async, f"grpc-{p.dialect or 'none'}") for p in profiles if p.web == "grpc"}
    wanted = {(a, c) for a in (True, False) for c in ("redis", "local")}
    wanted |= {(a, f"ledger-{d}") for a in (True, False) for d in ("postgresql", "mysql")}
    wanted |= {(True, "grpc-postgresql"), (False, "grpc-postgresql")}
    missing += [f"is_async={a} with {c}" for a, c in sorted(wanted - seen)]
    return missing
