"""The package's import graph at import time has no cycle.

Built from the source with :mod:`ast`: the imports a module runs when it is imported (module
level, class bodies, ``try`` and ``if`` blocks), not those inside functions (run later, when
called) or under ``if TYPE_CHECKING:`` (never run). Importing a submodule runs its parent
packages' ``__init__`` first, so those count as edges too, except a package the module itself
sits in (it is already being imported).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pyt_arch_kit

PACKAGE = Path(pyt_arch_kit.__file__).parent


def _modules(package: Path) -> dict[str, Path]:
    out = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _run_on_import(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    for stmt in body:
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            yield stmt
        elif isinstance(stmt, ast.If):
            if not _type_checking(stmt.test):
                yield from _run_on_import(stmt.body)
            yield from _run_on_import(stmt.orelse)
        elif isinstance(stmt, ast.Try):
            for block in (stmt.body, *(h.body for h in stmt.handlers), stmt.orelse):
                yield from _run_on_import(block)
            yield from _run_on_import(stmt.finalbody)
        elif isinstance(stmt, ast.ClassDef | ast.With):
            yield from _run_on_import(stmt.body)


def _imported(
    module: str, node: ast.Import | ast.ImportFrom, modules: dict[str, Path]
) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:  # relative: from the module's package, up level - 1
        package = module if modules[module].name == "__init__.py" else module.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{base}" if base else package
    return [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]


def import_graph(package: Path) -> dict[str, set[str]]:
    """``{module: modules of the package it imports when imported}``."""
    modules = _modules(package)
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        for node in _run_on_import(ast.parse(path.read_text(encoding="utf-8")).body):
            for name in _imported(module, node, modules):
                while name and name not in modules:  # a name inside a module: the module
                    name = name.rpartition(".")[0]
                parts = name.split(".") if name else []
                for i in range(1, len(parts) + 1):  # the parents' __init__ run first
                    target = ".".join(parts[:i])
                    if module != target and not module.startswith(target + "."):
                        graph[module].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while (w := stack.pop()) != v:
                component.append(w)
            if component:
                found.append(sorted([v, *component]))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle_among_the_package_modules() -> None:
    graph = import_graph(PACKAGE)
    assert len(graph) > 50 and "pyt_arch_kit.requirements.model" in graph
    assert "pyt_arch_kit.requirements.assumptions" in graph["pyt_arch_kit.requirements.model"]
    assert cycles(graph) == []


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "pkg"


def test_a_cycle_through_a_parent_package_is_found(tmp_path: Path) -> None:
    """sub/__init__ imports sub.a; b imports sub.c, which runs sub/__init__ → a → b."""
    package = _write(
        tmp_path,
        {
            "__init__.py": "",
            "sub/__init__.py": "from pkg.sub.a import A\n",
            "sub/a.py": "from pkg.b import B\nA = 1\n",
            "sub/c.py": "C = 1\n",
            "b.py": "from pkg.sub.c import C\nB = 1\n",
        },
    )
    assert cycles(import_graph(package)) == [["pkg.b", "pkg.sub", "pkg.sub.a"]]


def test_imports_in_functions_and_under_type_checking_do_not_count(tmp_path: Path) -> None:
    package = _write(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": "import typing\nif typing.TYPE_CHECKING:\n    from pkg.b import B\n",
            "b.py": "def f():\n    from pkg.a import A\nclass B:\n    from . import c\n",
            "c.py": "try:\n    from .a import X\nexcept ImportError:\n    pass\n",
        },
    )
    graph = import_graph(package)
    assert graph["pkg.a"] == set() and graph["pkg.b"] == {"pkg.c"} and graph["pkg.c"] == {"pkg.a"}
    assert cycles(graph) == []
