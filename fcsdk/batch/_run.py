"""Running the per-record calls: in order, in threads, or in asyncio tasks, keeping the order of
records that share an ordering key.

Records are first split into *lanes*: the records of one ordering key form one lane, in batch
order; a record without a key is a lane of its own. ``concurrency`` workers take lanes in the
order of their first record and run each lane's records one after the other, so two records of
one key never run at once nor out of order. Worker threads run in a copy of the invocation's
context (request id, logging keys, the current :class:`fcsdk.Context`); asyncio tasks copy it
by themselves.
"""

from __future__ import annotations

import contextvars
import threading
from typing import Any, Awaitable, Callable, Hashable, Optional, Sequence

__all__ = ["lanes", "run_async", "run_threads"]


def lanes(indices: Sequence[int], keys: Sequence[Optional[Hashable]]) -> list[list[int]]:
    """Group ``indices`` by key (None: alone), lanes ordered by their first index.

    Example:
        >>> lanes([0, 1, 2, 3, 4], ["a", None, "b", "a", None])
        [[0, 3], [1], [2], [4]]
    """
    out: list[list[int]] = []
    by_key: dict[Hashable, list[int]] = {}
    for i, key in zip(indices, keys):
        if key is None:
            out.append([i])
            continue
        lane = by_key.get(key)
        if lane is None:
            lane = by_key[key] = []
            out.append(lane)
        lane.append(i)
    return out


def run_threads(groups: list[list[int]], one: Callable[[int], None], concurrency: int) -> None:
    """Run ``one(i)`` for every index, lanes spread over ``concurrency`` threads.

    ``one`` handles its own ``Exception``s; anything else (``SystemExit``...) propagates to
    the caller once every thread has stopped.

    Example:
        >>> seen = []
        >>> run_threads([[0, 2], [1]], seen.append, 2)
        >>> sorted(seen)
        [0, 1, 2]
    """
    if concurrency <= 1 or len(groups) <= 1:
        for lane in groups:
            for i in lane:
                one(i)
        return
    pending = iter(groups)
    lock = threading.Lock()
    escaped: list[BaseException] = []

    def worker() -> None:
        while not escaped:
            with lock:
                lane = next(pending, None)
            if lane is None:
                return
            try:
                for i in lane:
                    one(i)
            except BaseException as exc:  # stop the others; re-raised below
                escaped.append(exc)
                return

    threads = [
        threading.Thread(
            target=contextvars.copy_context().run,
            args=(worker,),
            name=f"fcsdk-batch-{n}",
            daemon=True,
        )
        for n in range(min(concurrency, len(groups)))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if escaped:
        raise escaped[0]


async def run_async(
    groups: list[list[int]], one: Callable[[int], Awaitable[None]], concurrency: int
) -> None:
    """Await ``one(i)`` for every index, lanes spread over ``concurrency`` tasks.

    Example:
        >>> import asyncio
        >>> seen = []
        >>> async def one(i):
        ...     seen.append(i)
        >>> asyncio.run(run_async([[0, 2], [1]], one, 2))
        >>> sorted(seen)
        [0, 1, 2]
    """
    if concurrency <= 1 or len(groups) <= 1:
        for lane in groups:
            for i in lane:
                await one(i)
        return
    import asyncio

    pending = iter(groups)

    async def worker() -> None:
        for lane in pending:  # one loop, so next() never races
            for i in lane:
                await one(i)

    tasks: list[asyncio.Task[Any]] = [
        asyncio.ensure_future(worker()) for _ in range(min(concurrency, len(groups)))
    ]
    try:
        await asyncio.gather(*tasks)
    finally:
        for t in tasks:
            t.cancel()
