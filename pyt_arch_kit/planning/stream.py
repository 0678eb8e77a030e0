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
from pyt_arch_kit.requirements import DatabaseKind, DataMode
from pyt_arch_kit.resolved import ResolvedRequirements

__all__ = [
    "PARTITION_MB_S",
    "PYTHON_CONSUMER_EVENTS_S",
    "SESSIONISE_EVENTS_S",
    "STREAM_BUSY",
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
#: A Spark stream's cores run at most this busy at peak: a batch then takes ≤ 66 % of the
#: trigger, and the rest is the state commit's and the upsert's (the freshness budget).
STREAM_BUSY = 0.66
#: A Spark stream's events/s per core: the design's own state function (``sessionise``, called
#: by applyInPandasWithState once per customer per trigger), measured at 545 events/s on one
#: core with one event per customer per trigger, rounded down; Spark's Arrow hand-off comes
#: on top. Measure a trigger and set workload.consumer_mb_s.
SESSIONISE_EVENTS_S = 500.0
SESSIONISE_SOURCE = (
    "measured: the design's sessionise on one core, 545 events/s at one event per customer "
    "per trigger (a dict and a DataFrame per call dominate; benchmarks/bench_sessionise.py, "
    "2026-12-05), rounded down; Spark's Arrow hand-off comes on top: time a trigger "
    "(StreamingQueryProgress) and set workload.consumer_mb_s"
)
#: The session rules of the design's code: the gap that ends a session, the watermark.
GAP_S = 30 * 60
LATE_S = 2 * 60
#: A session's state (id, times, counts, its pages), stated; and a worker node for a stream:
#: general-purpose, 16 vCPU at 4 GB each, one core left to the OS; a driver of 4 vCPU.
STATE_BYTES = 200
#: The sessions table's retention: closed sessions older than this are purged daily (the
#: design's purge()); a session's events and the day's average against its peak, both stated,
#: give the rows a day that storage is priced on.
SESSIONS_KEPT_DAYS = 30
EVENTS_A_SESSION = 20
PEAK_TO_AVERAGE = 4
STREAM_NODE_CORES = 16
STREAM_GB_PER_CORE = 4.0
DRIVER_CORES = 4


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
    rate, _ = throughput(req, data.tool)
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
    partitions = consumers = nodes = 0
    trigger_s = max(1.0, fresh // 2) if spark else 0.0
    state_gb = rows_per_trigger = sessions_gb = 0.0
    if reads_a_log(req):
        per_event = SESSIONISE_EVENTS_S if spark else PYTHON_CONSUMER_EVENTS_S
        per_consumer_mb = per_event * kb / 1000
        consumer_source = (
            SESSIONISE_SOURCE
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
                "events/s per core × event KB / 1000"
                if spark
                else "events/s per Python consumer × KB",
                (("events/s per core", per_event), ("event KB", kb))
                if spark
                else (("engine", data.tool_name),),
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
        ]
        if spark:  # cores ≤ 66 % busy; one partition count for the topic and the state store
            consumers = rao_partitions(mb_s, p_mb, per_consumer_mb * STREAM_BUSY)
            partitions = max(1, math.ceil(consumers * STREAM_HEADROOM - 1e-9))
            figures += [
                Figure(
                    "stream_consumers",
                    "Stream cores (≤ 66 % busy at peak)",
                    consumers,
                    "cores",
                    "⌈max(t / p, t / (c × busy))⌉",
                    (
                        ("t MB/s", mb_s),
                        ("p MB/s per partition", p_mb),
                        ("c MB/s per core", per_consumer_mb),
                        ("busy", STREAM_BUSY),
                    ),
                    f"{RAO}; at most 66 % busy, so a batch takes ≤ 66 % of the trigger",
                ),
                Figure(
                    "stream_partitions",
                    "Topic and state partitions",
                    partitions,
                    "partitions",
                    "⌈stream cores × growth⌉: the topic's partitions and "
                    "spark.sql.shuffle.partitions (the state store's, fixed by the checkpoint)",
                    (("stream cores", consumers), ("growth", STREAM_HEADROOM)),
                    f"{RAO}; over-partition for the throughput expected in a year or two: "
                    "adding partitions later remaps keys, and a checkpoint keeps its state "
                    "partitions",
                ),
            ]
        else:
            figures += [
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
                    "Consumers in the group",
                    consumers,
                    "consumers",
                    "= partitions (one consumer a partition; more would sit idle)",
                    (("partitions", partitions),),
                    RAO,
                ),
            ]
    if spark and consumers:
        nodes = math.ceil(consumers / (STREAM_NODE_CORES - 1))
        state_gb = events * (GAP_S + LATE_S) * STATE_BYTES / 1e9
        rows_per_trigger = events * trigger_s
        sessions_gb = (
            events / PEAK_TO_AVERAGE * 86_400 / EVENTS_A_SESSION * STATE_BYTES / 1e9
        ) * SESSIONS_KEPT_DAYS
        figures += [
            Figure(
                "stream_nodes",
                "Worker nodes",
                nodes,
                "nodes",
                "⌈stream cores / (node cores − 1)⌉, plus a driver of 4 vCPU",
                (("stream cores", consumers), ("node cores", STREAM_NODE_CORES)),
                "one core a node left to the OS and daemons (Ryza, Cloudera, 2015); "
                f"general-purpose nodes, {STREAM_GB_PER_CORE:g} GB per vCPU: a Python worker and "
                "its share of the executor's JVM per core",
            ),
            Figure(
                "stream_state_gb",
                "Session state, at most",
                state_gb,
                "GB",
                "events/s × (gap + watermark s) × bytes a session (each event its own customer)",
                (
                    ("events/s", events),
                    ("gap + watermark s", GAP_S + LATE_S),
                    ("bytes a session", STATE_BYTES),
                ),
                "stated; RocksDB keeps it on the executors' local disks and in the checkpoint "
                "(Spark docs, Structured Streaming: RocksDB state store)",
            ),
            Figure(
                "sink_rows_per_trigger",
                "Rows upserted a trigger, at most",
                rows_per_trigger,
                "rows",
                "events/s × trigger s (a row per customer active in the trigger)",
                (("events/s", events), ("trigger s", trigger_s)),
                "the design's upsert: COPY into a temporary table, one INSERT … ON CONFLICT, "
                "one connection from the driver, one transaction a trigger",
            ),
            Figure(
                "stream_compute_s",
                "Batch compute at peak (sessionise)",
                STREAM_BUSY * trigger_s,
                "s",
                "busy × trigger s",
                (("busy", STREAM_BUSY), ("trigger s", trigger_s)),
                "freshness = the wait for the next trigger (≤ trigger) + the batch's "
                "durationMs (≤ trigger)",
            ),
            Figure(
                "stream_commit_s",
                "Left for the upsert and the state commit",
                (1 - STREAM_BUSY) * trigger_s,
                "s",
                "trigger s − batch compute s",
                (("trigger s", trigger_s), ("compute s", STREAM_BUSY * trigger_s)),
                "StreamingQueryProgress durationMs: addBatch (the upsert) and commitOffsets; "
                "RocksDB changelog checkpointing uploads only the changes (Spark 3.4+)",
            ),
            Figure(
                "sessions_gb",
                "Sessions table, at most",
                sessions_gb,
                "GB",
                "events/s ÷ peak-to-average × 86,400 ÷ events a session × bytes a session × "
                "days kept",
                (
                    ("events/s", events),
                    ("peak-to-average", PEAK_TO_AVERAGE),
                    ("events a session", EVENTS_A_SESSION),
                    ("bytes a session", STATE_BYTES),
                    ("days kept", SESSIONS_KEPT_DAYS),
                ),
                "stated (measure sessions a day from the table); purge() deletes closed "
                f"sessions after {SESSIONS_KEPT_DAYS} days",
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
        "at-least-once into an upsert by session id: effectively once"
        if spark
        else "at-least-once with an idempotent sink",
        "foreachBatch writes at least once (a batch replayed after a crash is written again); "
        "the upsert by an id fixed when the session opens makes the replay rewrite the same "
        "rows"
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
        nodes=nodes,
        executor_cores=STREAM_NODE_CORES if nodes else 0,
        state_gb=state_gb,
        sink_rows_per_trigger=rows_per_trigger,
        sink_rows_per_s=events if rows_per_trigger else 0.0,
        trigger_s=trigger_s,
        sessions_gb=sessions_gb,
    )
    decisions = [semantics]
    own = req.infrastructure.database
    if spark and not own.postgres:  # the sessions table is PostgreSQL: the code's COPY, upsert
        decisions.insert(
            0,
            Decision(
                "sessions table",
                "PostgreSQL",
                (
                    "the requirements name no database"
                    if own is DatabaseKind.NONE
                    else "the upsert is PostgreSQL's (COPY, ON CONFLICT)"
                )
                + ", and readers need the sessions as they "
                "stand: the job upserts them each trigger (at most "
                f"{fmt_number(rows_per_trigger)} rows, {fmt_number(events)} rows/s at peak) "
                "over one connection",
                "one more database to run; all writes go through one primary",
                ("Cassandra or DynamoDB keyed by session id", "Parquet files (minutes behind)"),
            ),
        )
    return pipeline, figures, decisions, []
