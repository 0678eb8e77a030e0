"""A WebSocket service's cores carry its pushed messages (issue 20): live scores were sized
from 3,000 req/s × 1 ms while each broadcast costs a worker 0.2–4 s of its core. The message
rate is an input; the cores are messages/s × sockets per message × CPU per send."""

from __future__ import annotations

import pytest

from pyt_arch_kit import Architect, Requirements, plan, preset
from pyt_arch_kit.errors import RequirementsError


def test_the_live_scores_cores_carry_their_pushed_messages() -> None:
    p = plan(preset("realtime-websocket"))
    w = p.resolved.workload
    assert (w.messages_per_s, w.sockets_per_message) == (5, 10_000)
    sends_cores = 5 * 10_000 * 250e-6  # 12.5 cores at 250 µs a send
    requests_cores = 3000 * 1 / 1000
    assert p.capacity.busy_cores == pytest.approx(requests_cores + sends_cores)
    assert p.capacity.cores >= p.capacity.busy_cores / 0.66
    busy = p.figure("busy_cores")
    assert "messages/s · sockets per message · s per send" in busy.formula
    assert "websockets" in busy.source
    text = Architect().design(preset("realtime-websocket")).text
    assert "5 messages/s × 10,000 sockets each: 12.5 cores at 250 µs a send" in text


def test_a_message_for_everyone_reaches_every_connected_socket() -> None:
    base = {"interface": "websocket", "scale": {"peak_rps": 100, "concurrent_users": 20_000}}
    quiet = plan(Requirements.parse(base)).capacity.busy_cores
    loud = plan(Requirements.parse({**base, "workload": {"messages_per_s": 2}}))
    assert loud.capacity.busy_cores == pytest.approx(quiet + 2 * 20_000 * 250e-6)
    assert loud.capacity.instances > plan(Requirements.parse(base)).capacity.instances


def test_a_service_without_sockets_ignores_the_message_rate() -> None:
    api = {"interface": "rest", "scale": {"peak_rps": 100}}
    assert plan(Requirements.parse({**api, "workload": {"messages_per_s": 50}})).capacity == (
        plan(Requirements.parse(api)).capacity
    )


@pytest.mark.parametrize(("field", "value"), [("messages_per_s", -1), ("sockets_per_message", 0)])
def test_a_message_rate_out_of_bounds_names_the_field(field: str, value: float) -> None:
    with pytest.raises(RequirementsError, match=field):
        Requirements.parse({"interface": "websocket", "workload": {field: value}})


def test_a_message_reaches_no_more_sockets_than_are_connected() -> None:
    few = plan(
        Requirements.parse(
            {
                "interface": "websocket",
                "scale": {"peak_rps": 100, "concurrent_users": 1000},
                "workload": {"messages_per_s": 5, "sockets_per_message": 10_000},
            }
        )
    )
    assert few.figure("busy_cores").inputs[3] == ("sockets per message", 1000)
