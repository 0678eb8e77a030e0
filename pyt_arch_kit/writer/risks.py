"""Risks and Mitigations: the plan's warnings and the risks its own choices bring."""

from __future__ import annotations

from pyt_arch_kit.planning.choices import Cache, DataTool, FindingKind
from pyt_arch_kit.planning.database import prepared_statements_fix, read_your_writes
from pyt_arch_kit.planning.model import ConcurrencyModel, Plan, fmt_number
from pyt_arch_kit.planning.practices import RETRY_BUDGET
from pyt_arch_kit.requirements import DatabaseKind, Interface
from pyt_arch_kit.writer.pipeline import pipeline_risks
from pyt_arch_kit.writer.sockets import socket_risks

__all__ = ["risks_and_mitigations"]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _fleet_risks(plan: Plan) -> list[tuple[str, str]]:
    cap, req = plan.capacity, plan.resolved
    if "app" not in plan.components:
        return []
    if cap.zones > 1:
        return [
            (
                "A zone outage",
                f"N+1 across {cap.zones} zones: {cap.instances_after_failure} instance(s) carry "
                f"the peak, their cores {cap.utilisation_after_failure:.0%} busy (p99 ≈ "
                f"{fmt_number(cap.p99_after_failure_ms)} ms); autoscaling replaces the lost "
                "capacity",
            )
        ]
    slo = req.latency.availability_pct
    return [
        (
            "The single instance fails or is redeployed",
            f"the platform restarts it within minutes, inside the {slo:g} % SLO's budget; "
            "deploy outside busy hours",
        )
    ]


def _database_risks(plan: Plan) -> list[tuple[str, str]]:
    db = plan.database
    if db is None:
        return []
    rows = [
        (
            "Connection pool exhaustion under a burst",
            f"pool_timeout below the p99 target, shed load with 503 + Retry-After, keep "
            f"{db.reserved_connections} connections reserved for operations",
        )
    ]
    if db.standbys and db.engine is not DatabaseKind.MONGODB:
        kind = "a synchronous" if db.synchronous_standby else "an asynchronous"
        failover = (
            f"{kind} standby in another zone, promoted automatically (RPO {db.rpo}, RTO "
            f"{db.rto}); idempotent retries ride out the failover window"
        )
    elif db.engine is DatabaseKind.MONGODB:
        failover = f"a replica-set election (RTO {db.rto}); w: majority writes (RPO {db.rpo})"
    else:
        failover = (
            f"no standby: restore from the point-in-time backups (RPO {db.rpo}; RTO {db.rto})"
        )
    rows.append(("Database primary failure", failover))
    if db.pgbouncer:
        rows.append(
            ("Prepared statements fail through PgBouncer", prepared_statements_fix(db.driver))
        )
    if db.read_replicas:
        rows.append(
            (
                "Replica lag shows users stale data",
                "route read-your-writes paths to the primary; alert on lag above "
                f"{plan.resolved.consistency.stale_read_tolerance_s:g} s",
            )
        )
    if db.cache_ttl_s > 0:
        rows.append(("A cache hides a user's own write", read_your_writes(db.cache)))
    if db.engine is DatabaseKind.REDIS:
        rows.append(
            (
                "Redis store runs out of memory",
                "maxmemory-policy noeviction refuses writes (OOM errors) instead of dropping "
                "data: alert at 80 % of maxmemory (INFO memory) and add memory or shards first",
            )
        )
    if db.cache is Cache.REDIS:
        rows.append(
            (
                "Cache stampede on a hot key's expiry",
                "jitter the TTLs and let one request refresh a key (single-flight)",
            )
        )
    if db.isolation.locks_rows:
        rows.append(
            (
                "Lock waits on hot accounts",
                "lock accounts in id order so opposite transfers queue instead of deadlocking; "
                "keep transactions short and bound the wait ("
                + (
                    "innodb_lock_wait_timeout"
                    if db.engine is DatabaseKind.MYSQL
                    else "lock_timeout"
                )
                + " under the request deadline); retry the rare deadlock with jittered backoff",
            )
        )
    if db.outbox:
        rows.append(
            (
                "Duplicate or out-of-order events",
                "each outbox row carries the event id and the aggregate key: consumers skip "
                "event ids they already applied (recorded in the same transaction as the "
                "effect) and keep order per aggregate key ("
                + (plan.broker.ordering if plan.broker else "partition by it")
                + ")",
            )
        )
    return rows


def risks_and_mitigations(plan: Plan) -> str:
    """Risks from the findings and from the plan's choices, each with its mitigation."""
    conc, req = plan.concurrency, plan.resolved
    rows: list[tuple[str, str]] = [
        (f.title[0].upper() + f.title[1:], f.recommendation)
        for f in plan.findings
        if f.kind is FindingKind.WARNING
    ]
    rows += _fleet_risks(plan)
    rows += socket_risks(plan)
    if "app" in plan.components and conc.model in (
        ConcurrencyModel.ASYNCIO,
        ConcurrencyModel.HYBRID,
    ):
        rows.append(
            (
                "A blocking call stalls the event loop",
                "async drivers only; asyncio debug mode in tests; offload CPU work",
            )
        )
    if "app" in plan.components and conc.model in (
        ConcurrencyModel.PROCESSES,
        ConcurrencyModel.HYBRID,
    ):
        rows.append(
            (
                "Pickling cost outweighs offloaded work",
                "offload only tasks well above ~1 ms; pass ids or shared memory, not large objects",
            )
        )
    if req.interface is Interface.GRPC:
        rows.append(
            (
                "gRPC load piles onto a few instances",
                "balance calls, not connections: client-side round_robin (or xDS) or an L7 "
                "proxy, and max_connection_age so clients rebalance",
            )
        )
    rows += _database_risks(plan)
    rows += pipeline_risks(plan)
    if plan.data is not None and plan.data.tool in (DataTool.PYSPARK, DataTool.SPARK_STREAMING):
        rows.append(
            (
                "A rerun's overwrite deletes earlier partitions",
                "write with spark.sql.sources.partitionOverwriteMode=dynamic: the default "
                "(static) mode deletes every partition under the path before writing",
            )
        )
    if "app" in plan.components:
        rows.append(
            (
                "Retry storms amplify an outage",
                "retry only idempotent calls, at one layer, within one deadline below the "
                f"{fmt_number(req.latency.p99_ms)} ms p99 target, under a "
                f"{RETRY_BUDGET:.0%} retry budget; capped exponential backoff with full "
                "jitter; circuit breakers",
            )
        )
    if "app" in plan.components or plan.pipeline is None:
        rows.append(
            (
                "Estimates differ from production",
                "load-test before launch; re-run the plan with measured CPU and IO times and "
                "their variability (service_cv = std / mean)",
            )
        )
    if plan.pipeline is not None:
        rows.append(
            (
                "The data job's throughput differs from the stated figure",
                "time a full-size run on a copy of the data and re-run the plan with "
                "workload.mb_per_s_per_core (or events/s per consumer) measured",
            )
        )
    table = ["| Risk | Mitigation |", "|---|---|"]
    table += [f"| {_cell(r)} | {_cell(m)} |" for r, m in rows]
    return "\n".join(table)
