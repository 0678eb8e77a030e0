"""The bill of materials: cores, RAM, storage and network the finished plan asks for.

One :class:`BomLine` per part of the system (the application fleet, its process pools, the
database primary with its standbys and read replicas, the cache, the broker, the data job), each
sized from a stated figure: the RAM of a worker from :data:`WORKER_RSS_MB`, the database's RAM
from its working set, Redis's from the keys a TTL cache holds. The totals are :class:`Figure`
objects (keys ``bom_*``) with formula, inputs and source, so they show in the plan's tables
like every other number. Storage is sized for the growth horizon (:data:`HORIZON_MONTHS`).

A new part is one function ``(plan) -> list[BomLine]`` added to :data:`PARTS`; the totals add
up whatever the parts return.

Example:
    >>> from pyt_arch_kit import plan, preset
    >>> p = plan(preset("io-bound-api"))
    >>> [line.part for line in p.materials][:2]
    ['Application workers', 'Database primary']
    >>> p.figure("bom_cores").value == sum(line.cores for line in p.materials)
    True
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyt_arch_kit.planning.choices import Broker, Cache, DataTool
from pyt_arch_kit.planning.connections import SOCKET_KIB, SOCKET_SOURCE, holds_sockets
from pyt_arch_kit.planning.model import Figure, fmt_number
from pyt_arch_kit.planning.pipeline import NODE_CORES, RAM_PER_CORE_GB, RYZA
from pyt_arch_kit.planning.stores import REDIS_PERSISTENCE, compress_after_days
from pyt_arch_kit.requirements import DatabaseKind

if TYPE_CHECKING:
    from pyt_arch_kit.planning.model import Plan

__all__ = [
    "BACKUP_RETENTION_SOURCE",
    "COMPRESSION_SAVING",
    "DB_CLASSES",
    "DB_CLASS_URL",
    "DB_GB_PER_CORE",
    "DB_HOT_SHARE",
    "HORIZON_MONTHS",
    "PARTS",
    "WORKER_RSS_MB",
    "BomLine",
    "DbClass",
    "bill_figures",
    "db_class_for",
    "materials",
]

#: The growth horizon storage is sized for, in months (the capacity chart's horizon too).
HORIZON_MONTHS = 24
#: Resident memory of one Python worker process with its web framework, driver and ORM
#: imported, in MB: an assumption to replace with a measurement (``ps -o rss``, or smem's PSS
#: when gunicorn ``--preload`` shares pages between workers).
WORKER_RSS_MB = 150.0
_RSS_SOURCE = (
    "stated assumption, 150 MB per CPython worker (measure it: ps -o rss); every gunicorn or "
    "uvicorn worker and every ProcessPoolExecutor worker holds its own copy of the app "
    "(J. Sleppy, 'Gunicorn Application Preloading', 2021)"
)
#: RAM per database core of a general-purpose instance (AWS m7g/m7i, RDS db.m7g: 4 GiB/vCPU):
#: what a TimescaleDB server is assumed to need per core for its newest chunks.
DB_GB_PER_CORE = 4.0
#: Bytes in a GiB over bytes in a GB: instance classes state their memory in GiB.
GIB = 1.073741824
#: Amazon RDS DB instance classes (memory-optimised db.r7g: 2–64 vCPU, 8 GiB per vCPU).
DB_CLASS_URL = (
    "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.DBInstanceClass.Types.html"
)


@dataclass(frozen=True)
class DbClass:
    """A managed database instance class.

    Attributes:
        name: the provider's name, e.g. ``"db.r7g.2xlarge"``.
        vcpu: its vCPUs.
        gib: its memory in GiB.
    """

    name: str
    vcpu: int
    gib: int

    @property
    def gb(self) -> float:
        """Its memory in (decimal) GB."""
        return self.gib * GIB


#: The memory-optimised classes the database is priced as, smallest first (8 GiB per vCPU).
DB_CLASSES = tuple(
    DbClass(f"db.r7g.{size}", vcpu, 8 * vcpu)
    for size, vcpu in (
        ("large", 2),
        ("xlarge", 4),
        ("2xlarge", 8),
        ("4xlarge", 16),
        ("8xlarge", 32),
        ("16xlarge", 64),
    )
)


def db_class_for(cores: float, ram_gb: float) -> DbClass:
    """The smallest class with at least ``cores`` vCPU and ``ram_gb`` GB of memory (the largest
    when none has both: past one server is a finding, not a bigger class).

    Example:
        >>> db_class_for(8, 133).name  # the ledger: 8 cores needed, a 133 GB cache
        'db.r7g.4xlarge'
    """
    return next((c for c in DB_CLASSES if c.vcpu >= cores and c.gb >= ram_gb), DB_CLASSES[-1])


#: The share of the stored data that queries touch often (the working set): an assumption to
#: replace with a measurement (the buffer cache hit ratio in ``pg_stat_database``).
DB_HOT_SHARE = 0.2
#: The share of a database server's RAM that caches data (shared_buffers plus the OS page
#: cache): PostgreSQL's ``effective_cache_size`` guidance.
_CACHE_SHARE = 0.75
_DB_SOURCE = (
    "PostgreSQL documentation, 20.4 Resource Consumption (shared_buffers ≈ 25 % of RAM) and "
    "20.7 Query Planning (effective_cache_size: shared_buffers + OS cache); AWS EC2/RDS "
    "general-purpose instances: 4 GiB per vCPU"
)
BACKUP_RETENTION_SOURCE = (
    "PostgreSQL documentation, 26.3 Continuous Archiving and Point-in-Time Recovery: a base "
    "backup plus the WAL archived since"
)
#: Redis memory per byte of cached value: per-key overhead, allocator fragmentation and
#: replication buffers (Redis documentation, "Memory optimization").
_REDIS_OVERHEAD = 2.0
_REDIS_CORES = 2  # a managed node (ElastiCache m7g.large: 2 vCPU)
#: Kafka brokers keep 7 days (``log.retention.hours`` = 168) on 3 replicas
#: (``replication.factor`` 3 in production); the JVM heap is 6 GB (Kafka documentation, 6.6).
_RETENTION_DAYS = 7.0
_BROKER_COPIES = 3
_KAFKA_HEAP_GB = 6.0
#: The share of storage TimescaleDB's native compression saves on chunks older than the
#: compression policy's ``compress_after``: a stated assumption (measure it with
#: ``hypertable_compression_stats()``).
COMPRESSION_SAVING = 0.9
COMPRESSION_SOURCE = (
    "Timescale docs, “About compression”: columnar compression typically shrinks chunks by "
    "over 90 % (assumed 90 %; measure with hypertable_compression_stats())"
)
_SECONDS_PER_MONTH = 30 * 86_400
_KIB_PER_GB = 1e6 / 1.024  # KiB in a (decimal) GB


@dataclass(frozen=True)
class BomLine:
    """One part of the bill of materials.

    Attributes:
        part: what it is, e.g. ``"Application workers"``.
        count: how many machines, nodes or processes it is made of.
        cores: cores in all.
        ram_gb: RAM in all, in GB, from the stated figure in ``basis``.
        storage_gb: storage in all at the growth horizon, in GB (every copy).
        basis: how each number was sized.
        instance: the instance class each machine is priced as, when the plan chose one.
    """

    part: str
    count: int
    cores: float
    ram_gb: float
    storage_gb: float
    basis: str
    instance: str = ""


def _data_at_horizon(plan: Plan) -> float:
    s = plan.resolved.scale
    return s.data_gb + s.growth_gb_per_month * HORIZON_MONTHS


def _writes_per_s(plan: Plan) -> float:
    s = plan.resolved.scale
    return s.avg_rps * (1 - s.read_ratio)


def _app(plan: Plan) -> list[BomLine]:
    if "app" not in plan.components:
        return []
    cap, conc = plan.capacity, plan.concurrency
    workers = cap.instances * conc.workers_per_instance
    ram = workers * WORKER_RSS_MB / 1000
    sockets = ""
    if holds_sockets(plan.resolved):  # every connected user's socket holds buffers
        users = plan.resolved.scale.concurrent_users
        ram += users * SOCKET_KIB / _KIB_PER_GB
        sockets = f"; {users:,} open WebSockets × {SOCKET_KIB:g} KiB"
    return [
        BomLine(
            "Application workers",
            cap.instances,
            float(cap.instances * cap.cores_per_instance),
            ram,
            0.0,
            f"{cap.instances} instance(s) × {cap.cores_per_instance} cores; {workers} worker "
            f"process(es) × {WORKER_RSS_MB:g} MB RSS{sockets}",
        )
    ]


def _process_pool(plan: Plan) -> list[BomLine]:
    conc, cap = plan.concurrency, plan.capacity
    if not conc.process_pool_workers or "app" not in plan.components:
        return []
    procs = cap.instances * conc.workers_per_instance * conc.process_pool_workers
    return [
        BomLine(
            "Process-pool workers",
            procs,
            0.0,
            procs * WORKER_RSS_MB / 1000,
            0.0,
            f"{procs} ProcessPoolExecutor process(es) × {WORKER_RSS_MB:g} MB RSS, on the "
            "application instances' cores",
        )
    ]


def _results_only(plan: Plan) -> bool:
    """A batch job's database holds its results, not the data set (sized by the user)."""
    return plan.data is not None and "app" not in plan.components


