"""Checked by ``mypy --strict`` in CI (not run by pytest): fc.logger, metrics and tracing
decorators keep precise types."""

from __future__ import annotations

from typing import Any, AsyncIterator, Iterator

from typing_extensions import assert_type

import fcsdk as fc
from fcsdk.logging import FCLogger
from fcsdk.metrics import Metrics
from fcsdk.tracing import Tracer

assert_type(fc.logger, FCLogger)
fc.logger.info("still a logging.Logger: %s", 1)
fc.logger.append_keys(order_id="o-1", qty=2)
fc.logger.remove_keys("order_id", "qty")
assert_type(fc.logger.get_keys(), dict[str, Any])

metrics = Metrics(namespace="shop", service="orders")
tracer = Tracer(service="orders")


@metrics.log_metrics
def bare(event: dict[str, Any], context: fc.Context) -> int:
    return 1


@metrics.log_metrics(capture_cold_start=True)
async def with_args(event: bytes, context: fc.Context) -> str:
    return "x"


@tracer.capture_handler
def traced(event: bytes, context: fc.Context) -> bytes:
    return event


@tracer.capture_method
def reserve(sku: str, qty: int = 1) -> int:
    return qty


@tracer.capture_method(name="named")
def named(sku: str) -> str:
    return sku


assert_type(bare({}, fc.Context.of(None)), int)
assert_type(traced(b"", fc.Context.of(None)), bytes)
assert_type(reserve("a", qty=2), int)
assert_type(named("a"), str)


@fc.handler(log_event=True, steps=[metrics.step(), tracer.step(), fc.logger.step()])
def handler(event: bytes) -> str:
    return "ok"


@tracer.capture_method
def rows(n: int) -> Iterator[int]:
    yield from range(n)


@tracer.capture_method
async def arows(n: int) -> AsyncIterator[int]:
    yield n


assert_type(rows(2), Iterator[int])
assert_type(arows(2), AsyncIterator[int])
capped = fc.logger.step(log_event=True, max_event_bytes=4096)
