"""One event loop per process for ``async def`` handlers.

FC calls handlers synchronously, possibly from several threads at once (instance concurrency).
Creating a loop per call (``asyncio.run``) would break clients cached across invocations (an
``aiohttp`` session is bound to its loop) and cost a loop set-up per call, so every coroutine runs
on one long-lived loop in a daemon thread; the calling thread waits for its result.
"""

from __future__ import annotations

import threading
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, Optional, TypeVar

if TYPE_CHECKING:  # asyncio costs ~20 ms to import: only load it when a coroutine runs
    import asyncio

__all__ = ["get_loop", "run"]

T = TypeVar("T")

_lock = threading.Lock()
_loop: Optional[asyncio.AbstractEventLoop] = None


def get_loop() -> asyncio.AbstractEventLoop:
    """The process-wide loop that runs async handlers (started on first use)."""
    global _loop
    loop = _loop
    if loop is not None and not loop.is_closed():
        return loop
    import asyncio

    with _lock:
        if _loop is None or _loop.is_closed():
            new_loop = asyncio.new_event_loop()
            ready = threading.Event()

            def serve() -> None:
                asyncio.set_event_loop(new_loop)
                new_loop.call_soon(ready.set)
                new_loop.run_forever()

            threading.Thread(target=serve, name="fcsdk-async-loop", daemon=True).start()
            ready.wait()
            _loop = new_loop
        return _loop


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
    # run_coroutine_threadsafe schedules through call_soon_threadsafe, which copies the calling
    # thread's contextvars; the task created from it inherits that copy, so the request id set
    # by the handler wrapper is visible inside the coroutine.
    import asyncio

    return asyncio.run_coroutine_threadsafe(coro, get_loop()).result()
