"""mermaid's own parser, run under node: the edge the diagram check calls.

The repository pins mermaid in ``package.json`` / ``package-lock.json`` (``npm ci`` installs it
into ``node_modules/``). :class:`NodeMermaid` hands diagram sources to ``mermaid_parse.mjs`` in
one node process and returns mermaid's verdict on each. When node or the package is missing it
raises :class:`~pyt_arch_kit.verify.DiagramParserUnavailable`, so the verdict says the syntax was
not checked instead of passing silently.

Where it looks:

- node: ``PYT_ARCH_NODE``, else ``node`` on ``PATH``;
- mermaid: ``PYT_ARCH_NODE_MODULES`` (a ``node_modules`` directory), else ``node_modules/`` in the
  working directory or any parent of it, or of this package (an editable install's checkout).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from pyt_arch_kit.verify.verdict import DiagramParserUnavailable

__all__ = ["ENV_NODE", "ENV_NODE_MODULES", "NodeMermaid", "find_node_modules", "node_parser"]

ENV_NODE = "PYT_ARCH_NODE"
ENV_NODE_MODULES = "PYT_ARCH_NODE_MODULES"
#: mermaid's own limit on a diagram's size (``maxTextSize``); larger ones are not sent.
MAX_DIAGRAM_CHARS = 50_000
_MAX_CACHED = 512


def _has_mermaid(node_modules: Path) -> bool:
    return (node_modules / "mermaid" / "package.json").is_file() and (
        node_modules / "dompurify" / "package.json"
    ).is_file()


def find_node_modules() -> Path | None:
    """The ``node_modules`` directory that holds mermaid, or ``None``."""
    configured = os.environ.get(ENV_NODE_MODULES, "").strip()
    if configured:
        path = Path(configured).expanduser()
        return path if _has_mermaid(path) else None
    for base in (Path.cwd(), Path(__file__).resolve().parent):
        for directory in (base, *base.parents):
            if _has_mermaid(directory / "node_modules"):
                return directory / "node_modules"
    return None


class NodeMermaid:
    """A diagram parser that runs mermaid's ``parse`` under node.

    Calling it with diagram sources returns, for each, ``None`` if mermaid parses it or
    mermaid's message. Results are remembered per source for the life of the process.

    Args:
        node: the node executable (default: ``PYT_ARCH_NODE`` or ``node`` on ``PATH``).
        node_modules: the directory holding mermaid (default: :func:`find_node_modules`).
        timeout_s: how long one node run may take.

    Raises:
        DiagramParserUnavailable: (when called) if node or mermaid is missing, or node fails.
    """

    def __init__(
        self, node: str | None = None, node_modules: Path | None = None, timeout_s: float = 60.0
    ) -> None:
        self.node = node
        self.node_modules = node_modules
        self.timeout_s = timeout_s
        self._cache: dict[str, str | None] = {}
        self._lock = threading.Lock()

    def _where(self) -> tuple[str, Path]:
        node = self.node or os.environ.get(ENV_NODE, "").strip() or shutil.which("node")
        if not node:
            raise DiagramParserUnavailable(f"node not found on PATH (or set {ENV_NODE})")
        modules = self.node_modules or find_node_modules()
        if modules is None or not _has_mermaid(modules):
            raise DiagramParserUnavailable(
                "mermaid not found in a node_modules of this folder or its parents: "
                f"`npm install mermaid` there (`npm ci` in a checkout), or set {ENV_NODE_MODULES}"
            )
        return node, modules

    def __call__(self, sources: Sequence[str]) -> list[str | None]:
        sources = list(sources)
        with self._lock:
            todo = [s for s in dict.fromkeys(sources) if s not in self._cache]
        if todo:
            results = self._parse(todo)
            with self._lock:
                if len(self._cache) > _MAX_CACHED:
                    self._cache.clear()
                self._cache.update(zip(todo, results, strict=True))
        with self._lock:
            return [self._cache[s] for s in sources]

    def _parse(self, sources: list[str]) -> list[str | None]:
        too_big = {i for i, s in enumerate(sources) if len(s) > MAX_DIAGRAM_CHARS}
        sent = [s for i, s in enumerate(sources) if i not in too_big]
        node, modules = self._where()
        script = resources.files("pyt_arch_kit.verify").joinpath("mermaid_parse.mjs")
        try:
            done = subprocess.run(
                [node, "--input-type=module", "--eval", script.read_text(encoding="utf-8")],
                input=json.dumps(sent),
                capture_output=True,
                text=True,
                encoding="utf-8",
                cwd=modules.parent,  # bare imports resolve from here
                env={"PATH": os.environ.get("PATH", "")},  # nothing else, no keys
                timeout=self.timeout_s,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise DiagramParserUnavailable(f"node did not run: {exc}") from None
        try:
            parsed = json.loads(done.stdout)
            if done.returncode != 0 or not isinstance(parsed, list) or len(parsed) != len(sent):
                raise ValueError
        except ValueError:
            lines = (done.stderr or done.stdout).strip().splitlines()
            why = lines[-1][:200] if lines else f"exit {done.returncode}"
            raise DiagramParserUnavailable(f"node failed: {why}") from None
        answers = iter(parsed)
        return [
            f"larger than mermaid's {MAX_DIAGRAM_CHARS:,} characters"
            if i in too_big
            else (None if (a := next(answers)) is None else str(a))
            for i in range(len(sources))
        ]


_SHARED = NodeMermaid()


def node_parser() -> NodeMermaid:
    """The shared node-backed mermaid parser (it remembers results per diagram).

    Example:
        >>> from pyt_arch_kit import Architect, preset
        >>> design = Architect().design(preset("io-bound-api"))
        >>> design.verify(diagrams=node_parser()).ok
        True
    """
    return _SHARED
