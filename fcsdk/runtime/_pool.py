"""The worker threads of ``fcsdk serve``: jobs handed over from the event loop, answers handed
back as asyncio futures.

Why not ``concurrent.futures.ThreadPoolExecutor``: a call that outlives its timeout must free
its place (FC's instance concurrency stays what it was) while Python cannot stop the thread.
Here the event loop stops waiting (:meth:`Pool.abandon`) and a new worker takes the lost one's
place; the old thread ends after its call returns. So timeouts need no extra thread per call,
and a job that has not started yet can be withdrawn (:meth:`Job.withdraw`): at shutdown, work
that never ran is never reported as having run.
"""

from __future__ import annotations

import collections
import queue
import threading
from typing import TYPE_CHECKING, Any, Callable, Optional

if TYPE_CHECKING:
    import asyncio

__all__ = ["Job", "Pool"]


def _settle(job: Job) -> None:
    """On the loop: hand the outcome to the job's callback, or resolve its future (the one it
    has now)."""
    callback = job.callback
    if callback is not None:
        callback(job)
        return
    future = job.future
    if not future.done() and job.outcome is not None:
        ok, value = job.outcome
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)


class _NoFuture:
    """The ``future`` of a job that reports to a callback: never awaited, always done."""

    __slots__ = ()

    def done(self) -> bool:
        return True


_NO_FUTURE = _NoFuture()


class _Answers:
    """Outcomes going back to one event loop: one wake-up of the loop per batch, not per job.
    Under load, outcomes that arrive while a wake-up is pending ride along with it (each
    wake-up is a write to the loop's self-pipe and a turn of the loop)."""

    __slots__ = ("items", "loop", "scheduled")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.items: collections.deque[Job] = collections.deque()
        self.scheduled = False

    def put(self, job: Job) -> None:
        """From a worker: queue the job, and wake the loop unless a wake-up is pending (the
        flag is read after the append and cleared before the drain: nothing is missed)."""
        self.items.append(job)
        if not self.scheduled:
            self.scheduled = True
            try:
                self.loop.call_soon_threadsafe(self._drain)
            except RuntimeError:  # a closed loop: nobody waits any more
                self.scheduled = False

    def _drain(self) -> None:
        self.scheduled = False
        items = self.items
        while items:
            _settle(items.popleft())


class Job:
    """One call waiting for, or running on, a worker thread.

    Attributes:
        future: resolved (on the loop) with the call's value or exception. A waiter that was
            cancelled may put a new future here (:meth:`rewait`): the outcome goes to the
            future the job has when it is delivered. A job made with a ``callback`` has no
            future: the callback is called with the job on the loop instead (no coroutine, no
            task: ``fcsdk serve``'s invoke path answers from there).
        outcome: ``(ok, value)`` once the call returned (set on the worker before the loop
            hears of it), else None.
    """

    __slots__ = (
        "_answers",
        "_claim",
        "abandoned",
        "args",
        "callback",
        "finished",
        "fn",
        "future",
        "loop",
        "outcome",
    )

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        answers: Optional[_Answers] = None,
        callback: Optional[Callable[[Job], None]] = None,
    ) -> None:
        self.loop = loop
        self._answers = answers if answers is not None else _Answers(loop)
        self.callback = callback
        self.future: asyncio.Future[Any] = (
            loop.create_future() if callback is None else _NO_FUTURE  # type: ignore[assignment]
        )
        self.outcome: Optional[tuple[bool, Any]] = None
        self.fn = fn
        self.args = args
        self._claim = [True]  # popped once: by the worker that runs it, or by withdraw()
        self.abandoned = False  # nobody waits for it any more: its thread retires after it
        self.finished = False

    def withdraw(self) -> bool:
        """Make sure the job never runs: True when it had not started (it never will), False
        when a worker is already running it."""
        try:
            self._claim.pop()
        except IndexError:
            return False
        return True

    def run(self) -> None:
        """Run the call (on a worker) unless it was withdrawn; settle :attr:`future`."""
        try:
            self._claim.pop()
        except IndexError:
            return
        try:
            self.outcome = (True, self.fn(*self.args))
        except BaseException as exc:  # handed to the awaiting coroutine
            self.outcome = (False, exc)
        self._answers.put(self)

    def returned(self) -> bool:
        """Whether the call has returned (its :attr:`outcome` is set)."""
        return self.outcome is not None

    def result(self) -> Any:
        """The call's value (or its exception raised); only once :attr:`outcome` is set."""
        assert self.outcome is not None
        ok, value = self.outcome
        if ok:
            return value
        raise value

    def rewait(self) -> asyncio.Future[Any]:
        """A new :attr:`future` for a waiter whose wait on the old one was cancelled (which
        cancelled that future): the outcome will resolve this one."""
        self.future = self.loop.create_future()
        if self.outcome is not None:  # delivered meanwhile (to the cancelled future)
            _settle(self)
        return self.future


class Pool:
    """``size`` worker threads started on demand.

    Example:
        >>> import asyncio
        >>> pool = Pool(2)
        >>> async def main():
        ...     return await pool.submit(asyncio.get_running_loop(), max, (1, 2)).future
        >>> asyncio.run(main())
        2
        >>> pool.shutdown()
    """

    def __init__(self, size: int, name: str = "fcsdk-worker") -> None:
        self.size = max(1, size)
        self.name = name
        self._queue: queue.SimpleQueue[Optional[Job]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0
        self._running = 0
        self._excess = 0  # threads to retire when their job returns (replaced by abandon())
        self._closed = False
        self._answers: Optional[_Answers] = None  # the loop jobs were last submitted from

    @property
    def busy(self) -> int:
        """Jobs running on a worker now."""
        return self._running

    def submit(
        self,
        loop: asyncio.AbstractEventLoop,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        callback: Optional[Callable[[Job], None]] = None,
    ) -> Job:
        """Queue ``fn(*args)``; await ``job.future`` on ``loop`` for its value, or, with a
        ``callback``, have it called on ``loop`` with the job once :attr:`Job.outcome` is set."""
        answers = self._answers
        if answers is None or answers.loop is not loop:
            answers = self._answers = _Answers(loop)
        job = Job(loop, fn, args, answers, callback)
        self._queue.put(job)
        if self._queue.qsize() > self._idle and self._threads < self.size + self._excess:
            self._start()
        return job

    def abandon(self, job: Job) -> None:
        """The caller stopped waiting for ``job``, which runs (a timeout): start a worker in
        its place; the thread running it ends once the job returns."""
        with self._lock:
            if job.finished:
                return
            job.abandoned = True
            self._excess += 1
        self._start()

    def _start(self) -> None:
        with self._lock:
            if self._closed or self._threads >= self.size + self._excess:
                return
            self._threads += 1
            number = self._threads
        threading.Thread(target=self._work, name=f"{self.name}-{number}", daemon=True).start()

    def _work(self) -> None:
        get = self._queue.get
        while True:
            with self._lock:
                self._idle += 1
            job = get()
            with self._lock:
                self._idle -= 1
                if job is not None:
                    self._running += 1
            if job is None:
                break
            job.run()
            with self._lock:
                self._running -= 1
                job.finished = True
                if job.abandoned:  # a worker took this thread's place: retire
                    self._excess -= 1
                    break
        with self._lock:
            self._threads -= 1

    def shutdown(self) -> None:
        """Let the idle workers end; running jobs finish on their threads."""
        with self._lock:
            self._closed = True
            count = self._threads
        for _ in range(count):
            self._queue.put(None)
