"""The data designs (stream, nightly batch, big-data batch) say what their code does.

Each test reads a preset's design the way a reviewer does: the claim in the text against the
code block it hands out (benchmarks/REVIEW.md, issue 20).
"""

from __future__ import annotations

import re

import pytest

from pyt_arch_kit import plan, preset
from pyt_arch_kit.design import Design, main_text
from pyt_arch_kit.writer import write_design
from tests.test_length import _grams, _words


def _design(name: str) -> Design:
    p = plan(preset(name))
    return Design(title=name, text=write_design(p), plan=p)


def _code(design: Design) -> str:
    return "\n".join(re.findall(r"```python\n(.*?)```", design.text, re.S))


# -- streaming-pipeline ---------------------------------------------------------------------


def test_the_stream_claims_no_exactly_once_it_writes_at_least_once_into_an_upsert() -> None:
    design = _design("streaming-pipeline")
    text = main_text(design.text)
    assert "exactly-once" not in text
    assert "foreachBatch" in _code(design)
    assert "at-least-once" in text and "effectively once" in text
    assert "session_start" in design.sections["Executive Summary"]


def test_the_stream_computes_the_sessions_its_summary_promises_in_update_mode() -> None:
    design = _design("streaming-pipeline")
    assert "session metrics" in design.sections["Executive Summary"]
    code = _code(design)
    assert "applyInPandasWithState" in code and "withWatermark" in code
    assert 'outputMode("update")' in code
    assert "GAP_S" in code
    trigger = float(re.search(r'TRIGGER = "(\d+) seconds"', code).group(1))  # type: ignore[union-attr]
    assert trigger <= 10 / 2, "a trigger that spends the whole freshness cannot meet it"


def test_the_stream_s_diagram_names_the_sink_the_code_writes() -> None:
    design = _design("streaming-pipeline")
    diagram = design.sections["System Diagram"]
    assert "Parquet" not in diagram and "columnar output" not in diagram
    assert "Sessions table" in diagram
    assert "sink is the table its readers query" in design.sections["Executive Summary"]


def test_the_stream_reads_lag_from_query_progress_and_pages_within_its_freshness() -> None:
    ops = _design("streaming-pipeline").sections["Operational Considerations"]
    assert "StreamingQueryProgress" in ops
    assert "commits no offsets" in ops
    assert "for 5 minutes" not in ops
    assert "for 10 s" in ops


def test_the_stream_scales_spark_s_cores_not_a_consumer_group() -> None:
    risks = _design("streaming-pipeline").sections["Risks and Mitigations"]
    assert "add executor cores up to the partition count" in risks
    assert "add consumers" not in risks


def test_the_stream_carries_no_batch_rerun_text() -> None:
    text = main_text(_design("streaming-pipeline").text)
    assert "rerun" not in text and "partitionOverwriteMode" not in text


# -- nightly-batch and big-data-pipeline ----------------------------------------------------


def test_two_batch_domains_hand_out_their_own_code_not_one_template() -> None:
    nightly, big = _design("nightly-batch"), _design("big-data-pipeline")
    grams = set(_grams(_words(_code(big))))
    code = _grams(_words(_code(nightly)))
    assert sum(g in grams for g in code) / len(code) < 0.15  # the same template before: 94 %
    assert "updated_at" in _code(nightly) and "refunded" in _code(nightly)
    assert "page" in _code(big) and "order" not in _code(big)


@pytest.mark.parametrize("name", ["nightly-batch", "big-data-pipeline"])
def test_a_batch_runs_on_utc_days_and_never_plans_a_retry_past_its_window(name: str) -> None:
    design = _design(name)
    ops = design.sections["Operational Considerations"]
    p = design.plan.pipeline  # type: ignore[union-attr]
    assert p is not None
    assert 'timeZone: "Etc/UTC"' in ops
    assert re.search(r"Page at \d\d:00 UTC", ops)
    assert "retried whole" not in main_text(design.text)
    if 2 * p.run_time_h > p.window_h:  # nightly-batch: 2 × 3.64 h > 6 h
        assert "`backoffLimit: 0`" in ops and "spark.task.maxFailures" in ops
    else:
        assert "`backoffLimit: 1`" in ops


def test_big_data_runs_every_executor_of_the_node_it_prices_and_prices_it() -> None:
    design = _design("big-data-pipeline")
    p = design.plan.pipeline  # type: ignore[union-attr]
    assert p is not None
    assert p.executors * p.executor_cores == 15  # one 16-core node, a core for the OS
    job = next(
        line for line in design.appendix.splitlines() if line.startswith("| Data job (PySpark) |")
    )
    assert "vCPU-h" in job and "size the cluster" not in job


def test_the_nightly_rebuild_takes_late_changes_and_commits_in_one_swap() -> None:
    design = _design("nightly-batch")
    code = _code(design)
    assert "row_number" in code and "updated_at" in code  # the latest state per order wins
    assert "CREATE OR REPLACE VIEW" in code and 'mode("errorifexists")' in code
    assert "partitionOverwriteMode" not in main_text(design.text)  # not atomic on S3


def test_big_data_loads_postgresql_by_copy_and_a_swap_and_says_nothing_of_requests() -> None:
    design = _design("big-data-pipeline")
    code = _code(design)
    assert "COPY" in code and "foreachPartition" in code and "UNLOGGED" in code
    assert "toLocalIterator" not in code and "VALUES" not in code
    text = main_text(design.text)
    for request_text in ("p99", "per request", "Caching", "Isolation", "pool_size", "busy at peak"):
        assert request_text not in text, request_text


@pytest.mark.parametrize("name", ["streaming-pipeline", "nightly-batch", "big-data-pipeline"])
def test_a_job_s_guidelines_carry_no_request_service_layout_or_tests(name: str) -> None:
    guidelines = _design(name).sections["Implementation Guidelines"]
    assert "routes / servicers" not in guidelines
    assert "pool exhaustion" not in guidelines
    assert "midnight UTC" in guidelines
