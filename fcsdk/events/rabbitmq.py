"""The RabbitMQ trigger (EventBridge-based): a list of CloudEvents with :class:`RabbitMQData`.

Example:
    >>> from pydantic import TypeAdapter
    >>> from fcsdk.events import RabbitMQEvent
    >>> from fcsdk.testing import events
    >>> batch = TypeAdapter(RabbitMQEvent).validate_json(events.rabbitmq(bodies=[{"a": 1}]))
    >>> batch[0].data.body, batch[0].data.envelope.routing_key
    ({'a': 1}, 'housekeeping')
"""

# No `from __future__ import annotations` here: pydantic would compile each annotation string
# when the models are built, a fifth of their import time (cold start). Python 3.9 syntax only.

from typing import Any, Dict, List, Optional

from pydantic import Field

from ._base import FCModel, NullDefault
from .cloudevents import CloudEvent

__all__ = ["RabbitMQData", "RabbitMQEnvelope", "RabbitMQEvent", "RabbitMQRecord"]


class RabbitMQEnvelope(FCModel):
    """AMQP delivery information (``data.envelope``).

    Example:
        >>> from fcsdk.events.rabbitmq import RabbitMQEnvelope
        >>> RabbitMQEnvelope(delivery_tag=1, routing_key="q").model_dump()
        {'deliveryTag': 1, 'exchange': None, 'redeliver': None, 'routingKey': 'q'}
    """

    delivery_tag: Optional[int] = None
    exchange: Optional[str] = None
    redeliver: Optional[bool] = None
    routing_key: Optional[str] = None


class RabbitMQData(FCModel):
    """``data`` of a RabbitMQ trigger's CloudEvent: delivery info, body, AMQP properties.

    ``body`` is decoded JSON when the message was JSON, else its text.

    Example:
        >>> from fcsdk.events.rabbitmq import RabbitMQData
        >>> RabbitMQData(body="x").props
        {}
    """

    envelope: Optional[RabbitMQEnvelope] = None
    body: Any = None
    props: NullDefault[Dict[str, Any]] = Field(default_factory=dict)


class RabbitMQRecord(CloudEvent[RabbitMQData]):
    """One RabbitMQ message as a CloudEvent; ``data`` is required (the trigger always sends it).

    Example:
        >>> from fcsdk.events import RabbitMQRecord
        >>> RabbitMQRecord(id="1", source="s", type="t", data={"body": "hi"}).data.body
        'hi'
    """

    data: RabbitMQData


#: What a RabbitMQ trigger sends (the handler receives the list).
RabbitMQEvent = List[RabbitMQRecord]
