"""planning/capacity_figures.py: each capacity figure's value, inputs and wording."""

from __future__ import annotations

from typing import Any

import pytest

from pyt_arch_kit import plan
from pyt_arch_kit.planning.model import Figure
from tests.planning import req

IO_API: dict[str, Any] = {
    "scale": {"peak_rps": 2000},
    "latency": {"p99_ms": 200, "availability_pct": 99.9},
    "workload": {"cpu_ms_per_request": 4, "io_wait_ms_per_request": 36, "service_cv": 1.0},
    # a random split: each event loop an M/G/1 queue with Poisson arrivals, the textbook case
    "infrastructure": {"cores_per_instance": 4, "balancer": "random"},
}


def figures(**sections: Any) -> dict[str, Figure]:
    return {f.key: f for f in plan(req(**sections)).figures}


def test_the_io_bound_example_figure_by_figure() -> None:
    """5 instances × 4 event loops = 20 queues of one server, each at 2,000 / 20 × 4 ms = 0.4."""
    f = figures(**IO_API)
    assert f["in_flight"].value == pytest.approx(80.0)
    assert dict(f["in_flight"].inputs) == {"λ (peak req/s)": 2000.0, "W (s in system)": 0.04}
    assert dict(f["busy_cores"].inputs) == {"λ (peak req/s)": 2000.0, "CPU s per request": 0.004}
    assert (f["cores"].value, dict(f["cores"].inputs)) == (
        20,
        {"instances": 5, "cores per instance": 4},
    )
    assert dict(f["instances"].inputs) == {
        "busy cores": 8.0,
        "cores per instance": 4,
        "U_target": 0.66,
        "U_failover": 0.8,
        "base (utilisation and N+1)": 5,
    }
    assert f["utilisation_after_failure"].label == "Core utilisation after losing a zone"
    assert dict(f["utilisation_after_failure"].inputs) == {
        "busy cores": 8.0,
        "instances": 5,
        "zones": 3,
        "survivors": 3,
    }
    assert f["utilisation_after_failure"].source == (
        "N+1 at the SLO: survivors stay below 0.8 when the SLO is ≥ 99.9 %"
    )
    q = f["queue_utilisation"]
    assert q.label == "Utilisation of the event loops requests queue for"
    assert dict(q.inputs) == {
        "λ (peak req/s)": 2000.0,
        "s held (ms)": 4.0,
        "queues": 20,
        "c per queue": 1,
    }
    wait = f["wait_probability"]
    assert wait.formula == "C(c, a) (Erlang C), per worker"
    assert dict(wait.inputs) == {"c": 1, "a = λ · s held per queue": pytest.approx(0.4)}
    w99 = f["queue_wait_p99_ms"]
    assert w99.label == "p99 wait in the queue (event loop)"
    assert dict(w99.inputs)["θ (ms)"] == pytest.approx(1000 / 150)
    assert f["p99_estimate_ms"].formula == "P(T > t) = 0.01, T = W + S (per worker)"
    assert dict(f["p99_estimate_ms"].inputs)["target p99 ms"] == 200.0
    assert f["p99_after_failure_ms"].label == "Estimated p99 after losing a zone"
    assert dict(f["headroom_rps"].inputs) == {
        "cores": 20,
        "CPU s per request": 0.004,
        "λ": 2000.0,
    }
    assert "fanout_slow_probability" not in f


def test_one_instance_loses_the_instance_not_a_zone_and_has_no_failover_ceiling() -> None:
    f = figures(scale={"peak_rps": 1}, latency={"availability_pct": 99.0, "p99_ms": 10_000})
    assert f["utilisation_after_failure"].label == "Core utilisation after losing the instance"
    assert f["p99_after_failure_ms"].label == "Estimated p99 after losing the instance"
    assert dict(f["instances"].inputs)["U_failover"] == "n/a"


def test_nothing_queues_without_requests() -> None:
    f = figures(scale={"peak_rps": 0})  # a batch interface has no request figures at all
    assert f["p99_estimate_ms"].formula.endswith("(no queue (no CPU time or no requests))")
    assert dict(f["wait_probability"].inputs)["a = λ · s held per queue"] == 0.0
    assert dict(f["p99_estimate_ms"].inputs)["target p99 ms"] == 250.0


@pytest.mark.parametrize(("calls", "present"), [(0, False), (1, True), (100, True)])
def test_the_fan_out_figure_appears_with_any_fan_out(calls: int, present: bool) -> None:
    f = figures(workload={"fanout_calls": calls})
    assert ("fanout_slow_probability" in f) is present
    if present:
        fig = f["fanout_slow_probability"]
        assert fig.value == pytest.approx(1 - 0.99**calls)
        assert dict(fig.inputs) == {"N (parallel calls)": calls}


def test_two_instances_are_two_zones_and_lose_a_zone() -> None:
    f = figures(scale={"peak_rps": 1}, latency={"availability_pct": 99.9, "p99_ms": 10_000})
    assert dict(f["utilisation_after_failure"].inputs)["zones"] == 2
    assert f["utilisation_after_failure"].label == "Core utilisation after losing a zone"
    assert f["p99_after_failure_ms"].label == "Estimated p99 after losing a zone"