def _retained(plan: Plan) -> bool:
    """A time-series store whose retention policy drops chunks as fast as new data arrives."""
    db, s = plan.database, plan.resolved.scale
    return db is not None and db.engine is DatabaseKind.TIMESCALEDB and s.growth_gb_per_month > 0


def _timescale_on_disk(plan: Plan, raw_gb: float) -> float:
    """``raw_gb`` of points as stored: the newest ``compress_after`` days raw, the older
    chunks compressed (:data:`COMPRESSION_SAVING`)."""
    per_day = plan.resolved.scale.growth_gb_per_month / 30
    recent = per_day * compress_after_days(plan.figure("timescale_chunk_interval_h").value)
    return min(raw_gb, recent) + max(0.0, raw_gb - recent) * (1 - COMPRESSION_SAVING)


def _db_data_gb(plan: Plan) -> float:
    """The database's data on disk per copy at the horizon (compressed, for TimescaleDB)."""
    db = plan.database
    if db is None or _results_only(plan):
        return 0.0
    # a retention policy keeps the stored data at what it is now (TimescaleDB's retention days
    # are data_gb / GB per day): it does not grow over the horizon
    raw = plan.resolved.scale.data_gb if _retained(plan) else _data_at_horizon(plan)
    return _timescale_on_disk(plan, raw) if db.engine is DatabaseKind.TIMESCALEDB else raw


