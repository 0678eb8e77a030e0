"""Requirement models: validation messages that name the field, gaps and assumptions, loading."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyt_arch_kit import Requirements, RequirementsError, load_requirements


def problems(data: object) -> str:
    with pytest.raises(RequirementsError) as exc:
        Requirements.parse(data)
    return str(exc.value)


def test_p99_below_p50_names_both_fields_and_the_fix() -> None:
    msg = problems({"latency": {"p50_ms": 100, "p99_ms": 50}})
    assert "latency.p99_ms" in msg and "latency.p50_ms" in msg and "raise p99_ms" in msg


def test_average_above_peak_is_rejected() -> None:
    assert "scale.avg_rps" in problems({"scale": {"peak_rps": 10, "avg_rps": 11}})


def test_negative_sizes_are_rejected_with_the_bound() -> None:
    msg = problems({"scale": {"data_gb": -3}})
    assert "scale.data_gb" in msg and "at least 0" in msg


def test_unknown_key_suggests_the_intended_field() -> None:
    msg = problems({"latency": {"p99": 200}})
    assert "unknown field 'p99'" in msg and "did you mean 'p99_ms'" in msg


def test_unknown_section_lists_the_allowed_ones() -> None:
    msg = problems({"sclae": {}})
    assert "did you mean 'scale'" in msg


def test_bad_enum_lists_the_choices() -> None:
    msg = problems({"consistency": {"priority": "eventual"}})
    assert "consistency.priority" in msg and "'strong'" in msg


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(RequirementsError) as exc:
        Requirements.parse({"scale": {"peak_rps": -1}, "latency": {"p50_ms": "fast"}})
    assert [loc for loc, _ in exc.value.problems] == ["scale.peak_rps", "latency.p50_ms"]


def test_malformed_yaml_reports_the_line() -> None:
    with pytest.raises(RequirementsError, match=r"r\.yaml: line 2, column 1: not valid YAML"):
        Requirements.from_yaml("scale:\n\tpeak_rps: 1\n", source="r.yaml")


def test_missing_file_names_the_path_and_the_alternative(tmp_path: Path) -> None:
    with pytest.raises(RequirementsError, match=r"nope\.yaml: file not found.*--preset"):
        Requirements.from_file(tmp_path / "nope.yaml")


def test_directory_is_not_a_requirements_file(tmp_path: Path) -> None:
    with pytest.raises(RequirementsError, match="is a directory"):
        Requirements.from_file(tmp_path)


def test_json_files_load_and_json_errors_name_the_line(tmp_path: Path) -> None:
    good = tmp_path / "r.json"
    good.write_text(json.dumps({"scale": {"peak_rps": 5}}))
    assert Requirements.from_file(good).scale.peak_rps == 5
    bad = tmp_path / "bad.json"
    bad.write_text('{\n "scale": {,}\n}')
    with pytest.raises(RequirementsError, match=r"bad\.json: line 2"):
        Requirements.from_file(bad)


def test_gaps_ask_the_persona_s_questions_in_order() -> None:
    gaps = Requirements().gaps()
    fields = [g.field for g in gaps]
    assert fields.index("scale.peak_rps") < fields.index("latency.p99_ms")
    assert fields.index("latency.p99_ms") < fields.index("consistency.priority")
    assert all("?" in g.question for g in gaps)


def test_set_fields_are_not_gaps() -> None:
    req = Requirements(scale={"peak_rps": 50})
    assert "scale.peak_rps" not in [g.field for g in req.gaps()]


def test_assumptions_follow_earlier_answers() -> None:
    resolved, _ = Requirements(scale={"peak_rps": 400}).resolved()
    assert resolved.scale.avg_rps == 100  # peak / 4
    strong, _ = Requirements(consistency={"priority": "strong"}).resolved()
    assert strong.consistency.stale_read_tolerance_s == 0


def test_resolved_requirements_have_no_gaps() -> None:
    resolved, made = Requirements().resolved()
    assert resolved.gaps() == [] and made


def test_yaml_round_trip_keeps_every_set_field() -> None:
    req = Requirements(
        name="x", interface="grpc", scale={"peak_rps": 7.5}, infrastructure={"must_use": ["django"]}
    )
    assert Requirements.from_yaml(req.to_yaml()) == req


def test_load_requirements_accepts_paths_dicts_and_models(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text("scale: {peak_rps: 3}\n")
    assert load_requirements(path) == load_requirements({"scale": {"peak_rps": 3}})
    req = Requirements()
    assert load_requirements(req) is req


def test_markdown_repr_lists_open_questions() -> None:
    md = Requirements(name="shop")._repr_markdown_()
    assert "**Requirements: shop**" in md and "open question" in md


values = st.one_of(
    st.none(),
    st.integers(-10, 10**7),
    st.floats(allow_nan=True),
    st.text(max_size=5),
    st.lists(st.text(max_size=3), max_size=2),
)


fields = st.sampled_from(
    ["peak_rps", "avg_rps", "p50_ms", "p99_ms", "cpu_ms_per_request", "kind", "typo"]
)
sections = st.sampled_from(["scale", "latency", "workload", "name", "extra"])


@given(st.dictionaries(sections, st.one_of(values, st.dictionaries(fields, values))))
def test_any_mapping_gives_requirements_or_a_requirements_error(data: dict[str, object]) -> None:
    try:
        Requirements.parse(data)
    except RequirementsError as exc:
        assert str(exc)
