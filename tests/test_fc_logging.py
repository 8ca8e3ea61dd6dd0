"""Request ids in log lines under FC's own bootstrap logging (rebuilt in fc_logging_support),
with several invocations in flight at once (instance concurrency above 1)."""

from __future__ import annotations

import asyncio
import calendar
import logging
import threading
import time

import pytest

import fcsdk as fc

from .fc_logging_support import FCBootstrapLogging, run_in_threads


@pytest.fixture
def fc_log():
    sim = FCBootstrapLogging()
    yield sim
    sim.uninstall()


def _logging_handler(barrier: threading.Barrier):
    @fc.handler
    def handler(event: dict, context: fc.Context) -> str:
        rid = context.request_id
        barrier.wait(timeout=10)  # every invocation has started: FC's global is the last one's
        logging.info("root mine=%s", rid)
        logging.getLogger("app.orders").warning("app mine=%s", rid)
        fc.logger.info("fc.logger mine=%s", rid)
        context.logger.info("context.logger mine=%s", rid)
        context.raw.logger.info("native mine=%s", rid)  # FC's per-request logger
        barrier.wait(timeout=10)
        return rid

    return handler


SOURCES = ("root", "app", "fc.logger", "context.logger", "native")


def _assert_own_ids(lines, ids, started, ended):
    assert len(lines) == len(ids) * len(SOURCES)
    seen = set()
    for stamp, msecs, rid, level, message in lines:
        source, _, mine = message.partition(" mine=")
        assert rid == mine, (rid, message)  # the line's id is its own invocation's
        assert level == ("WARNING" if source == "app" else "INFO")
        when = calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H:%M:%S")) + int(msecs) / 1000
        assert started - 1 <= when <= ended + 1  # FC's UTC timestamps, kept
        seen.add((source, rid))
    assert seen == {(s, r) for s in SOURCES for r in ids}


@pytest.mark.parametrize("n", [2, 16])
@pytest.mark.parametrize("fc_env", [True, False], ids=["FC_FUNC_CODE_PATH", "no-env"])
@pytest.mark.parametrize("order", ["fc-logging-first", "decorated-first"])
def test_each_line_has_its_own_request_id_under_fc_logging(fc_log, monkeypatch, n, fc_env, order):
    if fc_env:
        monkeypatch.setenv("FC_FUNC_CODE_PATH", "/code")
    else:
        monkeypatch.delenv("FC_FUNC_CODE_PATH", raising=False)
    barrier = threading.Barrier(n)
    if order == "fc-logging-first":  # as on FC: the bootstrap sets up logging, then imports
        root_handler = fc_log.install()
        handler = _logging_handler(barrier)
    else:  # FC's handler appears after decoration (e.g. a module imported before logging)
        handler = _logging_handler(barrier)
        root_handler = fc_log.install()
    ids = [f"1-6f2a-{i:04d}" for i in range(n)]
    started = time.time()
    assert run_in_threads(fc_log, handler, ids) == ids
    ended = time.time()
    _assert_own_ids(fc_log.lines(), ids, started, ended)
    assert logging.getLogger().handlers == [root_handler]  # FC's handler left in place


def test_fc_global_is_used_outside_invocations(fc_log):
    fc_log.install()
    handler = _logging_handler(threading.Barrier(1))
    run_in_threads(fc_log, handler, ["r-1"])
    fc_log.global_request_id = "r-global"
    logging.info("between invocations")
    fc_log.global_request_id = None
    logging.info("before any")
    last, first = fc_log.lines()[-2:]
    assert (last[2], last[4]) == ("r-global", "between invocations")
    assert (first[2], first[4]) == ("", "before any")  # FC's `or ""`


def test_without_the_fix_fc_logging_mixes_ids(fc_log):
    """The fixture is faithful: an undecorated handler logs the other invocation's id."""
    fc_log.install()
    barrier = threading.Barrier(2)

    def raw(event, context):
        barrier.wait(timeout=10)
        logging.info("root mine=%s", context.request_id)
        return context.request_id

    run_in_threads(fc_log, raw, ["a", "b"])
    wrong = [rid for _, _, rid, _, msg in fc_log.lines() if msg != f"root mine={rid}"]
    assert len(wrong) == 1


def test_asyncio_handlers_and_tasks_keep_their_ids(fc_log):
    fc_log.install()
    n = 16
    started: list[str] = []

    async def step(context: fc.Context, k: int) -> None:
        await asyncio.sleep(0.001 * (k % 3))
        logging.info("root mine=%s", context.request_id)
        fc.logger.info("fc.logger mine=%s", context.request_id)

    @fc.handler
    async def handler(event: dict, context: fc.Context) -> str:
        started.append(context.request_id)
        deadline = time.monotonic() + 10
        while len(started) < n and time.monotonic() < deadline:  # all in flight at once
            await asyncio.sleep(0.001)
        context.logger.info("context.logger mine=%s", context.request_id)
        await asyncio.gather(*(step(context, k) for k in range(3)))
        return context.request_id

    ids = [f"async-{i:02d}" for i in range(n)]
    assert run_in_threads(fc_log, handler, ids) == ids
    lines = fc_log.lines()
    assert len(lines) == n * 7
    for _, _, rid, _, message in lines:
        assert message.endswith(f" mine={rid}")


