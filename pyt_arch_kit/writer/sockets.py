"""The writer's text for long-lived sockets, the autoscaling floor and database hosting.

Every number is read from a plan figure (:mod:`pyt_arch_kit.planning.connections`,
:mod:`pyt_arch_kit.planning.traffic`), so the prose and the capacity table agree.
"""

from __future__ import annotations

from pyt_arch_kit.planning.connections import FD_SOFT_LIMIT, fd_limit_to_set
from pyt_arch_kit.planning.hosting import RDS_MAX_CONNECTIONS, managed
from pyt_arch_kit.planning.model import Plan, fmt_number
from pyt_arch_kit.planning.websocket import HEARTBEAT_S, RECONNECT_CAP_S, broadcast_bus
from pyt_arch_kit.requirements import DatabaseKind

__all__ = [
    "autoscaling_lines",
    "failover_line",
    "hosting_lines",
    "socket_guideline",
    "socket_operations",
    "socket_risks",
    "socket_summary",
    "sockets_held",
]


def sockets_held(plan: Plan) -> bool:
    """Whether the plan sized long-lived sockets (a WebSocket service with users online)."""
    return any(f.key == "sockets_per_instance" for f in plan.figures)


def socket_summary(plan: Plan) -> list[str]:
    """The Executive Summary's line on open sockets."""
    if not sockets_held(plan):
        if plan.resolved.interface.value == "websocket":
            return ["- Broadcasts reach every worker's sockets through Redis pub/sub."]
        return []
    per = plan.figure("sockets_per_instance").value
    mem = plan.figure("socket_memory_gib_per_instance").value
    after = plan.figure("sockets_per_instance_after_failure").value
    return [
        f"- {fmt_number(plan.resolved.scale.concurrent_users)} open WebSockets: "
        f"{fmt_number(per)} per instance ({fmt_number(mem)} GiB at 64 KiB each), "
        f"{fmt_number(after)} per instance after losing a zone; the fleet is sized for their "
        "memory as well as for the requests; broadcasts reach every worker's sockets "
        "through Redis pub/sub.",
    ]


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
    if sockets_held(plan):
        line += (
            " Scaling in closes sockets: drain an instance by closing its sockets a few at a "
            "time (code 1012) so clients reconnect, jittered, to the others."
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
            "their memory, and reconnects per second; a reconnect spike after a deploy means "
            f"the drain is too fast. Pings every {HEARTBEAT_S} s; clients back off with full "
            f"jitter up to {RECONNECT_CAP_S} s."
        )
    return lines


def socket_guideline(plan: Plan) -> list[str]:
    """An Implementation Guidelines paragraph for a WebSocket handler."""
    if not sockets_held(plan):
        return []
    bus = broadcast_bus(plan.database).split(" (")[0]
    return [
        "Each worker keeps its sockets in a dict keyed by channel, listens on "
        f"{bus} once, on its own connection (`settings.pubsub_url`, not the cache's client), "
        "and "
        "fans a message out through each socket's bounded queue (`app/ws.py`); a client that "
        "cannot keep up is disconnected, not buffered. A socket without a valid short-lived "
        "ticket (`?token=`, signed) is closed with 1008 before `accept()`. Pub/sub is "
        "at-most-once: after a Redis failover the worker resubscribes and sends its sockets "
        "a resync notice; on it, as on every reconnect, the client fetches a snapshot.",
        "",
    ]


def socket_risks(plan: Plan) -> list[tuple[str, str]]:
    """Risks of holding sockets open."""
    if not sockets_held(plan):
        return []
    return [
        (
            "A reconnect storm after a deploy or a lost zone",
            "clients reconnect after a full-jitter delay (capped exponential backoff); "
            "workers are never recycled by max_requests and drain sockets a few at a time; "
            "authenticate reconnects cheaply (a short-lived token)",
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
