"""Every valid requirements file gives a plan, a design in every format and a clean verify.

The requirements are generated from the pydantic models themselves: each field is left unset or
drawn inside its own bounds (``ge``/``gt``/``le``/``lt``, enum members, list and text lengths),
with edge values (the bounds, tiny and huge numbers) weighted in. The few cross-field rules of
:class:`~pyt_arch_kit.requirements.Requirements` (average ≤ peak, p50 ≤ p99, …) are then
respected, so every example is a file a user may legitimately write.

"Clean" means, for every example:

- ``plan()`` returns, and the assumptions it makes respect what was stated (the resolved
  requirements validate against the same rules as the input: a JSON design's plan re-loads);
- the offline design renders as Markdown, JSON and HTML (charts included) without an exception;
- ``verify`` of that design (and of its JSON as ``pyt-arch verify`` reads it back) finds no
  problem in the sections, python, figures or components checks. The diagram check needs node
  and mermaid's parser, which this test does not start: it is "not checked" here, by design.
"""

from __future__ import annotations

import json
import re
from enum import Enum
from pathlib import Path
from typing import Any, get_args

import annotated_types as at
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from pyt_arch_kit import Architect, Requirements, plan
from pyt_arch_kit.charts import growth_points, p99_curve
from pyt_arch_kit.verify.files import read_design

# -- a strategy read off the models ----------------------------------------------------------


def _bounds(info: FieldInfo) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for meta in info.metadata:
        if isinstance(meta, at.Ge):
            out["min_value"] = meta.ge
        elif isinstance(meta, at.Gt):
            out["min_value"], out["exclude_min"] = meta.gt, True
        elif isinstance(meta, at.Le):
            out["max_value"] = meta.le
        elif isinstance(meta, at.Lt):
            out["max_value"], out["exclude_max"] = meta.lt, True
        elif isinstance(meta, at.MaxLen):
            out["max_size"] = meta.max_length
        elif isinstance(meta, at.MinLen):
            out["min_size"] = meta.min_length
        elif getattr(meta, "pattern", None):
            out["pattern"] = meta.pattern
    return out


def _number(kind: type, bounds: dict[str, Any]) -> st.SearchStrategy[Any]:
    lo, hi = bounds.get("min_value", 0), bounds.get("max_value", 10**9)
    if kind is int:
        lo += 1 if bounds.get("exclude_min") else 0
        hi -= 1 if bounds.get("exclude_max") else 0
        return st.one_of(st.sampled_from([lo, hi]), st.integers(lo, hi))
    plain = st.floats(allow_nan=False, allow_infinity=False, **bounds)
    edges = [v for v in (lo, hi, 1e-3, 1.0) if plain_accepts(v, bounds)]
    tiny = (
        st.floats(
            min_value=lo, max_value=min(hi, 1e-2), exclude_min=bounds.get("exclude_min", False)
        )
        if lo < 1e-2
        else st.nothing()
    )
    return st.one_of(st.sampled_from(edges), tiny, plain) if edges else plain


def plain_accepts(value: float, bounds: dict[str, Any]) -> bool:
    lo, hi = bounds.get("min_value", float("-inf")), bounds.get("max_value", float("inf"))
    above = value > lo if bounds.get("exclude_min") else value >= lo
    below = value < hi if bounds.get("exclude_max") else value <= hi
    return above and below


WORDS = ["postgresql", "redis", "kafka", "django", "fastapi", "spark", "celery", "kubernetes"]


def _optional(annotation: Any) -> bool:
    return type(None) in get_args(annotation)


def _value(info: FieldInfo) -> st.SearchStrategy[Any]:
    ann = info.annotation
    kind = next(a for a in get_args(ann) if a is not type(None)) if _optional(ann) else ann
    bounds = _bounds(info)
    if isinstance(kind, type) and issubclass(kind, Enum):
        return st.sampled_from([m.value for m in kind])
    if kind is bool:
        return st.booleans()
    if kind in (int, float):
        return _number(kind, bounds)
    if kind is str:
        text = st.text(
            min_size=bounds.get("min_size", 0), max_size=min(bounds.get("max_size", 80), 80)
        )
        pattern = bounds.get("pattern")
        return text.filter(lambda t: re.fullmatch(pattern, t) is not None) if pattern else text
    if getattr(kind, "__origin__", None) is list:
        return st.lists(st.sampled_from(WORDS), max_size=3, unique=True)
    raise AssertionError(f"no strategy for {info.annotation!r}")


def _section(model: type[BaseModel]) -> st.SearchStrategy[dict[str, Any]]:
    fields = {
        name: st.one_of(st.none(), _value(info)) if _optional(info.annotation) else _value(info)
        for name, info in model.model_fields.items()
    }
    return st.fixed_dictionaries({}, optional=fields)


def _top() -> dict[str, st.SearchStrategy[Any]]:
    out: dict[str, st.SearchStrategy[Any]] = {}
    for name, info in Requirements.model_fields.items():
        ann = info.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out[name] = _section(ann)
        else:
            out[name] = _value(info)
    return out


