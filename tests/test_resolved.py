"""resolved.py: requirements with every field set, made once from the assumption rules."""

from __future__ import annotations

import dataclasses

import pytest

from pyt_arch_kit import Requirements, plan, preset, preset_names
from pyt_arch_kit.resolved import NOT_APPLICABLE, ResolvedRequirements, resolve


def _unset(obj: object, where: str = "") -> list[str]:
    out = []
    for f in dataclasses.fields(obj):  # type: ignore[arg-type]
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value):
            out += _unset(value, f"{where}{f.name}.")
        elif value is None and f.name != "architecture":
            out.append(where + f.name)
    return out


@pytest.mark.parametrize("name", preset_names())
def test_every_field_of_a_preset_is_set(name: str) -> None:
    resolved, made = resolve(preset(name))
    assert _unset(resolved) == []
    assert resolved.requirements == preset(name).resolved()[0]
    assert made == preset(name).resolved()[1]


def test_an_empty_requirement_gets_the_rules_values() -> None:
    r, _ = resolve(Requirements())
    assert (r.scale.peak_rps, r.latency.p99_ms, r.infrastructure.db_max_connections) == (
        100.0,
        250.0,
        100,
    )
    assert (r.workload.cpu_ms_per_request, r.workload.io_wait_ms_per_request) == (5.0, 40.0)


def test_fields_that_do_not_matter_get_their_neutral_value() -> None:
    """A batch job with no database: no users online, no queue to model, no pools."""
    r, made = resolve(Requirements(interface="batch", infrastructure={"database": "none"}))
    assert r.scale.concurrent_users == NOT_APPLICABLE["scale.concurrent_users"] == 0
    assert r.workload.service_cv == 1.0 and r.workload.db_ms_per_call == 0.0
    assert r.infrastructure.db_max_connections == 0 and r.proposed.service_count == 1
    # neutral values are not assumptions: the user is never told about them
    assert not {a.field for a in made} & {"scale.concurrent_users", "workload.db_ms_per_call"}
    assert r.requirements.scale.concurrent_users is None  # the model, and its JSON, keep None


def test_a_plan_keeps_what_its_planner_read() -> None:
    p = plan(preset("io-bound-api"))
    assert isinstance(p.resolved, ResolvedRequirements)
    assert p.resolved == resolve(preset("io-bound-api"))[0]
    assert p.requirements is p.resolved.requirements
