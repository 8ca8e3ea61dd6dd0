"""The DNS lookup of the OTLP collector's host is bounded by the export deadline
(fcsdk/tracing/_resolve.py), cached for a short TTL, shared by concurrent invocations and
forgotten when the address stops answering.

No DNS server is available to the tests (no network), so ``socket.getaddrinfo`` is replaced by
a stand-in for the OS resolver: it answers the collector's made-up name with 127.0.0.1 (the real
OTLP receiver, tests/otlp_server.py) after an Event is set, or never, like a DNS server that does
not answer. Every socket operation after the lookup is real."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time

import pytest

import fcsdk as fc
from fcsdk.tracing import Tracer, _resolve
from tests.otlp_server import OTLPReceiver

HOST = "otlp-collector.fcsdk-test"
REAL_GETADDRINFO = socket.getaddrinfo


class Resolver:
    """Stands in for the OS resolver: HOST answers 127.0.0.1 once ``release`` is set."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.calls: list[str] = []
        self.fail = False

    def __call__(self, host, port, *args, **kwargs):
        self.calls.append(host)
        if host != HOST:
            return REAL_GETADDRINFO(host, port, *args, **kwargs)
        self.release.wait(30)
        if self.fail:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return REAL_GETADDRINFO("127.0.0.1", port, *args, **kwargs)


@pytest.fixture
def resolver(monkeypatch):
    fake = Resolver()
    monkeypatch.setattr(socket, "getaddrinfo", fake)
    with _resolve._lock:
        _resolve._cache.clear()
    yield fake
    fake.release.set()  # lets a lookup thread still waiting finish
    with _resolve._lock:
        _resolve._cache.clear()


@pytest.fixture
def rx():
    with OTLPReceiver() as receiver:
        yield receiver


def headers(rid: str) -> dict[str, str]:
    return {
        "x-fc-request-id": rid,
        "x-fc-function-name": "orders",
        "x-fc-tracing-opentracing-span-context": f"{1:032x}:{2:016x}:0:1",
    }


def traced(endpoint: str, timeout: float):
    tracer = Tracer(service="shop", endpoint=endpoint, timeout=timeout)

    @fc.handler
    @tracer.capture_handler
    def handler(event: bytes) -> str:
        return "ok"

    return handler


def port_of(rx: OTLPReceiver) -> int:
    return int(rx.endpoint.rsplit(":", 1)[1].split("/")[0])


def endpoint_of(rx: OTLPReceiver) -> str:
    return rx.endpoint.replace("127.0.0.1", HOST)


def test_a_hanging_lookup_costs_at_most_the_bound(resolver, rx, caplog):
    handler = traced(endpoint_of(rx), timeout=0.3)
    done: list[float] = []

    def call() -> None:
        start = time.monotonic()
        assert handler(b"", headers("r-1")) == "ok"
        done.append(time.monotonic() - start)

    with caplog.at_level(logging.WARNING, logger="fcsdk.tracing"):
        t = threading.Thread(target=call)
        t.start()
        t.join(3)
        resolver.release.set()  # (on the old code the handler is still in getaddrinfo here)
        t.join(30)
    assert done and 0.25 <= done[0] < 0.8
    assert "DNS lookup" in caplog.text and HOST in caplog.text
    assert rx.requests == []


def test_the_late_answer_is_cached_for_the_next_invocations(resolver, rx):
    handler = traced(endpoint_of(rx), timeout=0.2)
    assert handler(b"", headers("r-1")) == "ok"  # the lookup is late: nothing exported
    resolver.release.set()
    deadline = time.monotonic() + 5
    while (HOST, port_of(rx)) not in _resolve._cache and time.monotonic() < deadline:
        time.sleep(0.01)
    for i in range(3):
        assert handler(b"", headers(f"r-{i + 2}")) == "ok"
    assert len(rx.requests) == 3
    assert resolver.calls.count(HOST) == 1


def test_16_invocations_share_one_lookup_and_all_return_within_the_bound(resolver, rx):
    handler = traced(endpoint_of(rx), timeout=0.3)
    barrier = threading.Barrier(16)
    times: list[float] = []

    def call(i: int) -> None:
        barrier.wait(timeout=10)
        start = time.monotonic()
        handler(b"", headers(f"r-{i}"))
        times.append(time.monotonic() - start)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(times) == 16 and max(times) < 1.0
    assert resolver.calls.count(HOST) == 1
    assert sum(1 for t in threading.enumerate() if t.name == "fcsdk-otlp-dns") <= 1


def test_async_handlers_on_the_shared_loop_are_bounded_too(resolver, rx):
    tracer = Tracer(service="shop", endpoint=endpoint_of(rx), timeout=0.3)

    @fc.handler
    @tracer.capture_handler
    async def handler(event: bytes) -> str:
        await asyncio.sleep(0)
        return "ok"

    async def main() -> list:
        calls = [asyncio.to_thread(handler, b"", headers(f"a-{i}")) for i in range(16)]
        return await asyncio.wait_for(asyncio.gather(*calls), 10)

    start = time.monotonic()
    assert asyncio.run(main()) == ["ok"] * 16
    assert time.monotonic() - start < 2.0
    assert resolver.calls.count(HOST) == 1


def test_a_failed_lookup_is_reported_and_not_cached(resolver, rx, caplog):
    resolver.fail = True
    resolver.release.set()
    handler = traced(endpoint_of(rx), timeout=0.5)
    with caplog.at_level(logging.WARNING, logger="fcsdk.tracing"):
        assert handler(b"", headers("r-1")) == "ok"
        assert handler(b"", headers("r-2")) == "ok"
    assert "cannot resolve" in caplog.text
    assert resolver.calls.count(HOST) == 2


def test_the_cache_expires_and_a_refused_address_is_forgotten(resolver, rx):
    resolver.release.set()
    key = (HOST, port_of(rx))
    handler = traced(endpoint_of(rx), timeout=1.0)
    handler(b"", headers("r-1"))
    handler(b"", headers("r-2"))
    assert resolver.calls.count(HOST) == 1
    with _resolve._lock:
        expires, infos = _resolve._cache[key]
        assert 25 < expires - time.monotonic() <= _resolve.DNS_TTL == 30.0
        _resolve._cache[key] = (time.monotonic() - 0.001, infos)  # as if 30 s had passed
    handler(b"", headers("r-3"))
    assert resolver.calls.count(HOST) == 2
    assert len(rx.requests) == 3
    # the collector goes away: the cached address is dropped with the refused connection
    rx.stop()
    assert key in _resolve._cache
    handler(b"", headers("r-4"))
    assert key not in _resolve._cache


def test_ip_literals_are_never_looked_up(resolver, rx):
    handler = traced(rx.endpoint, timeout=1.0)
    assert handler(b"", headers("r-1")) == "ok"
    assert len(rx.requests) == 1
    assert resolver.calls == []
    assert _resolve.resolve("::1", 80, 0.1)[0][4] == ("::1", 80, 0, 0)
