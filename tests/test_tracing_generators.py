"""@tracer.capture_method on generators and async generators, against the OTLP/HTTP receiver
on 127.0.0.1 (tests/otlp_server.py): the span covers the iteration (first next to exhaustion,
close or exception), is current only while the generator's code runs, and records exceptions;
per invocation under 16 threads and on the shared event loop."""

from __future__ import annotations

import asyncio
import inspect
import threading
import time

import pytest

import fcsdk as fc
from fcsdk.tracing import Tracer
from tests.otlp_server import OTLPReceiver

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
FC_SPAN = "00f067aa0ba902b7"


@pytest.fixture
def rx():
    with OTLPReceiver() as receiver:
        yield receiver


def fc_headers(rid: str, trace: str = TRACE) -> dict[str, str]:
    return {
        "x-fc-request-id": rid,
        "x-fc-function-name": "orders",
        "x-fc-tracing-opentracing-span-context": f"{trace}:{FC_SPAN}:0:1",
    }


def by_name(rx: OTLPReceiver) -> dict:
    return {s.name.rsplit(".", 1)[-1]: s for s in rx.spans()}


def test_the_span_covers_the_iteration_and_is_the_parent_of_spans_the_body_starts(rx):
    tracer = Tracer(service="shop", endpoint=rx.endpoint)

    @tracer.capture_method
    def price(sku: str) -> int:
        return len(sku)

    @tracer.capture_method
    def between(i: int) -> int:
        return i

    @tracer.capture_method
    def rows(skus: list):
        for sku in skus:
            time.sleep(0.01)
            yield price(sku)
        return "done"

    marks: list[int] = []

    @fc.handler
    @tracer.capture_handler
    def handler(event: dict) -> list:
        gen = rows(event["skus"])
        out = []
        for i, value in enumerate(gen):
            out.append(value)
            between(i)  # the consumer's code: not inside the generator's span
        marks.append(time.time_ns())
        return out

    assert inspect.isgeneratorfunction(rows)
    assert (
        handler(b'{"skus": ["a", "bb", "ccc"]}', fc_headers("r-1")) == "[\n    1,\n    2,\n    3\n]"
    )
    spans = rx.spans()
    named = by_name(rx)
    gen_span, root = named["rows"], named["orders"]
    assert gen_span.parent_span_id == root.span_id
    prices = [s for s in spans if s.name.endswith(".price")]
    assert len(prices) == 3
    assert all(p.parent_span_id == gen_span.span_id for p in prices)
    betweens = [s for s in spans if s.name.endswith(".between")]
    assert all(b.parent_span_id == root.span_id for b in betweens)
    assert gen_span.end_ns - gen_span.start_ns >= 30_000_000  # three 10 ms items
    assert max(p.end_ns for p in prices) <= gen_span.end_ns <= marks[0]
    assert gen_span.status_code == 0 and gen_span.events == []


def test_send_and_the_return_value_pass_through(rx):
    tracer = Tracer(service="shop", endpoint=rx.endpoint)

    @tracer.capture_method
    def echo():
        got = yield "ready"
        while got != "stop":
            got = yield got.upper()
        return "bye"

    @fc.handler
    @tracer.capture_handler
    def handler(event: bytes) -> list:
        gen = echo()
        seen = [next(gen), gen.send("a"), gen.send("b")]
        try:
            gen.send("stop")
        except StopIteration as stop:
            seen.append(stop.value)
        return seen

    assert handler(b"", fc_headers("r-2")) == '[\n    "ready",\n    "A",\n    "B",\n    "bye"\n]'
    assert by_name(rx)["echo"].status_code == 0


def test_an_exception_in_the_body_is_recorded_and_raised(rx):
    tracer = Tracer(service="shop", endpoint=rx.endpoint)

    @tracer.capture_method
    def rows():
        yield 1
        raise LookupError("row 2 is gone")

    @fc.handler
    @tracer.capture_handler
    def handler(event: bytes) -> list:
        return list(rows())

    with pytest.raises(LookupError, match="row 2 is gone"):
        handler(b"", fc_headers("r-3"))
    span = by_name(rx)["rows"]
    assert span.status_code == 2  # ERROR
    ((name, attrs),) = span.events
    assert name == "exception" and attrs["exception.type"] == "LookupError"
    assert attrs["exception.message"] == "row 2 is gone"


