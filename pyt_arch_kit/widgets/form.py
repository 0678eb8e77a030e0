"""The requirements form: generated from the models, validated live, runs the persona."""

from __future__ import annotations

import html
import re
import threading
from pathlib import Path
from typing import Any

import ipywidgets as w
from pydantic import BaseModel

from pyt_arch_kit.compare import Comparison, compare_plans
from pyt_arch_kit.errors import PytArchError, RequirementsError
from pyt_arch_kit.planning.model import fmt_number
from pyt_arch_kit.presets import preset, preset_names
from pyt_arch_kit.questions import Question, known_ranking, rank_questions
from pyt_arch_kit.requirements import Requirements, _fmt
from pyt_arch_kit.widgets.fields import FieldWidget, label_of, make_field
from pyt_arch_kit.widgets.preview import preview_html, preview_plan
from pyt_arch_kit.widgets.results import plural
from pyt_arch_kit.widgets.runner import DesignRunner, Run

__all__ = ["RequirementsForm"]

_CHOOSE = "(choose a preset)"
_PATH = re.compile(r"\b([a-z]+)\.([a-z0-9_]+)\b")
_KEY = re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b")
#: A number as Python prints it (``10000000.0``, ``1e-05``): shown as the help shows numbers.
_RAW_NUMBER = re.compile(r"(?<![\w.,])\d+(?:\.\d+)?(?:e[-+]?\d+)?(?![\w.,]*\d)")


