"""The result area under the form: the design on screen, and whether it still matches the form.

A design stays on screen until a newer run produces one: a failed run never wipes it. When the
form no longer matches the requirements the design was made from, a banner says so and names
what changed, in the labels the form shows. After a second design, a Compare tab shows what
changed between the two.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from pyt_arch_kit.compare import compare_plans, requirement_changes
from pyt_arch_kit.design import SECTIONS
from pyt_arch_kit.errors import MissingExtraError
from pyt_arch_kit.widgets.view import markdown_output

if TYPE_CHECKING:
    from pyt_arch_kit.planning.model import Plan
    from pyt_arch_kit.requirements import Requirements
    from pyt_arch_kit.widgets.runner import Run

__all__ = ["ResultsView", "plural"]

#: Tab titles short enough for ipywidgets' fixed tab width (each tab's heading has the full name).
TAB_TITLES = dict(
    zip(
        SECTIONS,
        ("Summary", "Diagram", "Stack", "Guidelines", "Operations", "Risks"),
        strict=True,
    )
)
_AMBER = (
    "<div style='background:#fff4e5;border-left:4px solid #f0ad4e;padding:4px 8px;"
    "margin:4px 0;line-height:1.45'>{}</div>"
)


def plural(n: float, word: str, many: str | None = None) -> str:
    """``"1 replica"``, ``"2 replicas"``, ``"0 replicas"`` (thousands separated).

    Example:
        ```pycon
        >>> plural(1, "replica"), plural(3, "instance"), plural(2, "query", "queries")
        ('1 replica', '3 instances', '2 queries')
        ```
    """
    shown = f"{n:,}" if isinstance(n, int) or float(n).is_integer() else f"{n:,.2f}"
    shown = shown.removesuffix(".0") if "." in shown and float(n).is_integer() else shown
    return f"{shown} {word if n == 1 else (many or word + 's')}"


class ResultsView:
    """The tabs of the design on screen, and the banner that says when it is out of date.

    Args:
        label: turns a field path into the label the form shows (``"p99 (ms)"``).
    """

    def __init__(self, label: Any = str) -> None:
        self._label = label
        self.banner = w.HTML("")
        self.tabs = w.Tab()
        self.widget = w.VBox([self.banner, self.tabs])
        self.shown: Run | None = None
        self.shown_number = 0
        self.failed: Run | None = None

    def show(self, run: Run, number: int) -> None:
        """Put a run's design on screen (and a Compare tab against the design it replaces)."""
        assert run.design is not None
        previous, previous_number = self.shown, self.shown_number
        tabs: list[tuple[str, Any]] = []
        for name in SECTIONS:
            body = run.design.sections.get(name, "*(missing from the answer)*")
            tabs.append((TAB_TITLES[name], _markdown_widget(f"## {name}\n\n{body}")))
        if run.plan is not None:
            tabs.append(("Plan", _markdown_widget(run.plan._repr_markdown_())))
            tabs.append(("Charts", _charts(run.plan)))
            if previous is not None and previous.plan is not None:
                diff = compare_plans(
                    previous.plan,
                    run.plan,
                    titles=(f"run {previous_number}", f"run {number}"),
                    requirements=(previous.requirements, run.requirements),
                )
                tabs.append(("Compare", _markdown_widget(diff.to_markdown())))
        self.tabs.children = [widget for _, widget in tabs]
        for i, (title, _) in enumerate(tabs):
            self.tabs.set_title(i, title)
        self.shown, self.shown_number, self.failed = run, number, None

    def mark(self, current: Requirements | None, *, running: bool = False) -> None:
        """Say whether the design on screen still matches the form (and any failed run).

        One state at a time: while a run goes, the banner says only that.
        """
        notes: list[str] = []
        if running and self.shown is not None:
            notes.append(
                f"A new design is being written; run {self.shown_number} stays until it is done."
            )
        if self.failed is not None and self.shown is not None and not running:
            notes.append(
                f"The latest run {self.failed.state}; still showing the design of run "
                f"{self.shown_number}."
            )
        if self.shown is not None and not running:
            if current is None:
                notes.append(
                    "<b>Out of date</b>: the form has changed since this design and has problems "
                    "to fix."
                )
            elif current != self.shown.requirements:
                changes = requirement_changes(self.shown.requirements, current)
                listed = "; ".join(
                    f"{html.escape(self._label(f))}: {html.escape(a)} → {html.escape(b)}"
                    for f, a, b in changes[:4]
                ) + ("; …" if len(changes) > 4 else "")
                notes.append(
                    f"<b>Out of date</b>: the form has changed since this design ({listed}). "
                    "Press <b>Design</b> to update it."
                )
        self.banner.value = _AMBER.format("<br>".join(notes)) if notes else ""

    @property
    def stale(self) -> bool:
        """Whether the banner says the design on screen is out of date."""
        return "Out of date" in self.banner.value


def _markdown_widget(text: str) -> Any:
    out = w.Output()
    out.outputs = (markdown_output(text),)
    return out


def _charts(plan: Plan) -> Any:
    try:
        from pyt_arch_kit.charts import capacity_vs_growth, p99_vs_utilisation, png

        images = [png(p99_vs_utilisation(plan)), png(capacity_vs_growth(plan))]
    except MissingExtraError as exc:
        return w.HTML(html.escape(str(exc)))
    # One above the other, each at the size it was drawn (640 px; narrower only if the panel is):
    # side by side, each was shrunk to half the panel and its legend to ~6 px text.
    return w.VBox(
        [
            w.Image(value=image, format="png", layout=w.Layout(width="640px", max_width="100%"))
            for image in images
        ]
    )
