"""planning/data.py: the data tool for the size and freshness, on both sides of each size."""

from __future__ import annotations

from typing import Any

import pytest

from pyt_arch_kit.planning.data import plan_data
from tests.planning import resolved


def tool(gb: float, mode: str = "batch", fresh: float | None = None, **sections: Any) -> str:
    workload: dict[str, Any] = {"data_mode": mode, "batch_data_gb": gb}
    if fresh is not None:
        workload["freshness_s"] = fresh
    data, _, _ = plan_data(resolved(workload=workload, **sections))
    assert data is not None
    return data.tool


@pytest.mark.parametrize(
    ("gb", "expected"),
    [
        (2.0, "pandas"),  # ≈ 20 GB of RAM: one machine
        (2.01, "polars (lazy, streaming engine)"),
        (100.0, "polars (lazy, streaming engine)"),
        (100.01, "Dask (distributed)"),
        (1000.0, "Dask (distributed)"),
        (1000.01, "PySpark"),
    ],
)
def test_tool_by_data_size(gb: float, expected: str) -> None:
    assert tool(gb) == expected


@pytest.mark.parametrize(
    ("gb", "must_use", "expected"),
    [
        (1.0, ["spark"], "PySpark"),
        (1.0, ["PySpark"], "PySpark"),  # the same engine by its package name
        (50.0, ["dask"], "Dask (distributed)"),
        (500.0, ["pyspark"], "PySpark"),
    ],
)
def test_a_mandated_engine_is_used(gb: float, must_use: list[str], expected: str) -> None:
    assert tool(gb, infrastructure={"must_use": must_use}) == expected


@pytest.mark.parametrize(
    ("gb", "fresh", "must_use", "expected"),
    [
        (5.0, 60, [], "Kafka + a Python consumer group"),
        (5.0, 60.1, [], "polars"),  # a minute is not streaming any more
        (100.0, 5, [], "Kafka + a Python consumer group"),
        (100.1, 5, [], "Kafka + Spark Structured Streaming (PySpark)"),
        (5.0, 5, ["pyspark"], "Kafka + Spark Structured Streaming (PySpark)"),
    ],
)
def test_streaming_by_freshness_and_size(
    gb: float, fresh: float, must_use: list[str], expected: str
) -> None:
    got = tool(gb, "streaming", fresh, infrastructure={"must_use": must_use})
    assert got.startswith(expected)


def test_figure_and_plan_values() -> None:
    r = resolved(workload={"data_mode": "batch", "batch_data_gb": 1.5, "freshness_s": 3600})
    data, figs, decs = plan_data(r)
    assert data is not None
    assert (data.mode, data.data_gb, data.ram_needed_gb, data.freshness_s) == (
        "batch",
        1.5,
        15.0,
        3600.0,
    )
    assert data.why == "1.5 GB needs ≈ 15 GB of RAM in pandas: one machine, simplest tool"
    assert [(f.key, f.value) for f in figs] == [("pandas_ram_gb", 15.0)]
    assert decs[0].choice == "pandas"


def test_a_batch_interface_processes_data_and_a_service_without_data_does_not() -> None:
    batch, _, _ = plan_data(resolved(interface="batch"))
    assert batch is not None and batch.mode == "batch"
    assert plan_data(resolved(interface="rest")) == (None, [], [])


def test_the_data_size_falls_back_to_the_data_set() -> None:
    data, _, _ = plan_data(resolved(scale={"data_gb": 50}, workload={"data_mode": "batch"}))
    assert data is not None and data.data_gb == 50.0


def test_a_freshness_of_zero_is_stated_as_zero() -> None:
    r = resolved(workload={"data_mode": "streaming", "freshness_s": 0, "batch_data_gb": 1})
    data, _, _ = plan_data(r)
    assert data is not None and data.freshness_s == 0.0
    assert data.why.startswith("0 s freshness at 1.0 GB per window fits plain consumers")