def _db_ram_needed(plan: Plan, data_gb: float) -> float:
    """RAM one database server needs with ``data_gb`` stored: the cache for the working set;
    TimescaleDB's newest chunks in a quarter of its cores' memory."""
    db = plan.database
    assert db is not None
    if db.engine is DatabaseKind.TIMESCALEDB:
        return db.db_cores * DB_GB_PER_CORE
    if _results_only(plan):
        return 0.0
    return DB_HOT_SHARE * data_gb / _CACHE_SHARE


def _db_class(plan: Plan) -> tuple[DbClass, str]:
    """The instance class for today's working set, and how it was chosen (with when the
    growth outgrows it)."""
    db, s = plan.database, plan.resolved.scale
    assert db is not None
    need = _db_ram_needed(plan, s.data_gb)
    klass = db_class_for(db.db_cores, need)
    name = f"{klass.name} ({klass.vcpu} vCPU, {klass.gib} GiB)"
    past = (
        "; past the largest class: read replicas, a cache or sharding"
        if klass.gb < need or klass.vcpu < db.db_cores
        else ""
    )
    if db.engine is DatabaseKind.TIMESCALEDB:
        return (
            klass,
            f"{name}: {db.db_cores} cores{past}; the chunk interval keeps the newest chunks ",
        )
    if _results_only(plan):
        return klass, f"{name}: {db.db_cores} cores{past}"
    basis = (
        f"{name}: the smallest r-class with ≥ {db.db_cores} cores and ≥ {need:,.0f} GB RAM "
        f"(working set {DB_HOT_SHARE:.0%} of today's {s.data_gb:,.0f} GB / {_CACHE_SHARE:.0%})"
    )
    if past:
        return klass, basis + past
    later = _db_ram_needed(plan, _data_at_horizon(plan))
    if later > klass.gb and s.growth_gb_per_month > 0:
        month = max(
            1,
            math.ceil((klass.gb * _CACHE_SHARE / DB_HOT_SHARE - s.data_gb) / s.growth_gb_per_month),
        )
        basis += (
            f"; outgrown in month {month} ({later:,.0f} GB at {HORIZON_MONTHS} months: "
            f"{db_class_for(db.db_cores, later).name}): scale up when the buffer-cache hit "
            "ratio falls below 99 %"
        )
    return klass, basis


