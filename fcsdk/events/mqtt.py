"""The MQTT trigger (ApsaraMQ for MQTT): a JSON array of ``{props, body}`` messages.

Example:
    >>> from pydantic import TypeAdapter
    >>> from fcsdk.events import MQTTEvent
    >>> from fcsdk.testing import events
    >>> msg = TypeAdapter(MQTTEvent).validate_json(events.mqtt(bodies=["on"], topic="home"))[0]
    >>> msg.body, msg.props.first_topic
    ('on', 'home')
"""

# No `from __future__ import annotations` here: pydantic would compile each annotation string
# when the models are built, a fifth of their import time (cold start). Python 3.9 syntax only.

from typing import Any, List, Optional

from pydantic import Field

from ._base import FCModel, NullDefault

__all__ = ["MQTTEvent", "MQTTMessage", "MQTTProps"]


class MQTTProps(FCModel):
    """Message properties: topics and the sending client.

    Example:
        >>> from fcsdk.events.mqtt import MQTTProps
        >>> MQTTProps(first_topic="a", second_topic="/b").model_dump()
        {'firstTopic': 'a', 'secondTopic': '/b', 'clientId': None}
    """

    first_topic: Optional[str] = None
    second_topic: Optional[str] = None
    client_id: Optional[str] = None


class MQTTMessage(FCModel):
    """One MQTT message.

    Example:
        >>> from fcsdk.events.mqtt import MQTTMessage
        >>> MQTTMessage(body="x").props.first_topic is None
        True
    """

    props: NullDefault[MQTTProps] = Field(default_factory=MQTTProps)
    body: Any = None


#: What an MQTT trigger sends: a plain array of messages.
MQTTEvent = List[MQTTMessage]