def _consistent(data: dict[str, Any]) -> dict[str, Any]:
    """Respect the cross-field rules, as a user fixing the loader's message would."""
    scale, lat, work = data.get("scale", {}), data.get("latency", {}), data.get("workload", {})
    infra = data.get("infrastructure", {})
    if scale.get("peak_rps") is not None and scale.get("avg_rps") is not None:
        scale["avg_rps"] = min(scale["avg_rps"], scale["peak_rps"])
    if lat.get("p50_ms") is not None and lat.get("p99_ms") is not None:
        lat["p50_ms"] = min(lat["p50_ms"], lat["p99_ms"])
    if scale.get("think_time_ms") is not None and scale.get("clients") is None:
        scale.pop("think_time_ms")  # a think time belongs to closed-loop clients
    if (lat.get("target_percentile") is None) != (lat.get("target_ms") is None):
        lat.pop("target_percentile", None)  # a percentile target comes whole or not at all
        lat.pop("target_ms", None)
    if work.get("kind") == "cpu" and work.get("cpu_ms_per_request") == 0:
        work["cpu_ms_per_request"] = 1.0
    window, fresh = work.get("window_h"), work.get("freshness_s")
    if window is not None and fresh and window * 3600 > fresh:
        work["freshness_s"] = min(31_536_000, window * 3600)
    if infra.get("must_use") and infra.get("must_avoid"):
        infra["must_avoid"] = [t for t in infra["must_avoid"] if t not in infra["must_use"]]
    return {k: v for k, v in data.items() if v is not None}


valid_files = st.fixed_dictionaries({}, optional=_top()).map(_consistent)


# -- the property -----------------------------------------------------------------------------


def assert_clean(data: dict[str, Any], tmp: Path) -> None:
    req = Requirements.parse(data)
    p = plan(req)
    # The assumptions respect what was stated: the filled requirements load again.
    Requirements.parse(p.requirements.model_dump(mode="json"), source="resolved")
    design = Architect().design(req)
    assert design.to_markdown()
    assert design.to_html(charts=False)
    # The charts' data (drawing them with matplotlib takes seconds: the examples below do).
    assert growth_points(p)
    assert p99_curve(p, [0.1, 0.5, 0.9])
    saved = tmp / "design.json"
    saved.write_text(design.to_json(), encoding="utf-8")
    for verdict in (design.verify(), (lambda d, pl: d.verify(pl))(*read_design(saved))):
        assert verdict.ok, verdict.summary()
        assert [c.name for c in verdict.unchecked] == ["diagram"], verdict.summary()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=valid_files)
@example(data={"scale": {"avg_rps": 1000}})
@example(  # data that starts at almost nothing and grows: the growth factor was infinite
    data={"scale": {"data_gb": 5e-324, "growth_gb_per_month": 7e6, "concurrent_users": None}}
)
@example(  # the smallest worker node: its executors still have a heap (was −0.3 GB below 2 GB)
    data={
        "workload": {"data_mode": "batch", "batch_data_gb": 1e8},
        "infrastructure": {"node_ram_gb": 2},
    }
)
@example(data={"scale": {"clients": 100_000, "think_time_ms": 0}})
@example(data={"scale": {"clients": 1, "think_time_ms": 3_600_000, "peak_rps": 10_000_000}})
@example(data={"scale": {"clients": 100_000, "peak_rps": 0}, "workload": {"cpu_ms_per_request": 0}})
@example(data={"latency": {"target_percentile": 99.999, "target_ms": 5e-324}})
@example(data={"latency": {"target_percentile": 1e-9, "target_ms": 3_600_000}})
@example(data={"latency": {"p99_ms": 0.001}})
@example(data={"latency": {"p99_ms": 5e-324}})
@example(data={"latency": {"p50_ms": 3_600_000}})
@example(data={"workload": {"data_mode": "batch", "freshness_s": 100}})
@example(data={"workload": {"data_mode": "batch", "window_h": 118}})
@example(data={"workload": {"data_mode": "streaming", "window_h": 1}})
@example(data={"workload": {"data_mode": "batch", "freshness_s": 31_536_000}})
@example(
    data={
        "workload": {"data_mode": "streaming", "batch_data_gb": 1e8},
        "scale": {"payload_kb": 1e-6},
    }
)
def test_every_valid_file_gives_a_plan_every_format_and_a_clean_verify(
    data: dict[str, Any], tmp_path: Path
) -> None:
    assert_clean(data, tmp_path)


@pytest.mark.parametrize(
    ("stated", "path", "check"),
    [
        ({"scale": {"avg_rps": 1000}}, "scale.peak_rps", lambda v: v >= 1000),
        ({"latency": {"p99_ms": 0.001}}, "latency.p50_ms", lambda v: 0 < v <= 0.001),
        ({"latency": {"p50_ms": 3_600_000}}, "latency.p99_ms", lambda v: v == 3_600_000),
    ],
)
def test_assumptions_respect_the_stated_fields(
    stated: dict[str, Any], path: str, check: Any
) -> None:
    filled, made = Requirements.parse(stated).resolved()
    section, key = path.split(".")
    assert check(getattr(getattr(filled, section), key))
    assert path in {a.field for a in made}


@pytest.mark.parametrize(
    "stated",
    [
        {"scale": {"avg_rps": 1000}},
        {"latency": {"p99_ms": 0.001}},
        {"latency": {"p50_ms": 3_600_000}},
    ],
)
def test_stated_extremes_render_html_with_charts(stated: dict[str, Any]) -> None:
    design = Architect().design(Requirements.parse(stated))
    assert design.to_html().count("data:image/png;base64,") == 2


def test_avg_rps_alone_plans_four_times_the_average() -> None:
    saved = json.loads(
        Architect().design(Requirements.parse({"scale": {"avg_rps": 1000}})).to_json()
    )
    assert saved["plan"]["requirements"]["scale"]["peak_rps"] == 4000
