"""HTTP body envelopes: the (base64-aware) body of an HTTP trigger or API Gateway event.

Example:
    >>> import fcsdk as fc
    >>> from fcsdk.testing import events
    >>> @fc.handler(envelope=fc.envelopes.HTTPBody)
    ... def handler(event: dict) -> int:
    ...     return event["qty"]
    >>> handler(events.http(method="POST", body=b'{"qty": 2}'), None)  # binary: base64
    '2'
"""

from __future__ import annotations

from typing import Any

from ..events._base import b64decode_field
from ._base import Envelope, Loc

__all__ = ["APIGatewayBody", "APIGatewayBodyEnvelope", "HTTPBody", "HTTPBodyEnvelope"]


def _body(event: Any) -> tuple[Loc, Any]:
    body = event.body
    if event.is_base64_encoded and body:
        return ("body",), b64decode_field(body, "body (isBase64Encoded is true)")
    return ("body",), body or ""


class HTTPBodyEnvelope(Envelope):
    """The body of an FC 3.0 HTTP trigger event (:class:`fcsdk.events.HTTPTriggerEvent`).

    Example:
        >>> from fcsdk.envelopes import HTTPBody
        >>> from fcsdk.testing import events
        >>> HTTPBody.make_decoder(str, include_input=False)(events.http(body="hi"))
        'hi'
    """

    name = "HTTPBody"

    def event_model(self) -> Any:
        from ..events.http import HTTPTriggerEvent

        return HTTPTriggerEvent

    def payload(self, event: Any) -> tuple[Loc, Any]:
        return _body(event)


class APIGatewayBodyEnvelope(Envelope):
    """The body of an API Gateway trigger event (:class:`fcsdk.events.APIGatewayEvent`).

    Example:
        >>> from fcsdk.envelopes import APIGatewayBody
        >>> from fcsdk.testing import events
        >>> APIGatewayBody.make_decoder(dict, include_input=False)(events.apigateway(body={"a": 1}))
        {'a': 1}
    """

    name = "APIGatewayBody"

    def event_model(self) -> Any:
        from ..events.apigateway import APIGatewayEvent

        return APIGatewayEvent

    def payload(self, event: Any) -> tuple[Loc, Any]:
        return _body(event)


#: ``@fc.handler(envelope=fc.envelopes.HTTPBody)``.
HTTPBody = HTTPBodyEnvelope()
#: ``@fc.handler(envelope=fc.envelopes.APIGatewayBody)``.
APIGatewayBody = APIGatewayBodyEnvelope()
