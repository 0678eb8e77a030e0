"""Open connections: sockets, file descriptors and memory per instance, from concurrent users.

A request/response service (REST, GraphQL, gRPC behind a proxy) holds a connection per request
in flight: its users' idle keep-alive connections end at the load balancer. A WebSocket service
holds one socket per connected user for as long as the user stays, whether it sends anything or
not: long-lived connections are a workload of their own, sized here by memory and file
descriptors per instance rather than by requests in flight. :func:`socket_instances` is the
floor they put under the fleet (:func:`~pyt_arch_kit.planning.capacity.size_fleet`).
"""

from __future__ import annotations

import math

from pyt_arch_kit.planning.model import CapacityPlan, ConcurrencyPlan, DatabasePlan, Figure
from pyt_arch_kit.requirements import Interface
from pyt_arch_kit.resolved import ResolvedRequirements

__all__ = [
    "FD_SOFT_LIMIT",
    "GIB_PER_VCPU",
    "SOCKET_KIB",
    "SOCKET_MEMORY_SHARE",
    "connection_figures",
    "fd_limit_to_set",
    "fds_per_worker",
    "held_per_worker",
    "holds_sockets",
    "socket_instances",
    "sockets_per_instance_limit",
]

#: Memory one WebSocket connection takes in the ``websockets`` library (uvicorn's default
#: WebSocket implementation) with its default permessage-deflate compression, in KiB; 14 KiB
#: with compression off. Your own per-connection state comes on top: measure it.
SOCKET_KIB = 64.0
SOCKET_SOURCE = (
    "websockets docs, “Memory and buffers”: 64 KiB per connection with default compression, "
    "14 KiB without"
)
#: RAM per vCPU of a general-purpose cloud VM (AWS m-family, GCP n2-standard: 4 GiB per vCPU).
GIB_PER_VCPU = 4.0
#: The share of an instance's memory given to open sockets; the rest is the workers' code,
#: their request buffers and the OS.
SOCKET_MEMORY_SHARE = 0.5
#: Linux's default soft limit on open file descriptors per process (``ulimit -n``).
FD_SOFT_LIMIT = 1024
FD_SOURCE = (
    "Linux default RLIMIT_NOFILE soft limit 1024 (getrlimit(2); systemd LimitNOFILE= soft "
    "default 1024)"
)
#: Descriptors a worker process holds besides connections: listening socket, logs, pipes,
#: the event loop's selector, imported shared libraries.
FD_BASELINE = 50
_KIB_PER_GIB = 1024 * 1024


def holds_sockets(req: ResolvedRequirements) -> bool:
    """Whether every connected user holds a socket open to an instance (WebSockets)."""
    return req.interface is Interface.WEBSOCKET and req.scale.concurrent_users > 0


