"""The typed choices a plan makes, and their text, in one place.

Each choice is a :class:`~enum.StrEnum` whose value is the text a design shows for it (so a plan's
JSON and Markdown read as before, and a member compares equal to its text). Code that branches on
a choice compares members (``db.cache is Cache.REDIS``), never the wording: rewording a value
here changes what a design says, not what it decides. The one text composed from several
choices, the framework of an event-driven service with its broker, is :func:`framework_text`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyt_arch_kit.planning.model import BrokerPlan

__all__ = [
    "Broker",
    "Cache",
    "DataTool",
    "Driver",
    "FindingKind",
    "Framework",
    "Isolation",
    "QueueScope",
    "Server",
    "WorkerClass",
    "framework_text",
]


class Framework(StrEnum):
    """The web or service framework an instance runs.

    ``FLASK_CONSUMER`` and ``FASTAPI_CONSUMERS`` are an event-driven service: a web framework
    for commands plus broker consumers — Flask on sync workers (a WSGI app, as gunicorn's sync
    workers need), FastAPI on event loops; their text names the broker (:func:`framework_text`).
    """

    FASTAPI = "FastAPI"
    STRAWBERRY = "Strawberry GraphQL on FastAPI"
    FLASK = "Flask"
    DJANGO = "Django"
    GRPCIO = "grpcio"
    GRPC_AIO = "grpcio (grpc.aio)"
    BATCH_JOB = "batch job (CLI entry point)"
    STREAM_JOB = "stream job (long-running entry point)"
    FLASK_CONSUMER = "Flask (commands) + consumer"
    FASTAPI_CONSUMERS = "FastAPI (commands) + consumers"


class Server(StrEnum):
    """What serves the framework's requests (or starts the job)."""

    GRPC = "grpc.server (one process per container, a core each)"
    GRPC_AIO = "grpc.aio server (one process per container, a core each)"
    SCHEDULER = "scheduler (cron / Kubernetes CronJob)"
    SUPERVISOR = "supervisor (a Kubernetes Deployment that restarts it from its checkpoint)"
    GUNICORN_CONSUMERS = "gunicorn + consumer processes"
    UVICORN_CONSUMERS = "uvicorn workers + consumer processes"
    GUNICORN_SYNC = "gunicorn (sync workers)"
    GUNICORN_GTHREAD = "gunicorn (gthread workers)"
    GUNICORN_PER_CORE = "gunicorn (sync workers, one per core)"
    UVICORN = "uvicorn workers"
    UVICORN_GUNICORN = "uvicorn workers (under gunicorn or uvicorn --workers)"


class WorkerClass(StrEnum):
    """The kind of worker process a server runs."""

    SYNC = "sync"
    GTHREAD = "gthread"
    UVICORN = "uvicorn"
    PROCESS = "process"
    AIO = "aio"
    JOB = "job"


class Driver(StrEnum):
    """The database driver, with the library that holds its pool."""

    ASYNCPG = "asyncpg via SQLAlchemy 2.0 (async)"
    PSYCOPG = "psycopg 3 via SQLAlchemy 2.0"
    ASYNCMY = "asyncmy via SQLAlchemy 2.0 (async)"
    PYMYSQL = "PyMySQL via SQLAlchemy 2.0"
    PYMONGO_ASYNC = "PyMongo AsyncMongoClient (Motor is deprecated)"
    PYMONGO = "PyMongo MongoClient"
    REDIS_ASYNC = "redis-py redis.asyncio (ConnectionPool)"
    REDIS = "redis-py (ConnectionPool)"


class Cache(StrEnum):
    """The read cache in front of the database, or none."""

    NONE = "none"
    NONE_STRONG = "none for mutable data (reads go to the primary)"
    MEASURE_FIRST = "none until measured (the modelled hit ratio is too low)"
    REDIS = "Redis, cache-aside"
    LOCAL = "in-process TTL cache (cachetools)"


