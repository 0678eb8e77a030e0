"""Check a design against its own plan and stack, whoever wrote it (offline writer or a model).

:func:`verify` runs five checks and returns a :class:`Verification`:

- **sections**: the six deliverable sections are present, in order, and none is empty;
- **diagram**: the System Diagram has a mermaid block, and every mermaid block parses — with
  mermaid's own parser when one is passed in (:func:`pyt_arch_kit.verify.mermaid.node_parser`
  runs the vendored npm package under node); without one the verdict says the syntax was not
  checked, never that it passed;
- **python**: every ``python`` block parses (``ast``), and imports only the standard library,
  what the Technology Stack lists (distribution names mapped to import names) and the app's own
  package;
- **figures**: every number the text quotes for a plan figure (instances, cores, p99, pool sizes,
  connection totals, workers …) matches the plan within its rounding — see
  :mod:`pyt_arch_kit.verify.quotes` for exactly what counts as a quote;
- **components**: the summary, diagram and stack name the components the plan chose (database
  engine, cache, broker, framework, data tool); the diagram and stack name no other database,
  cache, broker or framework, and nothing the plan pushed back on (Kafka at a few events a
  second, Kubernetes for one instance).

The checks (this module, ``checks``, ``quotes``, ``catalogue``, ``verdict``) are pure: they read
no file, clock or environment and start no process. The two edges sit beside them and are never
imported here: ``mermaid`` runs node, ``files`` reads a saved design for ``pyt-arch verify``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyt_arch_kit.design import APPENDIX, parse_appendix, parse_sections
from pyt_arch_kit.verify.catalogue import chosen_components
from pyt_arch_kit.verify.checks import (
    check_components,
    check_diagrams,
    check_figures,
    check_python,
    check_sections,
)
from pyt_arch_kit.verify.quotes import Quote
from pyt_arch_kit.verify.verdict import (
    CHECKS,
    Check,
    DiagramParser,
    DiagramParserUnavailable,
    Problem,
    Verification,
)

if TYPE_CHECKING:
    from pyt_arch_kit.design import Design
    from pyt_arch_kit.planning.model import Plan

__all__ = [
    "CHECKS",
    "Check",
    "DiagramParser",
    "DiagramParserUnavailable",
    "Problem",
    "Quote",
    "Verification",
    "verify",
]

_NO_PLAN = "not checked (no plan: a design read from Markdown; give its requirements)"


def verify(
    design: Design, plan: Plan | None = None, *, diagrams: DiagramParser | None = None
) -> Verification:
    """Check a design against its plan and its own stack.

    Args:
        design: the design, complete or not, from any backend.
        plan: the plan to check figures and components against (default: ``design.plan``).
        diagrams: a mermaid parser (e.g. :func:`pyt_arch_kit.verify.mermaid.node_parser`);
            without one, diagram syntax is reported as not checked.

    Returns:
        The verdict: every check's outcome and every problem found.
    """
    plan = plan if plan is not None else design.plan
    sections = parse_sections(design.text)
    chosen = chosen_components(plan) if plan is not None else None
    problems: list[Problem] = []
    checks: list[Check] = []
    quotes: list[Quote] = []
    for found, check in (
        check_sections(design.text),
        check_diagrams(sections, diagrams),
        check_python(sections, chosen),
    ):
        problems += found
        checks.append(check)
    if plan is None:
        checks += [Check("figures", "not checked", f"figures {_NO_PLAN}")]
        checks += [Check("components", "not checked", f"components {_NO_PLAN}")]
    else:
        appendix = parse_appendix(design.text)  # the figures table quotes the plan too
        figures = {**sections, APPENDIX: appendix} if appendix else sections
        found, check, quotes = check_figures(figures, plan)
        problems += found
        checks.append(check)
        found, check = check_components(sections, plan)
        problems += found
        checks.append(check)
    assert tuple(c.name for c in checks) == CHECKS
    return Verification(checks=tuple(checks), problems=tuple(problems), quotes=tuple(quotes))
