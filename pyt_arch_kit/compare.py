"""Two plans side by side: what changed in the requirements, the decisions and the figures.

Pure: plans in, a [`Comparison`][pyt_arch_kit.compare.Comparison] out, which renders itself as
Markdown in Jupyter. The workbench's Compare tab and ``form.compare(a, b)`` show it.

Example:
    ```pycon
    >>> from pyt_arch_kit import plan, preset
    >>> from pyt_arch_kit.compare import compare_plans
    >>> low = preset("io-bound-api")
    >>> high = low.model_copy(update={"scale": low.scale.model_copy(update={"peak_rps": 20000})})
    >>> diff = compare_plans(plan(low), plan(high))
    >>> diff.requirements[0]
    ('scale.peak_rps', '2,000', '20,000')
    >>> diff.figure("instances").after > diff.figure("instances").before
    True
    ```
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pyt_arch_kit.planning.model import fmt_number

if TYPE_CHECKING:
    from pyt_arch_kit.planning.model import Plan
    from pyt_arch_kit.requirements import Requirements

__all__ = ["Comparison", "DecisionChange", "FigureDelta", "compare_plans"]


@dataclass(frozen=True)
class FigureDelta:
    """One figure in both plans.

    Attributes:
        key: the figure's key, e.g. ``"instances"``.
        label: what it is, for people.
        unit: its unit.
        before: its value in the first plan.
        after: its value in the second plan.
    """

    key: str
    label: str
    unit: str
    before: float
    after: float

    @property
    def delta(self) -> float:
        """``after - before``."""
        return self.after - self.before

    def delta_text(self) -> str:
        """The change with its sign, and in percent when the first value is not zero."""
        if self.delta == 0:
            return "—"
        sign = "+" if self.delta > 0 else "−"
        text = f"{sign}{fmt_number(abs(self.delta))}"
        if self.before:
            text += f" ({sign}{abs(self.delta) / abs(self.before):.0%})"
        return text


@dataclass(frozen=True)
class DecisionChange:
    """A decision whose choice differs between the two plans."""

    topic: str
    before: str
    after: str


@dataclass(frozen=True)
class Comparison:
    """What changed from one plan to another.

    Attributes:
        titles: names for the two sides, e.g. ``("run 1", "run 2")``.
        requirements: ``(field, before, after)`` for each requirement that differs.
        decisions: the decisions whose choice changed.
        figures: every figure both plans have, in the first plan's order.
        findings_added: findings only the second plan raises.
        findings_removed: findings only the first plan raises.
    """

    titles: tuple[str, str]
    requirements: tuple[tuple[str, str, str], ...]
    decisions: tuple[DecisionChange, ...]
    figures: tuple[FigureDelta, ...]
    findings_added: tuple[str, ...]
    findings_removed: tuple[str, ...]

    def figure(self, key: str) -> FigureDelta:
        """The figure with this key.

        Raises:
            KeyError: if the two plans do not both have it.
        """
        for f in self.figures:
            if f.key == key:
                return f
        raise KeyError(key)

    @property
    def changed_figures(self) -> tuple[FigureDelta, ...]:
        """The figures whose value differs."""
        return tuple(f for f in self.figures if f.delta != 0)

    def to_markdown(self) -> str:
        """Tables: requirements, decisions and figures that changed, with deltas."""
        a, b = (_cell(t) for t in self.titles)
        out = [f"**Compare: {a} → {b}**", ""]
        if not (self.requirements or self.decisions or self.changed_figures):
            return "\n".join([*out, "The two plans are the same.", ""])
        if self.requirements:
            out += ["| Requirement | " + a + " | " + b + " |", "|---|---:|---:|"]
            out += [f"| `{f}` | {_cell(x)} | {_cell(y)} |" for f, x, y in self.requirements]
            out.append("")
        if self.decisions:
            out += ["| Decision that changed | " + a + " | " + b + " |", "|---|---|---|"]
            out += [
                f"| {_cell(d.topic)} | {_cell(d.before)} | {_cell(d.after)} |"
                for d in self.decisions
            ]
            out.append("")
        else:
            out += ["No decision changed.", ""]
        changed = self.changed_figures
        if changed:
            out += ["| Figure | " + a + " | " + b + " | Δ |", "|---|---:|---:|---:|"]
            out += [
                f"| {_cell(f.label)} | {_shown(f.before, f.unit)} | {_shown(f.after, f.unit)} "
                f"| {f.delta_text()} |"
                for f in changed
            ]
            same = len(self.figures) - len(changed)
            out += ["", f"{same} other figure{'' if same == 1 else 's'} unchanged.", ""]
        for title, items in (
            ("Findings raised", self.findings_added),
            ("Findings gone", self.findings_removed),
        ):
            if items:
                out += [f"**{title}**", ""] + [f"- {_cell(i)}" for i in items] + [""]
        return "\n".join(out)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _shown(value: float, unit: str) -> str:
    return f"{fmt_number(value)} {unit}".strip()


def _flat(req: Requirements) -> dict[str, Any]:
    data = req.model_dump(mode="json")
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            out[key] = value
    return out


def _text(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return fmt_number(float(value))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    return str(value)


def requirement_changes(a: Requirements, b: Requirements) -> tuple[tuple[str, str, str], ...]:
    """``(field, before, after)`` for each field that differs, in the models' order."""
    fa, fb = _flat(a), _flat(b)
    return tuple((k, _text(fa[k]), _text(fb.get(k))) for k in fa if fa[k] != fb.get(k))


def compare_plans(
    a: Plan,
    b: Plan,
    *,
    titles: tuple[str, str] = ("before", "after"),
    requirements: tuple[Requirements, Requirements] | None = None,
) -> Comparison:
    """Compare two plans.

    Args:
        a: the first plan ("before").
        b: the second plan ("after").
        titles: what to call the two sides.
        requirements: the requirements as entered, to list the fields that changed (default:
            the plans' resolved requirements, assumptions included).

    Returns:
        The [`Comparison`][pyt_arch_kit.compare.Comparison].
    """
    ra, rb = requirements or (a.requirements, b.requirements)
    after = {d.topic: d for d in b.decisions}
    decisions = tuple(
        DecisionChange(d.topic, d.choice, after[d.topic].choice)
        for d in a.decisions
        if d.topic in after and after[d.topic].choice != d.choice
    )
    decisions += tuple(
        DecisionChange(d.topic, "—", d.choice)
        for d in b.decisions
        if d.topic not in {x.topic for x in a.decisions}
    )
    figures_b = {f.key: f for f in b.figures}
    figures = tuple(
        FigureDelta(f.key, f.label, f.unit, f.value, figures_b[f.key].value)
        for f in a.figures
        if f.key in figures_b
    )
    found_a = [f"{f.kind}: {f.title}" for f in a.findings]
    found_b = [f"{f.kind}: {f.title}" for f in b.findings]
    return Comparison(
        titles=titles,
        requirements=requirement_changes(ra, rb),
        decisions=decisions,
        figures=figures,
        findings_added=tuple(f for f in found_b if f not in found_a),
        findings_removed=tuple(f for f in found_a if f not in found_b),
    )
