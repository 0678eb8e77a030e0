"""The message broker events go through: one the organisation runs, a fitting proposal, or Kafka."""

from __future__ import annotations

from enum import Enum
from typing import Final, Literal

from pyt_arch_kit.planning._names import named
from pyt_arch_kit.planning.choices import Broker
from pyt_arch_kit.planning.data import STREAM_FRESHNESS_S, reads_a_log
from pyt_arch_kit.planning.model import BrokerPlan, ConcurrencyModel, Decision
from pyt_arch_kit.requirements import DataMode, Interface
from pyt_arch_kit.resolved import ResolvedRequirements

__all__ = [
    "BROKER_NAMES",
    "DECIDE",
    "LOG_BROKER_MIN_EVENTS_S",
    "BrokerChoice",
    "broker_client",
    "broker_plan",
    "choose_broker",
    "decided",
    "plan_broker",
    "proposed_log_broker_is_premature",
]

#: Below this event rate a proposed log broker (Kafka, Pulsar) is pushed back on, and the design
#: uses the database as the queue instead (a transactional outbox table), or a queue broker the
#: organisation already runs.
LOG_BROKER_MIN_EVENTS_S = 1_000.0

_LOG_BROKERS = (Broker.KAFKA, Broker.PULSAR)
_QUEUE_BROKERS = (Broker.RABBITMQ, Broker.SQS)
#: Each broker's name for people.
BROKER_NAMES = {
    Broker.KAFKA: "Kafka",
    Broker.PULSAR: "Pulsar",
    Broker.RABBITMQ: "RabbitMQ",
    Broker.SQS: "Amazon SQS",
}
#: (sync client, asyncio client) on PyPI.
_CLIENTS = {
    Broker.KAFKA: ("confluent-kafka", "aiokafka"),
    Broker.PULSAR: ("pulsar-client", "pulsar-client"),
    Broker.RABBITMQ: ("pika", "aio-pika"),
    Broker.SQS: ("boto3", "aioboto3"),
}
#: How consumers keep one aggregate's events in order on each broker.
_ORDERING = {
    Broker.KAFKA: "partition by it",
    Broker.PULSAR: "use it as the message key on a Key_Shared subscription",
    Broker.RABBITMQ: "route by it through a consistent-hash exchange, one consumer per queue",
    Broker.SQS: "use it as the message group id of a FIFO queue",
}
_TRADE_OFF = {
    Broker.KAFKA: "partitions, retention and consumer groups to operate; order holds only "
    "within a partition",
    Broker.PULSAR: "brokers plus BookKeeper to operate, and a smaller Python ecosystem than "
    "Kafka's",
    Broker.RABBITMQ: "no replay once a message is acknowledged, and less throughput than a log "
    "broker",
    Broker.SQS: "at-least-once delivery, order only in FIFO queues, no replay, and tied to AWS",
}


def _log_broker_justified(req: ResolvedRequirements) -> bool:
    return (
        req.scale.peak_rps
    ) >= LOG_BROKER_MIN_EVENTS_S or req.workload.data_mode is DataMode.STREAMING


def proposed_log_broker_is_premature(req: ResolvedRequirements) -> bool:
    """Whether the team proposes Kafka or Pulsar at a rate that does not need one.

    True below :data:`LOG_BROKER_MIN_EVENTS_S` events/s, for non-streaming data, when the
    organisation does not run one already.
    """
    return (
        bool(named(req.proposed.technologies) & set(_LOG_BROKERS))
        and not _log_broker_justified(req)
        and not named(req.infrastructure.existing_services) & set(_LOG_BROKERS)
    )


def _prefer(candidates: set[Broker], req: ResolvedRequirements) -> Broker:
    """The log broker first when the numbers justify one, the lighter queue broker otherwise."""
    order = (
        _LOG_BROKERS + _QUEUE_BROKERS
        if _log_broker_justified(req)
        else _QUEUE_BROKERS + _LOG_BROKERS
    )
    return next(b for b in order if b in candidates)


#: ``(broker, why)``: the one broker decision a plan makes.
BrokerChoice = tuple[Broker, str]


