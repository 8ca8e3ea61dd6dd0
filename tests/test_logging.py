"""fcsdk.logging: formats, setup(), and the request id under FC's built-in runtime."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import threading

import pytest

import fcsdk as fc
from fcsdk.logging import (
    FCFormatter,
    JSONFormatter,
    current_context,
    make_formatter,
    patch_handlers,
    setup,
)

LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (\S+) \[(\w+)\] (.*)$")


def own(log):
    """The logger's handlers, less those pytest adds to capture logs."""
    return [h for h in log.handlers if type(h).__name__ != "LogCaptureHandler"]


@pytest.fixture
def logger(request):
    log = logging.getLogger(f"test-logging.{request.node.name}")
    log.propagate = False
    log.setLevel(logging.INFO)
    yield log
    for h in list(log.handlers):
        log.removeHandler(h)


def test_fc_line_format_with_request_id_from_the_handler(logger):
    buf = io.StringIO()
    setup("fc", stream=buf, target=logger)

    @fc.handler
    def handler(event: bytes, context: fc.Context) -> str:
        logger.info("hello %s", "you")
        return "ok"

    handler(b"", {"x-fc-request-id": "r-42"})
    logger.warning("outside")
    first, second = buf.getvalue().splitlines()
    assert LINE.match(first).groups() == ("r-42", "INFO", "hello you")
    assert LINE.match(second).groups() == ("-", "WARNING", "outside")


def test_json_format_fields_exception_and_extra(logger):
    buf = io.StringIO()
    setup("json", stream=buf, target=logger)
    token = current_context.set(fc.Context.of({"x-fc-request-id": "r-j"}))
    try:
        try:
            raise ValueError("bad")
        except ValueError:
            logger.exception("failed", extra={"order_id": "o-1"})
    finally:
        current_context.reset(token)
    rec = json.loads(buf.getvalue())
    assert rec["request_id"] == "r-j"
    assert (rec["level"], rec["logger"], rec["message"]) == ("ERROR", logger.name, "failed")
    assert rec["order_id"] == "o-1"
    assert (rec["exception"]["type"], rec["exception"]["message"]) == ("ValueError", "bad")
    assert "ValueError: bad" in rec["exception"]["stack"]
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", rec["time"])


def test_format_selection_by_argument_and_environment(monkeypatch):
    assert isinstance(make_formatter("fc"), FCFormatter)
    assert isinstance(make_formatter("JSON"), JSONFormatter)
    monkeypatch.setenv("FCSDK_LOG_FORMAT", "json")
    assert isinstance(make_formatter(), JSONFormatter)
    monkeypatch.setenv("FCSDK_LOG_FORMAT", "xml")
    with pytest.raises(fc.ConfigurationError, match="FCSDK_LOG_FORMAT"):
        make_formatter()
    with pytest.raises(fc.ConfigurationError, match="'yaml'"):
        make_formatter("yaml")


def test_setup_replaces_its_own_handler_and_keeps_others(logger, monkeypatch):
    monkeypatch.delenv("FC_FUNC_CODE_PATH", raising=False)
    other = logging.NullHandler()
    logger.addHandler(other)
    first = setup("fc", stream=io.StringIO(), target=logger)
    second = setup("json", stream=io.StringIO(), target=logger)
    assert own(logger) == [other, second]
    assert first is not second


