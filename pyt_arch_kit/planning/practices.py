"""Decisions every production design states: redundancy, retries, idempotency, the outbox,
and how calls are balanced — each worded so that it is correct, with its source."""

from __future__ import annotations

from pyt_arch_kit.planning.capacity import FAILOVER_CEILING, REDUNDANCY_SLO_PCT
from pyt_arch_kit.planning.model import (
    BrokerPlan,
    CapacityPlan,
    ConcurrencyPlan,
    DatabasePlan,
    Decision,
    fmt_number,
)
from pyt_arch_kit.requirements import DatabaseKind, Interface
from pyt_arch_kit.resolved import ResolvedRequirements

__all__ = [
    "LB_IDLE_TIMEOUT_S",
    "RETRY_BUDGET",
    "SERVER_KEEPALIVE_S",
    "SRE_BOOK_RETRIES",
    "STRIPE_IDEMPOTENCY",
    "plan_practices",
]

#: Retries may add at most this fraction of requests (per client, per downstream).
RETRY_BUDGET = 0.10
#: The idle timeout of common cloud load balancers (e.g. AWS ALB's default), in seconds.
LB_IDLE_TIMEOUT_S = 60
#: The server's keep-alive idle timeout: longer than the load balancer's, so it never closes
#: a connection the load balancer is about to reuse. The design's text and its
#: ``gunicorn.conf.py`` both quote this one value.
SERVER_KEEPALIVE_S = LB_IDLE_TIMEOUT_S + 15
SRE_BOOK_RETRIES = "SRE book, ch. 22 “Addressing Cascading Failures”; Brooker, AWS, 2015"
STRIPE_IDEMPOTENCY = "Stripe API, “Idempotent requests”"
GRPC_LB = "gRPC docs, “Load Balancing in gRPC” (2017) and the connection-age server options"


def _redundancy(req: ResolvedRequirements, cap: CapacityPlan) -> Decision:
    slo = req.latency.availability_pct
    n, zones, left = cap.instances, cap.zones, cap.instances_after_failure
    where = f"{n} instance(s) across {zones} zones" if zones > 1 else f"{n} instance in one zone"
    if cap.redundancy_required:
        why = (
            f"N+1 at the {slo:g} % SLO: losing a zone leaves {left} instance(s) with their cores "
            f"{cap.utilisation_after_failure:.0%} busy, under the "
            f"{FAILOVER_CEILING:.0%} ceiling where queueing climbs"
        )
        trade = "capacity that idles while every zone is up, paid for the hours one is down"
    else:
        why = (
            f"a {slo:g} % SLO (below {REDUNDANCY_SLO_PCT:g} %) allows "
            f"{(100 - slo) / 100 * 30 * 24:,.1f} h of downtime a month: a failed instance is "
            "replaced by the platform in minutes, so N+1 is not required"
        )
        trade = (
            "a failure or a deploy is an outage until the instance is back"
            if n == 1
            else "a zone outage costs capacity until it is replaced"
        )
    return Decision(
        "redundancy",
        where,
        why,
        trade,
        ("one more instance per zone", "a warm standby region"),
    )


def _retries(req: ResolvedRequirements) -> Decision:
    target = req.latency.p99_ms
    return Decision(
        "retries",
        "retry only idempotent calls (reads, and writes that carry an idempotency key), at one "
        f"layer, all attempts within one deadline below the {fmt_number(target)} ms p99 "
        f"target, with a retry budget of {RETRY_BUDGET:.0%} of requests",
        "retries multiply load exactly when a dependency struggles: a budget and retrying at "
        "one layer only (the caller nearest the failure) keep a blip from becoming a storm; "
        "capped exponential backoff with full jitter spreads the retries "
        f"({SRE_BOOK_RETRIES})",
        "a call that fails after its budget or deadline fails fast instead of succeeding late",
        ("no retries", "retries at every layer (multiplies load: 3 layers × 3 tries = 27×)"),
    )


def _idempotency(req: ResolvedRequirements) -> Decision:
    scope = "the calling service" if req.interface is Interface.GRPC else "the client (API key)"
    return Decision(
        "idempotency",
        f"idempotency keys scoped to {scope}, kept ~24 h, with a request fingerprint and the "
        "stored response",
        "a retried write (client timeout, 502, redelivery) must apply once: the key is unique "
        "per (client, key), not globally; its row stores a hash of the request (method, path, "
        "body) and the response status and body, written in the same transaction as the "
        "effect; a replay with the same parameters returns the stored response, the same key "
        "with other parameters is rejected (422), and keys expire after ~24 h "
        f"({STRIPE_IDEMPOTENCY})",
        "one more row in every write transaction, and a job that purges expired keys",
        ("natural keys (e.g. a payment id from the caller)", "no deduplication"),
    )