def _redis_store(plan: Plan) -> list[BomLine]:
    """Redis as the store: each shard's host holds twice maxmemory (the persistence fork)."""
    db = plan.database
    assert db is not None
    host_gb = plan.figure("redis_host_memory_gb").value
    used = plan.figure("redis_memory_gb").value
    shards = max(1, round(2 * used / host_gb)) if host_gb else 1
    basis = (
        f"{shards} shard(s) × {_REDIS_CORES} cores and {fmt_number(host_gb)} GB (2 × maxmemory "
        "for the fork of BGSAVE and AOF rewrites); disk: the RDB snapshot and the AOF, each "
        "about the data"
    )
    lines = [
        BomLine(
            "Redis store primaries",
            shards,
            float(shards * _REDIS_CORES),
            shards * host_gb,
            2 * used,
            basis,
        )
    ]
    if db.standbys:
        n = db.standbys * shards
        lines.append(
            BomLine(
                "Redis store replicas",
                n,
                float(n * _REDIS_CORES),
                n * host_gb,
                n * 2 * used / shards,
                f"{db.standbys} per shard, in another zone",
            )
        )
    return lines


def _database(plan: Plan) -> list[BomLine]:
    db = plan.database
    if db is None:
        return []
    if db.engine is DatabaseKind.REDIS:
        return _redis_store(plan)
    data = _db_data_gb(plan)
    klass, sizing = _db_class(plan)
    ram = klass.gb
    stored = "the job's results only: size them" if _results_only(plan) else f"{data:,.0f} GB"
    if db.engine is DatabaseKind.TIMESCALEDB:
        stored += (
            f" on disk ({COMPRESSION_SAVING:.0%} saved on chunks older than "
            f"{compress_after_days(plan.figure('timescale_chunk_interval_h').value)} days)"
        )
    if _retained(plan):
        stored += ", the retention policy dropping old chunks as new ones arrive"
    if db.engine is DatabaseKind.TIMESCALEDB:
        sizing += "in a quarter of it"
    basis = f"{sizing}; {stored} at {HORIZON_MONTHS} months"
    lines = [BomLine("Database primary", 1, float(klass.vcpu), ram, data, basis, klass.name)]
    for name, n in (
        ("Database standbys", db.standbys),
        ("Database read replicas", db.read_replicas),
    ):
        if n:
            lines.append(
                BomLine(
                    name,
                    n,
                    float(n * klass.vcpu),
                    n * ram,
                    n * data,
                    f"{n} × the primary",
                    klass.name,
                )
            )
    return lines


def _cache_gb(plan: Plan) -> float:
    """The keys the TTL model holds at once (its ``cache_memory_mb`` figure), with overhead;
    with a measured hit ratio (no model), at most one key per read per TTL (Little's law)."""
    figures = {f.key: f.value for f in plan.figures}
    if "cache_memory_mb" in figures:
        held_gb = figures["cache_memory_mb"] / 1000
    else:
        db, s = plan.database, plan.resolved.scale
        assert db is not None
        held_gb = s.peak_rps * s.read_ratio * db.cache_ttl_s * s.payload_kb / 1e6
    return min(held_gb, _data_at_horizon(plan)) * _REDIS_OVERHEAD


def _cache(plan: Plan) -> list[BomLine]:
    db = plan.database
    if db is None or db.cache is not Cache.REDIS:
        return []
    per_node = _cache_gb(plan)
    return [
        BomLine(
            "Redis cache nodes",
            2,
            float(2 * _REDIS_CORES),
            2 * per_node,
            0.0,
            f"primary + replica; the keys the TTL model holds at once (TTL {db.cache_ttl_s:g} s) "
            f"× payload, × {_REDIS_OVERHEAD:g} for Redis's overhead",
        )
    ]


def _broker(plan: Plan) -> list[BomLine]:
    broker = plan.broker
    if broker is None:
        return []
    req = plan.resolved
    if broker.key in {x.strip().lower() for x in req.infrastructure.existing_services}:
        return [BomLine(broker.name, 0, 0.0, 0.0, 0.0, "already run by the organisation")]
    stored = (
        _writes_per_s(plan) * req.scale.payload_kb * 86_400 * _RETENTION_DAYS * _BROKER_COPIES
    ) / 1e6
    if broker.key is Broker.SQS:
        return [BomLine(broker.name, 0, 0.0, 0.0, 0.0, "managed: no nodes to size")]
    heap = _KAFKA_HEAP_GB if broker.key is Broker.KAFKA else 0.0
    return [
        BomLine(
            f"{broker.name} brokers",
            _BROKER_COPIES,
            0.0,
            _BROKER_COPIES * heap,
            stored,
            f"{_BROKER_COPIES} nodes; events at the average write rate kept "
            f"{_RETENTION_DAYS:g} days × {_BROKER_COPIES} copies"
            + (f"; {heap:g} GB JVM heap each" if heap else "; RAM and cores: vendor's sizing"),
        )
    ]


