"""RocketMQ events: ApsaraMQ for RocketMQ (EventBridge-based) and self-hosted Apache RocketMQ.

- :data:`RocketMQEvent`: a list of CloudEvents whose ``data`` is :class:`RocketMQData`.
- :data:`SelfHostedRocketMQEvent`: a plain JSON array of :class:`SelfHostedRocketMQMessage`.

Example:
    >>> from pydantic import TypeAdapter
    >>> from fcsdk.events import RocketMQEvent
    >>> from fcsdk.testing import events
    >>> batch = TypeAdapter(RocketMQEvent).validate_json(events.rocketmq(bodies=["a", "b"]))
    >>> [r.data.body for r in batch], batch[0].data.system_properties.keys
    (['a', 'b'], 'systemProperties.KEYS')
"""

# No `from __future__ import annotations` here: pydantic would compile each annotation string
# when the models are built, a fifth of their import time (cold start). Python 3.9 syntax only.

from typing import Any, Dict, List, Optional

from pydantic import Field

from ._base import FCModel, NullDefault, alias
from .cloudevents import CloudEvent

__all__ = [
    "RocketMQData",
    "RocketMQEvent",
    "RocketMQRecord",
    "RocketMQSystemProperties",
    "SelfHostedRocketMQEvent",
    "SelfHostedRocketMQMessage",
]


class RocketMQSystemProperties(FCModel):
    """``systemProperties`` of a RocketMQ message; offsets given as strings become ints.

    Example:
        >>> from fcsdk.events.rocketmq import RocketMQSystemProperties
        >>> RocketMQSystemProperties.model_validate({"MIN_OFFSET": "0", "TAGS": "t"}).min_offset
        0
    """

    keys: Optional[str] = alias("KEYS", default=None)
    tags: Optional[str] = alias("TAGS", default=None)
    msg_region: Optional[str] = alias("MSG_REGION", default=None)
    instance_id: Optional[str] = alias("INSTANCE_ID", default=None)
    trace_on: Optional[bool] = alias("TRACE_ON", default=None)
    min_offset: Optional[int] = alias("MIN_OFFSET", default=None)
    max_offset: Optional[int] = alias("MAX_OFFSET", default=None)
    #: Epoch milliseconds.
    consume_start_time: Optional[int] = alias("CONSUME_START_TIME", default=None)


class RocketMQData(FCModel):
    """``data`` of an ApsaraMQ for RocketMQ trigger's CloudEvent.

    Example:
        >>> from fcsdk.events.rocketmq import RocketMQData
        >>> RocketMQData(body="TEST").user_properties
        {}
    """

    topic: Optional[str] = None
    system_properties: NullDefault[RocketMQSystemProperties] = Field(
        default_factory=RocketMQSystemProperties
    )
    user_properties: NullDefault[Dict[str, Any]] = Field(default_factory=dict)
    body: Any = None


class RocketMQRecord(CloudEvent[RocketMQData]):
    """One RocketMQ message as a CloudEvent; ``data`` is required (the trigger always sends it).

    Example:
        >>> from fcsdk.events import RocketMQRecord
        >>> RocketMQRecord(id="1", source="s", type="t", data={"body": "hi"}).data.body
        'hi'
    """

    data: RocketMQData


#: What an ApsaraMQ for RocketMQ trigger sends (the handler receives the list).
RocketMQEvent = List[RocketMQRecord]


class SelfHostedRocketMQMessage(FCModel):
    """One message from a self-hosted Apache RocketMQ trigger.

    Example:
        >>> from fcsdk.events.rocketmq import SelfHostedRocketMQMessage
        >>> SelfHostedRocketMQMessage(msg_id="1", topic="t", body="b").msg_id
        '1'
    """

    msg_id: Optional[str] = None
    topic: Optional[str] = None
    system_properties: NullDefault[Dict[str, Any]] = Field(default_factory=dict)
    user_properties: NullDefault[Dict[str, Any]] = Field(default_factory=dict)
    body: Any = None


#: What a self-hosted Apache RocketMQ trigger sends: a plain array of messages.
SelfHostedRocketMQEvent = List[SelfHostedRocketMQMessage]
