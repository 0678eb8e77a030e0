"""Warnings from the payload, the open connections and the p50 target.

Each pair is ``(applies, says)`` for a row of the push-back table
(:data:`~pyt_arch_kit.planning.pushback.RULES`); they read the same functions as the figures,
so a warning and its figure never disagree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyt_arch_kit.planning.cache import LOW_HIT_RATIO
from pyt_arch_kit.planning.choices import Cache
from pyt_arch_kit.planning.connections import (
    FD_SOFT_LIMIT,
    fd_limit_to_set,
    fds_per_worker,
    holds_sockets,
)
from pyt_arch_kit.planning.model import fmt_number
from pyt_arch_kit.planning.traffic import (
    NETWORK_SHARE,
    SERIALISATION_SHARE,
    network_mbps_per_instance,
    nic_mbps,
    serialisation_ms,
)
from pyt_arch_kit.requirements import Interface

if TYPE_CHECKING:
    from pyt_arch_kit.planning.pushback import Facts

__all__ = [
    "LOW_HIT_RATIO",
    "cache_barely_helps",
    "cache_warning",
    "descriptors_past_limit",
    "descriptors_warning",
    "network_heavy",
    "network_warning",
    "p50_missed",
    "p50_warning",
    "serialisation_heavy",
    "serialisation_warning",
]


def _online(f: Facts) -> bool:
    return f.req.interface is not Interface.BATCH and f.req.scale.peak_rps > 0


def network_heavy(f: Facts) -> bool:
    """The payload's traffic passes half of an instance's baseline bandwidth."""
    net = network_mbps_per_instance(f.req, f.cap.instances)
    return _online(f) and net > NETWORK_SHARE * nic_mbps(f.cap.cores_per_instance)


def network_warning(f: Facts) -> tuple[str, str, str]:
    net = network_mbps_per_instance(f.req, f.cap.instances)
    nic = nic_mbps(f.cap.cores_per_instance)
    return (
        "the network, not the CPU, may limit each instance",
        f"{fmt_number(f.req.scale.peak_rps)} req/s × {fmt_number(f.req.scale.payload_kb)} KB "
        f"is {fmt_number(net)} Mbit/s per instance against a baseline of about "
        f"{fmt_number(nic)} Mbit/s for {f.cap.cores_per_instance} vCPU (bursts above it are "
        "credits that run out).",
        "Compress responses (gzip or zstd at the load balancer or in the app), paginate or "
        "trim large documents, serve static and bulk content from object storage or a CDN, "
        "or choose network-optimised instances; load-test with the real payload.",
    )


def serialisation_heavy(f: Facts) -> bool:
    """JSON decode + encode is a large share of the request's CPU time."""
    cpu = f.req.workload.cpu_ms_per_request
    return _online(f) and cpu > 0 and serialisation_ms(f.req) > SERIALISATION_SHARE * cpu


def serialisation_warning(f: Facts) -> tuple[str, str, str]:
    ser, cpu = serialisation_ms(f.req), f.req.workload.cpu_ms_per_request
    return (
        "JSON serialisation is a large share of each request's CPU",
        f"A {fmt_number(f.req.scale.payload_kb)} KB payload costs about {fmt_number(ser)} ms "
        f"of CPU to decode and encode with the standard library, {min(ser / cpu, 9.99):.0%} of "
        f"the {fmt_number(cpu)} ms of CPU per request (if the profile includes it, the rest "
        "of the request is smaller still).",
        "Use orjson (FastAPI's ORJSONResponse, or pydantic's model_dump_json in Rust), send "
        "less (fields the client needs, pagination), or a binary format (protobuf, "
        "MessagePack) between services; profile with the real payload.",
    )


def descriptors_past_limit(f: Facts) -> bool:
    """A worker process holds more file descriptors than the default soft limit."""
    return _online(f) and fds_per_worker(f.req, f.cap, f.conc, f.db) > FD_SOFT_LIMIT * 0.8


def descriptors_warning(f: Facts) -> tuple[str, str, str]:
    fds = fds_per_worker(f.req, f.cap, f.conc, f.db)
    what = (
        f"{fmt_number(f.req.scale.concurrent_users)} open WebSockets"
        if holds_sockets(f.req)
        else "its requests in flight"
    )
    return (
        "workers need more file descriptors than the default limit",
        f"With {what}, one worker process holds about {fmt_number(fds)} descriptors at peak "
        f"(after a zone loss for sockets) against Linux's default soft limit of "
        f"{FD_SOFT_LIMIT} (`ulimit -n`): past it, accept() fails with EMFILE and new "
        "connections are refused.",
        f"Raise the limit where the workers start: systemd `LimitNOFILE={fd_limit_to_set(fds)}`, "
        f"or the container's `--ulimit nofile={fd_limit_to_set(fds)}` (Kubernetes inherits the "
        "runtime's default); check it at start-up (`resource.getrlimit(RLIMIT_NOFILE)`) and "
        "alert on open descriptors.",
    )


def p50_missed(f: Facts) -> bool:
    """The queueing model's median misses the p50 target."""
    return _online(f) and f.cap.p50_ms > f.req.latency.p50_ms * (1 + 1e-9)


def p50_warning(f: Facts) -> tuple[str, str, str]:
    cpu = f.req.workload.cpu_ms_per_request
    io = f.req.workload.io_wait_ms_per_request
    return (
        "the median misses the p50 target",
        f"Estimated p50 {fmt_number(f.cap.p50_ms)} ms against a target of "
        f"{fmt_number(f.req.latency.p50_ms)} ms: the median request spends about that long in "
        f"its own {fmt_number(cpu)} ms of CPU and {fmt_number(io)} ms of IO (with cv "
        f"{fmt_number(f.cap.service_cv)}), and instances cannot shorten a request's own time.",
        "Cut the typical request's work (fewer or batched database calls, a cache for hot "
        "reads, less CPU per request), or agree a p50 target the work allows.",
    )


def cache_barely_helps(f: Facts) -> bool:
    """The plan has a read cache, and the model (not a measurement) says it rarely hits."""
    db = f.db
    return (
        db is not None
        and db.cache in (Cache.REDIS, Cache.LOCAL)
        and f.req.requirements.workload.cache_hit_ratio is None
        and db.cache_hit_ratio < LOW_HIT_RATIO
    )


def cache_warning(f: Facts) -> tuple[str, str, str]:
    db = f.db
    assert db is not None
    return (
        "the cache may take little load off the database",
        f"The TTL model gives a hit ratio of {db.cache_hit_ratio:.0%}: "
        f"{fmt_number(f.req.workload.cache_keys)} keys read at "
        f"{fmt_number(f.req.scale.peak_rps * f.req.scale.read_ratio)} reads/s with a "
        f"{fmt_number(db.cache_ttl_s)} s TTL; the database still serves "
        f"{fmt_number(db.db_queries_per_s)} of {fmt_number(db.db_queries_per_s_without_cache)} "
        "queries/s.",
        "Measure the hit ratio on real traffic before building the cache and set "
        "workload.cache_hit_ratio (or workload.cache_keys to the keys reads really ask for); "
        "if it stays low, a longer TTL where staleness allows, caching only the hot keys, or "
        "a read replica instead offloads more.",
    )
