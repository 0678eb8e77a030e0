"""Lay a design's code blocks out as files, and run checks on them inside the stack's venv."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from pyt_arch_kit.planning.model import Plan
from pyt_arch_kit.writer import write_design
from pyt_arch_kit.writer.code import Profile, profile

__all__ = ["Block", "Project", "blocks", "layout"]

INSIDE = Path(__file__).resolve().parent / "inside"
_FENCE = re.compile(r"```python\n(.*?)```", re.S)
_PATH = re.compile(r"# ([\w/.]+\.py)\b")

MYPY_INI = """\
[mypy]
strict = True
plugins = pydantic.mypy
warn_unused_ignores = False
# libraries that ship no type information (PEP 561) are checked as Any
ignore_missing_imports = True
# typed packages whose constructors carry no annotations
untyped_calls_exclude = distributed
"""

PYTEST_INI = """\
[pytest]
python_files = check_*.py
addopts = -p no:cacheprovider
"""


@dataclass(frozen=True)
class Block:
    """A python block of the design, and the file its first line names."""

    path: str
    code: str


def blocks(design_markdown: str) -> list[Block]:
    """Every ```python block in the design text, in order.

    Raises:
        AssertionError: if a block does not start with its ``# path.py`` comment.
    """
    out = []
    for code in _FENCE.findall(design_markdown):
        first = code.split("\n", 1)[0]
        match = _PATH.match(first)
        assert match, f"a code block does not name its file: {first!r}"
        out.append(Block(match.group(1), code))
    return out


@dataclass(frozen=True)
class Project:
    """A design's code, written out as a runnable project, with the venv to run it in."""

    name: str
    plan: Plan
    profile: Profile
    root: Path
    venv: Path
    blocks: tuple[Block, ...]

    @property
    def python(self) -> str:
        return str(self.venv / "bin" / "python")

    def has(self, path: str) -> bool:
        return any(b.path == path for b in self.blocks)

    def run(
        self, args: list[str], env: dict[str, str], timeout: float = 600
    ) -> subprocess.CompletedProcess[str]:
        """A command in the venv, from the project root, with ``app`` importable."""
        full_env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("APP_", "PYTEST_"))},
            **env,
            "PYTHONPATH": str(self.root),
            "PATH": f"{self.venv / 'bin'}:{os.environ.get('PATH', '')}",
            "VIRTUAL_ENV": str(self.venv),
        }
        full_env.pop("PYTHONHOME", None)
        return subprocess.run(
            args, cwd=self.root, env=full_env, capture_output=True, text=True, timeout=timeout
        )

    def check(self, name: str, env: dict[str, str], timeout: float = 600) -> str:
        """Run ``tests/verify/inside/check_NAME.py`` with the venv's pytest; its output.

        Raises:
            AssertionError: with the output, when a check fails.
        """
        shutil.copy(INSIDE / f"check_{name}.py", self.root / f"check_{name}.py")
        shutil.copy(INSIDE / "support.py", self.root / "verify_support.py")
        done = self.run(
            [
                self.python,
                "-m",
                "pytest",
                "-q",
                "-x",
                "--noconftest",
                "-c",
                str(self.root / "pytest.ini"),
                "--rootdir",
                str(self.root),
                f"check_{name}.py",
            ],
            env,
            timeout,
        )
        output = done.stdout[-6000:] + done.stderr[-3000:]
        assert done.returncode == 0, f"{self.name}: check_{name} failed\n{output}"
        return output


def layout(name: str, plan: Plan, root: Path, venv: Path) -> Project:
    """Write the design's blocks under ``root`` (``app/…``, ``gunicorn.conf.py``)."""
    found = tuple(blocks(write_design(plan)))
    root.mkdir(parents=True, exist_ok=True)
    (root / "app").mkdir(exist_ok=True)
    (root / "app" / "__init__.py").write_text("")
    for block in found:
        target = root / block.path
        target.parent.mkdir(parents=True, exist_ok=True)
        assert not target.exists() or block.path == "app/__init__.py", f"two blocks: {block.path}"
        target.write_text(block.code)
    (root / "mypy.ini").write_text(MYPY_INI)
    (root / "pytest.ini").write_text(PYTEST_INI)
    return Project(name, plan, profile(plan), root, venv, found)
