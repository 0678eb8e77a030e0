"""One cached virtualenv per stack profile: the design's own Technology Stack, installed.

A venv is keyed by a hash of its requirement lines and the Python it runs on, and lives under
``.cache/verify-venvs/`` (override with ``PYT_ARCH_VERIFY_CACHE``); ``scripts/test.sh`` starts
CI from an empty cache. ``uv`` installs when it is there, ``pip`` otherwise.

With uv, every venv's files are hard links into one package cache (``uv-cache/`` beside the
venvs, so on the same filesystem), filled one install at a time: a package that 20 stacks share
takes its disk space once. ``scripts/verify.sh`` empties that package cache at the end (the
venvs keep their files, still shared between them), so the folder holds only the venvs, and
``du -sh`` of it, which counts a hard-linked file once, is the real cost. Venvs that no run has
used for :data:`KEEP_DAYS` days (stacks of older versions of the writer) are removed when the
next venv is built.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pyt_arch_kit.planning.model import Plan
from pyt_arch_kit.writer.stack import stack

__all__ = [
    "KEEP_DAYS",
    "NOT_ON_PYPI",
    "TOOLS",
    "cache_dir",
    "ensure",
    "prune",
    "python312",
    "requirements",
]

ROOT = Path(__file__).resolve().parents[2]
#: Stack rows that are not PyPI packages.
NOT_ON_PYPI = {
    "CPython",
    "PgBouncer",
    "TimescaleDB",
    "Pins checked",
    "concurrent.futures",
    "spark-sql-kafka-0-10",
}
#: What the suite itself needs in every venv beside the stack: the type checker and stubs.
TOOLS = ("mypy>=1.11", "types-cachetools")
#: A venv unused for this many days is removed (its stack is no longer any design's).
KEEP_DAYS = 7


def cache_dir() -> Path:
    """Where the venvs (and uv's download cache) live."""
    return Path(os.environ.get("PYT_ARCH_VERIFY_CACHE", ROOT / ".cache" / "verify-venvs"))


def _runs(python: str) -> bool:
    done = subprocess.run(
        [python, "-c", "import sys; assert sys.version_info >= (3, 12)"], capture_output=True
    )
    return done.returncode == 0


def python312() -> str | None:
    """A working CPython ≥ 3.12 (the stack's floor); else this interpreter (≥ 3.11), or None."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates = [str(p) for p in sorted(pyenv.glob("3.12*/bin/python3.12"), reverse=True)]
    candidates += [found for name in ("python3.12", "python3.13") if (found := shutil.which(name))]
    candidates += [str(p) for p in sorted(pyenv.glob("3.13*/bin/python3.13"), reverse=True)]
    candidates.append(sys.executable)
    found = next((c for c in candidates if _runs(c)), None)
    if found is None and sys.version_info >= (3, 11):
        # no 3.12 on this machine: verify on this interpreter rather than not at all
        print(f"note: no CPython >= 3.12 found; verifying on {sys.version.split()[0]}")
        return sys.executable
    return found


def requirements(plan: Plan) -> list[str]:
    """The stack's PyPI rows as requirement lines (``name range``), sorted."""
    lines = {f"{lib}{ver}" for lib, ver, _ in stack(plan) if lib not in NOT_ON_PYPI}
    return sorted(lines)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def prune(root: Path, keep_days: float = KEEP_DAYS) -> list[str]:
    """Remove the venvs under ``root`` that no run has used for ``keep_days``; their keys.

    A run touches a venv's ``.ready`` file each time it uses it. A venv is removed only under
    its own lock, taken without waiting: one that another run is building or using stays.
    """
    cutoff = time.time() - keep_days * 86400
    removed = []
    for ready in root.glob("*/.ready"):
        key = ready.parent.name
        try:
            if ready.stat().st_mtime >= cutoff:
                continue
        except FileNotFoundError:
            continue
        with (root / f"{key}.lock").open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue
            try:
                if ready.exists() and ready.stat().st_mtime < cutoff:
                    shutil.rmtree(ready.parent, ignore_errors=True)
                    (root / f"{key}.txt").unlink(missing_ok=True)
                    removed.append(key)
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
    return removed


def _run(step: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(step, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise RuntimeError(
            f"installing the stack failed ({' '.join(step[:3])} …):\n"
            + done.stdout[-3000:]
            + done.stderr[-3000:]
        )


def _keep_built_wheels(root: Path) -> list[str]:
    """Keep (hard-link) the wheels uv built from sdists in ``root/wheels``; the new ones' names.

    uv shares the files of a downloaded wheel between venvs, but unpacks a wheel it built from
    an sdist (pyspark: ~500 MB) anew for each venv. A built wheel offered with
    ``--find-links`` is a wheel like any other, unpacked once for every venv that installs it.
    """
    kept = root / "wheels"
    kept.mkdir(exist_ok=True)
    names = []
    for wheel in sorted(root.glob("uv-cache/sdists-v*/**/*.whl")):
        target = kept / wheel.name
        if not target.exists():
            os.link(wheel, target)
            names.append(wheel.name.split("-", 1)[0])
    return names


def ensure(reqs: list[str], python: str) -> Path:
    """The venv for these requirements, built once (safe across pytest-xdist workers).

    Raises:
        RuntimeError: if the install fails, with the installer's output.
    """
    lines = [*reqs, *TOOLS]
    version = subprocess.run(
        [python, "-c", "import sys; print(sys.version)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    key = hashlib.sha256("\n".join([version, *lines]).encode()).hexdigest()[:16]
    root = cache_dir()
    venv = root / key
    with _locked(root / f"{key}.lock"):
        if (venv / ".ready").exists():
            (venv / ".ready").touch()  # in use: prune() keeps it
            return venv
        shutil.rmtree(venv, ignore_errors=True)
        (root / f"{key}.txt").write_text("\n".join(lines) + "\n")
        uv = shutil.which("uv")
        env = {
            **os.environ,
            # the package cache beside the venvs (one filesystem), linked, never copied
            "UV_CACHE_DIR": str(root / "uv-cache"),
            "UV_LINK_MODE": "hardlink",
            "PIP_NO_INPUT": "1",
        }
        (root / "wheels").mkdir(exist_ok=True)
        install = [
            *(uv or "uv", "pip", "install", "--quiet", "--python", str(venv / "bin" / "python")),
            *("--find-links", str(root / "wheels")),
            *("-r", str(root / f"{key}.txt")),
        ]
        if uv:
            steps = [[uv, "venv", "--quiet", "--python", python, str(venv)], install]
        else:
            steps = [
                [python, "-m", "venv", str(venv)],
                [
                    str(venv / "bin" / "python"),
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "-r",
                    str(root / f"{key}.txt"),
                ],
            ]
        # One install at a time across workers: two at once would each unpack (or build from
        # its sdist: pyspark, ~1 GB) the same package, and the copies would not be shared.
        with _locked(root / "install.lock"):
            for step in steps:
                _run(step, env)
            if uv and (built := _keep_built_wheels(root)):
                # installed from what uv built, an unpacked copy of its own: relink it from
                # the kept wheel, as every later stack that needs it will be
                _run([*install, *(f"--reinstall-package={name}" for name in built)], env)
        (venv / ".ready").write_text("\n".join(lines) + "\n")
    prune(root)
    return venv
