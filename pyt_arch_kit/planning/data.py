"""Bulk data processing: the tool that fits the data size and the freshness needed."""

from __future__ import annotations

from pyt_arch_kit.planning._names import named
from pyt_arch_kit.planning.choices import DataTool
from pyt_arch_kit.planning.model import DataPlan, Decision, Figure
from pyt_arch_kit.requirements import DataMode, Interface
from pyt_arch_kit.resolved import ResolvedRequirements

__all__ = ["STREAM_FRESHNESS_S", "plan_data", "reads_a_log"]

#: At or under this freshness a stream is consumed from a log as it arrives (Kafka), not
#: micro-batched from the database.
STREAM_FRESHNESS_S = 60.0

MCKINNEY = (
    "W. McKinney, “Apache Arrow and the ‘10 Things I Hate About pandas’”, 2017: "
    "pandas wants 5–10× the data size in RAM"
)
_PANDAS_FACTOR = 10.0
_PANDAS_MAX_GB = 2.0
_POLARS_MAX_GB = 100.0
_DASK_MAX_GB = 1000.0


def reads_a_log(req: ResolvedRequirements) -> bool:
    """Whether the data job consumes a log as events arrive (streaming within
    :data:`STREAM_FRESHNESS_S`), so that the plan needs Kafka."""
    fresh = req.workload.freshness_s
    return req.workload.data_mode is DataMode.STREAMING and fresh <= STREAM_FRESHNESS_S


def plan_data(req: ResolvedRequirements) -> tuple[DataPlan | None, list[Figure], list[Decision]]:
    """Pick pandas, polars, Dask, PySpark or a stream processor for the data processed."""
    mode = req.workload.data_mode
    if mode is DataMode.NONE and req.interface is Interface.BATCH:
        mode = DataMode.BATCH
    if mode is DataMode.NONE:
        return None, [], []
    size = req.workload.batch_data_gb or req.scale.data_gb
    fresh = req.workload.freshness_s
    ram = size * _PANDAS_FACTOR
    mandated = named(req.infrastructure.must_use)
    if "pyspark" in mandated:  # the package's name for the same engine
        mandated = mandated | {"spark"}
    if reads_a_log(req):
        if size > _POLARS_MAX_GB or "spark" in mandated or "pyspark" in mandated:
            tool = DataTool.SPARK_STREAMING
            why = (
                f"{size:,.0f} GB per window with {fresh:g} s freshness: a distributed stream "
                "processor with checkpointed state"
            )
        else:
            tool = DataTool.KAFKA_CONSUMERS
            why = (
                f"{fresh:g} s freshness at {size:,.1f} GB per window fits plain consumers; a "
                "stream-processing cluster would be more to run than the problem needs"
            )
    elif size <= _PANDAS_MAX_GB and "spark" not in mandated:
        tool = DataTool.PANDAS
        why = f"{size:g} GB needs ≈ {ram:g} GB of RAM in pandas: one machine, simplest tool"
    elif size <= _POLARS_MAX_GB and not mandated & {"spark", "pyspark", "dask"}:
        tool = DataTool.POLARS
        why = (
            f"{size:,.0f} GB would need ≈ {ram:,.0f} GB of RAM in pandas; polars' lazy "
            "streaming engine processes it out of core on one machine, multi-threaded"
        )
    elif size <= _DASK_MAX_GB and not mandated & {"spark", "pyspark"}:
        tool = DataTool.DASK
        why = (
            f"{size:,.0f} GB outgrows one machine; Dask keeps the pandas API and Python "
            "tooling across a small cluster"
        )
    else:
        tool = DataTool.PYSPARK
        why = (
            f"{size:,.0f} GB calls for a mature distributed engine with a query optimiser "
            "and shuffle that scales past a terabyte"
        )
    plan = DataPlan(
        mode=mode, tool=tool, data_gb=size, ram_needed_gb=ram, freshness_s=fresh, why=why
    )
    figures = [
        Figure(
            "pandas_ram_gb",
            "RAM pandas would need",
            ram,
            "GB",
            "data size × 10 (upper bound)",
            (("data per run GB", size),),
            MCKINNEY,
        ),
    ]
    decisions = [
        Decision(
            "data processing",
            tool.value,
            why,
            "a single-machine tool is simpler to run and debug; a distributed one scales but "
            "adds a "
            "cluster, serialisation and shuffle costs",
            ("pandas", "polars", "Dask", "PySpark", "Kafka + consumers"),
        )
    ]
    return plan, figures, decisions
