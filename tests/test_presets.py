"""The shipped presets: each validates and designs into six parseable sections."""

from __future__ import annotations

import ast

import pytest

from pyt_arch_kit import SECTIONS, Architect, RequirementsError, preset, preset_names
from pyt_arch_kit.presets import list_presets

REQUIRED = {
    "io-bound-api",
    "cpu-inference",
    "grpc-internal",
    "payments-ledger",
    "big-data-pipeline",
    "internal-tool-pushback",
    "timeseries-ingest",
}


def test_the_persona_s_specialties_all_ship_as_presets() -> None:
    assert set(preset_names()) >= REQUIRED


@pytest.mark.parametrize("name", preset_names())
def test_every_preset_designs_into_six_sections_with_parseable_code(name: str) -> None:
    design = Architect().design(preset(name))
    assert list(design.sections) == list(SECTIONS)
    assert design.diagram.startswith("flowchart")
    blocks = [code for lang, code in design.code_blocks if lang == "python"]
    assert blocks
    for code in blocks:
        ast.parse(code)


def test_every_preset_has_a_one_line_summary() -> None:
    for name, summary in list_presets():
        assert summary and "\n" not in summary, name


def test_unknown_preset_suggests_the_closest_name() -> None:
    with pytest.raises(RequirementsError, match="did you mean 'io-bound-api'"):
        preset("io-bound")


def test_presets_exercise_the_persona_s_method() -> None:
    models = {Architect().plan(preset(n)).concurrency.model.value for n in REQUIRED}
    assert {"asyncio", "processes", "sync"} <= models
    ledger = Architect().plan(preset("payments-ledger"))
    assert ledger.database is not None and ledger.database.isolation.locks_rows
    tool = Architect().plan(preset("internal-tool-pushback"))
    assert len([f for f in tool.findings if f.kind == "push-back"]) >= 3
    data = Architect().plan(preset("big-data-pipeline")).data
    assert data is not None and "PySpark" in data.tool
    metrics = Architect().plan(preset("timeseries-ingest"))
    assert metrics.database is not None and metrics.database.engine == "timescaledb"
    assert metrics.figure("timescale_retention_days").value == 90  # 4,500 GB / 50 GB a day
