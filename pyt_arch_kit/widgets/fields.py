"""One widget per requirement field, chosen from the field's type, bounds and metadata.

Nothing here names a field: a new field on a model gets a widget from its annotation alone.
An optional field has a labelled "set" checkbox, so that leaving it unset keeps it ``None`` (a gap
that becomes a clarifying question, shown at the field as "unset — assuming X"); editing its value
ticks the box. Number boxes never clamp or round what is typed: a value out of bounds (or 1.5 in a
whole-number field) is kept as typed and flagged at the field by validation.
"""

from __future__ import annotations

import enum
import html
import math
import types
import typing
from dataclasses import dataclass
from typing import Any

import ipywidgets as w
from pydantic.fields import FieldInfo

__all__ = ["FieldWidget", "label_of", "make_field"]

UNSET = "(unset)"
_LABEL_WIDTH = "12em"
_UNITS = {"ms": "ms", "s": "s", "gb": "GB", "kb": "KB", "pct": "%", "rps": "req/s"}
_WORDS = {
    "cpu": "CPU",
    "io": "IO",
    "db": "DB",
    "cv": "CV",
    "avg": "average",
    "p50": "p50",
    "p99": "p99",
}


def label_of(path: str) -> str:
    """The label a field has on screen: its name in words, the unit in brackets.

    Example:
        ```pycon
        >>> label_of("latency.p99_ms"), label_of("workload.cpu_ms_per_request")
        ('p99 (ms)', 'CPU (ms per request)')
        ```
    """
    words = [_WORDS.get(w, w) for w in path.rsplit(".", 1)[-1].split("_")]
    for i, word in enumerate(words):
        if i and word.lower() in _UNITS and (i == len(words) - 1 or words[i + 1] == "per"):
            unit = " ".join([_UNITS[word.lower()], *words[i + 1 :]])
            return " ".join(words[:i]) + f" ({unit})"
    return " ".join(words)


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """``(inner type, optional?)`` for ``X | None``."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _bounds(info: FieldInfo) -> tuple[float | None, float | None]:
    """``(low, high)`` from the field's ``ge``/``gt``/``le``/``lt`` constraints."""
    low = high = None
    for meta in info.metadata:
        for attr in ("ge", "gt"):
            if getattr(meta, attr, None) is not None:
                low = float(getattr(meta, attr))
        for attr in ("le", "lt"):
            if getattr(meta, attr, None) is not None:
                high = float(getattr(meta, attr))
    return low, high


def _max_length(info: FieldInfo) -> int:
    return max((getattr(m, "max_length", 0) or 0 for m in info.metadata), default=0)


@dataclass
class FieldWidget:
    """A field's input widget, its optional "set" checkbox and the lines showing its state.

    Attributes:
        path: the field's dotted path, e.g. ``"scale.peak_rps"``.
        widget: the input widget (``.value`` is what the user entered, never clamped).
        toggle: the "set" checkbox of an optional field (``None`` for required ones).
        error: where a validation message for this field is shown.
        kind: ``enum``, ``list``, ``bool``, ``text``, ``log``, ``int`` or ``float``.
        integer: whether the model wants an ``int`` (a slider's value is rounded; a typed 1.5
            is kept and flagged).
        box: the whole row, ready to lay out.
        label: the label on screen, e.g. ``"p99 (ms)"``.
        note: where "unset — assuming X" shows for an optional field left unset.
    """

    path: str
    widget: Any
    toggle: Any
    error: Any
    kind: str
    integer: bool
    box: Any
    label: str = ""
    note: Any = None

    @property
    def is_set(self) -> bool:
        """Whether the field has a value (an enum set to "(unset)" has none)."""
        if self.toggle is not None:
            return bool(self.toggle.value)
        return not (self.kind == "enum" and self.widget.value == UNSET)

    def get(self) -> Any:
        """The value for the model (``None`` when unset), exactly as typed."""
        if self.toggle is not None and not self.toggle.value:
            return None
        value = self.widget.value
        if self.kind == "enum":
            return None if value == UNSET else value
        if self.kind == "list":
            return list(value)
        if self.integer and isinstance(value, float) and value.is_integer():
            return int(value)
        return value

    def set(self, value: Any) -> None:
        """Show a value from the model (``None`` unticks the "set" box)."""
        if self.toggle is not None:
            self.toggle.value = value is not None
        if value is None:
            if self.kind == "enum":
                self.widget.value = UNSET if UNSET in self._options() else self.widget.value
            return
        if self.kind == "enum":
            self.widget.value = value.value if isinstance(value, enum.Enum) else value
        elif self.kind == "list":
            self.widget.value = list(value)
        else:
            self.widget.value = value

    def _options(self) -> list[Any]:
        return [o[1] if isinstance(o, tuple) else o for o in self.widget.options]

    def show_error(self, message: str) -> None:
        """Show (or clear, with ``""``) the message under the field."""
        self.error.value = (
            f"<span style='color:#b00020'>⚠ {html.escape(message)}</span>" if message else ""
        )
        self.error.layout.display = "" if message else "none"

    def show_unset(self, assumed: str | None) -> None:
        """Say at the field that it is unset, and what the design assumes instead.

        Args:
            assumed: the assumption as shown in the questions panel, or ``None`` for a field
                that is set (or one the design needs no assumption for: "unset" alone).
        """
        if self.note is None:
            return
        if self.is_set:
            self.note.value = ""
        elif assumed is None:
            self.note.value = "<i style='color:#8a5a00'>unset</i>"
        else:
            self.note.value = (
                f"<i style='color:#8a5a00'>unset — assuming {html.escape(assumed)}</i>"
            )


