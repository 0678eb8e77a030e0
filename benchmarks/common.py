"""What every benchmark shares: a result row, medians and percentiles, the machine's description."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Row:
    """One figure: a median of repeated runs, next to a baseline measured in the same run.

    ``ratio`` is ``value / baseline``; ``None`` when the figure is not a time (a count, a
    fraction) or the baseline is zero.
    """

    group: str
    name: str
    value: float
    unit: str
    baseline_name: str = ""
    baseline: float | None = None
    target: str = ""
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline == 0:
            return None
        return self.value / self.baseline


@dataclass(frozen=True)
class Skipped:
    """A benchmark that did not run, and why."""

    group: str
    reason: str


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def percentile(samples: list[float], pct: float) -> float:
    """The ``pct`` percentile (nearest rank), e.g. ``percentile(xs, 99)``."""
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def repeat(fn: Callable[[], float], times: int) -> list[float]:
    """Run ``fn`` (which returns one measurement) ``times`` times."""
    return [fn() for _ in range(times)]


def fmt_value(value: float, unit: str) -> str:
    """A value with its unit, scaled for reading: 0.0123 s → 12.3 ms."""
    if unit == "s":
        if value < 1e-3:
            return f"{value * 1e6:,.0f} µs"
        if value < 1:
            return f"{value * 1e3:,.1f} ms"
        return f"{value:,.2f} s"
    if unit == "%":
        return f"{value:.1f} %"
    if unit == "chars":
        return f"{value:,.0f} chars"
    return f"{value:,.3g} {unit}".strip()


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gb() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GB"
    except OSError:
        pass
    return "?"


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        )
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"


def machine() -> dict[str, str]:
    """The machine and software the figures come from."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return {
        "CPU": f"{_cpu_model()} ({os.cpu_count()} logical cores)",
        "memory": _memory_gb(),
        "OS": f"{platform.system()} {platform.release()}",
        "Python": f"{platform.python_implementation()} {sys.version.split()[0]}",
        "packages": ", ".join(
            f"{d} {_version(d)}"
            for d in ("pyt_arch_kit", "pydantic", "anthropic", "ipywidgets", "nbmake", "mkdocs")
        ),
        "commit": _commit(),
        "load average at start": load,
    }
