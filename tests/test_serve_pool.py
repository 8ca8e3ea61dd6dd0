"""`fcsdk serve`'s worker pool: jobs settle asyncio futures, a late job's worker is replaced, a
job that has not started can be withdrawn and then never runs."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from fcsdk.runtime._pool import Pool


def test_values_and_exceptions_reach_the_awaiting_coroutine():
    pool = Pool(4)

    def boom():
        raise KeyError("k")

    async def main():
        loop = asyncio.get_running_loop()
        value = await pool.submit(loop, max, (3, 7)).future
        with pytest.raises(KeyError):
            await pool.submit(loop, boom, ()).future
        return value

    try:
        assert asyncio.run(main()) == 7
    finally:
        pool.shutdown()


def _started_then_wait(started: threading.Event, release: threading.Event) -> bool:
    started.set()
    return release.wait(10)


async def _until(check, timeout=30.0):
    """Wait for a condition of the worker threads (a fixed sleep fails on a loaded machine)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


def test_jobs_run_at_once_up_to_the_size_then_queue():
    pool = Pool(4)
    barrier = threading.Barrier(4, timeout=10)
    running = []

    def work(i):
        running.append(i)
        barrier.wait()  # all four at once, or the barrier breaks
        return threading.current_thread().name

    async def main():
        loop = asyncio.get_running_loop()
        jobs = [pool.submit(loop, work, (i,)) for i in range(8)]
        return await asyncio.gather(*(j.future for j in jobs))

    try:
        names = asyncio.run(main())
    finally:
        pool.shutdown()
    assert sorted(running) == list(range(8))
    assert len(set(names)) == 4  # four threads, reused


def test_an_abandoned_job_is_replaced_and_its_thread_retires():
    pool = Pool(1)
    running, release = threading.Event(), threading.Event()

    async def main():
        loop = asyncio.get_running_loop()
        stuck = pool.submit(loop, _started_then_wait, (running, release))
        await _until(running.is_set)
        pool.abandon(stuck)  # the caller gave up (a timeout)
        started = time.perf_counter()
        assert await pool.submit(loop, max, (1, 2)).future == 2  # not behind the stuck one
        assert time.perf_counter() - started < 5
        release.set()
        await stuck.future
        await _until(lambda: pool._threads == 1)  # the late job's thread retires after it

    try:
        asyncio.run(main())
        assert pool._threads == 1  # back to the pool's size once the late job returned
    finally:
        pool.shutdown()


def test_a_withdrawn_job_never_runs_and_a_running_one_cannot_be_withdrawn():
    pool = Pool(1)
    running, release = threading.Event(), threading.Event()
    ran = []

    async def main():
        loop = asyncio.get_running_loop()
        first = pool.submit(loop, _started_then_wait, (running, release))
        queued = pool.submit(loop, ran.append, ("queued",))
        await _until(running.is_set)  # the worker runs the first
        assert queued.withdraw() is True
        assert first.withdraw() is False  # running: it is the worker's
        assert pool.busy == 1
        release.set()
        await first.future
        await _until(lambda: pool.busy == 0)
        await pool.submit(loop, ran.append, ("after",)).future

    try:
        asyncio.run(main())
    finally:
        pool.shutdown()
    assert ran == ["after"]


def test_jobs_submitted_from_many_loops_at_once_each_get_their_own_answer():
    pool = Pool(8)
    barrier = threading.Barrier(16, timeout=10)
    answers = {}

    def client(i):
        async def main():
            barrier.wait()
            return await pool.submit(asyncio.get_running_loop(), lambda: i * i, ()).future

        answers[i] = asyncio.run(main())

    threads = [threading.Thread(target=client, args=(i,)) for i in range(16)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
    finally:
        pool.shutdown()
    assert answers == {i: i * i for i in range(16)}


def test_outcomes_finishing_together_share_wake_ups_and_none_is_lost():
    """16 calls released at once: every waiter gets its own value, and the loop is woken
    fewer times than there are outcomes when they arrive together (the batch rides one
    wake-up); a wake-up per outcome would still be correct, only slower."""
    pool = Pool(16)
    release = threading.Event()
    wakeups = []

    def work(i):
        assert release.wait(10)
        return i * i

    async def main():
        loop = asyncio.get_running_loop()
        real = loop.call_soon_threadsafe

        def counting(*args, **kwargs):
            wakeups.append(1)
            return real(*args, **kwargs)

        loop.call_soon_threadsafe = counting  # type: ignore[method-assign]
        jobs = [pool.submit(loop, work, (i,)) for i in range(16)]
        await _until(lambda: pool.busy == 16)
        release.set()
        time.sleep(0.2)  # the loop is blocked on purpose: the outcomes pile up meanwhile
        return await asyncio.gather(*(j.future for j in jobs))

    try:
        assert asyncio.run(main()) == [i * i for i in range(16)]
        assert 1 <= len(wakeups) < 16
    finally:
        pool.shutdown()


def test_a_cancelled_wait_can_wait_again_and_gets_the_real_outcome():
    """What `fcsdk serve` does when its grace period ends: the wait is cancelled (which
    cancels the job's future), the job still runs, and `rewait()` gives a future its outcome
    resolves; when the call had already returned, that future is resolved at once."""
    pool = Pool(2)
    started, release = threading.Event(), threading.Event()

    async def main():
        loop = asyncio.get_running_loop()
        job = pool.submit(loop, _started_then_wait, (started, release))
        waiter = asyncio.ensure_future(job.future)
        await _until(started.is_set)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        assert job.future.cancelled() and not job.returned()
        again = job.rewait()
        release.set()
        first = await asyncio.wait_for(again, 10)
        late = job.rewait()  # after the outcome: resolved at once
        assert late.done()
        return first, late.result(), job.result()

    try:
        assert asyncio.run(main()) == (True, True, True)
    finally:
        pool.shutdown()
