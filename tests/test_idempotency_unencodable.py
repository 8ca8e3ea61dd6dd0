"""A result that cannot be stored: ``idem.function`` releases the key (the retry runs, not
"in progress" until the deadline), and ``batch_handler(idempotency=)``, which ignores what the
per-record function returns, stores nothing of it, so such a record succeeds and is skipped
when the batch is redelivered."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest
from pydantic import BaseModel

import fcsdk as fc
from fcsdk.batch import batch_handler
from fcsdk.idempotency import Idempotency, MemoryStore
from fcsdk.testing import events


class SdkResponse:
    """What an SDK call returns: not JSON."""


class Order(BaseModel):
    order_id: str


def test_an_unencodable_result_releases_the_key() -> None:
    idem = Idempotency(MemoryStore(), key="id")
    runs = []

    @idem.function()
    def charge(record: dict) -> Any:  # type: ignore[type-arg]
        runs.append(record["id"])
        return SdkResponse()

    for _ in range(2):  # the second call runs again: not IdempotencyInProgressError
        with pytest.raises(fc.ResponseEncodeError):
            charge({"id": "r-1"})
    assert runs == ["r-1", "r-1"]


@pytest.mark.parametrize("is_async", [False, True])
def test_batch_records_returning_sdk_objects_succeed_and_are_skipped_on_redelivery(
    is_async: bool,
) -> None:
    runs: Counter[str] = Counter()
    idem = Idempotency(MemoryStore(), key="order_id")
    if is_async:

        async def fn(order: Order) -> SdkResponse:
            await asyncio.sleep(0)
            runs[order.order_id] += 1
            return SdkResponse()

    else:

        def fn(order: Order) -> SdkResponse:  # type: ignore[misc]
            runs[order.order_id] += 1
            return SdkResponse()

    handler = batch_handler(envelope=fc.envelopes.Kafka, idempotency=idem, concurrency=2)(fn)
    event = events.kafka_batch([{"order_id": f"o-{i}"} for i in range(3)])
    for _ in range(2):
        report = handler(event, {"x-fc-request-id": "r-1", "x-fc-function-timeout": "60"})
        assert '"failed": []' in report and '"succeeded": 3' in report
    assert runs == {"o-0": 1, "o-1": 1, "o-2": 1}
