"""``fc.http.asgi(app)``: run a Starlette / FastAPI (any ASGI 3) app as an FC 3.0 HTTP handler.

- Lifespan startup runs once per instance: on the first invocation, or earlier from FC's
  Initializer hook (``initializer = handler.initializer``); shutdown runs from PreStop
  (``pre_stop = handler.pre_stop``). Never once per request.
- The app runs on fcsdk's process-wide event loop, so clients cached in lifespan state or module
  globals (``httpx.AsyncClient``, DB pools) stay bound to one loop across invocations.
- Streamed responses are collected; binary bodies are sent base64.
- ``scope["fc.event"]`` is the raw event (a dict) and ``scope["fc.context"]`` the
  :class:`fcsdk.Context`; in Starlette: ``request.scope["fc.context"]``.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any, Callable, Literal, Optional

from .. import _aio
from .._redact import hide_secrets
from ..context import Context
from ..errors import FCError
from ..logging import current_context
from .request import Request, cookie_header, request_problem
from .response import Response
from .router import error_response, internal_error

if TYPE_CHECKING:
    import asyncio

__all__ = ["ASGIBridge", "LifespanError", "asgi"]

log = logging.getLogger("fcsdk.http")

ASGIApp = Callable[..., Any]
LifespanMode = Literal["auto", "on", "off"]


class LifespanError(FCError):
    """The ASGI app's lifespan startup or shutdown failed.

    Example:
        >>> from fcsdk.http.asgi import LifespanError
        >>> LifespanError("startup failed: db down").code
        'lifespan'
    """

    code = "lifespan"


def _decode(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def _last_line(message: dict[str, Any]) -> str:
    """The last line of a lifespan ``*.failed`` message (Starlette sends a whole traceback)."""
    text = str(message.get("message") or "")
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "(no message)"


def _succeeded(started: asyncio.Future[bool]) -> bool:
    return started.done() and not started.cancelled() and started.exception() is None


class ASGIBridge:
    """An FC handler around an ASGI app (what :func:`asgi` returns).

    Call it as FC does: ``bridge(event, context) -> str``. ``bridge.initializer(context)`` and
    ``bridge.pre_stop(context)`` are plain functions for FC's lifecycle hooks.
    """

    def __init__(
        self, app: ASGIApp, *, lifespan: LifespanMode = "auto", split_query: bool = True
    ) -> None:
        if lifespan not in ("auto", "on", "off"):
            raise ValueError(f"lifespan must be 'auto', 'on' or 'off', got {lifespan!r}")
        self.app = app
        self.lifespan = lifespan
        self.split_query = split_query
        self.state: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._started = lifespan == "off"
        self._supported = lifespan != "off"
        self._queue: Optional[asyncio.Queue[dict[str, Any]]] = None
        self._shutdown_done: Optional[asyncio.Future[None]] = None

    # -- lifespan -----------------------------------------------------------------------------

    def initializer(self, context: Any = None) -> None:
        """Run the app's lifespan startup now (FC Initializer hook); idempotent.

        Raises:
            LifespanError: the app reported ``lifespan.startup.failed`` or raised.
        """
        if self._started:
            return
        with self._lock:
            if not self._started:
                _aio.run(self._startup())
                self._started = True

    def pre_stop(self, context: Any = None) -> None:
        """Run the app's lifespan shutdown (FC PreStop hook); a no-op when startup never ran."""
        with self._lock:
            if not self._started or not self._supported or self._queue is None:
                return
            _aio.run(self._shutdown())
            self._started = self.lifespan == "off"
            self._queue = None

    async def startup(self) -> None:
        """Run the lifespan startup on the running event loop, the one that will serve the
        app's requests (an ASGI server's, as under ``fcsdk serve``); idempotent. Not
        thread-safe: one caller (the server) drives it.

        Raises:
            LifespanError: the app reported ``lifespan.startup.failed`` or raised.
        """
        if not self._started:
            await self._startup()
            self._started = True

    async def shutdown(self) -> None:
        """Run the lifespan shutdown on the loop where :meth:`startup` ran; a no-op when startup
        never ran.

        Raises:
            LifespanError: the app reported ``lifespan.shutdown.failed`` or raised.
        """
        if self._started and self._supported and self._queue is not None:
            try:
                await self._shutdown()
            finally:
                self._started = self.lifespan == "off"
                self._queue = None

    async def _startup(self) -> None:
        import asyncio

        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        started: asyncio.Future[bool] = loop.create_future()
        stopped: asyncio.Future[None] = loop.create_future()
        self.state = {}
        scope = {
            "type": "lifespan",
            "asgi": {"version": "3.0", "spec_version": "2.0"},
            "state": self.state,
        }

        async def send(message: dict[str, Any]) -> None:
            kind = message.get("type")
            if kind == "lifespan.startup.complete" and not started.done():
                started.set_result(True)
            elif kind == "lifespan.startup.failed" and not started.done():
                started.set_exception(
                    LifespanError(f"ASGI lifespan startup failed: {_last_line(message)}")
                )
            elif kind == "lifespan.shutdown.complete" and not stopped.done():
                stopped.set_result(None)
            elif kind == "lifespan.shutdown.failed" and not stopped.done():
                stopped.set_exception(
                    LifespanError(f"ASGI lifespan shutdown failed: {_last_line(message)}")
                )

        async def main() -> None:
            try:
                await self.app(scope, queue.get, send)
            except BaseException as exc:
                if not started.done():
                    if self.lifespan == "on":
                        started.set_exception(
                            LifespanError(
                                f"ASGI lifespan startup raised {type(exc).__name__}: {exc}"
                            )
                        )
                    else:  # "auto": the app does not do lifespan
                        started.set_result(False)
                elif _succeeded(started) and not stopped.done():
                    # Only an app that started can fail its shutdown; after a failed startup
                    # (Starlette re-raises it) nobody awaits ``stopped``: resolve it quietly.
                    stopped.set_exception(
                        LifespanError(f"ASGI lifespan shutdown raised {type(exc).__name__}: {exc}")
                    )
                if not isinstance(exc, Exception):
                    raise
            finally:
                if not started.done():
                    started.set_result(False)
                if not stopped.done():
                    stopped.set_result(None)

        task = loop.create_task(main())
        await queue.put({"type": "lifespan.startup"})
        self._supported = await started
        if self._supported:
            # The app now waits for lifespan.shutdown (PreStop), possibly never: keep the task
            # referenced, or it is garbage once this bridge is (at exit without PreStop).
            self._queue, self._shutdown_done = queue, stopped
            _aio.keep(task)
        else:
            await task

    async def _shutdown(self) -> None:
        assert self._queue is not None
        assert self._shutdown_done is not None
        await self._queue.put({"type": "lifespan.shutdown"})
        await self._shutdown_done

    # -- requests -----------------------------------------------------------------------------

    def __call__(self, event: Any, context: Any = None) -> str:
        """Handle one FC 3.0 HTTP trigger invocation; returns FC's response JSON."""
        ctx = context if type(context) is Context else Context.of(context)
        token = current_context.set(ctx)
        failed: Optional[BaseException] = None
        try:
            request = Request.from_event(event, ctx)
            if not self._started:
                self.initializer(ctx)
            return self.handle(request).encode()
        except BaseException as exc:  # SystemExit, KeyboardInterrupt... from the app
            failed = hide_secrets(exc, ctx)
            if failed is exc:
                raise
        finally:
            current_context.reset(token)
        assert failed is not None
        raise failed

    def scope(self, request: Request) -> dict[str, Any]:
        """The ASGI HTTP scope for ``request``."""
        headers = []
        for k, v in request.headers.raw_items():
            name = k.lower()
            if name == "cookie":
                v = cookie_header(v)
            headers.append(
                (name.encode("latin-1", "replace"), v.encode("utf-8", "surrogateescape"))
            )
        if "host" not in request.headers:
            headers.append(
                (
                    b"host",
                    request.host.encode("idna")
                    if request.host.isascii()
                    else request.host.encode("utf-8"),
                )
            )
        scheme = request.scheme
        host, _, port = request.host.partition(":")
        return {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": request.method,
            "scheme": scheme,
            "path": request.path,
            "raw_path": request.raw_path.encode("utf-8"),
            "query_string": request.query.to_query_string(split=self.split_query).encode("ascii"),
            "root_path": "",
            "headers": headers,
            "client": (request.source_ip or "127.0.0.1", 0),
            "server": (host, int(port) if port.isdigit() else (443 if scheme == "https" else 80)),
            "state": dict(self.state),
            "extensions": {},
            "fc.event": request.event,
            "fc.context": request.context,
        }

    def handle(self, request: Request) -> Response:
        """Run the app for ``request`` and collect its response (500 on an app error)."""
        bad = request_problem(request)  # what no ASGI scope can carry: 400
        if bad is not None:
            return error_response(bad)
        try:
            return _aio.run(self._handle(request))
        except Exception as exc:
            return internal_error(request, exc)

    async def _handle(self, request: Request) -> Response:
        import asyncio

        scope = self.scope(request)
        body = request.body
        done = asyncio.Event()
        sent_body = False
        status: Optional[int] = None
        headers: list[tuple[str, str]] = []
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            kind = message.get("type")
            if kind == "http.response.start":
                status = int(message["status"])
                headers.extend((_decode(k), _decode(v)) for k, v in message.get("headers", ()))
            elif kind == "http.response.body":
                chunks.append(bytes(message.get("body", b"")))
                if not message.get("more_body", False):
                    done.set()

        try:
            await self.app(scope, receive, send)
        finally:
            done.set()
        if status is None:
            raise RuntimeError("the ASGI app returned without sending http.response.start")
        resp = Response(b"".join(chunks), status, headers)
        if request.method == "HEAD":
            resp.body = b""
        return resp


