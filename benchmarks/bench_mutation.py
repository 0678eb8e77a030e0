"""Mutation testing of ``pyt_arch_kit/planning/``: how much of the planner the tests pin.

    python3 benchmarks/bench_mutation.py                    # 10 sampled mutants per module
    python3 benchmarks/bench_mutation.py --per-module 5     # a quicker, noisier look
    python3 benchmarks/bench_mutation.py --output benchmarks/MUTATION.md
    python3 benchmarks/bench_mutation.py --list             # mutation points per module

A benchmark, not a CI gate (it takes many minutes). Each mutant is one small change to one
module of the planner — the kinds issue 12 measured with:

- a comparison swapped (``<`` ↔ ``<=``, ``>`` ↔ ``>=``, ``==`` ↔ ``!=``, ``is`` ↔ ``is not``,
  ``in`` ↔ ``not in``): a threshold moved across its boundary;
- an arithmetic operator swapped (``+`` ↔ ``-``, ``*`` ↔ ``/``, ``//`` → ``*``, ``**`` → ``*``,
  unary ``-`` dropped);
- a constant bumped (an integer, or a float with an integral value, + 1; any other float × 1.1);
- a ``return X`` made ``return None``;
- a boolean flipped (``True`` ↔ ``False``, ``and`` ↔ ``or``, ``not x`` → ``x``).

Wording is not mutated (strings, f-strings, docstrings), nor annotations and ``__all__``: the
golden files pin wording. Mutants are sampled with a fixed seed, so a run is repeatable. Each
one runs the planner's unit tests (``TESTS``, ``pytest -x``, hypothesis derandomised with fewer
examples) in a forked child of one warmed-up interpreter: the child executes the mutated module
in place of the original and repoints every reference other modules hold to its functions,
classes and constants, then runs pytest in process — no file is written, and the interpreter
start-up and heavy imports are paid once. A mutant that fails a test, fails to load, or runs
past the timeout is killed. Survivors then run the golden-file test, which
shows how many more only the whole designs catch. Survivors judged equivalent (no input can
tell them apart) are listed in ``EQUIVALENT`` with the reason.

Why not mutmut: mutmut 3.8 runs here once ``also_copy`` names the package, but it generates
every mutant (≈ 4,800 for ``planning/``, most of them in prose strings), cannot sample, and at
≈ 3 s a mutant on this 2-core machine would take about four hours.
"""

from __future__ import annotations

import argparse
import ast
import copy
import os
import random
import signal
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "pyt_arch_kit" / "planning"
MODULES = (
    "queueing",
    "latency",
    "tail",
    "capacity",
    "capacity_figures",
    "concurrency",
    "database",
    "broker",
    "data",
    "pushback",
    "costs",
    "practices",
)
#: The planner's unit tests: what each mutant must survive (those that exist are run).
TESTS = (
    "tests/planning",
    "tests/test_planning.py",
    "tests/test_latency.py",
    "tests/test_properties.py",
    "tests/test_costs.py",
)
#: Skipped per mutant for time: the discrete-event simulations (seconds each, and they check
#: the queueing maths that the closed-form tests pin too).
DESELECT = ("tests/test_latency.py::test_p99_model_agrees_with_a_simulation",)
GOLDEN = "tests/test_golden.py"
_RESOLVED = (
    "plan() resolves the requirements first, so this `or` fallback never applies (issue 12 "
    "item 3 removes the fallbacks)"
)
#: Survivors no test can kill, keyed by :attr:`Mutant.key`, with the reason.
EQUIVALENT: dict[tuple[str, str, str, str], str] = {
    ("broker", "_log_broker_justified", "req.scale.peak_rps or 0.0", "0.0 → 1.0"): _RESOLVED,
    ("pushback", "find_issues", "team = req.infrastructure.team_size or 5", "5 → 6"): _RESOLVED,
    ("pushback", "_latency_findings", "target = req.latency.p99_ms or 0.0", "0.0 → 1.0"): (
        _RESOLVED
    ),
    ("practices", "_redundancy", "slo = req.latency.availability_pct or 0.0", "0.0 → 1.0"): (
        _RESOLVED
    ),
    (
        "practices",
        "plan_practices",
        "online = req.interface is not Interface.BATCH and (req.scale.peak_rps or 0) > 0",
        "0 → 1",
    ): _RESOLVED,
    (
        "queueing",
        "mmc_wait",
        "q_wait = math.log(c / tail) / drain if c > tail else 0.0",
        ("c > tail → c >= tail"),
    ): "at c = tail the log branch gives ln(1) / drain = 0, the other branch's value",
    (
        "capacity_figures",
        "capacity_figures",
        '("a = λ · s held per queue", peak / queues * held_ms / 1000 if queues else 0.0),',
        "0.0 → 1.0",
    ): "queues = instances × queues per instance ≥ 1, so the else branch is never taken",
    ("pushback", "_up", "if value >= 10:", "10 → 11"): (
        "for 10 ≤ value < 11 the general branch rounds to 0 decimals too: ceil(value) either way"
    ),
    (
        "database",
        "plan_database",
        "replicas = min(5, math.ceil(read_rps / _READS_PER_REPLICA) - 1) or 1",
        "1 → 2",
    ): "read_rps > 3,000 makes ⌈read_rps / 3,000⌉ − 1 ≥ 1, so `or 1` never applies",
}

