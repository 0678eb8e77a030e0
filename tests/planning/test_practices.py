"""planning/practices.py: which practice decisions a design states, in order, by value."""

from __future__ import annotations

from typing import Any

import pytest

from pyt_arch_kit.planning.model import Broker, BrokerPlan, ConcurrencyModel
from pyt_arch_kit.planning.practices import plan_practices
from pyt_arch_kit.requirements import DatabaseKind
from tests.planning import capacity, concurrency, database, resolved


def topics(**sections: Any) -> list[str]:
    r = resolved(**sections)
    return [d.topic for d in plan_practices(r, capacity(), concurrency(), database(), None)]


def test_an_online_service_states_redundancy_retries_and_data_safety() -> None:
    assert topics(scale={"peak_rps": 100}) == ["redundancy", "retries", "data safety"]


def test_a_batch_job_or_no_requests_has_neither_redundancy_nor_retries() -> None:
    assert topics(interface="batch") == ["data safety"]
    assert topics(scale={"peak_rps": 0}) == ["data safety"]


def test_grpc_states_per_call_load_balancing_after_redundancy() -> None:
    r = resolved(interface="grpc", scale={"peak_rps": 100})
    decisions = plan_practices(
        r, capacity(instances=6), concurrency(ConcurrencyModel.ASYNCIO, 4), None, None
    )
    assert [d.topic for d in decisions] == ["redundancy", "load balancing", "retries"]
    lb = decisions[1]
    assert "onto a few of the 6 instances" in lb.why
    assert "Each instance runs 4 single-process containers" in lb.why


@pytest.mark.parametrize(
    ("interface", "scope"), [("grpc", "the calling service"), ("rest", "the client (API key)")]
)
def test_idempotency_keys_are_scoped_to_the_caller(interface: str, scope: str) -> None:
    r = resolved(interface=interface, scale={"peak_rps": 100})
    decisions = plan_practices(r, capacity(), concurrency(), database(idempotency_keys=True), None)
    idem = next(d for d in decisions if d.topic == "idempotency")
    assert idem.choice.startswith(f"idempotency keys scoped to {scope}, kept ~24 h")


@pytest.mark.parametrize(("broker", "name"), [(None, "the broker"), ("RabbitMQ", "RabbitMQ")])
def test_the_outbox_names_the_broker(broker: str | None, name: str) -> None:
    plan_broker = BrokerPlan(Broker.RABBITMQ, broker, "pika", "") if broker else None
    r = resolved(scale={"peak_rps": 100})
    decisions = plan_practices(r, capacity(), concurrency(), database(outbox=True), plan_broker)
    assert [d.topic for d in decisions] == ["redundancy", "retries", "outbox", "data safety"]
    outbox = decisions[2]
    assert f"the relay publishes outbox rows to {name} in order" in outbox.why


def test_redundancy_at_the_slo() -> None:
    r = resolved(scale={"peak_rps": 100}, latency={"availability_pct": 99.95})
    cap = capacity(
        instances=5,
        zones=3,
        instances_after_failure=3,
        utilisation_after_failure=0.667,
        redundancy_required=True,
    )
    decision = plan_practices(r, cap, concurrency(), None, None)[0]
    assert decision.choice == "5 instance(s) across 3 zones"
    assert decision.why == (
        "N+1 at the 99.95 % SLO: losing a zone leaves 3 instance(s) with their cores 67% busy, "
        "under the 80% ceiling where queueing climbs"
    )


@pytest.mark.parametrize(
    ("instances", "zones", "where", "trade"),
    [
        (1, 1, "1 instance in one zone", "a failure or a deploy is an outage"),
        (2, 2, "2 instance(s) across 2 zones", "a zone outage costs capacity"),
    ],
)
def test_redundancy_below_the_slo(instances: int, zones: int, where: str, trade: str) -> None:
    """99.5 %: (100 − 99.5) / 100 × 30 × 24 = 3.6 h of downtime a month."""
    r = resolved(scale={"peak_rps": 100}, latency={"availability_pct": 99.5})
    cap = capacity(instances=instances, zones=zones, redundancy_required=False)
    decision = plan_practices(r, cap, concurrency(), None, None)[0]
    assert decision.choice == where
    assert decision.why.startswith("a 99.5 % SLO (below 99.9 %) allows 3.6 h of downtime a month")
    assert decision.trade_off.startswith(trade)


def test_retries_stay_within_the_p99_deadline_and_a_ten_percent_budget() -> None:
    r = resolved(scale={"peak_rps": 100}, latency={"p50_ms": 30, "p99_ms": 250})
    retries = plan_practices(r, capacity(), concurrency(), None, None)[1]
    assert retries.topic == "retries"
    assert "one deadline below the 250 ms p99 target, with a retry budget of 10% of requests" in (
        retries.choice
    )


@pytest.mark.parametrize(
    ("engine", "standbys", "sync", "start"),
    [
        ("mongodb", 2, True, "a three-member replica set across zones"),
        ("postgresql", 1, True, "daily base backups"),
        ("postgresql", 0, False, "daily base backups"),
    ],
)
def test_data_safety(engine: str, standbys: int, sync: bool, start: str) -> None:
    kind = DatabaseKind(engine)
    db = database(engine=kind, standbys=standbys, synchronous_standby=sync, rpo="R", rto="T")
    decision = plan_practices(resolved(interface="batch"), capacity(), concurrency(), db, None)[-1]
    assert decision.topic == "data safety"
    assert decision.choice.startswith(start)
    assert "over 14 days" in decision.choice
    assert decision.why == "RPO R; RTO T"
    if engine == "postgresql":
        standby = "a synchronous standby in another zone" if sync else "standby in another"
        assert (standby in decision.choice) is bool(standbys)
        assert decision.trade_off.startswith("a synchronous standby adds a network round trip")
    else:
        assert decision.trade_off.startswith("w: majority adds a round trip")
