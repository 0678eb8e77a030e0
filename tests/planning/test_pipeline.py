"""Batch and streaming jobs sized as such (issue 14, item 1): cores for the window, executors,
files and partitions for a batch; partitions, consumers and a lag budget for a stream."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyt_arch_kit import Requirements, RequirementsError, plan, preset
from pyt_arch_kit.baseline import BASELINE
from pyt_arch_kit.planning import Framework, Server
from pyt_arch_kit.planning.choices import DataTool
from pyt_arch_kit.planning.pipeline import batch_cores
from pyt_arch_kit.planning.throughput import mb_per_s_per_core
from pyt_arch_kit.writer import write_design

REQUEST_FIGURES = {"in_flight", "headroom_rps", "p99_estimate_ms", "busy_cores", "instances"}


def nightly(**workload: Any) -> Requirements:
    return Requirements.parse(
        {
            "name": "nightly",
            "interface": "batch",
            "workload": {"data_mode": "batch", "batch_data_gb": 3000, "window_h": 6, **workload},
            "infrastructure": {"must_use": ["spark"]},
        }
    )


def test_three_terabytes_in_six_hours_on_spark() -> None:
    p = plan(nightly())
    pipe = p.pipeline
    assert pipe is not None
    # half the input shuffled: 1 / (1/25 + 0.5/19.6) = 15.27 MB/s per core (the shuffle rate
    # calibrated on the GraySort record); 3,000,000 MB × 1.5 / (15.27 × 21,600 s) = 13.6 → 14
    # cores → 3 executors of 5 cores
    rate = mb_per_s_per_core(DataTool.PYSPARK, 0.5)
    assert rate == pytest.approx(15.27, abs=0.01)
    assert (pipe.cores, pipe.executors, pipe.executor_cores, pipe.nodes) == (14, 3, 5, 1)
    assert p.figure("run_time_h").value == pytest.approx(3_000_000 / (rate * 15) / 3600)
    assert pipe.run_time_h < pipe.window_h == 6
    assert p.figure("input_partitions").value == 23_438  # ⌈3,000,000 / 128⌉
    assert p.figure("output_files").value == 11_719  # ⌈3,000,000 / 256⌉
    assert p.figure("shuffle_gb").value == 1500
    assert all(f.source and f.formula for f in p.figures)


def test_a_batch_plan_has_no_request_figures_and_no_database() -> None:
    p = plan(nightly())
    assert not REQUEST_FIGURES & {f.key for f in p.figures}
    assert p.database is None
    text = write_design(p)
    for absent in ("Requests in flight", "Liveness probe", "p99 passes", "req/s above peak"):
        assert absent not in text, absent
    assert 'timeZone: "Etc/UTC"' in text and "when the run has not finished" in text
    assert "run-time trend against the 6 h window" in text


def test_a_measured_throughput_overrides_the_stated_one() -> None:
    p = plan(nightly(mb_per_s_per_core=100))
    assert p.figure("mb_per_s_per_core").value == 100
    assert p.figure("mb_per_s_per_core").source.startswith("measured")
    assert p.pipeline is not None and p.pipeline.cores == 3  # 4.5e6 / (100 × 21,600) → 3


def test_the_window_comes_from_the_freshness_when_only_that_is_given() -> None:
    p = plan(nightly(window_h=None, freshness_s=43_200))
    assert p.resolved.workload.window_h == 6
    assumed = {a.field: a for a in p.assumptions}
    assert "half of the 43,200 s freshness" in assumed["workload.window_h"].because


def test_a_window_longer_than_the_freshness_is_refused_naming_the_field() -> None:
    with pytest.raises(RequirementsError, match=r"workload\.window_h \(30 h\) is longer"):
        nightly(window_h=30, freshness_s=86_400)
    with pytest.raises(RequirementsError, match=r"workload\.window_h"):
        nightly(window_h=0)


def test_a_run_that_cannot_fit_its_window_on_one_machine_is_flagged() -> None:
    p = plan(
        Requirements.parse(
            {
                "interface": "batch",
                "workload": {"batch_data_gb": 80, "window_h": 0.1, "mb_per_s_per_core": 5},
            }
        )
    )
    assert p.data is not None and p.data.tool_name.startswith("polars")
    titles = [f.title for f in p.findings]
    assert any("more cores than one machine" in t for t in titles), titles


def test_one_job_under_airflow_gets_push_back_and_a_cronjob() -> None:
    p = plan(preset("nightly-batch"))
    assert p.decision("scheduler").choice == "cron / Kubernetes CronJob"
    assert any(f.title == "Airflow for one scheduled job" for f in p.findings)
    assert "CREATE OR REPLACE VIEW" in p.decision("reruns and backfills").why  # a whole rebuild


def test_a_stream_gets_partitions_consumers_and_a_lag_budget() -> None:
    p = plan(preset("streaming-pipeline"))
    pipe = p.pipeline
    assert pipe is not None
    # 20,000 events/s × 2 KB = 40 MB/s; max(40/10, 40/25) = 4 partitions (Rao), 8 for growth
    assert p.figure("stream_mb_s").value == 40
    assert (pipe.partitions, pipe.consumers) == (4, 4)
    assert p.figure("stream_partitions_for_growth").value == 8
    assert pipe.lag_budget_s == 5  # half the 10 s freshness
    assert pipe.semantics.startswith("at-least-once") and "effectively once" in pipe.semantics
    text = write_design(p)
    assert "lag passes the 5 s budget" in text
    assert not REQUEST_FIGURES & {f.key for f in p.figures}


def test_python_consumers_are_at_least_once_with_an_idempotent_sink() -> None:
    p = plan(
        Requirements.parse(
            {
                "interface": "batch",
                "scale": {"payload_kb": 1},
                "workload": {"data_mode": "streaming", "events_per_s": 3000, "freshness_s": 5},
                "infrastructure": {"database": "none"},
            }
        )
    )
    assert p.pipeline is not None and p.pipeline.semantics.startswith("at-least-once")
    # 3 MB/s; a Python consumer takes 2,000 events/s = 2 MB/s: ⌈max(0.3, 1.5)⌉ = 2
    assert p.pipeline.partitions == 2


def test_an_api_with_a_nightly_job_keeps_its_request_plan_and_adds_the_job() -> None:
    p = plan(
        Requirements.parse(
            {
                "scale": {"peak_rps": 500},
                "workload": {"data_mode": "batch", "batch_data_gb": 50, "window_h": 2},
            }
        )
    )
    keys = {f.key for f in p.figures}
    assert {"in_flight", "p99_estimate_ms", "batch_cores", "run_time_h"} <= keys
    assert p.database is not None  # the API's database is still assumed
    text = write_design(p)
    assert BASELINE in text and "run-time trend against the 2 h window" in text  # probes: baseline


# -- properties ----------------------------------------------------------------------------

_gb = st.floats(0.01, 1e6, allow_nan=False)
_window = st.floats(0.1, 168, allow_nan=False)
_rate = st.floats(0.1, 10_000, allow_nan=False)


@given(_gb, _window, _window, _rate)
def test_batch_cores_never_rise_as_the_window_grows(
    gb: float, w1: float, w2: float, rate: float
) -> None:
    short, long = sorted((w1, w2))
    assert batch_cores(gb, long, rate) <= batch_cores(gb, short, rate)


@given(_gb, _gb, _window, _rate)
def test_more_data_never_means_fewer_cores(g1: float, g2: float, w: float, rate: float) -> None:
    small, big = sorted((g1, g2))
    assert batch_cores(big, w, rate) >= batch_cores(small, w, rate)


@given(st.floats(1, 100_000, allow_nan=False), _window, _window)
def test_the_planned_fleet_never_shrinks_as_the_window_tightens(
    gb: float, w1: float, w2: float
) -> None:
    short, long = sorted((w1, w2))
    fleets = [plan(nightly(batch_data_gb=gb, window_h=w)).pipeline for w in (short, long)]
    assert fleets[0] is not None and fleets[1] is not None
    assert fleets[0].executors >= fleets[1].executors
    assert fleets[0].run_time_h <= fleets[1].run_time_h


def test_a_stream_job_runs_under_a_supervisor_and_is_its_brokers_consumer() -> None:
    p = plan(preset("streaming-pipeline"))
    assert p.concurrency.framework is Framework.STREAM_JOB
    assert p.concurrency.server is Server.SUPERVISOR
    assert "broker" in p.components and "consumers" not in p.components
    diagram = write_design(p).split("## System Diagram")[1].split("## Technology Stack")[0]
    assert "Consumers" not in diagram and "scheduler" not in diagram.lower()
    assert "broker -->|events| job" in diagram
    nightly = plan(preset("nightly-batch"))
    assert nightly.concurrency.server is Server.SCHEDULER


def test_a_stream_of_empty_events_is_planned_not_divided_by_zero() -> None:
    p = plan(Requirements(scale={"payload_kb": 0.0}, workload={"data_mode": "streaming"}))
    assert p.pipeline is not None and p.pipeline.partitions >= 1
