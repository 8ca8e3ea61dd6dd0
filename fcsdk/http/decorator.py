"""``@fc.http_handler``: one function as a whole HTTP trigger handler.

The function's parameters are bound as router routes bind them (``Request``, ``fc.Context``, a
pydantic body, query parameters); its return value becomes the response. It answers every path
and method: use :class:`fcsdk.http.Router` when you need routing.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, overload

from .router import Router, _caller_locals

__all__ = ["HTTPHandler", "http_handler"]

ALL_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


class HTTPHandler(Router):
    """What ``@fc.http_handler`` returns: a :class:`Router` with one catch-all route; the
    original function is ``__wrapped__``."""

    __wrapped__: Callable[..., Any]


def _build(func: Callable[..., Any], body: Any, localns: Optional[dict[str, Any]]) -> HTTPHandler:
    handler = HTTPHandler()
    handler.add_route("*", func, ALL_METHODS, body=body, localns=localns)
    handler.__wrapped__ = func
    handler.__doc__ = func.__doc__
    return handler


@overload
def http_handler(func: Callable[..., Any], /) -> HTTPHandler: ...


@overload
def http_handler(
    func: None = None, /, *, body: Any = None
) -> Callable[[Callable[..., Any]], HTTPHandler]: ...


def http_handler(func: Optional[Callable[..., Any]] = None, /, *, body: Any = None) -> Any:
    """Make ``func`` the FC HTTP trigger handler: ``handler(event, context)`` -> FC's response.

    Parameters:
        func: ``def handler(request: fc.http.Request, context: fc.Context) -> ...``; any
            parameter may be left out, sync or ``async``.
        body: parse the JSON body as this model and pass it as the parameter named ``body``
            (or annotated with the model). A pydantic model parameter is found without it.

    Returns:
        An :class:`HTTPHandler` (a :class:`Router`): call it as FC does. Errors become
        responses: bad JSON 400, unsupported content type 415, validation 422 (field paths, no
        input values), anything uncaught 500 with a generic body (traceback in the log).

    Example:
        >>> import fcsdk as fc
        >>> from pydantic import BaseModel
        >>> from fcsdk.http.testing import make_event, parse_response
        >>> class Greeting(BaseModel):
        ...     name: str
        >>> @fc.http_handler(body=Greeting)
        ... def handler(request: fc.http.Request, body: Greeting) -> dict:
        ...     return {"hello": body.name, "path": request.path}
        >>> parse_response(handler(make_event("POST", "/hi", json={"name": "Ann"}), None)).json()
        {'hello': 'Ann', 'path': '/hi'}
        >>> parse_response(handler(make_event("POST", "/hi", json={}), None)).status_code
        422
    """
    localns = _caller_locals(1)
    if func is not None:
        return _build(func, body, localns)

    def decorate(f: Callable[..., Any]) -> HTTPHandler:
        return _build(f, body, localns)

    return decorate
