"""``Router``: a light HTTP router that is itself the FC handler.

``handler = app`` serves an FC 3.0 HTTP trigger (``app(event, context)`` returns FC's response
JSON) and an FC 2.0 HTTP function (``app(environ, start_response)``, WSGI), told apart by their
arguments. Importing it costs little: no pydantic until a route needs a model.
"""

from __future__ import annotations

import inspect
import logging
import re
import sys
from collections.abc import Iterable, Sequence
from http import HTTPStatus
from typing import Any, Callable, Optional, TypeVar, Union

from .. import _aio
from .._limits import clip
from ..context import Context
from ..logging import RequestIdFilter, current_context
from ._params import Binder, plan
from .cors import CORS
from .errors import HTTPError, MethodNotAllowedError, NotFoundError
from .request import Request, request_problem
from .response import JSONResponse, Response, to_response

__all__ = ["Route", "Router"]

F = TypeVar("F", bound=Callable[..., Any])
ExceptionHandler = Callable[[Request, Any], Any]

log = logging.getLogger("fcsdk.http")
log.addFilter(RequestIdFilter())

_PARAM = re.compile(r"{([A-Za-z_][A-Za-z0-9_]*)(?::(str|path|int))?}")
_KINDS = {"str": "[^/]+", "path": ".*", "int": "[0-9]+"}


def _compile(path: str) -> tuple[Optional[re.Pattern[str]], list[str]]:
    """(regex or None for a static path, parameter names)."""
    names: list[str] = []
    pattern = ""
    pos = 0
    for m in _PARAM.finditer(path):
        pattern += re.escape(path[pos : m.start()])
        name, kind = m.group(1), m.group(2) or "str"
        if name in names:
            raise ValueError(f"path {path!r} repeats parameter {name!r}")
        names.append(name)
        pattern += f"(?P<{name}>{_KINDS[kind]})"
        pos = m.end()
    if not names:
        return None, []
    pattern += re.escape(path[pos:])
    return re.compile(f"^{pattern}$"), names


class Route:
    """One route: a path pattern, its methods and the planned endpoint.

    Example:
        >>> from fcsdk.http import Router
        >>> app = Router()
        >>> @app.get("/items/{item_id}")
        ... def get_item(item_id: int) -> dict:
        ...     return {"id": item_id}
        >>> [(r.path, sorted(r.methods)) for r in app.routes]
        [('/items/{item_id}', ['GET', 'HEAD'])]
    """

    __slots__ = ("bind", "endpoint", "is_async", "methods", "param_names", "path", "regex")

    def __init__(
        self,
        path: str,
        methods: Iterable[str],
        endpoint: Callable[..., Any],
        *,
        body: Any = None,
        localns: Optional[dict[str, Any]] = None,
    ) -> None:
        if path != "*" and not path.startswith("/"):
            raise ValueError(f"route path must start with '/', got {path!r}")
        self.path = path
        self.methods = frozenset(m.upper() for m in methods)
        if "GET" in self.methods:
            self.methods |= {"HEAD"}
        self.endpoint = endpoint
        self.regex, self.param_names = _compile(path) if path != "*" else (None, [])
        self.bind: Binder = plan(endpoint, set(self.param_names), body=body, localns=localns)
        self.is_async = inspect.iscoroutinefunction(inspect.unwrap(endpoint))

    def __repr__(self) -> str:
        return f"Route({self.path!r}, {sorted(self.methods)})"


def _caller_locals(depth: int) -> Optional[dict[str, Any]]:
    try:
        frame = sys._getframe(depth + 1)
    except ValueError:  # pragma: no cover
        return None
    return dict(frame.f_locals) if frame.f_code.co_name != "<module>" else None


