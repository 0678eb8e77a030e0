"""The pyt-arch command: output, exit codes, and errors without tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pyt_arch_kit.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_design_preset_prints_markdown_with_six_sections(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "design", "--preset", "io-bound-api")
    assert code == 0
    assert out.startswith("# orders-api")
    assert out.count("\n## ") == 7 and "```mermaid" in out  # six sections, then the appendix
    assert "\n## Appendix: figures\n" in out


def test_design_json_is_valid_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "design", "--preset", "cpu-inference", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["complete"] and len(data["sections"]) == 6


def test_design_from_a_file_to_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    req = tmp_path / "req.yaml"
    req.write_text("name: shop\nscale: {peak_rps: 300}\n")
    out_file = tmp_path / "design.md"
    code, out, _ = run(capsys, "design", str(req), "--out", str(out_file))
    assert code == 0 and out == ""
    assert out_file.read_text().startswith("# shop")


def test_out_refuses_to_overwrite_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "design.md"
    target.write_text("keep me")
    code, _, err = run(capsys, "design", "--preset", "io-bound-api", "--out", str(target))
    assert code == 2 and "--force" in err
    assert target.read_text() == "keep me"
    code, _, _ = run(capsys, "design", "--preset", "io-bound-api", "--out", str(target), "--force")
    assert code == 0 and target.read_text().startswith("# orders-api")


def test_presets_lists_one_a_line_name_first(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "presets")
    lines = out.splitlines()
    assert code == 0 and len(lines) >= 6
    assert lines[0].split()[0] == "big-data-pipeline"


def test_persona_shows_name_model_and_source(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "persona")
    assert code == 0
    assert "pyt-arch" in out and "sonnet → claude-" in out and "builtin:pyt-arch" in out


def test_gaps_lists_questions_with_assumptions(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "gaps", "--preset", "cpu-inference")
    assert code == 0 and "scale.data_gb" in out and "assuming 10" in out


def test_plan_json_carries_formulas(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "plan", "--preset", "io-bound-api", "--format", "json")
    figures = {f["key"]: f for f in json.loads(out)["figures"]}
    assert code == 0 and figures["in_flight"]["formula"] == "L = λ · W"


BAD_INPUTS = [
    ("latency: {p50_ms: 100, p99_ms: 50}\n", "latency.p99_ms"),
    ("scale: {peak_rps: 10, avg_rps: 20}\n", "scale.avg_rps"),
    ("scale: {peak_rps: -5}\n", "scale.peak_rps"),
    ("scale: {data_gb: -1}\n", "scale.data_gb"),
    ("scale: {peak_rsp: 10}\n", "did you mean 'peak_rps'"),
    ("colour: blue\n", "unknown field 'colour'"),
    ("scale: {peak_rps: lots}\n", "must be a number"),
    ("consistency: {priority: eventual}\n", "consistency.priority"),
    ("workload: {kind: gpu}\n", "workload.kind"),
    ("scale: [1, 2]\n", "scale"),
    ("- just\n- a list\n", "expected a mapping"),
    ("scale: {peak_rps: 10\n", "not valid YAML"),
    ("latency: {availability_pct: 100}\n", "latency.availability_pct"),
    ("infrastructure: {must_use: [kafka], must_avoid: [Kafka]}\n", "must_avoid"),
]


@pytest.mark.parametrize(("content", "named"), BAD_INPUTS)
def test_bad_input_exits_2_with_a_message_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, named: str
) -> None:
    req = tmp_path / "req.yaml"
    req.write_text(content)
    code, out, err = run(capsys, "design", str(req))
    assert code == 2, err
    assert named in err
    assert "Traceback" not in err and out == ""


def exit_code(argv: list[str]) -> int:
    """main()'s return value, or the code argparse exits with."""
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)


@pytest.mark.parametrize(
    "argv",
    [
        ["design"],
        ["design", "missing.yaml"],
        ["design", "--preset", "nope"],
        ["design", "x.yaml", "--preset", "io-bound-api"],
        ["design", "--preset", "io-bound-api", "--backend", "carrier-pigeon"],
        ["design", "--preset", "io-bound-api", "--persona", "no-such-agent.md"],
        ["design", "--preset", "io-bound-api", "--out", "/no/such/dir/d.md"],
        ["frobnicate"],
    ],
)
def test_usage_mistakes_exit_2_in_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    assert exit_code(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("pyt-arch") and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_real_subprocess_exit_codes_and_no_traceback(tmp_path: Path) -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "pyt_arch_kit", "design", "--preset", "payments-ledger"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0 and "SERIALIZABLE" in ok.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("latency: {p50_ms: 9, p99_ms: 3}\n")
    failed = subprocess.run(
        ["pyt-arch", "design", str(bad)], capture_output=True, text=True, check=False
    )
    assert failed.returncode == 2
    assert "latency.p99_ms" in failed.stderr and "Traceback" not in failed.stderr


def test_help_is_available_everywhere(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (
        ["--help"],
        ["design", "--help"],
        ["plan", "--help"],
        ["gaps", "--help"],
        ["presets", "--help"],
        ["persona", "--help"],
    ):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 0
        assert "usage: pyt-arch" in capsys.readouterr().out
