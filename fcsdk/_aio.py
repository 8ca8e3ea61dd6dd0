"""One event loop per process for ``async def`` handlers.

FC calls handlers synchronously, possibly from several threads at once (instance concurrency).
Creating a loop per call (``asyncio.run``) would break clients cached across invocations (an
``aiohttp`` session is bound to its loop) and cost a loop set-up per call, so every coroutine runs
on one long-lived loop in a daemon thread; the calling thread waits for its result.

Two details keep the hop cheap (it is paid on every async invocation and every ASGI request):

- The loop runs ``run_until_complete`` on a root task that lives as long as the loop, as an ASGI
  server's loop does. anyio (Starlette's and FastAPI's threadpool for sync endpoints) keeps its
  worker threads for as long as the root task it finds this way; under ``run_forever`` each
  request's task would be the root, and every call to a sync endpoint would start a new thread.
- :func:`run` hands the coroutine over with ``call_soon_threadsafe`` and waits on a plain lock
  released by the task's done callback, instead of ``run_coroutine_threadsafe``'s chained
  ``concurrent.futures.Future`` (a condition variable and two extra callbacks per call).

A task that outlives the call that started it (an ASGI app's lifespan, waiting for PreStop) is
handed to :func:`keep`: the loop holds tasks only weakly, so a pending task that nothing else
references is destroyed by the garbage collector ("Task was destroyed but it is pending!", e.g.
at interpreter exit when PreStop never ran).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Coroutine
from contextvars import copy_context
from typing import TYPE_CHECKING, Any, Optional, TypeVar

if TYPE_CHECKING:  # asyncio costs ~20 ms to import: only load it when a coroutine runs
    import asyncio

__all__ = ["get_loop", "keep", "run"]

T = TypeVar("T")

_lock = threading.Lock()
_loop: Optional[asyncio.AbstractEventLoop] = None
_kept: set[asyncio.Task[Any]] = set()  # replaced per loop; see keep()


def get_loop() -> asyncio.AbstractEventLoop:
    """The process-wide loop that runs async handlers (started on first use)."""
    global _loop, _kept
    loop = _loop
    if loop is not None and not loop.is_closed():
        return loop
    import asyncio

    with _lock:
        if _loop is None or _loop.is_closed():
            new_loop = asyncio.new_event_loop()
            ready = threading.Event()
            kept: set[asyncio.Task[Any]] = set()

            async def root(kept: set[asyncio.Task[Any]]) -> None:
                # Lives as long as the loop: the root task anyio ties its worker threads to.
                # Its frame (on the loop thread's stack, which outlives module teardown at
                # exit) holds the tasks given to keep().
                ready.set()
                await new_loop.create_future()

            def serve() -> None:
                asyncio.set_event_loop(new_loop)
                # RuntimeError: user code called loop.stop(); end the thread quietly (as run_forever did).
                with contextlib.suppress(RuntimeError):
                    new_loop.run_until_complete(root(kept))

            threading.Thread(target=serve, name="fcsdk-async-loop", daemon=True).start()
            ready.wait()
            _loop, _kept = new_loop, kept
        return _loop


def _on_loop_thread(loop: asyncio.AbstractEventLoop) -> bool:
    import asyncio

    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:  # no loop running in this thread
        return False


def keep(task: asyncio.Task[Any]) -> None:
    """Hold a strong reference to ``task``, a task of the shared loop, until it is done.

    Call it on the loop thread for a task that nothing else waits for (a background task).

    Example:
        >>> import asyncio
        >>> async def start() -> None:
        ...     keep(asyncio.get_running_loop().create_task(asyncio.sleep(0)))
        >>> run(start())
    """
    kept = _kept
    kept.add(task)
    task.add_done_callback(kept.discard)


class _Escaped(Exception):
    """Carries a ``SystemExit``/``KeyboardInterrupt`` out of a task: raised as they are, they
    would stop the shared loop's thread before the caller is told, and the caller would wait
    forever."""

    def __init__(self, exc: BaseException) -> None:
        super().__init__()
        self.exc = exc


async def _guard(coro: Coroutine[Any, Any, T]) -> T:
    try:
        return await coro
    except (SystemExit, KeyboardInterrupt) as exc:
        raise _Escaped(exc) from None


class _Call:
    """One coroutine handed to the loop thread; ``wait()`` blocks until its task is done."""

    __slots__ = ("coro", "done", "error", "task")

    def __init__(self, coro: Coroutine[Any, Any, Any]) -> None:
        self.coro = coro
        self.done = threading.Lock()
        self.done.acquire()
        self.task: Optional[asyncio.Task[Any]] = None
        self.error: Optional[BaseException] = None

    def start(self) -> None:  # on the loop thread, in a copy of the caller's context
        import asyncio

        coro = self.coro
        try:
            if asyncio.iscoroutine(coro):
                coro = _guard(coro)
            self.task = task = asyncio.get_running_loop().create_task(coro)
        except BaseException as exc:  # not a coroutine: raise it in the caller, do not hang
            self.error = exc
            self.done.release()
            return
        task.add_done_callback(self.finish)

    def finish(self, task: asyncio.Task[Any]) -> None:  # on the loop thread
        self.done.release()


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion on the shared loop, in the caller's contextvars context.

    Example:
        >>> import asyncio
        >>> async def answer() -> int:
        ...     await asyncio.sleep(0)
        ...     return 42
        >>> run(answer())
        42
    """
    loop = get_loop()
    if _on_loop_thread(loop):
        coro.close()
        from .errors import ConfigurationError

        raise ConfigurationError(
            "a decorated async handler was called from inside another async handler, on the "
            "loop that runs it; waiting would deadlock. Await the undecorated function "
            "instead: `await handler.__wrapped__(event, context)`"
        )
    call = _Call(coro)
    # The task is created inside a copy of the calling thread's contextvars context, so the
    # request id set by the handler wrapper is visible inside the coroutine.
    loop.call_soon_threadsafe(call.start, context=copy_context())
    call.done.acquire()
    task = call.task
    if task is None:
        assert call.error is not None
        raise call.error
    if task.cancelled():  # as run_coroutine_threadsafe(...).result() raised
        import concurrent.futures

        raise concurrent.futures.CancelledError()
    try:
        result: T = task.result()
    except _Escaped as escaped:
        exc = escaped.exc
    else:
        return result
    raise exc  # sys.exit() in an async handler: reported by the runtime like a sync one
