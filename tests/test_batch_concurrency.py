"""fcsdk.batch under concurrency: ordering keys, 16 invocations at once (threads and asyncio),
and the property that no record is lost or processed twice within one invocation."""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
from collections import defaultdict
from typing import Any, Dict, List, Optional

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

import fcsdk as fc
from fcsdk.batch import BatchProcessingError, batch_handler, current_record
from fcsdk.logging import current_context
from fcsdk.testing import events, fake_context


class Msg(BaseModel):
    inv: int = 0
    seq: int
    key: str = ""


def kafka_keyed(msgs: List[Dict[str, Any]], poison_at: Any = ()) -> bytes:
    """A Kafka batch whose records carry ``key``/partition from their payload."""
    raw = json.loads(events.kafka_batch(msgs, poison_at=poison_at))
    for rec in raw:
        value = rec["data"]["value"]
        key = value.get("key") if isinstance(value, dict) else None
        rec["data"]["key"] = key
        rec["data"]["partition"] = 0 if key is None else hash(key) % 2
    return json.dumps(raw).encode()


class InFlight:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now: Dict[Any, int] = defaultdict(int)
        self.total = 0
        self.max_total = 0
        self.max_same_key = 0

    def enter(self, key: Any) -> None:
        with self.lock:
            self.now[key] += 1
            self.total += 1
            self.max_total = max(self.max_total, self.total)
            self.max_same_key = max(self.max_same_key, self.now[key])

    def leave(self, key: Any) -> None:
        with self.lock:
            self.now[key] -= 1
            self.total -= 1


def test_threads_keep_the_order_within_a_key_and_run_keys_in_parallel() -> None:
    flight = InFlight()
    order: Dict[str, List[int]] = defaultdict(list)

    @batch_handler(envelope=fc.envelopes.Kafka, concurrency=8)
    def handler(msg: Msg) -> None:
        flight.enter(msg.key)
        time.sleep(random.uniform(0, 0.002))
        order[msg.key].append(msg.seq)
        flight.leave(msg.key)

    msgs = [{"seq": i, "key": f"k{i % 5}"} for i in range(60)]
    assert json.loads(handler(kafka_keyed(msgs), None))["succeeded"] == 60
    assert dict(order) == {f"k{j}": [i for i in range(60) if i % 5 == j] for j in range(5)}
    assert flight.max_same_key == 1  # one record of a key at a time
    assert flight.max_total > 1  # keys do overlap


def test_records_without_a_key_run_freely() -> None:
    flight = InFlight()

    @batch_handler(envelope=fc.envelopes.MQTT, concurrency=4)
    def handler(body: str) -> None:
        flight.enter(None)
        time.sleep(0.005)
        flight.leave(None)

    handler(events.mqtt_batch([str(i) for i in range(16)]), None)
    assert flight.max_total == 4


def test_custom_ordering_key() -> None:
    flight = InFlight()

    @batch_handler(
        envelope=fc.envelopes.MQTT,
        concurrency=4,
        ordering_key=lambda record: record.props.client_id[-1:] in "02468",
    )
    def handler(body: str, record: fc.events.MQTTMessage) -> None:
        key = record.props.client_id[-1:] in "02468"
        flight.enter(key)
        time.sleep(0.002)
        flight.leave(key)

    handler(events.mqtt_batch([str(i) for i in range(10)]), None)
    assert flight.max_same_key == 1 and flight.max_total == 2


def test_a_failing_ordering_key_fails_its_record() -> None:
    def key(record: Any) -> Any:
        if record.body == "b":
            raise KeyError("no group")
        return None

    @batch_handler(envelope=fc.envelopes.MQTT, ordering_key=key, concurrency=2)
    def handler(body: str) -> None:
        pass

    with pytest.raises(BatchProcessingError) as info:
        handler(events.mqtt_batch(["a", "b", "c"]), None)
    assert [(f.index, type(f.error)) for f in info.value.failures] == [(1, KeyError)]


def test_async_tasks_keep_the_order_within_a_key() -> None:
    flight = InFlight()
    order: Dict[str, List[int]] = defaultdict(list)

    @batch_handler(envelope=fc.envelopes.Kafka, concurrency=8)
    async def handler(msg: Msg) -> None:
        flight.enter(msg.key)
        await asyncio.sleep(random.uniform(0, 0.002))
        order[msg.key].append(msg.seq)
        flight.leave(msg.key)

    msgs = [{"seq": i, "key": f"k{i % 4}"} for i in range(40)]
    handler(kafka_keyed(msgs), None)
    assert dict(order) == {f"k{j}": [i for i in range(40) if i % 4 == j] for j in range(4)}
    assert flight.max_same_key == 1 and flight.max_total > 1


