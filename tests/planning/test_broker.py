"""planning/broker.py: which broker events go through, and when a log broker is premature."""

from __future__ import annotations

from typing import Any

import pytest

from pyt_arch_kit.planning.broker import (
    broker_client,
    choose_broker,
    plan_broker,
    proposed_log_broker_is_premature,
)
from pyt_arch_kit.planning.model import ConcurrencyModel
from tests.planning import resolved

M = ConcurrencyModel


def chosen(**sections: Any) -> str | None:
    found = choose_broker(resolved(**sections))
    return None if found is None else found[0]


@pytest.mark.parametrize(
    ("peak", "mode", "premature", "broker"),
    [
        (999.9, "none", True, None),  # below 1,000 events/s: the database is the queue
        (1000, "none", False, "kafka"),
        (10, "streaming", False, "kafka"),  # streaming data justifies a log
    ],
)
def test_a_proposed_kafka_below_a_thousand_events_a_second_is_premature(
    peak: float, mode: str, premature: bool, broker: str | None
) -> None:
    sections: dict[str, Any] = {
        "scale": {"peak_rps": peak},
        "workload": {"data_mode": mode},
        "proposed": {"technologies": ["Kafka"]},
    }
    assert proposed_log_broker_is_premature(resolved(**sections)) is premature
    assert chosen(**sections) == broker


def test_a_kafka_the_organisation_runs_is_never_premature() -> None:
    sections: dict[str, Any] = {
        "scale": {"peak_rps": 10},
        "proposed": {"technologies": ["kafka"]},
        "infrastructure": {"existing_services": ["Kafka"]},
    }
    assert not proposed_log_broker_is_premature(resolved(**sections))
    key, why = choose_broker(resolved(**sections)) or ("", "")
    assert key == "kafka" and why.startswith("the organisation already runs Kafka")


@pytest.mark.parametrize(
    ("peak", "run", "proposed", "broker"),
    [
        (10, ["rabbitmq", "kafka"], [], "rabbitmq"),  # a light queue first at a low rate
        (5000, ["rabbitmq", "kafka"], [], "kafka"),  # the log first when the rate needs it
        (10, ["rabbitmq", "sqs"], ["sqs"], "sqs"),  # of those it runs, the one proposed
        (10, [], ["rabbitmq"], "rabbitmq"),
        (5000, [], ["sqs", "pulsar"], "pulsar"),
        (10, [], ["sqs", "pulsar"], "sqs"),  # Pulsar premature: the proposed queue remains
        (10, [], [], None),
    ],
)
def test_broker_preference(peak: float, run: list[str], proposed: list[str], broker: str) -> None:
    sections: dict[str, Any] = {
        "scale": {"peak_rps": peak},
        "proposed": {"technologies": proposed},
        "infrastructure": {"existing_services": run},
    }
    assert chosen(**sections) == broker


def test_an_event_interface_with_nothing_named_gets_kafka() -> None:
    assert chosen(interface="events", scale={"peak_rps": 10}) == "kafka"


@pytest.mark.parametrize(
    ("key", "model", "client"),
    [
        ("kafka", M.ASYNCIO, "aiokafka"),
        ("kafka", M.HYBRID, "aiokafka"),
        ("kafka", M.SYNC, "confluent-kafka"),
        ("rabbitmq", M.THREADS, "pika"),
        ("sqs", M.PROCESSES, "boto3"),
        ("sqs", M.ASYNCIO, "aioboto3"),
        ("pulsar", M.ASYNCIO, "pulsar-client"),
    ],
)
def test_client_per_concurrency_model(key: str, model: ConcurrencyModel, client: str) -> None:
    assert broker_client(key, model) == client


def test_the_broker_decision() -> None:
    broker, decisions = plan_broker(
        resolved(scale={"peak_rps": 5000}, proposed={"technologies": ["kafka"]}), M.ASYNCIO
    )
    assert broker is not None
    assert (broker.key, broker.name, broker.client, broker.ordering) == (
        "kafka",
        "Kafka",
        "aiokafka",
        "partition by it",
    )
    (decision,) = decisions
    assert decision.choice == "Kafka (aiokafka)"
    assert decision.why == "proposed by the team, and 5,000 events/s at peak justify a log broker"
    assert decision.alternatives == (
        "Pulsar",
        "RabbitMQ",
        "Amazon SQS",
        "an outbox table polled with SKIP LOCKED",
    )
    assert plan_broker(resolved(scale={"peak_rps": 10}), M.SYNC) == (None, [])
