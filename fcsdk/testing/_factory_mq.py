"""Event factories of the message triggers: MNS, RocketMQ, RabbitMQ, Kafka, DTS, EventBridge, MQTT.

Re-exported by :mod:`fcsdk.testing.events`; see there.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any, Dict, Mapping, Optional, Sequence

from ._factory_base import _ACCOUNT, _dumps, _text


def mns_topic(
    *,
    message: Any = "hello topic",
    form: str = "json",
    attributes: Optional[Mapping[str, Any]] = None,
    topic: str = "Mytopic",
) -> bytes:
    """An MNS topic trigger event in ``form`` ``json``, ``stream`` or ``stream-attrs``.

    ``stream`` without attributes is the raw message; with ``attributes`` it becomes
    ``{body, attrs}`` (so does ``stream-attrs``); in JSON form attributes are extra keys.

    Example:
        >>> from fcsdk.testing import events
        >>> events.mns_topic(message="hi", form="stream")
        b'hi'
    """
    text = _text(message)
    if form == "stream" and not attributes:
        return text.encode("utf-8")
    if form in ("stream", "stream-attrs"):
        return _dumps({"body": text, "attrs": dict(attributes or {})})
    if form != "json":
        raise ValueError(f"form must be 'json', 'stream' or 'stream-attrs', not {form!r}")
    event: Dict[str, Any] = {
        "TopicOwner": "118620210433****",
        "Message": text,
        "Subscriber": "118620210433****",
        "PublishTime": 1550216480040,
        "SubscriptionName": "test-fc-subscribe",
        "MessageMD5": "BA4BA9B48AC81F0F9C66F6C909C3****",
        "TopicName": topic,
        "MessageId": "2F5B3C082B923D4EAC694B76D928****",
    }
    event.update(attributes or {})
    return _dumps(event)


def _cloudevent(i: int, source: str, type_: str, subject: str, data: Any) -> Dict[str, Any]:
    return {
        "id": str(uuid.UUID(int=i + 1)),
        "source": source,
        "specversion": "1.0",
        "type": type_,
        "datacontenttype": "application/json; charset=utf-8",
        "subject": subject,
        "time": "2021-04-08T06:28:17.093Z",
        "aliyunaccountid": _ACCOUNT,
        "aliyunpublishtime": "2021-10-15T07:06:34.028Z",
        "aliyunoriginalaccountid": _ACCOUNT,
        "aliyuneventbusname": source,
        "aliyunregionid": "cn-hangzhou",
        "aliyunpublishaddr": "42.120.XX.XX",
        "data": data,
    }


def mns_queue(*, bodies: Sequence[Any] = ("TEST",), queue: str = "zeus") -> bytes:
    """An MNS queue trigger event (CloudEvents), one per body (non-strings as JSON text).

    Example:
        >>> from fcsdk.testing import events
        >>> b'"messageBody":"{\\\\"a\\\\":1}"' in events.mns_queue(bodies=[{"a": 1}])
        True
    """
    return _dumps(
        [
            _cloudevent(
                i,
                "MNS-Function-mnstrigger",
                "mns:Queue:SendMessage",
                f"acs:mns:cn-hangzhou:{_ACCOUNT}:queues/{queue}",
                {
                    "requestId": f"606EA3074344430D4C81{i:04d}",
                    "messageId": f"C6DB60D1574661357FA227277445{i:04d}",
                    "messageBody": _text(body),
                },
            )
            for i, body in enumerate(bodies)
        ]
    )


def rocketmq(*, bodies: Sequence[Any] = ("TEST",), topic: str = "TopicName") -> bytes:
    """An ApsaraMQ for RocketMQ trigger event (CloudEvents); dict/list bodies stay JSON values.

    Example:
        >>> from fcsdk.testing import events
        >>> b'"body":"x"' in events.rocketmq(bodies=["x"])
        True
    """
    return _dumps(
        [
            _cloudevent(
                i,
                "RocketMQ-Function-rocketmq-trigger",
                "mq:Topic:SendMessage",
                f"acs:mq:cn-hangzhou:{_ACCOUNT}:MQ_INST_{_ACCOUNT}_BXhFHryi%{topic}",
                {
                    "topic": topic,
                    "systemProperties": {
                        "MIN_OFFSET": "0",
                        "TRACE_ON": "true",
                        "MAX_OFFSET": "8",
                        "MSG_REGION": "cn-hangzhou",
                        "KEYS": "systemProperties.KEYS",
                        "CONSUME_START_TIME": 1628577790396,
                        "TAGS": "systemProperties.TAGS",
                        "INSTANCE_ID": f"MQ_INST_{_ACCOUNT}_BXhFHryi",
                    },
                    "userProperties": {},
                    "body": body,
                },
            )
            for i, body in enumerate(bodies)
        ]
    )


def rabbitmq(
    *, bodies: Sequence[Any] = ({"Hello": "RabbitMQ"},), queue: str = "housekeeping"
) -> bytes:
    """A RabbitMQ trigger event (CloudEvents); dict/list bodies stay JSON values.

    Example:
        >>> from fcsdk.testing import events
        >>> b'"routingKey":"q"' in events.rabbitmq(queue="q")
        True
    """
    return _dumps(
        [
            _cloudevent(
                i,
                "RabbitMQ-Function-rabbitmq-trigger",
                "amqp:Queue:SendMessage",
                f"acs:amqp:cn-hangzhou:{_ACCOUNT}:/instances/amqp-cn-tl32e756****/vhosts/eb-connect/queues/{queue}",
                {
                    "envelope": {
                        "deliveryTag": 98 + i,
                        "exchange": "",
                        "redeliver": False,
                        "routingKey": queue,
                    },
                    "body": body,
                    "props": {"contentEncoding": "UTF-8", "messageId": str(uuid.UUID(int=i + 7))},
                },
            )
            for i, body in enumerate(bodies)
        ]
    )


def kafka(
    *,
    values: Sequence[Any] = ("hello kafka msg",),
    topic: str = "mytopic",
    key: Optional[str] = "keytest",
) -> bytes:
    """A Kafka trigger event (CloudEvents): str values as text, bytes as base64, others as JSON.

    Example:
        >>> from fcsdk.testing import events
        >>> b'"value":"AQ=="' in events.kafka(values=[b"\\x01"])
        True
    """
    records = []
    for i, value in enumerate(values):
        if isinstance(value, (bytes, bytearray)):
            value = base64.b64encode(bytes(value)).decode("ascii")
        records.append(
            _cloudevent(
                i,
                "acs:alikafka",
                "alikafka:Topic:Message",
                f"acs:alikafka_pre-cn-i7m2t7t1****:topic:{topic}",
                {
                    "topic": topic,
                    "partition": 7,
                    "offset": 25 + i,
                    "timestamp": 1655952591589,
                    "headers": {"headers": [], "isReadOnly": False},
                    "key": key,
                    "value": value,
                },
            )
        )
    return _dumps(records)


def dts(*, records: Optional[Sequence[Mapping[str, Any]]] = None) -> bytes:
    """A DTS trigger event (CloudEvents); ``records`` are ``data`` dicts (default: one UPDATE).

    Example:
        >>> from fcsdk.testing import events
        >>> b'"operationType":"UPDATE"' in events.dts()
        True
    """
    default = {
        "id": 321,
        "topicPartition": {"hash": 0, "partition": 0, "topic": "cn_hangzhou_rm_1234_test_version2"},
        "offset": 3218099,
        "sourceTimestamp": 1654847757,
        "operationType": "UPDATE",
        "schema": {
            "recordFields": [{"fieldName": "id", "rawDataTypeNum": 8, "isPrimaryKey": True}],
            "databaseName": "hangzhou-test-db",
            "tableName": "message_info",
            "schemaId": "(hangzhou-test-db,message_info)",
        },
        "beforeImage": {"values": [{"data": 115}], "size": 45},
        "afterImage": {"values": [{"data": 115}], "size": 47},
    }
    datas = [dict(r) for r in records] if records is not None else [default]
    return _dumps(
        [
            _cloudevent(i, "acs:dts", "dts:ConsumeMessage", "acs:dts:cn-hangzhou:dtsjob", d)
            for i, d in enumerate(datas)
        ]
    )


def cloudevents(
    *,
    items: Sequence[Any] = ({"hello": "eventbridge"},),
    source: str = "acs.custom",
    type: str = "custom:Event",
) -> bytes:
    """A generic EventBridge trigger event: one CloudEvent per item of ``items`` (its ``data``).

    Example:
        >>> from fcsdk.testing import events
        >>> b'"data":1' in events.cloudevents(items=[1])
        True
    """
    return _dumps(
        [_cloudevent(i, source, type, f"acs:{source}", data) for i, data in enumerate(items)]
    )


def rocketmq_selfhosted(*, bodies: Sequence[Any] = ("TEST",), topic: str = "TopicName") -> bytes:
    """A self-hosted Apache RocketMQ trigger event: a plain array of messages.

    Example:
        >>> from fcsdk.testing import events
        >>> b'"msgId"' in events.rocketmq_selfhosted()
        True
    """
    return _dumps(
        [
            {
                "msgId": f"7F000001000B18B4AAC2{i:012d}",
                "topic": topic,
                "systemProperties": {"KEYS": "", "TAGS": "", "MIN_OFFSET": "0", "MAX_OFFSET": "1"},
                "userProperties": {},
                "body": _text(body),
            }
            for i, body in enumerate(bodies)
        ]
    )


def mqtt(*, bodies: Sequence[Any] = ("hello mqtt",), topic: str = "testtopic") -> bytes:
    """An MQTT trigger event: an array of ``{props, body}``.

    Example:
        >>> from fcsdk.testing import events
        >>> b'"firstTopic":"t"' in events.mqtt(topic="t")
        True
    """
    return _dumps(
        [
            {
                "props": {
                    "firstTopic": topic,
                    "secondTopic": "/sub",
                    "clientId": f"GID_test@@@{i}",
                },
                "body": _text(body),
            }
            for i, body in enumerate(bodies)
        ]
    )
