"""How fast one core of a data engine gets through its input: stated, calibrated, or measured.

A job reads, transforms and writes all of its input, and shuffles a share of it across the
network (``workload.shuffle_share``: 0 for a map-only job, 1 for a sort). Per MB of input a
core spends ``1 / scan`` seconds on the first and ``share / shuffle`` on the second, so

    MB/s per core = 1 / (1 / scan + share / shuffle)

The scan rate per engine is a stated planning assumption; the shuffle rate of the distributed
engines is calibrated on the one published run of the same kind of job the planner knows, the
2014 Daytona GraySort record (a full shuffle: 100 TB in 23 min on 206 × 32 vCPU = 6,592
cores, ≈ 11.0 MB/s per core). A measured ``workload.mb_per_s_per_core`` replaces all of it.
"""

from __future__ import annotations

from pyt_arch_kit.planning.choices import DataTool
from pyt_arch_kit.resolved import ResolvedRequirements

__all__ = [
    "GRAYSORT",
    "GRAYSORT_MB_S_PER_CORE",
    "MB_PER_S_PER_CORE",
    "SHUFFLE_MB_S_PER_CORE",
    "THROUGHPUT_SOURCE",
    "mb_per_s_per_core",
    "throughput",
]

#: Scan throughput of one core, MB/s of compressed columnar input read, transformed and
#: written with no shuffle, per engine: a stated planning assumption (set
#: ``workload.mb_per_s_per_core`` from a timed run).
MB_PER_S_PER_CORE: dict[DataTool, float] = {
    DataTool.PANDAS: 50.0,  # one core: pandas runs single-threaded
    DataTool.POLARS: 100.0,  # vectorised, multi-threaded Rust kernels
    DataTool.DASK: 25.0,  # pandas partitions plus scheduling
    DataTool.PYSPARK: 25.0,  # scan and aggregate of Parquet on the JVM
    DataTool.SPARK_STREAMING: 25.0,
    DataTool.KAFKA_CONSUMERS: 5.0,  # Python deserialising and handling each event
}
#: The 2014 Daytona GraySort record: 100 TB sorted in 23 min on 206 nodes × 32 vCPU.
GRAYSORT_TB, GRAYSORT_MIN, GRAYSORT_CORES = 100.0, 23.0, 206 * 32
GRAYSORT_MB_S_PER_CORE = GRAYSORT_TB * 1_000_000 / (GRAYSORT_MIN * 60 * GRAYSORT_CORES)
GRAYSORT = (
    "R. Xin, “Apache Spark officially sets a new record in large-scale sorting”, Databricks "
    "blog, 2014 (sortbenchmark.org, Daytona GraySort 2014): 100 TB in 23 min on 206 × 32 "
    "vCPU = 6,592 cores, a full shuffle: ≈ 11.0 MB/s per core"
)
#: MB/s of shuffled data per core, calibrated so that a full shuffle (share 1) on Spark gives
#: the GraySort record's rate: 1 / shuffle = 1 / 11.0 − 1 / scan.
SHUFFLE_MB_S_PER_CORE = 1.0 / (
    1.0 / GRAYSORT_MB_S_PER_CORE - 1.0 / MB_PER_S_PER_CORE[DataTool.PYSPARK]
)
#: The engines that shuffle across a network (one machine's pandas or polars shuffles in memory).
_SHUFFLING = {DataTool.PYSPARK, DataTool.DASK}
THROUGHPUT_SOURCE = (
    "MB/s per core = 1 / (1 / scan + shuffle share / shuffle): the scan rate a planning "
    "assumption per engine, the shuffle rate calibrated so that a full shuffle reproduces "
    f"the sort record ({GRAYSORT}); measure one run (input bytes / (task time × cores), the "
    "Spark UI's stage metrics) and set workload.mb_per_s_per_core"
)


def mb_per_s_per_core(tool: DataTool, shuffle_share: float) -> float:
    """MB/s of input one core gets through, for the engine and the share of input shuffled.

    Example:
        >>> round(mb_per_s_per_core(DataTool.PYSPARK, 1.0), 2)  # the GraySort record's rate
        10.99
    """
    scan = MB_PER_S_PER_CORE[tool]
    if tool not in _SHUFFLING or shuffle_share <= 0:
        return scan
    return 1.0 / (1.0 / scan + shuffle_share / SHUFFLE_MB_S_PER_CORE)


def throughput(req: ResolvedRequirements, tool: DataTool) -> tuple[float, str]:
    """(MB/s per core, where it comes from): measured when given, else the model's."""
    measured = req.workload.mb_per_s_per_core
    if measured > 0:
        return measured, "measured (workload.mb_per_s_per_core)"
    return mb_per_s_per_core(tool, req.workload.shuffle_share), THROUGHPUT_SOURCE
