"""Decisions a WebSocket service needs: balancing, broadcast, heartbeats and reconnects.

Sockets outlive requests: a load balancer balances them when they open, an idle one is cut at
the load balancer's idle timeout, a message for many users must reach every worker that holds
one of their sockets, and a worker recycled (gunicorn ``max_requests``) or lost drops all of its
sockets at once. Each decision here is worded from the plan's socket figures.
"""

from __future__ import annotations

from pyt_arch_kit.planning.capacity_figures import SEND_S, push_cores, push_sends_per_s
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
    "DRAIN_S",
    "HEARTBEAT_S",
    "RECONNECT_CAP_S",
    "broadcast_bus",
    "rolling_pile_up",
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
_JITTER = "M. Brooker, AWS Architecture Blog, “Exponential Backoff and Jitter” (2015)"
_ALB = f"AWS ALB idle timeout, default {LB_IDLE_TIMEOUT_S} s (ELB docs, “Connection idle timeout”)"


def broadcast_bus(db: DatabasePlan | None, existing_redis: bool = False) -> str:
    """What carries a broadcast to every worker: Redis pub/sub (the plan's cache, the Redis the
    organisation runs, else a small Redis of its own). ``app/ws.py`` subscribes to it."""
    if db is not None and db.cache is Cache.REDIS:
        return "Redis pub/sub"
    if existing_redis:
        return "Redis pub/sub (on the Redis already run)"
    return "Redis pub/sub (a small Redis for the broadcast alone)"


#: CPU per WebSocket send of one message to one socket, one event loop: 0.4–4 s per broadcast
#: to 16,667 sockets measured on this stack (uvicorn, websockets), i.e. ≈ 25–250 µs.
SEND_US = (25, 250)


def _sized(req: ResolvedRequirements) -> str:
    """How the cores carry the pushed messages: sized from the message rate, or not given."""
    sends = push_sends_per_s(req)
    if not sends:
        return (
            "No message rate is given (workload.messages_per_s): the cores are sized for the "
            "requests alone"
        )
    w = req.workload
    return (
        f"The cores are sized for {fmt_number(w.messages_per_s)} messages/s × "
        f"{fmt_number(sends / w.messages_per_s)} sockets each: {fmt_number(push_cores(req))} "
        f"cores at {SEND_S * 1e6:g} µs a send"
    )


