"""Batch and streaming jobs sized as such: cores for the window, executors, files, partitions.

A batch job is sized by the data one run reads and the hours it must finish in; a streaming
job by its event rate and the freshness it must keep. Every number is a :class:`Figure` with its
formula, inputs and source; the data tool itself comes from :func:`~.data.plan_data`.
"""

from __future__ import annotations

import math

from pyt_arch_kit.planning._names import named
from pyt_arch_kit.planning.choices import DataTool, FindingKind
from pyt_arch_kit.planning.model import (
    DataPlan,
    Decision,
    Figure,
    Finding,
    PipelinePlan,
    fmt_number,
)
from pyt_arch_kit.planning.stream import plan_stream
from pyt_arch_kit.planning.throughput import MB_PER_S_PER_CORE, throughput
from pyt_arch_kit.requirements import DatabaseKind, DataMode
from pyt_arch_kit.resolved import ResolvedRequirements

__all__ = [
    "EXECUTOR_CORES",
    "MB_PER_S_PER_CORE",
    "SAFETY_FACTOR",
    "batch_cores",
    "plan_pipeline",
]

#: Size the fleet to finish in 1 / SAFETY_FACTOR of the window: stragglers, skew and one retry.
SAFETY_FACTOR = 1.5
#: Cores per Spark executor (and per Dask worker): beyond ~5 concurrent tasks an executor's
#: HDFS/object-store client throughput and GC suffer.
EXECUTOR_CORES = 5
RYZA = (
    "S. Ryza, “How-to: Tune Your Apache Spark Jobs (Part 2)”, Cloudera Engineering Blog, 2015: "
    "5 cores per executor, one core and 1 GB per node left to the OS and node daemons"
)
#: A worker node's cores when the requirements' instance is smaller, and its RAM per core (GB):
#: a memory-optimised node (e.g. 16 vCPU, 128 GB).
NODE_CORES = 16
RAM_PER_CORE_GB = 8.0
OVERHEAD = 0.10
SPARK_MEMORY = (
    "Spark docs, “Configuration”: spark.executor.memoryOverhead = max(384 MiB, "
    "0.10 × spark.executor.memory)"
)
#: Input split and target output file sizes (MB).
SPLIT_MB = 128.0
FILE_MB = 256.0
SPARK_FILES = (
    "Spark docs, “Performance Tuning”: spark.sql.files.maxPartitionBytes = 128 MB; Apache "
    "Parquet docs, “Configurations”: large row groups (512 MB–1 GB) and files of 128 MB–1 GB; "
    "aim for 128–512 MB files"
)
SHUFFLE_PARTITION_MB = 128.0
SPARK_AQE = (
    "Spark docs, “Performance Tuning”, adaptive query execution: shuffle partitions coalesced "
    "towards spark.sql.adaptive.advisoryPartitionSizeInBytes"
)
_ORCHESTRATORS = {"airflow", "dagster", "prefect"}
_DISTRIBUTED = {DataTool.PYSPARK, DataTool.DASK, DataTool.SPARK_STREAMING}


def batch_cores(data_gb: float, window_h: float, mb_per_s_per_core: float) -> int:
    """Cores that finish ``data_gb`` inside ``window_h`` hours with the safety factor.

    Example:
        >>> batch_cores(3000, 6, 25)
        9
    """
    if data_gb <= 0:
        return 1
    need = data_gb * 1000 * SAFETY_FACTOR / (mb_per_s_per_core * window_h * 3600)
    return max(1, math.ceil(need - 1e-9))


def plan_pipeline(
    req: ResolvedRequirements, data: DataPlan | None
) -> tuple[PipelinePlan | None, list[Figure], list[Decision], list[Finding]]:
    """Size the data job: a batch by its window, a stream by its rate and freshness."""
    if data is None:
        return None, [], [], []
    if data.mode is DataMode.STREAMING:
        return plan_stream(req, data)
    return _batch(req, data)


