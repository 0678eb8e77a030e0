"""The writer's text for long-lived sockets, the autoscaling floor and database hosting.

Every number is read from a plan figure (:mod:`pyt_arch_kit.planning.connections`,
:mod:`pyt_arch_kit.planning.traffic`), so the prose and the capacity table agree.
"""

from __future__ import annotations

from pyt_arch_kit.planning.capacity_figures import SEND_S, push_cores, push_sends_per_s
from pyt_arch_kit.planning.choices import Cache
from pyt_arch_kit.planning.connections import FD_SOFT_LIMIT, SOCKET_KIB, fd_limit_to_set
from pyt_arch_kit.planning.hosting import RDS_MAX_CONNECTIONS, managed
from pyt_arch_kit.planning.model import Plan, fmt_number
from pyt_arch_kit.planning.websocket import (
    DRAIN_S,
    RECONNECT_CAP_S,
    SNAPSHOT_TTL_S,
    broadcast_bus,
)
from pyt_arch_kit.requirements import DatabaseKind

__all__ = [
    "autoscaling_lines",
    "failover_line",
    "hosting_lines",
    "socket_guideline",
    "socket_load_test",
    "socket_operations",
    "socket_risks",
    "socket_summary",
    "sockets_held",
]


def sockets_held(plan: Plan) -> bool:
    """Whether the plan sized long-lived sockets (a WebSocket service with users online)."""
    return any(f.key == "sockets_per_instance" for f in plan.figures)


def socket_summary(plan: Plan, after_failure: str = "") -> list[str]:
    """The Executive Summary's numbers for a service that holds sockets: its drivers are the
    pushed messages and the sockets per worker, not HTTP requests queueing (``after_failure``:
    the fleet's zone-loss clause). A WebSocket service with no users online gets one line."""
    if not sockets_held(plan):
        if plan.resolved.interface.value == "websocket":
            return ["- Broadcasts reach every worker's sockets through Redis pub/sub."]
        return []
    req, cap = plan.resolved, plan.capacity
    w, users = req.workload, req.scale.concurrent_users
    sends = push_sends_per_s(req)
    http = req.scale.peak_rps * w.cpu_ms_per_request / 1000
    pushes = (
        f"{fmt_number(w.messages_per_s)} messages/s × {fmt_number(sends / w.messages_per_s)} "
        f"sockets each × {SEND_S * 1e6:g} µs a send (permessage-deflate off) = "
        f"{fmt_number(push_cores(req))} cores, and "
        if sends
        else "no message rate given (`workload.messages_per_s`): "
    )
    per_worker = plan.figure("sockets_per_worker").value
    workers = plan.concurrency.workers_per_instance
    after = plan.figure("sockets_per_instance_after_failure").value
    lines = [
        f"- {fmt_number(cap.busy_cores)} cores busy → {cap.cores} provisioned at "
        f"{cap.utilisation:.0%} (target ≤ {cap.target_utilisation:.0%}): {pushes}"
        f"{fmt_number(req.scale.peak_rps)} HTTP req/s (tickets, snapshots) × "
        f"{fmt_number(w.cpu_ms_per_request)} ms = {fmt_number(http)} cores; {after_failure}",
        f"- {fmt_number(users)} open sockets: after losing a zone {fmt_number(after)} per "
        f"instance ({fmt_number(after * SOCKET_KIB / 1024**2)} GiB at {SOCKET_KIB:g} KiB "
        f"each), {fmt_number(per_worker)} per worker",
    ]
    if sends:
        reach = sends / w.messages_per_s / max(1, cap.instances_after_failure * workers)
        lines[-1] += (
            f"; a message's {fmt_number(sends / w.messages_per_s)} sockets are "
            f"≈ {fmt_number(reach)} per worker, a {fmt_number(reach * SEND_S * 1000)} ms "
            f"fan-out within the {fmt_number(req.latency.p99_ms)} ms p99."
        )
    else:
        lines[-1] += "."
    return lines


def autoscaling_lines(plan: Plan) -> list[str]:
    """The autoscaling minimum from the average rate, and the daily volume."""
    try:
        floor = plan.figure("autoscaling_floor")
        daily = plan.figure("daily_requests")
    except KeyError:
        return []
    avg = plan.resolved.scale.avg_rps
    line = (
        f"- Autoscaling minimum: {fmt_number(floor.value)} (the fleet the "
        f"{fmt_number(avg)} req/s average needs, N+1 kept); about {fmt_number(daily.value)} "
        "requests a day."
    )
    return [line]


