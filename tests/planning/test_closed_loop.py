"""Closed-loop clients (N users or workers, think time Z), issue 21 item 2."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from pyt_arch_kit import Architect, PytArchError, Requirements, plan
from pyt_arch_kit.planning.closed import closed_loop_rate, mva

_WORK = {"cpu_ms_per_request": 20, "io_wait_ms_per_request": 30}


def _repairman(clients: int, service_s: float, think_s: float) -> float:
    """Throughput of the finite-source M/M/1 (the machine-repairman model) in closed form:
    X = (1 − P₀) / S, P₀ = 1 / Σₖ N! / (N − k)! · (S / Z)ᵏ (L. Kleinrock, "Queueing Systems",
    vol. 1, 1975, §3.8)."""
    total, term = 1.0, 1.0
    for k in range(1, clients + 1):
        term *= (clients - k + 1) * service_s / think_s
        total += term
    return (1 - 1 / total) / service_s


@pytest.mark.parametrize("clients", [1, 2, 5, 10, 50, 200])
def test_mva_on_one_server_is_the_machine_repairman_model_exactly(clients: int) -> None:
    closed = mva(clients, 0.1, 1, 0.0, 0.5)
    assert closed.throughput == pytest.approx(_repairman(clients, 0.1, 0.5), rel=1e-9)


@pytest.mark.parametrize("servers", [1, 3, 16])
def test_the_interactive_response_time_law_and_the_asymptotes_hold(servers: int) -> None:
    held, delay, think = 0.020, 0.030, 0.950
    for clients in (1, 10, 100, 1000, 10_000):
        closed = mva(clients, held, servers, delay, think)
        assert closed.throughput == pytest.approx(clients / (closed.response_s + think))
        assert closed.throughput <= closed_loop_rate(clients, held + delay, think) * (1 + 1e-9)
        assert closed.throughput <= servers / held * (1 + 1e-9)
    assert mva(1, held, servers, delay, think).response_s == pytest.approx(held + delay)
    assert mva(100_000, held, servers, delay, think).throughput == pytest.approx(
        servers / held, rel=1e-3
    )


def test_clients_alone_give_the_rate_they_can_send_and_the_design_says_they_bind() -> None:
    """200 users, 950 ms think time, 50 ms requests: at most 200 / (0.05 + 0.95) = 200 req/s."""
    req = Requirements(scale={"clients": 200, "think_time_ms": 950}, workload=_WORK)
    p = plan(req)
    assert p.resolved.scale.peak_rps == pytest.approx(200)
    assert any(
        a.field == "scale.peak_rps" and "200 closed-loop clients" in a.because
        for a in p.assumptions
    )
    cap = p.capacity
    assert cap.closed_loop_binds == "clients"
    assert cap.closed_loop_rps is not None and cap.closed_loop_response_ms is not None
    assert cap.closed_loop_rps == pytest.approx(200 / (cap.closed_loop_response_ms / 1000 + 0.95))
    text = Architect().design(req).to_markdown()
    assert "200 closed-loop clients with 950 ms think time" in text
    assert "the clients bind" in text
    assert "Quantitative System Performance" in text


def test_a_lower_stated_rate_binds_and_a_higher_one_is_lowered_to_the_clients() -> None:
    low = plan(
        Requirements(scale={"clients": 200, "think_time_ms": 950, "peak_rps": 50}, workload=_WORK)
    )
    assert low.resolved.scale.peak_rps == 50
    assert low.capacity.closed_loop_binds == "rate"
    assert low.capacity.closed_loop_rps == pytest.approx(50)
    high = plan(
        Requirements(scale={"clients": 200, "think_time_ms": 950, "peak_rps": 500}, workload=_WORK)
    )
    assert high.resolved.scale.peak_rps == pytest.approx(200)
    assert high.capacity.closed_loop_binds == "clients"
    assert any("so the clients bind" in a.because for a in high.assumptions)


def test_without_clients_nothing_changes() -> None:
    p = plan(Requirements(scale={"peak_rps": 200}, workload=_WORK))
    assert p.capacity.closed_loop_rps is None and p.capacity.closed_loop_binds == ""
    assert not any(f.key == "closed_loop_throughput_rps" for f in p.figures)


def test_a_think_time_without_clients_names_both_fields_and_the_fix() -> None:
    with pytest.raises((ValidationError, PytArchError)) as caught:
        Requirements(scale={"think_time_ms": 1000})
    text = str(caught.value)
    assert "scale.think_time_ms is set but scale.clients is not" in text
    assert "add clients" in text and "remove think_time_ms" in text


@pytest.mark.parametrize(
    ("scale", "field"),
    [
        ({"clients": 0}, "clients"),
        ({"clients": 100_001}, "clients"),
        ({"clients": 10, "think_time_ms": -1}, "think_time_ms"),
        ({"clients": 10, "think_time_ms": 3_600_001}, "think_time_ms"),
    ],
)
def test_out_of_bounds_clients_name_the_field(scale: dict[str, float], field: str) -> None:
    with pytest.raises((ValidationError, PytArchError), match=field):
        Requirements(scale=scale)


def test_a_load_test_of_many_users_without_think_time_is_bounded_by_the_fleet() -> None:
    """100,000 workers calling back to back: the plan is finite and the law holds."""
    p = plan(Requirements(scale={"clients": 100_000}, workload=_WORK))
    cap = p.capacity
    assert cap.closed_loop_rps is not None and math.isfinite(cap.closed_loop_rps)
    assert cap.closed_loop_response_ms is not None
    assert cap.closed_loop_rps == pytest.approx(100_000 / (cap.closed_loop_response_ms / 1000))
