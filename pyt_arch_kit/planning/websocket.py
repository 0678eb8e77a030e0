"""Decisions a WebSocket service needs: balancing, broadcast, heartbeats, reconnects, draining.

Sockets outlive requests: a load balancer balances them when they open, an idle one is cut at
the load balancer's idle timeout, a message for many users must reach every worker that holds
one of their sockets, and a worker recycled (gunicorn ``max_requests``) or lost drops all of its
sockets at once. Each decision here is worded from the plan's socket figures.
"""

from __future__ import annotations

import dataclasses

from pyt_arch_kit.planning.capacity_figures import SEND_DEFLATE_S, SEND_S
from pyt_arch_kit.planning.choices import Cache
from pyt_arch_kit.planning.model import (
    CapacityPlan,
    ConcurrencyPlan,
    DatabasePlan,
    Decision,
    fmt_number,
)
from pyt_arch_kit.planning.practices import LB_IDLE_TIMEOUT_S
from pyt_arch_kit.requirements import Balancer
from pyt_arch_kit.resolved import ResolvedRequirements

__all__ = [
    "BALANCER_NAME",
    "DEREGISTRATION_S",
    "DRAIN_S",
    "HEARTBEAT_S",
    "RECONNECT_CAP_S",
    "SNAPSHOT_TTL_S",
    "broadcast_bus",
    "rolling_pile_up",
    "snapshot_caching",
    "websocket_decisions",
]

#: Ping interval: a third of the load balancer's idle timeout, so two pings may be lost.
HEARTBEAT_S = LB_IDLE_TIMEOUT_S // 3
#: Reconnect backoff: every delay, the first included, uniform over [0, cap] seconds (full
#: jitter), so the sockets a worker drops at once return spread over the cap.
RECONNECT_CAP_S = 30
#: A deploy closes a worker's sockets evenly over this many seconds (``app/ws.py``'s drain),
#: inside gunicorn's ``graceful_timeout`` of 30 s.
DRAIN_S = 20.0
#: A channel's snapshot is served from each worker's cache for this many seconds: a reconnect
#: storm costs one query per channel, worker and TTL (``app/ws.py``'s ``snapshot()``).
SNAPSHOT_TTL_S = 1.0
#: The load balancer keeps a deregistered instance's open sockets this long (ALB
#: ``deregistration_delay.timeout_seconds``, 300 s by default): longer than the drain.
DEREGISTRATION_S = 30
_JITTER = "Brooker, “Exponential Backoff and Jitter”, AWS Architecture Blog, 2015"
_ALB = "AWS ALB default; ELB docs, “Connection idle timeout”"


def broadcast_bus(db: DatabasePlan | None, existing_redis: bool = False) -> str:
    """What carries a broadcast to every worker: Redis pub/sub (the plan's cache, the Redis the
    organisation runs, else a small Redis of its own). ``app/ws.py`` subscribes to it."""
    if db is not None and db.cache is Cache.REDIS:
        return "Redis pub/sub"
    if existing_redis:
        return "Redis pub/sub (on the Redis already run)"
    return "Redis pub/sub (a small Redis for the broadcast alone)"


def _broadcast(per_worker: float, bus: str) -> Decision:
    return Decision(
        "broadcast",
        f"{bus}: one subscription per worker process; a bounded queue and sender task per "
        "socket, which is closed (1013) when its queue is full; frames uncompressed "
        "(permessage-deflate off)",
        "a broadcast costs each worker one send per socket of the channel it holds: "
        f"{SEND_S * 1e6:g} µs uncompressed, {SEND_DEFLATE_S * 1e6:g} µs with deflate, which "
        f"compresses every socket's copy; all of a worker's ≈ {fmt_number(per_worker)} "
        f"sockets take {per_worker * SEND_S:.2g} s of its core",
        "pub/sub is at-most-once: a worker that is reconnecting misses messages, so "
        "clients resynchronise from a snapshot after a reconnect; use Redis Streams if every "
        "message must be replayable. Uncompressed frames cost more bandwidth (the benchmark's "
        "1 KB JSON update deflates to about 200 bytes)",
        ("Redis Streams (replayable, more state)", "a broker topic per worker"),
    )


#: How each balancer is named in the design's text.
BALANCER_NAME = {
    Balancer.ROUND_ROBIN: "round robin",
    Balancer.RANDOM: "random",
    Balancer.LEAST_OUTSTANDING: "least outstanding requests",
}


def rolling_pile_up(instances: int) -> float:
    """How many times its share of sockets the last instance of a rolling deploy holds, when
    each drained instance's sockets spread evenly over the others and nobody leaves meanwhile.

    Each drain grows every instance not yet restarted by 1/(n − 1): (n / (n − 1))^(n − 1).

    Example:
        >>> round(rolling_pile_up(8), 2)
        2.55
    """
    n = max(2, instances)
    return float((n / (n - 1)) ** (n - 1))


