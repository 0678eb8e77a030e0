"""`--order-seed` (scripts/repeat.sh): the same seed gives the same shuffled order, another seed
another one, and without it the tests run in file order."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BODY = "\n".join(f"def test_{n:02d}():\n    print('ran {n:02d}')\n" for n in range(12))


def _order(tmp_path: Path, *args: str) -> list[str]:
    (tmp_path / "test_many.py").write_text(BODY)
    (tmp_path / "conftest.py").write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from tests.conftest import pytest_addoption, pytest_collection_modifyitems\n"
    )
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    return [line.split()[-1] for line in out.stdout.splitlines() if "ran " in line]


def test_order_seed_shuffles_reproducibly(tmp_path: Path) -> None:
    plain = _order(tmp_path)
    assert plain == [f"{n:02d}" for n in range(12)]
    seven = _order(tmp_path, "--order-seed", "7")
    assert sorted(seven) == plain and seven != plain
    assert _order(tmp_path, "--order-seed", "7") == seven
    assert _order(tmp_path, "--order-seed", "8") != seven
