"""The worked notebooks are committed clean: ipykernel's metadata, no outputs, no widget state.

JupyterLab shows a notebook as modified the moment it opens if its kernelspec or language_info
differ from what the kernel reports; the browser test opens one and checks it is not.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_a_notebook_carries_what_the_kernel_reports_and_nothing_run(path: Path) -> None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    meta = nb["metadata"]
    assert meta["kernelspec"] == {
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "name": "python3",
    }
    assert set(meta["language_info"]) == {
        "codemirror_mode",
        "file_extension",
        "mimetype",
        "name",
        "nbconvert_exporter",
        "pygments_lexer",
        "version",
    }
    assert "widgets" not in meta
    for cell in nb["cells"]:
        assert "id" in cell
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


def test_the_normaliser_has_nothing_left_to_change() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "normalise-notebooks.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_cell_ids_are_unique(path: Path) -> None:
    """nbformat requires it; JupyterLab and nbconvert warn and may renumber a duplicate."""
    ids = [cell.get("id") for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


def test_the_quick_start_points_at_every_other_notebook() -> None:
    text = (ROOT / "notebooks" / "01-quick-start.ipynb").read_text(encoding="utf-8")
    where = text[text.index("## Where next") :]
    for path in NOTEBOOKS[1:]:
        number, name = path.stem.split("-", 1)
        assert f"**{number} {name}**" in where, path.name
