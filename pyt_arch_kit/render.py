"""Markdown renderings of requirements and plans (pure: strings in, strings out)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from pyt_arch_kit.markup import cell, inline

if TYPE_CHECKING:
    from pyt_arch_kit.planning.bom import BomLine
    from pyt_arch_kit.planning.model import Figure, Plan
    from pyt_arch_kit.requirements import Requirements

__all__ = ["figures_table", "materials_table", "plan_markdown", "requirements_markdown"]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _value(v: Any) -> str:
    if hasattr(v, "value") and type(v).__module__.startswith("pyt_arch_kit"):
        return str(v.value)
    if isinstance(v, list):
        return ", ".join(str(x) for x in v) or "—"
    if isinstance(v, float):
        from pyt_arch_kit.planning.model import fmt_number

        return fmt_number(v)
    return "—" if v in (None, "") else str(v)


def requirements_markdown(req: Requirements) -> str:
    """A table of the requirements, with each open question listed under it."""
    lines = [f"**Requirements: {inline(req.name)}**", ""]
    if req.summary:
        lines += [inline(req.summary), ""]
    lines += ["| Section | Field | Value |", "|---|---|---|"]
    lines.append(f"| — | interface | {_value(req.interface)} |")
    for section in ("scale", "latency", "consistency", "workload", "infrastructure", "proposed"):
        sub = getattr(req, section)
        assert isinstance(sub, BaseModel)
        for key in type(sub).model_fields:
            lines.append(f"| {section} | {key} | {cell(_value(getattr(sub, key)))} |")
    gaps = req.gaps()
    if gaps:
        lines += ["", f"**{len(gaps)} open question(s)** — the design assumes:", ""]
        lines += [f"- {_cell(g.question)} → *{_value(g.assumed)}* ({g.because})" for g in gaps]
    return "\n".join(lines) + "\n"


def figures_table(figures: tuple[Figure, ...] | list[Figure], *, sources: bool = True) -> str:
    """The figures as a Markdown table: value, formula, inputs (and source)."""
    head = "| Figure | Value | Formula | Inputs |" + (" Source |" if sources else "")
    sep = "|---|---:|---|---|" + ("---|" if sources else "")
    rows = [head, sep]
    for f in figures:
        row = f"| {_cell(f.label)} | {f.show()} | `{_cell(f.formula)}` | {_cell(f.inputs_text())} |"
        rows.append(row + (f" {_cell(f.source)} |" if sources else ""))
    return "\n".join(rows)


def materials_table(lines: tuple[BomLine, ...] | list[BomLine]) -> str:
    """The bill of materials as a Markdown table: one row per part, then the totals."""
    from pyt_arch_kit.planning.model import fmt_number

    def num(v: float) -> str:
        return fmt_number(round(v, 2) if v >= 0.01 or v == 0 else v)

    rows = [
        "| Part | Count | Cores | RAM (GB) | Storage (GB) | Basis |",
        "|---|---:|---:|---:|---:|---|",
    ]
    rows += [
        f"| {_cell(x.part)} | {x.count} | {num(x.cores)} | {num(x.ram_gb)} | "
        f"{num(x.storage_gb)} | {_cell(x.basis)} |"
        for x in lines
    ]
    rows.append(
        f"| **Parts in all** | | {num(sum(x.cores for x in lines))} | "
        f"{num(sum(x.ram_gb for x in lines))} | {num(sum(x.storage_gb for x in lines))} | "
        "backups and network: the bill's figures |"
    )
    return "\n".join(rows)


def plan_markdown(plan: Plan) -> str:
    """The plan: figures with formulas, decisions with trade-offs, findings, assumptions."""
    lines = [
        f"**Plan: {inline(plan.requirements.name)}**",
        "",
        figures_table(plan.figures),
        "",
        "| Decision | Choice | Why | Trade-off |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {_cell(d.topic)} | {_cell(d.choice)} | {_cell(d.why)} | {_cell(d.trade_off)} |"
        for d in plan.decisions
    ]
    if plan.materials:
        lines += ["", "**Bill of materials**", "", materials_table(plan.materials)]
    if plan.findings:
        lines += ["", "**Findings**", ""]
        lines += [
            f"- **{f.kind}: {f.title}** — {f.detail} *{f.recommendation}*" for f in plan.findings
        ]
    if plan.assumptions:
        lines += ["", "**Assumptions**", ""]
        lines += [f"- {a}" for a in plan.assumptions]
    return "\n".join(lines) + "\n"
