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
import json
import logging
import math
import sys
import threading
from typing import Any, Awaitable, Callable, Optional

from ..context import Context
from ._pool import Job, Pool
from .errors import HandlerLoadError
from .hooks import module_hooks
from .invoke import InvokeResult, call_handler, error_body, timeout_error
from .loader import load_handler
from .native import from_headers, shape_of
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

#: How the markers name each hook, as `fcsdk invoke` does: "FC Initialize Start RequestId: ...".
_HOOK_LABELS = {"initializer": "Initialize", "pre_stop": "PreStop", "pre_freeze": "PreFreeze"}
_TIMED_OUT = object()
_GONE = {
    "errorMessage": "Process exited unexpectedly before completing request "
    "(fcsdk serve stopped after its --graceful-timeout)",
    "errorType": "UnhandledInvocationError",
    "stackTrace": [],
}

log = logging.getLogger("fcsdk.runtime")

Send = Callable[[dict[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[dict[str, Any]]]


def _header_text(value: bytes) -> str:
    """A header value as text: UTF-8 when it is, else latin-1 (every byte kept)."""
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def _seconds(ctx: Context, header: str) -> Optional[float]:
    """A timeout header as seconds; None when absent or not a finite positive number."""
    raw = (ctx.raw or {}).get(header)
    try:
        value = float(str(raw).strip()) if raw is not None else math.nan
    except ValueError:
        return None
    return value if math.isfinite(value) and value > 0 else None


def _fc_headers(ctx: Context, ok: bool, sent: Optional[bytes]) -> tuple[tuple[bytes, bytes], ...]:
    """``x-fc-request-id`` (the bytes the request ``sent``, when they are its id) and
    ``x-fc-status``."""
    rid = ctx.request_id
    data = sent if sent is not None and _header_text(sent) == rid else rid.encode("utf-8")
    return ((b"x-fc-request-id", data), (b"x-fc-status", b"200" if ok else b"404"))


def _http_error(status: int, error_type: str, message: str) -> tuple[int, bytes]:
    body = json.dumps({"errorMessage": message, "errorType": error_type}).encode()
    return status, body


def _exc_error(exc: BaseException) -> dict[str, Any]:
    return {"errorMessage": str(exc), "errorType": type(exc).__name__, "stackTrace": []}


def _expire(future: asyncio.Future[Any]) -> None:
    if not future.done():
        future.set_result(_TIMED_OUT)


class CustomRuntimeApp:
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
            self.web.bind(self._pool, max_body_size)
            bridge = self.web.bridge
            for kind in ("initializer", "pre_stop"):  # handler.initializer as a hook: the
                hook = self._hooks.get(kind)  # lifespan runs on serve's own loop instead
                if bridge is not None and getattr(hook, "__self__", None) is bridge:
                    del self._hooks[kind]
        self._decorated = hasattr(self._func, "__fcsdk__")
        self._init_lock = threading.Lock()
        self._initialized = (
            "initializer" not in self._hooks and "initializer" not in self._hook_errors
        )
        self._lifespan = self.web is not None and self.web.bridge is not None
        self._lifespan_lock: Optional[asyncio.Lock] = None
        self._ready = self._initialized and not self._lifespan
        self._function_timeout: Optional[float] = None
        self._stopped = False
        self._hook_busy = 0

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
                await _respond(send, status, body, json_body=True, extra=(), started=True)
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
                    return await _respond(send, 500, error_body(err), json_body=True, extra=extra)
            return await web(scope, receive, send)
        if route is None:
            status, body = _http_error(
                404, "NotFound", f"no such path: use POST {INVOKE_PATHS[0]} to invoke"
            )
            return await _respond(send, status, body, json_body=True)
        method, kind = route
        if scope["method"] != method:
            status, body = _http_error(
                405, "MethodNotAllowed", f"{scope['path']} accepts {method} only"
            )
            return await _respond(
                send, status, body, json_body=True, extra=((b"allow", method.encode()),)
            )
        headers = {k.decode("latin-1").lower(): _header_text(v) for k, v in scope["headers"]}
        event = await self._read_body(headers, receive, send) if method == "POST" else b""
        if event is None:
            return None
        ctx = Context.from_headers(headers)
        sent_rid = dict(scope["headers"]).get(b"x-fc-request-id")
        if kind == "invoke":
            try:
                result = await self._invoke(event, ctx)
            except asyncio.CancelledError:  # the process ends: past --graceful-timeout
                result = InvokeResult(ctx.request_id, error_body(_GONE), _GONE)
                with contextlib.suppress(Exception):
                    await _respond(
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
        return await _respond(
            send, 200, body, json_body=not ok, extra=_fc_headers(ctx, ok, sent_rid)
        )

    async def _read_body(
        self, headers: dict[str, str], receive: Receive, send: Send
    ) -> Optional[bytes]:
        limit = self.max_body_size
        declared = headers.get("content-length", "").strip()
        if declared.isdigit() and int(declared) > limit:
            await self._too_large(send)
            return None
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._too_large(send)
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _too_large(self, send: Send) -> None:
        status, body = _http_error(
            413,
            "PayloadTooLarge",
            f"the event is larger than {self.max_body_size} bytes (fcsdk serve --max-body-size)",
        )
        # The rest of the body stays unread: close the connection rather than keep the client
        # waiting to send it.
        await _respond(send, status, body, json_body=True, extra=((b"connection", b"close"),))

    # -- invocation -----------------------------------------------------------------------------

    def _argument(self, func: Callable[..., Any], ctx: Context) -> Any:
        """What a function receives as ``context``: fcsdk's Context for fcsdk-made functions,
        a native-like object for raw FC code."""
        if hasattr(func, "__fcsdk__") or hasattr(func, "__fcsdk_hook__"):
            return ctx
        return from_headers(ctx.raw or {}, self.runtime, request_id=ctx.request_id)

    def _timeout_for(self, ctx: Context) -> float:
        """The call's bound: its header; else the function's timeout as FC sent it before."""
        seconds = _seconds(ctx, "x-fc-function-timeout")
        if seconds is not None:
            self._function_timeout = seconds
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
        job = self._pool.submit(loop, self._call, (func, event, self._argument(func, ctx), ctx))
        timeout = self._timeout_for(ctx)
        value = await _outcome(job, loop.call_later(timeout, _expire, job.future), rid)
        if value is _TIMED_OUT:
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
        result: InvokeResult = value
        return result

    def _call(self, func: Callable[..., Any], event: bytes, arg: Any, ctx: Context) -> InvokeResult:
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

    # -- lifecycle ------------------------------------------------------------------------------

    async def _initialize(self, ctx: Context) -> Optional[dict[str, Any]]:
        """The Initializer (once, until it succeeds), then the ASGI lifespan startup (once)."""
        if not self._initialized:
            err = await self._lifecycle("initializer", ctx)
            if err is not None:
                return err
        if self._lifespan and self.web is not None:
            if self._lifespan_lock is None:
                self._lifespan_lock = asyncio.Lock()
            async with self._lifespan_lock:
                try:
                    await self.web.startup()
                except Exception as exc:
                    log.error("ASGI lifespan startup failed: %s", exc)
                    return _exc_error(exc)
        self._ready = True
        return None

    async def _stop(self, ctx: Context) -> Optional[dict[str, Any]]:
        """Once: the ASGI lifespan shutdown, then PreStop, on a thread of their own, within
        ``pre_stop_timeout`` (the workers may all be busy)."""
        if self._stopped:
            return None
        self._stopped = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.pre_stop_timeout
        err: Optional[dict[str, Any]] = None
        if self._lifespan and self.web is not None:
            try:
                await asyncio.wait_for(self.web.shutdown(), self.pre_stop_timeout)
            except asyncio.TimeoutError:
                err = timeout_error(self.pre_stop_timeout)
            except Exception as exc:
                err = _exc_error(exc)
            if err is not None:
                log.error("ASGI lifespan shutdown failed: %s", err["errorMessage"])
        # Event mode: an ASGI bridge started its lifespan on fcsdk's own loop; end it too.
        asgi_module = sys.modules.get("fcsdk.http.asgi")
        bridge_stop = None
        if self.web is None and asgi_module and isinstance(self._func, asgi_module.ASGIBridge):
            bridge_stop = self._func.pre_stop
        if bridge_stop is None and not {"pre_stop"} & (self._hooks.keys() | self._hook_errors):
            return err
        job = Job(loop, self._stop_sync, (bridge_stop, ctx))
        self._hook_busy += 1
        threading.Thread(target=job.run, name="fcsdk-pre-stop", daemon=True).start()
        timer = loop.call_later(max(deadline - loop.time(), 0.0), _expire, job.future)
        try:
            value = await asyncio.shield(job.future)
        finally:
            timer.cancel()
        if value is _TIMED_OUT:
            log.error("PreStop still running after %gs: not waiting", self.pre_stop_timeout)
            return timeout_error(self.pre_stop_timeout)
        return err if value is None else value

    def _stop_sync(
        self, bridge_stop: Optional[Callable[..., Any]], ctx: Context
    ) -> Optional[dict[str, Any]]:
        try:
            if bridge_stop is not None:
                try:
                    bridge_stop(None)
                except Exception as exc:
                    log.error("ASGI lifespan shutdown failed: %s", exc)
            if "pre_stop" in self._hook_errors:
                return self._hook_errors["pre_stop"].to_dict()
            return self._hook_sync("pre_stop", ctx) if "pre_stop" in self._hooks else None
        finally:
            self._hook_busy -= 1

    async def _lifecycle(self, kind: str, ctx: Context) -> Optional[dict[str, Any]]:
        """Run the ``kind`` hook on a worker (FC's error JSON on failure, None on success or no
        hook)."""
        if kind in self._hook_errors:
            return self._hook_errors[kind].to_dict()
        if kind not in self._hooks:
            return None
        fn = self._initialize_once if kind == "initializer" else self._hook_sync
        args = (ctx,) if kind == "initializer" else (kind, ctx)
        job = self._pool.submit(asyncio.get_running_loop(), fn, args)
        err: Optional[dict[str, Any]] = await job.future
        return err

    def _initialize_once(self, ctx: Context) -> Optional[dict[str, Any]]:
        with self._init_lock:  # concurrent first invocations wait for one initializer run
            if self._initialized:
                return None
            err = self._hook_sync("initializer", ctx)
            self._initialized = err is None
            return err

    def _hook_sync(self, kind: str, ctx: Context) -> Optional[dict[str, Any]]:
        hook = self._hooks[kind]
        arg = self._argument(hook, ctx)
        extra = {"request_id": ctx.request_id}
        label = _HOOK_LABELS.get(kind, kind)
        log.info("FC %s Start RequestId: %s", label, ctx.request_id, extra=extra)
        timeout = _seconds(ctx, "x-fc-initialization-timeout") if kind == "initializer" else None
        result = call_handler(
            lambda _event, context: hook(context), b"", arg, context=ctx, timeout=timeout
        )
        if result.error is not None:
            log.error(
                "FC %s failed RequestId: %s %s: %s",
                kind,
                ctx.request_id,
                result.error.get("errorType"),
                result.error.get("errorMessage"),
                extra=extra,
            )
        log.info("FC %s End RequestId: %s", label, ctx.request_id, extra=extra)
        return result.error


async def _outcome(job: Job, timer: asyncio.TimerHandle, rid: str) -> Any:
    """What the job's future settles to (or ``_TIMED_OUT``). When the server cancels the wait
    (its ``--graceful-timeout`` is over), a job that has not started is withdrawn and one that
    runs is waited for while the lifespan shutdown and PreStop run: its answer is still the
    truth. Cancelled again (the process ends), it raises unless the answer has just come."""
    try:
        return await asyncio.shield(job.future)
    except asyncio.CancelledError:
        if job.withdraw():
            raise
        log.warning(
            "fcsdk serve: grace period over, still waiting for RequestId: %s while PreStop runs",
            rid,
            extra={"request_id": rid},
        )
        try:
            return await asyncio.shield(job.future)
        except asyncio.CancelledError:
            if job.future.done() and not job.future.cancelled():
                return job.future.result()
            raise
    finally:
        timer.cancel()


async def _respond(
    send: Send,
    status: int,
    body: bytes,
    *,
    json_body: bool,
    extra: tuple[tuple[bytes, bytes], ...] = (),
    started: bool = False,
) -> None:
    headers = [
        (b"content-type", b"application/json" if json_body else b"application/octet-stream"),
        (b"content-length", str(len(body)).encode()),
        *extra,
    ]
    try:
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
    except Exception:  # the client went away, or the response had already started
        if not started:
            raise
