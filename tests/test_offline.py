"""The offline backend and the Architect facade."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import pytest

from pyt_arch_kit import Architect, BackendError, Requirements

REQ = Requirements(
    name="orders",
    scale={"peak_rps": 2000},
    workload={"cpu_ms_per_request": 5, "io_wait_ms_per_request": 45},
)


def test_same_input_gives_the_same_design_byte_for_byte() -> None:
    a = Architect().design(REQ).to_markdown()
    b = Architect().design(Requirements.parse(json.loads(REQ.model_dump_json()))).to_markdown()
    assert a == b


def test_streamed_pieces_add_up_to_the_design() -> None:
    pieces: list[str] = []
    design = Architect().design(REQ, on_text=pieces.append)
    assert len(pieces) > 10
    assert "".join(pieces) == design.text


def test_cancel_keeps_what_was_written_and_marks_it_incomplete() -> None:
    cancel = threading.Event()
    pieces: list[str] = []

    def on_text(piece: str) -> None:
        pieces.append(piece)
        if len(pieces) == 3:
            cancel.set()

    design = Architect().design(REQ, on_text=on_text, cancel=cancel)
    assert not design.complete
    assert design.stop_reason == "cancelled"
    assert design.text == "".join(pieces)


def test_design_states_each_assumption() -> None:
    design = Architect().design(REQ)
    summary = design.section("Executive Summary")
    for gap in REQ.gaps():
        assert f"`{gap.field}`" in summary


def test_diagram_shows_exactly_the_chosen_components() -> None:
    data = REQ.model_dump()
    data["workload"]["cache_keys"] = 1_000  # hot keys: the model gives the cache its hits
    with_cache = Architect().design(Requirements.parse(data)).diagram
    data["consistency"]["priority"] = "strong"
    strong = Architect().design(Requirements.parse(data))
    assert "Redis" in with_cache
    assert "Redis" not in strong.diagram
    assert "ProcessPoolExecutor" not in with_cache


def test_plan_numbers_appear_in_the_code() -> None:
    design = Architect().design(REQ)
    db = design.plan.database if design.plan else None
    assert db is not None
    assert f"pool_size: int = {db.pool_size}  #" in design.text  # the settings the code reads


def test_offline_backend_declines_follow_up_questions_clearly() -> None:
    arch = Architect()
    with pytest.raises(BackendError, match="does not answer follow-up"):
        arch.refine(arch.design(REQ), "what changes at 10x?")


def test_importing_the_package_loads_no_heavy_dependency() -> None:
    code = (
        "import sys, pyt_arch_kit; "
        "print([m for m in ('anthropic', 'ipywidgets', 'matplotlib', 'IPython') "
        "if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_designing_loads_no_heavy_dependency() -> None:
    code = (
        "import sys; from pyt_arch_kit import Architect, Requirements; "
        "Architect().design(Requirements()); "
        "print([m for m in ('anthropic', 'ipywidgets', 'matplotlib', 'IPython') "
        "if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
