"""What the payload, the average rate and the p50 target add to the plan.

The payload sets the network each instance carries and the CPU spent turning JSON into Python
objects and back; the average rate sets the autoscaling floor and the daily volume; the p50
target is checked against the queueing model's median. Each number is a :class:`Figure`; the
push-back table (:data:`~pyt_arch_kit.planning.pushback.RULES`) warns when one dominates.
"""

from __future__ import annotations

import math
from dataclasses import replace

from pyt_arch_kit.planning.capacity import size_fleet
from pyt_arch_kit.planning.model import CapacityPlan, Figure
from pyt_arch_kit.requirements import Interface
from pyt_arch_kit.resolved import ResolvedRequirements

__all__ = [
    "JSON_MS_PER_KB",
    "NETWORK_SHARE",
    "NIC_MBPS_PER_VCPU",
    "SERIALISATION_SHARE",
    "autoscaling_floor",
    "network_mbps_per_instance",
    "serialisation_ms",
    "traffic_figures",
]

#: CPU ms to decode and encode one KB of JSON with the standard library (``json.loads`` +
#: ``json.dumps``): measured at ≈ 0.022 ms/KB of process time on lists of small objects from
#: 1 KB to 270 KB (CPython 3.11, ``benchmarks/bench_json.py``); orjson is several times faster.
#: An assumption: profile your own payloads.
JSON_MS_PER_KB = 0.02
JSON_SOURCE = (
    "stdlib json loads + dumps ≈ 0.02 ms of CPU per KB, measured on lists of small objects "
    "(CPython 3.11, benchmarks/bench_json.py); orjson's README benchmarks show it several "
    "times faster — an assumption, profile your payloads"
)
#: Baseline network bandwidth per vCPU of a general-purpose VM, in Mbit/s: AWS m6i.xlarge
#: (4 vCPU) has a 1.5625 Gbit/s baseline ("up to 12.5 Gbit/s" is a burst).
NIC_MBPS_PER_VCPU = 390.625
NIC_SOURCE = (
    "AWS EC2 docs, “Amazon EC2 instance network bandwidth” and the m6i specifications: "
    "m6i.xlarge 1.5625 Gbit/s baseline for 4 vCPU (burst “up to 12.5 Gbit/s”)"
)
#: Warn when the network passes this share of the instance's baseline bandwidth.
NETWORK_SHARE = 0.5
#: Warn when serialisation is more than this share of a request's CPU time.
SERIALISATION_SHARE = 0.25
_SECONDS_PER_DAY = 86_400


def network_mbps_per_instance(req: ResolvedRequirements, instances: int) -> float:
    """Request + response bytes per instance at peak, in Mbit/s (1 KB = 1000 bytes)."""
    return req.scale.peak_rps * req.scale.payload_kb * 8 / 1000 / max(1, instances)


def nic_mbps(cores_per_instance: int) -> float:
    """An instance's baseline network bandwidth, in Mbit/s."""
    return cores_per_instance * NIC_MBPS_PER_VCPU


def serialisation_ms(req: ResolvedRequirements) -> float:
    """CPU ms one request spends decoding and encoding its JSON payload."""
    return req.scale.payload_kb * JSON_MS_PER_KB


def autoscaling_floor(req: ResolvedRequirements, instances: int) -> int:
    """The fewest instances to keep at the average rate: the fleet sized for the average
    (cores, N+1 across zones, and the sockets of the users online then), never more than
    the peak's ``instances``."""
    peak, avg = req.scale.peak_rps, req.scale.avg_rps
    share = min(1.0, avg / peak) if peak > 0 else 1.0
    users = math.ceil(req.scale.concurrent_users * share)
    at_avg = replace(req, scale=replace(req.scale, peak_rps=min(avg, peak), concurrent_users=users))
    return min(instances, size_fleet(at_avg).instances)


def traffic_figures(req: ResolvedRequirements, cap: CapacityPlan) -> list[Figure]:
    """Network and serialisation per request, the autoscaling floor and the daily volume."""
    if req.interface is Interface.BATCH or req.scale.peak_rps <= 0:
        return []
    peak, kb = req.scale.peak_rps, req.scale.payload_kb
    cpu_ms = req.workload.cpu_ms_per_request
    ser = serialisation_ms(req)
    floor = autoscaling_floor(req, cap.instances)
    return [
        Figure(
            "network_mbps_per_instance",
            "Network per instance at peak (request + response)",
            network_mbps_per_instance(req, cap.instances),
            "Mbit/s",
            "λ · payload KB · 8 / 1000 / instances",
            (
                ("λ (peak req/s)", peak),
                ("payload KB (request + response)", kb),
                ("instances", cap.instances),
                ("baseline Mbit/s per instance", nic_mbps(cap.cores_per_instance)),
            ),
            NIC_SOURCE,
        ),
        Figure(
            "serialisation_ms",
            "CPU ms per request spent on JSON (decode + encode)",
            ser,
            "ms",
            "payload KB · ms per KB",
            (
                ("payload KB", kb),
                ("ms per KB", JSON_MS_PER_KB),
                ("CPU ms per request", cpu_ms),
            ),
            JSON_SOURCE,
        ),
        Figure(
            "autoscaling_floor",
            "Instances to keep at the average rate (autoscaling minimum)",
            floor,
            "instances",
            "the fleet sized for avg req/s (cores, N+1, sockets), at most the peak's",
            (
                ("avg req/s", req.scale.avg_rps),
                ("peak req/s", peak),
                ("instances at peak", cap.instances),
            ),
            "the same sizing as the peak (utilisation law; N+1 across zones) at the average rate",
        ),
        Figure(
            "daily_requests",
            "Requests per day",
            req.scale.avg_rps * _SECONDS_PER_DAY,
            "requests",
            "avg req/s · 86,400 s",
            (("avg req/s", req.scale.avg_rps),),
            "the average rate over a day",
        ),
    ]
