"""Risks and Mitigations: the plan's warnings and the risks its own choices bring."""

from __future__ import annotations

from pyt_arch_kit.planning.choices import Cache, DataTool, FindingKind
from pyt_arch_kit.planning.database import prepared_statements_fix
from pyt_arch_kit.planning.model import Plan, fmt_number
from pyt_arch_kit.planning.practices import RETRY_BUDGET
from pyt_arch_kit.requirements import DatabaseKind, Interface
from pyt_arch_kit.writer.code.profile import profile, timeouts
from pyt_arch_kit.writer.inference import model_risks
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


def _retry_fit(plan: Plan) -> str:
    """Whether a retry fits in the call's deadline, with the settings' own numbers."""
    t = timeouts(plan)
    deadline, attempt = fmt_number(t.deadline_s * 1000), fmt_number(t.attempt_s * 1000)
    p99 = fmt_number(plan.resolved.latency.p99_ms)
    if 2 * t.attempt_s <= t.deadline_s:
        return (
            f"every attempt ({attempt} ms each, settings.attempt_timeout_s) inside one "
            f"{deadline} ms deadline below the {p99} ms p99 target"
        )
    return (
        f"but here one attempt ({attempt} ms) takes the whole {deadline} ms deadline below the "
        f"{p99} ms p99 target, so no retry fits: a failed call fails fast, and the caller "
        "retries it"
    )


def _database_risks(plan: Plan) -> list[tuple[str, str]]:
    db = plan.database
    if db is None:
        return []
    t = timeouts(plan)
    pool_ms, deadline_ms = fmt_number(t.pool_s * 1000), fmt_number(t.deadline_s * 1000)
    wait = (
        f"the pool wait (pool_timeout_s = {pool_ms} ms) ends inside the call's {deadline_ms} ms "
        "deadline, so a burst fails fast"
        if t.pool_s <= t.deadline_s
        else f"the pool wait (pool_timeout_s = {pool_ms} ms) outlasts the call's {deadline_ms} "
        "ms deadline: cut it below the deadline, or a burst fails late instead of fast"
    )
    rows = (
        [
            (
                "Connection pool exhaustion under a burst",
                f"{wait}; {db.reserved_connections} connections reserved for operations",
            )
        ]
        if db.db_busy_connections >= 0.1 * db.total_connections  # else the pools idle
        else []
    )
    if db.standbys and db.engine is not DatabaseKind.MONGODB:
        kind = "a synchronous" if db.synchronous_standby else "an asynchronous"
        failover = (
            f"{kind} standby in another zone, promoted automatically (RTO {db.rto}; RPO: "
            "Data safety); idempotent retries ride out the failover window"
        )
    elif db.engine is DatabaseKind.MONGODB:
        failover = f"a replica-set election (RTO {db.rto}); w: majority writes (RPO {db.rpo})"
    else:
        failover = "no standby: a point-in-time restore (RPO and RTO: Data safety)"
    if not ("app" in plan.components and db.standbys):  # else the baseline's managed standby
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
    service = "app" in plan.components  # a cache's generic risks are the baseline's
    if db.cache_ttl_s > 0 and not service:
        rows.append(
            (
                "A cache hides a user's own write",
                "delete the key after the commit; a user's reads right after their own write "
                "go to the primary",
            )
        )
    if db.engine is DatabaseKind.REDIS:
        rows.append(
            (
                "Redis store runs out of memory",
                "maxmemory-policy noeviction refuses writes (OOM errors) instead of dropping "
                "data: alert at 80 % of maxmemory (INFO memory) and add memory or shards first",
            )
        )
    if db.cache is Cache.REDIS and not service:
        rows.append(
            (
                "Cache stampede on a hot key's expiry",
                "jitter the TTLs and let one request refresh a key (single-flight)",
            )
        )
    if db.isolation.locks_rows:
        rows.append(
            (
                "A hot account serialises its commands on the row lock",
                (
                    "innodb_lock_wait_timeout = 1 s (its least); retry lock wait timeouts "
                    "(1205) and deadlocks (1213)"
                    if db.engine is DatabaseKind.MYSQL
                    else "lock_timeout at the time left of the deadline; retry lock timeouts "
                    "(55P03) and deadlocks (40P01)"
                )
                + " within the deadline with jittered backoff; accounts locked in id order, "
                "transactions short; watch lock waits per account and split a hot account "
                "into sub-accounts",
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
    rows += model_risks(plan)
    if "app" in plan.components and conc.process_pool_workers:
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
    if plan.data is not None and plan.data.tool is DataTool.PYSPARK and plan.database:
        rows.append(
            (
                "A rerun's overwrite deletes earlier partitions",
                "write with spark.sql.sources.partitionOverwriteMode=dynamic: the default "
                "(static) mode deletes every partition under the path before writing",
            )
        )
    if "app" in plan.components and not profile(plan).low_traffic:  # no storm at < 1 req/s
        rows.append(
            (
                "Retry storms amplify an outage",
                "idempotent calls only, "
                + _retry_fit(plan)
                + f" (the baseline's {RETRY_BUDGET:.0%} retry budget)",
            )
        )
    if "app" not in plan.components and plan.pipeline is None:
        rows.append(
            (
                "Estimates differ from production",
                "time a full-size run before the first scheduled one, and re-run the plan "
                "with the measured figures",
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
