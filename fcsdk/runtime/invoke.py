"""FC's built-in Python runtime, emulated: call a handler with event bytes and a context, and
turn what happens into exactly the body FC sends.

- a return value becomes FC's body (:func:`encode_body`, from :mod:`fcsdk._fcbody`): ``str`` UTF-8, ``bytes`` as is, anything else
  ``json.dumps(value, indent=4, sort_keys=True)`` with FC's ``default`` (``Decimal`` -> float,
  ``date``/``datetime`` -> ``isoformat()``, ``to_json()``). Nothing else: a raw handler returning
  a pydantic model fails here as it fails on FC (decorate it with ``@fc.handler`` instead);
- an exception becomes FC's error JSON ``{"errorMessage", "errorType", "stackTrace"}``;
- a call that outlives ``timeout`` seconds is reported as FC reports a timeout.

Example:
    >>> def handler(event, context):
    ...     return {"echo": event.decode()}
    >>> result = call_handler(handler, b"hi", None)
    >>> print(result.body.decode())
    {
        "echo": "hi"
    }
"""

from __future__ import annotations

import contextvars
import inspect
import json
import os
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from typing import Any, Callable, Optional

from .._fcbody import encode_body, fc_dumps
from ..context import Context
from ..logging import current_context
from .errors import HandlerLoadError, stack_trace

__all__ = [
    "InvokeResult",
    "call_handler",
    "encode_body",
    "error_body",
    "error_json",
    "fc_dumps",
    "thread_stacks",
]

_RUNTIME_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def error_json(exc: BaseException, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """FC's error JSON for an exception raised by a handler (or a load error); the stack
    leaves out this package's frames and those of files starting with a prefix in ``skip``.

    Example:
        >>> error_json(ValueError("bad order"))["errorType"]
        'ValueError'
    """
    if isinstance(exc, HandlerLoadError):
        return exc.to_dict()
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "stackTrace": stack_trace(exc.__traceback__, skip=(_RUNTIME_DIR, *skip)),
    }


def error_body(error: dict[str, Any]) -> bytes:
    """The response body for FC's error JSON (UTF-8, compact key order kept).

    Example:
        >>> error_body({"errorMessage": "x", "errorType": "E", "stackTrace": []})
        b'{"errorMessage": "x", "errorType": "E", "stackTrace": []}'
    """
    return json.dumps(error, ensure_ascii=False, default=str).encode("utf-8")


@dataclass
class InvokeResult:
    """What one invocation produced.

    Attributes:
        request_id: the invocation's request id.
        body: the response body FC would send (the error JSON when ``error`` is set).
        error: FC's error JSON when the function failed (or timed out), else None.
        timed_out: True when the call outlived its timeout.
        duration_ms: wall time of the call in milliseconds.
    """

    request_id: str
    body: bytes
    error: Optional[dict[str, Any]] = None
    timed_out: bool = False
    duration_ms: float = 0.0

    @property
    def ok(self) -> bool:
        """True when the function succeeded."""
        return self.error is None


def _run(func: Callable[..., Any], event: bytes, native: Any, ctx: Context) -> bytes:
    token = current_context.set(ctx)
    try:
        value = func(event, native)
        if inspect.isawaitable(value):
            close = getattr(value, "close", None)
            if callable(close):
                close()  # never awaited: close it, FC's runtime would not await it either
            raise TypeError(
                f"handler returned a {type(value).__name__}: FC's Python runtime does not await "
                "coroutines; decorate the async handler with @fc.handler"
            )
        return encode_body(value)
    finally:
        current_context.reset(token)


def _failure(exc: BaseException, rid: str, started: float) -> InvokeResult:
    err = error_json(exc)
    return InvokeResult(rid, error_body(err), err, False, (time.perf_counter() - started) * 1000)


def thread_stacks(skip_current: bool = True) -> str:
    """Every thread's stack, as FC's runtime logs them when a call times out.

    Example:
        >>> "Thread" in thread_stacks(skip_current=False)
        True
    """
    names = {t.ident: t.name for t in threading.enumerate()}
    me = threading.get_ident()
    parts = []
    for ident, frame in sys._current_frames().items():
        if skip_current and ident == me:
            continue
        stack = "".join(traceback.format_stack(frame))
        parts.append(f"Thread {names.get(ident, ident)} (most recent call last):\n{stack}")
    return "\n".join(parts)


def call_handler(
    func: Callable[..., Any],
    event: bytes,
    native: Any,
    *,
    context: Optional[Context] = None,
    timeout: Optional[float] = None,
    on_timeout: Optional[Callable[[str], None]] = None,
) -> InvokeResult:
    """Call ``func(event, native)`` like FC's runtime and return the FC body or error JSON.

    The invocation's :class:`fcsdk.Context` (``context``, else built from ``native``) is set in
    :data:`fcsdk.logging.current_context` during the call, so log lines carry its request id.
    With ``timeout`` the call runs in a daemon thread; when it is late the result is FC's
    timeout error (the thread is left to finish: Python cannot kill a thread, FC kills the
    instance), and ``on_timeout`` receives the stacks of every thread.

    Example:
        >>> import time
        >>> def slow(event, context):
        ...     time.sleep(1)
        >>> r = call_handler(slow, b"", None, timeout=0.05)
        >>> r.timed_out, r.error["errorType"]
        (True, 'FunctionTimeoutError')
    """
    ctx = context if context is not None else Context.of(native)
    rid = ctx.request_id
    started = time.perf_counter()
    if timeout is None:
        try:
            body = _run(func, event, native, ctx)
        except Exception as exc:
            return _failure(exc, rid, started)
        return InvokeResult(rid, body, None, False, (time.perf_counter() - started) * 1000)

    outcome: list[Any] = []
    cvars = contextvars.copy_context()

    def target() -> None:
        try:
            outcome.append(cvars.run(_run, func, event, native, ctx))
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=target, name=f"fc-invoke-{rid}", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        if on_timeout is not None:
            on_timeout(thread_stacks())
        seconds = f"{timeout:g}"
        err = {
            "errorMessage": f"Function time out after {seconds} seconds",
            "errorType": "FunctionTimeoutError",
            "stackTrace": [],
        }
        return InvokeResult(rid, error_body(err), err, True, (time.perf_counter() - started) * 1000)
    result = outcome[0]
    if isinstance(result, BaseException):
        if not isinstance(result, Exception):
            raise result
        return _failure(result, rid, started)
    return InvokeResult(rid, result, None, False, (time.perf_counter() - started) * 1000)
