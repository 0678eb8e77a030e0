"""The verification suite's cost: ``scripts/verify.sh`` from an empty venv cache (as CI runs it)
and again with the cache warm, and the pin check on its own."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path

from common import ROOT, Row, Skipped

GROUP = "Verification suite (scripts/verify.sh)"
BUDGET_S = 30 * 60  # the whole README test command must stay under 30 minutes


def _run(cmd: list[str], env: dict[str, str], timeout: float) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).strip().splitlines()[-8:]
        raise RuntimeError(f"{' '.join(cmd)} failed:\n" + "\n".join(tail))
    return elapsed


def verify_suite(repeats: int) -> list[Row] | Skipped:
    """Wall time of the suite cold (CI's case) and warm; the pin check alone.

    Each run takes minutes, so the warm run is repeated at most twice, whatever ``repeats``.
    """
    if os.geteuid() != 0 and not Path("/usr/lib/postgresql/15/bin/pg_ctl").exists():
        return Skipped(GROUP, "needs PostgreSQL 15 from Debian (or root to install it)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "PYT_ARCH_"))}
    with tempfile.TemporaryDirectory(prefix="bench-verify-") as cache:
        env["PYT_ARCH_VERIFY_CACHE"] = cache
        cold = _run(["bash", "scripts/verify.sh"], env, 5400)
        runs = max(1, min(2, repeats))
        warm = sorted(_run(["bash", "scripts/verify.sh"], env, 3600) for _ in range(runs))
        pins = _run(["python3", "scripts/check_pins.py"], env, 1800)
    warm_median = warm[len(warm) // 2]
    return [
        Row(
            GROUP,
            "suite + pin check, empty venv cache (CI)",
            cold,
            "s",
            "same, venvs cached",
            warm_median,
            target=f"whole test command ≤ {BUDGET_S // 60} min",
            note="the difference is installing every stack (uv, one download per package)",
        ),
        Row(GROUP, "pin check alone (uv resolver)", pins, "s", note="uses the package index"),
    ]
