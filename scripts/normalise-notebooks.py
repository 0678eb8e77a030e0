"""Give the worked notebooks the metadata JupyterLab writes, so that they open unmodified.

JupyterLab replaces a notebook's ``kernelspec`` and ``language_info`` with what the kernel reports
as soon as it connects, and shows the notebook as modified when they differ: "Python 3" is not
ipykernel's "Python 3 (ipykernel)", and ``{"name": "python"}`` lacks the six other fields
ipykernel reports. This writes exactly ipykernel's values (the Python version being this
interpreter's: on another patch version JupyterLab still updates that one field). Outputs,
execution counts and widget state are cleared too: the notebooks are executed by the docs build.

    python3 scripts/normalise-notebooks.py          # rewrite notebooks/*.ipynb in place
    python3 scripts/normalise-notebooks.py --check  # exit 1 naming any that would change
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def language_info() -> dict[str, object]:
    """What ipykernel reports for this interpreter (ipykernel.ipkernel.IPythonKernel)."""
    return {
        "codemirror_mode": {"name": "ipython", "version": 3},
        "file_extension": ".py",
        "mimetype": "text/x-python",
        "name": "python",
        "nbconvert_exporter": "python",
        "pygments_lexer": "ipython3",
        "version": sys.version.split()[0],
    }


def normalised(nb: dict[str, object]) -> dict[str, object]:
    """The notebook with ipykernel's metadata and no outputs, counts or widget state.

    A Python version already recorded is kept, so that the files do not change from machine to
    machine.
    """
    nb = json.loads(json.dumps(nb))
    meta = nb.setdefault("metadata", {})
    assert isinstance(meta, dict)
    meta.pop("widgets", None)
    meta["kernelspec"] = dict(KERNELSPEC)
    info = language_info()
    old = meta.get("language_info")
    if isinstance(old, dict) and isinstance(old.get("version"), str):
        info["version"] = old["version"]
    meta["language_info"] = info
    cells = nb.get("cells", [])
    assert isinstance(cells, list)
    for cell in cells:
        if cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
    return nb


def dumps(nb: dict[str, object]) -> str:
    """JSON as JupyterLab writes it (one-space indent, sorted keys, a final newline)."""
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> int:
    check = "--check" in sys.argv[1:]
    changed = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        text = path.read_text(encoding="utf-8")
        new = dumps(normalised(json.loads(text)))
        if new != text:
            changed.append(path.relative_to(ROOT).as_posix())
            if not check:
                path.write_text(new, encoding="utf-8")
    if check and changed:
        print("not normalised (run python3 scripts/normalise-notebooks.py):", *changed)
        return 1
    print(("would change: " if check else "normalised: ") + (", ".join(changed) or "nothing"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
