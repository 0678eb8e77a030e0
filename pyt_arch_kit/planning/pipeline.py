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
    "LAKE_DAYS",
    "MB_PER_S_PER_CORE",
    "METRIC_DAYS",
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
#: Local NVMe of a worker node (an i4i.4xlarge: 16 vCPU, 128 GiB), where shuffle files and
#: spills go: on network storage a terabyte shuffle waits on the volume's throughput.
NODE_DISK_GB = 3750.0
SPARK_AQE = (
    "Spark docs, “Performance Tuning”, adaptive query execution: shuffle partitions coalesced "
    "towards spark.sql.adaptive.advisoryPartitionSizeInBytes"
)
#: Versions of a rebuilt output kept: tonight's and last night's, to roll back to. An older
#: one is rebuilt from the source instead (a whole rebuild makes any night's output again).
VERSIONS_KEPT = 2
#: The bill's horizon in months (bom.HORIZON_MONTHS): a rebuild is sized for its data then.
HORIZON_MONTHS = 24
#: Days of raw events a daily load's lake keeps (an S3 lifecycle rule): a rerun or a backfill
#: reaches back that far; older days live on as their metrics in the results table.
LAKE_DAYS = 90
#: Days of daily metrics the results table keeps (13 months: a year against the one before);
#: the design's retire() drops older partitions whole.
METRIC_DAYS = 400
_ORCHESTRATORS = {"airflow", "dagster", "prefect"}
_DISTRIBUTED = {DataTool.PYSPARK, DataTool.DASK, DataTool.SPARK_STREAMING}