def sockets_per_instance_limit(cores_per_instance: int) -> int:
    """Sockets one instance holds within its socket memory budget."""
    budget_kib = cores_per_instance * GIB_PER_VCPU * SOCKET_MEMORY_SHARE * _KIB_PER_GIB
    return max(1, int(budget_kib // SOCKET_KIB))


def socket_instances(req: ResolvedRequirements, users: float, redundant: bool) -> int:
    """The fewest instances whose memory holds ``users`` sockets — after losing a zone too,
    when ``redundant`` (the lost zone's users reconnect to the survivors). 0 when the service
    holds no long-lived sockets."""
    if not holds_sockets(req) or users <= 0:
        return 0
    per = sockets_per_instance_limit(req.infrastructure.cores_per_instance)
    needed = math.ceil(users / per - 1e-9)
    if not redundant:
        return max(1, needed)
    # Survivors of a zone loss are ⌊2N/3⌋ (N ≥ 3), one of two: the closed form in capacity.
    return 2 if needed <= 1 else max(3, math.ceil(3 * needed / 2))


def held_per_worker(req: ResolvedRequirements, cap: CapacityPlan, conc: ConcurrencyPlan) -> float:
    """Client connections one worker process holds at peak: its share of the sockets after a
    zone loss (WebSockets), else its requests in flight."""
    n, workers = max(1, cap.instances), max(1, conc.workers_per_instance)
    if holds_sockets(req):
        survivors = cap.instances_after_failure or n
        return req.scale.concurrent_users / survivors / workers
    return cap.in_flight / n / workers


def fds_per_worker(
    req: ResolvedRequirements,
    cap: CapacityPlan,
    conc: ConcurrencyPlan,
    db: DatabasePlan | None,
) -> int:
    """File descriptors one worker process holds at peak: connections, pool, baseline."""
    pool = (db.pool_size + db.max_overflow) if db is not None else 0
    return math.ceil(held_per_worker(req, cap, conc) + pool + FD_BASELINE)


def connection_figures(
    req: ResolvedRequirements,
    cap: CapacityPlan,
    conc: ConcurrencyPlan,
    db: DatabasePlan | None,
) -> list[Figure]:
    """Open connections, file descriptors and memory per instance and per worker process."""
    if req.interface is Interface.BATCH or cap.instances <= 0:
        return []
    users = req.scale.concurrent_users
    n, workers = cap.instances, max(1, conc.workers_per_instance)
    db_per_worker = (db.pool_size + db.max_overflow) if db is not None else 0
    figures: list[Figure] = []
    if holds_sockets(req):
        per_instance = users / n
        survivors = max(1, cap.instances_after_failure)
        worst = users / survivors if cap.instances_after_failure else per_instance
        per_worker = held_per_worker(req, cap, conc)
        memory_gib = per_instance * SOCKET_KIB / _KIB_PER_GIB
        figures += [
            Figure(
                "sockets_per_instance",
                "Open WebSockets per instance at peak",
                per_instance,
                "sockets",
                "users / instances",
                (("concurrent users", users), ("instances", n)),
                "one socket per connected user, for as long as they stay connected",
            ),
            Figure(
                "sockets_per_instance_after_failure",
                "Open WebSockets per instance after losing "
                + ("a zone" if cap.zones > 1 else "the instance"),
                worst,
                "sockets",
                "users / survivors (the lost zone's users reconnect to the survivors)",
                (("concurrent users", users), ("survivors", cap.instances_after_failure)),
                "N+1 across zones; clients reconnect (jittered) to the instances left",
            ),
            Figure(
                "socket_memory_gib_per_instance",
                "Socket memory per instance at peak",
                memory_gib,
                "GiB",
                "sockets per instance · KiB per socket / 1024²",
                (("sockets per instance", per_instance), ("KiB per socket", SOCKET_KIB)),
                SOCKET_SOURCE,
            ),
            Figure(
                "socket_memory_limit_per_instance",
                "Sockets one instance holds in its memory budget",
                sockets_per_instance_limit(cap.cores_per_instance),
                "sockets",
                "cores · GiB per vCPU · share for sockets / KiB per socket",
                (
                    ("cores per instance", cap.cores_per_instance),
                    ("GiB per vCPU", GIB_PER_VCPU),
                    ("share for sockets", SOCKET_MEMORY_SHARE),
                    ("KiB per socket", SOCKET_KIB),
                ),
                SOCKET_SOURCE + "; general-purpose VMs have 4 GiB per vCPU (AWS m6i, GCP n2)",
            ),
            Figure(
                "sockets_per_worker",
                "Open WebSockets per worker process (after losing a zone)",
                per_worker,
                "sockets",
                "sockets per instance after a zone loss / workers per instance",
                (("sockets per instance", worst), ("workers per instance", workers)),
                "each uvicorn worker's event loop owns the sockets it accepted",
            ),
        ]
    else:
        figures.append(
            Figure(
                "client_connections",
                "Client connections held at the load balancer",
                float(users),
                "connections",
                "one keep-alive connection per connected user",
                (("concurrent users", users),),
                "HTTP/1.1 persistent connections (RFC 9112 §9.3); an L7 load balancer ends "
                "them and opens its own to the instances, one per request in flight",
            )
        )
    figures.append(
        Figure(
            "fds_per_worker",
            "File descriptors per worker process at peak",
            fds_per_worker(req, cap, conc, db),
            "descriptors",
            "connections held + database pool (pool + overflow) + baseline",
            (
                ("connections held", held_per_worker(req, cap, conc)),
                ("database pool", db_per_worker),
                ("baseline", FD_BASELINE),
                ("soft limit (ulimit -n)", FD_SOFT_LIMIT),
            ),
            FD_SOURCE,
        )
    )
    return figures


def fd_limit_to_set(fds_per_worker: float) -> int:
    """A ``LimitNOFILE`` with twice the peak's descriptors, rounded up to a power of two."""
    return int(2 ** math.ceil(math.log2(max(FD_SOFT_LIMIT, 2 * fds_per_worker))))
