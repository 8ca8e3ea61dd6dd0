"""The FC 3.0 HTTP trigger event (built-in runtimes): the request as JSON.

Multi-value headers and query parameters arrive joined with commas; a binary body is base64
with ``isBase64Encoded: true``. This model is independent of :mod:`fcsdk.http` (the request /
response / router layer); use it when a handler wants the raw trigger event.

Example:
    >>> from fcsdk.events import HTTPTriggerEvent
    >>> from fcsdk.testing import events
    >>> ev = HTTPTriggerEvent.model_validate_json(
    ...     events.http(method="POST", path="/orders", body={"qty": 2}))
    >>> ev.method, ev.path, ev.json_body()
    ('POST', '/orders', {'qty': 2})
"""

# No `from __future__ import annotations` here: pydantic would compile each annotation string
# when the models are built, a fifth of their import time (cold start). Python 3.9 syntax only.

import datetime as _dt
import json
from typing import Any, Dict, Optional

from pydantic import Field

from ..errors import EventDecodeError
from ._base import FCDateTime, FCModel, FCText, NullDefault, b64decode_field, epoch_ms_to_datetime

__all__ = ["HTTPInfo", "HTTPRequestContext", "HTTPTriggerEvent"]


class HTTPInfo(FCModel):
    """``requestContext.http``: method, path, protocol, client address and user agent.

    Example:
        >>> from fcsdk.events.http import HTTPInfo
        >>> HTTPInfo(method="GET", path="/").source_ip is None
        True
    """

    method: str
    path: str
    protocol: Optional[str] = None
    source_ip: Optional[str] = None
    user_agent: Optional[str] = None


class HTTPRequestContext(FCModel):
    """``requestContext``: account, domain, request id, time and the ``http`` block.

    Example:
        >>> from fcsdk.events.http import HTTPRequestContext
        >>> HTTPRequestContext(http={"method": "GET", "path": "/"}, time_epoch="1").time_epoch
        1
    """

    account_id: Optional[str] = None
    domain_name: Optional[str] = None
    domain_prefix: Optional[str] = None
    http: HTTPInfo
    request_id: Optional[str] = None
    time: Optional[FCDateTime] = None
    #: Epoch milliseconds (FC sends a string).
    time_epoch: Optional[int] = None

    @property
    def time_epoch_datetime(self) -> Optional[_dt.datetime]:
        """``time_epoch`` as an aware UTC ``datetime``."""
        return epoch_ms_to_datetime(self.time_epoch)


class HTTPTriggerEvent(FCModel):
    """An HTTP request delivered to an event handler by an FC 3.0 HTTP trigger.

    Example:
        >>> from fcsdk.events import HTTPTriggerEvent
        >>> from fcsdk.testing import events
        >>> ev = HTTPTriggerEvent.model_validate_json(events.http(headers={"X-A": ["1", "2"]}))
        >>> ev.header("x-a"), ev.body_bytes
        ('1,2', b'')
    """

    version: Optional[str] = "v1"
    raw_path: str
    body: Optional[str] = None
    is_base64_encoded: NullDefault[bool] = False
    headers: NullDefault[Dict[str, FCText]] = Field(default_factory=dict)
    query_parameters: NullDefault[Dict[str, FCText]] = Field(default_factory=dict)
    request_context: HTTPRequestContext

    @property
    def method(self) -> str:
        """``requestContext.http.method``."""
        return self.request_context.http.method

    @property
    def path(self) -> str:
        """``requestContext.http.path``."""
        return self.request_context.http.path

    def header(self, name: str, default: Optional[str] = None) -> Optional[str]:
        """A header by case-insensitive name (multi-values stay comma-joined)."""
        low = name.lower()
        for key, value in self.headers.items():
            if key.lower() == low:
                return value
        return default

    @property
    def body_bytes(self) -> bytes:
        """The body as bytes, base64-decoded when ``isBase64Encoded`` (else UTF-8 encoded)."""
        if not self.body:
            return b""
        if self.is_base64_encoded:
            return b64decode_field(self.body, "body")
        return self.body.encode("utf-8")

    def json_body(self) -> Any:
        """The body parsed as JSON; :class:`fcsdk.EventDecodeError` when it is not JSON."""
        data = self.body_bytes
        try:
            return json.loads(data)
        except (ValueError, RecursionError):
            raise EventDecodeError("body is not valid JSON") from None