class Isolation(StrEnum):
    """The transaction isolation (or MongoDB read and write concerns) the design uses.

    An invariant (a balance never negative) is guarded by one mechanism: row locks taken in a
    fixed order at READ COMMITTED (``LOCKED``, ``LOCKED_INNODB``). The SERIALIZABLE members are
    not chosen by the planner (SERIALIZABLE *and* the locks did the work twice and failed 8 %
    of contended transfers, issue 20); they stay for plans built by hand.
    """

    LOCKED = (
        "READ COMMITTED (the PostgreSQL default) with row locks: every transaction that "
        "writes a balance first locks its accounts, SELECT … FOR UPDATE in account-id order"
    )
    LOCKED_INNODB = (
        "READ COMMITTED with row locks: every transaction that writes a balance first locks "
        "its accounts, SELECT … FOR UPDATE in account-id order (InnoDB record locks)"
    )
    SERIALIZABLE = (
        "SERIALIZABLE (SSI) for every transaction that reads or writes the invariant's rows "
        "(balances); READ COMMITTED only for transactions that touch none of them"
    )
    SERIALIZABLE_INNODB = (
        "SERIALIZABLE (InnoDB: every plain SELECT becomes a shared-locking read) for every "
        "transaction that reads or writes the invariant's rows (balances); READ COMMITTED "
        "only for transactions that touch none of them"
    )
    READ_COMMITTED = "READ COMMITTED (the PostgreSQL default)"
    REPEATABLE_READ = "REPEATABLE READ (the InnoDB default)"
    MONGO_TRANSACTIONS = "multi-document transactions, writeConcern majority, readConcern snapshot"
    MONGO_MAJORITY = "writeConcern majority, readConcern local"
    REDIS_MULTI = "single commands and MULTI/EXEC blocks (atomic, no rollback); WATCH to check"

    @property
    def serializable(self) -> bool:
        """Whether the invariant's transactions run SERIALIZABLE (SSI, or InnoDB's locking)."""
        return self in (Isolation.SERIALIZABLE, Isolation.SERIALIZABLE_INNODB)

    @property
    def locks_rows(self) -> bool:
        """Whether the invariant's rows are guarded (by row locks, or by SERIALIZABLE)."""
        return self.serializable or self in (Isolation.LOCKED, Isolation.LOCKED_INNODB)


class Broker(StrEnum):
    """A message broker, by its key."""

    KAFKA = "kafka"
    PULSAR = "pulsar"
    RABBITMQ = "rabbitmq"
    SQS = "sqs"


class DataTool(StrEnum):
    """The tool that processes bulk data."""

    SPARK_STREAMING = "Kafka + Spark Structured Streaming (PySpark)"
    KAFKA_CONSUMERS = "Kafka + a Python consumer group (confluent-kafka), state in PostgreSQL/Redis"
    PANDAS = "pandas"
    POLARS = "polars (lazy, streaming engine)"
    DASK = "Dask (distributed)"
    PYSPARK = "PySpark"

    @property
    def short_name(self) -> str:
        """The tool's name without where its state lives (a diagram node's label)."""
        return _TOOL_NAMES.get(self, self.value)


_TOOL_NAMES = {DataTool.KAFKA_CONSUMERS: "Kafka + a Python consumer group (confluent-kafka)"}


class QueueScope(StrEnum):
    """Where requests queue: each worker is its own queue, an instance's workers share one, or
    nothing queues (no CPU time, or no requests)."""

    WORKER = "worker"
    INSTANCE = "instance"
    NONE = "none"


class FindingKind(StrEnum):
    """What a finding is: push-back on the proposal, or a risk in the numbers."""

    PUSH_BACK = "push-back"
    WARNING = "warning"


def framework_text(framework: Framework, broker: BrokerPlan | None) -> str:
    """The framework as a design names it: an event-driven service names its broker and client.

    Example:
        >>> framework_text(Framework.FLASK, None)
        'Flask'
    """
    if broker is not None and framework is Framework.FLASK_CONSUMER:
        return f"Flask (commands) + {broker.name} consumer ({broker.client})"
    if broker is not None and framework is Framework.FASTAPI_CONSUMERS:
        return f"FastAPI (commands) + {broker.name} consumers ({broker.client})"
    return framework.value
