"""What the sections say about a data job sized by its window or its stream.

Every number is read from :class:`~pyt_arch_kit.planning.model.PipelinePlan`, the same values
as the plan's figures, so the sections agree with the capacity table.
"""

from __future__ import annotations

from pyt_arch_kit.planning.choices import DataTool
from pyt_arch_kit.planning.model import PipelinePlan, Plan, fmt_number
from pyt_arch_kit.requirements import DataMode

__all__ = [
    "pipeline_deployment",
    "pipeline_label",
    "pipeline_observability",
    "pipeline_risks",
    "pipeline_summary",
]


def _batch(plan: Plan) -> PipelinePlan | None:
    p = plan.pipeline
    return p if p is not None and p.mode is DataMode.BATCH else None


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
        return [
            f"- {p.cores} core(s) finish a run inside the {fmt_number(p.window_h)} h window at "
            f"{fmt_number(p.mb_per_s_per_core)} MB/s per core with a safety factor: "
            f"{_fleet(p)}, an estimated run time of {fmt_number(p.run_time_h)} h ({verdict} "
            "the window).",
            f"- {fmt_number(p.input_partitions)} input partitions of ≤ 128 MB, "
            f"{fmt_number(p.output_files)} output files of ~256 MB, "
            f"{fmt_number(p.shuffle_gb)} GB shuffled (workload.shuffle_share).",
        ]
    if (p := _stream(plan)) is not None:
        lines = [f"- {fmt_number(p.events_per_s)} events/s at peak."]
        if p.partitions:
            spark = plan.data is not None and plan.data.tool is DataTool.SPARK_STREAMING
            lines.append(
                f"- {p.partitions} topic partitions and "
                + (
                    f"{p.consumers} Spark task(s), one a partition "
                    if spark
                    else f"{p.consumers} consumer(s) in the group "
                )
                + "(Rao: max(t / p, t / c); create the topic with twice that for growth)."
            )
        lines.append(
            f"- Consumer lag budget {fmt_number(p.lag_budget_s)} s (half the freshness); "
            f"{p.semantics}."
        )
        return lines
    return []


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
    start = 2 if plan.database is not None else 0  # a daily load waits 2 h for late events
    due = (start + round(p.window_h)) % 24
    if 2 * p.run_time_h <= p.window_h:
        retry = "a failed run is retried once (`backoffLimit: 1`): two runs fit the window"
    else:
        retry = (
            f"a second run does not fit (2 × {fmt_number(p.run_time_h)} h > "
            f"{fmt_number(p.window_h)} h): `backoffLimit: 0`, and Spark retries a failed task "
            "(`spark.task.maxFailures`), not the run; "
            + (
                "a failed load is rerun alone (minutes), a failed day after the next one"
                if plan.database is not None
                else "a failed run leaves the previous facts served until the next night"
            )
        )
    return [
        f'- A Kubernetes CronJob, `schedule: "0 {start} * * *"` with '
        '`timeZone: "Etc/UTC"` (the data\'s days are UTC days) and '
        f"`concurrencyPolicy: Forbid`; {retry}.",
        f"- Page at {due:02d}:00 UTC ({fmt_number(p.window_h)} h after the start) when the run "
        f"has not finished, and at once when it fails; the estimate is "
        f"{fmt_number(p.run_time_h)} h.",
    ]


def pipeline_observability(plan: Plan) -> list[str]:
    """The job's own metrics: run time against the window, skew, bytes; or consumer lag."""
    if (p := _batch(plan)) is not None:
        return [
            "- Per run: start, end, rows and bytes read and written, and the run time; chart "
            f"the run-time trend against the {fmt_number(p.window_h)} h window and raise a "
            "ticket when it passes 80 % of it, before it misses.",
            "- Partition skew: the longest task of each stage against its median (the Spark "
            "UI's stage summary); above 5× a few keys hold the run back — salt or split them.",
            "- Output: file count and sizes per partition (target 128–512 MB files; many small "
            "files slow every reader).",
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
    """Risks a data job's size brings."""
    if (p := _batch(plan)) is not None:
        return [
            (
                "The data grows past the window",
                f"the run takes ≈ {fmt_number(p.run_time_h)} h of a "
                f"{fmt_number(p.window_h)} h window; watch the run-time trend, and add "
                "executors (cores scale with data per run) before it passes 80 %",
            ),
            (
                "Skewed keys or small files slow a run",
                "watch task-time skew per stage (salt hot keys, adaptive skew join) and the "
                "output file count (repartition to files of 128–512 MB before writing)",
            ),
        ]
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
        ]
    return []
