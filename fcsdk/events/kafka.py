"""The Kafka trigger (EventBridge-based): a list of CloudEvents with :class:`KafkaData`.

``data.value`` depends on the trigger's value format: a JSON value (``Json``), a text string
(``Text``) or base64 of the raw bytes (``Binary``). :meth:`KafkaData.value_json` and
:meth:`KafkaData.value_bytes` give the decoded forms; ``envelope=fc.envelopes.Kafka`` (JSON or
text) and ``fc.envelopes.KafkaBase64`` validate the values directly.

Example:
    >>> from pydantic import TypeAdapter
    >>> from fcsdk.events import KafkaEvent
    >>> from fcsdk.testing import events
    >>> batch = TypeAdapter(KafkaEvent).validate_json(events.kafka(values=['{"n": 1}', "hi"]))
    >>> batch[0].data.value_json(), batch[1].data.value
    ({'n': 1}, 'hi')
"""

# No `from __future__ import annotations` here: pydantic would compile each annotation string
# when the models are built, a fifth of their import time (cold start). Python 3.9 syntax only.

import datetime as _dt
from typing import Any, List, Optional

from pydantic import Field

from ._base import FCModel, NullDefault, b64decode_field, epoch_ms_to_datetime, json_or_text
from .cloudevents import CloudEvent

__all__ = ["KafkaData", "KafkaEvent", "KafkaHeaders", "KafkaRecord"]


class KafkaHeaders(FCModel):
    """``data.headers``: the record headers as the connector reports them.

    Example:
        >>> from fcsdk.events.kafka import KafkaHeaders
        >>> KafkaHeaders().headers
        []
    """

    headers: NullDefault[List[Any]] = Field(default_factory=list)
    is_read_only: Optional[bool] = None


class KafkaData(FCModel):
    """``data`` of a Kafka trigger's CloudEvent: one Kafka record.

    Example:
        >>> from fcsdk.events.kafka import KafkaData
        >>> KafkaData(topic="t", partition=0, offset=1, value="aGk=").value_bytes()
        b'hi'
    """

    topic: Optional[str] = None
    partition: Optional[int] = None
    offset: Optional[int] = None
    #: Epoch milliseconds (see :attr:`timestamp_datetime`).
    timestamp: Optional[int] = None
    headers: Optional[KafkaHeaders] = None
    key: Optional[str] = None
    value: Any = None

    def value_json(self) -> Any:
        """The value as JSON: a string value is parsed when it is JSON, other values as they are."""
        return json_or_text(self.value) if isinstance(self.value, str) else self.value

    def value_bytes(self) -> bytes:
        """The value's bytes: base64-decoded (``Binary`` format); raises
        :class:`fcsdk.EventDecodeError` when the value is not base64 text."""
        if not isinstance(self.value, str):
            from ..errors import EventDecodeError

            raise EventDecodeError("data.value is not a base64 string")
        return b64decode_field(self.value, "data.value")

    @property
    def timestamp_datetime(self) -> Optional[_dt.datetime]:
        """``timestamp`` as an aware UTC ``datetime``."""
        return epoch_ms_to_datetime(self.timestamp)


class KafkaRecord(CloudEvent[KafkaData]):
    """One Kafka record as a CloudEvent; ``data`` is required (the trigger always sends it).

    Example:
        >>> from fcsdk.events import KafkaRecord
        >>> KafkaRecord(id="1", source="s", type="t", data={"value": "hi"}).data.value
        'hi'
    """

    data: KafkaData


#: What a Kafka trigger sends (the handler receives the list).
KafkaEvent = List[KafkaRecord]