def _batch(
    req: ResolvedRequirements, data: DataPlan
) -> tuple[PipelinePlan, list[Figure], list[Decision], list[Finding]]:
    gb, window = data.data_gb, req.workload.window_h
    share = req.workload.shuffle_share
    rate, source = throughput(req, data.tool)
    cores = batch_cores(gb, window, rate)
    distributed = data.tool in _DISTRIBUTED
    node_cores = max(req.infrastructure.cores_per_instance, NODE_CORES)
    if distributed:
        per_executor = EXECUTOR_CORES
        per_node = max(1, (node_cores - 1) // EXECUTOR_CORES)
    else:  # one machine: pandas on one core, polars on all of them
        per_executor = 1 if data.tool is DataTool.PANDAS else cores
        per_node = 1
    needed = math.ceil(cores / per_executor)
    nodes = math.ceil(needed / per_node)
    executors = nodes * per_node if distributed else needed  # every executor the nodes hold
    fleet = executors * per_executor
    run_h = gb * 1000 / (rate * fleet) / 3600
    node_ram_gb = req.infrastructure.node_ram_gb or node_cores * RAM_PER_CORE_GB
    executor_gb = (node_ram_gb - 1) / per_node / (1 + OVERHEAD)
    splits = max(1, math.ceil(gb * 1000 / SPLIT_MB))
    files = max(1, math.ceil(gb * 1000 / FILE_MB))
    shuffle_gb = gb * share
    shuffle_parts = max(1, math.ceil(shuffle_gb * 1000 / SHUFFLE_PARTITION_MB))
    figures = [
        Figure(
            "batch_data_gb",
            "Data per run",
            gb,
            "GB",
            "workload.batch_data_gb",
            (("data per run GB", gb),),
            "the requirements (or the stated assumption)",
        ),
        Figure(
            "mb_per_s_per_core",
            "Throughput per core",
            rate,
            "MB/s",
            f"stated for {data.tool_name} and the shuffle share, or measured",
            (("engine", data.tool_name), ("shuffle share", share)),
            source,
        ),
        Figure(
            "batch_cores",
            "Cores to finish inside the window",
            cores,
            "cores",
            "⌈data MB × safety / (MB/s per core × window s)⌉",
            (
                ("data MB", gb * 1000),
                ("safety", SAFETY_FACTOR),
                ("MB/s per core", rate),
                ("window h", window),
            ),
            "batch sizing: work / (rate × time); safety factor for stragglers, skew and one "
            "retry (the same headroom as a 0.66 utilisation target)",
        ),
        Figure(
            "executors",
            "Executors" if distributed else "Worker processes",
            executors,
            "executors" if distributed else "processes",
            "nodes × ⌊(node cores − 1) / cores per executor⌋ (the nodes paid for, filled)"
            if distributed
            else "⌈cores / cores per executor⌉",
            (("nodes", nodes), ("per node", per_node))
            if distributed
            else (("cores", cores), ("cores per executor", per_executor)),
            RYZA
            if distributed
            else "one machine: a single process (pandas) or one process using every core (polars)",
        ),
        Figure(
            "nodes",
            "Worker nodes",
            nodes,
            "nodes",
            "⌈⌈cores / cores per executor⌉ / ⌊(node cores − 1) / cores per executor⌋⌉"
            if distributed
            else "one machine",
            (("cores", cores), ("node cores", node_cores), ("per node", per_node)),
            RYZA,
        ),
        Figure(
            "run_time_h",
            "Estimated run time",
            run_h,
            "h",
            "data MB / (MB/s per core × cores on the fleet) / 3600",
            (("data MB", gb * 1000), ("MB/s per core", rate), ("fleet cores", fleet)),
            "work / rate; compare it with the window (workload.window_h)",
        ),
        Figure(
            "window_h",
            "Batch window",
            window,
            "h",
            "workload.window_h",
            (("window h", window),),
            "the requirements (or the stated assumption)",
        ),
        Figure(
            "executor_memory_gb",
            "Memory per executor (heap)",
            executor_gb,
            "GB",
            "(node RAM − 1 GB) / executors per node / (1 + overhead); node RAM = "
            + (
                "infrastructure.node_ram_gb"
                if req.infrastructure.node_ram_gb
                else f"node cores × {RAM_PER_CORE_GB:g} GB (a memory-optimised node)"
            ),
            (
                ("node cores", node_cores),
                ("node RAM GB", node_ram_gb),
                ("executors per node", per_node),
                ("overhead", OVERHEAD),
            ),
            f"{SPARK_MEMORY}; {RYZA}",
        ),
        Figure(
            "input_partitions",
            "Input partitions",
            splits,
            "partitions",
            "⌈data MB / 128 MB⌉",
            (("data MB", gb * 1000), ("split MB", SPLIT_MB)),
            SPARK_FILES,
        ),
        Figure(
            "output_files",
            "Output files per run",
            files,
            "files",
            "⌈output MB / 256 MB⌉, output assumed as large as the input",
            (("output MB", gb * 1000), ("file MB", FILE_MB)),
            SPARK_FILES,
        ),
        Figure(
            "shuffle_gb",
            "Shuffle volume per run",
            shuffle_gb,
            "GB",
            "data GB × share shuffled (workload.shuffle_share)",
            (("data GB", gb), ("share", share)),
            SPARK_AQE,
        ),
        Figure(
            "shuffle_partitions",
            "Shuffle partitions",
            shuffle_parts,
            "partitions",
            "⌈shuffle MB / 128 MB⌉",
            (("shuffle MB", shuffle_gb * 1000), ("partition MB", SHUFFLE_PARTITION_MB)),
            SPARK_AQE,
        ),
    ]
    decisions = [_reruns(req, data), _scheduler(req)]
    findings = _orchestrator_pushback(req)
    if not distributed and cores > node_cores:
        findings.append(
            Finding(
                FindingKind.WARNING,
                f"{data.tool_name} would need more cores than one machine has",
                f"{cores} cores finish {fmt_number(gb)} GB in {fmt_number(window)} h at "
                f"{fmt_number(rate)} MB/s per core; one machine of {node_cores} cores does not.",
                "a distributed engine (Dask or PySpark), or a wider window",
            )
        )
    if run_h > window:
        findings.append(
            Finding(
                FindingKind.WARNING,
                "The run does not fit its window",
                f"{fmt_number(gb)} GB at {fmt_number(rate)} MB/s per core on {fleet} core(s) "
                f"takes ≈ {fmt_number(run_h)} h, more than the {fmt_number(window)} h window.",
                "move to a distributed engine, cut the data read (partition pruning, columns), "
                "or widen the window",
            )
        )
    pipeline = PipelinePlan(
        mode=DataMode.BATCH,
        window_h=window,
        mb_per_s_per_core=rate,
        cores=cores,
        executors=executors,
        executor_cores=per_executor,
        nodes=nodes,
        run_time_h=run_h,
        executor_memory_gb=executor_gb,
        input_partitions=splits,
        output_files=files,
        shuffle_gb=shuffle_gb,
        scheduler=decisions[1].choice,
        distributed=distributed,
    )
    return pipeline, figures, decisions, findings


def _reruns(req: ResolvedRequirements, data: DataPlan) -> Decision:
    if data.tool is DataTool.PYSPARK and req.infrastructure.database is DatabaseKind.NONE:
        return Decision(
            "reruns and backfills",
            "rebuild whole into a new version, then swap the table to it",
            "a refund or status change to an order of any past day is in the next run's "
            "facts; the swap is one catalog update (CREATE OR REPLACE VIEW), so readers "
            "see one night's facts or the next, and a failed run leaves the last one in place",
            "every run rewrites all the data; an incremental run with a lookback reads less "
            "but misses changes older than the lookback",
            ("incremental by day with a lookback", "MERGE into a table format (Delta, Iceberg)"),
        )
    if data.tool in (DataTool.PYSPARK, DataTool.SPARK_STREAMING):
        how = (
            "each run overwrites only the date partitions it computes "
            "(spark.sql.sources.partitionOverwriteMode=dynamic)"
        )
    else:
        how = (
            "each run writes its date partition to a temporary path and renames it over the old one"
        )
    return Decision(
        "reruns and backfills",
        "idempotent runs: overwrite partitions, never append",
        f"a failed or repeated run must leave the same output as one clean run; {how}, and a "
        "backfill is the same job run once per past date",
        "overwriting a partition rewrites all of it; appending would be cheaper and would "
        "duplicate rows on every retry",
        ("append with de-duplication downstream", "MERGE into a table format (Delta, Iceberg)"),
    )


def _scheduler(req: ResolvedRequirements) -> Decision:
    asked = named(req.proposed.technologies) & _ORCHESTRATORS
    return Decision(
        "scheduler",
        "cron / Kubernetes CronJob",
        "one job on a fixed schedule needs a trigger, a retry and an alert, which a CronJob "
        "gives (concurrencyPolicy: Forbid so runs never overlap)"
        + (
            f"; {', '.join(n.capitalize() for n in sorted(asked))} pays off once jobs "
            "depend on each other"
            if asked
            else ""
        ),
        "no dependency graph, backfill UI or lineage; move to Airflow, Dagster or Prefect when "
        "several jobs depend on each other",
        ("Airflow", "Dagster", "Prefect"),
    )


def _orchestrator_pushback(req: ResolvedRequirements) -> list[Finding]:
    asked = named(req.proposed.technologies) & _ORCHESTRATORS
    if not asked or req.proposed.service_count > 1:
        return []
    name = sorted(asked)[0].capitalize()
    return [
        Finding(
            FindingKind.PUSH_BACK,
            f"{name} for one scheduled job",
            f"The proposal runs one job on a schedule; {name} adds a scheduler, a metadata "
            "database and workers to run and upgrade.",
            "a Kubernetes CronJob (or cron) with a retry and a 'not finished by' alert; adopt "
            f"{name} when several jobs depend on each other",
        )
    ]
