"""The five checks, each a pure function of the design's sections (and its plan)."""

from __future__ import annotations

import ast
import re
import sys
import textwrap
from collections.abc import Iterator
from typing import TYPE_CHECKING

from pyt_arch_kit.design import SECTIONS, parse_sections
from pyt_arch_kit.planning.model import fmt_number
from pyt_arch_kit.verify.catalogue import (
    COMPONENTS,
    Component,
    chosen_components,
    distribution_names,
    import_names,
    normalise,
    rejected_components,
)
from pyt_arch_kit.verify.quotes import Quote, find_quotes
from pyt_arch_kit.verify.verdict import Check, DiagramParser, DiagramParserUnavailable, Problem

if TYPE_CHECKING:
    from pyt_arch_kit.planning.model import Plan

__all__ = [
    "check_components",
    "check_diagrams",
    "check_figures",
    "check_python",
    "check_sections",
    "stack_distributions",
]

_OPENING = re.compile(r"(`{3,}|~{3,})[ \t]*([^\s`]*)")
_LANGS = {"python": {"python", "py", "python3"}, "mermaid": {"mermaid"}, "text": {"text", ""}}
_DIAGRAM_TYPE = re.compile(
    r"(?:flowchart|graph|sequenceDiagram|classDiagram(?:-v2)?|stateDiagram(?:-v2)?|erDiagram|"
    r"journey|gantt|pie|quadrantChart|requirementDiagram|gitGraph|C4\w+|mindmap|timeline|"
    r"zenuml|sankey(?:-beta)?|xychart(?:-beta)?|block(?:-beta)?|packet(?:-beta)?|kanban|"
    r"architecture(?:-beta)?|radar(?:-beta)?|treemap(?:-beta)?)\b"
)


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _fenced(body: str) -> Iterator[tuple[str, str]]:
    """``(language, code)`` for each fenced block, in one pass (an unclosed one runs to the end,
    as in CommonMark; indentation from an enclosing list item is removed)."""
    fence: str | None = None
    lang, lines = "", list[str]()
    for line in body.splitlines():
        stripped = line.strip()
        if fence is None:
            if m := _OPENING.match(stripped):
                fence, lang, lines = m.group(1), m.group(2).lower(), []
        elif stripped.startswith(fence) and set(stripped) == {fence[0]}:
            yield lang, textwrap.dedent("\n".join(lines) + "\n")
            fence = None
        else:
            lines.append(line)
    if fence is not None:
        yield lang, textwrap.dedent("\n".join(lines) + "\n")


def blocks(sections: dict[str, str], lang: str) -> list[tuple[str, int, str]]:
    """``(section, number within the section, code)`` for each fenced block in a language."""
    out: list[tuple[str, int, str]] = []
    for name, body in sections.items():
        n = 0
        for found, code in _fenced(body):
            if found in _LANGS[lang]:
                n += 1
                out.append((name, n, code))
    return out


# -- sections --------------------------------------------------------------------------------


def check_sections(text: str) -> tuple[list[Problem], Check]:
    """The six sections are present, in order, and none is empty."""
    found = parse_sections(text)
    problems = [Problem("sections", name, "missing") for name in SECTIONS if name not in found]
    present = [name for name in found if name in SECTIONS]
    if present != [name for name in SECTIONS if name in found]:
        problems.append(Problem("sections", "the document", "out of order: " + " → ".join(present)))
    problems += [Problem("sections", n, "empty") for n, body in found.items() if not body.strip()]
    if problems:
        return problems, Check("sections", "failed", f"{len(present)} of 6 sections")
    return problems, Check("sections", "passed", "6 sections, in order")


# -- diagram ---------------------------------------------------------------------------------


