"""The verification venvs' housekeeping (fast: no install, no service; runs with the unit tests)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from tests.verify.venvs import KEEP_DAYS, _keep_built_wheels, _locked, prune


def _venv(root: Path, key: str, days_unused: float) -> Path:
    venv = root / key
    venv.mkdir(parents=True)
    (venv / ".ready").write_text("pydantic>=2.7,<3\n")
    (root / f"{key}.txt").write_text("pydantic>=2.7,<3\n")
    then = time.time() - days_unused * 86400
    os.utime(venv / ".ready", (then, then))
    return venv


def test_a_venv_no_run_used_for_a_week_is_removed_and_a_recent_one_kept(tmp_path: Path) -> None:
    stale = _venv(tmp_path, "0123456789abcdef", KEEP_DAYS + 1)
    recent = _venv(tmp_path, "fedcba9876543210", 1)
    assert prune(tmp_path) == ["0123456789abcdef"]
    assert not stale.exists() and not (tmp_path / "0123456789abcdef.txt").exists()
    assert (recent / ".ready").exists()


def test_a_stale_venv_another_run_holds_is_kept(tmp_path: Path) -> None:
    stale = _venv(tmp_path, "0123456789abcdef", KEEP_DAYS + 1)
    with _locked(tmp_path / "0123456789abcdef.lock"):  # another run is building or using it
        assert prune(tmp_path) == []
    assert (stale / ".ready").exists()


def test_a_wheel_uv_built_from_an_sdist_is_kept_once_for_the_later_installs(
    tmp_path: Path,
) -> None:
    built = tmp_path / "uv-cache" / "sdists-v11" / "pypi" / "pyspark" / "4.3.0" / "rev1"
    built.mkdir(parents=True)
    (built / "pyspark-4.3.0-py2.py3-none-any.whl").write_bytes(b"PK")
    assert _keep_built_wheels(tmp_path) == ["pyspark"]
    kept = tmp_path / "wheels" / "pyspark-4.3.0-py2.py3-none-any.whl"
    assert kept.read_bytes() == b"PK" and kept.stat().st_nlink == 2  # a hard link, no copy
    assert _keep_built_wheels(tmp_path) == []  # already kept: nothing to relink
