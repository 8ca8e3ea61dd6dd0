"""MNS (Simple Message Queue) events: the four topic-trigger forms and the queue trigger.

Topic trigger, as configured on the subscription:

- JSON format: :class:`MNSTopicEvent` (``TopicOwner``, ``Message``, ...); message attributes
  arrive as extra top-level keys, reachable as :attr:`MNSTopicEvent.attributes`.
- STREAM format with attributes: :class:`MNSTopicStreamEvent` (``{body, attrs}``).
- STREAM format without attributes: the raw message text, not JSON: annotate the event as
  ``str`` or ``bytes``, or use ``envelope=fc.envelopes.MNSTopic``, which handles every form.

Queue trigger (EventBridge-based): :data:`MNSQueueEvent`, a list of CloudEvents whose ``data``
is :class:`MNSQueueData`.

Example:
    >>> from fcsdk.events import MNSTopicEvent
    >>> from fcsdk.testing import events
    >>> ev = MNSTopicEvent.model_validate_json(
    ...     events.mns_topic(message="hi", attributes={"Extend": "x"}))
    >>> ev.message, ev.attributes
    ('hi', {'Extend': 'x'})
"""

# No `from __future__ import annotations` here: pydantic would compile each annotation string
# when the models are built, a fifth of their import time (cold start). Python 3.9 syntax only.

import datetime as _dt
from typing import Any, ClassVar, Dict, List, Optional

from pydantic import ConfigDict, Field
from pydantic.alias_generators import to_pascal

from ._base import FCModel, NullDefault, alias, epoch_ms_to_datetime, fc_config
from .cloudevents import CloudEvent

__all__ = [
    "MNSQueueData",
    "MNSQueueEvent",
    "MNSQueueRecord",
    "MNSTopicEvent",
    "MNSTopicStreamEvent",
]


class MNSTopicEvent(FCModel):
    """An MNS topic message in JSON format (``NotifyContentFormat: JSON``).

    Example:
        >>> from fcsdk.events import MNSTopicEvent
        >>> from fcsdk.testing import events
        >>> ev = MNSTopicEvent.model_validate_json(events.mns_topic(message="m"))
        >>> ev.topic_name, ev.published_at.year >= 2019
        ('Mytopic', True)
    """

    model_config: ClassVar[ConfigDict] = fc_config(alias_generator=to_pascal)

    message: str
    message_id: Optional[str] = None
    message_md5: Optional[str] = alias("MessageMD5", default=None)
    topic_name: Optional[str] = None
    topic_owner: Optional[str] = None
    subscriber: Optional[str] = None
    subscription_name: Optional[str] = None
    #: Epoch milliseconds (see :attr:`published_at`).
    publish_time: Optional[int] = None

    @property
    def attributes(self) -> Dict[str, Any]:
        """The message attributes: every top-level key that is not a documented field."""
        return dict(self.model_extra or {})

    @property
    def published_at(self) -> Optional[_dt.datetime]:
        """``publish_time`` as an aware UTC ``datetime``."""
        return epoch_ms_to_datetime(self.publish_time)


class MNSTopicStreamEvent(FCModel):
    """An MNS topic message in STREAM format that has attributes: ``{body, attrs}``.

    Example:
        >>> from fcsdk.events import MNSTopicStreamEvent
        >>> ev = MNSTopicStreamEvent.model_validate_json(b'{"body": "b", "attrs": {"k": "v"}}')
        >>> ev.body, ev.attributes
        ('b', {'k': 'v'})
    """

    body: str
    attrs: NullDefault[Dict[str, Any]] = Field(default_factory=dict)

    @property
    def attributes(self) -> Dict[str, Any]:
        """The message attributes (``attrs``)."""
        return self.attrs


class MNSQueueData(FCModel):
    """``data`` of an MNS queue trigger's CloudEvent.

    Example:
        >>> from fcsdk.events.mns import MNSQueueData
        >>> MNSQueueData(message_body="TEST").message_body
        'TEST'
    """

    message_body: str
    message_id: Optional[str] = None
    request_id: Optional[str] = None


class MNSQueueRecord(CloudEvent[MNSQueueData]):
    """One MNS queue message as a CloudEvent; ``data`` is required (the trigger always sends it).

    Example:
        >>> from fcsdk.events import MNSQueueRecord
        >>> MNSQueueRecord(id="1", source="s", type="t",
        ...                data={"messageBody": "hi"}).data.message_body
        'hi'
    """

    data: MNSQueueData


#: What an MNS queue trigger sends: a list of messages (the handler receives the list).
MNSQueueEvent = List[MNSQueueRecord]
