"""Consistency and data safety: where the system sits on CAP/PACELC, the isolation its
transactions run at, and what a database failure may lose (RPO) and how long it lasts (RTO)."""

from __future__ import annotations

from pyt_arch_kit.planning.choices import Isolation
from pyt_arch_kit.planning.hosting import managed
from pyt_arch_kit.planning.model import Decision
from pyt_arch_kit.requirements import ConsistencyPriority, DatabaseKind
from pyt_arch_kit.resolved import ResolvedRequirements

__all__ = [
    "PACELC",
    "RETENTION_DAYS",
    "WAL_PER_ROW",
    "consistency_decision",
    "data_safety",
    "isolation_for",
    "wal_rate",
]

#: Engines whose managed services (RDS Multi-AZ, Cloud SQL HA, Azure zone-redundant HA) keep
#: a synchronous standby in another zone.
_MULTI_AZ = (DatabaseKind.POSTGRESQL, DatabaseKind.MYSQL)

#: Days of point-in-time backups kept.
RETENTION_DAYS = 14

#: Up to this many GB stored, a managed point-in-time restore takes about 30 minutes.
_SMALL_GB = 10


#: Seconds of WAL a standby may lag and still be promoted (Patroni's maximum_lag_on_failover).
_LAG_S = 5
#: WAL bytes per stored byte of a time-series row: the heap and index insert records, and the
#: full-page image of each page first touched after a checkpoint (an assumption to measure).
WAL_PER_ROW = 2.0


def wal_rate(req: ResolvedRequirements) -> tuple[float, float]:
    """(points/s, WAL bytes/s) a time-series store writes at peak."""
    w, s = req.workload, req.scale
    rows = s.peak_rps * (1 - s.read_ratio) * w.points_per_request
    size = w.bytes_per_row or s.growth_gb_per_month * 1e9 / 30 / 86_400 / max(rows, 1.0)
    return rows, rows * size * WAL_PER_ROW


def data_safety(
    req: ResolvedRequirements, engine: DatabaseKind, redundant: bool
) -> tuple[int, bool, str, str]:
    """(standbys, synchronous, RPO, RTO) for the consistency and availability asked for."""
    strong = req.consistency.priority is ConsistencyPriority.STRONG
    if engine is DatabaseKind.REDIS:
        return (
            1,
            False,
            "≤ 1 s of acknowledged writes (AOF with appendfsync everysec), plus the "
            "replica's lag on a failover (replication is asynchronous)",
            "≈ 10–30 s (Sentinel or a managed service promotes the replica)",
        )
    if engine is DatabaseKind.MONGODB:
        return (
            2,
            True,
            "0 for writes acknowledged with w: majority",
            "≈ 10–30 s (a replica-set election)",
        )
    if managed(req) and engine in _MULTI_AZ:
        # RDS Multi-AZ, Cloud SQL HA and Azure zone-redundant HA replicate synchronously; the
        # transaction logs reach object storage every 5 minutes (RDS docs, "Restoring a DB
        # instance to a specified time": the latest restorable time is typically within 5 min).
        pitr = "≤ 5 min from a point-in-time restore"
        if strong or redundant:
            return (
                1,
                True,
                f"0 on failover (synchronous Multi-AZ standby), {pitr}",
                "≈ 1–2 min",
            )
        restore = "the time to restore a snapshot and replay the logs: rehearse it"
        if req.scale.data_gb <= _SMALL_GB:
            # a few GB: the new instance's start-up dominates an RDS point-in-time restore
            restore = (
                "≈ 30 min (a point-in-time restore of a few GB): measure it in a quarterly "
                "restore drill"
            )
        return 0, False, pitr, restore
    if strong:
        return 1, True, "0 for committed transactions", "≈ 1–2 min (automated failover)"
    if redundant and engine is DatabaseKind.TIMESCALEDB:  # self-run: Patroni and pgBackRest
        rows, wal = wal_rate(req)
        lag = round(_LAG_S * wal, -6) or 1_000_000  # Patroni's default: 1 MB
        return (
            1,
            False,
            "seconds: Patroni promotes the asynchronous standby only within "
            f"maximum_lag_on_failover = {lag:.0f} bytes ({_LAG_S} s of WAL at ≈ "
            f"{wal / 1e6:.2g} MB/s: {rows:,.0f} points/s × {WAL_PER_ROW:g} × "
            f"{req.workload.bytes_per_row:g} B; measure it as pg_wal_lsn_diff of two "
            "pg_current_wal_lsn() a minute apart); alert when pg_stat_replication's "
            "pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) passes it for 1 min. "
            "pgBackRest archives WAL to S3 at least every 60 s (archive_timeout) for restores",
            "≈ 1 min (Patroni's 30 s leader lease, then promotion)",
        )
    if redundant:
        return (
            1,
            False,
            "seconds (the standby's replication lag; alert above 5 s)",
            "≈ 1–2 min (automated failover)",
        )
    return (
        0,
        False,
        "≤ 1 min (WAL archived at least every 60 s)",
        "the time to restore the base backup and replay WAL: rehearse and measure it",
    )


