"""Runnable code examples for the critical parts, filled in with the plan's numbers.

Each function returns Python source (no fence). The templates use ``@name@`` placeholders so
that the code's own braces need no escaping.
"""

from __future__ import annotations

from textwrap import dedent

from pyt_arch_kit.planning.model import ConcurrencyModel, Plan

__all__ = ["snippets"]


def _fill(template: str, **values: object) -> str:
    out = dedent(template).strip("\n")
    for key, value in values.items():
        out = out.replace(f"@{key}@", str(value))
    return out + "\n"


_SETTINGS = '''
    from pydantic import SecretStr
    from pydantic_settings import BaseSettings, SettingsConfigDict


    class Settings(BaseSettings):
        """Configuration from the environment (12-factor); secrets never logged."""

        model_config = SettingsConfigDict(env_prefix="APP_", env_file=".env")

        database_url: SecretStr
        request_timeout_s: float = @timeout@
        pool_size: int = @pool@
        max_overflow: int = @overflow@


    settings = Settings()  # raises a clear validation error at start-up if misconfigured
'''

_ASYNC_POOL = '''
    from collections.abc import AsyncIterator
    from contextlib import asynccontextmanager

    from fastapi import FastAPI
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    from app.settings import settings


    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        """One engine (and pool) per worker process, created after the fork."""
        engine = create_async_engine(
            settings.database_url.get_secret_value(),  # postgresql+asyncpg://…
            pool_size=@pool@,  # ≈ 2 × busy connections per worker (Little's law)
            max_overflow=@overflow@,  # @processes@ × @per_process@ = @total@ ≤ @usable@ usable
            pool_timeout=@pool_timeout@,  # fail fast rather than queue past the p99 target
            pool_pre_ping=True,
            pool_recycle=1800,@connect_args@
        )
        app.state.sessions = async_sessionmaker(engine, expire_on_commit=False)
        try:
            yield
        finally:
            await engine.dispose()


    app = FastAPI(lifespan=lifespan)
'''

_SYNC_POOL = """
    from sqlalchemy import create_engine
    from sqlalchemy.orm import sessionmaker

    from app.settings import settings

    # Created in each worker after gunicorn forks (post_fork or app factory), never before.
    engine = create_engine(
        settings.database_url.get_secret_value(),  # postgresql+psycopg://…
        pool_size=@pool@,  # one request at a time per @wc@ worker
        max_overflow=@overflow@,  # @processes@ × @per_process@ = @total@ ≤ @usable@ usable
        pool_timeout=@pool_timeout@,
        pool_pre_ping=True,
        pool_recycle=1800,
    )
    Session = sessionmaker(engine, expire_on_commit=False)
"""

_GUNICORN = """
    # gunicorn.conf.py — @instances@ instances × @cores@ cores each
    workers = @workers@  # @formula@
    worker_class = "@worker_class@"
    threads = @threads@
    timeout = 30  # kill a stuck worker; the p99 target is @p99@ ms
    graceful_timeout = 30  # finish in-flight requests on deploy
    keepalive = 5
    max_requests = 5000  # recycle workers to bound slow leaks
    max_requests_jitter = 500
"""

_PROCESS_POOL = '''
    import asyncio
    import os
    from concurrent.futures import ProcessPoolExecutor

    _pool: ProcessPoolExecutor | None = None


    def start_pool() -> None:
        """Call from the app's lifespan, after the server forked its workers."""
        global _pool
        _pool = ProcessPoolExecutor(max_workers=@pool_workers@)  # cores / workers − 1


    def score(features: list[float]) -> float:
        """The CPU-bound step: a module-level pure function, so it pickles cheaply."""
        total = 0.0
        for i, x in enumerate(features):
            total += (x * (i + 1)) ** 0.5 if x > 0 else 0.0
        return total


    async def predict(features: list[float]) -> float:
        """Run the CPU work off the event loop so other requests keep flowing."""
        if _pool is None:
            raise RuntimeError("start_pool() was not called")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(_pool, score, features)


    if __name__ == "__main__":
        start_pool()
        print(asyncio.run(predict([1.0, 2.0, 3.0])), os.cpu_count())
'''

_RETRY = '''
    import asyncio
    import random
    from collections.abc import Awaitable, Callable
    from typing import TypeVar

    T = TypeVar("T")


    async def with_retries(
        call: Callable[[], Awaitable[T]],
        *,
        attempts: int = 4,
        base_s: float = 0.05,
        cap_s: float = 2.0,
        timeout_s: float = @timeout@,
    ) -> T:
        """Timeout every attempt; retry with capped exponential backoff and full jitter."""
        for attempt in range(attempts):
            try:
                return await asyncio.wait_for(call(), timeout=timeout_s)
            except (TimeoutError, ConnectionError):
                if attempt == attempts - 1:
                    raise
                await asyncio.sleep(random.uniform(0, min(cap_s, base_s * 2**attempt)))
        raise AssertionError("unreachable")
'''