_SWAP_COMPARE: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
}
_SWAP_BINOP: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Mult,
    ast.Pow: ast.Mult,
    ast.Mod: ast.FloorDiv,
}


@dataclass(frozen=True)
class Mutant:
    """One change to one module: its index among the module's mutation points, and what."""

    module: str
    index: int
    line: int
    function: str
    kind: str
    original: str
    mutated: str
    source: str = ""

    @property
    def key(self) -> tuple[str, str, str, str]:
        """(module, function, the source line, the change): stable while lines move."""
        return self.module, self.function, self.source, f"{self.original} → {self.mutated}"

    def describe(self) -> str:
        where = f" in `{self.source}`" if self.kind in ("constant", "return None") else ""
        return (
            f"{self.module}.py:{self.line} in {self.function}: {self.kind} "
            f"`{self.original}` → `{self.mutated}`" + (where if self.kind == "constant" else "")
        )


def _text(node: ast.AST) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 90 else text[:87] + "…"


class _Points:
    """Walks a module in a fixed order, yielding each mutation point (and applying one)."""

    def __init__(self, tree: ast.Module, apply: int | None = None) -> None:
        self.tree = tree
        self.apply = apply
        self.count = 0
        self.found: list[tuple[int, str, str, str, str]] = []
        self.stack: list[str] = []

    def _point(self, node: ast.AST, kind: str, before: str, after: str) -> bool:
        """Record a point; True when it is the one to apply."""
        index = self.count
        self.count += 1
        self.found.append(
            (getattr(node, "lineno", 0), ".".join(self.stack) or "<module>", kind, before, after)
        )
        return index == self.apply

    def run(self) -> None:
        for stmt in self.tree.body:
            self._stmt(stmt)

    def _stmt(self, node: ast.stmt) -> None:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            return  # a docstring
        if isinstance(node, ast.ImportFrom | ast.Import):
            return
        if isinstance(node, ast.Assign | ast.AnnAssign) and any(
            isinstance(t, ast.Name) and t.id == "__all__"
            for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
        ):
            return
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            self.stack.append(node.name)
            for child in node.body:
                self._stmt(child)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for default in node.args.defaults + [
                    d for d in node.args.kw_defaults if d is not None
                ]:
                    self._expr(default)
            self.stack.pop()
            return
        if isinstance(node, ast.Return) and node.value is not None:
            is_none = isinstance(node.value, ast.Constant) and node.value.value is None
            if not is_none and self._point(
                node, "return None", "return " + _text(node.value), "return None"
            ):
                node.value = ast.Constant(None)
                return
        if isinstance(node, ast.AugAssign) and type(node.op) in _SWAP_BINOP:
            new = _SWAP_BINOP[type(node.op)]
            if self._point(node, "arithmetic", _text(node), _op_text(new) + "="):
                node.op = new()
        for field, value in ast.iter_fields(node):
            if field == "annotation":
                continue
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.stmt):
                        self._stmt(item)
                    elif isinstance(item, ast.expr):
                        self._expr(item)
                    elif isinstance(item, ast.excepthandler | ast.match_case):
                        for inner in item.body:
                            self._stmt(inner)
            elif isinstance(value, ast.expr):
                self._expr(value)

    def _expr(self, node: ast.expr) -> None:
        if isinstance(node, ast.JoinedStr):
            return  # wording
        if isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                new = _SWAP_COMPARE[type(op)]
                after = copy.deepcopy(node)
                after.ops[i] = new()
                if self._point(node, "comparison", _text(node), _text(after)):
                    node.ops[i] = new()
        elif isinstance(node, ast.BinOp) and type(node.op) in _SWAP_BINOP:
            wording = any(
                isinstance(side, ast.JoinedStr)
                or (isinstance(side, ast.Constant) and isinstance(side.value, str))
                for side in (node.left, node.right)
            )
            if not wording:
                new = _SWAP_BINOP[type(node.op)]
                after_op = copy.deepcopy(node)
                after_op.op = new()
                if self._point(node, "arithmetic", _text(node), _text(after_op)):
                    node.op = new()
        elif isinstance(node, ast.BoolOp):
            new_bool: ast.boolop = ast.Or() if isinstance(node.op, ast.And) else ast.And()
            after_bool = copy.deepcopy(node)
            after_bool.op = new_bool
            if self._point(node, "boolean", _text(node), _text(after_bool)):
                node.op = new_bool
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not | ast.USub):
            kind = "boolean" if isinstance(node.op, ast.Not) else "arithmetic"
            if self._point(node, kind, _text(node), _text(node.operand)):
                node.op = ast.UAdd() if isinstance(node.op, ast.USub) else node.op
                if isinstance(node.op, ast.Not):
                    node.op = _Identity()
        elif isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool):
                if self._point(node, "boolean", repr(value), repr(not value)):
                    node.value = not value
            elif isinstance(value, int | float) and not isinstance(value, bool):
                bumped = _bump(value)
                if self._point(node, "constant", repr(value), repr(bumped)):
                    node.value = bumped
        for field, child in ast.iter_fields(node):
            if field == "annotation":
                continue
            if isinstance(child, ast.expr):
                self._expr(child)
            elif isinstance(child, list):
                for item in child:
                    if isinstance(item, ast.expr):
                        self._expr(item)
                    elif isinstance(item, ast.comprehension):
                        self._expr(item.iter)
                        for cond in item.ifs:
                            self._expr(cond)
                    elif isinstance(item, ast.keyword):
                        self._expr(item.value)


