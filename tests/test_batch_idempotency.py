"""batch_handler(idempotency=...): a redelivered batch skips the records that already
succeeded; the others run again. Real stores: fcsdk.idempotency's MemoryStore (the Redis and
Tablestore stores are tested against real servers in tests/test_idempotency*.py)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections import Counter
from typing import List, Set

import pytest
from pydantic import BaseModel

import fcsdk as fc
from fcsdk.batch import BatchProcessingError, batch_handler
from fcsdk.idempotency import Idempotency, IdempotencyPayloadMismatchError, MemoryStore
from fcsdk.testing import events, fake_context


class Order(BaseModel):
    order_id: str
    qty: int


ORDERS = [{"order_id": f"o-{i}", "qty": i} for i in range(6)]


@pytest.mark.parametrize("concurrency", [1, 4])
@pytest.mark.parametrize("is_async", [False, True])
def test_a_redelivered_batch_skips_the_records_that_succeeded(
    concurrency: int, is_async: bool
) -> None:
    runs: Counter[str] = Counter()
    lock = threading.Lock()
    down: Set[str] = {"o-2", "o-5"}  # a transient failure on the first delivery

    def work(order: Order) -> None:
        with lock:
            runs[order.order_id] += 1
        if order.order_id in down:
            raise ConnectionError("stock service down")

    idem = Idempotency(MemoryStore(), key="order_id")
    if is_async:

        async def fn(order: Order, context: fc.Context) -> None:
            await asyncio.sleep(0)
            work(order)

    else:

        def fn(order: Order, context: fc.Context) -> None:  # type: ignore[misc]
            work(order)

    handler = batch_handler(envelope=fc.envelopes.Kafka, idempotency=idem, concurrency=concurrency)(
        fn
    )
    event = events.kafka_batch(ORDERS, poison_at=[3])
    with pytest.raises(BatchProcessingError) as info:
        handler(event, fake_context(request_id="first"))
    assert [f.index for f in info.value.failures] == [2, 3, 6]
    down.clear()
    with pytest.raises(BatchProcessingError) as again:  # FC redelivers the same batch
        handler(event, fake_context(request_id="retry", retry_count=1))
    assert [f.index for f in again.value.failures] == [3]  # only the poison record is left
    assert runs == {"o-0": 1, "o-1": 1, "o-2": 2, "o-3": 1, "o-4": 1, "o-5": 2}


def test_key_from_the_record_metadata() -> None:
    seen: List[int] = []
    idem = Idempotency(MemoryStore(), key=lambda order, record: record.data.message_id)

    @batch_handler(envelope=fc.envelopes.MNSQueue, idempotency=idem)
    def handler(body: str, record: fc.events.MNSQueueRecord) -> None:
        seen.append(record.data.message_id[-1:])

    event = events.mns_queue_batch(["a", "b"])
    first = handler(event, None)
    assert handler(event, None) == first
    assert seen == ["0", "1"]


def test_same_key_with_another_payload_fails_that_record() -> None:
    idem = Idempotency(MemoryStore(), key="order_id")

    @batch_handler(envelope=fc.envelopes.Kafka, idempotency=idem)
    def handler(order: Order) -> None:
        pass

    handler(events.kafka_batch([ORDERS[1]]), None)
    changed = {**ORDERS[1], "qty": 99}
    with pytest.raises(BatchProcessingError) as info:
        handler(events.kafka_batch([ORDERS[0], changed]), None)
    (failure,) = info.value.failures
    assert failure.index == 1 and isinstance(failure.error, IdempotencyPayloadMismatchError)


def test_a_key_path_missing_from_the_model_fails_at_decoration() -> None:
    idem = Idempotency(MemoryStore(), key="order_no")
    with pytest.raises(fc.ConfigurationError, match="order_no"):

        @batch_handler(envelope=fc.envelopes.Kafka, idempotency=idem)
        def handler(order: Order) -> None:
            pass

    with pytest.raises(fc.ConfigurationError, match=r"needs an fcsdk\.idempotency\.Idempotency"):
        batch_handler(envelope=fc.envelopes.Kafka, idempotency=object())(lambda order: None)


def test_16_invocations_at_once_share_the_store_not_the_state() -> None:
    idem = Idempotency(MemoryStore(), key="order_id")
    runs: Counter[str] = Counter()
    lock = threading.Lock()

    @batch_handler(envelope=fc.envelopes.Kafka, idempotency=idem, concurrency=2)
    def handler(order: Order, context: fc.Context) -> None:
        assert context.request_id.startswith(order.order_id.split("-")[0])
        with lock:
            runs[order.order_id] += 1

    barrier = threading.Barrier(16)
    errors: List[BaseException] = []

    def run(inv: int) -> None:
        orders = [{"order_id": f"i{inv}-{i}", "qty": i} for i in range(5)]
        event = events.kafka_batch(orders)
        barrier.wait()
        try:
            for _ in range(2):  # each batch delivered twice
                report = json.loads(handler(event, fake_context(request_id=f"i{inv}")))
                assert report == {"succeeded": 5, "failed": []}
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(runs) == 80 and set(runs.values()) == {1}