def batch_cores(
    data_gb: float, window_h: float, mb_per_s_per_core: float, safety: float = SAFETY_FACTOR
) -> int:
    """Cores that finish ``data_gb`` inside ``window_h`` hours with the safety factor.

    Example:
        >>> batch_cores(3000, 6, 25)
        9
    """
    if data_gb <= 0:
        return 1
    need = data_gb * 1000 * safety / (mb_per_s_per_core * window_h * 3600)
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
    # a rerun inside the window: a lost node or run is retried whole, not the night lost;
    # more nodes for a shorter run cost the same node-hours
    rerun_cores = batch_cores(gb, window, rate, safety=2.0)
    # a whole rebuild reads all the history: two runs must still fit at the bill's horizon
    horizon_gb = (
        req.scale.data_gb + req.scale.growth_gb_per_month * HORIZON_MONTHS
        if _rebuilds(req, data)
        else 0.0
    )
    rerun_cores = max(rerun_cores, batch_cores(horizon_gb, window, rate, safety=2.0))
    if distributed:
        nodes = max(nodes, math.ceil(rerun_cores / (per_node * per_executor)))
    executors = nodes * per_node if distributed else needed  # every executor the nodes hold
    fleet = executors * per_executor
    run_h = gb * 1000 / (rate * fleet) / 3600
    horizon_run_h = horizon_gb * 1000 / (rate * fleet) / 3600
    node_ram_gb = req.infrastructure.node_ram_gb or node_cores * RAM_PER_CORE_GB
    executor_gb = (node_ram_gb - 1) / per_node / (1 + OVERHEAD)
    splits = max(1, math.ceil(gb * 1000 / SPLIT_MB))
    # a rebuild writes as much as it reads at most; a daily aggregate a size nobody stated
    files = max(1, math.ceil(gb * 1000 / FILE_MB)) if _writes_lake(req, data) else 0
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
            "⌈⌈max(cores, rerun cores) / cores per executor⌉ / ⌊(node cores − 1) / cores per "
            "executor⌋⌉; rerun cores = ⌈2 × data MB / (MB/s per core × window s)⌉: a failed run "
            "is rerun whole inside the window"
            + (f", with the data at {HORIZON_MONTHS} months" if horizon_gb else "")
            if distributed
            else "one machine",
            (
                ("cores", cores),
                *((("data MB at 24 months", horizon_gb * 1000),) if horizon_gb else ()),
                ("rerun cores", rerun_cores),
                ("node cores", node_cores),
                ("per node", per_node),
            )
            if distributed
            else (("cores", cores), ("node cores", node_cores), ("per node", per_node)),
            f"{RYZA}; more nodes for a shorter run cost the same node-hours"
            if distributed
            else RYZA,
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
        *(
            [
                Figure(
                    "horizon_run_h",
                    f"Run time at {HORIZON_MONTHS} months",
                    horizon_run_h,
                    "h",
                    "(D + g · H) MB / (MB/s per core × cores on the fleet) / 3600",
                    (
                        ("D GB", req.scale.data_gb),
                        ("g GB a month", req.scale.growth_gb_per_month),
                        ("H", HORIZON_MONTHS),
                        ("fleet cores", fleet),
                    ),
                    "a whole rebuild reads every order: two runs must fit the window as the "
                    "source grows",
                )
            ]
            if horizon_gb
            else []
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
        *(
            [
                Figure(
                    "output_files",
                    "Output files per run",
                    files,
                    "files",
                    "⌈output MB / 256 MB⌉, output at most as large as the input"
                    + (
                        "; the rows range-partitioned by (day, key) into that many tasks, one "
                        "file each (two where a task's range crosses midnight)"
                        if _rebuilds(req, data)
                        else ""
                    ),
                    (("output MB", gb * 1000), ("file MB", FILE_MB)),
                    SPARK_FILES,
                )
            ]
            if files
            else []
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
        *(
            [
                Figure(
                    "shuffle_disk_gb",
                    "Shuffle on each node's local disk",
                    shuffle_gb / nodes,
                    "GB",
                    "shuffle GB / nodes (map outputs stay on local disk until the stage ends)",
                    (("shuffle GB", shuffle_gb), ("nodes", nodes), ("NVMe GB", NODE_DISK_GB)),
                    "Spark docs, “Configuration”: spark.local.dir holds map output files and "
                    "spills; AWS EC2 i4i instances: 3,750 GB NVMe on an i4i.4xlarge",
                )
            ]
            if distributed
            else []
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
        versions_kept=VERSIONS_KEPT if _rebuilds(req, data) else 0,
        lake_days=LAKE_DAYS if _loads(req, data) else 0,
        horizon_gb=horizon_gb,
        horizon_run_h=horizon_run_h,
    )
    return pipeline, figures, decisions, findings


def _writes_lake(req: ResolvedRequirements, data: DataPlan) -> bool:
    """Whether the job's output is a data set in the lake (not a load into a database)."""
    return data.tool is not DataTool.PYSPARK or _rebuilds(req, data)


def _loads(req: ResolvedRequirements, data: DataPlan) -> bool:
    """Whether each run loads one day of the lake into the results database (Spark)."""
    return data.tool is DataTool.PYSPARK and req.infrastructure.database is not DatabaseKind.NONE


def _rebuilds(req: ResolvedRequirements, data: DataPlan) -> bool:
    """Whether each run rebuilds the whole output into a new version (Spark, no database)."""
    return data.tool is DataTool.PYSPARK and req.infrastructure.database is DatabaseKind.NONE


def _reruns(req: ResolvedRequirements, data: DataPlan) -> Decision:
    if _rebuilds(req, data):
        return Decision(
            "reruns and backfills",
            "rebuild whole into a new version, then swap the table to it",
            "a refund or status change to an order of any past day is in the next run's "
            "facts; the swap is one catalog update (CREATE OR REPLACE VIEW over the "
            "version's table), so Spark readers see one night's facts or the next, and a "
            "failed run leaves the last one in place",
            "every run rewrites all the data, and a Spark view serves Spark readers only; an "
            "incremental run with a lookback reads less but misses changes older than the "
            "lookback",
            (
                "incremental by day with a lookback",
                "an Iceberg table (snapshots: the swap and rollback for Athena and Trino too)",
            ),
        )
    if data.tool is DataTool.PYSPARK:  # a daily load into the results database
        return Decision(
            "reruns and backfills",
            "one day a run, swapped in whole",
            "a run reads its day's dt= directory and writes a fresh path (S3 has no atomic "
            "overwrite); the load swaps that day's partition of the results table in one "
            "transaction, so a rerun or a backfill (once per past day) leaves the same rows",
            "a late event costs a rerun of its whole day; the table gains a partition a day",
            ("DELETE and INSERT the day (dead rows to vacuum)", "MERGE into a table format"),
        )
    if data.tool is DataTool.SPARK_STREAMING:
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