def _outbox(broker: BrokerPlan | None) -> Decision:
    name = broker.name if broker is not None else "the broker"
    return Decision(
        "outbox",
        "transactional outbox: each row carries an event id (UUID), the aggregate key and the "
        "payload, written in the command's transaction",
        f"an event must follow its commit exactly: the relay publishes outbox rows to {name} "
        "in order per aggregate key and marks them sent; consumers record processed event ids "
        "in the same transaction as their effect, so a redelivered event is skipped",
        "at-least-once delivery, so every consumer must be idempotent; the relay is one more "
        "process to run and watch (its lag is an alert)",
        ("publish after commit (loses events on a crash)", "two-phase commit"),
    )


def _load_balancing(conc: ConcurrencyPlan, cap: CapacityPlan) -> Decision:
    return Decision(
        "load balancing",
        "per-call balancing: client-side round_robin over every instance's address (a headless "
        "service's DNS, or xDS), or an L7 proxy such as Envoy; servers set "
        "max_connection_age (~5 min) so clients reconnect and rebalance",
        "gRPC multiplexes all of a client's calls on one long-lived HTTP/2 connection, so an "
        "L4 load balancer balances connections, not calls: a few busy callers pin their load "
        f"onto a few of the {cap.instances} instances, and new instances get nothing until "
        f"clients reconnect ({GRPC_LB}). Each instance runs {conc.workers_per_instance} "
        "single-process containers, each its own address: processes sharing a port "
        "(SO_REUSEPORT) would spread connections, not calls",
        "client-side balancing needs discovery in every client; a proxy is one more hop to run",
        ("an L4 load balancer (balances connections only)", "a service mesh"),
    )


def _data_safety(db: DatabasePlan) -> Decision:
    days = db.backup_retention_days
    if db.engine is DatabaseKind.REDIS:
        choice = (
            "AOF (appendfsync everysec) on the primary, a replica in another zone promoted by "
            f"Sentinel; hourly RDB snapshots copied to object storage, kept {days} days"
        )
    elif db.engine is DatabaseKind.MONGODB:
        choice = (
            "a three-member replica set across zones (w: majority, automatic elections); daily "
            f"snapshots plus the oplog for point-in-time restores over {days} days"
        )
    else:
        standby = (
            f", {'a synchronous' if db.synchronous_standby else 'an asynchronous'} standby in "
            "another zone with automated failover"
            if db.standbys
            else ""
        )
        choice = (
            "daily base backups plus continuous WAL archiving: point-in-time recovery over "
            f"{days} days, copied to a second region{standby}"
        )
    return Decision(
        "data safety",
        choice,
        f"RPO {db.rpo}; RTO {db.rto}",
        "a synchronous standby adds a network round trip to every commit; without a standby "
        "a failure lasts as long as a restore"
        if db.engine not in (DatabaseKind.MONGODB, DatabaseKind.REDIS)
        else "w: majority adds a round trip to a second member on every write"
        if db.engine is DatabaseKind.MONGODB
        else "replication is asynchronous: a failover loses the replica's lag too",
        ("backups only", "a synchronous standby", "a cross-region replica"),
    )


def plan_practices(
    req: ResolvedRequirements,
    cap: CapacityPlan,
    conc: ConcurrencyPlan,
    db: DatabasePlan | None,
    broker: BrokerPlan | None,
) -> list[Decision]:
    """The practice decisions that apply to this system, in the order a reader needs them."""
    online = req.interface is not Interface.BATCH and req.scale.peak_rps > 0
    out: list[Decision] = []
    if online:
        out.append(_redundancy(req, cap))
    if req.interface is Interface.GRPC:
        out.append(_load_balancing(conc, cap))
    if online:
        out.append(_retries(req))
    if db is not None and db.idempotency_keys:
        out.append(_idempotency(req))
    if db is not None and db.outbox:
        out.append(_outbox(broker))
    if db is not None:
        out.append(_data_safety(db))
    return out
