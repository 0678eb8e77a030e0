"""Every shipped preset's offline design is pinned: today's ``pyt-arch design`` output, Markdown
and JSON, equals the golden files in ``tests/golden/`` (see that package for how to regenerate
them). A refactor that changes no design passes untouched; a commit that changes a design on
purpose regenerates them and says why."""

from __future__ import annotations

import json

import pytest

from tests.golden import FOLDER, HOW_TO_UPDATE, canonical, diff, expected_files, render

FILES = sorted(expected_files().items())


@pytest.mark.parametrize(("file_name", "which"), FILES, ids=[f for f, _ in FILES])
def test_the_design_equals_its_golden_file(file_name: str, which: tuple[str, str]) -> None:
    name, suffix = which
    assert (FOLDER / file_name).exists(), f"tests/golden/{file_name} is missing. {HOW_TO_UPDATE}"
    changed = diff(name, suffix)
    if changed is not None:
        pytest.fail(f"the {name} design changed.\n{HOW_TO_UPDATE}\n{changed}", pytrace=False)


def test_there_is_a_golden_file_for_each_preset_and_none_for_a_removed_one() -> None:
    present = {p.name for p in FOLDER.iterdir() if p.suffix in (".md", ".json")}
    assert present == set(expected_files()), HOW_TO_UPDATE


def test_golden_files_hold_nothing_that_changes_from_machine_to_machine() -> None:
    for file_name in expected_files():
        text = (FOLDER / file_name).read_text(encoding="utf-8")
        for marker in ("/work/", "/tmp/", "/home/", "/root/", "\\Users\\", "site-packages"):
            assert marker not in text, (file_name, marker)


def test_the_json_is_deterministic_and_valid() -> None:
    first = render("io-bound-api", "json")
    assert render("io-bound-api", "json") == first
    data = json.loads(first)
    assert data["backend"] == "offline" and data["usage"] is None and data["complete"]


def test_a_changed_design_is_reported_with_the_way_to_regenerate() -> None:
    """The comparison can fail: a golden file with one number changed is a difference."""
    golden = (FOLDER / "io-bound-api.md").read_text(encoding="utf-8")
    assert "5 instance(s) × 4 cores" in golden
    altered = golden.replace("5 instance(s) × 4 cores", "6 instance(s) × 4 cores")
    assert canonical(altered, "md") != canonical(render("io-bound-api", "md"), "md")
    assert "python -m tests.golden --update" in HOW_TO_UPDATE and "why" in HOW_TO_UPDATE


def test_json_floats_are_compared_to_twelve_digits_not_to_the_last_bit() -> None:
    assert canonical('{"x": 0.30000000000000004}', "json") == canonical('{"x": 0.3}', "json")
    assert canonical('{"x": 0.3001}', "json") != canonical('{"x": 0.3}', "json")
