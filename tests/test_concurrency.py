"""FC instance concurrency: many invocations at once, each sees only its own context."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest

import fcsdk as fc
from tests.natives import ShapeA


class ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:  # Handler.handle holds self.lock
        self.records.append(record)


@pytest.fixture
def captured() -> Any:
    handler = ListHandler()
    handler.addFilter(fc.logging.RequestIdFilter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield handler
    root.removeHandler(handler)
    root.setLevel(old_level)


def test_32_threads_each_see_their_own_context(captured: ListHandler) -> None:
    barrier = threading.Barrier(32)
    plain = logging.getLogger("app.plain")

    @fc.handler
    def h(event: dict[str, int], context: fc.Context) -> dict[str, Any]:
        barrier.wait(timeout=10)  # all 32 invocations are in flight at once
        context.logger.info("ctx-logger %d", event["i"])
        fc.logger.info("fc-logger %d", event["i"])
        plain.info("plain %d", event["i"])
        creds = context.require_credentials()
        return {
            "i": event["i"],
            "rid": context.request_id,
            "key": creds.access_key_id,
            "logger_rid": context.logger.extra["request_id"],  # type: ignore[index]
        }

    results: dict[int, Any] = {}

    def call(i: int) -> None:
        native = ShapeA(f"req-{i}", key_id=f"id-{i}", secret=f"s-{i}", token=f"t-{i}")
        results[i] = h({"i": i}, native)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    import json

    for i in range(32):
        got = json.loads(results[i])
        assert got == {"i": i, "rid": f"req-{i}", "key": f"id-{i}", "logger_rid": f"req-{i}"}

    assert len(captured.records) == 96
    for record in captured.records:
        i = record.args[0]  # type: ignore[index]
        assert record.request_id == f"req-{i}"  # type: ignore[attr-defined]
