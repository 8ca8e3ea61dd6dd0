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
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from typing import Any, Callable, Optional, TypeVar, Union

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
    "exc_message",
    "fc_dumps",
    "run_timed",
    "thread_stacks",
    "timeout_error",
]

T = TypeVar("T")

#: Exceptions a handler may raise that are reported as function errors (FC's runtime reports
#: ``sys.exit()`` and ``KeyboardInterrupt`` raised by a handler too; fcsdk keeps serving).
HANDLER_ERRORS = (Exception, SystemExit, KeyboardInterrupt)


def exc_message(exc: BaseException) -> str:
    """``str(exc)``, or ``<unprintable X object>`` when the exception's ``__str__`` fails.

    Example:
        >>> class Weird(Exception):
        ...     def __str__(self):
        ...         raise RuntimeError
        >>> exc_message(Weird()), exc_message(ValueError("x"))
        ('<unprintable Weird object>', 'x')
    """
    try:
        return str(exc)
    except Exception:
        return f"<unprintable {type(exc).__name__} object>"


def error_json(exc: BaseException, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """FC's error JSON for an exception raised by a handler (or a load error); the stack
    leaves out fcsdk's own frames, importlib's, and those of files starting with a prefix in
    ``skip``.

    Example:
        >>> error_json(ValueError("bad order"))["errorType"]
        'ValueError'
    """
    if isinstance(exc, HandlerLoadError):
        return exc.to_dict()
    return {
        "errorMessage": exc_message(exc),
        "errorType": type(exc).__name__,
        # On FC never empty (the handler's own frame is in it): kept even when every frame
        # was fcsdk's and left out
        "stackTrace": stack_trace(exc.__traceback__, skip=skip),
    }


def error_body(error: dict[str, Any]) -> bytes:
    """The response body for FC's error JSON, the bytes FC's runtime sends:
    ``json.dumps(error, indent=4, sort_keys=True)`` (ASCII, non-ASCII text as ``\\uXXXX``
    escapes, which also covers lone surrogates).

    Example:
        >>> print(error_body({"errorType": "E", "errorMessage": "é"}).decode())
        {
            "errorMessage": "\\u00e9",
            "errorType": "E"
        }
    """
    return fc_dumps(error).encode("ascii")


def timeout_error(seconds: float) -> dict[str, Any]:
    """FC's error JSON for a call that outlived its timeout.

    Example:
        >>> timeout_error(3)["errorMessage"]
        'Function time out after 3 seconds'
    """
    return {
        "errorMessage": f"Function time out after {seconds:g} seconds",
        "errorType": "FunctionTimeoutError",
        "stackTrace": [],
    }


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


# Return types that are never awaitable: the check (an ABC lookup) is skipped for them.
_PLAIN = frozenset({str, bytes, dict, list, type(None), int, float, bool})


def _run(func: Callable[..., Any], event: bytes, native: Any, ctx: Context) -> bytes:
    token = current_context.set(ctx)
    try:
        value = func(event, native)
        if type(value) not in _PLAIN and inspect.isawaitable(value):
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


def _failure(
    exc: BaseException, rid: str, started: float, secrets: tuple[str, ...] = ()
) -> InvokeResult:
    err = error_json(exc)
    if secrets:  # the credentials this invocation was given, decorated handler or not
        from .._redact import redact_value

        err = redact_value(err, secrets)
    return InvokeResult(rid, error_body(err), err, False, (time.perf_counter() - started) * 1000)


def _given_secrets(ctx: Context) -> tuple[str, ...]:
    """The secret and token the runtime passes this invocation, remembered by the instance
    (so log lines of any thread are masked) and masked in the error JSON."""
    try:
        creds = ctx.credentials  # resolving remembers them (fcsdk.context)
    except Exception:  # malformed credential headers: nothing to mask
        return ()
    if creds is None:
        return ()
    return (creds.access_key_secret, creds.security_token or "")


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


class TimedOut:
    """What :func:`run_timed` returns for a call still running after its timeout.

    Attributes:
        thread: the thread still running the call (Python cannot stop it; FC would kill the
            instance).
    """

    def __init__(self, thread: threading.Thread) -> None:
        self.thread = thread


def run_timed(fn: Callable[[], T], timeout: float, name: str = "fc-call") -> Union[T, TimedOut]:
    """Run ``fn()`` in a daemon thread (with the caller's context variables) for at most
    ``timeout`` seconds: its value, or :class:`TimedOut` when it is late. An exception ``fn``
    raises is raised here.

    Example:
        >>> run_timed(lambda: 1 + 1, 5)
        2
        >>> import time
        >>> isinstance(run_timed(lambda: time.sleep(1), 0.01), TimedOut)
        True
    """
    outcome: list[Any] = []
    cvars = contextvars.copy_context()

    def target() -> None:
        try:
            outcome.append((True, cvars.run(fn)))
        except BaseException as exc:
            outcome.append((False, exc))

    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    thread.join(timeout)
    if not outcome:
        return TimedOut(thread)
    ok, value = outcome[0]
    if not ok:
        raise value
    return value  # type: ignore[no-any-return]


def call_handler(
    func: Callable[..., Any],
    event: bytes,
    native: Any,
    *,
    context: Optional[Context] = None,
    timeout: Optional[float] = None,
    on_timeout: Optional[Callable[[str], None]] = None,
    reported_timeout: Optional[float] = None,
) -> InvokeResult:
    """Call ``func(event, native)`` like FC's runtime and return the FC body or error JSON.

    The invocation's :class:`fcsdk.Context` (``context``, else built from ``native``) is set in
    :data:`fcsdk.logging.current_context` during the call, so log lines carry its request id.
    An exception (``sys.exit()`` and ``KeyboardInterrupt`` included) becomes FC's error JSON.
    With ``timeout`` the call runs in a daemon thread; when it is late the result is FC's
    timeout error naming ``reported_timeout`` (default ``timeout``) seconds (the thread is
    left to finish: Python cannot kill a thread, FC kills the instance; see
    :attr:`InvokeResult.timed_out`), and ``on_timeout`` receives the stacks of every thread.

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
    secrets = _given_secrets(ctx)
    started = time.perf_counter()
    try:
        if timeout is None:
            body = _run(func, event, native, ctx)
        else:
            late = run_timed(lambda: _run(func, event, native, ctx), timeout, f"fc-invoke-{rid}")
            if isinstance(late, TimedOut):
                if on_timeout is not None:
                    on_timeout(thread_stacks())
                err = timeout_error(timeout if reported_timeout is None else reported_timeout)
                elapsed = (time.perf_counter() - started) * 1000
                return InvokeResult(rid, error_body(err), err, True, elapsed)
            body = late
    except HANDLER_ERRORS as exc:
        return _failure(exc, rid, started, secrets)
    return InvokeResult(rid, body, None, False, (time.perf_counter() - started) * 1000)