_LEDGER = '''
    import asyncio
    import json
    import random
    import uuid

    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    SERIALIZATION_FAILURE = "40001"


    async def transfer(
        sessions: async_sessionmaker[AsyncSession],
        idempotency_key: uuid.UUID,
        source: int,
        target: int,
        cents: int,
    ) -> bool:
        """Move money exactly once: SERIALIZABLE, idempotency key, outbox row in one commit."""
        for attempt in range(5):
            try:
                async with sessions() as session, session.begin():
                    await session.connection(execution_options={"isolation_level": "SERIALIZABLE"})
                    first = await session.execute(
                        text("INSERT INTO idempotency_keys (key) VALUES (:k) "
                             "ON CONFLICT DO NOTHING RETURNING key"),
                        {"k": idempotency_key},
                    )
                    if first.first() is None:
                        return False  # already applied: a retried request, not a new transfer
                    await session.execute(
                        text("UPDATE accounts SET balance = balance - :c WHERE id = :s "
                             "AND balance >= :c"),
                        {"c": cents, "s": source},
                    )
                    await session.execute(
                        text("UPDATE accounts SET balance = balance + :c WHERE id = :t"),
                        {"c": cents, "t": target},
                    )
                    await session.execute(
                        text("INSERT INTO outbox (topic, payload) VALUES ('transfers', :p)"),
                        {"p": json.dumps({"key": str(idempotency_key), "cents": cents})},
                    )
                return True
            except DBAPIError as exc:
                if getattr(exc.orig, "sqlstate", None) != SERIALIZATION_FAILURE or attempt == 4:
                    raise
                await asyncio.sleep(random.uniform(0, 0.01 * 2**attempt))
        return False
'''

_CACHE = '''
    import json
    from collections.abc import Awaitable, Callable
    from typing import Any

    from redis.asyncio import Redis

    redis = Redis.from_url("redis://cache:6379/0", socket_timeout=0.05)
    TTL_S = @ttl@  # the stale-read tolerance from the requirements


    async def cached(key: str, load: Callable[[], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
        """Cache-aside: read the cache, fall back to the database, never fail on the cache."""
        try:
            hit = await redis.get(key)
            if hit is not None:
                return dict(json.loads(hit))
        except OSError:
            pass  # a cache outage must degrade to the database, not to an error
        value = await load()
        try:
            await redis.set(key, json.dumps(value), ex=TTL_S)
        except OSError:
            pass
        return value
'''

_GRPC = '''
    import asyncio

    import grpc

    from app.protos import service_pb2_grpc  # generated by grpcio-tools


    async def serve(servicer: service_pb2_grpc.ServiceServicer, port: int = 50051) -> None:
        """One grpc.aio server per process; run @workers@ processes with SO_REUSEPORT."""
        server = grpc.aio.server(
            options=[
                ("grpc.so_reuseport", 1),
                ("grpc.max_concurrent_streams", 256),
                ("grpc.keepalive_time_ms", 30_000),
            ],
            maximum_concurrent_rpcs=@max_rpcs@,  # load shedding above ~2× in-flight per worker
        )
        service_pb2_grpc.add_ServiceServicer_to_server(servicer, server)
        server.add_insecure_port(f"[::]:{port}")  # mTLS terminates at the mesh or use ssl creds
        await server.start()
        await server.wait_for_termination()


    if __name__ == "__main__":
        asyncio.run(serve(service_pb2_grpc.ServiceServicer()))
'''

_DATA = {
    "pandas": '''
        import pandas as pd


        def run(source: str, target: str) -> None:
            """@gb@ GB: fits in memory (pandas needs ≈ @ram@ GB)."""
            df = pd.read_parquet(source, columns=["customer_id", "amount", "ts"])
            daily = df.groupby([df["ts"].dt.date, "customer_id"], as_index=False)["amount"].sum()
            daily.to_parquet(target, index=False)
    ''',
    "polars": '''
        import polars as pl


        def run(source: str, target: str) -> None:
            """@gb@ GB: lazy scan + streaming engine, out of core on one machine."""
            (
                pl.scan_parquet(source)
                .select("customer_id", "amount", "ts")
                .group_by(pl.col("ts").dt.date().alias("day"), "customer_id")
                .agg(pl.col("amount").sum())
                .sink_parquet(target)
            )
    ''',
    "Dask": '''
        import dask.dataframe as dd
        from dask.distributed import Client


        def run(source: str, target: str) -> None:
            """@gb@ GB across a small cluster, with the pandas API."""
            with Client():  # or Client("scheduler:8786")
                df = dd.read_parquet(source, columns=["customer_id", "amount", "ts"])
                df["day"] = df["ts"].dt.date
                df.groupby(["day", "customer_id"])["amount"].sum().to_frame().to_parquet(target)
    ''',
    "PySpark": '''
        from pyspark.sql import SparkSession
        from pyspark.sql import functions as F


        def run(source: str, target: str) -> None:
            """@gb@ GB: distributed, with adaptive query execution."""
            spark = (
                SparkSession.builder.appName("pipeline")
                .config("spark.sql.adaptive.enabled", "true")
                .getOrCreate()
            )
            df = spark.read.parquet(source).select("customer_id", "amount", "ts")
            daily = df.groupBy(F.to_date("ts").alias("day"), "customer_id").agg(F.sum("amount"))
            daily.write.mode("overwrite").partitionBy("day").parquet(target)
    ''',
    "Kafka": '''
        import json

        from confluent_kafka import Consumer


        def run(topic: str = "events") -> None:
            """Freshness @fresh@ s: a consumer group; commit offsets after the work is durable."""
            consumer = Consumer({
                "bootstrap.servers": "kafka:9092",
                "group.id": "pipeline",
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
            })
            consumer.subscribe([topic])
            try:
                while True:
                    msg = consumer.poll(1.0)
                    if msg is None or msg.error():
                        continue
                    event = json.loads(msg.value())
                    print(event)  # replace with an idempotent upsert keyed by the event id
                    consumer.commit(message=msg, asynchronous=False)
            finally:
                consumer.close()
    ''',
}


