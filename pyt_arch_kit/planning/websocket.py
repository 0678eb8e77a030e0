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
from pyt_arch_kit.resolved import ResolvedRequirements

__all__ = [
    "HEARTBEAT_S",
    "RECONNECT_BASE_S",
    "RECONNECT_CAP_S",
    "broadcast_bus",
    "websocket_decisions",
]

#: Ping interval: a third of the load balancer's idle timeout, so two pings may be lost.
HEARTBEAT_S = LB_IDLE_TIMEOUT_S // 3
#: Reconnect backoff: full jitter between 0 and min(cap, base · 2^attempt) seconds.
RECONNECT_BASE_S = 1
RECONNECT_CAP_S = 30
_JITTER = "M. Brooker, AWS Architecture Blog, “Exponential Backoff and Jitter” (2015)"
_ALB = f"AWS ALB idle timeout, default {LB_IDLE_TIMEOUT_S} s (ELB docs, “Connection idle timeout”)"


def broadcast_bus(db: DatabasePlan | None) -> str:
    """What carries a broadcast to every worker: Redis pub/sub (the plan's cache, else a small
    Redis of its own). The design's code (``app/ws.py``) subscribes to it."""
    if db is not None and db.cache is Cache.REDIS:
        return "Redis pub/sub"
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


def websocket_decisions(
    req: ResolvedRequirements,
    cap: CapacityPlan,
    conc: ConcurrencyPlan,
    db: DatabasePlan | None = None,
) -> list[Decision]:
    """Balancing, broadcast, heartbeats and reconnects for a service that holds sockets."""
    bus = broadcast_bus(db)
    users = req.scale.concurrent_users
    n, workers = cap.instances, conc.workers_per_instance
    per_instance = users / max(1, n)
    per_worker = per_instance / max(1, workers)
    storm = per_worker / RECONNECT_CAP_S * 2  # mean rate of full jitter over [0, cap]
    return [
        Decision(
            "socket balancing",
            "least-connections (least outstanding requests) balancing at the load balancer, "
            "no sticky sessions: any instance can serve any user, because a user's state "
            "lives in Redis and the database, not in the process holding the socket",
            f"a socket is balanced once, when it opens, and then stays: about "
            f"{fmt_number(per_instance)} sockets per instance at peak "
            f"({fmt_number(users)} users over {n}), {fmt_number(per_worker)} per worker "
            "process. Round robin spreads new sockets evenly but leaves a restarted instance "
            "empty while the others stay full; least-connections refills it first",
            "a long-lived socket does not move when instances are added: new instances fill "
            "only as users reconnect",
            ("sticky sessions (needed only if state lives in the process)", "round robin"),
        ),
        _broadcast(n * workers, per_worker, bus, _sized(req)),
        Decision(
            "heartbeats",
            f"a ping every {HEARTBEAT_S} s from the server (uvicorn `--ws-ping-interval "
            f"{HEARTBEAT_S}`, `--ws-ping-timeout {HEARTBEAT_S}`)",
            f"a socket idle past the load balancer's idle timeout is cut silently ({_ALB}); "
            f"a ping every {HEARTBEAT_S} s keeps it open with two pings to spare and finds "
            f"dead clients within {2 * HEARTBEAT_S} s, freeing their memory and descriptors",
            f"{fmt_number(users / HEARTBEAT_S)} pings/s across the fleet at peak, a small "
            "frame each",
            ("raise the load balancer's idle timeout (up to 4,000 s on ALB)",),
        ),
        Decision(
            "reconnects",
            f"clients reconnect after a random delay in [0, min({RECONNECT_CAP_S} s, "
            f"{RECONNECT_BASE_S} s · 2^attempt)] (full jitter); server workers are not "
            "recycled by `max_requests` (each holds its sockets): deploys drain them, closing "
            "sockets with code 1012 (service restart) a few at a time",
            "a worker that restarts drops all of its sockets at once; if every client "
            f"reconnected at once, about {fmt_number(per_worker)} handshakes (TLS and "
            "authentication each) would land in the same second. Spread over the first "
            f"{RECONNECT_CAP_S} s by full jitter they arrive at ≈ {fmt_number(storm)}/s "
            f"({_JITTER})",
            "a reconnecting user may wait up to the cap for fresh data",
            ("reconnect immediately (a thundering herd)", "fixed delays (synchronised waves)"),
        ),
    ]
