"""The timer trigger's event: ``{triggerTime, triggerName, payload}``.

Example:
    >>> from fcsdk.events import TimerEvent
    >>> ev = TimerEvent.model_validate_json(
    ...     b'{"triggerTime": "2023-12-26T07:49:00Z", "triggerName": "t", "payload": "{\\\\"n\\\\": 1}"}')
    >>> ev.trigger_time.year, ev.payload_json()
    (2023, {'n': 1})
"""

# No `from __future__ import annotations` here: pydantic would compile each annotation string
# when the models are built, a fifth of their import time (cold start). Python 3.9 syntax only.

from typing import Any, Optional

from ._base import FCDateTime, FCModel, json_or_text

__all__ = ["TimerEvent"]


class TimerEvent(FCModel):
    """What a timer trigger sends each time it fires.

    Attributes:
        trigger_time: when the trigger fired (``triggerTime``), timezone-aware.
        trigger_name: the trigger's name (``triggerName``).
        payload: the "trigger message" configured on the trigger, as a string (often JSON;
            see :meth:`payload_json`, or use ``envelope=fc.envelopes.Timer`` to validate it).

    Example:
        >>> from fcsdk.events import TimerEvent
        >>> TimerEvent(trigger_time="2023-12-26T07:49:00Z", trigger_name="t").payload
        ''
    """

    trigger_time: FCDateTime
    trigger_name: str
    payload: Optional[str] = ""

    def payload_json(self) -> Any:
        """The payload parsed as JSON when it is JSON, else the payload string itself.

        Example:
            >>> from fcsdk.events import TimerEvent
            >>> TimerEvent(trigger_time="2023-12-26T07:49:00Z", trigger_name="t",
            ...            payload="awesome-fc").payload_json()
            'awesome-fc'
        """
        return json_or_text(self.payload)