def asgi(app: ASGIApp, *, lifespan: LifespanMode = "auto", split_query: bool = True) -> ASGIBridge:
    """Wrap an ASGI app (Starlette, FastAPI...) as an FC 3.0 HTTP trigger handler.

    Parameters:
        app: the ASGI 3 application.
        lifespan: ``"auto"`` runs the app's startup/shutdown if it supports them, ``"on"``
            requires it, ``"off"`` skips it.
        split_query: FC joins repeated query parameters with commas (``?t=a&t=b`` arrives as
            ``t=a,b``); with ``True`` the app sees ``t=a&t=b`` again. Set ``False`` when single
            values contain commas (``?fields=a,b``) and no parameter repeats.

    Example:
        >>> import fcsdk as fc
        >>> from fastapi import FastAPI
        >>> api = FastAPI()
        >>> @api.get("/hello/{name}")
        ... def hello(name: str) -> dict:
        ...     return {"hello": name}
        >>> handler = fc.http.asgi(api)
        >>> initializer, pre_stop = handler.initializer, handler.pre_stop  # FC lifecycle hooks
        >>> from fcsdk.http.testing import make_event, parse_response
        >>> parse_response(handler(make_event("GET", "/hello/Ann"), None)).json()
        {'hello': 'Ann'}
        >>> handler.pre_stop(None)
    """
    return ASGIBridge(app, lifespan=lifespan, split_query=split_query)
