"""What a model is asked, in no provider's wire format (pure: no I/O, no SDK).

A :class:`DesignRequest` (persona, requirements, plan, and any follow-up) becomes a
:class:`Transcript`: the persona's prompt as the system text, and the conversation as
``(role, text)`` turns, the first one built from the requirements and the plan's computed
figures. Each provider turns the transcript into its own request body (Claude's system blocks
with ``cache_control``, OpenAI's ``system`` message, …) in its module under ``backends/``.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyt_arch_kit.design import SECTIONS
from pyt_arch_kit.persona import Persona
from pyt_arch_kit.planning.model import Plan
from pyt_arch_kit.render import figures_table
from pyt_arch_kit.requirements import Requirements

__all__ = ["DesignRequest", "Transcript", "transcript", "user_turn"]


@dataclass(frozen=True)
class DesignRequest:
    """What a backend is asked to write.

    Attributes:
        persona: who writes (its prompt is the system prompt).
        requirements: the requirements as the user gave them.
        plan: the computed plan (requirements resolved, figures, decisions, findings).
        followup: a follow-up question on an earlier design (``refine``), or ``""``.
        history: the earlier conversation as ``(role, text)`` pairs, for a follow-up.
    """

    persona: Persona
    requirements: Requirements
    plan: Plan
    followup: str = ""
    history: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Transcript:
    """The conversation to send, provider-neutral.

    Attributes:
        system: the persona's prompt (the system instructions).
        turns: ``(role, text)`` pairs, ``role`` ``"user"`` or ``"assistant"``, alternating and
            starting and ending with ``"user"``.
    """

    system: str
    turns: tuple[tuple[str, str], ...]


_INSTRUCTIONS = """Design this system. Deliver exactly these six sections, each as a level-2
Markdown heading with this exact title, in this order: {sections}.

- System Diagram: one ```mermaid flowchart of the components you choose.
- Technology Stack: a Markdown table with the columns Library | Version | Why.
- Implementation Guidelines: runnable Python examples for the critical parts.
- Build on the computed figures below (they come from the formulas shown) instead of
  re-deriving them; say so where you disagree and why.
- State the assumptions you rely on in the Executive Summary, and push back where the
  proposal is more than the numbers need."""


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


def transcript(request: DesignRequest) -> Transcript:
    """The persona's prompt and the conversation: the design request, then any history and a
    follow-up question."""
    turns: list[tuple[str, str]] = [("user", user_turn(request))]
    if request.followup:
        for role, text in request.history:
            if role == "user" and turns[-1][0] == "user":
                continue
            turns.append((role, text))
        if turns[-1][0] == "user":
            turns.append(("assistant", "(no answer recorded)"))
        turns.append(("user", request.followup))
    return Transcript(system=request.persona.prompt, turns=tuple(turns))
