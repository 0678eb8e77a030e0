"""What a time-series store (TimescaleDB) or a key-value store (Redis) adds to the database plan.

TimescaleDB is PostgreSQL with an extension: the pools, drivers and PgBouncer are PostgreSQL's,
and the plan adds the hypertable's chunk interval, compression, retention and continuous
aggregates. Redis as the store (not a cache) is sized by memory and kept by persistence: AOF
with ``appendfsync everysec`` and RDB snapshots, ``maxmemory-policy noeviction``.
"""

from __future__ import annotations

import math

from pyt_arch_kit.planning.model import DatabasePlan, Decision, Figure
from pyt_arch_kit.requirements import DatabaseKind
from pyt_arch_kit.resolved import ResolvedRequirements

__all__ = ["GB_PER_VCPU", "compress_after_days", "store_plan"]

TIMESCALE_CHUNKS = (
    "TimescaleDB docs, “Hypertables: chunk time interval”: size chunks so the most recent "
    "(uncompressed) chunks of all hypertables fit in about 25 % of main memory; default 7 days"
)
REDIS_PERSISTENCE = (
    "Redis docs, “Redis persistence”: AOF with appendfsync everysec loses at most about 1 s of "
    "writes; RDB and AOF rewrites fork, and copy-on-write can need up to the data set's size "
    "again in memory"
)
#: Memory per vCPU of the memory-optimised class the database is priced as (8 GiB, in GB),
#: for the chunk interval.
GB_PER_VCPU = 8 * 1.073741824
#: Redis's memory per GB of raw data (keys, pointers, encodings), assumed; measure INFO memory.
_REDIS_OVERHEAD = 1.5
#: Largest Redis data set planned on one primary before sharding (GB).
_REDIS_SHARD_GB = 25.0


#: Retention never stated past this (a century): growth so slow keeps everything.
MAX_RETENTION_DAYS = 36_500.0


def compress_after_days(chunk_h: float) -> int:
    """Days after which a chunk is compressed: two chunk intervals, in whole days (at least 2)."""
    return max(1, math.ceil(chunk_h / 24)) * 2


def store_plan(req: ResolvedRequirements, db: DatabasePlan) -> tuple[list[Figure], list[Decision]]:
    """The figures and decisions a TimescaleDB or Redis store adds; none for other engines."""
    if db.engine is DatabaseKind.TIMESCALEDB:
        return _timescale(req, db)
    if db.engine is DatabaseKind.REDIS:
        return _redis(req)
    return [], []


def _timescale(req: ResolvedRequirements, db: DatabasePlan) -> tuple[list[Figure], list[Decision]]:
    per_day = req.scale.growth_gb_per_month / 30
    memory = db.db_cores * GB_PER_VCPU
    # a trickle of growth makes both ratios astronomically large (even infinite): clamp first
    hours = min(24 * 0.25 * memory / per_day, 168.0) if per_day > 0 else 168.0
    chunk_h = float(max(1, math.floor(hours)))
    days = req.scale.data_gb / per_day if per_day > 0 else 0.0
    retention = math.ceil(min(days, MAX_RETENTION_DAYS))
    figures = [
        Figure(
            "timescale_chunk_interval_h",
            "Hypertable chunk interval",
            chunk_h,
            "hours",
            "⌊24 · 0.25 · memory / GB ingested per day⌋, between 1 h and 7 days",
            (
                ("memory GB (db cores × GB per vCPU)", memory),
                ("GB ingested per day", per_day),
            ),
            TIMESCALE_CHUNKS,
        )
    ]
    if retention:
        figures.append(
            Figure(
                "timescale_retention_days",
                "Days of raw data kept",
                retention,
                "days",
                "⌈data stored GB / GB ingested per day⌉",
                (("data stored GB", req.scale.data_gb), ("GB ingested per day", per_day)),
                "TimescaleDB docs, add_retention_policy: drop whole chunks older than this",
            )
        )
    keep = f"add_retention_policy(drop_after => INTERVAL '{retention} days')" if retention else ""
    decision = Decision(
        "time-series",
        f"TimescaleDB hypertable, chunk_time_interval {chunk_h:g} h; compression after "
        f"{compress_after_days(chunk_h)} days (segmentby the series id, orderby time)"
        + (f"; {keep}" if keep else "")
        + "; continuous aggregates for the rollups dashboards read",
        "time-ordered appends go to the newest chunk, which stays in memory; old chunks are "
        "compressed column-wise and dropped whole, never DELETEd row by row",
        "compressed chunks are cheap to read but costly to update: late or corrected points "
        "must land before compression; a continuous aggregate lags by its refresh interval",
        ("plain PostgreSQL with declarative partitioning", "InfluxDB", "ClickHouse"),
    )
    return figures, [decision]


def _redis(req: ResolvedRequirements) -> tuple[list[Figure], list[Decision]]:
    data = req.scale.data_gb + req.scale.growth_gb_per_month * 12
    used = data * _REDIS_OVERHEAD
    shards = max(1, math.ceil(used / _REDIS_SHARD_GB))
    figures = [
        Figure(
            "redis_memory_gb",
            "Redis memory for the data in a year (maxmemory)",
            used,
            "GB",
            "(data GB + 12 × growth GB per month) × overhead",
            (
                ("data GB", req.scale.data_gb),
                ("growth GB per month", req.scale.growth_gb_per_month),
                ("overhead (assumed)", _REDIS_OVERHEAD),
            ),
            "Redis docs, “Memory optimization” (per-key overhead); measure INFO memory",
        ),
        Figure(
            "redis_host_memory_gb",
            "Memory per Redis host, with room for the persistence fork",
            2 * used / shards,
            "GB",
            "2 × maxmemory per shard (copy-on-write during BGSAVE / AOF rewrite)",
            (("maxmemory GB", used), ("shards", shards)),
            REDIS_PERSISTENCE,
        ),
    ]
    decision = Decision(
        "persistence",
        "AOF with appendfsync everysec plus hourly RDB snapshots copied off the host; "
        "maxmemory-policy noeviction; a replica in another zone with Sentinel (or a managed "
        "service) for failover" + (f"; Redis Cluster with {shards} shards" if shards > 1 else ""),
        "Redis is the store, not a cache: a crash may lose at most ~1 s of writes (everysec), "
        "and a full memory must refuse writes (noeviction) rather than silently evict data",
        "appendfsync always loses nothing but fsyncs every write; replication is asynchronous, "
        "so a failover may lose the replica's lag as well; the data set must fit in memory",
        ("appendfsync always", "RDB snapshots only", "PostgreSQL for the durable copy"),
    )
    return figures, [decision]
