"""Markdown renderings of requirements and plans (pure: strings in, strings out)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from pyt_arch_kit.markup import cell, inline

if TYPE_CHECKING:
    from pyt_arch_kit.planning.model import Figure, Plan
    from pyt_arch_kit.requirements import Requirements

__all__ = ["figures_table", "plan_markdown", "requirements_markdown"]


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
    if plan.findings:
        lines += ["", "**Findings**", ""]
        lines += [
            f"- **{f.kind}: {f.title}** — {f.detail} *{f.recommendation}*" for f in plan.findings
        ]
    if plan.assumptions:
        lines += ["", "**Assumptions**", ""]
        lines += [f"- {a}" for a in plan.assumptions]
    return "\n".join(lines) + "\n"
