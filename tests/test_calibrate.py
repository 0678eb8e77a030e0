"""`pyt-arch calibrate` and `pyt_arch_kit.calibrate`: measured timings in, workload fields out.

The locust fixtures in tests/calibrate_data/ carry locust's own column headers (StatsCSV's
``requests_csv_columns`` and ``stats_history_csv_columns``, locust 2.x): an Aggregated row with an
empty Type, float means and rates, integer percentiles, ``N/A`` where no request was made yet.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from pyt_arch_kit import Requirements, calibrate, plan
from pyt_arch_kit.calibration import (
    CalibrationError,
    Measurements,
    read_locust,
    read_measurements,
    read_timings,
    update_requirements_text,
)
from pyt_arch_kit.cli import MAX_MEASURED_BYTES, main
from pyt_arch_kit.planning.tail import ResponseTime

DATA = Path(__file__).parent / "calibrate_data"
STATS = DATA / "run1_stats.csv"
HISTORY = DATA / "run1_stats_history.csv"

COMMENTED = """\
# the orders service, as we guessed it before the load test
name: orders
scale:
  peak_rps: 500   # Black Friday
workload:
  kind: io
  cpu_ms_per_request: 4  # a guess
  db_calls_per_request: 2
infrastructure:
  cores_per_instance: 4
