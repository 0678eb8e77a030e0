"""What the sections say about a data job sized by its window or its stream.

Every number is read from :class:`~pyt_arch_kit.planning.model.PipelinePlan`, the same values
as the plan's figures, so the sections agree with the capacity table.
"""

from __future__ import annotations

import math

from pyt_arch_kit.planning.choices import DataTool
from pyt_arch_kit.planning.model import PipelinePlan, Plan, fmt_number
from pyt_arch_kit.planning.stream import SESSIONISE_EVENTS_S, STREAM_BUSY
from pyt_arch_kit.requirements import DataMode

__all__ = [
    "pipeline_deployment",
    "pipeline_label",
    "pipeline_observability",
    "pipeline_risks",
    "pipeline_steps",
    "pipeline_summary",
    "spark_batch",
]


def _batch(plan: Plan) -> PipelinePlan | None:
    p = plan.pipeline
    return p if p is not None and p.mode is DataMode.BATCH else None


def spark_batch(plan: Plan) -> PipelinePlan | None:
    """The pipeline of a PySpark batch job with no service beside it, else None: the two
    batch designs (a rebuild into versions, a daily load into a database) say their own."""
    p, data = _batch(plan), plan.data
    if p is None or data is None or data.tool is not DataTool.PYSPARK:
        return None
    return None if "app" in plan.components else p


def _stream(plan: Plan) -> PipelinePlan | None:
    p = plan.pipeline
    return p if p is not None and p.mode is DataMode.STREAMING else None


def _fleet(p: PipelinePlan) -> str:
    if p.distributed:
        return f"{p.executors} executor(s) of {p.executor_cores} cores on {p.nodes} worker node(s)"
    return f"{p.executors} process(es) of {p.executor_cores} core(s) on one machine"