def _sixteen(handler: Any) -> List[Any]:
    """16 invocations at once (a barrier so they overlap), each with its own batch."""
    barrier = threading.Barrier(16)
    results: List[Any] = [None] * 16

    def run(inv: int) -> None:
        msgs = [{"inv": inv, "seq": i, "key": f"k{i % 3}"} for i in range(12)]
        event = kafka_keyed(msgs, poison_at=[inv % 13])
        barrier.wait()
        try:
            handler(event, fake_context(request_id=f"req-{inv}"))
        except BatchProcessingError as exc:
            results[inv] = exc
        except BaseException as exc:  # pragma: no cover - reported below
            results[inv] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.parametrize("concurrency", [1, 4])
def test_16_invocations_at_once_in_threads(concurrency: int) -> None:
    seen: Dict[int, List[int]] = defaultdict(list)
    lock = threading.Lock()

    @batch_handler(envelope=fc.envelopes.Kafka, concurrency=concurrency)
    def handler(msg: Msg, context: fc.Context) -> None:
        rec = current_record()
        ctx = current_context.get()
        assert context.request_id == f"req-{msg.inv}"
        assert ctx is not None and ctx.request_id == f"req-{msg.inv}"
        assert rec is not None and rec.index == msg.seq + (msg.seq >= msg.inv % 13)
        time.sleep(0.0005)
        with lock:
            seen[msg.inv].append(msg.seq)

    results = _sixteen(handler)
    for inv, exc in enumerate(results):
        assert isinstance(exc, BatchProcessingError), exc
        assert [f.index for f in exc.failures] == [inv % 13]
        assert sorted(seen[inv]) == list(range(12))


def test_16_invocations_at_once_with_asyncio_tasks() -> None:
    seen: Dict[int, List[int]] = defaultdict(list)
    flight = InFlight()

    @batch_handler(envelope=fc.envelopes.Kafka, concurrency=4)
    async def handler(msg: Msg, context: fc.Context) -> None:
        rec = current_record()
        assert context.request_id == f"req-{msg.inv}"
        ctx = current_context.get()
        assert ctx is not None and ctx.request_id == f"req-{msg.inv}"
        flight.enter(msg.inv)
        await asyncio.sleep(0.001)
        flight.leave(msg.inv)
        assert current_record() == rec  # still this task's record after the await
        seen[msg.inv].append(msg.seq)

    results = _sixteen(handler)
    for inv, exc in enumerate(results):
        assert isinstance(exc, BatchProcessingError), exc
        assert [f.index for f in exc.failures] == [inv % 13]
        assert sorted(seen[inv]) == list(range(12))
    assert flight.max_total > 4  # invocations overlapped on the loop


def test_a_base_exception_in_a_worker_stops_the_invocation() -> None:
    @batch_handler(envelope=fc.envelopes.MQTT, concurrency=3)
    def handler(body: str) -> None:
        if body == "3":
            raise SystemExit(3)

    with pytest.raises(SystemExit):
        handler(events.mqtt_batch([str(i) for i in range(6)]), None)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    n=st.integers(0, 25),
    data=st.data(),
    concurrency=st.sampled_from([1, 3, 8]),
    is_async=st.booleans(),
    keys=st.integers(1, 4),
)
def test_no_record_lost_or_processed_twice(
    n: int, data: Any, concurrency: int, is_async: bool, keys: int
) -> None:
    total = n + data.draw(st.integers(0, 5))
    k = total - n  # poison records, at distinct positions
    poison = (
        sorted(data.draw(st.sets(st.integers(0, total - 1), min_size=k, max_size=k))) if k else []
    )
    raising = data.draw(st.sets(st.integers(0, max(n - 1, 0)), max_size=n))
    calls: Dict[int, int] = defaultdict(int)
    lock = threading.Lock()

    def work(msg: Msg) -> None:
        with lock:
            calls[msg.seq] += 1
        if msg.seq in raising:
            raise RuntimeError("boom")

    if is_async:

        async def fn(msg: Msg) -> None:
            await asyncio.sleep(0)
            work(msg)

    else:

        def fn(msg: Msg) -> None:  # type: ignore[misc]
            work(msg)

    handler = batch_handler(envelope=fc.envelopes.Kafka, concurrency=concurrency)(fn)
    msgs = [{"seq": i, "key": f"k{i % keys}"} for i in range(n)]
    event = kafka_keyed(msgs, poison_at=poison)
    failed: Optional[BatchProcessingError] = None
    try:
        report = json.loads(handler(event, None))
    except BatchProcessingError as exc:
        failed = exc
        report = exc.report()
    assert dict(calls) == dict.fromkeys(range(n), 1)  # every good record exactly once
    good_positions = [i for i in range(total) if i not in poison]
    expected = sorted(poison + [good_positions[s] for s in raising if s < n])
    assert [f["index"] for f in report["failed"]] == expected
    assert report["succeeded"] == total - len(expected)
    assert (failed is None) == (not expected)