"""


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def gamma_timings(n: int, mean: float, cv: float, seed: int = 7) -> list[float]:
    rng = random.Random(seed)
    k = 1 / (cv * cv)
    return [rng.gammavariate(k, mean / k) for _ in range(n)]


def write_timings(path: Path, values: list[float]) -> Path:
    path.write_text("\n".join(f"{v:.3f}" for v in values) + "\n", encoding="utf-8")
    return path


# -- reading locust's CSVs ------------------------------------------------------------------


def test_locust_stats_reads_the_aggregated_row_by_default() -> None:
    m = read_locust(STATS.read_text(encoding="utf-8"))
    assert (m.count, m.mean_ms, m.median_ms, m.p99_ms) == (2000, 46.916, 35, 190)
    assert m.rps == pytest.approx(6.6561) and m.failures == 2
    assert "Aggregated" in m.source


def test_locust_row_is_picked_by_type_and_name_and_an_ambiguous_name_is_refused() -> None:
    text = STATS.read_text(encoding="utf-8")
    post = read_locust(text, name="POST /orders")
    assert (post.count, post.p99_ms) == (500, 210)
    with pytest.raises(CalibrationError, match=r"2 rows are named '/orders'.*--name 'GET /orders'"):
        read_locust(text, name="/orders")
    with pytest.raises(CalibrationError, match=r"no row named '/cart'.*check --name"):
        read_locust(text, name="/cart")


def test_locust_history_uses_its_last_row_with_the_run_totals() -> None:
    m = read_measurements(HISTORY.read_text(encoding="utf-8"))
    assert (m.count, m.mean_ms, m.p99_ms) == (2000, 46.916, 190)
    assert "history" in m.source


def test_the_cv_fitted_to_locust_percentiles_reproduces_its_p99() -> None:
    cal = calibrate(read_locust(STATS.read_text(encoding="utf-8")), cpu_ms=5)
    fitted = ResponseTime(0.0, 0.0, 46.916 / 1000, cal.total_cv).quantile(0.99) * 1000
    assert fitted == pytest.approx(190, rel=0.01)
    assert (cal.cpu_ms_per_request, cal.io_wait_ms_per_request) == (5.0, 41.92)
    assert any("gamma" in line for line in cal.method)


@pytest.mark.parametrize(
    ("p99_ms", "note"),
    [(1000.0, "beyond any gamma's"), (5.0, "the p99 is below the mean")],
)
def test_locust_figures_no_gamma_fits_are_said_so(p99_ms: float, note: str) -> None:
    m = Measurements(count=1000, mean_ms=10, median_ms=4, p99_ms=p99_ms, cv=None)
    cal = calibrate(m, cpu_ms=1)
    assert any(note in n for n in cal.notes)
    assert 0 <= cal.service_cv <= 10


def test_a_csv_that_is_not_locusts_names_the_missing_columns() -> None:
    text = "Type,Name,Request Count,Median Response Time\nGET,/a,3,4\n"
    with pytest.raises(CalibrationError, match=r"line 1: not a locust stats CSV.*'99%'"):
        read_measurements(text)


def test_a_locust_cell_that_is_not_a_number_names_its_line_and_column() -> None:
    text = STATS.read_text(encoding="utf-8").replace(",46.916,", ",fast,")
    with pytest.raises(CalibrationError, match=r"line 4, column 'Average Response Time'"):
        read_locust(text)


# -- reading timings ------------------------------------------------------------------------


def test_timings_one_a_line_give_mean_median_p99_and_cv() -> None:
    m = read_timings("# ms\n" + "\n".join(str(x) for x in range(1, 101)) + "\n\n")
    assert (m.count, m.mean_ms, m.median_ms, m.p99_ms) == (100, 50.5, 50.5, 99)
    assert m.cv == pytest.approx(0.5716, abs=1e-3)


def test_timings_csv_needs_the_column_when_it_has_several() -> None:
    text = "url,elapsed_ms\n" + "\n".join(f"/a,{x}" for x in range(20, 40))
    assert read_timings(text, column="elapsed_ms").mean_ms == pytest.approx(29.5)
    with pytest.raises(CalibrationError, match=r"2 columns \(url, elapsed_ms\).*--column"):
        read_timings(text)
    with pytest.raises(CalibrationError, match=r"no column 'ms'"):
        read_timings(text, column="ms")


def test_a_one_column_csv_with_a_header_is_read_by_that_column() -> None:
    m = read_timings("elapsed_ms\n" + "\n".join(["12"] * 20))
    assert (m.count, m.mean_ms) == (20, 12.0) and "'elapsed_ms'" in m.source


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("10\n12\nabc\n", r"line 3: 'abc' is not a number"),
        ("ms,url\n" + "9" * 200_000 + ",/a\n", r"line 2: not readable as CSV \(field larger"),
        ("10\n-3\n", r"line 2: -3 is not a time"),
        ("10\nnan\n", r"line 2: nan is not a time"),
        ("10\n11\n", r"2 timing\(s\); give at least 10"),
    ],
)
def test_bad_timings_name_the_line_and_the_fix(text: str, message: str) -> None:
    with pytest.raises(CalibrationError, match=message):
        read_timings(text, column="ms" if text.startswith("ms,") else None)


def test_the_timing_count_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    import pyt_arch_kit.measured as module

    monkeypatch.setattr(module, "MAX_TIMINGS", 50)
    with pytest.raises(CalibrationError, match="more than 50 timings; give a sample"):
        read_timings("\n".join(["5"] * 51))


# -- estimating -----------------------------------------------------------------------------


def test_cpu_from_a_process_counter_is_split_over_the_requests() -> None:
    m = read_timings("\n".join(["40", "60"] * 50))
    cal = calibrate(m, cpu_seconds=0.8)  # 100 requests
    assert (cal.cpu_ms_per_request, cal.io_wait_ms_per_request) == (8.0, 42.0)
    assert any("0.8 CPU-seconds ÷ 100 requests" in line for line in cal.method)


def test_without_a_cpu_figure_it_says_which_options_give_one() -> None:
    with pytest.raises(CalibrationError, match=r"give --cpu-ms .* or --cpu-seconds"):
        calibrate(read_timings("\n".join(["40"] * 20)))


def test_cpu_above_the_mean_response_time_is_refused() -> None:
    with pytest.raises(CalibrationError, match=r"--cpu-ms: CPU per request \(50 ms\) is more"):
        calibrate(read_timings("\n".join(["40"] * 20)), cpu_ms=50)


def test_measuring_at_high_utilisation_is_warned_about() -> None:
    m = read_timings("\n".join(["40", "60"] * 50))
    cal = calibrate(m, cpu_ms=5, rps=60, workers=3)  # 60/s × 50 ms ÷ 3 = 1.0
    assert cal.utilisation == pytest.approx(1.0)
    assert any("queueing is in these times" in n for n in cal.notes)


def test_calibrated_plan_reproduces_the_measured_p50_and_p99_at_low_load() -> None:
    timings = gamma_timings(5000, mean=45, cv=0.8)
    m = read_timings("\n".join(f"{x:.3f}" for x in timings))
    cal = calibrate(m, cpu_ms=5)
    req = cal.apply(
        Requirements(name="x", scale={"peak_rps": 1}, infrastructure={"cores_per_instance": 1})
    )
    cap = plan(req).capacity
    assert cap.service_ms == pytest.approx(m.mean_ms, rel=1e-3)
    assert cap.p50_ms == pytest.approx(m.median_ms, rel=0.05)
    assert cap.p99_ms == pytest.approx(m.p99_ms, rel=0.05)


# -- writing requirements -------------------------------------------------------------------


def test_yaml_is_edited_in_place_keeping_every_comment() -> None:
    cal = calibrate(read_timings("\n".join(["40", "60"] * 50)), cpu_ms=6)
    text, notes, kept = update_requirements_text(COMMENTED, cal)
    assert kept and "edited in place: comments and layout kept" in notes
    assert "cpu_ms_per_request: 6  # a guess\n" in text
    untouched = [ln for ln in COMMENTED.splitlines() if "cpu_ms_per_request" not in ln]
    assert all(ln in text.splitlines() for ln in untouched)
    req = Requirements.from_yaml(text)
    assert (req.workload.io_wait_ms_per_request, req.workload.service_cv) == (44.0, 0.23)
    assert "workload.cpu_ms_per_request: 4 → 6" in notes


def test_a_flow_style_workload_is_rewritten_and_says_comments_are_lost() -> None:
    cal = calibrate(read_timings("\n".join(["40", "60"] * 50)), cpu_ms=6)
    text, notes, kept = update_requirements_text("# c\nname: a\nworkload: {kind: io}\n", cal)
    assert not kept and "comments and layout are not kept" in notes[-1]
    assert Requirements.from_yaml(text).workload.cpu_ms_per_request == 6


def test_cli_in_place_updates_the_file_and_the_next_plan_uses_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    req = tmp_path / "req.yaml"
    req.write_text(COMMENTED, encoding="utf-8")
    code, out, err = run(capsys, "calibrate", str(STATS), str(req), "--cpu-ms", "5", "--in-place")
    assert code == 0 and out == ""
    assert "wrote" in err and "comments and layout kept" in err
    text = req.read_text(encoding="utf-8")
    assert text.startswith("# the orders service") and "# Black Friday" in text
    code, out, _ = run(capsys, "plan", str(req), "--format", "json")
    assert code == 0
    planned = plan(Requirements.from_file(req))
    assert planned.resolved.workload.io_wait_ms_per_request == pytest.approx(41.92)
    assert planned.capacity.service_ms == pytest.approx(46.92)


def test_cli_in_place_refuses_to_drop_comments_of_a_flow_style_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    req = tmp_path / "req.yaml"
    req.write_text("# keep me\nname: a\nworkload: {kind: io}\n", encoding="utf-8")
    code, _, err = run(capsys, "calibrate", str(STATS), str(req), "--cpu-ms", "5", "--in-place")
    assert code == 2 and "use --out PATH" in err
    assert req.read_text(encoding="utf-8").startswith("# keep me")


def test_cli_out_writes_a_new_file_and_respects_an_existing_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = tmp_path / "calibrated.yaml"
    code, _, _ = run(
        capsys, "calibrate", str(HISTORY), "--preset", "io-bound-api", "--cpu-ms", "4",
        "--out", str(new),
    )  # fmt: skip
    assert code == 0
    assert Requirements.from_file(new).workload.service_cv is not None
    code, _, err = run(
        capsys, "calibrate", str(HISTORY), "--preset", "io-bound-api", "--cpu-ms", "4",
        "--out", str(new),
    )  # fmt: skip
    assert code == 2 and "--force" in err


def test_cli_updates_a_json_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    req = tmp_path / "req.json"
    req.write_text(json.dumps({"name": "a", "workload": {"kind": "io"}}), encoding="utf-8")
    code, _, err = run(capsys, "calibrate", str(STATS), str(req), "--cpu-ms", "5", "--in-place")
    assert code == 0 and "JSON has no comments" in err
    data = json.loads(req.read_text(encoding="utf-8"))
    assert data["workload"] == {
        "kind": "io",
        "cpu_ms_per_request": 5.0,
        "io_wait_ms_per_request": 41.92,
        "service_cv": data["workload"]["service_cv"],
    }


def test_cli_without_requirements_prints_the_workload_block_and_explains(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    timings = write_timings(tmp_path / "t.txt", gamma_timings(500, mean=30, cv=1.0))
    code, out, err = run(capsys, "calibrate", str(timings), "--cpu-seconds", "1.5")
    assert code == 0
    assert out.startswith("workload:\n  cpu_ms_per_request: 3\n")
    assert "1.5 CPU-seconds ÷ 500 requests" in err and "standard deviation ÷ mean" in err


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        ("10\nabc\n", ["--cpu-ms", "1"], "line 2: 'abc' is not a number"),
        ("\n".join(["40"] * 20), [], "give --cpu-ms"),
        ("\n".join(["40"] * 20), ["--cpu-ms", "90"], "is more than the mean"),
        ("\n".join(["40"] * 20), ["--cpu-ms", "1", "--in-place"], "--in-place updates"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: str,
    args: list[str],
    message: str,
) -> None:
    path = tmp_path / "t.txt"
    path.write_text(content, encoding="utf-8")
    code, out, err = run(capsys, "calibrate", str(path), *args)
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_cli_refuses_a_huge_file_without_reading_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as f:
        f.truncate(MAX_MEASURED_BYTES + 1)  # sparse: no disk used
    code, _, err = run(capsys, "calibrate", str(huge), "--cpu-ms", "1")
    assert code == 2 and "is larger than" in err


def test_cli_missing_and_binary_files_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "calibrate", str(tmp_path / "nope.csv"), "--cpu-ms", "1")
    assert code == 2 and "file not found" in err
    binary = tmp_path / "b.bin"
    binary.write_bytes(b"\xff\xfe\x00\x01" * 10)
    code, _, err = run(capsys, "calibrate", str(binary), "--cpu-ms", "1")
    assert code == 2 and "not UTF-8 text" in err