@pytest.fixture
def record_factory():
    """Restore the log record factory a test replaced (it is process-wide)."""
    saved = logging.getLogRecordFactory()
    yield
    logging.setLogRecordFactory(saved)


@pytest.mark.parametrize("n", [2, 16])
def test_fc_handler_added_while_invocations_run_is_patched_before_its_first_line(fc_log, n):
    """Handlers are patched as each log record is made, not only when an invocation starts: a
    root handler installed in the middle of in-flight invocations (user code calling
    basicConfig, a bootstrap that sets up logging late) prints each line's own id at once."""
    installed = threading.Event()
    barrier = threading.Barrier(n)

    @fc.handler
    def handler(event: dict, context: fc.Context) -> str:
        barrier.wait(timeout=10)  # all in flight, FC's handler not there yet
        if context.request_id == "mid-0000":
            fc_log.install()
            installed.set()
        assert installed.wait(timeout=10)
        barrier.wait(timeout=10)
        logging.info("root mine=%s", context.request_id)
        fc.logger.info("fc.logger mine=%s", context.request_id)
        return context.request_id

    ids = [f"mid-{i:04d}" for i in range(n)]
    assert run_in_threads(fc_log, handler, ids) == ids
    lines = fc_log.lines()
    assert len(lines) == 2 * n
    for _, _, rid, _, message in lines:
        assert message.endswith(f" mine={rid}"), (rid, message)


def test_a_replaced_record_factory_falls_back_to_a_check_per_invocation(fc_log, record_factory):
    """Another library sets its own factory (not chaining to fcsdk's): FC's handler installed
    afterwards is still patched, by the check each invocation then makes."""
    barrier = threading.Barrier(4)
    handler = _logging_handler(barrier)
    run_in_threads(fc_log, handler, ["warm-0", "warm-1", "warm-2", "warm-3"])  # fcsdk's factory in
    assert getattr(logging.getLogRecordFactory(), "_fcsdk_patching", False)
    logging.setLogRecordFactory(logging.LogRecord)  # replaced, not chained
    fc_log.install()
    ids = [f"fallback-{i}" for i in range(4)]
    started = time.time()
    assert run_in_threads(fc_log, handler, ids) == ids
    _assert_own_ids(fc_log.lines()[-4 * len(SOURCES) :], ids, started, time.time())
    assert logging.getLogRecordFactory() is logging.LogRecord  # left as that library set it


def test_a_chaining_record_factory_keeps_patching_and_is_not_wrapped_again(fc_log, record_factory):
    """A library wrapping the current factory (the usual way) keeps fcsdk's in its chain: lines
    keep their ids and fcsdk does not stack a new factory on every invocation."""
    handler = _logging_handler(threading.Barrier(2))
    run_in_threads(fc_log, handler, ["warm-a", "warm-b"])
    inner = logging.getLogRecordFactory()

    def tagging(*args, **kwargs):
        record = inner(*args, **kwargs)
        record.tag = "lib"
        return record

    logging.setLogRecordFactory(tagging)
    fc_log.install()
    for k in range(3):
        ids = [f"chain-{k}-a", f"chain-{k}-b"]
        started = time.time()
        assert run_in_threads(fc_log, handler, ids) == ids
        _assert_own_ids(fc_log.lines()[-2 * len(SOURCES) :], ids, started, time.time())
        assert logging.getLogRecordFactory() is tagging


class _PassThrough:
    def around(self, call, proceed):
        return proceed()


@pytest.mark.parametrize("kind", ["async", "steps"])
def test_async_and_stepped_handlers_fall_back_too(fc_log, record_factory, kind):
    """The wrappers other than the hand-tuned one share `_ensure_patched`: after the factory was
    replaced (not chained), FC's handler installed later still prints each invocation's id."""
    barrier = threading.Barrier(4)
    if kind == "async":

        @fc.handler
        async def handler(event: dict, context: fc.Context) -> str:
            await asyncio.sleep(0.01)  # the four interleave on fcsdk's shared loop
            logging.info("root mine=%s", context.request_id)
            return context.request_id

    else:

        @fc.handler(steps=[_PassThrough()])
        def handler(event: dict, context: fc.Context) -> str:
            barrier.wait(timeout=10)
            logging.info("root mine=%s", context.request_id)
            return context.request_id

    run_in_threads(fc_log, handler, [f"warm-{i}" for i in range(4)])  # factory installed
    logging.setLogRecordFactory(logging.LogRecord)  # replaced, not chained
    fc_log.install()
    ids = [f"{kind}-{i}" for i in range(4)]
    assert run_in_threads(fc_log, handler, ids) == ids
    lines = fc_log.lines()[-4:]
    assert sorted(rid for _, _, rid, _, _ in lines) == ids
    for _, _, rid, _, message in lines:
        assert message == f"root mine={rid}"
