"""Check the Technology Stack's version ranges against the package index.

Fails (exit 1) when

* a range in ``pyt_arch_kit/writer/pins.py`` excludes the newest release of its package, as
  listed in the pins table or as served by the index today; or
* the rows of a design's stack do not install together (``pip install --dry-run --report`` on
  a CPython >= 3.12, for each distinct stack of the designs in ``tests/verify/designs.py``,
  which take every branch of the writer).

It prints what to change. It uses the package index, as installs do.

    python scripts/check_pins.py [--jobs 2]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from packaging.requirements import Requirement  # noqa: E402
from packaging.version import Version  # noqa: E402

from pyt_arch_kit.writer.pins import CHECKED, NEWEST, RANGES  # noqa: E402
from tests.verify.designs import plans  # noqa: E402
from tests.verify.venvs import python312, requirements  # noqa: E402

UV = shutil.which("uv")
UV_ENV = {**os.environ, "UV_CACHE_DIR": str(ROOT / ".cache" / "verify-venvs" / "uv-cache")}


def _uv_compile(python: str, lines: list[str], no_deps: bool = False) -> dict[str, str]:
    """``uv pip compile``: the resolved ``name → version`` (raises on a failed resolution)."""
    assert UV is not None
    done = subprocess.run(
        [
            UV,
            "pip",
            "compile",
            "--quiet",
            "--no-header",
            "--no-annotate",
            "--python",
            python,
            *(["--no-deps"] if no_deps else []),
            "-",
        ],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        env=UV_ENV,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip()[-1500:] or "failed")
    pinned = (line.split("==") for line in done.stdout.splitlines() if "==" in line)
    return {name.split("[")[0].strip().lower(): version.strip() for name, version in pinned}


def newest_on_index(python: str, name: str) -> str | None:
    """The newest release of ``name`` that installs on this Python."""
    if UV is not None:
        try:
            return _uv_compile(python, [name], no_deps=True).get(name.lower())
        except RuntimeError:
            return None
    done = subprocess.run(
        [python, "-m", "pip", "index", "versions", name], capture_output=True, text=True
    )
    match = re.search(r"\(([^)]+)\)", done.stdout)
    return match.group(1) if match else None


def check_ranges(python: str, jobs: int) -> list[str]:
    problems = []
    names = {Requirement(f"{key}{spec}").name: (key, spec) for key, spec in RANGES.items()}
    with ThreadPoolExecutor(jobs) as pool:
        served = dict(
            zip(names, pool.map(lambda n: newest_on_index(python, n), names), strict=False)
        )
    for name, (key, spec) in sorted(names.items()):
        specifier = Requirement(f"{key}{spec}").specifier
        listed = NEWEST.get(name)
        if listed is None:
            problems.append(f"{name}: no newest release listed in pins.NEWEST")
        elif not specifier.contains(listed, prereleases=True):
            problems.append(f"{key}{spec} excludes {listed}, the newest on {CHECKED}")
        now = served.get(name)
        if now is None:
            problems.append(f"{name}: the index lists no release")
        elif not specifier.contains(now, prereleases=True):
            problems.append(f"{key}{spec} excludes {name} {now}, the newest on the index today")
        elif listed and Version(now) > Version(listed):
            print(f"note: {name} {now} is out (pins table: {listed}); the range admits it")
    return problems


def _resolved(python: str, lines: list[str]) -> dict[str, str]:
    """The whole stack resolved together: ``pip install --dry-run --report`` (or uv's
    resolver, the same one the verification venvs use, when uv is installed)."""
    if UV is not None:
        return _uv_compile(python, lines)
    with tempfile.TemporaryDirectory() as tmp:
        reqs, report = Path(tmp) / "requirements.txt", Path(tmp) / "report.json"
        reqs.write_text("\n".join(lines) + "\n")
        done = subprocess.run(
            [
                python,
                "-m",
                "pip",
                "install",
                "--dry-run",
                "--quiet",
                "--ignore-installed",
                "--report",
                str(report),
                "-r",
                str(reqs),
            ],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise RuntimeError(done.stderr.strip()[-1500:] or "failed")
        installed = json.loads(report.read_text())["install"]
        return {item["metadata"]["name"].lower(): item["metadata"]["version"] for item in installed}


def resolve(python: str, lines: list[str]) -> str | None:
    """None when the stack resolves with every package at its newest release; else why not."""
    try:
        got = _resolved(python, lines)
    except RuntimeError as exc:
        return f"does not resolve: {exc}"
    lagging = [
        f"{name} {got[name.lower()]} (newest {NEWEST[name]})"
        for name in NEWEST
        if name.lower() in got
        and any(Requirement(line).name.lower() == name.lower() for line in lines)
        and Version(got[name.lower()]) < Version(NEWEST[name])
    ]
    if lagging:
        return "resolves, but holds back " + ", ".join(lagging)
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    python = python312()
    if python is None:
        print("check_pins: no CPython >= 3.12 found (the stacks require it)", file=sys.stderr)
        return 2
    problems = check_ranges(python, args.jobs)
    stacks: dict[tuple[str, ...], list[str]] = {}
    for name, plan in plans().items():
        stacks.setdefault(tuple(requirements(plan)), []).append(name)
    with ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(lambda lines: resolve(python, list(lines)), stacks))
    for (lines, names), result in zip(stacks.items(), results, strict=True):
        if result is not None:
            problems.append(f"stack of {', '.join(names)}: {result}\n    " + " ".join(lines))
    for problem in problems:
        print(f"check_pins: {problem}", file=sys.stderr)
    print(
        f"check_pins: {len(RANGES)} ranges (checked {CHECKED}), {len(stacks)} stacks: "
        + ("ok" if not problems else f"{len(problems)} problem(s)")
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