def test_break_and_close_end_the_span_without_an_error(rx):
    tracer = Tracer(service="shop", endpoint=rx.endpoint)
    cleaned: list[str] = []

    @tracer.capture_method
    def numbers():
        try:
            n = 0
            while True:
                yield n
                n += 1
        finally:
            cleaned.append("closed")

    @tracer.capture_method
    def never_started():
        yield 1

    @fc.handler
    @tracer.capture_handler
    def handler(event: bytes) -> int:
        never_started().close()  # closed before its first next: no span at all
        gen = numbers()
        for n in gen:
            if n == 2:
                break
        gen.close()
        return n

    assert handler(b"", fc_headers("r-4")) == "2"
    assert cleaned == ["closed"]
    named = by_name(rx)
    assert "never_started" not in named
    assert named["numbers"].status_code == 0 and named["numbers"].events == []


def test_outside_an_invocation_generators_run_untraced(rx):
    tracer = Tracer(service="shop", endpoint=rx.endpoint)

    @tracer.capture_method
    def rows():
        yield from (1, 2)

    @tracer.capture_method
    async def arows():
        yield 1

    async def collect() -> list:
        return [x async for x in arows()]

    assert list(rows()) == [1, 2]
    assert asyncio.run(collect()) == [1]
    assert rx.requests == []


def test_async_generators_in_16_async_handlers_on_the_shared_loop(rx):
    tracer = Tracer(service="shop", endpoint=rx.endpoint)
    barrier = threading.Barrier(16)

    @tracer.capture_method
    async def lookup(i: int) -> int:
        await asyncio.sleep(0.001)
        return i

    @tracer.capture_method
    async def stream(n: int):
        for i in range(n):
            await asyncio.sleep(0.005)
            yield await lookup(i)
        if n == 3:
            raise ValueError("three is too many")

    @fc.handler
    @tracer.capture_handler
    async def handler(event: dict) -> list:
        out = []
        try:
            async for x in stream(event["n"]):
                out.append(x)
        except ValueError:
            out.append(-1)
        return out

    assert inspect.isasyncgenfunction(stream)
    results: dict[int, str] = {}

    def call(i: int) -> None:
        barrier.wait(timeout=10)
        n = 2 + i % 2  # odd invocations raise in the generator
        results[i] = handler(f'{{"n": {n}}}'.encode(), fc_headers(f"r-{i}", trace=f"{i + 1:032x}"))

    threads = [threading.Thread(target=call, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(
        results[i] == ("[\n    0,\n    1,\n    2,\n    -1\n]" if i % 2 else "[\n    0,\n    1\n]")
        for i in range(16)
    )
    assert len(rx.requests) == 16
    for spans in _by_request(rx):
        root = next(s for s in spans if s.name == "orders")
        i = int(root.attributes["faas.invocation_id"][2:])
        assert {s.trace_id for s in spans} == {f"{i + 1:032x}"}
        gen = next(s for s in spans if s.name.endswith(".stream"))
        lookups = [s for s in spans if s.name.endswith(".lookup")]
        assert gen.parent_span_id == root.span_id
        assert len(lookups) == 2 + i % 2
        assert all(s.parent_span_id == gen.span_id for s in lookups)
        assert gen.status_code == (2 if i % 2 else 0)
        assert gen.end_ns - gen.start_ns >= (2 + i % 2) * 5_000_000


def test_sync_generators_in_16_threads_keep_their_own_spans(rx):
    tracer = Tracer(service="shop", endpoint=rx.endpoint)
    barrier = threading.Barrier(16)

    @tracer.capture_method
    def rows(n: int):
        for i in range(n):
            time.sleep(0.002)
            yield i

    @fc.handler
    @tracer.capture_handler
    def handler(event: dict) -> int:
        barrier.wait(timeout=10)
        return sum(rows(event["n"]))

    threads = [
        threading.Thread(
            target=handler,
            args=(f'{{"n": {i}}}'.encode(), fc_headers(f"r-{i}", trace=f"{i + 1:032x}")),
        )
        for i in range(16)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(rx.requests) == 16
    for spans in _by_request(rx):
        root = next(s for s in spans if s.name == "orders")
        (gen,) = [s for s in spans if s.name.endswith(".rows")]
        i = int(root.attributes["faas.invocation_id"][2:])
        assert gen.trace_id == f"{i + 1:032x}" and gen.parent_span_id == root.span_id
        assert gen.end_ns - gen.start_ns >= i * 2_000_000


def _by_request(rx: OTLPReceiver) -> list[list]:
    groups: dict[int, list] = {}
    for s in rx.spans():
        groups.setdefault(s.request, []).append(s)
    return list(groups.values())
