"""Decisions a WebSocket service needs: balancing, broadcast, heartbeats and reconnects.

Sockets outlive requests: a load balancer balances them when they open, an idle one is cut at
the load balancer's idle timeout, a message for many users must reach every worker that holds
one of their sockets, and a worker recycled (gunicorn ``max_requests``) or lost drops all of its
sockets at once. Each decision here is worded from the plan's socket figures.
"""

from __future__ import annotations

from pyt_arch_kit.planning.choices import Cache
from pyt_arch_kit.planning.model import (
    CapacityPlan,
    ConcurrencyPlan,
    DatabasePlan,
    Decision,
    fmt_number,
)
from pyt_arch_kit.planning.practices import LB_IDLE_TIMEOUT_S
from pyt_arch_kit.requirements import DatabaseKind
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
    """What carries a broadcast to every worker: the plan's Redis, else PostgreSQL's
    LISTEN/NOTIFY, else a Redis the plan does not size yet."""
    if db is not None and db.cache is Cache.REDIS:
        return "Redis pub/sub"
    if db is not None and db.engine is DatabaseKind.POSTGRESQL:
        return "PostgreSQL LISTEN/NOTIFY"
    return "Redis pub/sub (a small Redis, not yet in this plan's diagram or costs)"


def _broadcast(processes: int, per_worker: float, bus: str) -> Decision:
    if bus.startswith("PostgreSQL"):
        how = (
            "PostgreSQL LISTEN/NOTIFY: each worker process holds one listening connection "
            "(outside its pool) and writes each notification to its own sockets"
        )
        limits = (
            "a NOTIFY payload is at most 8,000 bytes (send ids, not documents) and is "
            "delivered only to listeners connected at the time; move to Redis pub/sub when "
            "notifications pass a few thousand per second"
        )
    else:
        how = (
            f"{bus}: each worker process subscribes once per channel it has sockets for, "
            "and writes each published message to its own sockets"
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
        "sockets. Send with a timeout per socket and drop (or disconnect) a client whose send "
        "buffer is full, so one slow reader cannot stall the loop",
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
        _broadcast(n * workers, per_worker, bus),
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
            f"{RECONNECT_BASE_S} s · 2^attempt)] (full jitter); server workers recycle "
            "(gunicorn `max_requests`) with `max_requests_jitter` and drain: close their "
            "sockets with code 1012 (service restart) a few at a time",
            "a worker that restarts drops all of its sockets at once; if every client "
            f"reconnected at once, about {fmt_number(per_worker)} handshakes (TLS and "
            "authentication each) would land in the same second. Spread over the first "
            f"{RECONNECT_CAP_S} s by full jitter they arrive at ≈ {fmt_number(storm)}/s, and "
            "recycling with jitter keeps two workers from restarting together "
            f"({_JITTER})",
            "a reconnecting user may wait up to the cap for fresh data",
            ("reconnect immediately (a thundering herd)", "fixed delays (synchronised waves)"),
        ),
    ]