class _Decide(Enum):
    DECIDE = "decide"


#: Passed for a broker choice: decide it from the requirements (for a part planned on its own;
#: :func:`~pyt_arch_kit.planning.plan` decides once and passes the choice to every part).
DECIDE: Final = _Decide.DECIDE


def decided(
    req: ResolvedRequirements, chosen: BrokerChoice | Literal[_Decide.DECIDE] | None
) -> BrokerChoice | None:
    """The broker choice given, or :func:`choose_broker`'s when it is :data:`DECIDE`."""
    return choose_broker(req) if chosen is DECIDE else chosen


def choose_broker(req: ResolvedRequirements) -> BrokerChoice | None:
    """``(broker key, why)`` for the broker events go through, or ``None`` for no broker.

    A broker the organisation runs comes first (the one the team proposes, if it runs several);
    then one the team proposes, unless a proposed log broker is premature; then Kafka for an
    event interface that names none.
    """
    run = {Broker(b) for b in named(req.infrastructure.existing_services) & set(BROKER_NAMES)}
    proposed = {Broker(b) for b in named(req.proposed.technologies) & set(BROKER_NAMES)}
    if reads_a_log(req):  # the stream job consumes Kafka: the plan's one broker is Kafka
        why = (
            f"a stream processed within {STREAM_FRESHNESS_S:g} s is consumed from a retained, "
            "partitioned log that its consumers can replay"
        )
        if Broker.KAFKA in run:
            return Broker.KAFKA, f"the organisation already runs Kafka, and {why}"
        others = [BROKER_NAMES[b] for b in (*_LOG_BROKERS, *_QUEUE_BROKERS) if b in run]
        if others:
            why += f" ({' and '.join(others)}, run today, is not the log the stream job reads)"
        return Broker.KAFKA, why
    if run:
        key = _prefer(run & proposed or run, req)
        return (
            key,
            f"the organisation already runs {BROKER_NAMES[key]}: no second broker to operate",
        )
    if proposed_log_broker_is_premature(req):
        proposed -= set(_LOG_BROKERS)
    if proposed:
        key = _prefer(proposed, req)
        if key in _LOG_BROKERS:
            why = (
                "streaming data"
                if req.workload.data_mode is DataMode.STREAMING
                else f"{req.scale.peak_rps:,.0f} events/s at peak"
            )
            return key, f"proposed by the team, and {why} justify a log broker"
        return key, "proposed by the team; a queue broker is light to run at any rate here"
    if req.interface is Interface.EVENTS:
        return Broker.KAFKA, (
            "an event interface with no broker run or proposed: a retained, partitioned log "
            "lets consumers scale out and replay"
        )
    return None


def broker_client(key: Broker, model: ConcurrencyModel) -> str:
    """The client library for this broker under the workers' concurrency model."""
    sync, asynchronous = _CLIENTS[key]
    return asynchronous if model in (ConcurrencyModel.ASYNCIO, ConcurrencyModel.HYBRID) else sync


def broker_plan(key: Broker, model: ConcurrencyModel) -> BrokerPlan:
    """The broker with its name, its client for the concurrency model, and its ordering."""
    return BrokerPlan(
        key=key, name=BROKER_NAMES[key], client=broker_client(key, model), ordering=_ORDERING[key]
    )


def plan_broker(
    req: ResolvedRequirements,
    model: ConcurrencyModel,
    chosen: BrokerChoice | Literal[_Decide.DECIDE] | None = DECIDE,
) -> tuple[BrokerPlan | None, list[Decision]]:
    """The broker, its client for the concurrency model, and the decision with its trade-off.

    ``chosen`` is the plan's broker choice (:func:`choose_broker`), decided here when omitted.
    """
    chosen = decided(req, chosen)
    if chosen is None:
        return None, []
    key, why = chosen
    broker = broker_plan(key, model)
    decision = Decision(
        "broker",
        f"{broker.name} ({broker.client})",
        why,
        _TRADE_OFF[key],
        (
            *(name for k, name in BROKER_NAMES.items() if k != key),
            "an outbox table polled with SKIP LOCKED",
        ),
    )
    return broker, [decision]
