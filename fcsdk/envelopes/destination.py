"""The destination envelope: the original request of an asynchronous invocation, from the record
FC sends to its destination, validated as the handler's model.

Example:
    >>> import fcsdk as fc
    >>> from pydantic import BaseModel
    >>> class Order(BaseModel):
    ...     order_id: str
    >>> @fc.handler(envelope=fc.envelopes.Destination)
    ... def on_failure(event: Order) -> str:
    ...     return f"refund {event.order_id}"
    >>> on_failure(b'{"requestContext": {"condition": "RetriesExhausted"}, '
    ...            b'"requestPayload": "{\\\\"order_id\\\\": \\\\"o-1\\\\"}"}', None)
    'refund o-1'
"""

from __future__ import annotations

from typing import Any

from ._base import Envelope, Loc

__all__ = ["Destination", "DestinationEnvelope"]


class DestinationEnvelope(Envelope):
    """Validates :attr:`fcsdk.events.DestinationRecord.request_payload` (JSON text) as the model;
    errors carry ``requestPayload`` in their paths.

    Example:
        >>> from fcsdk.envelopes import Destination
        >>> Destination.make_decoder(dict, include_input=False)(b'{"requestPayload": "{}"}')
        {}
    """

    name = "Destination"

    def event_model(self) -> Any:
        from ..events.destination import DestinationRecord

        return DestinationRecord

    def payload(self, event: Any) -> tuple[Loc, Any]:
        return ("requestPayload",), event.request_payload


#: ``@fc.handler(envelope=fc.envelopes.Destination)``.
Destination = DestinationEnvelope()