def _data_job(plan: Plan) -> list[BomLine]:
    data, pipe = plan.data, plan.pipeline
    if data is None:
        return []
    stored = _data_at_horizon(plan)
    if pipe is not None and pipe.distributed and pipe.nodes:
        node_cores = max(plan.resolved.infrastructure.cores_per_instance, NODE_CORES)
        return [
            BomLine(
                f"Data job ({data.tool_name}) worker nodes and object storage",
                pipe.nodes,
                float(pipe.nodes * node_cores),
                pipe.nodes * node_cores * RAM_PER_CORE_GB,
                stored,
                f"{pipe.nodes} node(s) × {node_cores} cores × {RAM_PER_CORE_GB:g} GB per core "
                f"for {pipe.executors} executor(s) of {pipe.executor_cores} cores, for the "
                f"{fmt_number(pipe.run_time_h)} h a run takes (plus a driver); Parquet at "
                f"{HORIZON_MONTHS} months",
            )
        ]
    if pipe is not None and pipe.consumers:
        return [
            BomLine(
                f"Stream consumers ({data.tool_name}) and object storage",
                pipe.consumers,
                float(pipe.consumers),
                pipe.consumers * WORKER_RSS_MB / 1000,
                stored,
                f"{pipe.consumers} consumer(s), one per partition, a core and "
                f"{WORKER_RSS_MB:g} MB each; Parquet at {HORIZON_MONTHS} months",
            )
        ]
    single = data.tool in (DataTool.PANDAS, DataTool.POLARS)
    ram = data.ram_needed_gb if data.tool is DataTool.PANDAS else 0.0
    cores = float(plan.capacity.cores_per_instance) if single else 0.0
    return [
        BomLine(
            f"Data job ({data.tool_name}) and object storage",
            1 if single else 0,
            cores,
            ram,
            stored,
            (
                f"one machine of {plan.capacity.cores_per_instance} cores; "
                if single
                else "the cluster is sized from a timed test run; "
            )
            + (f"pandas needs ≈ {data.ram_needed_gb:,.0f} GB; " if ram else "")
            + f"Parquet at {HORIZON_MONTHS} months",
        )
    ]


#: The parts, in the order the bill lists them: each ``(plan) -> list[BomLine]``.
PARTS: tuple[Callable[[Plan], list[BomLine]], ...] = (
    _app,
    _process_pool,
    _database,
    _cache,
    _broker,
    _data_job,
)


def materials(plan: Plan) -> tuple[BomLine, ...]:
    """The bill of materials of a finished plan: one line per part (:data:`PARTS`)."""
    return tuple(line for part in PARTS for line in part(plan))


def _stored_figure(plan: Plan, data_h: float) -> Figure:
    """The data stored at the horizon: linear growth, or for TimescaleDB what its retention
    keeps, compressed after ``compress_after`` (the one figure the bill and storage use)."""
    s, db = plan.resolved.scale, plan.database
    if db is None or db.engine is not DatabaseKind.TIMESCALEDB or _results_only(plan):
        return Figure(
            "bom_data_horizon_gb",
            f"Data stored at {HORIZON_MONTHS} months",
            round(data_h, 3),
            "GB",
            "D + g · H",
            (("D", s.data_gb), ("g", s.growth_gb_per_month), ("H", HORIZON_MONTHS)),
            "linear growth at the stated rate (the capacity chart's horizon)",
        )
    retained = _retained(plan)
    days = compress_after_days(plan.figure("timescale_chunk_interval_h").value)
    return Figure(
        "bom_data_horizon_gb",
        f"Data stored at {HORIZON_MONTHS} months (on disk, per copy)",
        round(_db_data_gb(plan), 3),
        "GB",
        ("raw = D (the retention policy's window)" if retained else "raw = D + g · H")
        + "; on disk = min(raw, g/30 · c) + (raw − g/30 · c) · (1 − saving)",
        (
            ("D", s.data_gb),
            ("g", s.growth_gb_per_month),
            *(() if retained else (("H", HORIZON_MONTHS),)),
            ("c (compress_after days)", days),
            ("saving", COMPRESSION_SAVING),
        ),
        COMPRESSION_SOURCE,
    )


