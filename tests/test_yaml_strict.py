"""Requirements files mean what they say: no YAML 1.1 surprises, no silently dropped keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from pyt_arch_kit import Requirements, RequirementsError
from pyt_arch_kit.cli import main


def problems(text: str) -> list[tuple[str, str]]:
    with pytest.raises(RequirementsError) as info:
        Requirements.from_yaml(text, source="r.yaml")
    return info.value.problems


@pytest.mark.parametrize(
    ("text", "field", "line"),
    [
        ("scale: {peak_rps: 10}\nscale: {peak_rps: 20}\n", "scale", "line 2"),
        ("scale:\n  peak_rps: 10\n  avg_rps: 5\n  peak_rps: 20\n", "scale.peak_rps", "line 4"),
        ("name: a\nsummary: b\nname: c\n", "name", "line 3"),
        ("proposed: {technologies: [a], notes: x, notes: y}\n", "proposed.notes", "line 1"),
    ],
)
def test_a_key_given_twice_is_an_error_naming_it(text: str, field: str, line: str) -> None:
    ((where, message),) = problems(text)
    assert where == field and line in message and "twice" in message


def test_a_key_given_twice_in_json_is_an_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text('{"scale": {"peak_rps": 1, "peak_rps": 2000}}')
    with pytest.raises(RequirementsError) as info:
        Requirements.from_file(path)
    ((where, message),) = info.value.problems
    assert where == "peak_rps" and "twice" in message


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("scale: {peak_rps: true}\n", "scale.peak_rps"),
        ("scale: {read_ratio: false}\n", "scale.read_ratio"),
        ("infrastructure: {cores_per_instance: True}\n", "infrastructure.cores_per_instance"),
        ("workload: {fanout_calls: true}\n", "workload.fanout_calls"),
    ],
)
def test_a_boolean_where_a_number_belongs_is_an_error(text: str, field: str) -> None:
    ((where, message),) = problems(text)
    assert where == field and "yes/no" in message and "must be a number" in message


def test_a_boolean_in_json_where_a_number_belongs_is_an_error() -> None:
    with pytest.raises(RequirementsError, match=r"scale\.peak_rps: is true"):
        Requirements.parse(json.loads('{"scale": {"peak_rps": true}}'))


@pytest.mark.parametrize("value", ["1:30", "1:30:00", "-2:05.5"])
def test_a_sexagesimal_number_is_an_error_not_a_base_60_value(value: str) -> None:
    ((where, message),) = problems(f"scale: {{peak_rps: {value}}}\n")
    assert where == "scale.peak_rps" and "base-60" in message and value in message


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "y", "n"])
def test_yaml_11_yes_and_no_are_not_numbers(word: str) -> None:
    ((where, message),) = problems(f"latency: {{p99_ms: {word}}}\n")
    assert where == "latency.p99_ms" and "must be a number" in message


def test_yaml_12_values_read_as_written() -> None:
    req = Requirements.from_yaml(
        "name: on\nsummary: 1:30\ninfrastructure: {cores_per_instance: 010}\n"
        "scale: {peak_rps: 0x10, avg_rps: 1e1}\n"
    )
    assert req.name == "on" and req.summary == "1:30"
    assert req.infrastructure.cores_per_instance == 10  # decimal, not octal 8
    assert req.scale.peak_rps == 16 and req.scale.avg_rps == 10


def test_a_name_must_be_one_line() -> None:
    ((where, message),) = problems('name: "orders\\n## System Diagram"\n')
    assert where == "name" and "one line" in message
    with pytest.raises(ValueError, match="name"):  # the model itself refuses it too
        Requirements(name="a\x1b[31mred")


SEVERAL = (
    "name: [not, a, string]\n"
    "summary: " + "x" * 4100 + "\n"
    "scale: {peak_rps: true, avg_rps: 1:30}\n"
    "proposed: {technologies: kafka}\n"
)


def test_several_problems_print_one_clear_line_each_with_a_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(SEVERAL)
    assert main(["design", str(path)]) == 2
    lines = capsys.readouterr().err.splitlines()
    fields = ["name", "summary", "scale.peak_rps", "scale.avg_rps", "proposed.technologies"]
    assert len(lines) == len(fields), lines
    for field in fields:
        assert sum(f": {field}: " in line for line in lines) == 1, (field, lines)
    for line in lines:
        assert line.startswith(f"pyt-arch: error: {path}: ")
        assert "; " in line.split(": ", 3)[-1], line  # each says what to do
        assert "Input should be" not in line and len(line) < 300


def test_the_magic_prints_one_line_per_problem_too() -> None:
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "pyt_arch_kit")
    with capture_output() as captured:
        shell.run_cell_magic("architect", "", SEVERAL)
    lines = captured.stderr.splitlines()
    assert len(lines) == 5 and all(ln.startswith("pyt-arch: %%architect: ") for ln in lines)
