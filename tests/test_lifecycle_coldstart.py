"""Lifecycle hooks do not claim the instance's cold start: the first invocation does."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

import fcsdk as fc
from fcsdk._coldstart import _reset, is_cold_start
from fcsdk.logging import setup


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    _reset()
    buf = io.StringIO()
    log = logging.getLogger("coldstart-test")
    handler = setup("json", stream=buf, target=log)
    yield buf
    if handler is not None:
        log.removeHandler(handler)
    _reset()


def test_the_initializer_logs_during_the_cold_start_without_claiming_it(
    json_lines: io.StringIO,
) -> None:
    log = logging.getLogger("coldstart-test")

    @fc.initializer
    def init(context: fc.Context) -> None:
        log.info("init")

    @fc.pre_stop
    def stop(context: fc.Context) -> None:
        log.info("stop")

    @fc.handler
    def handler(event: bytes, context: fc.Context) -> str:
        log.info("call")
        return "ok"

    init({"x-fc-request-id": "init-1"})
    handler(b"", {"x-fc-request-id": "r-1"})
    handler(b"", {"x-fc-request-id": "r-2"})
    stop({"x-fc-request-id": "stop-1"})
    lines = [json.loads(line) for line in json_lines.getvalue().splitlines()]
    assert [(x["message"], x["cold_start"]) for x in lines] == [
        ("init", True),
        ("call", True),  # the first invocation still claims the cold start
        ("call", False),
        ("stop", False),
    ]
    assert not is_cold_start(fc.Context.of(None))  # claimed once, by r-1
