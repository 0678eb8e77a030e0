"""`benchmarks/run.py --quick` works: it prints every figure and writes both result pages.

Benchmarks are not tests and the figures are not checked here; this only proves the command runs.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_quick_benchmark_run_prints_the_table_and_writes_both_pages(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "PYT_ARCH_"))}
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "run.py"),
            "--quick",
            "--output-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,  # a bound on a hung run; the quick run took over 120 s at load 18
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    for group in (
        "Import cost",
        "Offline design latency",
        "Streaming view",
        "Claude path",
    ):
        assert f"### {group}" in out, out
    rows = [ln for ln in out.splitlines() if ln.startswith("| ") and not ln.startswith("| figure")]
    assert len(rows) >= 15
    timed = [r for r in rows if re.search(r"\d(\.\d+)?×", r)]
    assert len(timed) >= 12  # every timed figure has its ratio to a baseline
    assert "not measured: Notebook CI" in out and "not measured: Docs build" in out
    assert "sk-ant-" not in out + result.stderr  # the fake server's key is never printed

    results, page = tmp_path / "RESULTS.md", tmp_path / "benchmarks.md"
    assert results.read_text(encoding="utf-8") == page.read_text(encoding="utf-8")
    text = page.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks") and "## Machine" in text
    # the machine table describes the machine it ran on, not a fixed one
    machine = dict(re.findall(r"^\| ([^|]+?) \| (.+) \|$", text.split("## Machine")[1], re.M))
    assert machine["CPU"].endswith(f"({os.cpu_count()} logical cores)"), machine
    assert machine["Python"].endswith(sys.version.split()[0]), machine