def _log_field(
    integer: bool, low: float | None, high: float, default: Any, common: dict[str, Any]
) -> tuple[Any, Any]:
    """A log-scale slider for sweeping orders of magnitude, beside a number box for exact
    values (zero included, which a log scale cannot show). The box holds the value as typed:
    the slider only follows it (resting at an end for a value outside its range)."""
    low = low or 0.0
    floor = max(low, 1.0 if integer else 1e-2)  # the slider's left end
    start = float(default) if isinstance(default, int | float) else 100.0
    box = w.FloatText(
        value=start,
        continuous_update=False,
        layout=w.Layout(width="9em"),
        tooltip=common["tooltip"],
    )
    slider = w.FloatLogSlider(
        value=min(max(start, floor), high),
        base=10,
        min=math.log10(floor),
        max=math.log10(high),
        step=0.01,
        readout=False,
        continuous_update=False,
        **{**common, "layout": w.Layout(width="25em")},
    )
    following = [False]  # the slider is moving because the box changed: do not write back

    def from_slider(change: dict[str, Any]) -> None:
        if following[0]:
            return
        value = change["new"]
        box.value = round(value) if integer else float(f"{value:.4g}")

    def from_box(change: dict[str, Any]) -> None:
        following[0] = True
        try:
            slider.value = min(max(float(change["new"]), floor), high)
        finally:
            following[0] = False

    slider.observe(from_slider, names="value")
    box.observe(from_box, names="value")
    return box, w.HBox([slider, box])


def _help(info: FieldInfo, low: float | None, high: float | None, integer: bool) -> str:
    text = info.description or ""
    if low is not None or high is not None:
        from pyt_arch_kit.planning.model import fmt_number

        lo = fmt_number(low) if low is not None else "…"
        hi = fmt_number(high) if high is not None else "…"
        text += f" Allowed: {lo} to {hi}" + (", a whole number." if integer else ".")
    return text.strip()


def make_field(path: str, info: FieldInfo) -> FieldWidget:
    """Build the widget for one model field from its annotation, bounds and description."""
    inner, optional = _unwrap(info.annotation)
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    label = label_of(path)
    low, high = _bounds(info)
    help_text = _help(info, low, high, inner is int)
    common: dict[str, Any] = {
        "description": label,
        "style": {"description_width": _LABEL_WIDTH},
        "layout": w.Layout(width="34em"),
        "tooltip": help_text,
    }
    default = info.get_default(call_default_factory=True)
    widget: Any
    if isinstance(inner, type) and issubclass(inner, enum.Enum):
        kind = "enum"
        options = ([UNSET] if optional else []) + [m.value for m in inner]
        value = default.value if isinstance(default, enum.Enum) else options[0]
        widget = w.Dropdown(options=options, value=value, **common)
        optional = False  # the "(unset)" choice plays the toggle's part
    elif typing.get_origin(inner) is list:
        kind = "list"
        widget = w.TagsInput(value=list(default or []), allow_duplicates=False)
    elif inner is bool:
        kind = "bool"
        widget = w.Checkbox(value=bool(default), **common)
    elif inner is str:
        kind = "text"
        cls = w.Textarea if _max_length(info) > 200 else w.Text
        widget = cls(value=default or "", continuous_update=False, **common)
    elif inner in (int, float) and extra.get("widget") == "log" and high is not None:
        kind = "log"
        widget, shown = _log_field(inner is int, low, high, default, common)
    else:
        # A plain number box that keeps what is typed (no min/max clamping, no rounding).
        kind = "int" if inner is int else "float"
        start = float(default) if isinstance(default, int | float) else max(low or 0.0, 0.0)
        widget = w.FloatText(value=start, continuous_update=False, **common)
    toggle = (
        w.Checkbox(
            value=False,
            description="set",
            indent=False,
            layout=w.Layout(width="3.5em"),
            tooltip="set this field (an unset field becomes a clarifying question)",
        )
        if optional
        else None
    )
    if kind not in ("log", "list"):
        shown = widget
    if kind == "list":
        shown = w.HBox([w.Label(label, layout=w.Layout(width=_LABEL_WIDTH)), widget])
    error = w.HTML("", layout=w.Layout(display="none", margin="0 0 0 15.5em"))
    note = w.HTML("", layout=w.Layout(margin="0 0 0 0.5em")) if optional or kind == "enum" else None
    help_line = w.HTML(
        f"<div style='color:#666;font-size:85%;line-height:1.35'>{html.escape(help_text)}</div>",
        layout=w.Layout(margin="0 0 4px 15.5em"),
    )
    lead = toggle if toggle is not None else w.Box(layout=w.Layout(width="3.5em"))
    row = w.HBox([lead, shown, *([note] if note is not None else [])])
    box = w.VBox([row, help_line, error])
    return FieldWidget(path, widget, toggle, error, kind, inner is int, box, label, note)