def check_diagrams(
    sections: dict[str, str], parser: DiagramParser | None
) -> tuple[list[Problem], Check]:
    """The System Diagram has a mermaid block, and every mermaid block parses."""
    found = blocks(sections, "mermaid")
    problems: list[Problem] = []
    if "System Diagram" in sections and not any(s == "System Diagram" for s, _, _ in found):
        problems.append(Problem("diagram", "System Diagram", "no ```mermaid block"))
    for section, n, code in found:
        body = re.sub(r"\A\s*---\n.*?\n---\n", "", code, flags=re.S)
        lines = [ln.strip() for ln in body.splitlines() if ln.strip()]
        lines = [ln for ln in lines if not ln.startswith("%%")]
        if not lines or not _DIAGRAM_TYPE.match(lines[0]):
            first = lines[0][:40] if lines else "nothing"
            where = f"{section}, mermaid block {n}"
            problems.append(Problem("diagram", where, f"no diagram type: starts with {first!r}"))
    count = _plural(len(found), "mermaid block")
    if not found:
        return problems, Check("diagram", "failed" if problems else "passed", count)
    if parser is None:
        reason = "diagram syntax not checked (no mermaid parser given)"
        return problems, Check("diagram", "failed" if problems else "not checked", reason)
    try:
        results = list(parser([code for _, _, code in found]))
    except DiagramParserUnavailable as exc:
        reason = f"diagram syntax not checked (node/mermaid unavailable: {exc})"
        return problems, Check("diagram", "failed" if problems else "not checked", reason)
    for (section, n, _), error in zip(found, results, strict=True):
        if error is not None:
            message = "mermaid: " + " ".join(error.split())[:300]
            problems.append(Problem("diagram", f"{section}, mermaid block {n}", message))
    if problems:
        return problems, Check("diagram", "failed", f"{count}; mermaid rejects some")
    return problems, Check("diagram", "passed", f"{count}, parsed by mermaid")


# -- python ----------------------------------------------------------------------------------


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _is_rule(cells: list[str]) -> bool:
    return set("".join(cells)) <= set("-: ")


def stack_distributions(stack: str) -> list[str]:
    """The distributions a Technology Stack section names (table rows or list items)."""
    out: list[str] = []
    lines = [ln.strip() for ln in stack.splitlines()]
    rows = [_cells(ln) if ln.startswith("|") else None for ln in lines]
    fenced = False
    for i, line in enumerate(lines):
        if line.startswith("```"):
            fenced = not fenced
            continue
        if fenced:  # a requirements block: one specifier a line, comments after `#`
            spec = re.match(r"([A-Za-z0-9][\w.\-]*(?:\[[\w,\s-]+\])?)", line.split("#")[0])
            out += distribution_names(spec.group(1)) if spec else []
            continue
        cells = rows[i]
        if cells is not None:
            after = rows[i + 1] if i + 1 < len(rows) else None
            if _is_rule(cells) or (after is not None and _is_rule(after)):
                continue  # the rule under the header, or the header itself
            out += distribution_names(cells[0])
            out += distribution_names(cells[1]) if len(cells) > 1 else []
        elif m := re.match(r"(?:[-*+]|\d+[.)])\s+(.*)", line):
            item = m.group(1)
            spans = re.findall(r"\*\*(.+?)\*\*|`([^`]+)`", item)
            named = [a or b for a, b in spans] or item.split()[:1]
            for name in named:
                out += distribution_names(name)
    return out


def _own_packages(sections: dict[str, str]) -> set[str]:
    """``app`` and the top-level packages a layout block draws (``orders/`` at column 0)."""
    own = {"app"}
    for _, _, code in blocks(sections, "text"):
        own |= set(re.findall(r"^([A-Za-z_]\w*)/[ \t]*(?:#.*)?$", code, re.M))
    return own


def _imports(tree: ast.AST) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name.split(".")[0] for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module.split(".")[0])
    return list(dict.fromkeys(names))


def _component_of(module: str) -> Component | None:
    for c in COMPONENTS:
        if any(module in import_names(lib) for lib in c.libraries):
            return c
    return None


