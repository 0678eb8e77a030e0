"""``pyt-arch design`` as a user runs it, against the floor of any pydantic command line.

Each sample is a fresh interpreter, as a shell starts one: ``python -m pyt_arch_kit design
FILE`` with the offline writer, the ranked open questions included and the design checked, as
after ``pip install pyt_arch_kit`` (no mermaid beside it: the diagram check says it cannot run,
and the other checks run). The floor is a one-model pydantic command doing the same I/O: it
parses its arguments, reads the same YAML file, validates it into one pydantic model and writes
as many characters to stdout. The two are sampled alternately, so drift on the machine hits
both alike (issue 19: at most 2.5× the floor).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, Row, median

GROUP = "Command line (`pyt-arch design`, a fresh process each)"
TARGET = "≤ 2.5× the floor"

FLOOR = """\
import argparse, sys
import yaml
from pydantic import BaseModel, ConfigDict

class Requirements(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str = ""

parser = argparse.ArgumentParser(prog="floor")
parser.add_argument("file")
parser.add_argument("--chars", type=int, default=0)
args = parser.parse_args()
with open(args.file, encoding="utf-8") as handle:
    req = Requirements.model_validate(yaml.safe_load(handle))
sys.stdout.write(req.model_dump_json().ljust(args.chars) + "\\n")
"""

#: Few fields given: 24 open questions, 49 re-plans (the ranking's worst case is 64).
SPARSE = "name: sparse-api\ninterface: rest\n"


def _timed(cmd: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {done.stderr.strip()[-500:]}")
    return elapsed, done.stdout


def cli_design(samples: int, *, cases: int = 3) -> list[Row]:
    """Per case: the median wall time of the command against the floor's, sampled alternately.

    ``cases`` keeps the first few cases (``--quick`` runs one: each sample is two processes).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "PYT_ARCH_"))}
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp:
        env["PYT_ARCH_NODE_MODULES"] = str(Path(tmp) / "no-mermaid")  # as a PyPI install
        env["PYT_ARCH_STATE_DIR"] = str(Path(tmp) / "state")
        sparse = Path(tmp) / "sparse.yaml"
        sparse.write_text(SPARSE, encoding="utf-8")
        floor_py = Path(tmp) / "floor.py"
        floor_py.write_text(FLOOR, encoding="utf-8")
        preset = ROOT / "pyt_arch_kit" / "presets" / "io-bound-api.yaml"
        every = [
            ("io-bound-api (3 open questions, 4 re-plans)", preset, []),
            ("few fields given (24 open questions, 49 re-plans)", sparse, []),
            ("few fields given, `--no-verify`", sparse, ["--no-verify"]),
        ]
        for name, path, flags in every[:cases]:
            design = [sys.executable, "-m", "pyt_arch_kit", "design", str(path), *flags]
            _, text = _timed(design, env)  # warms the file cache, unmeasured
            floor = [sys.executable, str(floor_py), str(path), "--chars", str(len(text))]
            _timed(floor, env)
            ours: list[float] = []
            base: list[float] = []
            for _ in range(samples):
                ours.append(_timed(design, env)[0])
                base.append(_timed(floor, env)[0])
            rows.append(
                Row(
                    GROUP,
                    f"{name}: design",
                    median(ours),
                    "s",
                    "one-model pydantic CLI, same I/O",
                    median(base),
                    target=TARGET,
                    note=f"{len(text):,} characters written",
                )
            )
    return rows
