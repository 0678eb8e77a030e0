"""A percentile-threshold latency target ("80 % of requests within 20 s"), issue 21 item 1."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from pyt_arch_kit import Architect, PytArchError, Requirements, plan
from pyt_arch_kit.planning.percentile import meets_percentile
from pyt_arch_kit.planning.queueing import mgc_wait
from pyt_arch_kit.planning.tail import ResponseTime

_BASE = {
    "scale": {"peak_rps": 2000},
    "workload": {"cpu_ms_per_request": 20, "io_wait_ms_per_request": 30},
}


def _req(**latency: float) -> Requirements:
    return Requirements(**_BASE, latency={"p99_ms": 5000, **latency})


@pytest.mark.parametrize("pct", [0.1, 50, 80, 90, 95, 99, 99.9, 99.99])
def test_real_percentiles_and_thresholds_up_to_an_hour_are_accepted(pct: float) -> None:
    for ms in (0.5, 20_000, 3_600_000):
        req = _req(target_percentile=pct, target_ms=ms)
        assert (req.latency.target_percentile, req.latency.target_ms) == (pct, ms)


@pytest.mark.parametrize(
    ("latency", "field"),
    [
        ({"target_percentile": 100, "target_ms": 100}, "target_percentile"),
        ({"target_percentile": 0, "target_ms": 100}, "target_percentile"),
        ({"target_percentile": 80, "target_ms": 0}, "target_ms"),
        ({"target_percentile": 80, "target_ms": 3_600_001}, "target_ms"),
    ],
)
def test_out_of_bounds_targets_name_the_field(latency: dict[str, float], field: str) -> None:
    with pytest.raises((ValidationError, PytArchError), match=field):
        _req(**latency)


@pytest.mark.parametrize(
    ("given", "missing"), [("target_percentile", "target_ms"), ("target_ms", "target_percentile")]
)
def test_half_a_target_names_both_fields_and_the_fix(given: str, missing: str) -> None:
    with pytest.raises((ValidationError, PytArchError)) as caught:
        _req(**{given: 80})
    text = str(caught.value)
    assert f"latency.{given} is set but latency.{missing} is not" in text
    assert f"add {missing} or remove {given}" in text


def test_the_fleet_grows_for_a_percentile_target_the_p99_alone_does_not_need() -> None:
    without = plan(_req()).capacity
    p = plan(_req(target_percentile=80, target_ms=77.2))
    cap = p.capacity
    assert without.target_percentile_ms is None and without.meets_target_percentile
    assert cap.instances > without.instances
    assert cap.meets_target_percentile and cap.target_percentile_ms is not None
    assert cap.target_percentile_ms <= 77.2
    figure = next(f for f in p.figures if f.key == "target_percentile_ms")
    assert figure.value == pytest.approx(cap.target_percentile_ms)
    assert "80 % within 77.2 ms" in figure.label


def test_a_target_below_the_requests_own_time_is_reported_not_met() -> None:
    """80 % within 10 ms when a request alone takes 50 ms on average: no fleet meets it."""
    req = _req(target_percentile=80, target_ms=10)
    assert not plan(req).capacity.meets_target_percentile
    design = Architect().design(req)
    assert "80 % of requests within 10 ms: **not met**" in design.to_markdown()
    assert "Estimated p80 latency (target: 80 % within 10 ms)" in design.appendix


def test_the_design_states_a_met_target_with_its_figure() -> None:
    req = _req(target_percentile=95, target_ms=20_000)
    assert plan(req).capacity.meets_target_percentile
    design = Architect().design(req)
    assert "95 % of requests within 20,000 ms: **met**" in design.to_markdown()
    assert "Estimated p95 latency" in design.appendix


def test_the_percentile_is_read_from_the_same_distribution_as_the_p99() -> None:
    """M/M/1 (Jain 1991, box 30.1): the q-quantile of the response time is E[T]·ln(1/(1−q))."""
    prob, _mean, theta = mgc_wait(125, 0.002, 1, 1.0)
    rt = ResponseTime(prob, theta, 0.002, 1.0)
    for q in (0.5, 0.8, 0.9, 0.99):
        assert rt.quantile(q) == pytest.approx(rt.mean_s * math.log(1 / (1 - q)), rel=1e-6)
    p90_ms = rt.quantile(0.9) * 1000
    assert meets_percentile(rt, 90, p90_ms * 1.001)
    assert not meets_percentile(rt, 90, p90_ms * 0.999)