class FCRuntimeSimulation:
    """What FC's built-in runtime does: a handler whose request id comes from a process-wide
    global that each invocation overwrites when it starts."""

    def __init__(self, logger, *, set_in_formatter=False):
        self.request_id = "-"
        self.buf = io.StringIO()
        handler = logging.StreamHandler(self.buf)
        sim = self
        fmt = "%(asctime)s.%(msecs)03dZ %(request_id)s [%(levelname)s] %(message)s"

        class GlobalIdFilter(logging.Filter):
            def filter(self, record):
                record.request_id = sim.request_id
                return True

        class GlobalIdFormatter(logging.Formatter):
            def format(self, record):
                record.request_id = sim.request_id
                return super().format(record)

        if set_in_formatter:
            handler.setFormatter(GlobalIdFormatter(fmt, "%Y-%m-%dT%H:%M:%S"))
        else:
            handler.addFilter(GlobalIdFilter())
            handler.setFormatter(logging.Formatter(fmt, "%Y-%m-%dT%H:%M:%S"))
        logger.addHandler(handler)

    def run_concurrently(self, handler, n=32):
        barrier = threading.Barrier(n)

        def invocation(i):
            rid = f"req-{i:03d}"
            self.request_id = rid  # FC: invocation start sets the global
            barrier.wait()  # every invocation has started: the global is the last one's
            handler(b"", {"x-fc-request-id": rid})

        threads = [threading.Thread(target=invocation, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return [LINE.match(ln).groups() for ln in self.buf.getvalue().splitlines()]


def make_handler(logger):
    @fc.handler
    def handler(event: bytes, context: fc.Context) -> str:
        logger.info("mine=%s", context.request_id)
        return "ok"

    return handler


def test_fc_global_request_id_races_without_the_patch(logger):
    sim = FCRuntimeSimulation(logger)
    lines = sim.run_concurrently(make_handler(logger))
    wrong = [rid for rid, _, msg in lines if msg != f"mine={rid}"]
    assert len(wrong) >= 31  # all but the last invocation log someone else's id


@pytest.mark.parametrize("set_in_formatter", [False, True])
def test_patched_fc_handler_logs_each_invocations_own_id(logger, monkeypatch, set_in_formatter):
    sim = FCRuntimeSimulation(logger, set_in_formatter=set_in_formatter)
    monkeypatch.setenv("FC_FUNC_CODE_PATH", "/code")
    assert setup(target=logger) is None  # FC's handler kept, only patched
    assert len(own(logger)) == 1
    assert patch_handlers(logger) == 0  # idempotent
    lines = sim.run_concurrently(make_handler(logger), n=48)
    assert len(lines) == 48
    for rid, level, msg in lines:
        assert (level, msg) == ("INFO", f"mine={rid}")
    logger.info("between invocations")  # no fcsdk context: FC's own id is left alone
    assert sim.buf.getvalue().splitlines()[-1].split()[1] == sim.request_id


def test_json_under_fc_runtime_replaces_fc_handler(logger, monkeypatch):
    FCRuntimeSimulation(logger)
    monkeypatch.setenv("FC_FUNC_CODE_PATH", "/code")
    buf = io.StringIO()
    added = setup("json", stream=buf, target=logger)
    assert own(logger) == [added]


def test_request_ids_under_asyncio_tasks(logger):
    buf = io.StringIO()
    setup("fc", stream=buf, target=logger)

    @fc.handler
    async def handler(event: bytes, context: fc.Context) -> str:
        for _ in range(3):
            logger.info("mine=%s", context.request_id)
            await asyncio.sleep(0.001)
        return "ok"

    threads = [
        threading.Thread(target=handler, args=(b"", {"x-fc-request-id": f"a-{i}"}))
        for i in range(16)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = [LINE.match(ln).groups() for ln in buf.getvalue().splitlines()]
    assert len(lines) == 48
    assert all(msg == f"mine={rid}" for rid, _, msg in lines)


def test_context_logger_keeps_callers_extra():
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.setFormatter(JSONFormatter())
    fc.logger.addHandler(handler)
    fc.logger.setLevel(logging.INFO)
    try:
        fc.Context.of({"x-fc-request-id": "r-ctx"}).logger.info("m", extra={"k": 1})
    finally:
        fc.logger.removeHandler(handler)
        fc.logger.setLevel(logging.NOTSET)
    rec = json.loads(buf.getvalue())
    assert (rec["request_id"], rec["k"]) == ("r-ctx", 1)


def test_decorating_under_fc_patches_fc_root_handler(monkeypatch):
    """Under FC's built-in runtime (FC_FUNC_CODE_PATH set), @fc.handler alone makes FC's own
    root handler print each invocation's request id, even with concurrent invocations."""
    import io
    import threading

    import fcsdk as fc

    class FCGlobalId(logging.Filter):  # FC's runtime: one process-wide request id
        current = "global-id"

        def filter(self, record):
            record.request_id = FCGlobalId.current
            return True

    stream = io.StringIO()
    fc_handler = logging.StreamHandler(stream)
    fc_handler.addFilter(FCGlobalId())
    fc_handler.setFormatter(logging.Formatter("%(request_id)s %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(fc_handler)
    root.setLevel(logging.INFO)
    monkeypatch.setenv("FC_FUNC_CODE_PATH", "/code")
    try:
        barrier = threading.Barrier(8)

        @fc.handler
        def h(event: bytes, context: fc.Context) -> str:
            FCGlobalId.current = context.request_id  # FC's racy global, overwritten by each
            barrier.wait(timeout=10)
            logging.getLogger("app").info("line for %s", context.request_id)
            return "ok"

        threads = [
            threading.Thread(target=h, args=(b"", {"x-fc-request-id": f"r{i}"})) for i in range(8)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        root.removeHandler(fc_handler)
        root.setLevel(old_level)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 8
    for line in lines:
        rid, _, message = line.partition(" ")
        assert message == f"line for {rid}"