class _Identity(ast.unaryop):
    """``not x`` → ``x``: unparsed as ``+`` would change the value, so replaced after the walk."""


def _drop_identity(tree: ast.AST) -> None:
    for node in ast.walk(tree):
        for field, value in ast.iter_fields(node):
            if isinstance(value, ast.UnaryOp) and isinstance(value.op, _Identity):
                setattr(node, field, value.operand)
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, ast.UnaryOp) and isinstance(item.op, _Identity):
                        value[i] = item.operand


def _op_text(op: type[ast.AST]) -> str:
    return {
        ast.Lt: "<",
        ast.LtE: "<=",
        ast.Gt: ">",
        ast.GtE: ">=",
        ast.Eq: "==",
        ast.NotEq: "!=",
        ast.Is: "is",
        ast.IsNot: "is not",
        ast.In: "in",
        ast.NotIn: "not in",
        ast.Add: "+",
        ast.Sub: "-",
        ast.Mult: "*",
        ast.Div: "/",
        ast.FloorDiv: "//",
        ast.Pow: "**",
        ast.Mod: "%",
    }[op]


def _bump(value: float) -> float:
    if isinstance(value, int) or float(value).is_integer():
        return value + 1
    return value * 1.1


def mutation_points(module: str) -> list[Mutant]:
    """Every mutation point of ``planning/<module>.py``, in source order."""
    text = (PACKAGE / f"{module}.py").read_text(encoding="utf-8")
    lines = text.splitlines()
    points = _Points(ast.parse(text))
    points.run()
    return [
        Mutant(module, i, line, function, kind, before, after, lines[line - 1].strip())
        for i, (line, function, kind, before, after) in enumerate(points.found)
    ]