class RequirementsForm:
    """A form that gathers :class:`~pyt_arch_kit.Requirements` and runs the architect on them.

    Every field of the requirement models gets a widget chosen from its type and bounds, with its
    description as help, grouped by section (System, Scale, Latency, Consistency, Workload,
    Infrastructure, Proposed approach). Edits are validated as you make them: a problem shows at
    its field and nothing you entered is lost. The clarifying questions still open are listed
    beside the form at once, and ordered a moment later (ranking them re-plans the design, in
    the background), the ones whose answer would change the design first (each with what it
    would change), and unset fields say at the field what the design assumes for them. A live
    preview under the form shows the planner's key figures after every valid edit. Below it, the
    Design button runs the persona and streams the design in; a design stays on screen until a
    newer one replaces it, and says so when the form no longer matches it.

    Args:
        requirements: start from these, or from a preset's name.
        backend: ``"offline"`` (default) or ``"claude"``.

    Example:
        ```pycon
        >>> form = RequirementsForm("io-bound-api")
        >>> form.requirements.scale.peak_rps
        2000.0
        >>> form.run().design.complete
        True
        ```
    """

    def __init__(
        self, requirements: Requirements | str | None = None, backend: str = "offline"
    ) -> None:
        self.fields: dict[str, FieldWidget] = {}
        self.valid: Requirements | None = None
        self.problems: list[tuple[str, str]] = []
        self._quiet = False
        # The open questions are ranked in a background thread (a ranking re-plans the design
        # once per probe: tens to hundreds of ms): one thread at a time, always on the newest
        # requirements; what it finds is shown only if the form still shows those.
        self._gaps_lock = threading.Lock()
        self._gaps_for: Requirements | None = None
        self._pending: tuple[Requirements, dict[str, str]] | None = None
        self._ranker: threading.Thread | None = None
        self.sections = self._build_sections()
        self.preset = w.Dropdown(
            options=[_CHOOSE, *preset_names()],
            description="Preset",
            style={"description_width": "4em"},
        )
        self.message = w.HTML("")
        self.gaps = w.HTML("")
        self.preview = w.HTML("")
        self.runner = DesignRunner(self.validate, backend=backend, label=self.label)
        left = w.VBox(
            [self.preset, self.sections, self.message, self.preview], layout=w.Layout(width="62%")
        )
        right = w.VBox(
            [
                w.HTML("<b>Clarifying questions still open</b> (what changes the design first)"),
                self.gaps,
            ],
            layout=w.Layout(width="38%", padding="0 0 0 1em"),
        )
        self.widget = w.VBox([w.HBox([left, right]), self.runner.widget])
        self.preset.observe(self._on_preset, names="value")
        for field in self.fields.values():
            field.widget.observe(self._edited(field), names="value")
            if field.toggle is not None:
                field.toggle.observe(self._on_change, names="value")
        if isinstance(requirements, str):
            requirements = preset(requirements)
        self.set_requirements(requirements or Requirements())
        self._show_preset()

    def _build_sections(self) -> Any:
        groups: list[tuple[str, list[FieldWidget]]] = [("System", [])]
        for name, info in Requirements.model_fields.items():
            model = info.annotation
            if isinstance(model, type) and issubclass(model, BaseModel):
                fields = [
                    self._add(f"{name}.{key}", sub) for key, sub in model.model_fields.items()
                ]
                groups.append((_title(name), fields))
            else:
                groups[0][1].append(self._add(name, info))
        accordion = w.Accordion(
            children=[w.VBox([f.box for f in fields]) for _, fields in groups], selected_index=0
        )
        for i, (title, _) in enumerate(groups):
            accordion.set_title(i, title)
        return accordion

    def _add(self, path: str, info: Any) -> FieldWidget:
        field = make_field(path, info)
        self.fields[path] = field
        return field

    # -- reading and writing -----------------------------------------------------------------

    def values(self) -> dict[str, Any]:
        """The form's content as a nested mapping (unset fields left out)."""
        data: dict[str, Any] = {}
        for path, field in self.fields.items():
            value = field.get()
            if value is not None:
                section, _, key = path.rpartition(".")
                (data.setdefault(section, {}) if section else data)[key] = value
        return data

    @property
    def requirements(self) -> Requirements:
        """The requirements as entered.

        Raises:
            RequirementsError: naming each field that is wrong (also shown at the fields).
        """
        return Requirements.parse(self.values(), source="form")

    def set_requirements(self, requirements: Requirements) -> None:
        """Fill the form from a :class:`~pyt_arch_kit.Requirements` (unset fields stay unset)."""
        self._quiet = True
        try:
            for path, field in self.fields.items():
                section, _, key = path.rpartition(".")
                holder = getattr(requirements, section) if section else requirements
                field.set(getattr(holder, key))
        finally:
            self._quiet = False
        self.validate()

    # -- what the form shows ------------------------------------------------------------------

    def label(self, path: str) -> str:
        """A field's name as the form shows it, e.g. ``Latency › p99 (ms)``."""
        section, _, _key = path.rpartition(".")
        return f"{_title(section)} › {label_of(path)}" if section else label_of(path)

    def on_screen(self, message: str) -> str:
        """A validation message with field paths replaced by the labels the form shows."""

        def dotted(m: re.Match[str]) -> str:
            path = f"{m.group(1)}.{m.group(2)}"
            return f"“{self.label(path)}”" if path in self.fields else m.group(0)

        keys = {p.rpartition(".")[2]: p for p in self.fields}

        def bare(m: re.Match[str]) -> str:
            path = keys.get(m.group(0))
            return f"“{label_of(path)}”" if path else m.group(0)

        def number(m: re.Match[str]) -> str:
            return fmt_number(float(m.group(0)))

        return _RAW_NUMBER.sub(number, _KEY.sub(bare, _PATH.sub(dotted, message)))

    def _show_preset(self) -> None:
        """Show the preset the form holds, if it holds one exactly."""
        current = self.valid
        match = next((n for n in preset_names() if current == preset(n)), None)
        value = match or _CHOOSE
        if self.preset.value != value:
            self._quiet = True
            try:
                self.preset.value = value
            finally:
                self._quiet = False

    # -- live validation ---------------------------------------------------------------------

    def validate(self) -> Requirements | None:
        """Check the form now: show each problem at its field and refresh the open questions.

        Returns:
            The valid requirements, or ``None`` if a field is wrong.
        """
        for field in self.fields.values():
            field.show_error("")
        try:
            self.valid, self.problems = self.requirements, []
            self.message.value = ""
        except RequirementsError as exc:
            self.valid, self.problems = None, exc.problems
            unplaced = []
            for loc, msg in exc.problems:
                target = self.fields.get(loc) or self.fields.get(loc.split(" ")[0])
                if target is not None:
                    target.show_error(self.on_screen(msg))
                else:
                    unplaced.append(self.on_screen(f"{loc}: {msg}" if loc else msg))
            self.message.value = (
                "<span style='color:#b00020'>Fix the marked fields.</span>"
                + "".join(f"<br>⚠ {html.escape(m)}" for m in unplaced)
            )
        self._show_gaps()
        self.preview.value = preview_html(preview_plan(self.valid)) if self.valid else ""
        self.runner.set_ready(self.valid is not None)
        self.runner.view.mark(self.valid, running=self.runner.running)
        return self.valid

    def _show_gaps(self) -> None:
        if self.valid is None:
            self._set_gaps(None, "<i>(shown again once the fields are valid)</i>")
            for field in self.fields.values():
                field.show_unset(None)
            return
        gaps = self.valid.gaps()
        assumed = {g.field: _fmt(g.assumed) for g in gaps}
        raw = {g.field: g.assumed for g in gaps}
        for path, field in self.fields.items():
            field.show_unset(assumed.get(path))
            value = raw.get(path)
            if (
                not field.is_set
                and field.kind in ("log", "int", "float")
                and isinstance(value, int | float)
                and not isinstance(value, bool)
                and field.widget.value != value
            ):
                # An unset number box shows the number the design assumes, not a stale 100
                # beside "assuming 50,000"; it stays unset until the user edits it.
                was, self._quiet = self._quiet, True
                try:
                    field.widget.value = int(value) if field.kind == "int" else float(value)
                finally:
                    self._quiet = was
        if not gaps:
            self._set_gaps(None, "<i>None: every field that matters is set.</i>")
            return
        ranked = known_ranking(self.valid)
        if ranked is not None:
            self._set_gaps(self.valid, self._questions_html(ranked, assumed))
            return
        # Listed at once in the form's order; re-ordered when the ranking is done.
        items = "".join(
            f"<li>{html.escape(g.question)}<br><small>{html.escape(self.label(g.field))}: "
            f"assuming <b>{html.escape(assumed[g.field])}</b> — "
            f"{html.escape(self.on_screen(g.because))}</small></li>"
            for g in gaps
        )
        self._set_gaps(
            self.valid,
            f"<ol style='padding-left:1.2em;line-height:1.4'>{items}</ol>"
            "<small><i>Ordering them by what would change the design…</i></small>",
        )
        with self._gaps_lock:
            self._pending = (self.valid, assumed)
            if self._ranker is None:
                self._ranker = threading.Thread(
                    target=self._rank_pending, name="pyt-arch-questions", daemon=True
                )
                self._ranker.start()

    def _set_gaps(self, shown_for: Requirements | None, value: str) -> None:
        with self._gaps_lock:
            self._gaps_for = shown_for
            self.gaps.value = value

    def _questions_html(self, ranked: list[Question], assumed: dict[str, str]) -> str:
        items = "".join(
            f"<li>{html.escape(q.gap.question)}<br><small>{html.escape(self.label(q.field))}: "
            f"assuming <b>{html.escape(assumed[q.field])}</b> — "
            f"{html.escape(self.on_screen(q.gap.because))}<br>"
            + (
                f"<b>Would change:</b> {html.escape(self.on_screen(q.impact()))}"
                if q.changes_design
                else "<i>Does not change this design</i> (within the answers tried)"
            )
            + "</small></li>"
            for q in ranked
        )
        return f"<ol style='padding-left:1.2em;line-height:1.4'>{items}</ol>"

    def _rank_pending(self) -> None:
        """The ranking thread: ranks the newest pending requirements until none is left."""
        while True:
            with self._gaps_lock:
                job, self._pending = self._pending, None
                if job is None:
                    self._ranker = None
                    return
            requirements, assumed = job
            try:
                text = self._questions_html(rank_questions(requirements), assumed)
            except Exception:  # the questions stay listed in the form's order
                continue
            with self._gaps_lock:
                if self._pending is None and self._gaps_for is requirements:
                    self.gaps.value = text

    def wait_for_questions(self, timeout: float | None = None) -> bool:
        """Wait until the open questions beside the form are in their ranked order.

        Ranking them re-plans the design once per plausible answer, so the form lists them at
        once and orders them in the background; notebooks and tests that read ``form.gaps``
        can wait for the order here.

        Args:
            timeout: the most seconds to wait (``None``: until done).

        Returns:
            ``True`` once no ranking is pending or running, ``False`` if the timeout came first.
        """
        with self._gaps_lock:
            ranker = self._ranker
        if ranker is not None:
            ranker.join(timeout)
        with self._gaps_lock:
            return self._ranker is None

    def _edited(self, field: FieldWidget) -> Any:
        def on_edit(change: dict[str, Any]) -> None:
            if self._quiet:
                return
            if field.toggle is not None and not field.toggle.value:
                field.toggle.value = True  # editing a value sets the field (and revalidates)
                return
            self.validate()
            self._show_preset()

        return on_edit

    def _on_change(self, _change: dict[str, Any]) -> None:
        if not self._quiet:
            self.validate()
            self._show_preset()

    def _on_preset(self, change: dict[str, Any]) -> None:
        if not self._quiet and change["new"] in preset_names():
            self.set_requirements(preset(change["new"]))

    # -- running -----------------------------------------------------------------------------

    def run(self) -> Run:
        """Run the design now and wait for it (for scripts, tests and notebooks).

        Returns:
            The :class:`~pyt_arch_kit.widgets.runner.Run`, also appended to :attr:`runs`.

        Raises:
            RequirementsError: if the form's requirements are invalid.
            PytArchError: if a run is already in progress.
        """
        requirements = self.validate()
        if requirements is None:
            raise RequirementsError(self.problems, source="form")
        if self.runner.start() is None:
            raise PytArchError("a design is already running; wait for it or press Stop")
        run = self.runner.wait()
        assert run is not None
        return run

    @property
    def runs(self) -> list[Run]:
        """Every run of this form (requirements, plan, design, usage, error), oldest first."""
        return self.runner.runs

    def compare(self, a: Run | int = -2, b: Run | int = -1) -> Comparison:
        """What changed between two runs: requirements, decisions and figures with deltas.

        Args:
            a: a run, or its index in :attr:`runs` (default: the one before last).
            b: a run, or its index in :attr:`runs` (default: the last).

        Raises:
            PytArchError: if there are not two runs with a plan to compare, or one of them
                failed (it produced no design: comparing it would report its plan as if a
                design had come of it).
        """
        picked: list[Run] = []
        for which in (a, b):
            if isinstance(which, Run):
                picked.append(which)
                continue
            try:
                picked.append(self.runs[which])
            except IndexError:
                raise PytArchError(
                    f"no run {which} to compare: this form has {plural(len(self.runs), 'run')}; "
                    "press Design (or call form.run()) again"
                ) from None
        first, second = picked
        if first.plan is None or second.plan is None:
            raise PytArchError("a run without a plan cannot be compared; pick runs that planned")
        for run in picked:
            if run.state == "failed":
                number = self.runs.index(run) + 1 if run in self.runs else 0
                designed = [i for i, r in enumerate(self.runs) if r.state != "failed"]
                hint = (
                    f"compare runs that produced a design, e.g. form.compare({designed[-2]}, "
                    f"{designed[-1]})"
                    if len(designed) >= 2
                    else "press Design again once it can run"
                )
                raise PytArchError(
                    f"run {number or '?'} failed ({run.error or 'no design'}): it has no design "
                    f"to compare; {hint}"
                )
        names = tuple(
            f"run {self.runs.index(r) + 1}" if r in self.runs else "a run" for r in picked
        )
        return compare_plans(
            first.plan,
            second.plan,
            titles=(names[0], names[1]),
            requirements=(first.requirements, second.requirements),
        )

    def export(self, path: str | Path, *, overwrite: bool = False) -> Path:
        """Save the latest design as Markdown (``.md``), JSON (``.json``) or HTML (``.html``).

        ``.html`` is one self-contained file (diagram drawn, charts and the plan's tables) to
        send to a team.

        Raises:
            PytArchError: if nothing ran yet, or the file exists and ``overwrite`` is not set.
        """
        return self.runner.export(path, overwrite=overwrite)

    def export_runs(self, directory: str | Path, *, overwrite: bool = False) -> list[Path]:
        """Save every run of this session (Markdown and JSON each, plus an index)."""
        from pyt_arch_kit.exports import export_runs

        return export_runs(self.runs, directory, overwrite=overwrite)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = dict(self.widget._repr_mimebundle_(**kwargs) or {})
        bundle["text/plain"] = repr(self)  # what a static page or a terminal shows
        return bundle

    def __repr__(self) -> str:
        state = "valid" if self.valid is not None else plural(len(self.problems), "problem")
        return f"RequirementsForm({self.valid.name if self.valid else '?'!r}, {state})"


def _title(name: str) -> str:
    return {"proposed": "Proposed approach"}.get(name, name.replace("_", " ").capitalize())
