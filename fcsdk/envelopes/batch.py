"""Batch envelopes: every message of an EventBridge-based or array trigger, as a list.

=======================  ===============================  ==========================
envelope                 event                            payload of item ``i``
=======================  ===============================  ==========================
``MNSQueue``             :data:`~fcsdk.events.MNSQueueEvent`      ``[i].data.messageBody``
``RocketMQ``             :data:`~fcsdk.events.RocketMQEvent`      ``[i].data.body``
``RabbitMQ``             :data:`~fcsdk.events.RabbitMQEvent`      ``[i].data.body``
``Kafka``                :data:`~fcsdk.events.KafkaEvent`         ``[i].data.value``
``KafkaBase64``          :data:`~fcsdk.events.KafkaEvent`         ``[i].data.value`` (base64)
``CloudEvent``           ``list[CloudEvent]`` (also DTS)          ``[i].data``
``SelfHostedRocketMQ``   :data:`~fcsdk.events.SelfHostedRocketMQEvent`  ``[i].body``
``MQTT``                 :data:`~fcsdk.events.MQTTEvent`          ``[i].body``
=======================  ===============================  ==========================

The handler receives ``list[Model]``; an error names the item: ``[3].data.body.qty``.

Example:
    >>> import fcsdk as fc
    >>> from fcsdk.testing import events
    >>> @fc.handler(envelope=fc.envelopes.Kafka)
    ... def handler(event: list[dict]) -> int:
    ...     return sum(e["qty"] for e in event)
    >>> handler(events.kafka(values=[{"qty": 1}, '{"qty": 2}']), None)
    '3'
"""

from __future__ import annotations

from typing import Any, Iterable

from ..events._base import b64decode_field
from ._base import Envelope, Loc

__all__ = [
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
]


class _DataField(Envelope):
    """A batch of CloudEvents whose payload is ``data.<field>``."""

    batch = True
    field: str = ""
    alias: str = ""

    def payloads(self, event: Any) -> Iterable[tuple[Loc, Any]]:
        field, alias = self.field, self.alias
        return [((i, "data", alias), getattr(item.data, field)) for i, item in enumerate(event)]


class MNSQueueEnvelope(_DataField):
    """``data.messageBody`` of each MNS queue message.

    Example:
        >>> from fcsdk.envelopes import MNSQueue
        >>> from fcsdk.testing import events
        >>> MNSQueue.make_decoder(int, include_input=False)(events.mns_queue(bodies=["1", "2"]))
        [1, 2]
    """

    name = "MNSQueue"
    field, alias = "message_body", "messageBody"

    def event_model(self) -> Any:
        from ..events.mns import MNSQueueEvent

        return MNSQueueEvent


class RocketMQEnvelope(_DataField):
    """``data.body`` of each ApsaraMQ for RocketMQ message.

    Example:
        >>> from fcsdk.envelopes import RocketMQ
        >>> from fcsdk.testing import events
        >>> RocketMQ.make_decoder(dict, include_input=False)(events.rocketmq(bodies=[{"a": 1}]))
        [{'a': 1}]
    """

    name = "RocketMQ"
    field = alias = "body"

    def event_model(self) -> Any:
        from ..events.rocketmq import RocketMQEvent

        return RocketMQEvent


class RabbitMQEnvelope(_DataField):
    """``data.body`` of each RabbitMQ message.

    Example:
        >>> from fcsdk.envelopes import RabbitMQ
        >>> from fcsdk.testing import events
        >>> RabbitMQ.make_decoder(dict, include_input=False)(events.rabbitmq(bodies=[{"a": 1}]))
        [{'a': 1}]
    """

    name = "RabbitMQ"
    field = alias = "body"

    def event_model(self) -> Any:
        from ..events.rabbitmq import RabbitMQEvent

        return RabbitMQEvent


class KafkaEnvelope(_DataField):
    """``data.value`` of each Kafka record: a JSON value, or text holding JSON.

    Parameters:
        base64: the trigger sends values base64-encoded (``Binary`` format): decode first.

    Example:
        >>> from fcsdk.envelopes import KafkaBase64
        >>> from fcsdk.testing import events
        >>> KafkaBase64.make_decoder(bytes, include_input=False)(events.kafka(values=[b"\\x01"]))
        [b'\\x01']
    """

    name = "Kafka"
    field = alias = "value"

    def __init__(self, *, base64: bool = False) -> None:
        self.base64 = base64

    def event_model(self) -> Any:
        from ..events.kafka import KafkaEvent

        return KafkaEvent

    def payloads(self, event: Any) -> Iterable[tuple[Loc, Any]]:
        items = super().payloads(event)
        if not self.base64:
            return items
        out: list[tuple[Loc, Any]] = []
        for loc, value in items:
            where = f"[{loc[0]}].data.value"
            if not isinstance(value, str):
                from ..errors import EventDecodeError

                raise EventDecodeError(f"{where} is not a base64 string")
            out.append((loc, b64decode_field(value, where)))
        return out

    def __repr__(self) -> str:
        return "fcsdk.envelopes.KafkaBase64" if self.base64 else "fcsdk.envelopes.Kafka"


class CloudEventEnvelope(Envelope):
    """``data`` of each CloudEvent of an EventBridge trigger (any source, DTS included).

    Example:
        >>> from fcsdk.envelopes import CloudEvent
        >>> from fcsdk.testing import events
        >>> CloudEvent.make_decoder(dict, include_input=False)(events.cloudevents(items=[{"a": 1}]))
        [{'a': 1}]
    """

    name = "CloudEvent"
    batch = True

    def event_model(self) -> Any:
        from typing import List

        from ..events.cloudevents import CloudEvent as CE

        return List[CE[Any]]

    def payloads(self, event: Any) -> Iterable[tuple[Loc, Any]]:
        return [((i, "data"), item.data) for i, item in enumerate(event)]


class _BodyItems(Envelope):
    batch = True

    def payloads(self, event: Any) -> Iterable[tuple[Loc, Any]]:
        return [((i, "body"), item.body) for i, item in enumerate(event)]


class SelfHostedRocketMQEnvelope(_BodyItems):
    """``body`` of each message from a self-hosted Apache RocketMQ trigger.

    Example:
        >>> from fcsdk.envelopes import SelfHostedRocketMQ
        >>> from fcsdk.testing import events
        >>> dec = SelfHostedRocketMQ.make_decoder(str, include_input=False)
        >>> dec(events.rocketmq_selfhosted(bodies=["a"]))
        ['a']
    """

    name = "SelfHostedRocketMQ"

    def event_model(self) -> Any:
        from ..events.rocketmq import SelfHostedRocketMQEvent

        return SelfHostedRocketMQEvent


class MQTTEnvelope(_BodyItems):
    """``body`` of each MQTT message.

    Example:
        >>> from fcsdk.envelopes import MQTT
        >>> from fcsdk.testing import events
        >>> MQTT.make_decoder(dict, include_input=False)(events.mqtt(bodies=['{"on": true}']))
        [{'on': True}]
    """

    name = "MQTT"

    def event_model(self) -> Any:
        from ..events.mqtt import MQTTEvent

        return MQTTEvent


MNSQueue = MNSQueueEnvelope()
RocketMQ = RocketMQEnvelope()
RabbitMQ = RabbitMQEnvelope()
Kafka = KafkaEnvelope()
KafkaBase64 = KafkaEnvelope(base64=True)
CloudEvent = CloudEventEnvelope()
SelfHostedRocketMQ = SelfHostedRocketMQEnvelope()
MQTT = MQTTEnvelope()
