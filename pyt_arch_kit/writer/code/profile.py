"""What the code examples depend on, read once from the plan: one switch per branch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pyt_arch_kit.planning.choices import Broker, Cache, DataTool, Driver, Framework
from pyt_arch_kit.planning.model import ConcurrencyModel, Plan
from pyt_arch_kit.requirements import DatabaseKind

__all__ = ["LOW_TRAFFIC_RPS", "Profile", "Timeouts", "profile", "timeouts"]

#: Below this average rate a service is low-traffic: its 5-min alert window holds under 300
#: requests (and next to none off-hours), so a few failures breach a burn-rate page and a retry
#: budget never matters (SRE Workbook, ch. 5, "Low-traffic services").
LOW_TRAFFIC_RPS = 1.0

# The branches' names are literal types: mypy --strict (strict equality) refuses a comparison
# with a name that is not one of them.
Web = Literal["fastapi", "strawberry", "flask", "django", "grpc", ""]
Dialect = Literal["postgresql", "mysql", "mongodb", "redis", ""]
DriverName = Literal["asyncpg", "psycopg", "asyncmy", "pymysql", "pymongo", "redis", ""]
CacheKind = Literal["redis", "local", ""]
BrokerKey = Literal["kafka", "pulsar", "rabbitmq", "sqs", ""]
DataJob = Literal["pandas", "polars", "Dask", "PySpark", "Kafka", "Spark streaming", ""]

#: Each framework's branch of the code.
_WEB: dict[Framework, Web] = {
    Framework.FASTAPI: "fastapi",
    Framework.STRAWBERRY: "strawberry",
    Framework.FLASK: "flask",
    Framework.DJANGO: "django",
    Framework.GRPCIO: "grpc",
    Framework.GRPC_AIO: "grpc",
    Framework.BATCH_JOB: "",
    Framework.STREAM_JOB: "",
    Framework.FLASK_CONSUMER: "flask",
    Framework.FASTAPI_CONSUMERS: "fastapi",
}
#: Each driver's import name.
_DRIVER: dict[Driver, DriverName] = {
    Driver.ASYNCPG: "asyncpg",
    Driver.PSYCOPG: "psycopg",
    Driver.ASYNCMY: "asyncmy",
    Driver.PYMYSQL: "pymysql",
    Driver.PYMONGO_ASYNC: "pymongo",
    Driver.PYMONGO: "pymongo",
    Driver.REDIS_ASYNC: "redis",
    Driver.REDIS: "redis",
}
_CACHE: dict[Cache, CacheKind] = {Cache.REDIS: "redis", Cache.LOCAL: "local"}
_DIALECT: dict[DatabaseKind, Dialect] = {
    DatabaseKind.POSTGRESQL: "postgresql",
    DatabaseKind.MYSQL: "mysql",
    DatabaseKind.MONGODB: "mongodb",
    DatabaseKind.NONE: "",
    DatabaseKind.TIMESCALEDB: "postgresql",  # PostgreSQL with the extension: the same code
    DatabaseKind.REDIS: "redis",
}
_BROKER: dict[Broker, BrokerKey] = {
    Broker.KAFKA: "kafka",
    Broker.PULSAR: "pulsar",
    Broker.RABBITMQ: "rabbitmq",
    Broker.SQS: "sqs",
}
#: Each data tool's job.
_DATA: dict[DataTool, DataJob] = {
    DataTool.SPARK_STREAMING: "Spark streaming",
    DataTool.KAFKA_CONSUMERS: "Kafka",
    DataTool.PANDAS: "pandas",
    DataTool.POLARS: "polars",
    DataTool.DASK: "Dask",
    DataTool.PYSPARK: "PySpark",
}


@dataclass(frozen=True)
class Profile:
    """The branches a design's code takes.

    Attributes:
        is_async: the request path runs on an event loop (asyncio or hybrid workers).
        web: ``"fastapi"``, ``"strawberry"``, ``"flask"``, ``"django"``, ``"grpc"`` or ``""``.
        dialect: ``"postgresql"`` (TimescaleDB too), ``"mysql"``, ``"mongodb"``, ``"redis"``
            (Redis as the store) or ``""`` (no database).
        driver: the driver's import name (``asyncpg``, ``psycopg``, ``asyncmy``, ``pymysql``,
            ``pymongo``, ``redis``) or ``""``.
        cache: ``"redis"``, ``"local"`` or ``""``.
        ledger: the exactly-once command (row locks or outbox) is part of the design.
        broker: the broker key (``kafka``, ``pulsar``, ``rabbitmq``, ``sqs``) or ``""``.
        data: the data job's kind (``pandas``, ``polars``, ``Dask``, ``PySpark``, ``Kafka``,
            ``Spark streaming``) or ``""``.
        pgbouncer: connections go through PgBouncer in transaction mode.
        serve: the app is served over HTTP by gunicorn (REST, GraphQL, WebSocket, events).
        websocket: the app holds WebSockets: a route, per-socket queues, Redis pub/sub.
        low_traffic: a served app whose average rate is below :data:`LOW_TRAFFIC_RPS`: no
            retry-budget code; burn-rate alerts are tickets, not pages.
        approvals: a sync service on PostgreSQL whose summary says it approves things
            (expense reports, say): a state machine, four eyes, an append-only audit trail.
        model: a CPU-bound Flask service with one sync worker per core (no process pool)
            serves a model: loaded before readiness, a pinned version, a timeout per call.
    """

    is_async: bool
    web: Web
    dialect: Dialect
    driver: DriverName
    cache: CacheKind
    ledger: bool
    broker: BrokerKey
    data: DataJob
    pgbouncer: bool
    serve: bool
    websocket: bool = False
    model: bool = False
    low_traffic: bool = False
    approvals: bool = False

    @property
    def url_scheme(self) -> str:
        """The SQLAlchemy (or MongoDB) URL scheme the code expects."""
        return {
            "asyncpg": "postgresql+asyncpg",
            "psycopg": "postgresql+psycopg",
            "asyncmy": "mysql+asyncmy",
            "pymysql": "mysql+pymysql",
            "pymongo": "mongodb",
            "redis": "redis",
        }.get(self.driver, "")

    @property
    def sql(self) -> bool:
        """The database is reached through SQLAlchemy (PostgreSQL or MySQL)."""
        return self.dialect in ("postgresql", "mysql")


@dataclass(frozen=True)
class Timeouts:
    """Time budgets derived from the p99 target, in seconds."""

    p99_s: float
    deadline_s: float
    attempt_s: float
    pool_s: float
    cache_s: float


def timeouts(plan: Plan) -> Timeouts:
    """Budgets under the p99 target: a call's retries all finish inside it."""
    p99 = plan.resolved.latency.p99_ms / 1000
    deadline = round(0.8 * p99, 3)
    return Timeouts(
        p99_s=p99,
        deadline_s=deadline,
        # a fraction of the deadline, so a retry fits inside it
        attempt_s=round(max(min(0.02, deadline / 2), deadline / 3), 3),
        pool_s=round(max(0.005, p99 / 2), 3),  # waiting for a connection: inside the p99
        cache_s=round(min(0.05, max(0.01, p99 / 10)), 3),
    )


