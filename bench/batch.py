"""Benchmark: fcsdk.batch throughput on 1,000-record Kafka batches against a hand-written loop.

Run: ``python bench/batch.py`` (``--quick`` for fewer repetitions; ``--help`` for options).

Each batch is the FC bytes of a Kafka trigger event whose values are JSON orders. Compared, in
one run:

- anchors: bare pydantic (``TypeAdapter(KafkaEvent).validate_json`` then ``Order`` per value,
  a plain loop) and ``@fc.handler(envelope=fc.envelopes.Kafka)`` with a hand-written loop over
  the ``list[Order]`` it receives (one poison record fails the whole batch there);
- ``@batch_handler(envelope=fc.envelopes.Kafka)``, sequential and ``concurrency=8``.

Two functions: a no-op (the per-record overhead, in µs, is the difference to the loop) and an
I/O-bound one that sleeps 1 ms (``time.sleep``; ``asyncio.sleep`` for the async variant).
The no-op case is timed in CPU time too (``time.process_time``, every thread of the process),
which a busy shared machine disturbs far less than the wall clock.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any, Callable, List

from pydantic import BaseModel, TypeAdapter


class Order(BaseModel):
    order_id: str
    sku: str
    qty: int
    price: float


def make_event(records: int) -> bytes:
    from fcsdk.testing import events

    orders = [
        {"order_id": f"o-{i}", "sku": f"sku-{i % 97}", "qty": i % 5 + 1, "price": 9.5}
        for i in range(records)
    ]
    raw = events.kafka_batch([Order(**o).model_dump_json() for o in orders])
    import json

    batch = json.loads(raw)
    for i, rec in enumerate(batch):  # spread over 8 partitions and 64 keys, as a topic would
        rec["data"]["partition"] = i % 8
        rec["data"]["key"] = f"customer-{i % 64}"
    return json.dumps(batch).encode()


def build(work: Callable[[Order], Any], awork: Any) -> dict[str, Callable[[bytes], Any]]:
    import fcsdk as fc
    from fcsdk.batch import batch_handler

    adapter = TypeAdapter(fc.events.KafkaEvent)

    def bare(event: bytes) -> None:
        for rec in adapter.validate_json(event):
            work(Order.model_validate_json(rec.data.value))

    @fc.handler(envelope=fc.envelopes.Kafka)
    def loop(orders: List[Order]) -> None:
        for order in orders:
            work(order)

    @batch_handler(envelope=fc.envelopes.Kafka)
    def sequential(order: Order) -> None:
        work(order)

    @batch_handler(envelope=fc.envelopes.Kafka, concurrency=8)
    def threads8(order: Order) -> None:
        work(order)

    @batch_handler(envelope=fc.envelopes.Kafka, concurrency=8)
    async def tasks8(order: Order) -> None:
        await awork(order)

    return {
        "anchor: bare pydantic, plain loop": lambda e: bare(e),
        "anchor: @fc.handler + hand-written loop": lambda e: loop(e, None),
        "batch_handler, sequential": lambda e: sequential(e, None),
        "batch_handler, concurrency=8 (threads)": lambda e: threads8(e, None),
        "batch_handler, concurrency=8 (async)": lambda e: tasks8(e, None),
    }


def measure(
    cases: dict[str, Callable[[bytes], Any]],
    event: bytes,
    repeat: int,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, float]:
    """Best time of each case; cases take turns, so load on a shared machine hits all alike."""
    for fn in cases.values():
        fn(event)  # warm up (adapters, the event loop)
    best = dict.fromkeys(cases, float("inf"))
    for _ in range(repeat):
        for label, fn in cases.items():
            start = clock()
            fn(event)
            best[label] = min(best[label], clock() - start)
    return best


def run(
    title: str,
    cases: dict[str, Callable[[bytes], Any]],
    event: bytes,
    n: int,
    r: int,
    clock: Callable[[], float] = time.perf_counter,
) -> None:
    print(f"\n{title}")
    print(f"{'':<42}{'ms/batch':>10}{'records/s':>12}{'µs/record vs loop':>20}")
    times = measure(cases, event, r, clock)
    loop = times["anchor: @fc.handler + hand-written loop"]
    for label, t in times.items():
        extra = (t - loop) / n * 1e6
        print(f"{label:<42}{t * 1e3:>10.1f}{n / t:>12,.0f}{extra:>+20.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1000, help="records per batch (1000)")
    parser.add_argument(
        "--quick", action="store_true", help="fewer runs: best of 3 no-op / 1 I/O (default 15 / 3)"
    )
    args = parser.parse_args(argv)
    n, repeat = args.records, 1 if args.quick else 3
    event = make_event(n)
    print(f"Kafka batch: {n} records, {len(event):,} bytes")

    async def anoop(order: Order) -> None:
        return None

    cpu = 3 if args.quick else 15
    for label, clock in (("CPU time", time.process_time), ("wall clock", time.perf_counter)):
        title = f"no-op function ({label}, all threads), best of {cpu}"
        run(title, build(lambda o: None, anoop), event, n, cpu, clock)

    async def asleep(order: Order) -> None:
        await asyncio.sleep(0.001)

    run(
        f"I/O-bound function (sleeps 1 ms per record), best of {repeat}",
        build(lambda o: time.sleep(0.001), asleep),
        event,
        n,
        repeat,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