def mutated_source(mutant: Mutant) -> str:
    """The module's source with this one mutation applied."""
    tree = ast.parse((PACKAGE / f"{mutant.module}.py").read_text(encoding="utf-8"))
    points = _Points(tree, apply=mutant.index)
    points.run()
    _drop_identity(tree)
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def sample(per_module: int, seed: int, modules: tuple[str, ...] = MODULES) -> list[Mutant]:
    """``per_module`` mutants of each module, drawn with a fixed seed."""
    chosen: list[Mutant] = []
    for module in modules:
        points = mutation_points(module)
        rng = random.Random(f"{seed}:{module}")
        chosen += sorted(rng.sample(points, min(per_module, len(points))), key=lambda m: m.index)
    return chosen


@dataclass(frozen=True)
class Outcome:
    mutant: Mutant
    killed_by_tests: bool
    killed_by_golden: bool
    how: str
    seconds: float


def _targets() -> list[str]:
    return [t for t in TESTS if (ROOT / t).exists()]


def _pytest_args(targets: list[str]) -> list[str]:
    args = ["-x", "-q", "-p", "no:cacheprovider", "--no-header", "-o", "addopts=", *targets]
    return args + [f"--deselect={d}" for d in DESELECT]


def _apply_in_process(mutant: Mutant | None) -> None:
    """Replace the module's code by the mutant's, and every reference other modules hold."""
    if mutant is None:
        return
    name = f"pyt_arch_kit.planning.{mutant.module}"
    module = sys.modules[name]
    before = dict(module.__dict__)
    exec(compile(mutated_source(mutant), module.__file__ or name, "exec"), module.__dict__)
    changed = {k: v for k, v in module.__dict__.items() if k in before and before[k] is not v}
    for other in list(sys.modules.values()):
        space = getattr(other, "__dict__", None)
        if other is module or not isinstance(space, dict):
            continue
        if not getattr(other, "__name__", "").startswith(("pyt_arch_kit", "tests")):
            continue
        for key, new in changed.items():
            if key in space and space[key] is before[key]:
                space[key] = new


def _fork(mutant: Mutant | None, targets: list[str]) -> int:
    """Fork a child that applies the mutant and runs pytest in process; its pid."""
    pid = os.fork()
    if pid == 0:  # the child
        code = 3
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            import pytest

            try:
                _apply_in_process(mutant)
            except Exception:
                os._exit(4)  # the mutant does not even load: killed
            code = int(pytest.main(_pytest_args(targets)))
        finally:
            os._exit(code)
    return pid


def _wait(pid: int, timeout: float) -> int | None:
    """The child's exit code, or ``None`` once it ran past the timeout (it is killed)."""
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return None
        time.sleep(0.05)


def _warm_up() -> None:
    """Import what every child needs once, before forking (the children share it)."""
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    os.environ["HYPOTHESIS_PROFILE"] = "mutation"
    for key in [k for k in os.environ if k.startswith(("ANTHROPIC_", "PYT_ARCH_"))]:
        del os.environ[key]
    import importlib

    import pytest  # noqa: F401

    for module in MODULES:
        importlib.import_module(f"pyt_arch_kit.planning.{module}")
    for extra in (
        "pyt_arch_kit",
        "pyt_arch_kit.writer",
        "pyt_arch_kit.cli",
        "tests.fake_api",
        "tests.mermaid_parser",
        "hypothesis",
    ):
        importlib.import_module(extra)
    where = sys.modules["pyt_arch_kit"].__file__ or ""
    if not where.startswith(str(ROOT)):
        raise SystemExit(f"this interpreter imports {where}, not {ROOT}")


@dataclass
class _Running:
    mutant: Mutant
    pid: int
    stage: str  # "tests", then "golden" for a survivor
    started: float
    stage_started: float


