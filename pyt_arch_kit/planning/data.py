"""Bulk data processing: the tool that fits the data size and the freshness needed."""

from __future__ import annotations

from pyt_arch_kit.planning._names import named
from pyt_arch_kit.planning.model import DataPlan, Decision, Figure
from pyt_arch_kit.requirements import DataMode, Interface, Requirements

__all__ = ["plan_data"]

MCKINNEY = (
    "W. McKinney, “Apache Arrow and the ‘10 Things I Hate About pandas’”, 2017: "
    "pandas wants 5–10× the data size in RAM"
)
_PANDAS_FACTOR = 10.0
_PANDAS_MAX_GB = 2.0
_POLARS_MAX_GB = 100.0
_DASK_MAX_GB = 1000.0


def plan_data(req: Requirements) -> tuple[DataPlan | None, list[Figure], list[Decision]]:
    """Pick pandas, polars, Dask, PySpark or a stream processor for the data processed."""
    mode = req.workload.data_mode
    if mode is DataMode.NONE and req.interface is Interface.BATCH:
        mode = DataMode.BATCH
    if mode is DataMode.NONE:
        return None, [], []
    size = req.workload.batch_data_gb or req.scale.data_gb or 0.0
    fresh = req.workload.freshness_s or 0.0
    ram = size * _PANDAS_FACTOR
    mandated = named(req.infrastructure.must_use)
    if "pyspark" in mandated:  # the package's name for the same engine
        mandated.add("spark")
    if mode is DataMode.STREAMING and fresh <= 60:
        if size > _POLARS_MAX_GB or "spark" in mandated or "pyspark" in mandated:
            tool = "Kafka + Spark Structured Streaming (PySpark)"
            why = (
                f"{size:,.0f} GB per window with {fresh:g} s freshness: a distributed stream "
                "processor with checkpointed state"
            )
        else:
            tool = "Kafka + a Python consumer group (confluent-kafka), state in PostgreSQL/Redis"
            why = (
                f"{fresh:g} s freshness at {size:,.1f} GB per window fits plain consumers; a "
                "stream-processing cluster would be more to run than the problem needs"
            )
    elif size <= _PANDAS_MAX_GB and "spark" not in mandated:
        tool = "pandas"
        why = f"{size:g} GB needs ≈ {ram:g} GB of RAM in pandas: one machine, simplest tool"
    elif size <= _POLARS_MAX_GB and not mandated & {"spark", "pyspark", "dask"}:
        tool = "polars (lazy, streaming engine)"
        why = (
            f"{size:,.0f} GB would need ≈ {ram:,.0f} GB of RAM in pandas; polars' lazy "
            "streaming engine processes it out of core on one machine, multi-threaded"
        )
    elif size <= _DASK_MAX_GB and not mandated & {"spark", "pyspark"}:
        tool = "Dask (distributed)"
        why = (
            f"{size:,.0f} GB outgrows one machine; Dask keeps the pandas API and Python "
            "tooling across a small cluster"
        )
    else:
        tool = "PySpark"
        why = (
            f"{size:,.0f} GB calls for a mature distributed engine with a query optimiser "
            "and shuffle that scales past a terabyte"
        )
    plan = DataPlan(
        mode=mode.value, tool=tool, data_gb=size, ram_needed_gb=ram, freshness_s=fresh, why=why
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
            tool,
            why,
            "a single-machine tool is simpler to run and debug; a distributed one scales but "
            "adds a "
            "cluster, serialisation and shuffle costs",
            ("pandas", "polars", "Dask", "PySpark", "Kafka + consumers"),
        )
    ]
    return plan, figures, decisions
