"""The planner finishes on every valid input: no loop steps one instance or one connection at
a time (issue 11, item 4). The strategy is generated from the requirement models' own bounds,
so a new field is swept over its whole valid range without touching this file."""

from __future__ import annotations

from datetime import timedelta
from enum import Enum
from typing import Any, get_args, get_origin

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from pyt_arch_kit import Requirements, RequirementsError, plan
from pyt_arch_kit.writer import write_design

_NAMES = ["kafka", "kubernetes", "asyncio", "spark", "threads", "django", "flask", "redis"]


def _bound(field: Any, attr: str) -> float | None:
    for meta in field.metadata:
        value = getattr(meta, attr, None)
        if value is not None:
            return float(value)
    return None


def _values(field: Any) -> st.SearchStrategy[Any]:
    """Every valid value of a field, with its extremes drawn often."""
    if get_origin(field.annotation) is list:
        return st.lists(st.sampled_from(_NAMES), max_size=3, unique=True)
    args = [a for a in get_args(field.annotation) if a is not type(None)] or [field.annotation]
    kind = args[0]
    if isinstance(kind, type) and issubclass(kind, Enum):
        return st.sampled_from(list(kind))
    if kind is str:
        return st.just("")
    low = _bound(field, "ge")
    if low is None:
        low = _bound(field, "gt")
        low = None if low is None else low + (1 if kind is int else 1e-3)
    high = _bound(field, "le")
    if high is None and _bound(field, "lt") is not None:
        high = float(_bound(field, "lt") or 0) - 1e-6
    low = 0.0 if low is None else low
    high = 1e9 if high is None else high
    if kind is int:
        lo, hi = int(low), int(high)
        return st.one_of(st.sampled_from([lo, hi]), st.integers(lo, hi))
    return st.one_of(
        st.sampled_from([low, high]), st.floats(low, high, allow_nan=False, allow_infinity=False)
    )


def _section(model: type[BaseModel]) -> st.SearchStrategy[dict[str, Any]]:
    fields = {
        name: st.one_of(st.none(), _values(f)) if f.default is None else _values(f)
        for name, f in model.model_fields.items()
    }
    return st.fixed_dictionaries(fields)


@st.composite
def any_requirements(draw: st.DrawFn) -> Requirements:
    data: dict[str, Any] = {}
    for name, field in Requirements.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            data[name] = draw(_section(annotation))
        elif name == "interface":
            data[name] = draw(st.one_of(st.none(), _values(field)))
    # Repair the combinations the model rejects on purpose (each has its own test).
    lat, scale = data["latency"], data["scale"]
    work, infra = data["workload"], data["infrastructure"]
    if lat["p50_ms"] is not None and lat["p99_ms"] is not None and lat["p99_ms"] < lat["p50_ms"]:
        lat["p50_ms"], lat["p99_ms"] = lat["p99_ms"], lat["p50_ms"]
    if scale["avg_rps"] is not None and scale["peak_rps"] is not None:
        scale["avg_rps"] = min(scale["avg_rps"], scale["peak_rps"])
    if work["cpu_ms_per_request"] == 0:
        work["kind"] = None
    infra["must_avoid"] = [t for t in infra["must_avoid"] if t not in infra["must_use"]]
    try:
        return Requirements.parse(data)
    except RequirementsError:
        assume(False)
        raise


@settings(
    max_examples=120,
    deadline=timedelta(seconds=10),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(any_requirements())
def test_the_planner_and_writer_finish_over_the_whole_valid_range(r: Requirements) -> None:
    p = plan(r)
    assert p.capacity.instances >= 1
    assert write_design(p).count("\n## ") == 6  # after the first: five sections, the appendix


@pytest.mark.parametrize(
    "data",
    [
        # 184 s and 192,339,104 instances one step at a time before the fix
        {
            "scale": {"peak_rps": 100_000},
            "workload": {"cpu_ms_per_request": 600_000},
            "infrastructure": {"cores_per_instance": 1},
        },
        # did not finish before the fix (the pool loop)
        {
            "scale": {"peak_rps": 10_000_000},
            "workload": {"db_calls_per_request": 1000, "db_ms_per_call": 600_000},
        },
        {
            "scale": {"peak_rps": 10_000_000},
            "latency": {"p50_ms": 0.001, "p99_ms": 0.001},
            "workload": {"cpu_ms_per_request": 600_000, "io_wait_ms_per_request": 600_000},
            "infrastructure": {"cores_per_instance": 1024, "db_max_connections": 1},
        },
    ],
)
def test_the_issue_s_extreme_inputs_give_a_plan(data: dict[str, Any]) -> None:
    p = plan(Requirements.parse(data))
    cap = p.capacity
    assert cap.cores >= cap.busy_cores / cap.target_utilisation
    if p.database is not None:
        assert p.database.pool_size >= 1


def test_huge_fleets_are_sized_by_formula_not_by_steps() -> None:
    p = plan(
        Requirements.parse(
            {
                "scale": {"peak_rps": 100_000},
                "latency": {"availability_pct": 99.0},
                "workload": {"cpu_ms_per_request": 600_000, "io_wait_ms_per_request": 0},
                "infrastructure": {"cores_per_instance": 1},
            }
        )
    )
    busy = 100_000 * 600
    assert p.capacity.busy_cores == busy
    assert p.capacity.instances == -(-busy * 100 // 66)  # ⌈busy / 0.66⌉ at one core each
