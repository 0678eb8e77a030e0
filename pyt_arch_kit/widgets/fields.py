"""One widget per requirement field, chosen from the field's type, bounds and metadata.

Nothing here names a field: a new field on a model gets a widget from its annotation alone.
An optional field has a "set" checkbox, so that leaving it unset keeps it ``None`` (a gap that
becomes a clarifying question); editing its value ticks the box.
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

__all__ = ["FieldWidget", "make_field"]

UNSET = "(unset)"
_LABEL_WIDTH = "12em"


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
    """A field's input widget, its optional "set" checkbox and the line showing its error.

    Attributes:
        path: the field's dotted path, e.g. ``"scale.peak_rps"``.
        widget: the input widget (``.value`` is what the user entered).
        toggle: the "set" checkbox of an optional field (``None`` for required ones).
        error: where a validation message for this field is shown.
        kind: ``enum``, ``list``, ``bool``, ``text``, ``log``, ``int`` or ``float``.
        integer: whether the model wants an ``int`` (log sliders are rounded).
        box: the whole row, ready to lay out.
    """

    path: str
    widget: Any
    toggle: Any
    error: Any
    kind: str
    integer: bool
    box: Any

    def get(self) -> Any:
        """The value for the model (``None`` when unset)."""
        if self.toggle is not None and not self.toggle.value:
            return None
        value = self.widget.value
        if self.kind == "enum":
            return None if value == UNSET else value
        if self.kind == "list":
            return list(value)
        if self.integer:
            return round(value)
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


def _log_field(
    integer: bool, low: float | None, high: float, default: Any, common: dict[str, Any]
) -> tuple[Any, Any]:
    """A log-scale slider for sweeping orders of magnitude, beside a number box for exact
    values (zero included, which a log scale cannot show). The box holds the value."""
    low = low or 0.0
    floor = max(low, 1.0 if integer else 1e-2)  # the slider's left end
    start = float(default) if isinstance(default, int | float) else 100.0
    box_cls = w.BoundedIntText if integer else w.BoundedFloatText
    box = box_cls(
        value=round(start) if integer else start,
        min=round(low) if integer else low,
        max=round(high) if integer else high,
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

    def from_slider(change: dict[str, Any]) -> None:
        value = change["new"]
        if not math.isclose(value, max(float(box.value), floor), rel_tol=1e-9):
            box.value = round(value) if integer else float(f"{value:.4g}")

    def from_box(change: dict[str, Any]) -> None:
        slider.value = min(max(float(change["new"]), floor), high)

    slider.observe(from_slider, names="value")
    box.observe(from_box, names="value")
    return box, w.HBox([slider, box])


def make_field(path: str, info: FieldInfo) -> FieldWidget:
    """Build the widget for one model field from its annotation, bounds and description."""
    inner, optional = _unwrap(info.annotation)
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    label = path.rsplit(".", 1)[-1].replace("_", " ")
    help_text = info.description or ""
    common: dict[str, Any] = {
        "description": label,
        "style": {"description_width": _LABEL_WIDTH},
        "layout": w.Layout(width="34em"),
        "tooltip": help_text,
    }
    low, high = _bounds(info)
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
    elif inner is int:
        kind = "int"
        lo_i = int(low) if low is not None else -(10**9)
        widget = w.BoundedIntText(
            value=int(default) if isinstance(default, int) else max(lo_i, 0),
            min=lo_i,
            max=int(high) if high is not None else 10**9,
            **common,
        )
    else:
        kind = "float"
        lo_f = low if low is not None else -1e12
        widget = w.BoundedFloatText(
            value=float(default) if isinstance(default, int | float) else max(lo_f, 0.0),
            min=lo_f,
            max=high if high is not None else 1e12,
            **common,
        )
    toggle = (
        w.Checkbox(
            value=False,
            indent=False,
            layout=w.Layout(width="2em"),
            tooltip="set this field (an unset field becomes a clarifying question)",
        )
        if optional
        else None
    )
    if kind not in ("log", "list"):
        shown = widget
    if kind == "list":
        shown = w.HBox([w.Label(label, layout=w.Layout(width=_LABEL_WIDTH)), widget])
    error = w.HTML("", layout=w.Layout(display="none", margin="0 0 0 14em"))
    help_line = w.HTML(
        f"<small style='color:#666'>{html.escape(help_text)}</small>",
        layout=w.Layout(margin="-4px 0 4px 14em"),
    )
    row = w.HBox(
        [toggle, shown] if toggle is not None else [w.Box(layout=w.Layout(width="2em")), shown]
    )
    box = w.VBox([row, help_line, error])
    return FieldWidget(path, widget, toggle, error, kind, inner is int, box)
