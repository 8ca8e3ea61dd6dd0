"""The timer envelope: the trigger's ``payload`` string, validated as the handler's model.

Example:
    >>> import fcsdk as fc
    >>> from fcsdk.testing import events
    >>> @fc.handler(envelope=fc.envelopes.Timer)
    ... def handler(event: dict) -> str:
    ...     return event["job"]
    >>> handler(events.timer(payload={"job": "cleanup"}), None)
    'cleanup'
"""

from __future__ import annotations

from typing import Any

from ._base import Envelope, Loc

__all__ = ["Timer", "TimerEnvelope"]


class TimerEnvelope(Envelope):
    """Validates :attr:`fcsdk.events.TimerEvent.payload` (JSON text) as the model.

    Example:
        >>> from fcsdk.envelopes import Timer
        >>> dec = Timer.make_decoder(int, include_input=False)
        >>> dec(b'{"triggerTime": "2024-01-01T00:00:00Z", "triggerName": "t", "payload": "5"}')
        5
    """

    name = "Timer"

    def event_model(self) -> Any:
        from ..events.timer import TimerEvent

        return TimerEvent

    def payload(self, event: Any) -> tuple[Loc, Any]:
        # absent reads as missing, like null (the model's default "" is for TimerEvent users)
        present = "payload" in event.model_fields_set
        return ("payload",), event.payload if present else None


#: ``@fc.handler(envelope=fc.envelopes.Timer)``.
Timer = TimerEnvelope()
