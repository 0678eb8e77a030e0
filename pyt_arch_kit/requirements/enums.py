"""The choices a requirement field takes, and the CPU-share thresholds that name a workload."""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "CACHE_READ_SHARE",
    "CPU_BOUND_SHARE",
    "IO_BOUND_SHARE",
    "Architecture",
    "Balancer",
    "ConsistencyPriority",
    "DataMode",
    "DataShape",
    "DatabaseKind",
    "Hosting",
    "Interface",
    "WorkloadKind",
]


class ConsistencyPriority(StrEnum):
    """Which side of CAP/PACELC the system leans to."""

    STRONG = "strong"
    BALANCED = "balanced"
    AVAILABILITY = "availability"


class Balancer(StrEnum):
    """How the load balancer picks an instance for each request."""

    RANDOM = "random"
    ROUND_ROBIN = "round_robin"
    LEAST_OUTSTANDING = "least_outstanding"


class WorkloadKind(StrEnum):
    """Where a request spends its time (by :data:`CPU_BOUND_SHARE` and :data:`IO_BOUND_SHARE`)."""

    IO = "io"
    CPU = "cpu"
    MIXED = "mixed"


#: A request is CPU-bound from this share of its time on CPU (processes, not an event loop).
CPU_BOUND_SHARE = 0.6
#: A read cache is planned from this share of reads (with stale reads allowed for ≥ 1 s).
CACHE_READ_SHARE = 0.7
#: A request is IO-bound up to this share of its time on CPU (an event loop, no process pool).
IO_BOUND_SHARE = 0.2


class DataMode(StrEnum):
    """Whether the system also processes data in bulk."""

    NONE = "none"
    BATCH = "batch"
    STREAMING = "streaming"


class DataShape(StrEnum):
    """What the stored data looks like: it picks the store when none is named."""

    RELATIONAL = "relational"  # entities and relations, transactions: PostgreSQL
    TIME_SERIES = "time_series"  # timestamped measurements, appended, queried by range: TimescaleDB
    KEY_VALUE = "key_value"  # values fetched by key, no queries across them: Redis, persisted
    DOCUMENT = "document"  # self-contained nested records with varying fields: MongoDB


class Hosting(StrEnum):
    """Where the system runs."""

    CLOUD = "cloud"
    ON_PREM = "on_prem"
    HYBRID = "hybrid"


class Interface(StrEnum):
    """How clients talk to the system."""

    REST = "rest"
    GRPC = "grpc"
    GRAPHQL = "graphql"
    WEBSOCKET = "websocket"
    EVENTS = "events"
    BATCH = "batch"


class DatabaseKind(StrEnum):
    """The primary data store: relational (PostgreSQL, MySQL), document (MongoDB), time-series
    (TimescaleDB, a PostgreSQL extension) or key-value (Redis, with persistence)."""

    POSTGRESQL = "postgresql"
    MYSQL = "mysql"
    MONGODB = "mongodb"
    NONE = "none"
    TIMESCALEDB = "timescaledb"
    REDIS = "redis"

    @property
    def postgres(self) -> bool:
        """Whether the store is PostgreSQL underneath (TimescaleDB is an extension of it)."""
        return self in (DatabaseKind.POSTGRESQL, DatabaseKind.TIMESCALEDB)


class Architecture(StrEnum):
    """The overall shape the team proposes."""

    MONOLITH = "monolith"
    MODULAR_MONOLITH = "modular_monolith"
    MICROSERVICES = "microservices"
    SERVERLESS = "serverless"
