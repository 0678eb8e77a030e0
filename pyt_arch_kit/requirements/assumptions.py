"""The assumptions the design makes for fields the requirements leave unset.

One rule per field, in the persona's order. A rule sees the requirements with the earlier
assumptions already applied (``avg_rps`` derives from the assumed ``peak_rps``) and returns
``(value, because)``, or ``None`` when the field does not matter for this system.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pyt_arch_kit.requirements.enums import (
    CACHE_READ_SHARE,
    CPU_BOUND_SHARE,
    IO_BOUND_SHARE,
    Balancer,
    ConsistencyPriority,
    DatabaseKind,
    DataMode,
    DataShape,
    Hosting,
    Interface,
    WorkloadKind,
)
from pyt_arch_kit.requirements.gaps import _fmt

if TYPE_CHECKING:
    from pyt_arch_kit.requirements.model import Requirements

__all__ = ["RULES"]

_Rule = Callable[["Requirements"], tuple[Any, str] | None]


def _kind_from_times(r: Requirements) -> tuple[Any, str]:
    cpu, io = r.workload.cpu_ms_per_request, r.workload.io_wait_ms_per_request
    if cpu is not None and io is not None and cpu + io > 0:
        share = cpu / (cpu + io)
        kind = (
            WorkloadKind.CPU
            if share >= CPU_BOUND_SHARE
            else WorkloadKind.IO
            if share <= IO_BOUND_SHARE
            else WorkloadKind.MIXED
        )
        return kind, f"CPU is {share:.0%} of request time ({_fmt(cpu)} ms CPU, {_fmt(io)} ms IO)"
    if r.interface is Interface.BATCH or r.workload.data_mode is not DataMode.NONE:
        return WorkloadKind.MIXED, "bulk data processing computes as well as it reads"
    return WorkloadKind.IO, "most web and API back ends spend their time waiting on IO"


#: The data stored when none is given (GB), and the p99 target (ms): each read by two rules.
_DATA_GB = 10.0
_P99_MS = 250.0
_CPU_MS = {WorkloadKind.IO: 5.0, WorkloadKind.MIXED: 20.0, WorkloadKind.CPU: 50.0}
_IO_MS = {WorkloadKind.IO: 40.0, WorkloadKind.MIXED: 30.0, WorkloadKind.CPU: 5.0}


#: Each store's default connection limit, as its documentation states it.
_DEFAULT_LIMITS: dict[DatabaseKind, tuple[int, str]] = {
    DatabaseKind.POSTGRESQL: (100, "PostgreSQL's default max_connections"),
    DatabaseKind.TIMESCALEDB: (100, "PostgreSQL's default max_connections (TimescaleDB)"),
    DatabaseKind.MYSQL: (151, "MySQL's default max_connections"),
    DatabaseKind.MONGODB: (
        65_536,
        "mongod's default net.maxIncomingConnections (the open-files limit binds first)",
    ),
    DatabaseKind.REDIS: (10_000, "Redis's default maxclients"),
}


def _kind(r: Requirements) -> WorkloadKind:
    return r.workload.kind or WorkloadKind.IO


def _requests(rule: _Rule) -> _Rule:
    """A rule about requests: a batch system serves none, so it asks nothing of them."""
    return lambda r: None if r.interface is Interface.BATCH else rule(r)


def _uses_db(r: Requirements) -> bool:
    db = r.infrastructure.database
    if db is None:  # its rule comes later: a batch job is assumed to have none
        return r.interface is not Interface.BATCH
    return db is not DatabaseKind.NONE


#: The batch window assumed when neither it nor the freshness is given (hours): a nightly run.
NIGHTLY_WINDOW_H = 6.0
#: The shortest batch window (hours), as ``workload.window_h`` allows: fresher data is streamed.
MIN_WINDOW_H = 0.1
#: The longest batch window (hours), as ``workload.window_h`` allows.
MAX_WINDOW_H = 168.0
#: The largest rate (requests or events per second) and latency (ms) a requirements file states.
_MAX_RPS = 10_000_000.0
_MAX_EVENTS_PER_S = 100_000_000.0
_MAX_LATENCY_MS = 3_600_000.0
#: The most data (GB) ``scale.data_gb`` takes (one run may read more: ``batch_data_gb``).
_MAX_DATA_GB = 10_000_000.0
#: Peak over the daily average, for events as for requests (the ``scale.avg_rps`` rule's 4).
_PEAK_TO_AVERAGE = 4.0


def _batch(r: Requirements) -> bool:
    return r.workload.data_mode is DataMode.BATCH or (
        r.interface is Interface.BATCH and r.workload.data_mode is DataMode.NONE
    )


def _window_h(r: Requirements) -> tuple[Any, str] | None:
    if not _batch(r):
        return None
    fresh = r.workload.freshness_s
    if fresh:  # given: a run must land inside it, with time to rerun a failed one
        window = min(MAX_WINDOW_H, max(MIN_WINDOW_H, fresh / 3600 / 2))
        return (
            window,
            f"half of the {_fmt(fresh)} s freshness: a failed run can be rerun whole and "
            "still land inside it"
            + (
                " (6 minutes at least: fresher data is a stream's job)"
                if window == MIN_WINDOW_H
                else ""
            ),
        )
    return NIGHTLY_WINDOW_H, "a nightly window (e.g. 00:00–06:00) before the working day"


def _events_per_s(r: Requirements) -> tuple[Any, str] | None:
    if r.workload.data_mode is not DataMode.STREAMING:
        return None
    gb, kb = r.workload.batch_data_gb or 0.0, r.scale.payload_kb or 4.0
    rate = min(_MAX_EVENTS_PER_S, gb * 1_000_000 / kb / 86_400 * _PEAK_TO_AVERAGE)
    return (
        round(rate, 3),
        f"{_fmt(gb)} GB a day in {_fmt(kb)} KB events, peaking at {_fmt(_PEAK_TO_AVERAGE)}× "
        "the daily average",
    )


def _cache_keys(r: Requirements) -> tuple[Any, str] | None:
    """The working set a read cache sees: one object per payload of the stored data."""
    c = r.consistency
    if (
        not _uses_db(r)
        or r.interface is Interface.BATCH
        or c.priority is ConsistencyPriority.STRONG
        or (c.stale_read_tolerance_s or 0) < 1
        or (r.scale.read_ratio or 0) < CACHE_READ_SHARE
        or not r.scale.peak_rps
        or r.infrastructure.database is DatabaseKind.REDIS  # the store is the cache
        or r.workload.cache_hit_ratio is not None
    ):
        return None  # no read cache can be planned, or its hit ratio is given
    data_gb = _DATA_GB if r.scale.data_gb is None else r.scale.data_gb
    kb = max(r.scale.payload_kb or 0.0, 1.0)
    keys = max(1, min(round(data_gb * 1_000_000 / kb), 1_000_000_000_000))
    return keys, (
        f"one cached object per {_fmt(kb)} KB payload of the {_fmt(data_gb)} GB stored: "
        "replace with the distinct keys reads ask for"
    )


def _peak_rps(r: Requirements) -> tuple[Any, str]:
    avg = r.scale.avg_rps
    if avg is not None:  # stated: the peak is above it, never below
        return (
            min(_MAX_RPS, avg * _PEAK_TO_AVERAGE),
            f"{_fmt(_PEAK_TO_AVERAGE)}× the stated average, a typical diurnal "
            "peak-to-average ratio; replace with measured peak",
        )
    if r.interface is Interface.BATCH:
        return 0.0, "a batch system serves no online requests"
    return 100.0, "a modest production API; replace with measured peak"


def _p50_ms(r: Requirements) -> tuple[Any, str]:
    p99 = r.latency.p99_ms or _P99_MS
    value = min(50.0, p99 / 4) or p99  # a p99 of 5e-324 ms has no smaller positive quarter
    # Rounded for display, but never to 0: a stated p99 of 0.001 ms gets a median below it.
    return round(value, 3) or value, "a responsive interactive API"


def _p99_ms(r: Requirements) -> tuple[Any, str]:
    p50 = r.latency.p50_ms or 0.0
    value = min(_MAX_LATENCY_MS, max(_P99_MS, p50 * 4))
    because = "four times the median, a common SLA shape"
    if value < p50 * 4:
        because = "the longest target a requirements file takes (1 hour), at or above the median"
    return value, because


def _freshness_s(r: Requirements) -> tuple[Any, str] | None:
    if r.workload.data_mode is DataMode.STREAMING:
        fresh, because = 5.0, "a few seconds is what streaming is usually chosen for"
    elif r.workload.data_mode is DataMode.BATCH or r.interface is Interface.BATCH:
        fresh, because = 86_400.0, "a daily batch"
    else:
        return None
    window_s = (r.workload.window_h or 0.0) * 3600
    if window_s > fresh:  # a stated window is never longer than the assumed freshness
        return window_s, "as fresh as the stated window lets a run keep the data"
    return fresh, because


#: The store assumed for each shape of data (``workload.data_shape``) when none is named.
_STORES: dict[DataShape, tuple[DatabaseKind, str]] = {
    DataShape.RELATIONAL: (DatabaseKind.POSTGRESQL, "a relational default that covers most needs"),
    DataShape.TIME_SERIES: (
        DatabaseKind.TIMESCALEDB,
        "time-series data: PostgreSQL with hypertables, compression and retention by chunk",
    ),
    DataShape.KEY_VALUE: (
        DatabaseKind.REDIS,
        "values fetched by key: an in-memory store, persisted (AOF)",
    ),
    DataShape.DOCUMENT: (
        DatabaseKind.MONGODB,
        "self-contained nested records with varying fields: a document store",
    ),
}


RULES: list[tuple[str, _Rule]] = [
    (
        "interface",
        lambda r: (
            Interface.BATCH
            if r.workload.data_mode is DataMode.BATCH and r.scale.peak_rps is None
            else Interface.REST,
            "a JSON-over-HTTP API is the common default",
        ),
    ),
    ("scale.peak_rps", _peak_rps),
    (
        "scale.avg_rps",
        lambda r: (
            round((r.scale.peak_rps or 0) / 4, 3),
            "a typical diurnal peak-to-average ratio of 4",
        ),
    ),
    (
        "scale.concurrent_users",
        lambda r: (
            None
            if r.interface is Interface.BATCH
            else (
                int((r.scale.peak_rps or 0) * 10),
                "each active user sends about one request every 10 s",
            )
        ),
    ),
    (
        "scale.data_gb",
        lambda r: (
            (
                min(_MAX_DATA_GB, r.workload.batch_data_gb),
                "at least the data one run of the job reads",
            )
            if r.workload.batch_data_gb and r.workload.data_mode is not DataMode.NONE
            else (_DATA_GB, "a small-to-medium operational database")
        ),
    ),
    (
        "scale.growth_gb_per_month",
        lambda r: (round((r.scale.data_gb or 0) * 0.05, 3), "5 % growth per month"),
    ),
    ("scale.read_ratio", _requests(lambda r: (0.8, "most APIs read far more than they write"))),
    (
        "scale.payload_kb",
        lambda r: (
            None
            if r.interface is Interface.BATCH and r.workload.data_mode is not DataMode.STREAMING
            else (4.0, "small JSON documents")
        ),
    ),
    ("latency.p50_ms", _requests(_p50_ms)),
    ("latency.p99_ms", _requests(_p99_ms)),
    ("latency.availability_pct", lambda r: (99.9, "three nines: ~43 min of downtime a month")),
    (
        "consistency.priority",
        lambda r: (
            ConsistencyPriority.BALANCED,
            "no invariant was stated that forbids stale reads",
        ),
    ),
    (
        "consistency.stale_read_tolerance_s",
        lambda r: (
            (0.0, "strong consistency tolerates no stale reads")
            if r.consistency.priority is ConsistencyPriority.STRONG
            else (1.0, "a second of staleness allows replicas and short-lived caches")
        ),
    ),
    ("workload.kind", _kind_from_times),
    (
        "workload.cpu_ms_per_request",
        _requests(
            lambda r: (
                _CPU_MS[_kind(r)],
                f"typical for a {_kind(r).value}-bound request; profile to confirm",
            )
        ),
    ),
    (
        "workload.io_wait_ms_per_request",
        _requests(
            lambda r: (
                _IO_MS[_kind(r)],
                f"typical for a {_kind(r).value}-bound request; measure to confirm",
            )
        ),
    ),
    (
        "workload.service_cv",
        lambda r: (
            None
            if r.interface is Interface.BATCH
            else (
                1.0,
                "exponential CPU and IO times (cv 1), the M/M/c assumption; measured web "
                "handlers are often more variable: replace it with std / mean from a profile",
            )
        ),
    ),
    (
        "workload.db_calls_per_request",
        lambda r: (
            (2.0, "a read and a write, or two reads") if _uses_db(r) else (0.0, "no database")
        ),
    ),
    (
        "workload.db_ms_per_call",
        lambda r: (5.0, "an indexed query on a nearby database") if _uses_db(r) else None,
    ),
    (
        "workload.batch_data_gb",
        lambda r: (
            (r.scale.data_gb or _DATA_GB, "one run processes the whole data set")
            if r.workload.data_mode is not DataMode.NONE or r.interface is Interface.BATCH
            else None
        ),
    ),
    ("workload.window_h", _window_h),
    ("workload.freshness_s", _freshness_s),
    ("workload.events_per_s", _events_per_s),
    ("infrastructure.hosting", lambda r: (Hosting.CLOUD, "the common case")),
    (
        "infrastructure.database",
        lambda r: (
            (
                DatabaseKind.NONE,
                "a batch job reads and writes files in object storage; name a database if "
                "its results go to one",
            )
            if r.interface is Interface.BATCH
            else _STORES[r.workload.data_shape]
        ),
    ),
    (
        "infrastructure.db_max_connections",
        lambda r: (
            _DEFAULT_LIMITS[r.infrastructure.database or DatabaseKind.POSTGRESQL]
            if r.infrastructure.database is not DatabaseKind.NONE
            else None
        ),
    ),
    ("infrastructure.cores_per_instance", lambda r: (4, "a common VM or pod size")),
    ("infrastructure.team_size", lambda r: (5, "one small team")),
    ("workload.cache_keys", _cache_keys),
    (
        "workload.shuffle_share",
        lambda r: (
            (0.5, "one wide stage (a join or group-by) shuffles half the input after pruning")
            if _batch(r)
            else None
        ),
    ),
    (
        "infrastructure.balancer",
        _requests(
            lambda r: (
                Balancer.ROUND_ROBIN,
                "the default of AWS ALB, nginx, HAProxy and Envoy",
            )
        ),
    ),
]
