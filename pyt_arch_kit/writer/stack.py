"""The technology stack: each library the plan's code needs, with a version range and the reason.

The rows follow the code the design hands out (:mod:`pyt_arch_kit.writer.code`): whatever a
code block imports is listed here, and nothing a block contradicts (no SQLAlchemy for MongoDB,
no async client for a sync app). Ranges come from :mod:`pyt_arch_kit.writer.pins`.
"""

from __future__ import annotations

from pyt_arch_kit.planning.choices import Driver
from pyt_arch_kit.planning.model import DatabasePlan, Plan
from pyt_arch_kit.requirements import DatabaseKind
from pyt_arch_kit.writer.code.profile import profile
from pyt_arch_kit.writer.pins import CHECKED, RANGES

__all__ = ["PINS_ROW", "SPARK_KAFKA_ROW", "stack"]

#: The last row's library name: it carries the date the ranges were checked, not a package.
PINS_ROW = "Pins checked"
#: The Kafka connector of Spark Structured Streaming: a Maven package, versioned with Spark.
SPARK_KAFKA_ROW = "spark-sql-kafka-0-10"

_BROKER_WHY = {
    "confluent-kafka": "librdkafka is fast and well supported",
    "aiokafka": "asyncio producer and consumer groups",
    "pulsar-client": "the official client, built on the C++ library",
    "pika": "the reference synchronous AMQP 0-9-1 client",
    "aio-pika": "asyncio AMQP with robust reconnecting connections",
    "boto3": "the AWS SDK: SQS send, receive and delete",
    "aioboto3": "asyncio wrapper of the AWS SDK for SQS",
}
_DRIVERS = {
    "asyncpg": "asyncpg",
    "psycopg": "psycopg[binary]",
    "asyncmy": "asyncmy",
    "pymysql": "PyMySQL",
    "pymongo": "pymongo",
}
_DATA = {
    "pandas": "pandas",
    "polars": "polars",
    "Dask": "dask[dataframe,distributed]",
    "PySpark": "pyspark",
    "Spark streaming": "pyspark",
    "Kafka": "confluent-kafka",
}


def _driver_why(db: DatabasePlan) -> str:
    """The driver's row: its name, and why it over the alternatives where that is news."""
    if db.driver is Driver.PYMONGO_ASYNC:
        return (
            "PyMongo's AsyncMongoClient: native asyncio, GA since May 2025; Motor is "
            "deprecated (bug fixes only until May 2026, critical fixes until May 2027), so new "
            "code starts here and Motor code migrates by swapping the import"
        )
    if db.engine is DatabaseKind.TIMESCALEDB:
        return f"{db.driver.value}; TimescaleDB is PostgreSQL with an extension, same driver"
    return db.driver.value


def _row(name: str, why: str) -> tuple[str, str, str]:
    return name, RANGES[name], why


