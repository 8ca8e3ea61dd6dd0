"""``fcsdk serve``: FC's custom-runtime HTTP protocol, as a small ASGI app on uvicorn.

FC's custom runtime (and custom containers) call an HTTP server in the instance:

- ``POST /invoke`` (and ``POST /2023-03-30/functions/function/invocations``, as Serverless
  Devs' local invoke calls it): the body is the event, ``x-fc-*`` headers the context;
- ``POST /initialize``, ``GET /pre-stop``, ``GET /pre-freeze``: the lifecycle hooks.

The answer is HTTP 200 with ``x-fc-status: 200`` and the FC body, or ``x-fc-status: 404`` and FC's
error JSON when the function (or its loading, or its initializer) failed. Handlers run in a pool
of worker threads, so a slow handler does not hold up the others (FC instance concurrency).
Bodies above ``max_body_size`` get 413; unknown paths 404; wrong methods 405 (JSON bodies).
A valid ``x-fc-function-timeout`` (``x-fc-initialization-timeout`` for the initializer) bounds
the call: a late one answers FC's ``FunctionTimeoutError`` (``x-fc-status: 404``) and frees its
worker (the late thread runs on: Python cannot stop it). Header values are read as UTF-8, or
latin-1 when they are not UTF-8.

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
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Awaitable, Callable, Optional

from ..context import Context
from ..lifecycle import find_hooks
from .errors import HandlerLoadError
from .invoke import InvokeResult, call_handler, error_body
from .loader import load_handler
from .native import from_headers, shape_of

__all__ = ["DEFAULT_MAX_BODY_SIZE", "DEFAULT_WORKERS", "INVOKE_PATHS", "CustomRuntimeApp"]

#: FC's limit for a synchronous invocation's payload: 32 MB.
DEFAULT_MAX_BODY_SIZE = 32 * 1024 * 1024
#: Worker threads running handlers (the instance concurrency served at once).
DEFAULT_WORKERS = 64
#: The paths that invoke the handler.
INVOKE_PATHS = ("/invoke", "/2023-03-30/functions/function/invocations")

_ROUTES: dict[str, tuple[str, str]] = {
    **dict.fromkeys(INVOKE_PATHS, ("POST", "invoke")),
    "/initialize": ("POST", "initializer"),
    "/pre-stop": ("GET", "pre_stop"),
    "/pre-freeze": ("GET", "pre_freeze"),
}

#: How the markers name each hook, as `fcsdk invoke` does: "FC Initialize Start RequestId: ...".
_HOOK_LABELS = {"initializer": "Initialize", "pre_stop": "PreStop", "pre_freeze": "PreFreeze"}

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


class CustomRuntimeApp:
    """The ASGI app behind ``fcsdk serve`` (usable with any ASGI server).

    Parameters:
        handler: ``module.function`` of the handler, loaded from ``code_dir`` at construction.
        code_dir: the code directory (put first on ``sys.path``).
        initializer, pre_stop, pre_freeze: ``module.function`` of each hook; by default the hooks
            made with ``@fc.initializer``/``@fc.pre_stop``/``@fc.pre_freeze`` in the handler's
            module are used.
        workers: threads running handlers at once.
        max_body_size: the largest event accepted, in bytes (413 above it).
        runtime: the native context shape raw handlers receive (``python3.10`` = shape A).
        invoke_log: log ``FC Invoke Start/End RequestId`` around each invocation (FC's platform
            logs these itself on FC, so they are off by default; function errors are always
            logged).

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
    ) -> None:
        shape_of(runtime)
        self.invoke_log = invoke_log
        self.handler_name = handler
        self.max_body_size = max_body_size
        self.runtime = runtime
        self.load_error: Optional[HandlerLoadError] = None
        self._func: Optional[Callable[..., Any]] = None
        self._hooks: dict[str, Callable[..., Any]] = {}
        self._hook_errors: dict[str, HandlerLoadError] = {}
        try:
            self._func = load_handler(handler, code_dir)
        except HandlerLoadError as exc:
            self.load_error = exc
            log.error("cannot load handler %s: %s: %s", handler, exc.error_type, exc)
        module = sys.modules.get(getattr(self._func, "__module__", None) or "")
        if self._func is not None and module is not None:
            self._hooks.update(find_hooks(module))
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
        self._decorated = hasattr(self._func, "__fcsdk__")
        self._executor = ThreadPoolExecutor(max(1, workers), thread_name_prefix="fcsdk-worker")
        self._init_lock = threading.Lock()
        self._initialized = (
            "initializer" not in self._hooks and "initializer" not in self._hook_errors
        )
        self._stopped = False
        self._busy = 0
        self._busy_lock = threading.Lock()

    @property
    def hooks(self) -> dict[str, Callable[..., Any]]:
        """The lifecycle hooks in use, by kind."""
        return dict(self._hooks)

    @property
    def busy(self) -> int:
        """Invocations and hooks running in the worker threads now."""
        return self._busy

    def close(self) -> None:
        """Release the worker threads (a late handler thread is left to finish)."""
        self._executor.shutdown(wait=False)

    # -- ASGI -----------------------------------------------------------------------------------

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            try:
                await self._http(scope, receive, send)
            except Exception:  # a bug of ours: answer 500, keep serving
                log.exception("fcsdk serve: internal error on %s", scope.get("path"))
                status, body = _http_error(500, "InternalServerError", "fcsdk serve failed")
                await self._respond(send, status, body, json_body=True, extra=(), started=True)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if not self._stopped and "pre_stop" in self._hooks:
                    self._stopped = True
                    err = await self._run_hook("pre_stop", Context.from_headers({}))
                    if err is not None:
                        log.error("PreStop failed: %s: %s", err["errorType"], err["errorMessage"])
                self.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        route = _ROUTES.get(scope["path"])
        if route is None:
            status, body = _http_error(
                404, "NotFound", f"no such path: use POST {INVOKE_PATHS[0]} to invoke"
            )
            return await self._respond(send, status, body, json_body=True)
        method, kind = route
        if scope["method"] != method:
            status, body = _http_error(
                405, "MethodNotAllowed", f"{scope['path']} accepts {method} only"
            )
            return await self._respond(
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
            except asyncio.CancelledError:  # shutting down past --graceful-timeout
                gone = {
                    "errorMessage": "Process exited unexpectedly before completing request "
                    "(fcsdk serve stopped after its --graceful-timeout)",
                    "errorType": "UnhandledInvocationError",
                    "stackTrace": [],
                }
                result = InvokeResult(ctx.request_id, error_body(gone), gone)
                with contextlib.suppress(Exception):
                    await self._respond(
                        send,
                        200,
                        result.body,
                        json_body=True,
                        extra=_fc_headers(ctx, False, sent_rid),
                    )
                raise
            body, ok = result.body, result.ok
        else:
            err = await self._lifecycle(kind, ctx)
            body, ok = (b"", True) if err is None else (error_body(err), False)
        return await self._respond(
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
        await self._respond(send, status, body, json_body=True, extra=((b"connection", b"close"),))

    @staticmethod
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

    # -- invocation and hooks -------------------------------------------------------------------

    def _argument(self, func: Callable[..., Any], ctx: Context) -> Any:
        """What a function receives as ``context``: fcsdk's Context for fcsdk-made functions,
        a native-like object for raw FC code."""
        if hasattr(func, "__fcsdk__") or hasattr(func, "__fcsdk_hook__"):
            return ctx
        return from_headers(ctx.raw or {}, self.runtime, request_id=ctx.request_id)

    async def _invoke(self, event: bytes, ctx: Context) -> InvokeResult:
        rid = ctx.request_id
        if self.load_error is not None:
            err = self.load_error.to_dict()
            return InvokeResult(rid, error_body(err), err)
        if not self._initialized:
            init_err = await self._lifecycle("initializer", ctx)
            if init_err is not None:
                return InvokeResult(rid, error_body(init_err), init_err)
        func = self._func
        assert func is not None
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor, self._call, func, event, self._argument(func, ctx), ctx
        )

    def _count(self, step: int) -> None:
        with self._busy_lock:
            self._busy += step

    def _call(self, func: Callable[..., Any], event: bytes, arg: Any, ctx: Context) -> InvokeResult:
        self._count(1)
        try:
            return self._call_counted(func, event, arg, ctx)
        finally:
            self._count(-1)

    def _call_counted(
        self, func: Callable[..., Any], event: bytes, arg: Any, ctx: Context
    ) -> InvokeResult:
        rid = ctx.request_id
        extra = {"request_id": rid}
        if self.invoke_log:
            log.info("FC Invoke Start RequestId: %s", rid, extra=extra)
        timeout = _seconds(ctx, "x-fc-function-timeout")
        result = call_handler(func, event, arg, context=ctx, timeout=timeout)
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

    async def _lifecycle(self, kind: str, ctx: Context) -> Optional[dict[str, Any]]:
        """Run the ``kind`` hook (FC's error JSON on failure, None on success or no hook)."""
        if kind in self._hook_errors:
            return self._hook_errors[kind].to_dict()
        if kind not in self._hooks:
            return None
        if kind == "initializer":
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._executor, self._initialize_once, ctx)
        if kind == "pre_stop":
            self._stopped = True
        return await self._run_hook(kind, ctx)

    def _initialize_once(self, ctx: Context) -> Optional[dict[str, Any]]:
        with self._init_lock:  # concurrent first invocations wait for one initializer run
            if self._initialized:
                return None
            err = self._hook_sync("initializer", ctx)
            self._initialized = err is None
            return err

    async def _run_hook(self, kind: str, ctx: Context) -> Optional[dict[str, Any]]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._hook_sync, kind, ctx)

    def _hook_sync(self, kind: str, ctx: Context) -> Optional[dict[str, Any]]:
        hook = self._hooks[kind]
        arg = self._argument(hook, ctx)
        extra = {"request_id": ctx.request_id}
        label = _HOOK_LABELS.get(kind, kind)
        log.info("FC %s Start RequestId: %s", label, ctx.request_id, extra=extra)
        timeout = _seconds(ctx, "x-fc-initialization-timeout") if kind == "initializer" else None
        self._count(1)
        try:
            result = call_handler(
                lambda _event, context: hook(context), b"", arg, context=ctx, timeout=timeout
            )
        finally:
            self._count(-1)
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