def isolation_for(req: ResolvedRequirements, engine: DatabaseKind) -> tuple[Isolation, str]:
    """The isolation (or MongoDB concerns) for the consistency asked for, and the transaction
    boundaries that go with it."""
    priority = req.consistency.priority
    if engine is DatabaseKind.REDIS:
        return (
            Isolation.REDIS_MULTI,
            "one command, or one MULTI/EXEC block (or Lua script) per request: atomic, "
            "without rollback; WATCH for a check-and-set across keys",
        )
    if engine is DatabaseKind.MONGODB:
        if priority is ConsistencyPriority.STRONG:
            return (
                Isolation.MONGO_TRANSACTIONS,
                "one transaction per command; retry on TransientTransactionError",
            )
        return (
            Isolation.MONGO_MAJORITY,
            "single-document atomic updates; no multi-document transactions on the hot path",
        )
    if priority is ConsistencyPriority.STRONG and engine is DatabaseKind.MYSQL:
        return (
            Isolation.LOCKED_INNODB,
            "one mechanism, row locks: in id order (FOR UPDATE ORDER BY id) opposite transfers "
            "cannot deadlock, and a second command on an account waits for the lock and reads "
            "the committed balance (MySQL docs, InnoDB locking reads). Not SERIALIZABLE on "
            "top: InnoDB's SERIALIZABLE turns every plain read into a shared lock, which adds "
            "deadlocks and lock waits the ordered locks already prevent",
        )
    if priority is ConsistencyPriority.STRONG:
        return (
            Isolation.LOCKED,
            "one mechanism, row locks: in id order (FOR UPDATE ORDER BY id) opposite transfers "
            "cannot deadlock, and a second command on an account waits for the lock, then reads "
            "the committed row (PostgreSQL docs, 13.2.1 Read Committed). Not SERIALIZABLE on "
            "top: SSI would add serialization failures (SQLSTATE 40001) the locks already "
            "prevent (measured: 8 % of 1,600 contended transfers failed with both, none with "
            "the locks alone, at 2.7× the throughput)",
        )
    if engine is DatabaseKind.TIMESCALEDB:  # appends: the unique index orders writers
        return (
            Isolation.READ_COMMITTED,
            "one transaction per batch (COPY, then INSERT … ON CONFLICT DO UPDATE in key "
            "order): no lock taken by hand; a batch sharing points with another waits on the "
            "unique index, then updates",
        )
    return (
        Isolation.READ_COMMITTED if engine.postgres else Isolation.REPEATABLE_READ,
        "one transaction per request, opened late and committed early; SELECT … FOR UPDATE "
        "on rows that concurrent requests update",
    )


PACELC = "D. Abadi, “Consistency Tradeoffs in Modern Distributed Database System Design”, 2012"


def consistency_decision(req: ResolvedRequirements, serves_stale: bool = True) -> Decision:
    """Where the system sits on CAP / PACELC, stated as a decision; ``serves_stale`` tells
    whether a cache or a read replica serves reads (else every read is the primary's, and the
    stale-read tolerance is room left, not a property of the design)."""
    priority = req.consistency.priority
    stale = req.consistency.stale_read_tolerance_s
    unused = (
        f"no cache or replica serves stale reads: the {stale:g} s tolerance leaves room for one"
    )
    choice, why = {
        ConsistencyPriority.STRONG: (
            "PC/EC: one primary, synchronous commit, reads of mutable data from the primary",
            "invariants (balances, stock) must never be violated; under a partition the system "
            "refuses writes rather than diverge",
        ),
        ConsistencyPriority.BALANCED: (
            "PC/EL: consistent writes on the primary, reads may be served stale "
            f"for up to {stale:g} s",
            "writes stay correct; reads trade a bounded staleness for latency",
        )
        if serves_stale
        else ("PC/EC as built: every read and write on the primary", unused),
        ConsistencyPriority.AVAILABILITY: (
            "PA/EL: stay available and fast, reconcile later",
            f"stale reads up to {stale:g} s are acceptable; idempotent writes make retries "
            "and replays safe",
        )
        if serves_stale
        else (
            "PA/EL: stay available and fast; every read on the primary as built",
            f"{unused}; idempotent writes make retries and replays safe",
        ),
    }[priority]
    if (
        req.infrastructure.database is DatabaseKind.TIMESCALEDB
        and priority is not ConsistencyPriority.STRONG
    ):
        choice, why = (
            "PA/EL: one primary takes each point as an idempotent upsert on (series_id, "
            "time): a resent batch converges, nothing to reconcile",
            "a failover may lose the last seconds of acknowledged points (the standby's lag, "
            f"bounded by maximum_lag_on_failover); stale reads up to {stale:g} s are acceptable",
        )
    return Decision(
        "consistency",
        choice,
        why + f" ({PACELC})",
        "stronger consistency costs latency and availability during failover; weaker "
        "consistency moves reconciliation into the application",
        ("PC/EC", "PC/EL", "PA/EL"),
    )