def _balancing(
    req: ResolvedRequirements, n: int, per_instance: float, per_worker: float
) -> Decision:
    return Decision(
        "socket balancing",
        f"{BALANCER_NAME[req.infrastructure.balancer]} at the load balancer "
        "(`infrastructure.balancer`), no sticky sessions (a user's state is in the database, "
        "not in the process holding the socket); deploys are blue/green",
        f"a socket is balanced once, when it opens: ≈ {fmt_number(per_instance)} per "
        f"instance, {fmt_number(per_worker)} per worker process. A rolling deploy would pile "
        "each drained instance's sockets onto those not yet restarted (the last holding "
        f"≈ {rolling_pile_up(n):.1f}× its share)",
        "blue/green runs two fleets for the minutes a deploy lasts; an instance that restarts "
        "or is added fills only as users reconnect or arrive, so scaling out relieves only new "
        "sockets",
        (
            "HAProxy `balance leastconn` (counts open sockets, refills an empty instance "
            "first; one more proxy to run)",
            "sticky sessions (needed only if state lives in the process)",
        ),
    )


def _reconnects(
    req: ResolvedRequirements,
    cap: CapacityPlan,
    per_instance: float,
    per_worker: float,
    workers: int,
) -> Decision:
    crash = per_worker / RECONNECT_CAP_S
    lost = per_instance * (cap.instances - cap.instances_after_failure)
    zone = cap.zones > 1 and cap.instances_after_failure > 0
    back = workers * (cap.instances_after_failure if zone else cap.instances)
    storm = (
        f"a lost zone's {fmt_number(lost)} sockets return at "
        f"≈ {fmt_number(lost / RECONNECT_CAP_S)}/s to the {cap.instances_after_failure} "
        "survivors"
        if zone
        else f"a crashed worker's {fmt_number(per_worker)} sockets return at "
        f"≈ {fmt_number(crash)}/s"
    )
    per_message = req.workload.sockets_per_message
    bound = (
        f", so the database sees at most {fmt_number(back * channels / SNAPSHOT_TTL_S)} "
        f"queries/s ({back} workers × {fmt_number(channels)} channels), not one per reconnect"
        if per_message and (channels := req.scale.concurrent_users / per_message) >= 1
        else ""
    )
    return Decision(
        "reconnects",
        f"full jitter: every reconnect, the first included, waits uniform [0, {RECONNECT_CAP_S} s]",
        f"{storm}, each fetching its channel's snapshot; a worker caches a channel's "
        f"snapshot for {SNAPSHOT_TTL_S:g} s and refills it with one query at a time{bound} "
        f"({_JITTER})",
        f"a reconnecting user waits {RECONNECT_CAP_S / 2:g} s on average (up to "
        f"{RECONNECT_CAP_S} s) for fresh data",
        (
            "exponential backoff from 1 s (the first attempts land within 1–2 s)",
            "reconnect immediately (a thundering herd)",
        ),
    )


def _draining(per_worker: float) -> Decision:
    return Decision(
        "draining",
        "a deploy deregisters the instance at the load balancer first (ALB deregistration "
        f"delay {DEREGISTRATION_S} s > the {DRAIN_S:g} s drain), then sends SIGTERM: "
        "`/readyz` answers 503, and each worker refuses new sockets and closes its own with "
        f"1012 evenly over {DRAIN_S:g} s (`drain()` in `app/ws.py`); no `max_requests` "
        "recycling",
        "no handshake reaches a worker that would refuse it, and a worker's "
        f"≈ {fmt_number(per_worker)} sockets return at ≈ {fmt_number(per_worker / DRAIN_S)}/s "
        "even from clients that reconnect at once",
        f"an instance takes {DEREGISTRATION_S} s to leave; a crash still drops its sockets at "
        "once (the jitter spreads them)",
        ("the server's own shutdown (every socket closed at once)",),
    )


def snapshot_caching(decisions: list[Decision]) -> list[Decision]:
    """The caching decision of a service that holds sockets: without a read cache, it still
    caches its channels' snapshots in each worker (``app/ws.py``)."""
    return [
        dataclasses.replace(
            d,
            choice=f"channel snapshots only, in each worker for {SNAPSHOT_TTL_S:g} s (Reconnects)",
            trade_off=d.trade_off.replace("every read reaches", "every other read reaches"),
        )
        if d.topic == "caching" and d.choice == Cache.NONE.value
        else d
        for d in decisions
    ]


def websocket_decisions(
    req: ResolvedRequirements,
    cap: CapacityPlan,
    conc: ConcurrencyPlan,
    db: DatabasePlan | None = None,
) -> list[Decision]:
    """Balancing, broadcast, heartbeats, reconnects and draining for a service that holds
    sockets."""
    existing = {x.strip().lower() for x in req.infrastructure.existing_services}
    bus = broadcast_bus(db, "redis" in existing)
    users = req.scale.concurrent_users
    n, workers = cap.instances, conc.workers_per_instance
    per_instance = users / max(1, n)
    per_worker = per_instance / max(1, workers)
    return [
        _balancing(req, n, per_instance, per_worker),
        _broadcast(per_worker, bus),
        Decision(
            "heartbeats",
            f"a ping every {HEARTBEAT_S} s from the server (uvicorn's `ws_ping_interval` and "
            f"`ws_ping_timeout`, {HEARTBEAT_S} s by default)",
            f"the load balancer cuts a socket idle for {LB_IDLE_TIMEOUT_S} s ({_ALB}): two "
            f"pings may be lost, and a dead client is found within {2 * HEARTBEAT_S} s",
            f"{fmt_number(users / HEARTBEAT_S)} pings/s across the fleet at peak, a small "
            "frame each",
            ("raise the load balancer's idle timeout (up to 4,000 s on ALB)",),
        ),
        _reconnects(req, cap, per_instance, per_worker, workers),
        _draining(per_worker),
    ]
