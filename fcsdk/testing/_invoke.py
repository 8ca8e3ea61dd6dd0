"""``invoke``: call a handler exactly like FC's Python runtime does, and look at the body."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Mapping, Optional

__all__ = ["InvokeResult", "encode_event", "invoke"]

_TESTING_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def encode_event(event: Any) -> bytes:
    """The bytes FC would send for ``event``.

    bytes pass through, str is UTF-8, a :class:`~fcsdk.events.TablestoreEvent` becomes CBOR,
    pydantic models (and lists of them) JSON by alias, other values JSON.

    Example:
        >>> from fcsdk.testing import encode_event
        >>> encode_event({"a": 1}), encode_event("é")
        (b'{"a":1}', b'\\xc3\\xa9')
    """
    if isinstance(event, (bytes, bytearray, memoryview)):
        return bytes(event)
    if isinstance(event, str):
        return event.encode("utf-8")
    if event is None:
        return b""
    to_cbor = getattr(event, "to_cbor", None)
    if callable(to_cbor) and "fcsdk.events.tablestore" in sys.modules:
        from ..events.tablestore import TablestoreEvent

        if isinstance(event, TablestoreEvent):
            return event.to_cbor()
    from pydantic_core import to_json

    return to_json(event, by_alias=True)


@dataclass(frozen=True)
class InvokeResult:
    """What FC would answer: the body, the error headers, and the exception (if any).

    Example:
        >>> import fcsdk as fc
        >>> from fcsdk.testing import invoke
        >>> @fc.handler
        ... def h(event: dict) -> dict:
        ...     return {"got": event}
        >>> r = invoke(h, {"a": 1})
        >>> r.ok, r.json()
        (True, {'got': {'a': 1}})
    """

    body: bytes
    exception: Optional[BaseException] = None
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the handler returned normally."""
        return self.exception is None

    @property
    def error_type(self) -> Optional[str]:
        """FC's ``errorType`` (the exception class name), or None."""
        return None if self.exception is None else type(self.exception).__name__

    @property
    def text(self) -> str:
        """The body decoded as UTF-8."""
        return self.body.decode("utf-8")

    def json(self) -> Any:
        """The body parsed as JSON (an error body too)."""
        return json.loads(self.body)


def invoke(
    handler: Callable[..., Any],
    event: Any = b"",
    context: Any = None,
    *,
    raise_errors: bool = True,
) -> InvokeResult:
    """Call ``handler(event_bytes, context)`` the way FC's Python runtime does.

    Parameters:
        handler: an ``@fc.handler`` function or any plain FC handler.
        event: bytes, str, dict/list, a pydantic model (JSON by alias) or a
            :class:`~fcsdk.events.TablestoreEvent` (CBOR); see :func:`encode_event`.
        context: what FC would pass; default :func:`fake_context` (``python3.10`` shape).
        raise_errors: re-raise the handler's exception (default); with False, return FC's
            error JSON as the body and ``X-Fc-Error-Type: UnhandledInvocationError``, for
            ``sys.exit()`` and ``KeyboardInterrupt`` too, as FC's runtime reports them.

    Returns:
        :class:`InvokeResult` with ``body`` (bytes exactly as FC would send), ``json()``,
        ``ok``, ``error_type``, ``exception``.

    Example:
        >>> import fcsdk as fc
        >>> from fcsdk.testing import invoke, events
        >>> @fc.handler
        ... def h(event: fc.events.OSSEvent) -> str:
        ...     return event.events[0].key
        >>> invoke(h, events.oss(key="a.png")).text
        'a.png'
        >>> invoke(h, b"{}", raise_errors=False).json()["errorType"]
        'EventValidationError'
    """
    from .._fcbody import encode_body
    from ..runtime.invoke import HANDLER_ERRORS, error_body, error_json
    from ._context import fake_context

    data = encode_event(event)
    ctx = fake_context() if context is None else context
    try:
        body = encode_body(handler(data, ctx))
    except HANDLER_ERRORS as exc:  # sys.exit() too: FC's runtime reports it as an error
        if raise_errors:
            raise
        headers: Dict[str, str] = {"X-Fc-Error-Type": "UnhandledInvocationError"}
        body = error_body(error_json(exc, skip=(_TESTING_DIR,)))
        return InvokeResult(body=body, exception=exc, headers=headers)
    return InvokeResult(body=body)
