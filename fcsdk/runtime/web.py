"""``fcsdk serve`` as an FC 3.0 *web function*: HTTP requests passed through to an HTTP app.

On FC's custom runtime an HTTP trigger (or custom domain) forwards the client's request to the
server unchanged (method, path, query string, headers, body) and adds FC's ``x-fc-*`` headers;
the server's response goes back to the client as it is. When the served handler is an HTTP app
(``fc.http.asgi(app)``, ``fc.http.wsgi(app)``, an ``fc.http.Router``, or a plain ASGI callable
such as a FastAPI instance), ``fcsdk serve`` does the same: every request other than FC's
lifecycle calls reaches the app as that HTTP request, with:

- the ``x-fc-*`` headers as its :class:`fcsdk.Context` (``scope["fc.context"]``,
  ``environ["fc.context"]``; set for logging, so log lines carry the request id);
- FC's limits: request headers (without FC's own ``x-fc-*``) 8 KB and path with query 4 KB
  (400 ``InvalidArgument``, as FC answers), body ``max_body_size`` (413; 32 MB, FC's limit for a
  synchronous call). Bodies and responses stream;
- response headers starting with ``x-fc-`` are FC's: they are dropped (with a warning, once per
  name), except ``x-fc-status``, with which a server reports a function error to FC;
- the ASGI lifespan started once (on ``POST /initialize`` or the first request) and shut down
  on ``GET /pre-stop`` or SIGTERM, on the server's own event loop.

Example:
    >>> import fcsdk as fc
    >>> app = fc.http.Router()
    >>> web_app_of(app).kind
    'router'
    >>> web_app_of(lambda event, context: "hi") is None
    True
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import sys
from itertools import chain
from typing import Any, Callable, Optional

from ..context import Context
from ..logging import current_context
from ._pool import Pool

__all__ = ["MAX_HEADER_BYTES", "MAX_PATH_BYTES", "WebApp", "is_asgi_app", "web_app_of"]

#: FC's limit for a web function's request headers, all names and values: 8 KB.
MAX_HEADER_BYTES = 8 * 1024
#: FC's limit for a web function's path with its query string: 4 KB.
MAX_PATH_BYTES = 4 * 1024

log = logging.getLogger("fcsdk.runtime")

Send = Callable[[dict[str, Any]], Any]
Receive = Callable[[], Any]


def is_asgi_app(obj: Any) -> bool:
    """True for an ASGI 3 application: ``async`` and called with ``(scope, receive, send)``.

    Example:
        >>> async def app(scope, receive, send): ...
        >>> async def handler(event, context): ...
        >>> is_asgi_app(app), is_asgi_app(handler)
        (True, False)
    """
    if hasattr(obj, "__fcsdk__") or not callable(obj):
        return False
    target = obj if inspect.isroutine(obj) else getattr(obj, "__call__", None)  # noqa: B004
    if not inspect.iscoroutinefunction(inspect.unwrap(target) if target else None):
        return False
    try:
        params = inspect.signature(obj).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) == 3


class WebApp:
    """An HTTP app served as an FC web function (what :func:`web_app_of` finds).

    Attributes:
        kind: ``asgi`` (a bridge or a plain ASGI app), ``wsgi`` or ``router``.
        handler: the handler object the module exports.
        bridge: the :class:`fcsdk.http.ASGIBridge` whose lifespan serve drives (ASGI apps).
    """

    def __init__(self, kind: str, handler: Any, app: Any, bridge: Any = None) -> None:
        self.kind = kind
        self.handler = handler
        self.app = app
        self.bridge = bridge
        self.max_body_size = 32 * 1024 * 1024
        self._wsgi: Any = None
        self._warned: set[bytes] = set()
        self._timeout_for: Optional[Callable[[Context], float]] = None

    def bind(
        self,
        pool: Pool,
        max_body_size: int,
        timeout_for: Optional[Callable[[Context], float]] = None,
    ) -> None:
        """Give the app the server's worker threads (WSGI apps run there), body limit and the
        bound of a request (``timeout_for(context)`` seconds: FC's function timeout)."""
        self.max_body_size = max_body_size
        self._timeout_for = timeout_for
        if self.kind != "asgi":
            from ._wsgi import WSGIRunner

            self._wsgi = WSGIRunner(self.app, pool, whole_body=self.kind == "router")

    # -- lifespan -------------------------------------------------------------------------------

    async def startup(self) -> None:
        """The ASGI lifespan startup, on the running loop; once (``LifespanError`` on failure)."""
        if self.bridge is not None:
            await self.bridge.startup()

    async def shutdown(self) -> None:
        """The ASGI lifespan shutdown (no-op when it never started)."""
        if self.bridge is not None:
            await self.bridge.shutdown()

    # -- requests -------------------------------------------------------------------------------

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        """Pass one HTTP request through to the app."""
        raw = scope["headers"]
        headers = dict(raw)  # the Context reads its x-fc-* names from it, lazily
        size = sum(map(len, chain.from_iterable(raw)))
        if size > MAX_HEADER_BYTES:  # FC's own headers do not count: the precise sum
            size = sum(len(k) + len(v) for k, v in raw if k[:5] != b"x-fc-")
        declared = headers.get(b"content-length", b"")
        path_size = len(scope.get("raw_path") or scope["path"].encode("utf-8", "replace"))
        query = scope.get("query_string", b"")
        path_size += len(query) + 1 if query else 0
        if size > MAX_HEADER_BYTES or path_size > MAX_PATH_BYTES:
            what = "headers" if size > MAX_HEADER_BYTES else "path and query string"
            limit = MAX_HEADER_BYTES if size > MAX_HEADER_BYTES else MAX_PATH_BYTES
            got = size if size > MAX_HEADER_BYTES else path_size
            return await _answer(
                send,
                400,
                "InvalidArgument",
                f"the request's {what} take {got} bytes; FC accepts at most {limit}",
            )
        limit = self.max_body_size
        declared_size = int(declared) if declared.strip().isdigit() else None
        if declared_size is not None and declared_size > limit:
            return await _too_large(send, limit, close=True)
        ctx = Context.from_headers(headers)
        if b"x-fc-access-key-secret" in headers or b"x-fc-security-token" in headers:
            # an app reads them from the headers, not from the Context: resolve them here so
            # the request's log lines and errors are masked all the same
            ctx.credentials  # noqa: B018
        response = _Response(send, self._warned)
        if declared_size is None and (
            b"transfer-encoding" in headers or scope["method"] not in ("GET", "HEAD")
        ):
            receive = _Limited(receive, response, limit)  # chunked: count as it comes
        timeout = self._timeout_for(ctx) if self._timeout_for is not None else None
        token = current_context.set(ctx)
        expired: list[bool] = []
        try:
            if self._wsgi is not None:
                await self._wsgi(scope, receive, response, ctx, timeout)
            else:
                state = getattr(self.bridge, "state", None)
                inner = dict(scope, **{"fc.context": ctx})
                if state:
                    inner["state"] = dict(state)
                timer = None
                if timeout is not None:
                    task = asyncio.current_task()
                    timer = asyncio.get_running_loop().call_later(
                        timeout, _cancel_late, task, expired
                    )
                try:
                    await self.app(inner, receive, response)
                finally:
                    if timer is not None:
                        timer.cancel()
        except asyncio.CancelledError:
            if not expired:  # the server is stopping
                raise
            uncancel = getattr(asyncio.current_task(), "uncancel", None)
            if uncancel is not None:  # Python 3.11+: this cancellation is handled here
                uncancel()
            await _timed_out(ctx, response, send, timeout or 0.0)
        except WebTimeoutError:
            await _timed_out(ctx, response, send, timeout or 0.0)
        except Exception as exc:
            log.error(
                "FC Invoke Error RequestId: %s %s: %s",
                ctx.request_id,
                type(exc).__name__,
                exc,
                exc_info=True,
            )
            if not response.started:
                await _answer(
                    send, 500, type(exc).__name__, "the app raised an exception", fc_error=True
                )
        finally:
            current_context.reset(token)


class WebTimeoutError(Exception):
    """A WSGI request outlived the function's timeout (its worker is replaced)."""


def _cancel_late(task: Optional[asyncio.Task[Any]], expired: list[bool]) -> None:
    if task is not None and not task.done():
        expired.append(True)
        task.cancel()


async def _timed_out(ctx: Context, response: _Response, send: Send, seconds: float) -> None:
    """FC's timeout: logged with the request id; answered 504 with FC's error JSON and
    ``x-fc-status: 404`` unless the app had started its answer (then the connection ends)."""
    message = f"Function time out after {seconds:g} seconds"
    log.error("FC Invoke Error RequestId: %s FunctionTimeoutError: %s", ctx.request_id, message)
    if not response.started:
        await _answer(send, 504, "FunctionTimeoutError", message, fc_error=True)
    response.closed = True


class _Response:
    """The ``send`` given to the app: drops ``x-fc-*`` response headers (but ``x-fc-status``),
    and anything the app sends after serve answered for it (413)."""

    __slots__ = ("_send", "_warned", "closed", "started")

    def __init__(self, send: Send, warned: set[bytes]) -> None:
        self._send = send
        self._warned = warned
        self.started = False
        self.closed = False

    async def __call__(self, message: dict[str, Any]) -> None:
        if self.closed:
            return
        if message["type"] == "http.response.start":
            self.started = True
            headers = message.get("headers") or ()
            names = b"\n".join([k for k, _ in headers])
            if b"x-fc-" in names.lower():
                message = dict(message, headers=self._filter(headers))
        await self._send(message)

    def _filter(self, headers: Any) -> list[tuple[bytes, bytes]]:
        kept = []
        for name, value in headers:
            lower = bytes(name).lower()
            if lower.startswith(b"x-fc-") and lower != b"x-fc-status":
                if lower not in self._warned:
                    self._warned.add(lower)
                    log.warning(
                        "fcsdk serve: dropped response header %s: x-fc-* headers are FC's",
                        lower.decode("latin-1"),
                    )
                continue
            kept.append((name, value))
        return kept


class _Limited:
    """A ``receive`` that stops a body growing past the limit: 413 when the app has not
    answered yet, and the app sees the client disconnect."""

    __slots__ = ("_receive", "_response", "limit", "size")

    def __init__(self, receive: Receive, response: _Response, limit: int) -> None:
        self._receive = receive
        self._response = response
        self.limit = limit
        self.size = 0

    async def __call__(self) -> dict[str, Any]:
        if self._response.closed:
            return {"type": "http.disconnect"}
        message: dict[str, Any] = await self._receive()
        if message.get("type") == "http.request":
            self.size += len(message.get("body", b""))
            if self.size > self.limit:
                if not self._response.started:
                    await _too_large(self._response._send, self.limit, close=True)
                self._response.closed = True
                return {"type": "http.disconnect"}
        return message


async def _answer(
    send: Send,
    status: int,
    error_type: str,
    message: str,
    *,
    fc_error: bool = False,
    close: bool = False,
) -> None:
    body = json.dumps({"errorMessage": message, "errorType": error_type}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if fc_error:
        headers.append((b"x-fc-status", b"404"))
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _too_large(send: Send, limit: int, *, close: bool) -> None:
    await _answer(
        send,
        413,
        "PayloadTooLarge",
        f"the request body is larger than {limit} bytes (fcsdk serve --max-body-size)",
        close=close,
    )


def web_app_of(handler: Any, mode: str = "auto") -> Optional[WebApp]:
    """The :class:`WebApp` to serve for ``handler``, or None to serve it as an event handler.

    ``mode``: ``auto`` (an HTTP app is a web function, anything else an event handler), ``web``
    (any callable is taken for an ASGI app) or ``event``.

    Example:
        >>> async def app(scope, receive, send): ...
        >>> web_app_of(app).kind, web_app_of(app, "event")
        ('asgi', None)
    """
    if mode == "event" or handler is None:
        return None
    asgi_mod = sys.modules.get("fcsdk.http.asgi")
    wsgi_mod = sys.modules.get("fcsdk.http.wsgi")
    router_mod = sys.modules.get("fcsdk.http.router")
    if asgi_mod is not None and isinstance(handler, asgi_mod.ASGIBridge):
        return WebApp("asgi", handler, handler.app, handler)
    if wsgi_mod is not None and isinstance(handler, wsgi_mod.WSGIBridge):
        return WebApp("wsgi", handler, handler.app)
    if router_mod is not None and isinstance(handler, router_mod.Router):
        return WebApp("router", handler, handler.wsgi)
    if mode == "web" or is_asgi_app(handler):
        from ..http.asgi import ASGIBridge

        return WebApp("asgi", handler, handler, ASGIBridge(handler))
    return None