def stack(plan: Plan) -> list[tuple[str, str, str]]:
    """``(library, version range, why)`` rows, in the order a reader meets them.

    The last row names the date the ranges were checked against the newest releases.
    """
    conc, db, data = plan.concurrency, plan.database, plan.data
    p = profile(plan)
    rows: list[tuple[str, str, str]] = [
        (
            "CPython",
            ">=3.12",
            "the GIL build; free-threading stays opt-in (PEP 703)",
        ),
        _row("pydantic", "validation at every boundary, typed settings"),
        _row("pydantic-settings", "settings from the environment, secrets masked"),
    ]
    if p.web in ("fastapi", "strawberry"):
        rows.append(_row("fastapi", "async-first, typed request models, OpenAPI"))
    if p.web == "strawberry":
        rows.append(_row("strawberry-graphql", "typed GraphQL schema on FastAPI"))
    if p.web == "flask":
        rows.append(_row("flask", "the simplest sync framework for the job"))
    if p.web == "django":
        rows.append(_row("django", "mandated; batteries included (HTTP layer here)"))
    if p.web in ("fastapi", "strawberry"):
        rows.append(_row("uvicorn", "ASGI server, one event loop per worker process"))
        rows.append(_row("uvicorn-worker", "uvicorn workers under gunicorn's supervision"))
    if p.websocket:  # without a WebSocket library uvicorn answers every handshake 404
        rows.append(_row("websockets", "uvicorn's WebSocket protocol (and the test client)"))
    if p.serve:
        rows.append(
            _row("gunicorn", f"process manager: {conc.workers_per_instance} workers per instance")
        )
    if p.web == "grpc":
        rows.append(_row("grpcio", "gRPC server, HTTP/2 multiplexing, keepalive"))
        rows.append(_row("grpcio-health-checking", "grpc.health.v1 for liveness and readiness"))
        rows.append(_row("grpcio-tools", "generate stubs from the .proto contract"))
    online = "app" in plan.components
    if conc.process_pool_workers:  # one sync worker per core needs no pool (and no pickling)
        rows.append(
            ("concurrent.futures", "stdlib", "ProcessPoolExecutor: CPU work outside the GIL")
        )
    if db is not None:
        if p.sql:
            rows.append(
                _row(
                    "SQLAlchemy[asyncio]" if p.is_async else "SQLAlchemy",
                    "engine, pooling and transactions; async and sync share one API",
                )
            )
        if db.engine is DatabaseKind.REDIS:
            client = "redis.asyncio" if p.is_async else "sync redis"
            rows.append(
                _row(
                    "redis",
                    f"{client} client for the store; one ConnectionPool per process "
                    f"(max_connections={db.pool_size})",
                )
            )
        else:
            rows.append(_row(_DRIVERS[p.driver], _driver_why(db)))
        if db.engine is DatabaseKind.TIMESCALEDB:
            rows.append(
                (
                    "TimescaleDB",
                    ">=2.13",
                    "PostgreSQL extension on the server: hypertables, compression, retention "
                    "policies, continuous aggregates",
                )
            )
        if db.pgbouncer:
            rows.append(
                (
                    "PgBouncer",
                    ">=1.21",
                    "transaction pooling: many app connections onto few server connections",
                )
            )
        if p.sql:
            rows.append(_row("alembic", "versioned schema migrations (expand, then contract)"))
        if p.cache == "redis":
            client = "redis.asyncio" if p.is_async else "sync redis"
            broadcast = (
                " and pub/sub broadcast to every worker's sockets"
                if any(f.key == "sockets_per_instance" for f in plan.figures)
                else ""
            )
            rows.append(
                _row(
                    "redis",
                    f"{client} client for cache-aside (TTL {db.cache_ttl_s:g} s){broadcast}",
                )
            )
        if p.cache == "local":
            rows.append(_row("cachetools", "bounded in-process TTL cache"))
    if p.websocket and not any(r[0] == "redis" for r in rows):
        rows.append(_row("redis", "redis.asyncio pub/sub: broadcast to every worker's sockets"))
    broker = plan.broker
    if broker is not None and not any(r[0] == broker.client for r in rows):
        rows.append(
            _row(
                broker.client,
                f"{broker.name} "
                + (
                    "outbox relay and consumers"
                    if db is not None and db.outbox
                    else "producers and consumers"
                )
                + f"; {_BROKER_WHY[broker.client]}",
            )
        )
    if data is not None:
        name = _DATA[p.data]
        if not any(r[0] == name for r in rows):
            rows.append(_row(name, data.why))
        if p.data == "Spark streaming":  # a Maven package, not a wheel: its version is Spark's
            rows.append(
                (
                    SPARK_KAFKA_ROW,
                    "the cluster's Spark version",
                    "Structured Streaming's Kafka source (spark.jars.packages, from Maven)",
                )
            )
            rows.append(_row("pandas", "applyInPandasWithState: the per-customer session state"))
        rows.append(
            _row(
                "pyarrow",
                "Arrow batches between Spark and pandas"
                if p.data == "Spark streaming"
                else "Parquet in and out, zero-copy columnar data",
            )
        )
    rows += [
        _row("httpx", "outbound HTTP with explicit timeouts"),
        _row("opentelemetry-sdk", "traces, metrics and logs from day one"),
        _row("structlog", "structured JSON logs with request ids"),
        _row("pytest", "unit and integration tests"),
        _row("hypothesis", "property tests for the domain rules"),
    ]
    if online:  # a job with no request traffic is load-tested by a timed full-size run
        rows.append(
            _row(
                "locust", f"load tests at {plan.resolved.scale.peak_rps:,.0f} req/s peak and beyond"
            )
        )
    rows += [
        (
            PINS_ROW,
            CHECKED,
            "each range admits the newest PyPI release of that date",
        ),
    ]
    return rows
