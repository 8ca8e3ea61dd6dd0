"""``fcsdk serve``: FC's custom-runtime HTTP protocol, as a small ASGI app on uvicorn.

FC's custom runtime (and custom containers) call an HTTP server in the instance:

- ``POST /invoke`` (and ``POST /2023-03-30/functions/function/invocations``, as Serverless
  Devs' local invoke calls it): the body is the event, ``x-fc-*`` headers the context;
- ``POST /initialize``, ``GET /pre-stop``, ``GET /pre-freeze``: the lifecycle hooks;
- for a *web function* (the handler is an HTTP app: ``fc.http.asgi``/``fc.http.wsgi``, a
  ``Router`` or a plain ASGI app), every other request, passed through to the app as it is
  (see :mod:`fcsdk.runtime.web`).

The answer is HTTP 200 with ``x-fc-status: 200`` and the FC body, or ``x-fc-status: 404`` and FC's
error JSON when the function (or its loading, or its initializer) failed. Handlers run in a pool
of worker threads, so a slow handler does not hold up the others (FC instance concurrency).
Bodies above ``max_body_size`` get 413; unknown paths 404; wrong methods 405 (JSON bodies).
Each call is bounded by ``x-fc-function-timeout`` (``x-fc-initialization-timeout`` for the
initializer); a call without it by the function's timeout as FC sent it on earlier calls, else
``timeout``. A late call answers FC's ``FunctionTimeoutError`` (``x-fc-status: 404``) and a new
worker takes its place (the late thread runs on: Python cannot stop it). Header values are read
as UTF-8, or latin-1 when they are not UTF-8.

Shutdown (uvicorn's lifespan shutdown, after SIGTERM and its ``--graceful-timeout``) keeps its
word: an invocation still running when the grace period ends is not answered yet; it keeps its
worker while the ASGI lifespan shutdown and PreStop run (on their own thread, bounded by
``pre_stop_timeout``), and is answered with its real result if it ends meanwhile. Only what is
still running when the process ends is answered "Process exited unexpectedly", and queued calls
that never started are withdrawn, never run.

Decorated handlers receive the :class:`fcsdk.Context` of the headers; raw FC handlers a
native-like context of shape A (``context.credentials.access_key_id`` works), so any FC Python
handler runs unchanged on any Python version.

Example:
    >>> app = CustomRuntimeApp("no_such_module_for_doc.handler", code_dir=".")
    >>> app.load_error.error_type
    'ImportModuleError'
    >>> app.close()
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from typing import Any, Callable, Optional

from ..context import Context
from ._lifecycle import LifecycleRunner
from ._pool import Job, Pool
from ._protocol import (
    _GONE,
    _TIMED_OUT,
    Receive,
    Send,
    _fc_headers,
    _http_error,
    _seconds,
    expire_job,
    outcome,
    read_body,
    respond,
)
from .errors import HandlerLoadError
from .hooks import module_hooks
from .invoke import InvokeResult, call_handler, error_body, timeout_error
from .loader import load_handler
from .native import shape_of
from .web import WebApp, web_app_of

__all__ = [
    "DEFAULT_MAX_BODY_SIZE",
    "DEFAULT_PRE_STOP_TIMEOUT",
    "DEFAULT_TIMEOUT",
    "DEFAULT_WORKERS",
    "INVOKE_PATHS",
    "CustomRuntimeApp",
]

#: FC's limit for a synchronous invocation's payload: 32 MB.
DEFAULT_MAX_BODY_SIZE = 32 * 1024 * 1024
#: Worker threads running handlers (the instance concurrency served at once).
DEFAULT_WORKERS = 64
#: Seconds a call may run when neither it nor an earlier call carried x-fc-function-timeout.
DEFAULT_TIMEOUT = 60.0
#: Seconds the ASGI lifespan shutdown and the PreStop hook may take at shutdown.
DEFAULT_PRE_STOP_TIMEOUT = 10.0
#: The paths that invoke the handler.
INVOKE_PATHS = ("/invoke", "/2023-03-30/functions/function/invocations")
#: How ``fcsdk serve`` tells web functions from event functions.
MODES = ("auto", "web", "event")

_ROUTES: dict[str, tuple[str, str]] = {
    **dict.fromkeys(INVOKE_PATHS, ("POST", "invoke")),
    "/initialize": ("POST", "initializer"),
    "/pre-stop": ("GET", "pre_stop"),
    "/pre-freeze": ("GET", "pre_freeze"),
}

log = logging.getLogger("fcsdk.runtime")


class CustomRuntimeApp(LifecycleRunner):
    """The ASGI app behind ``fcsdk serve`` (usable with any ASGI server).

    Parameters:
        handler: ``module.function`` of the handler, loaded from ``code_dir`` at construction.
        code_dir: the code directory (put first on ``sys.path``).
        initializer, pre_stop, pre_freeze: ``module.function`` of each hook; by default the hooks
            made with ``@fc.initializer``/``@fc.pre_stop``/``@fc.pre_freeze`` in the module named
            in ``handler`` are used (whatever the handler object is).
        workers: threads running handlers at once.
        max_body_size: the largest event (or web request body) accepted, in bytes (413 above).
        runtime: the native context shape raw handlers receive (``python3.10`` = shape A).
        invoke_log: log ``FC Invoke Start/End RequestId`` around each invocation (FC's platform
            logs these itself on FC, so they are off by default; function errors are always
            logged).
        mode: ``auto`` serves an HTTP app as a web function and anything else with the
            ``/invoke`` protocol; ``web`` or ``event`` force one.
        timeout: seconds for a call when no ``x-fc-function-timeout`` was ever received.
        pre_stop_timeout: seconds for the lifespan shutdown plus PreStop.

    A load failure does not raise: every invocation then answers FC's load error
    (:attr:`load_error`), as FC does.
    """

    def __init__(
        self,
        handler: str,
        code_dir: str = ".",
        *,
        initializer: Optional[str] = None,
        pre_stop: Optional[str] = None,
        pre_freeze: Optional[str] = None,
        workers: int = DEFAULT_WORKERS,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        runtime: str = "python3.10",
        invoke_log: bool = False,
        mode: str = "auto",
        timeout: float = DEFAULT_TIMEOUT,
        pre_stop_timeout: float = DEFAULT_PRE_STOP_TIMEOUT,
    ) -> None:
        shape_of(runtime)
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        self.invoke_log = invoke_log
        self.handler_name = handler
        self.max_body_size = max_body_size
        self.runtime = runtime
        self.timeout = timeout
        self.pre_stop_timeout = pre_stop_timeout
        self.load_error: Optional[HandlerLoadError] = None
        self._func: Optional[Callable[..., Any]] = None
        self._hooks: dict[str, Callable[..., Any]] = {}
        self._hook_errors: dict[str, HandlerLoadError] = {}
        try:
            self._func = load_handler(handler, code_dir)
        except HandlerLoadError as exc:
            self.load_error = exc
            log.error("cannot load handler %s: %s: %s", handler, exc.error_type, exc)
        if self._func is not None:
            self._hooks.update(module_hooks(handler))
        for kind, name in (
            ("initializer", initializer),
            ("pre_stop", pre_stop),
            ("pre_freeze", pre_freeze),
        ):
            if name:
                try:
                    self._hooks[kind] = load_handler(name, code_dir)
                except HandlerLoadError as exc:
                    self._hook_errors[kind] = exc
                    log.error("cannot load %s %s: %s: %s", kind, name, exc.error_type, exc)
        self._pool = Pool(workers)
        #: The HTTP app served as a web function, or None (event handler).
        self.web: Optional[WebApp] = web_app_of(self._func, mode) if self._func else None
        if self.web is not None:
            self.web.bind(self._pool, max_body_size, self._timeout_for)
            bridge = self.web.bridge
            for kind in ("initializer", "pre_stop"):  # handler.initializer as a hook: the
                hook = self._hooks.get(kind)  # lifespan runs on serve's own loop instead
                if bridge is not None and getattr(hook, "__self__", None) is bridge:
                    del self._hooks[kind]
        self._gets_context = self._func is not None and self._receives_context(self._func)
        self._init_lock = threading.Lock()
        self._initialized = (
            "initializer" not in self._hooks and "initializer" not in self._hook_errors
        )
        self._lifespan = self.web is not None and self.web.bridge is not None
        self._lifespan_lock: Optional[asyncio.Lock] = None
        self._ready = self._initialized and not self._lifespan
        self._function_timeout: Optional[float] = None
        self._timeout_text: Optional[str] = None
        self._stopped = False
        self._hook_busy = 0
        #: Invocations answered from callbacks (:mod:`fcsdk.runtime._http1`) not answered yet.
        self.calls: set[Any] = set()

    @property
    def hooks(self) -> dict[str, Callable[..., Any]]:
        """The lifecycle hooks in use, by kind."""
        return dict(self._hooks)

    @property
    def busy(self) -> int:
        """Invocations and hooks running in the worker threads now."""
        return self._pool.busy + self._hook_busy

    def close(self) -> None:
        """Release the worker threads (a late handler thread is left to finish)."""
        self._pool.shutdown()

    # -- ASGI -----------------------------------------------------------------------------------

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            try:
                await self._http(scope, receive, send)
            except Exception:  # a bug of ours: answer 500, keep serving
                log.exception("fcsdk serve: internal error on %s", scope.get("path"))
                status, body = _http_error(500, "InternalServerError", "fcsdk serve failed")
                await respond(send, status, body, json_body=True, extra=(), started=True)
        elif kind == "lifespan":
            await self._lifespan_events(receive, send)

    async def _lifespan_events(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                err = await self._stop(Context.from_headers({}))
                if err is not None:
                    log.error("PreStop failed: %s: %s", err["errorType"], err["errorMessage"])
                for call in list(self.calls):  # the process ends now: they never returned
                    call.gone()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        route = _ROUTES.get(scope["path"])
        web = self.web
        if web is not None and (
            route is None
            or route[1] == "invoke"
            or scope["method"] != route[0]
            or dict(scope["headers"]).get(b"x-fc-control-path") == b"/http-invoke"
        ):
            if not self._ready:
                ctx = Context.from_headers({k: v for k, v in scope["headers"] if k[:5] == b"x-fc-"})
                err = await self._initialize(ctx)
                if err is not None:
                    extra = _fc_headers(ctx, False, None)
                    return await respond(send, 500, error_body(err), json_body=True, extra=extra)
            return await web(scope, receive, send)
        if route is None:
            status, body = _http_error(
                404, "NotFound", f"no such path: use POST {INVOKE_PATHS[0]} to invoke"
            )
            return await respond(send, status, body, json_body=True)
        method, kind = route
        if scope["method"] != method:
            status, body = _http_error(
                405, "MethodNotAllowed", f"{scope['path']} accepts {method} only"
            )
            return await respond(
                send, status, body, json_body=True, extra=((b"allow", method.encode()),)
            )
        headers = _text_headers(scope["headers"])
        sent_rid: Optional[bytes] = None
        if "x-fc-request-id" in headers:
            for key, value in scope["headers"]:  # the bytes as sent (answered back unchanged)
                if key.lower() == b"x-fc-request-id":
                    sent_rid = value
        event = (
            await read_body(headers, receive, send, self.max_body_size) if method == "POST" else b""
        )
        if event is None:
            return None
        ctx = _context(headers)
        if kind == "invoke":
            try:
                result = await self._invoke(event, ctx)
            except asyncio.CancelledError:  # the process ends: past --graceful-timeout
                result = InvokeResult(ctx.request_id, error_body(_GONE), _GONE)
                with contextlib.suppress(Exception):
                    await respond(
                        send,
                        200,
                        result.body,
                        json_body=True,
                        extra=_fc_headers(ctx, False, sent_rid),
                    )
                raise
            body, ok = result.body, result.ok
        else:
            if kind == "initializer":
                err = await self._initialize(ctx)
            elif kind == "pre_stop":
                err = await self._stop(ctx)
            else:
                err = await self._lifecycle(kind, ctx)
            body, ok = (b"", True) if err is None else (error_body(err), False)
        return await respond(
            send, 200, body, json_body=not ok, extra=_fc_headers(ctx, ok, sent_rid)
        )

    # -- invocation -----------------------------------------------------------------------------

    def _timeout_for(self, ctx: Context) -> float:
        """The call's bound: its header; else the function's timeout as FC sent it before.
        The header's text is parsed once while it stays the same (FC sends the function's
        configured timeout with every call)."""
        headers = ctx.raw
        text = headers.get("x-fc-function-timeout") if type(headers) is dict else None
        if text is not None and text == self._timeout_text:
            return self._function_timeout or self.timeout
        seconds = _seconds(ctx, "x-fc-function-timeout")
        if seconds is not None:
            self._function_timeout = seconds
            self._timeout_text = text if type(text) is str else None
            return seconds
        return self._function_timeout or self.timeout

    async def _invoke(self, event: bytes, ctx: Context) -> InvokeResult:
        rid = ctx.request_id
        if self.load_error is not None:
            err = self.load_error.to_dict()
            return InvokeResult(rid, error_body(err), err)
        if not self._ready:
            init_err = await self._initialize(ctx)
            if init_err is not None:
                return InvokeResult(rid, error_body(init_err), init_err)
        func = self._func
        assert func is not None
        loop = asyncio.get_running_loop()
        job = self._pool.submit(loop, self._call, (func, event, ctx))
        timeout = self._timeout_for(ctx)
        value = await outcome(job, loop.call_later(timeout, expire_job, job), rid)
        if value is _TIMED_OUT:
            return self._late(job, timeout, rid)
        result: InvokeResult = value
        return result

    @property
    def invoke_ready(self) -> bool:
        """Whether an invocation can go straight to a worker: the handler loaded, the
        Initializer (and lifespan) done, an event function (not a web function)."""
        return self._ready and self.load_error is None and self.web is None

    def _late(self, job: Job, timeout: float, rid: str) -> InvokeResult:
        """The answer of a call past its timeout; the worker running it is replaced."""
        if not job.withdraw():  # it runs on: a new worker takes its place
            self._pool.abandon(job)
        err = timeout_error(timeout)
        log.error(
            "FC Invoke Error RequestId: %s FunctionTimeoutError: %s",
            rid,
            err["errorMessage"],
            extra={"request_id": rid},
        )
        return InvokeResult(rid, error_body(err), err, True, timeout * 1000)

    def _call(self, func: Callable[..., Any], event: bytes, ctx: Context) -> InvokeResult:
        """On a worker: the call, with the context argument built here, off the event loop."""
        if func is not self._func:
            arg = self._argument(func, ctx)
        elif self._gets_context:
            arg = ctx
        else:  # a raw FC handler (decided once: a failed hasattr costs about 1 µs per call)
            arg = self._native(ctx)
        rid = ctx.request_id
        extra = {"request_id": rid}
        if self.invoke_log:
            log.info("FC Invoke Start RequestId: %s", rid, extra=extra)
        result = call_handler(func, event, arg, context=ctx)
        if result.error is not None:
            log.error(
                "FC Invoke Error RequestId: %s %s: %s",
                rid,
                result.error.get("errorType"),
                result.error.get("errorMessage"),
                extra=extra,
            )
        if self.invoke_log:
            log.info("FC Invoke End RequestId: %s", rid, extra=extra)
        return result


def _text_headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    r"""Header names lower-cased, values as text: UTF-8, else latin-1 (every byte kept). One
    comprehension for the usual all-UTF-8 request (3.0 µs for FC's 18 headers, against 3.2 for
    a loop with a ``try`` per header; joining them to decode in one piece measured 6.6); the
    loop only when a value is not UTF-8.

    Example:
        >>> _text_headers([(b"X-Fc-Region", b"cn-hangzhou"), (b"x-bin", b"\xff")])
        {'x-fc-region': 'cn-hangzhou', 'x-bin': 'ÿ'}
        >>> _text_headers([(bytearray(b"X-Fc-Region"), b"cn-beijing")])
        {'x-fc-region': 'cn-beijing'}
    """
    names = _NAMES
    if len(names) > 512:  # names a client made up: do not keep them all
        names.clear()
    try:
        return {names[k]: v.decode("utf-8") for k, v in raw}
    except (UnicodeDecodeError, TypeError):  # not UTF-8; a name that is not bytes (bytearray)
        pass
    out: dict[str, str] = {}
    for key, value in raw:
        try:
            text = value.decode("utf-8")
        except UnicodeDecodeError:
            text = value.decode("latin-1")
        out[bytes(key).decode("latin-1").lower()] = text
    return out


class _Names(dict):  # type: ignore[type-arg]
    """Header names as sent -> lower-case text, decoded once per spelling (FC sends the
    same 18 names with every call)."""

    def __missing__(self, name: bytes) -> str:
        text = self[name] = name.decode("latin-1").lower()
        return text


_NAMES = _Names()


def _context(headers: dict[str, str]) -> Context:
    """The Context of headers already lower-cased and decoded: handed over as its header view,
    so it does not redo that per request (about 10 us for FC's 15 headers)."""
    ctx = Context.from_headers(headers)
    cache = getattr(ctx, "_cache", None)
    if isinstance(cache, dict):
        cache["_headers"] = headers
    return ctx
