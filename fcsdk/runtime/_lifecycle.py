"""The lifecycle side of ``fcsdk serve``: Initializer (once, until it succeeds), the ASGI
lifespan of a web function, PreFreeze, and PreStop on a thread of its own within its timeout."""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from typing import Any, Callable, Optional

from ..context import Context
from ._pool import Job, Pool
from ._protocol import _TIMED_OUT, _exc_error, _expire, _seconds
from .errors import HandlerLoadError
from .invoke import call_handler, timeout_error
from .native import from_headers
from .web import WebApp

log = logging.getLogger("fcsdk.runtime")

#: How the markers name each hook, as `fcsdk invoke` does: "FC Initialize Start RequestId: ...".
_HOOK_LABELS = {"initializer": "Initialize", "pre_stop": "PreStop", "pre_freeze": "PreFreeze"}


class LifecycleRunner:
    """The hooks' half of :class:`fcsdk.runtime.server.CustomRuntimeApp`."""

    runtime: str
    pre_stop_timeout: float
    web: Optional[WebApp]
    _func: Optional[Callable[..., Any]]
    _hooks: dict[str, Callable[..., Any]]
    _hook_errors: dict[str, HandlerLoadError]
    _pool: Pool
    _init_lock: threading.Lock
    _initialized: bool
    _lifespan: bool
    _lifespan_lock: Optional[asyncio.Lock]
    _ready: bool
    _stopped: bool
    _hook_busy: int

    def _argument(self, func: Callable[..., Any], ctx: Context) -> Any:
        """What a function receives as ``context``: fcsdk's Context for fcsdk-made functions,
        a native-like object for raw FC code."""
        return ctx if self._receives_context(func) else self._native(ctx)

    @staticmethod
    def _receives_context(func: Callable[..., Any]) -> bool:
        return hasattr(func, "__fcsdk__") or hasattr(func, "__fcsdk_hook__")

    def _native(self, ctx: Context) -> Any:
        """The native-like context of the invocation, for raw FC code."""
        return from_headers(
            ctx.raw or {}, self.runtime, request_id=ctx.request_id, credentials=ctx.credentials
        )

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