def snippets(plan: Plan) -> list[tuple[str, str]]:
    """``(title, python source)`` for each critical part the plan needs."""
    cap, conc, db = plan.capacity, plan.concurrency, plan.database
    is_async = conc.model in (ConcurrencyModel.ASYNCIO, ConcurrencyModel.HYBRID)
    timeout = round(max(0.05, (plan.requirements.latency.p99_ms or 1000) / 1000 / 2), 3)
    out: list[tuple[str, str]] = []
    if db is not None:
        out.append(
            (
                "Settings from the environment",
                _fill(_SETTINGS, timeout=timeout, pool=db.pool_size, overflow=db.max_overflow),
            )
        )
    processes = cap.instances * conc.workers_per_instance
    iface = plan.requirements.interface
    if db is not None and iface is not None and iface.value != "batch":
        common = {
            "pool": db.pool_size,
            "overflow": db.max_overflow,
            "processes": processes,
            "per_process": db.pool_size + db.max_overflow,
            "total": db.total_connections,
            "usable": db.connection_limit - db.reserved_connections,
            "pool_timeout": timeout,
            "wc": conc.worker_class,
        }
        if is_async:
            extra = (
                '\n        connect_args={"statement_cache_size": 0},  # PgBouncer transaction mode'
                if db.pgbouncer
                else ""
            )
            out.append(
                (
                    "Connection pool in the app lifespan",
                    _fill(_ASYNC_POOL, connect_args=extra, **common),
                )
            )
        else:
            out.append(("Connection pool per worker", _fill(_SYNC_POOL, **common)))
    if iface is not None and iface.value in ("rest", "graphql", "websocket", "events"):
        worker_class = {"uvicorn": "uvicorn_worker.UvicornWorker", "gthread": "gthread"}.get(
            conc.worker_class, "sync"
        )
        out.append(
            (
                "Server configuration",
                _fill(
                    _GUNICORN,
                    instances=cap.instances,
                    cores=cap.cores_per_instance,
                    workers=conc.workers_per_instance,
                    worker_class=worker_class,
                    threads=conc.threads_per_worker,
                    p99=f"{plan.requirements.latency.p99_ms or 0:g}",
                    formula=plan.figure("workers_per_instance").formula,
                ),
            )
        )
    if iface is not None and iface.value == "grpc":
        out.append(
            (
                "gRPC server",
                _fill(
                    _GRPC,
                    workers=conc.workers_per_instance,
                    max_rpcs=max(8, round(2 * conc.in_flight_per_worker) + 8),
                ),
            )
        )
    if conc.process_pool_workers:
        out.append(
            (
                "CPU work in a process pool",
                _fill(_PROCESS_POOL, pool_workers=conc.process_pool_workers),
            )
        )
    if db is not None and (db.outbox or db.isolation.startswith("SERIALIZABLE")):
        out.append(
            ("Exactly-once command: SERIALIZABLE + idempotency key + outbox", _fill(_LEDGER))
        )
    if db is not None and db.cache.startswith("Redis"):
        out.append(("Cache-aside with a bounded TTL", _fill(_CACHE, ttl=f"{db.cache_ttl_s:g}")))
    if iface is not None and iface.value != "batch":
        out.append(
            ("Timeouts and retries with backoff and full jitter", _fill(_RETRY, timeout=timeout))
        )
    if plan.data is not None:
        tool = plan.data.tool
        key = next(
            (k for k in ("Kafka", "PySpark", "Dask", "polars", "pandas") if k in tool), "pandas"
        )
        if key == "Kafka" and "Spark" in tool:
            key = "PySpark"
        out.append(
            (
                f"Data job ({key})",
                _fill(
                    _DATA[key],
                    gb=f"{plan.data.data_gb:,.0f}",
                    ram=f"{plan.data.ram_needed_gb:,.0f}",
                    fresh=f"{plan.data.freshness_s:g}",
                ),
            )
        )
    return out