def run_all(mutants: list[Mutant], jobs: int, timeout: float) -> Iterator[Outcome]:
    """Run the mutants, ``jobs`` forked children at a time (from this one thread), yielding
    each outcome as it is known."""
    _warm_up()
    if _wait(_fork(None, _targets()), 1800) != 0:
        raise SystemExit("the unmutated tests fail: fix them before measuring")
    golden = (ROOT / GOLDEN).exists()
    todo = list(mutants)
    running: list[_Running] = []

    def finish(r: _Running, killed: bool, by_golden: bool, how: str) -> Outcome:
        outcome = Outcome(r.mutant, killed, by_golden, how, time.monotonic() - r.started)
        mark = {"tests": "killed", "timeout": "killed (timeout)"}.get(how, how)
        print(
            f"  {mark:<14} {outcome.seconds:5.1f} s  {r.mutant.describe()}",
            file=sys.stderr,
            flush=True,
        )
        return outcome

    while todo or running:
        while todo and len(running) < jobs:
            m = todo.pop(0)
            now = time.monotonic()
            running.append(_Running(m, _fork(m, _targets()), "tests", now, now))
        time.sleep(0.05)
        for r in list(running):
            done, status = os.waitpid(r.pid, os.WNOHANG)
            code: int | None
            if done:
                code = os.waitstatus_to_exitcode(status)
            elif time.monotonic() - r.stage_started > timeout:
                os.kill(r.pid, signal.SIGKILL)
                os.waitpid(r.pid, 0)
                code = None
            else:
                continue
            if code == 5:
                raise SystemExit("no tests ran: check TESTS")
            running.remove(r)
            if r.stage == "tests" and code != 0:
                yield finish(r, True, False, "timeout" if code is None else "tests")
            elif r.stage == "tests" and golden:
                r.stage, r.stage_started = "golden", time.monotonic()
                r.pid = _fork(r.mutant, [GOLDEN])
                running.append(r)
            elif r.stage == "tests":
                yield finish(r, False, False, "survived")
            else:
                yield finish(r, False, code != 0, "golden files" if code != 0 else "survived")


def report(outcomes: list[Outcome], seed: int, per_module: int, seconds: float) -> str:
    """The results as Markdown: kill rates per module, then every survivor."""
    lines = [
        "# Mutation testing of `pyt_arch_kit/planning/`",
        "",
        f"`python3 benchmarks/bench_mutation.py --per-module {per_module} --seed {seed}`: "
        f"{len(outcomes)} sampled mutants, {seconds / 60:.0f} min. *Tests* are the planner's "
        f"unit tests ({', '.join(f'`{t}`' for t in TESTS)}); *+ golden* adds the golden "
        "design files for what the tests let through.",
        "",
        "| module | mutants | killed by tests | % | killed with golden files | % |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    by_module: dict[str, list[Outcome]] = {}
    for o in outcomes:
        by_module.setdefault(o.mutant.module, []).append(o)

    def row(name: str, group: list[Outcome]) -> str:
        n = len(group)
        tests = sum(o.killed_by_tests for o in group)
        both = sum(o.killed_by_tests or o.killed_by_golden for o in group)
        return f"| {name} | {n} | {tests} | {tests / n:.0%} | {both} | {both / n:.0%} |"

    for module in MODULES:
        if module in by_module:
            lines.append(row(module, by_module[module]))
    lines.append(row("**all**", outcomes))
    survivors = [o for o in outcomes if not o.killed_by_tests]
    lines += ["", "## Survivors of the tests", ""]
    for o in sorted(survivors, key=lambda o: (o.mutant.module, o.mutant.line)):
        why = EQUIVALENT.get(o.mutant.key)
        tag = f" — **equivalent**: {why}" if why else ""
        golden = " (killed by the golden files)" if o.killed_by_golden else ""
        lines.append(f"- {o.mutant.describe()}{golden}{tag}")
    if not survivors:
        lines.append("None.")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-module", type=int, default=10)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per mutant")
    parser.add_argument("--module", action="append", choices=MODULES, help="only these")
    parser.add_argument("--output", type=Path, help="also write the report here")
    parser.add_argument("--list", action="store_true", help="count mutation points and stop")
    args = parser.parse_args(argv)
    modules = tuple(args.module) if args.module else MODULES
    if args.list:
        for module in modules:
            print(f"{module:<18} {len(mutation_points(module))}")
        return 0
    mutants = sample(args.per_module, args.seed, modules)
    print(f"{len(mutants)} mutants over {len(modules)} modules", file=sys.stderr)
    started = time.perf_counter()
    outcomes = list(run_all(mutants, args.jobs, args.timeout))
    text = report(outcomes, args.seed, args.per_module, time.perf_counter() - started)
    print(text)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
