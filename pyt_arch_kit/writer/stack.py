"""The technology stack: each library the plan needs, with a version range and the reason."""

from __future__ import annotations

from pyt_arch_kit.planning.model import ConcurrencyModel, Plan

__all__ = ["stack"]

#: Client library → (version range, why it).
_BROKER_CLIENTS = {
    "confluent-kafka": (">=2.5,<3", "librdkafka is fast and well supported"),
    "aiokafka": (">=0.11,<1", "asyncio producer and consumer groups"),
    "pulsar-client": (">=3.5,<4", "the official client, built on the C++ library"),
    "pika": (">=1.3,<2", "the reference synchronous AMQP 0-9-1 client"),
    "aio-pika": (">=9.4,<10", "asyncio AMQP with robust reconnecting connections"),
    "boto3": (">=1.34,<2", "the AWS SDK: SQS send, receive and delete"),
    "aioboto3": (">=13", "asyncio wrapper of the AWS SDK for SQS"),
}


def stack(plan: Plan) -> list[tuple[str, str, str]]:
    """``(library, version range, why)`` rows, in the order a reader meets them."""
    conc, db, data = plan.concurrency, plan.database, plan.data
    iface = plan.requirements.interface.value if plan.requirements.interface else "rest"
    rows: list[tuple[str, str, str]] = [
        (
            "CPython",
            ">=3.12,<3.14",
            "current releases with faster startup and better errors; "
            "3.13's free-threaded build stays opt-in (PEP 703)",
        ),
        ("pydantic", ">=2.7,<3", "validation at every boundary, typed settings"),
        ("pydantic-settings", ">=2.3,<3", "configuration from the environment, secrets masked"),
    ]
    fw = conc.framework
    if "FastAPI" in fw:
        rows.append(("fastapi", ">=0.115,<1", "async-first, typed request models, OpenAPI"))
    if "Strawberry" in fw:
        rows.append(("strawberry-graphql", ">=0.240", "typed GraphQL schema on FastAPI"))
    if "Flask" in fw:
        rows.append(("flask", ">=3.0,<4", "the simplest sync framework for the job"))
    if "Django" in fw:
        rows.append(("django", ">=5.1,<6", "mandated; batteries included, sync ORM"))
    if "uvicorn" in conc.server:
        rows.append(("uvicorn", ">=0.30,<1", "ASGI server, one event loop per worker process"))
        rows.append(("uvicorn-worker", ">=0.2", "uvicorn workers under gunicorn's supervision"))
    if "gunicorn" in conc.server or "uvicorn" in conc.server:
        rows.append(
            (
                "gunicorn",
                ">=23,<24",
                f"process manager: {conc.workers_per_instance} workers per instance",
            )
        )
    if iface == "grpc":
        rows.append(("grpcio", ">=1.66,<2", "grpc.aio server, HTTP/2 multiplexing"))
        rows.append(("grpcio-tools", ">=1.66,<2", "generate stubs from the .proto contract"))
    if conc.process_pool_workers or conc.model is ConcurrencyModel.PROCESSES:
        rows.append(
            ("concurrent.futures", "stdlib", "ProcessPoolExecutor: CPU work outside the GIL")
        )
    if db is not None:
        rows.append(
            (
                "SQLAlchemy",
                ">=2.0,<2.1",
                "engine, pooling and transactions; async and sync share one API",
            )
        )
        driver = db.driver.split(" ")[0]
        versions = {
            "asyncpg": ">=0.29,<1",
            "psycopg": ">=3.2,<4",
            "asyncmy": ">=0.2.9",
            "PyMySQL": ">=1.1,<2",
            "PyMongo": ">=4.9,<5",
        }
        rows.append((driver, versions.get(driver, ">=1"), db.driver))
        if db.pgbouncer:
            rows.append(
                (
                    "PgBouncer",
                    ">=1.21",
                    "transaction pooling: many app connections onto few server connections",
                )
            )
        if db.engine != "mongodb":
            rows.append(("alembic", ">=1.13,<2", "versioned schema migrations"))
        if db.cache.startswith("Redis"):
            rows.append(
                (
                    "redis",
                    ">=5.0,<6",
                    f"redis.asyncio client for cache-aside (TTL {db.cache_ttl_s:g} s)",
                )
            )
        if db.cache.startswith("in-process"):
            rows.append(("cachetools", ">=5.3,<6", "bounded in-process TTL cache"))
    broker = plan.broker
    if broker is not None:
        version, strength = _BROKER_CLIENTS[broker.client]
        rows.append(
            (
                broker.client,
                version,
                f"{broker.name} "
                + (
                    "outbox relay and consumers"
                    if db is not None and db.outbox
                    else "producers and consumers"
                )
                + f"; {strength}",
            )
        )
    if data is not None:
        lib = {
            "pandas": ("pandas", ">=2.2,<3"),
            "polars": ("polars", ">=1.0,<2"),
            "Dask": ("dask[distributed]", ">=2024.8"),
            "PySpark": ("pyspark", ">=3.5,<5"),
            "Kafka": ("confluent-kafka", ">=2.5,<3"),
        }
        for key, (name, ver) in lib.items():
            if key in data.tool and not any(r[0] == name for r in rows):
                rows.append((name, ver, data.why))
        rows.append(("pyarrow", ">=17", "Parquet in and out, zero-copy columnar data"))
    rows += [
        ("httpx", ">=0.27,<1", "outbound HTTP with explicit timeouts, sync and async"),
        ("opentelemetry-sdk", ">=1.27,<2", "traces, metrics and logs from day one"),
        ("structlog", ">=24.4", "structured JSON logs with request ids"),
        ("pytest", ">=8.3,<9", "unit and integration tests"),
        ("hypothesis", ">=6.100", "property tests for the domain rules"),
        (
            "locust",
            ">=2.31",
            f"load tests at {plan.requirements.scale.peak_rps or 0:,.0f} req/s peak and beyond",
        ),
    ]
    return rows
