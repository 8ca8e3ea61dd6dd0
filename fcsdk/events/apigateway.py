"""The API Gateway trigger's event: the HTTP request as JSON.

Example:
    >>> from fcsdk.events import APIGatewayEvent
    >>> from fcsdk.testing import events
    >>> ev = APIGatewayEvent.model_validate_json(events.apigateway(method="POST", body=b"\\x00"))
    >>> ev.http_method, ev.is_base64_encoded, ev.body_bytes
    ('POST', True, b'\\x00')
"""

# No `from __future__ import annotations` here: pydantic would compile each annotation string
# when the models are built, a fifth of their import time (cold start). Python 3.9 syntax only.

from typing import Dict, Optional

from pydantic import Field

from ._base import FCModel, FCText, NullDefault, b64decode_field

__all__ = ["APIGatewayEvent"]


class APIGatewayEvent(FCModel):
    """An HTTP request delivered by an API Gateway trigger.

    Example:
        >>> from fcsdk.events import APIGatewayEvent
        >>> APIGatewayEvent(path="/a", http_method="GET").body_bytes
        b''
    """

    path: str
    http_method: str
    headers: NullDefault[Dict[str, FCText]] = Field(default_factory=dict)
    query_parameters: NullDefault[Dict[str, FCText]] = Field(default_factory=dict)
    path_parameters: NullDefault[Dict[str, FCText]] = Field(default_factory=dict)
    body: Optional[str] = None
    is_base64_encoded: NullDefault[bool] = False

    @property
    def body_bytes(self) -> bytes:
        """The body as bytes, base64-decoded when ``isBase64Encoded``."""
        if not self.body:
            return b""
        if self.is_base64_encoded:
            return b64decode_field(self.body, "body")
        return self.body.encode("utf-8")