def check_python(
    sections: dict[str, str], chosen: set[str] | None = None
) -> tuple[list[Problem], Check]:
    """Every python block parses and imports only the stdlib, the stack, and the app itself."""
    allowed = _own_packages(sections)
    for dist in stack_distributions(sections.get("Technology Stack", "")):
        allowed |= import_names(dist)
    found = blocks(sections, "python")
    problems: list[Problem] = []
    for section, n, code in found:
        where = f"{section}, python block {n}"
        try:
            tree = ast.parse(code)
        except SyntaxError as exc:
            problems.append(
                Problem("python", where, f"does not parse: line {exc.lineno}: {exc.msg}")
            )
            continue
        except (ValueError, RecursionError, MemoryError) as exc:  # NUL bytes, absurd nesting
            problems.append(Problem("python", where, f"does not parse: {exc.__class__.__name__}"))
            continue
        for module in _imports(tree):
            if module in sys.stdlib_module_names or module in allowed:
                continue
            message = (
                f"imports {module}, which is neither in the standard library nor in the "
                "Technology Stack"
            )
            component = _component_of(module)
            if component is not None and chosen is not None and component.key not in chosen:
                message += f" (and the plan did not choose {component.name})"
            problems.append(Problem("python", where, message))
    count = _plural(len(found), "python block")
    if problems:
        return problems, Check("python", "failed", count)
    return problems, Check("python", "passed", f"{count} parse; imports within stdlib and stack")


# -- figures ---------------------------------------------------------------------------------


def check_figures(sections: dict[str, str], plan: Plan) -> tuple[list[Problem], Check, list[Quote]]:
    """Every number quoted for a plan figure matches the plan within its rounding."""
    quotes = find_quotes(sections, plan)
    problems: list[Problem] = []
    for q in quotes:
        if q.ok:
            continue
        if q.expected is None:
            message = (
                f"“{q.text}” quotes {q.figure} ({fmt_number(q.quoted)}), which the plan "
                "does not have"
            )
        else:
            message = (
                f"“{q.text}” quotes {q.figure} as {fmt_number(q.quoted)}; "
                f"the plan's is {fmt_number(q.expected)}"
            )
        problems.append(Problem("figures", q.section, message))
    count = _plural(len(quotes), "quoted figure")
    if problems:
        return problems, Check("figures", "failed", f"{count}, {len(problems)} wrong"), quotes
    return problems, Check("figures", "passed", f"{count}, all match the plan"), quotes


# -- components ------------------------------------------------------------------------------


def check_components(sections: dict[str, str], plan: Plan) -> tuple[list[Problem], Check]:
    """The summary, diagram and stack name the chosen components, and no rival or rejected one."""
    chosen, rejected = chosen_components(plan), rejected_components(plan)
    summary = sections.get("Executive Summary", "")
    diagram = "\n".join(code for s, _, code in blocks(sections, "mermaid") if s == "System Diagram")
    stack = stack_distributions(sections.get("Technology Stack", ""))
    in_stack = {normalise(d.partition("[")[0]) for d in stack}
    stack_words = " ".join(stack)
    problems: list[Problem] = []
    for c in COMPONENTS:
        named_in_stack = bool(in_stack & set(c.libraries)) or c.named_in(stack_words)
        if c.key in chosen:
            if c.kind == "platform":
                continue
            carried = named_in_stack or bool(in_stack & set(c.carriers))
            for where, present in (
                ("Executive Summary", c.named_in(summary)),
                ("System Diagram", c.named_in(diagram)),
                ("Technology Stack", carried),
            ):
                if not present and where in sections:
                    problems.append(
                        Problem("components", where, f"does not name {c.name}, the plan's {c.kind}")
                    )
        elif c.exclusive or c.key in rejected:
            mine = [o.name for o in COMPONENTS if o.kind == c.kind and o.key in chosen]
            theirs = " and ".join(mine) if mine else "none"
            if c.key in rejected:
                theirs += f" (it pushed back on {c.name})"
            for where, present in (
                ("System Diagram", c.named_in(diagram)),
                ("Technology Stack", named_in_stack),
            ):
                if present:
                    problems.append(
                        Problem(
                            "components",
                            where,
                            f"names {c.name}, but the plan's {c.kind} is {theirs}",
                        )
                    )
    names = ", ".join(o.name for o in COMPONENTS if o.key in chosen) or "none"
    if problems:
        return problems, Check("components", "failed", f"the plan chose {names}")
    return problems, Check(
        "components",
        "passed",
        f"summary, diagram and stack name the plan's {names}; diagram and stack name no rival "
        "(rivals the summary mentions, e.g. ones turned down, are not checked)",
    )