class Router:
    """An HTTP router and FC handler in one.

    Parameters:
        cors: a :class:`CORS` configuration, ``True`` for permissive defaults, or None.

    Example:
        >>> import fcsdk as fc
        >>> from fcsdk.http.testing import make_event, parse_response
        >>> app = fc.http.Router()
        >>> @app.get("/items/{item_id}")
        ... def get_item(item_id: int, q: str = "") -> dict:
        ...     return {"id": item_id, "q": q}
        >>> resp = parse_response(app(make_event("GET", "/items/7?q=pen"), None))
        >>> resp.status_code, resp.json()
        (200, {'id': 7, 'q': 'pen'})
        >>> parse_response(app(make_event("GET", "/items/seven"), None)).status_code
        422
    """

    def __init__(self, *, cors: Union[CORS, bool, None] = None) -> None:
        self.cors: Optional[CORS] = CORS() if cors is True else (cors or None)
        self.routes: list[Route] = []
        self._static: dict[str, list[Route]] = {}
        self._dynamic: list[Route] = []
        self._catch_all: list[Route] = []
        self._exception_handlers: dict[type[BaseException], ExceptionHandler] = {}

    # -- registration -------------------------------------------------------------------------

    def add_route(
        self,
        path: str,
        endpoint: Callable[..., Any],
        methods: Sequence[str] = ("GET",),
        *,
        body: Any = None,
        localns: Optional[dict[str, Any]] = None,
    ) -> Route:
        """Register ``endpoint`` for ``methods`` on ``path`` (``"*"`` matches every path)."""
        route = Route(path, methods, endpoint, body=body, localns=localns)
        self.routes.append(route)
        if path == "*":
            self._catch_all.append(route)
        elif route.regex is None:
            self._static.setdefault(path, []).append(route)
        else:
            self._dynamic.append(route)
        return route

    def route(
        self, path: str, methods: Sequence[str] = ("GET",), *, body: Any = None
    ) -> Callable[[F], F]:
        """Decorator registering a function for ``methods`` on ``path``; returns it unchanged."""
        return self._decorator(path, methods, body, _caller_locals(1))

    def _decorator(
        self, path: str, methods: Sequence[str], body: Any, localns: Optional[dict[str, Any]]
    ) -> Callable[[F], F]:
        def decorate(func: F) -> F:
            self.add_route(path, func, methods, body=body, localns=localns)
            return func

        return decorate

    def get(self, path: str) -> Callable[[F], F]:
        """``@app.get(path)``: register a GET (and HEAD) route."""
        return self._decorator(path, ("GET",), None, _caller_locals(1))

    def post(self, path: str, *, body: Any = None) -> Callable[[F], F]:
        """``@app.post(path)``: register a POST route."""
        return self._decorator(path, ("POST",), body, _caller_locals(1))

    def put(self, path: str, *, body: Any = None) -> Callable[[F], F]:
        """``@app.put(path)``: register a PUT route."""
        return self._decorator(path, ("PUT",), body, _caller_locals(1))

    def patch(self, path: str, *, body: Any = None) -> Callable[[F], F]:
        """``@app.patch(path)``: register a PATCH route."""
        return self._decorator(path, ("PATCH",), body, _caller_locals(1))

    def delete(self, path: str) -> Callable[[F], F]:
        """``@app.delete(path)``: register a DELETE route."""
        return self._decorator(path, ("DELETE",), None, _caller_locals(1))

    def exception_handler(self, exc_type: type[BaseException]) -> Callable[[F], F]:
        """Decorator: ``handler(request, exc)`` answers for ``exc_type`` (and subclasses).

        Example:
            >>> from fcsdk.http import Router, JSONResponse
            >>> app = Router()
            >>> @app.exception_handler(KeyError)
            ... def missing(request, exc):
            ...     return JSONResponse({"missing": str(exc)}, status_code=404)
        """

        def decorate(func: F) -> F:
            self._exception_handlers[exc_type] = func
            return func

        return decorate

    # -- dispatch -----------------------------------------------------------------------------

    def _match(self, request: Request) -> Route:
        path, method = request.path, request.method
        candidates = self._static.get(path)
        allowed: set[str] = set()
        if candidates:
            for route in candidates:
                if method in route.methods:
                    return route
                allowed |= route.methods
        for route in self._dynamic:
            m = route.regex.match(path)  # type: ignore[union-attr]
            if m is None:
                continue
            if method in route.methods:
                request.path_params = m.groupdict()
                return route
            allowed |= route.methods
        for route in self._catch_all:
            if method in route.methods:
                return route
            allowed |= route.methods
        # Fixed messages for the client (no echo of its input); the details go to the log.
        if allowed:
            log.info("method %s is not allowed for %r", clip(method, 40), clip(path, 200))
            raise MethodNotAllowedError(allow=sorted(allowed))
        log.info("no route for %s %r", clip(method, 40), clip(path, 200))
        raise NotFoundError()

    def _find_handler(self, exc: BaseException) -> Optional[ExceptionHandler]:
        if not self._exception_handlers:
            return None
        for cls in type(exc).__mro__:
            handler = self._exception_handlers.get(cls)
            if handler is not None:
                return handler
        return None

    def _call(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        result = func(*args, **kwargs)
        if inspect.isawaitable(result):
            result = _aio.run(_await(result))
        return result

    def handle(self, request: Request) -> Response:
        """Answer ``request`` (routing, binding, errors, CORS); never raises.

        Example:
            >>> from fcsdk.http import Request, Router
            >>> Router().handle(Request("GET", "/nope")).status_code
            404
        """
        bad = request_problem(request)  # lone surrogates, bad host, bad base64: 400, no CORS
        if bad is not None:
            return error_response(bad)
        try:
            try:
                response = self._dispatch(request)
            except Exception as exc:
                handler = self._find_handler(exc)
                if handler is not None:
                    response = to_response(self._call(handler, request, exc))
                elif isinstance(exc, HTTPError):
                    response = error_response(exc)
                else:
                    raise
        except Exception as exc:
            response = internal_error(request, exc)
        if request.method == "HEAD":
            response.body = b""
        if self.cors is not None:
            self.cors.decorate(request, response)
        return response

    def _dispatch(self, request: Request) -> Response:
        if self.cors is not None:
            pre = self.cors.preflight(request)
            if pre is not None:
                return pre
        route = self._match(request)
        kwargs = route.bind(request, request.context)
        if route.is_async:
            result = _aio.run(route.endpoint(**kwargs))
        else:
            result = route.endpoint(**kwargs)
            if inspect.isawaitable(result):
                result = _aio.run(_await(result))
        return to_response(result)

    # -- FC entry points ----------------------------------------------------------------------

    def __call__(self, event: Any, context: Any = None) -> Any:
        """The FC handler: ``(event, context) -> str`` on FC 3.0, WSGI on FC 2.0.

        Raises:
            EventDecodeError / EventValidationError: the event is not an HTTP trigger event
                (an invoker's mistake; FC reports it as a function error).
        """
        if type(event) is dict and "REQUEST_METHOD" in event and callable(context):
            return self.wsgi(event, context)
        ctx = context if type(context) is Context else Context.of(context)
        token = current_context.set(ctx)
        failed: Optional[BaseException] = None
        try:
            request = Request.from_event(event, ctx)
            return self.handle(request).encode()
        except BaseException as exc:  # SystemExit, KeyboardInterrupt... from a route
            from .._redact import hide_secrets

            failed = hide_secrets(exc, ctx)
            if failed is exc:
                raise
        finally:
            current_context.reset(token)
        assert failed is not None
        raise failed

    def wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        """Serve as a WSGI application (FC 2.0 HTTP functions, or any WSGI server).

        Example:
            >>> from fcsdk.http import Router
            >>> app = Router()
            >>> out = []
            >>> body = app.wsgi({"REQUEST_METHOD": "GET", "PATH_INFO": "/x"},
            ...                 lambda status, headers: out.append(status))
            >>> out
            ['404 Not Found']
        """
        request = Request.from_environ(environ)
        token = current_context.set(request.context)
        try:
            response = self.handle(request)
        finally:
            current_context.reset(token)
        try:
            phrase = HTTPStatus(response.status_code).phrase
        except ValueError:
            phrase = "Unknown"
        start_response(f"{response.status_code} {phrase}", list(response.headers))
        return [response.body]


async def _await(awaitable: Any) -> Any:
    return await awaitable


def error_response(exc: HTTPError) -> Response:
    """The JSON response for an :class:`HTTPError` (its ``to_dict()``, its status and headers).

    Example:
        >>> from fcsdk.http import HTTPError
        >>> from fcsdk.http.router import error_response
        >>> error_response(HTTPError(403, "no")).to_fc()["body"]
        '{"errorMessage":"no","errorType":"HTTPError","code":"http"}'
    """
    return JSONResponse(exc.to_dict(), exc.status_code, headers=exc.headers)


def internal_error(request: Request, exc: BaseException) -> Response:
    """Log ``exc`` with its traceback and the request id; answer a generic 500.

    The body names no exception and no input: ``{"errorMessage": "Internal Server Error",
    "errorType": "InternalServerError", "code": "internal", "requestId": ...}``.
    """
    rid = request.context.request_id
    log.error(
        "unhandled %s in %s %s (request id %s)",
        type(exc).__name__,
        clip(request.method, 40),
        clip(request.path, 200),
        rid,
        exc_info=(type(exc), exc, exc.__traceback__),
        extra={"request_id": rid},
    )
    body = {
        "errorMessage": "Internal Server Error",
        "errorType": "InternalServerError",
        "code": "internal",
        "requestId": rid,
    }
    return JSONResponse(body, 500)