def pipeline_summary(plan: Plan) -> list[str]:
    """The Executive Summary's lines on the data job's size."""
    if (p := _batch(plan)) is not None:
        verdict = "inside" if p.run_time_h <= p.window_h else "**outside**"
        per_node = max(1, p.executors // max(1, p.nodes))
        rerun = p.distributed and p.nodes > math.ceil(
            math.ceil(p.cores / p.executor_cores) / per_node
        )
        return [
            f"- {p.cores} core(s) finish a run inside the {fmt_number(p.window_h)} h window at "
            f"{fmt_number(p.mb_per_s_per_core)} MB/s per core with a safety factor"
            + (
                f", {p.executors * p.executor_cores} so that a failed run is rerun in time"
                + (
                    f" with the data at 24 months ({fmt_number(p.horizon_gb)} GB, "
                    f"{fmt_number(p.horizon_run_h)} h a run)"
                    if p.horizon_gb
                    else ""
                )
                if rerun
                else ""
            )
            + f": {_fleet(p)}, an estimated run time of {fmt_number(p.run_time_h)} h "
            f"({verdict} the window).",
            *(
                [
                    f"- {fmt_number(plan.data.data_gb)} GB a day, "
                    f"{fmt_number(plan.resolved.scale.growth_gb_per_month)} GB a month: the "
                    f"lake keeps {p.lake_days} days of raw events (an S3 lifecycle rule), as far "
                    "back as a rerun or backfill reaches."
                ]
                if p.lake_days and plan.data is not None
                else []
            ),
            f"- {fmt_number(p.input_partitions)} input partitions of ≤ 128 MB, "
            + (f"{fmt_number(p.output_files)} output files of ~256 MB, " if p.output_files else "")
            + f"{fmt_number(p.shuffle_gb)} GB shuffled (workload.shuffle_share)"
            + (
                f", {fmt_number(p.shuffle_gb / p.nodes)} GB on each node's local NVMe."
                if p.distributed and p.nodes
                else "."
            ),
        ]
    if (p := _stream(plan)) is not None:
        lines = [f"- {fmt_number(p.events_per_s)} events/s at peak."]
        if p.sink_rows_per_s:  # a Spark stream: its cores, one partition count, its budget
            busy = STREAM_BUSY * p.trigger_s
            fresh = plan.data.freshness_s if plan.data is not None else 2 * p.trigger_s
            lines += [
                f"- {p.consumers} cores at {fmt_number(SESSIONISE_EVENTS_S)} events/s each (the "
                f"design's sessionise, measured), ≤ {STREAM_BUSY * 100:.0f} % busy at peak: "
                f"{p.nodes} nodes of {p.executor_cores} vCPU and a driver.",
                f"- {p.partitions} partitions, one count for the topic and the state store "
                "(`spark.sql.shuffle.partitions`, fixed by the checkpoint): twice the cores, "
                "for growth.",
                f"- Freshness {fmt_number(fresh)} s = the wait for the next "
                f"{fmt_number(p.trigger_s)} s trigger + a batch of ≤ {fmt_number(p.trigger_s)} "
                f"s: sessionise ≤ {fmt_number(busy)} s at peak, leaving "
                f"{fmt_number(p.trigger_s - busy)} s for the upsert (≤ "
                f"{fmt_number(p.sink_rows_per_trigger)} rows) and the state commit.",
            ]
        elif p.partitions:
            lines.append(
                f"- {p.partitions} topic partitions and {p.consumers} consumer(s) in the group "
                "(Rao: max(t / p, t / c); create the topic with twice that for growth)."
            )
        lines.append(
            f"- Consumer lag budget {fmt_number(p.lag_budget_s)} s (half the freshness); "
            f"{p.semantics}."
        )
        return lines
    return []


def pipeline_steps(plan: Plan) -> list[str]:
    """The diagram's numbered steps for a batch job: what one run does (empty otherwise)."""
    if (p := _batch(plan)) is None or plan.data is None or "app" in plan.components:
        return []
    tool, gb = plan.data.tool, fmt_number(plan.data.data_gb)
    start = f"At {_start_hour(plan):02d}:00 UTC the CronJob starts a run"
    if p.versions_kept:
        return [
            f"{start}: {tool} reads every order ({gb} GB), keeps each one's latest state and "
            "writes tonight's version of the facts.",
            f"`commit()` points the view at it; `prune()` keeps {p.versions_kept} versions.",
        ]
    if plan.database is not None:
        return [
            f"{start}: {tool} reads the day's `dt=` directory ({gb} GB) and writes its metrics "
            "per customer to a fresh path.",
            f"The executors COPY them into staging; the day's partition is swapped into "
            f"{plan.database.engine} in one transaction.",
        ]
    return [f"{start}: {tool} reads its input ({gb} GB) and writes Parquet to object storage."]


def _start_hour(plan: Plan) -> int:
    return 2 if plan.database is not None else 0  # a daily load waits 2 h for late events


def pipeline_label(plan: Plan) -> str:
    """The data job's size for its diagram node (empty when there is none)."""
    if (p := _batch(plan)) is not None:
        fleet = (
            f"{p.executors} × {p.executor_cores}-core executor(s)"
            if p.distributed
            else f"one machine, {p.cores} core(s)"
        )
        return f"<br/>{fleet}, ≈ {fmt_number(p.run_time_h)} h"
    if (p := _stream(plan)) is not None and p.partitions:
        return f"<br/>{p.consumers} consumer(s), {p.partitions} partitions"
    return ""


def pipeline_deployment(plan: Plan) -> list[str]:
    """Deployment lines for a job: what starts a batch and when it must be done, or how a
    stream job keeps running."""
    if _stream(plan) is not None:
        return [
            "- A long-running job (a Kubernetes Deployment, or a Spark driver under the "
            "cluster manager's restart policy) with its own service account; on a crash it "
            "restarts from its checkpoint (offsets and state).",
        ]
    if (p := _batch(plan)) is None:
        return []
    start = _start_hour(plan)
    due = (start + round(p.window_h)) % 24
    longest = max(p.run_time_h, p.horizon_run_h)
    if 2 * longest <= p.window_h:
        retry = "a failed run is retried once (`backoffLimit: 1`): two runs fit the window" + (
            f" (2 × {fmt_number(p.horizon_run_h)} h at 24 months)" if p.horizon_gb else ""
        )
    else:
        retry = (
            f"a second run does not fit (2 × {fmt_number(longest)} h > "
            f"{fmt_number(p.window_h)} h): `backoffLimit: 0`, and Spark retries a failed task "
            "(`spark.task.maxFailures`), not the run; "
            + (
                "a failed load is rerun alone (minutes), a failed day after the next one"
                if plan.database is not None
                else "a failed run leaves the previous facts served until the next night"
            )
        )
    platform = (
        [
            "- Spark on Kubernetes: the CronJob's pod is the driver (`spark-submit --master "
            "k8s://… --deploy-mode client`, so a failed run fails the pod); the executors are "
            "pods on an i4i.4xlarge node group that the cluster autoscaler grows from zero for "
            "the run and empties after it. Tables and the view live in the AWS Glue Data "
            "Catalog (the image's Glue client for the Hive metastore)."
        ]
        if p.versions_kept
        else []
    )
    return [
        f'- A Kubernetes CronJob, `schedule: "0 {start} * * *"` with '
        '`timeZone: "Etc/UTC"` (the data\'s days are UTC days) and '
        f"`concurrencyPolicy: Forbid`; {retry}.",
        f"- Page at {due:02d}:00 UTC ({fmt_number(p.window_h)} h after the start) when the run "
        f"has not finished, and at once when it fails; the estimate is "
        f"{fmt_number(p.run_time_h)} h.",
        *platform,
    ]


def pipeline_observability(plan: Plan) -> list[str]:
    """The job's own metrics: run time against the window, skew, bytes; or consumer lag."""
    if (p := _batch(plan)) is not None:
        rebuild = p.versions_kept > 0
        return [
            "- Per run: start, end, rows and bytes read and written, and the run time; chart "
            f"the run-time trend against the {fmt_number(p.window_h)} h window and, when it "
            "passes 80 % of it, add executors before it misses.",
            "- Partition skew: the longest task of each stage against its median (the Spark "
            "UI's stage summary); above 5× a few keys hold the run back — salt or split them.",
            f"- Files written per run against the {fmt_number(p.output_files)} planned "
            "(`FILES`): many more means the range partitioning was lost."
            if rebuild and p.output_files
            else "- Rows loaded per day against the same weekday last week: a drop of a "
            "third or more is a broken source, not a quiet day."
            if plan.database is not None
            else "- Output: file count and sizes per partition (target 128–512 MB files; "
            "many small files slow every reader).",
        ]
    if (p := _stream(plan)) is not None:
        spark = plan.data is not None and plan.data.tool is DataTool.SPARK_STREAMING
        lag = (
            "- Health and lag from each StreamingQueryProgress (a StreamingQueryListener): "
            "now − the batch's newest event time, batch duration against the trigger, and the "
            "Kafka source's maxOffsetsBehindLatest; Spark commits no offsets to a consumer "
            "group, so group-lag tools show nothing."
            if spark
            else "- Consumer lag, in seconds behind the newest event, and rebalances of the "
            "consumer group."
        )
        return [
            lag,
            f"- Page when lag passes the {fmt_number(p.lag_budget_s)} s budget for "
            f"{fmt_number(2 * p.lag_budget_s)} s (the freshness is then spent), or when no "
            "batch completes for that long.",
        ]
    return []


def pipeline_risks(plan: Plan) -> list[tuple[str, str]]:
    """Risks a data job's size brings (a batch's run time, skew and files: Observability)."""
    if (p := spark_batch(plan)) is not None and p.versions_kept:
        return [
            (
                "A bad night's facts (a source bug, a changed schema)",
                "before `commit()`, compare the row count and refunded total with last "
                "night's; to roll back, `commit()` last night's version (`prune()` keeps it)",
            ),
            (
                "A node lost mid-run",
                "its shuffle files go with it: Spark reruns the lost stages; a failed run is "
                "retried (`backoffLimit: 1`) inside the window",
            ),
        ]
    if (p := spark_batch(plan)) is not None:
        return [
            (
                "Events arrive after their day's run",
                "rerun the day: `run()` and `load()` swap its partition whole, the rows a "
                "first run would give",
            ),
            (
                "A long report holds the day's partition",
                "the swap waits ≤ 5 s for its lock (`lock_timeout`), so new readers never "
                "queue behind it, and tries again a minute later; the old day stays whole",
            ),
        ]
    if _batch(plan) is not None:
        return []
    if (p := _stream(plan)) is not None:
        return [
            (
                "Consumer lag outgrows the freshness",
                f"page past the {fmt_number(p.lag_budget_s)} s lag budget; add "
                + (
                    "executor cores"
                    if plan.data is not None and plan.data.tool is DataTool.SPARK_STREAMING
                    else "consumers"
                )
                + " up to the partition count, then partitions (keys move: plan it)",
            ),
            (
                "Replayed batches after a crash",
                f"{p.semantics}",
            ),
        ] + (
            [
                (
                    "The per-core rate is the state function's alone",
                    "time a trigger at peak on a copy of the topic (StreamingQueryProgress: "
                    "batch duration, processedRowsPerSecond) and set workload.consumer_mb_s; "
                    "a call per customer dominates, so batching customers cuts cores",
                ),
                (
                    "The upsert outgrows one connection",
                    "watch addBatch in durationMs against the "
                    f"{fmt_number((1 - STREAM_BUSY) * p.trigger_s)} s left for it; split the "
                    "batch by hash of session_id over a few connections",
                ),
            ]
            if p.sink_rows_per_s
            else []
        )
    return []