def socket_operations(plan: Plan) -> list[str]:
    """Operations lines on descriptors and sockets."""
    try:
        fds = plan.figure("fds_per_worker").value
    except KeyError:
        return []
    lines: list[str] = []
    if fds > FD_SOFT_LIMIT * 0.8:
        lines.append(
            f"- File descriptors: about {fmt_number(fds)} per worker process at peak, past "
            f"the default soft limit of {FD_SOFT_LIMIT}: set `LimitNOFILE={fd_limit_to_set(fds)}` "
            "(systemd) or the container's nofile ulimit, and alert on open descriptors."
        )
    if sockets_held(plan):
        lines.append(
            f"- Sockets: watch open sockets per worker (about "
            f"{fmt_number(plan.figure('sockets_per_worker').value)} after a zone loss), "
            "their memory, and reconnects per second; scale out on sockets per worker, not "
            "CPU alone: a socket does not move."
        )
    return lines


def socket_guideline(plan: Plan) -> list[str]:
    """An Implementation Guidelines paragraph for a WebSocket handler."""
    if not sockets_held(plan):
        return []
    bus = broadcast_bus(plan.database).split(" (")[0]
    cached = plan.database is not None and plan.database.cache is Cache.REDIS
    return [
        "Each worker keeps its sockets in a dict keyed by channel, listens on "
        f"{bus} once, on its own connection (`settings.pubsub_url`"
        + (", not the cache's client" if cached else "")
        + "), "
        "and "
        "fans a message out through each socket's bounded queue (`app/ws.py`); a client that "
        "cannot keep up is disconnected, not buffered. A socket without a valid short-lived "
        "ticket (`?token=`, signed) is closed with 1008 before `accept()`. Pub/sub is "
        "at-most-once: after a Redis failover the worker resubscribes and sends its sockets "
        "a resync notice; on it, as on every reconnect, the client fetches "
        "`GET /snapshot/{channel}`, which each worker serves from its per-channel cache "
        "(Reconnects).",
        "",
    ]


def socket_load_test(plan: Plan) -> str:
    """The Testing strategy's load line for a service that holds sockets: sockets and
    messages per worker, and a reconnect storm, not HTTP requests."""
    req, cap = plan.resolved, plan.capacity
    per_worker = plan.figure("sockets_per_worker").value
    sends = push_sends_per_s(req)
    workers = cap.instances_after_failure * plan.concurrency.workers_per_instance
    pushes = (
        f" and publish {fmt_number(req.workload.messages_per_s)} messages/s to channels of "
        f"{fmt_number(sends / req.workload.messages_per_s / max(1, workers))} of them"
        if sends
        else ""
    )
    lost = plan.figure("sockets_per_instance").value * (cap.instances - cap.instances_after_failure)
    return (
        f"- **Load**: hold {fmt_number(per_worker)} sockets on one worker (its share after a "
        f"zone loss){pushes}: CPU per send ≤ {SEND_S * 1e6:g} µs, every socket served within "
        f"the {fmt_number(req.latency.p99_ms)} ms p99; then reconnect "
        f"{fmt_number(lost or per_worker)} sockets over {RECONNECT_CAP_S} s and count the "
        "snapshot queries."
    )


def socket_risks(plan: Plan) -> list[tuple[str, str]]:
    """Risks of holding sockets open."""
    if not sockets_held(plan):
        return []
    return [
        (
            "A reconnect storm after a deploy or a lost zone",
            f"every reconnect waits uniform [0, {RECONNECT_CAP_S} s], a deploy drains each "
            f"worker over {DRAIN_S:g} s (Draining), and snapshots come from each worker's "
            f"{SNAPSHOT_TTL_S:g} s cache; a ticket makes authentication one HMAC",
        ),
        (
            "A slow client stalls a worker's broadcast",
            "send with a timeout per socket, bound each socket's write buffer, and disconnect "
            "clients that fall behind",
        ),
    ]


def hosting_lines(plan: Plan) -> list[str]:
    """Data-safety lines on who runs the database."""
    db = plan.database
    if db is None:
        return []
    if managed(plan.resolved):
        limit = (
            f"`max_connections` follows the instance class (`{RDS_MAX_CONNECTIONS}` on RDS): "
            "check it before choosing a smaller class"
            if db.engine is not DatabaseKind.MONGODB
            else "connection limits follow the cluster tier: check them before a smaller tier"
        )
        return [
            "- Managed database: the provider's automated backups and point-in-time recovery, "
            f"Multi-AZ failover and minor-version patching; {limit}. Settings change through "
            "the parameter group (some need a reboot: schedule it)."
        ]
    return [
        "- Self-run database: the team runs backups and their restore drills, failover, "
        "patching and disk growth, with a written runbook for each; the connection limit is "
        "what you configure for the server's memory."
    ]


def failover_line(plan: Plan) -> str:
    """How the standby is promoted: the provider's Multi-AZ, or Patroni on premises."""
    how = (
        "the managed service's Multi-AZ failover"
        if managed(plan.resolved)
        else "Patroni (or the engine's own cluster manager)"
    )
    return (
        f"- Failover: the standby is promoted automatically ({how}); clients reconnect "
        "through the same endpoint, and the failover window is spent from the error budget."
    )
