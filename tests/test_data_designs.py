"""The data designs (stream, nightly batch, big-data batch) say what their code does.

Each test reads a preset's design the way a reviewer does: the claim in the text against the
code block it hands out (benchmarks/REVIEW.md, issue 20).
"""

from __future__ import annotations

import re

from pyt_arch_kit import plan, preset
from pyt_arch_kit.design import Design, main_text
from pyt_arch_kit.writer import write_design


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


def test_the_stream_carries_no_batch_rerun_text() -> None:
    text = main_text(_design("streaming-pipeline").text)
    assert "rerun" not in text and "partitionOverwriteMode" not in text