def profile(plan: Plan) -> Profile:
    """The branches this plan's code takes."""
    conc, db = plan.concurrency, plan.database
    iface = plan.resolved.interface.value
    return Profile(
        is_async=conc.model in (ConcurrencyModel.ASYNCIO, ConcurrencyModel.HYBRID),
        web=_WEB[conc.framework],
        dialect="" if db is None else _DIALECT[db.engine],
        driver="" if db is None else _DRIVER[db.driver],
        cache="" if db is None else _CACHE.get(db.cache, ""),
        ledger=db is not None
        and (db.engine.postgres or db.engine is DatabaseKind.MYSQL)
        and (db.outbox or db.isolation.locks_rows),
        broker=_BROKER[plan.broker.key] if plan.broker else "",
        data="" if plan.data is None else _DATA[plan.data.tool],
        pgbouncer=db is not None and db.pgbouncer,
        serve=iface in ("rest", "graphql", "websocket", "events"),
        websocket=iface == "websocket"
        and conc.framework in (Framework.FASTAPI, Framework.STRAWBERRY)
        and conc.model in (ConcurrencyModel.ASYNCIO, ConcurrencyModel.HYBRID),
        model=iface == "rest"
        and conc.framework is Framework.FLASK
        and conc.model is ConcurrencyModel.PROCESSES
        and not conc.process_pool_workers,
        low_traffic=iface in ("rest", "graphql") and plan.resolved.scale.avg_rps < LOW_TRAFFIC_RPS,
        approvals=iface == "rest"
        and db is not None
        and db.engine is DatabaseKind.POSTGRESQL
        and conc.model
        in (ConcurrencyModel.SYNC, ConcurrencyModel.THREADS, ConcurrencyModel.PROCESSES)
        and "approv" in (plan.requirements.summary or "").lower(),
    )