def bill_figures(plan: Plan, lines: tuple[BomLine, ...]) -> list[Figure]:
    """The totals of the bill as figures (keys ``bom_*``), with formula, inputs and source."""
    req, db = plan.resolved, plan.database
    s = req.scale
    cores = sum(line.cores for line in lines)
    ram = sum(line.ram_gb for line in lines)
    data_h = _data_at_horizon(plan)
    copies = 0 if db is None else 1 + db.standbys + db.read_replicas
    retention = 0 if db is None else db.backup_retention_days
    wal_gb = _writes_per_s(plan) * s.payload_kb * 86_400 * retention / 1e6
    backups = 0.0 if db is None else _db_data_gb(plan) + wal_gb
    redis = db is not None and db.engine is DatabaseKind.REDIS
    if redis:  # no WAL to archive: a daily RDB snapshot, kept for the retention
        backups = _db_data_gb(plan) * retention
    storage = sum(line.storage_gb for line in lines) + backups
    online = "app" in plan.components
    peak = s.peak_rps if online else 0.0
    replicas = 0 if db is None else db.standbys + db.read_replicas
    client_mbps = peak * s.payload_kb * 8 / 1000
    repl_mbps = peak * (1 - s.read_ratio) * s.payload_kb * 8 / 1000 * replicas
    parts = ", ".join(f"{line.part} {line.cores:g}" for line in lines if line.cores)
    rams = ", ".join(f"{line.part} {line.ram_gb:.3g}" for line in lines if line.ram_gb)
    return [
        Figure(
            "bom_cores",
            "Cores in all (bill of materials)",
            cores,
            "cores",
            "Σ cores of each part",
            (("parts", parts or "none"),),
            "the plan's fleet, database and cache sizes (see each part's line)",
        ),
        Figure(
            "bom_ram_gb",
            "RAM in all (bill of materials)",
            round(ram, 3),
            "GB",
            "Σ RAM of each part (workers × RSS, database working set, cache data)",
            (("parts", rams or "none"), ("worker RSS MB", WORKER_RSS_MB)),
            "; ".join(
                [_RSS_SOURCE, _DB_SOURCE]
                + ([SOCKET_SOURCE] if holds_sockets(req) else [])
                + ([RYZA] if plan.pipeline is not None and plan.pipeline.distributed else [])
            ),
        ),
        _stored_figure(plan, data_h),
        Figure(
            "bom_backup_gb",
            "Backups (daily RDB snapshots over the retention)"
            if redis
            else "Backups (base backup + WAL over the retention)",
            round(backups, 3),
            "GB",
            "D_db · retention days"
            if redis
            else "D_db + writes/s · payload · 86,400 · retention days",
            (("D_db", round(_db_data_gb(plan), 3)), ("retention days", retention))
            if redis
            else (
                ("D_db", round(_db_data_gb(plan), 3)),
                ("writes/s", round(_writes_per_s(plan), 3)),
                ("payload KB", s.payload_kb),
                ("retention days", retention),
            ),
            REDIS_PERSISTENCE if redis else BACKUP_RETENTION_SOURCE,
        ),
        Figure(
            "bom_storage_gb",
            "Storage in all (bill of materials)",
            round(storage, 3),
            "GB",
            "D_db × database copies + backups + broker log + object storage",
            (("D_db", round(_db_data_gb(plan), 3)), ("database copies", copies)),
            "each part's stored data at the horizon; " + BACKUP_RETENTION_SOURCE,
        ),
        Figure(
            "bom_network_mbps",
            "Network at peak (clients + replication)",
            round(client_mbps + repl_mbps, 3),
            "Mbit/s",
            "λ · payload · 8 + λ · (1 − r) · payload · 8 · copies",
            (
                ("λ", peak),
                ("payload KB", s.payload_kb),
                ("r", s.read_ratio),
                ("copies", replicas),
            ),
            "request and response bytes at the peak rate; each standby and replica receives "
            "the writes (PostgreSQL documentation, 27.2 Log-Shipping Standby Servers)",
        ),
        Figure(
            "bom_transfer_gb_month",
            "Client transfer per month",
            round((s.avg_rps if online else 0.0) * s.payload_kb * _SECONDS_PER_MONTH / 1e6, 3),
            "GB",
            "λ_avg · payload · 30 days",
            (("λ_avg", s.avg_rps if online else 0.0), ("payload KB", s.payload_kb)),
            "the average rate over a month (what a provider bills for egress)",
        ),
    ]
