"""The request to the model: the persona as a cached system prompt, and the user turn built
from the requirements and the plan's computed figures (pure: no I/O, no SDK)."""

from __future__ import annotations

from typing import Any

from pyt_arch_kit.backends.base import DesignRequest
from pyt_arch_kit.design import SECTIONS
from pyt_arch_kit.render import figures_table

__all__ = ["build_messages", "build_system", "user_turn"]

_INSTRUCTIONS = """Design this system. Deliver exactly these six sections, each as a level-2
Markdown heading with this exact title, in this order: {sections}.

- System Diagram: one ```mermaid flowchart of the components you choose.
- Technology Stack: a Markdown table with the columns Library | Version | Why.
- Implementation Guidelines: runnable Python examples for the critical parts.
- Build on the computed figures below (they come from the formulas shown) instead of
  re-deriving them; say so where you disagree and why.
- State the assumptions you rely on in the Executive Summary, and push back where the
  proposal is more than the numbers need."""


def build_system(request: DesignRequest) -> list[dict[str, Any]]:
    """The persona's prompt as one system block, marked for prompt caching."""
    return [
        {"type": "text", "text": request.persona.prompt, "cache_control": {"type": "ephemeral"}}
    ]


def user_turn(request: DesignRequest) -> str:
    """The first user turn: requirements, assumptions, figures, decisions, findings, the ask."""
    plan = request.plan
    req = request.requirements
    parts = [f"# Requirements: {req.name}", ""]
    if req.summary:
        parts += [req.summary, ""]
    parts += ["```yaml", req.to_yaml().rstrip(), "```", ""]
    if plan.assumptions:
        parts += ["## Assumptions for what the requirements leave open", ""]
        parts += [f"- {a}" for a in plan.assumptions] + [""]
    parts += ["## Computed figures (formula, inputs, source)", "", figures_table(plan.figures), ""]
    parts += ["## Decisions the planner made (with trade-offs)", ""]
    parts += [
        f"- **{d.topic}**: {d.choice} — {d.why}. Trade-off: {d.trade_off}." for d in plan.decisions
    ] + [""]
    if plan.findings:
        parts += ["## Findings (push-back and warnings)", ""]
        parts += [
            f"- **{f.kind}: {f.title}** — {f.detail} Recommendation: {f.recommendation}"
            for f in plan.findings
        ] + [""]
    parts += ["## What to deliver", "", _INSTRUCTIONS.format(sections=", ".join(SECTIONS))]
    return "\n".join(parts)


def build_messages(request: DesignRequest) -> list[dict[str, Any]]:
    """The conversation: the design request, then any history and a follow-up question."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": user_turn(request)}]
    if request.followup:
        for role, text in request.history:
            if role == "user" and messages[-1]["role"] == "user":
                continue
            messages.append({"role": role, "content": text})
        if messages[-1]["role"] == "user":
            messages.append({"role": "assistant", "content": "(no answer recorded)"})
        messages.append({"role": "user", "content": request.followup})
    return messages
