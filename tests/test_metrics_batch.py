"""fcsdk.metrics from the worker threads of one invocation (batch ``concurrency=N``): no value
lost when many threads add the same new name at once, and a metric with more than 100 values in
one invocation (one value per record of a large batch) is written in lines of 100, not an error."""

from __future__ import annotations

import io
import json
import sys
import threading
import time
from typing import Any, Dict, List

import pytest
from pydantic import BaseModel

import fcsdk as fc
from fcsdk.batch import batch_handler
from fcsdk.metrics import Metrics, MetricsError
from fcsdk.testing import events


def read(buf: io.StringIO) -> List[Dict[str, Any]]:
    return [json.loads(line) for line in buf.getvalue().splitlines()]


@pytest.fixture
def fast_switching():
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: races show at once
    try:
        yield
    finally:
        sys.setswitchinterval(old)


class SlowHash(str):
    """A metric name whose hashing lets other threads run (as a free-threaded build or a
    switch between the look-up and the insert would): the set must still lose no value."""

    def __hash__(self) -> int:
        time.sleep(0.0002)
        return str.__hash__(self)


def test_16_threads_adding_the_same_new_name_lose_no_value(fast_switching) -> None:
    import contextvars

    out = io.StringIO()
    metrics = Metrics(namespace="shop", stream=out)
    threads_n, rounds = 16, 10

    @fc.handler
    @metrics.log_metrics
    def handler(event: bytes) -> str:
        barrier = threading.Barrier(threads_n)

        def work(i: int) -> None:
            barrier.wait()
            metrics.add_metric(SlowHash("Fresh"), "Count", i)
            for n in range(3):
                metrics.add_metric(SlowHash(f"N{i % 4}_{n}"), "Count", 1)

        ts = [
            threading.Thread(target=contextvars.copy_context().run, args=(work, i))
            for i in range(threads_n)
        ]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        return "ok"

    for r in range(rounds):
        assert handler(b"", {"x-fc-request-id": f"r-{r}"}) == "ok"
    lines = read(out)
    assert len(lines) == rounds
    for line in lines:
        assert sorted(line["metrics"]["Fresh"]["values"]) == [float(i) for i in range(threads_n)]
        for k in range(4):
            for n in range(3):
                assert line["metrics"][f"N{k}_{n}"]["values"] == [1.0] * 4


class Item(BaseModel):
    n: int


@pytest.mark.parametrize("concurrency", [1, 16])
def test_a_batch_of_250_records_with_one_value_each_is_written_in_lines_of_100(
    concurrency: int,
) -> None:
    out = io.StringIO()
    metrics = Metrics(namespace="shop", stream=out)

    @batch_handler(envelope=fc.envelopes.Kafka, concurrency=concurrency, steps=[metrics.step()])
    def handler(item: Item) -> None:
        metrics.add_metric("Processed", "Count", 1)
        metrics.add_metric("Size", "Bytes", item.n)

    handler(events.kafka_batch([{"n": i} for i in range(250)]), {"x-fc-request-id": "r-big"})
    lines = read(out)
    assert [len(line["metrics"]["Processed"]["values"]) for line in lines] == [100, 100, 50]
    assert all(line["request_id"] == "r-big" for line in lines)
    sizes = [v for line in lines for v in line["metrics"]["Size"]["values"]]
    assert sorted(sizes) == [float(i) for i in range(250)]
    samples = [s for line in lines for s in line["samples"]]
    assert len(samples) == 500
    # every point of one name has its own timestamp, so MetricStore overwrites none
    for name in ("Processed", "Size"):
        stamps = [s["__time_nano__"] for s in samples if s["__name__"] == name]
        assert len(set(stamps)) == 250


def test_values_past_the_per_invocation_bound_are_an_error_naming_it() -> None:
    from fcsdk.metrics._schema import MAX_VALUES_PER_INVOCATION

    metrics = Metrics(namespace="shop", stream=io.StringIO())

    @fc.handler
    @metrics.log_metrics
    def handler(event: bytes) -> str:
        for _ in range(MAX_VALUES_PER_INVOCATION + 1):
            metrics.add_metric("V", "Count", 1)
        return "ok"

    with pytest.raises(MetricsError, match=f"{MAX_VALUES_PER_INVOCATION} values already"):
        handler(b"", {"x-fc-request-id": "r-1"})