def _broadcast(processes: int, per_worker: float, bus: str, sized: str) -> Decision:
    low, high = (per_worker * us / 1e6 for us in SEND_US)
    how = (
        f"{bus}: each worker process holds one subscription and enqueues each message for "
        "its own sockets; each socket has a bounded queue and its own sender task, and one "
        "whose queue is full is closed (1013) so its client reconnects"
    )
    limits = (
        "pub/sub is at-most-once: a worker that is reconnecting misses messages, so "
        "clients resynchronise from the database (a last-seen version) after a "
        "reconnect; use Redis Streams if every message must be replayable"
    )
    return Decision(
        "broadcast",
        how,
        f"a message for many users must reach every one of the {processes} worker processes "
        "that may hold their sockets; the bus delivers it once per worker (not once per "
        f"socket), and each worker's event loop fans it out to its ≈ {fmt_number(per_worker)} "
        f"sockets. That fan-out is the CPU cost: at {SEND_US[0]}–{SEND_US[1]} µs per send, "
        f"one broadcast to every socket of a worker costs {low:.1f}–{high:.1f} s of its core, "
        f"so a worker sustains at most {fmt_number(0.8 / high)}–{fmt_number(0.8 / low)} such "
        f"broadcasts a second at 80 % busy. {sized}; send each message only to its "
        "channel's sockets",
        limits,
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
    users = req.scale.concurrent_users
    return Decision(
        "socket balancing",
        f"{BALANCER_NAME[req.infrastructure.balancer]} at the load balancer "
        "(`infrastructure.balancer`), no sticky sessions: any instance can serve any user, "
        "because a user's state lives in the database, not in the process holding the "
        "socket; deploys are blue/green, the old fleet drained into the new one an "
        "instance at a time",
        f"a socket is balanced once, when it opens, and then stays: about "
        f"{fmt_number(per_instance)} sockets per instance at peak ({fmt_number(users)} users "
        f"over {n}), {fmt_number(per_worker)} per worker process. An instance that restarts or "
        "is added starts empty and fills only as users reconnect or arrive; that lag is "
        "accepted, but a rolling deploy would pile each drained instance's sockets onto those "
        f"not yet restarted, the last holding ≈ {rolling_pile_up(n):.1f}× its share",
        "blue/green runs two fleets for the minutes a deploy lasts; scaling out relieves only "
        "new sockets",
        (
            "HAProxy `balance leastconn` (counts open sockets, refills an empty instance "
            "first; one more proxy to run)",
            "sticky sessions (needed only if state lives in the process)",
        ),
    )


def _reconnects(cap: CapacityPlan, per_instance: float, per_worker: float) -> Decision:
    crash = per_worker / RECONNECT_CAP_S
    lost = per_instance * (cap.instances - cap.instances_after_failure)
    zone = (
        f", a lost zone {fmt_number(lost)}: over {RECONNECT_CAP_S} s they return at "
        f"≈ {fmt_number(crash)}/s and ≈ {fmt_number(lost / RECONNECT_CAP_S)}/s "
        f"({fmt_number(lost / RECONNECT_CAP_S / max(1, cap.instances_after_failure))}/s on "
        f"each of the {cap.instances_after_failure} survivors)"
        if cap.zones > 1 and cap.instances_after_failure
        else f": over {RECONNECT_CAP_S} s they return at ≈ {fmt_number(crash)}/s"
    )
    return Decision(
        "reconnects",
        f"clients wait a random delay uniform over [0, {RECONNECT_CAP_S} s] before every "
        "reconnect, the first included (full jitter); workers are not recycled by "
        "`max_requests` (each holds its sockets), and on SIGTERM (a deploy, a scale-in) each "
        "refuses new sockets and closes its own with 1012 (service restart) evenly over "
        f"{DRAIN_S:g} s (`drain()` in `app/ws.py`), inside gunicorn's `graceful_timeout` of 30 s",
        f"a worker that crashes drops its ≈ {fmt_number(per_worker)} sockets at once{zone}, "
        "not in the same second; the drain holds a deploy to "
        f"≈ {fmt_number(per_worker / DRAIN_S)}/s per worker even for clients that reconnect "
        f"without waiting ({_JITTER})",
        f"a reconnecting user waits {RECONNECT_CAP_S / 2:g} s on average (up to "
        f"{RECONNECT_CAP_S} s) for fresh data",
        (
            "exponential backoff from 1 s (the first attempts land within 1–2 s)",
            "reconnect immediately (a thundering herd)",
        ),
    )


def websocket_decisions(
    req: ResolvedRequirements,
    cap: CapacityPlan,
    conc: ConcurrencyPlan,
    db: DatabasePlan | None = None,
) -> list[Decision]:
    """Balancing, broadcast, heartbeats and reconnects for a service that holds sockets."""
    existing = {x.strip().lower() for x in req.infrastructure.existing_services}
    bus = broadcast_bus(db, "redis" in existing)
    users = req.scale.concurrent_users
    n, workers = cap.instances, conc.workers_per_instance
    per_instance = users / max(1, n)
    per_worker = per_instance / max(1, workers)
    return [
        _balancing(req, n, per_instance, per_worker),
        _broadcast(n * workers, per_worker, bus, _sized(req)),
        Decision(
            "heartbeats",
            f"a ping every {HEARTBEAT_S} s from the server (uvicorn's `ws_ping_interval` and "
            f"`ws_ping_timeout`, {HEARTBEAT_S} s by default, also under gunicorn's worker)",
            f"a socket idle past the load balancer's idle timeout is cut silently ({_ALB}); "
            f"a ping every {HEARTBEAT_S} s keeps it open with two pings to spare and finds "
            f"dead clients within {2 * HEARTBEAT_S} s, freeing their memory and descriptors",
            f"{fmt_number(users / HEARTBEAT_S)} pings/s across the fleet at peak, a small "
            "frame each",
            ("raise the load balancer's idle timeout (up to 4,000 s on ALB)",),
        ),
        _reconnects(cap, per_instance, per_worker),
    ]
