"""Typed models for every Function Compute trigger event.

Use a model as the handler's event type and fcsdk parses the bytes FC sends::

    import fcsdk as fc

    @fc.handler
    def handler(event: fc.events.OSSEvent, context: fc.Context) -> str:
        return event.events[0].oss.object.key

========================  ==========================================================
trigger                   model
========================  ==========================================================
Timer                     :class:`TimerEvent`
OSS                       :class:`OSSEvent`
SLS (log service)         :class:`SLSEvent`
CDN                       :class:`CDNEvent`
Tablestore (CBOR)         :class:`TablestoreEvent`
MNS topic                 :class:`MNSTopicEvent` (JSON), :class:`MNSTopicStreamEvent`
MNS queue                 :data:`MNSQueueEvent` = ``list[MNSQueueRecord]``
ApsaraMQ for RocketMQ     :data:`RocketMQEvent`
RabbitMQ                  :data:`RabbitMQEvent`
Kafka                     :data:`KafkaEvent`
DTS                       :data:`DTSEvent`
EventBridge (any)         ``list[CloudEvent[T]]``
Apache RocketMQ (own)     :data:`SelfHostedRocketMQEvent`
MQTT                      :data:`MQTTEvent`
API Gateway               :class:`APIGatewayEvent`
HTTP trigger (FC 3.0)     :class:`HTTPTriggerEvent`
async destination         :class:`DestinationRecord` ``[Event, Response]``
========================  ==========================================================

Batch triggers are plain ``List[...]`` aliases, not wrapper models, so that a handler
declared with ``model=fc.events.KafkaEvent`` receives a ``list`` it can iterate, index and
``len()`` without a ``.root`` in between, and type checkers see ``list[KafkaRecord]``.

Importing this package builds nothing: each name is imported from its module on first use
(PEP 562), so ``fc.events.TimerEvent`` does not pay for the CDN or Kafka models.

Example:
    >>> import fcsdk as fc
    >>> from fcsdk.testing import events
    >>> @fc.handler
    ... def handler(event: fc.events.TimerEvent) -> str:
    ...     return event.trigger_name
    >>> handler(events.timer(trigger_name="nightly"), None)
    'nightly'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_attributes

if TYPE_CHECKING:
    from .apigateway import APIGatewayEvent
    from .cdn import (
        CDNCachedObjectsRecord,
        CDNDomainRecord,
        CDNDomainStatusRecord,
        CDNEvent,
        CDNLogFileCreatedRecord,
        CDNRecord,
    )
    from .cloudevents import CloudEvent
    from .destination import (
        DestinationRecord,
        DestinationRequestContext,
        DestinationResponseContext,
    )
    from .dts import DTSData, DTSEvent, DTSRecord
    from .http import HTTPTriggerEvent
    from .kafka import KafkaData, KafkaEvent, KafkaRecord
    from .mns import MNSQueueData, MNSQueueEvent, MNSQueueRecord, MNSTopicEvent, MNSTopicStreamEvent
    from .mqtt import MQTTEvent, MQTTMessage
    from .oss import OSSBucket, OSSEvent, OSSObject, OSSRecord
    from .rabbitmq import RabbitMQData, RabbitMQEvent, RabbitMQRecord
    from .rocketmq import (
        RocketMQData,
        RocketMQEvent,
        RocketMQRecord,
        SelfHostedRocketMQEvent,
        SelfHostedRocketMQMessage,
    )
    from .sls import SLSEvent, SLSSource
    from .tablestore import TablestoreEvent, TablestoreRecord
    from .timer import TimerEvent

#: Public name -> submodule that defines it.
_MODULES: dict[str, str] = {
    "APIGatewayEvent": "apigateway",
    "CDNCachedObjectsRecord": "cdn",
    "CDNDomainRecord": "cdn",
    "CDNDomainStatusRecord": "cdn",
    "CDNEvent": "cdn",
    "CDNLogFileCreatedRecord": "cdn",
    "CDNRecord": "cdn",
    "CloudEvent": "cloudevents",
    "DTSData": "dts",
    "DestinationRecord": "destination",
    "DestinationRequestContext": "destination",
    "DestinationResponseContext": "destination",
    "DTSEvent": "dts",
    "DTSRecord": "dts",
    "HTTPTriggerEvent": "http",
    "KafkaData": "kafka",
    "KafkaEvent": "kafka",
    "KafkaRecord": "kafka",
    "MNSQueueData": "mns",
    "MNSQueueEvent": "mns",
    "MNSQueueRecord": "mns",
    "MNSTopicEvent": "mns",
    "MNSTopicStreamEvent": "mns",
    "MQTTEvent": "mqtt",
    "MQTTMessage": "mqtt",
    "OSSBucket": "oss",
    "OSSEvent": "oss",
    "OSSObject": "oss",
    "OSSRecord": "oss",
    "RabbitMQData": "rabbitmq",
    "RabbitMQEvent": "rabbitmq",
    "RabbitMQRecord": "rabbitmq",
    "RocketMQData": "rocketmq",
    "RocketMQEvent": "rocketmq",
    "RocketMQRecord": "rocketmq",
    "SLSEvent": "sls",
    "SLSSource": "sls",
    "SelfHostedRocketMQEvent": "rocketmq",
    "SelfHostedRocketMQMessage": "rocketmq",
    "TablestoreEvent": "tablestore",
    "TablestoreRecord": "tablestore",
    "TimerEvent": "timer",
}

__all__ = [
    "APIGatewayEvent",
    "CDNCachedObjectsRecord",
    "CDNDomainRecord",
    "CDNDomainStatusRecord",
    "CDNEvent",
    "CDNLogFileCreatedRecord",
    "CDNRecord",
    "CloudEvent",
    "DTSData",
    "DestinationRecord",
    "DestinationRequestContext",
    "DestinationResponseContext",
    "DTSEvent",
    "DTSRecord",
    "HTTPTriggerEvent",
    "KafkaData",
    "KafkaEvent",
    "KafkaRecord",
    "MNSQueueData",
    "MNSQueueEvent",
    "MNSQueueRecord",
    "MNSTopicEvent",
    "MNSTopicStreamEvent",
    "MQTTEvent",
    "MQTTMessage",
    "OSSBucket",
    "OSSEvent",
    "OSSObject",
    "OSSRecord",
    "RabbitMQData",
    "RabbitMQEvent",
    "RabbitMQRecord",
    "RocketMQData",
    "RocketMQEvent",
    "RocketMQRecord",
    "SLSEvent",
    "SLSSource",
    "SelfHostedRocketMQEvent",
    "SelfHostedRocketMQMessage",
    "TablestoreEvent",
    "TablestoreRecord",
    "TimerEvent",
]


__getattr__, __dir__ = lazy_attributes(__name__, _MODULES)
