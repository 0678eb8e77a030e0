"""A stream job sized as such: topic partitions by Rao's rule, consumers, the lag budget.

Partitions follow J. Rao's rule, ``partitions ≥ max(t / p, t / c)``: the stream's MB/s ``t``
over what one partition takes from a producer ``p`` and what one consumer handles ``c``
(``workload.partition_mb_s`` and ``workload.consumer_mb_s`` when measured, else the stated
figures). Headroom for growth is a figure of its own, never folded into the count.
"""

from __future__ import annotations

import math

from pyt_arch_kit.planning.choices import DataTool
from pyt_arch_kit.planning.data import reads_a_log
from pyt_arch_kit.planning.model import (
    DataPlan,
    Decision,
    Figure,
    Finding,
    PipelinePlan,
    fmt_number,
)
from pyt_arch_kit.planning.throughput import THROUGHPUT_SOURCE, throughput
from pyt_arch_kit.requirements import DataMode
from pyt_arch_kit.resolved import ResolvedRequirements

__all__ = [
    "PARTITION_MB_S",
    "PYTHON_CONSUMER_EVENTS_S",
    "STREAM_HEADROOM",
    "plan_stream",
    "rao_partitions",
]

#: Kafka: what one partition takes from a producer (MB/s), "10s of MB/s" in Rao's post; a
#: Python consumer's events/s. Both stated assumptions: measure them and set
#: workload.partition_mb_s and workload.consumer_mb_s.
PARTITION_MB_S = 10.0
PYTHON_CONSUMER_EVENTS_S = 2000.0
#: Growth the topic is created for: adding partitions later remaps keys to partitions.
STREAM_HEADROOM = 2.0
RAO = (
    "J. Rao, “How to choose the number of topics/partitions in a Kafka cluster?”, Confluent "
    "blog, 2015: partitions ≥ max(t / p, t / c); consumers in a group ≤ partitions"
)
LAG_SHARE = 0.5


def rao_partitions(t_mb_s: float, p_mb_s: float, c_mb_s: float) -> int:
    """Rao's partitions for a target of ``t`` MB/s: ⌈max(t / p, t / c)⌉, at least one.

    Example:
        >>> rao_partitions(100, 10, 20)  # producer-bound
        10
    """
    by_producer = t_mb_s / p_mb_s if p_mb_s > 0 else 0.0
    by_consumer = t_mb_s / c_mb_s if c_mb_s > 0 else 0.0  # 0 KB events: no load
    return max(1, math.ceil(max(by_producer, by_consumer) - 1e-9))


def plan_stream(
    req: ResolvedRequirements, data: DataPlan
) -> tuple[PipelinePlan, list[Figure], list[Decision], list[Finding]]:
    events = req.workload.events_per_s
    kb = req.scale.payload_kb
    mb_s = events * kb / 1000
    fresh = data.freshness_s
    lag_s = fresh * LAG_SHARE
    spark = data.tool is DataTool.SPARK_STREAMING
    rate, source = throughput(req, data.tool)
    figures = [
        Figure(
            "events_per_s",
            "Events per second at peak",
            events,
            "events/s",
            "workload.events_per_s",
            (("events/s", events),),
            "the requirements (or the stated assumption)",
        ),
        Figure(
            "stream_mb_s",
            "Stream throughput at peak",
            mb_s,
            "MB/s",
            "events/s × event KB / 1000",
            (("events/s", events), ("event KB", kb)),
            "unit conversion",
        ),
    ]
    partitions = consumers = 0
    if reads_a_log(req):
        per_consumer_mb = rate if spark else PYTHON_CONSUMER_EVENTS_S * kb / 1000
        consumer_source = (
            source
            if spark
            else f"{fmt_number(PYTHON_CONSUMER_EVENTS_S)} events/s per Python consumer "
            f"process: {THROUGHPUT_SOURCE}"
        )
        if req.workload.mb_per_s_per_core > 0:
            per_consumer_mb = rate
        if req.workload.consumer_mb_s > 0:
            per_consumer_mb, consumer_source = (
                req.workload.consumer_mb_s,
                "measured (workload.consumer_mb_s)",
            )
        p_mb = req.workload.partition_mb_s or PARTITION_MB_S
        partitions = rao_partitions(mb_s, p_mb, per_consumer_mb)
        consumers = partitions
        grown = max(1, math.ceil(partitions * STREAM_HEADROOM - 1e-9))
        figures += [
            Figure(
                "consumer_mb_s",
                "Throughput per consumer",
                per_consumer_mb,
                "MB/s",
                "a core of the stream engine" if spark else "events/s per Python consumer × KB",
                (("engine", data.tool_name),),
                consumer_source,
            ),
            Figure(
                "partition_mb_s",
                "Producer throughput one partition takes",
                p_mb,
                "MB/s",
                "workload.partition_mb_s" if req.workload.partition_mb_s else "stated",
                (("p MB/s", p_mb),),
                "measured (workload.partition_mb_s)"
                if req.workload.partition_mb_s
                else "Rao: “one can produce at 10s of MB/sec on just a single partition”; the "
                "planner takes 10 MB/s (acks=all, replication 3): measure it with "
                "kafka-producer-perf-test and set workload.partition_mb_s",
            ),
            Figure(
                "stream_partitions",
                "Topic partitions",
                partitions,
                "partitions",
                "⌈max(t / p, t / c)⌉",
                (
                    ("t MB/s", mb_s),
                    ("p MB/s per partition", p_mb),
                    ("c MB/s per consumer", per_consumer_mb),
                ),
                RAO,
            ),
            Figure(
                "stream_partitions_for_growth",
                "Topic partitions to create for growth",
                grown,
                "partitions",
                "⌈partitions × growth⌉ (adding partitions later remaps keys)",
                (("partitions", partitions), ("growth", STREAM_HEADROOM)),
                RAO + "; over-partition for the throughput expected in a year or two",
            ),
            Figure(
                "stream_consumers",
                "Consumers in the group" if not spark else "Stream cores (one task a partition)",
                consumers,
                "consumers" if not spark else "cores",
                "= partitions (one consumer a partition; more would sit idle)",
                (("partitions", partitions),),
                RAO,
            ),
        ]
    figures.append(
        Figure(
            "lag_budget_s",
            "Consumer lag budget",
            lag_s,
            "s",
            "freshness s × 0.5 (the other half is for processing and catching up)",
            (("freshness s", fresh), ("share", LAG_SHARE)),
            "freshness is end-to-end: lag plus processing must stay under it",
        )
    )
    semantics = Decision(
        "delivery semantics",
        "at-least-once into an upsert keyed by (customer_id, session_start): effectively once"
        if spark
        else "at-least-once with an idempotent sink",
        "foreachBatch writes at least once (a batch replayed after a crash is written again); "
        "the upsert by natural key makes the replay rewrite the same rows"
        if spark
        else "commit offsets after the sink write (enable.auto.commit=false); a crash replays "
        "the events since the last commit, so the sink upserts by event id",
        "every write must be an idempotent upsert; a sink that appends would count a replayed "
        "batch twice",
        ("at-most-once (commit first)", "Kafka transactions (read-process-write to Kafka)"),
    )
    pipeline = PipelinePlan(
        mode=DataMode.STREAMING,
        events_per_s=events,
        partitions=partitions,
        consumers=consumers,
        lag_budget_s=lag_s,
        semantics=semantics.choice,
    )
    return pipeline, figures, [semantics], []
