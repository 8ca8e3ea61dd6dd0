"""Envelopes: validate the payload *inside* a trigger event as your own model.

``@fc.handler(model=Order, envelope=fc.envelopes.Timer)`` validates the timer's ``payload``
string as ``Order``; batch envelopes (MNS queue, RocketMQ, RabbitMQ, Kafka, CloudEvent, ...)
give the handler ``list[Order]``. Errors name the full path through the event
(``[3].data.body.qty``). Write your own by subclassing :class:`Envelope`.

=========================  =============================================================
envelope                   payload
=========================  =============================================================
``Timer``                  ``payload`` of a timer event
``HTTPBody``               ``body`` of an FC 3.0 HTTP trigger event (base64-aware)
``APIGatewayBody``         ``body`` of an API Gateway event (base64-aware)
``MNSTopic``               the message of an MNS topic trigger, any format
``MNSTopicJSON``           ... JSON format only (``Message``)
``MNSTopicStream``         ... STREAM format only (raw text or ``body``)
``MNSQueue``               ``[i].data.messageBody``
``RocketMQ``               ``[i].data.body``
``RabbitMQ``               ``[i].data.body``
``Kafka``                  ``[i].data.value`` (JSON value or JSON text)
``KafkaBase64``            ``[i].data.value`` (base64 bytes)
``CloudEvent``             ``[i].data`` of any EventBridge trigger (DTS included)
``SelfHostedRocketMQ``     ``[i].body``
``MQTT``                   ``[i].body``
``Destination``            ``requestPayload`` of an async destination record
=========================  =============================================================

Example:
    >>> import fcsdk as fc
    >>> from pydantic import BaseModel
    >>> from fcsdk.testing import events
    >>> class Order(BaseModel):
    ...     qty: int
    >>> @fc.handler(envelope=fc.envelopes.RocketMQ)
    ... def handler(event: list[Order]) -> int:
    ...     return sum(o.qty for o in event)
    >>> handler(events.rocketmq(bodies=['{"qty": 1}', '{"qty": 2}']), None)
    '3'
    >>> try:
    ...     handler(events.rocketmq(bodies=['{"qty": 1}', '{"qty": "x"}']), None)
    ... except fc.EventValidationError as exc:
    ...     print(exc)
    1 validation error for Order: [1].data.body.qty: Input should be a valid integer, unable to parse string as an integer
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_attributes

if TYPE_CHECKING:
    from ._base import Envelope, Loc
    from .batch import (
        MQTT,
        CloudEvent,
        CloudEventEnvelope,
        Kafka,
        KafkaBase64,
        KafkaEnvelope,
        MNSQueue,
        MNSQueueEnvelope,
        MQTTEnvelope,
        RabbitMQ,
        RabbitMQEnvelope,
        RocketMQ,
        RocketMQEnvelope,
        SelfHostedRocketMQ,
        SelfHostedRocketMQEnvelope,
    )
    from .destination import Destination, DestinationEnvelope
    from .http import APIGatewayBody, APIGatewayBodyEnvelope, HTTPBody, HTTPBodyEnvelope
    from .mns import MNSTopic, MNSTopicEnvelope, MNSTopicJSON, MNSTopicStream
    from .timer import Timer, TimerEnvelope

_MODULES: dict[str, str] = {
    "Envelope": "_base",
    "Loc": "_base",
    "Timer": "timer",
    "TimerEnvelope": "timer",
    "HTTPBody": "http",
    "HTTPBodyEnvelope": "http",
    "APIGatewayBody": "http",
    "APIGatewayBodyEnvelope": "http",
    "MNSTopic": "mns",
    "MNSTopicEnvelope": "mns",
    "MNSTopicJSON": "mns",
    "MNSTopicStream": "mns",
    "Destination": "destination",
    "DestinationEnvelope": "destination",
}
_MODULES.update(
    dict.fromkeys(
        [
            "CloudEvent",
            "CloudEventEnvelope",
            "Kafka",
            "KafkaBase64",
            "KafkaEnvelope",
            "MNSQueue",
            "MNSQueueEnvelope",
            "MQTT",
            "MQTTEnvelope",
            "RabbitMQ",
            "RabbitMQEnvelope",
            "RocketMQ",
            "RocketMQEnvelope",
            "SelfHostedRocketMQ",
            "SelfHostedRocketMQEnvelope",
        ],
        "batch",
    )
)

__all__ = [
    "APIGatewayBody",
    "APIGatewayBodyEnvelope",
    "CloudEvent",
    "CloudEventEnvelope",
    "Destination",
    "DestinationEnvelope",
    "Envelope",
    "HTTPBody",
    "HTTPBodyEnvelope",
    "Kafka",
    "KafkaBase64",
    "KafkaEnvelope",
    "Loc",
    "MNSQueue",
    "MNSQueueEnvelope",
    "MNSTopic",
    "MNSTopicEnvelope",
    "MNSTopicJSON",
    "MNSTopicStream",
    "MQTT",
    "MQTTEnvelope",
    "RabbitMQ",
    "RabbitMQEnvelope",
    "RocketMQ",
    "RocketMQEnvelope",
    "SelfHostedRocketMQ",
    "SelfHostedRocketMQEnvelope",
    "Timer",
    "TimerEnvelope",
]


__getattr__, __dir__ = lazy_attributes(__name__, _MODULES)
