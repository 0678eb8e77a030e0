"""The slow jobs of CI: executing the notebooks with nbmake, and building the docs with mkdocs.

Each runs on copies in a temporary folder, so the checkout is not touched; the baselines are the
same jobs on empty notebooks (the kernel-start floor) and on the site without the notebooks.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, Row, Skipped, median

EMPTY_NOTEBOOK = {
    "cells": [
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "empty",
            "metadata": {},
            "outputs": [],
            "source": ["pass"],
        }
    ],
    "metadata": {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    },
    "nbformat": 4,
    "nbformat_minor": 5,
}


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "PYT_ARCH_"))}
    env.pop("MPLBACKEND", None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _timed(cmd: list[str], cwd: Path, timeout: float) -> float:
    start = time.perf_counter()
    result = subprocess.run(
        cmd, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout, check=False
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        tail = (result.stdout + result.stderr).strip().splitlines()[-5:]
        raise RuntimeError(f"{' '.join(cmd[:6])}… failed in {cwd}:\n" + "\n".join(tail))
    return elapsed


def notebooks(repeats: int) -> list[Row] | Skipped:
    """``pytest --nbmake`` on the worked notebooks vs as many empty ones, serial and ``-n 2``."""
    group = "Notebook CI (pytest --nbmake)"
    sources = sorted((ROOT / "notebooks").glob("*.ipynb"))
    if not sources:
        return Skipped(group, "no notebooks in notebooks/ yet")
    with tempfile.TemporaryDirectory(prefix="bench-nb-") as tmp:
        work = Path(tmp) / "worked"
        shutil.copytree(
            ROOT / "notebooks", work, ignore=shutil.ignore_patterns(".ipynb_checkpoints")
        )
        empty = Path(tmp) / "empty"
        empty.mkdir()
        for i in range(len(sources)):
            (empty / f"{i:02d}-empty.ipynb").write_text(json.dumps(EMPTY_NOTEBOOK))
        base = [sys.executable, "-m", "pytest", "--nbmake", "-q", "-p", "no:cacheprovider"]
        rows: list[Row] = []
        for workers in ([], ["-n", "2"]):
            label = "serial" if not workers else "-n 2"
            ours = [_timed([*base, *workers, str(work)], work, 1800) for _ in range(repeats)]
            floor = [_timed([*base, *workers, str(empty)], empty, 600) for _ in range(repeats)]
            rows.append(
                Row(
                    group,
                    f"{len(sources)} worked notebooks, {label}",
                    median(ours),
                    "s",
                    f"{len(sources)} empty notebooks, {label}",
                    median(floor),
                    note=f"median of {repeats}",
                )
            )
    return rows


def _without_notebooks(config: str) -> str:
    """The same mkdocs.yml with the worked-example pages left out of the nav."""
    kept = [
        line
        for line in config.splitlines()
        if not re.match(r"\s*- [^:]+: notebooks/\S+\.ipynb\s*$", line)
        and not re.match(r"\s*- Worked examples:\s*$", line)
    ]
    return "\n".join(kept) + "\n"


def docs(repeats: int) -> list[Row] | Skipped:
    """``mkdocs build`` of the site with the executed notebooks vs the same site without them."""
    group = "Docs build (mkdocs build)"
    if not (ROOT / "mkdocs.yml").is_file():
        return Skipped(group, "mkdocs.yml is not there yet")
    executed = sorted((ROOT / "docs" / "notebooks").glob("*.ipynb"))
    if not executed:
        return Skipped(group, "no executed notebooks in docs/notebooks/; run bash scripts/docs.sh")
    with tempfile.TemporaryDirectory(prefix="bench-docs-") as tmp:
        full = Path(tmp) / "full"
        bare = Path(tmp) / "bare"
        for target in (full, bare):
            shutil.copytree(ROOT / "docs", target / "docs")
            shutil.copy2(ROOT / "mkdocs.yml", target / "mkdocs.yml")
            shutil.copy2(ROOT / "README.md", target / "README.md")
        shutil.rmtree(bare / "docs" / "notebooks")
        cfg = bare / "mkdocs.yml"
        cfg.write_text(_without_notebooks(cfg.read_text(encoding="utf-8")), encoding="utf-8")
        cmd = [sys.executable, "-m", "mkdocs", "build", "-q", "--no-strict", "-d", "out"]
        with_nb = [_timed(cmd, full, 900) for _ in range(repeats)]
        without = [_timed(cmd, bare, 900) for _ in range(repeats)]
    return [
        Row(
            group,
            f"site with {len(executed)} executed notebooks",
            median(with_nb),
            "s",
            "same site without the notebooks",
            median(without),
            note=f"median of {repeats}; mkdocs-jupyter renders, does not execute",
        )
    ]
