"""fcsdk.tracing against a real OTLP/HTTP receiver on 127.0.0.1 (tests/otlp_server.py): FC's
trace id and parent span, attributes, export before return within the bound, masking, and
per-invocation spans under 16 threads and asyncio."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import subprocess
import sys
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fcsdk as fc
from fcsdk.steps import wrap_function
from fcsdk.tracing import Tracer, parse_span_context
from tests.natives import NativeTracing, ShapeA
from tests.otlp_server import OTLPReceiver

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
FC_SPAN = "00f067aa0ba902b7"
SERVER, INTERNAL = 2, 1  # OTLP SpanKind values


@pytest.fixture
def rx():
    with OTLPReceiver() as receiver:
        yield receiver


def fc_headers(rid: str, trace: str = TRACE, span: str = FC_SPAN, flags: str = "1", **more: str):
    return {
        "x-fc-request-id": rid,
        "x-fc-function-name": "orders",
        "x-fc-qualifier": "prod",
        "x-fc-tracing-opentracing-span-context": f"{trace}:{span}:0:{flags}",
        **more,
    }


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_invocation_span_joins_fcs_trace_and_children_nest(rx):
    tracer = Tracer(service="shop", endpoint=rx.endpoint)

    @tracer.capture_method
    def reserve(sku: str) -> int:
        return len(sku)

    @fc.handler
    @tracer.capture_handler
    def handler(event: dict, context: fc.Context) -> int:
        return reserve(event["sku"])

    assert handler(b'{"sku": "abc"}', fc_headers("r-1")) == "3"
    assert len(rx.requests) == 1
    assert rx.content_types == ["application/x-protobuf"]
    spans = {s.name: s for s in rx.spans()}
    assert set(spans) == {
        "orders",
        "test_invocation_span_joins_fcs_trace_and_children_nest.<locals>.reserve",
    }
    root = spans["orders"]
    child = spans[next(n for n in spans if n != "orders")]
    assert root.trace_id == child.trace_id == TRACE
    assert root.parent_span_id == FC_SPAN
    assert child.parent_span_id == root.span_id
    assert (root.kind, child.kind) == (SERVER, INTERNAL)
    assert root.attributes["faas.invocation_id"] == "r-1"
    assert root.attributes["fc.request_id"] == "r-1"
    assert root.attributes["faas.name"] == "orders"
    assert root.attributes["faas.version"] == "prod"
    assert root.resource["service.name"] == "shop"
    assert root.resource["cloud.provider"] == "alibaba_cloud"


def test_64_bit_trace_ids_and_native_context_shape_a(rx):
    tracer = Tracer(service="shop", endpoint=rx.endpoint)

    @fc.handler(steps=[tracer.step()])
    def handler(event: bytes) -> str:
        return "ok"

    native = ShapeA(request_id="r-a")
    native.tracing = NativeTracing("5f8a3c2e1b0d4f6a:1a2b3c4d5e6f7081:0:1", "", {})
    handler(b"", native)
    (span,) = rx.spans()
    assert span.trace_id == "00000000000000005f8a3c2e1b0d4f6a"
    assert span.parent_span_id == "1a2b3c4d5e6f7081"


def test_without_fc_span_context_a_new_root_trace(rx):
    tracer = Tracer(service="shop", endpoint=rx.endpoint)

    @fc.handler
    @tracer.capture_handler
    def handler(event: bytes) -> str:
        return "ok"

    handler(b"", {"x-fc-request-id": "r-1"})
    handler(b"", {"x-fc-request-id": "r-2"})
    first, second = rx.spans()
    assert first.parent_span_id == second.parent_span_id == ""
    assert first.trace_id != second.trace_id
    assert first.name == "invocation"


def test_unsampled_fc_trace_exports_nothing(rx):
    tracer = Tracer(service="shop", endpoint=rx.endpoint)

    @fc.handler
    @tracer.capture_handler
    def handler(event: bytes) -> str:
        return "ok"

    handler(b"", fc_headers("r-1", flags="0"))
    assert rx.requests == []


def test_nothing_is_exported_after_the_handler_returned(rx):
    tracer = Tracer(service="shop", endpoint=rx.endpoint)
    late_done = threading.Event()

    @tracer.capture_method(name="late")
    def late() -> None:
        time.sleep(0.2)

    @fc.handler
    @tracer.capture_handler
    def handler(event: bytes) -> str:
        import contextvars

        ctx = contextvars.copy_context()  # the late span belongs to this invocation...
        threading.Thread(target=lambda: (ctx.run(late), late_done.set())).start()
        return "ok"

    handler(b"", fc_headers("r-1"))
    returned = time.monotonic()
    assert late_done.wait(5)  # ...but ends after the return
    time.sleep(0.1)
    spans = rx.spans()
    assert [s.name for s in spans] == ["orders"]
    assert all(s.arrived <= returned for s in spans)


def test_handler_exception_recorded_masked_and_raised(rx):
    tracer = Tracer(service="shop", endpoint=rx.endpoint)
    secret, token = "the-access-key-secret-1", "the-sts-security-token-1"

    @tracer.capture_method
    def charge(context: fc.Context) -> None:
        from opentelemetry import trace

        span = trace.get_current_span()
        span.set_attribute("db.password", "hunter2")
        span.set_attribute("note", f"using {context.credentials.security_token}")
        raise RuntimeError(f"auth failed for {context.credentials.access_key_secret}")

    @fc.handler
    @tracer.capture_handler
    def handler(event: bytes, context: fc.Context) -> str:
        charge(context)
        return "ok"

    native = ShapeA(request_id="r-1", secret=secret, token=token)
    native.tracing = NativeTracing(f"{TRACE}:{FC_SPAN}:0:1", "", {})
    with pytest.raises(RuntimeError, match="auth failed"):
        handler(b"", native)
    raw = b"".join(r.SerializeToString() for r in rx.requests)
    assert secret.encode() not in raw and token.encode() not in raw and b"hunter2" not in raw
    spans = {s.name.rsplit(".", 1)[-1]: s for s in rx.spans()}
    inner = spans["charge"]
    assert inner.attributes["db.password"] == "**********"
    assert inner.attributes["note"] == "using **********"
    assert inner.status_code == 2  # ERROR
    (event_name, event_attrs) = inner.events[0]
    assert event_name == "exception"
    assert event_attrs["exception.type"] == "RuntimeError"
    assert event_attrs["exception.message"] == "auth failed for **********"
    assert spans["orders"].status_code == 2


def test_a_dead_collector_neither_fails_nor_stalls(caplog):
    tracer = Tracer(service="shop", endpoint=f"http://127.0.0.1:{free_port()}/v1/traces")

    @fc.handler
    @tracer.capture_handler
    def handler(event: bytes) -> str:
        return "ok"

    start = time.monotonic()
    assert handler(b"", fc_headers("r-1")) == "ok"
    assert time.monotonic() - start < 1.0
    assert "spans not exported" in caplog.text


@pytest.mark.parametrize("timeout", [0.3, 0.8])
def test_a_silent_collector_costs_at_most_the_bound(timeout, caplog):
    with OTLPReceiver(mode="silent") as rx:
        tracer = Tracer(service="shop", endpoint=rx.endpoint, timeout=timeout)

        @fc.handler
        @tracer.capture_handler
        def handler(event: bytes) -> str:
            return "ok"

        start = time.monotonic()
        assert handler(b"", fc_headers("r-1")) == "ok"
        elapsed = time.monotonic() - start
    assert timeout * 0.9 <= elapsed < timeout + 0.4
    assert "deadline" in caplog.text or "timed out" in caplog.text


def test_default_bound_is_two_seconds_and_bounds_are_checked():
    assert Tracer(service="s").timeout == 2.0
    for bad in (0, -1, 31, True, "2"):
        with pytest.raises(fc.ConfigurationError, match="timeout"):
            Tracer(service="s", timeout=bad)
    with pytest.raises(fc.ConfigurationError, match="service"):
        Tracer(service=" ")


def test_an_error_answer_is_logged_not_raised(caplog):
    with OTLPReceiver(mode="error") as rx:
        tracer = Tracer(service="shop", endpoint=rx.endpoint)

        @fc.handler
        @tracer.capture_handler
        def handler(event: bytes) -> str:
            return "ok"

        with caplog.at_level(logging.WARNING, logger="fcsdk.tracing"):
            assert handler(b"", fc_headers("r-1")) == "ok"
    assert "HTTP 503" in caplog.text


def test_endpoint_from_the_environment_and_from_fcs_jaeger_endpoint(rx, monkeypatch):
    tracer = Tracer(service="shop")

    @fc.handler
    @tracer.capture_handler
    def handler(event: bytes) -> str:
        return "ok"

    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", rx.endpoint[: -len("/v1/traces")])
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "x-token=abc%20d")
    tracer.headers = {"x-token": "abc d"}
    handler(b"", fc_headers("r-env"))
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT")
    jaeger = rx.endpoint.replace("/v1/traces", "/api/traces")
    handler(b"", fc_headers("r-fc", **{"x-fc-tracing-jaeger-endpoint": jaeger}))
    handler(b"", fc_headers("r-none"))  # no endpoint at all: dropped quietly
    ids = [s.attributes["faas.invocation_id"] for s in rx.spans()]
    assert ids == ["r-env", "r-fc"]


def test_headers_parsed_from_the_environment(monkeypatch):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "a=1, b = x%3Dy ,bad")
    assert Tracer(service="s").headers == {"a": "1", "b": "x=y"}


def test_16_threads_each_request_carries_only_its_own_spans(rx):
    tracer = Tracer(service="shop", endpoint=rx.endpoint)
    barrier = threading.Barrier(16)

    @tracer.capture_method(name="step")
    def step(n: int) -> None:
        from opentelemetry import trace

        trace.get_current_span().set_attribute("n", n)
        barrier.wait(timeout=10)  # all 16 invocations have their spans open at once

    @fc.handler
    @tracer.capture_handler
    def handler(event: dict) -> str:
        step(event["n"])
        return "ok"

    def call(i: int) -> None:
        handler(json.dumps({"n": i}).encode(), fc_headers(f"r-{i}", trace=f"{i + 1:032x}"))

    threads = [threading.Thread(target=call, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(rx.requests) == 16
    by_request: dict[int, list] = {}
    for s in rx.spans():
        by_request.setdefault(s.request, []).append(s)
    for spans in by_request.values():
        assert len(spans) == 2
        root = next(s for s in spans if s.name == "orders")
        inner = next(s for s in spans if s.name == "step")
        n = inner.attributes["n"]
        assert root.attributes["faas.invocation_id"] == f"r-{n}"
        assert root.trace_id == inner.trace_id == f"{n + 1:032x}"
        assert inner.parent_span_id == root.span_id
    assert sum(s.attributes.get("faas.coldstart", False) for s in rx.spans()) <= 1


def test_16_asyncio_tasks_each_with_its_own_trace(rx):
    tracer = Tracer(service="shop", endpoint=rx.endpoint)

    @tracer.capture_method(name="io")
    async def io(n: int) -> int:
        await asyncio.sleep(0.01)
        return n

    async def body(event: dict, context: fc.Context) -> int:
        return await io(event["n"])

    traced = wrap_function(body, [tracer.step()])

    async def main() -> list[int]:
        return await asyncio.gather(
            *(
                traced({"n": i}, fc.Context.of(fc_headers(f"r-{i}", trace=f"{i + 1:032x}")))
                for i in range(16)
            )
        )

    assert asyncio.run(main()) == list(range(16))
    assert len(rx.requests) == 16
    for s in rx.spans():
        if s.name == "orders":
            n = int(s.attributes["faas.invocation_id"][2:])
            assert s.trace_id == f"{n + 1:032x}"
    roots = {s.span_id: s for s in rx.spans() if s.name == "orders"}
    for s in rx.spans():
        if s.name == "io":
            assert roots[s.parent_span_id].trace_id == s.trace_id


def test_async_handlers_on_the_shared_loop(rx):
    tracer = Tracer(service="shop", endpoint=rx.endpoint)
    barrier = threading.Barrier(16)

    @fc.handler
    @tracer.capture_handler
    async def handler(event: dict) -> str:
        await asyncio.sleep(0.02)
        return "ok"

    def call(i: int) -> None:
        barrier.wait(timeout=10)
        handler(b"{}", fc_headers(f"r-{i}", trace=f"{i + 1:032x}"))

    threads = [threading.Thread(target=call, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    spans = rx.spans()
    assert len(spans) == 16
    assert all(
        s.trace_id == f"{int(s.attributes['faas.invocation_id'][2:]) + 1:032x}" for s in spans
    )


def test_capture_method_outside_an_invocation_is_untraced(rx):
    tracer = Tracer(service="shop", endpoint=rx.endpoint)

    @tracer.capture_method
    def f(x: int) -> int:
        return x + 1

    assert f(1) == 2
    assert rx.requests == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"{TRACE}:{FC_SPAN}:0:1", (int(TRACE, 16), int(FC_SPAN, 16), True)),
        ("1:2:0:0", (1, 2, False)),
        ("1:2", (1, 2, True)),
        ("", None),
        ("zz:1:0:1", None),
        ("1:0:0:1", None),
        ("1:2:0:1:5", None),
        ("1:12345678901234567:0:1", None),
        ("1:2:0:xyz", None),
    ],
)
def test_parse_span_context(text, expected):
    assert parse_span_context(text) == (None if expected is None else tuple(expected))


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )


def test_the_sdk_loads_only_when_a_tracer_is_made():
    out = _run(
        "import sys, fcsdk, fcsdk.tracing, fcsdk.metrics\n"
        "assert not [m for m in sys.modules if m.startswith('opentelemetry')], 'early'\n"
        "fcsdk.tracing.Tracer(service='s')\n"
        "assert 'opentelemetry.sdk.trace' in sys.modules\n"
    )
    assert out.returncode == 0, out.stderr


def test_missing_extra_names_it():
    out = _run(
        "import sys\n"
        "sys.modules['opentelemetry.sdk.trace'] = None\n"
        "import fcsdk\n"
        "from fcsdk.tracing import Tracer\n"
        "try:\n"
        "    Tracer(service='s')\n"
        "except fcsdk.MissingDependencyError as e:\n"
        "    print(e)\n"
    )
    assert out.returncode == 0, out.stderr
    assert "tracing" in out.stdout


@settings(max_examples=200, deadline=None)
@given(
    st.text(max_size=80)
    | st.from_regex(r"[0-9a-fA-F]{0,34}(:[0-9a-fA-F]{0,18}){0,4}", fullmatch=True)
)
def test_parse_span_context_never_raises(text):
    parsed = parse_span_context(text)
    if parsed is not None:
        assert 0 < parsed.trace_id < 2**128 and 0 < parsed.span_id < 2**64
        assert text.strip().split(":")[0].lstrip("0").lower() == f"{parsed.trace_id:x}"


def test_oss2_calls_become_client_spans_with_requests_instrumented(rx):
    oss2 = pytest.importorskip("oss2")
    pytest.importorskip("opentelemetry.instrumentation.requests")
    from tests.oss_server import OSSServer

    key_id, secret, token = "STS.test-key-id", "oss-secret-value-1", "oss-sts-token-value-1"
    from opentelemetry.instrumentation.requests import RequestsInstrumentor

    tracer = Tracer(service="shop", endpoint=rx.endpoint, instrument=["requests"])
    with OSSServer(key_id, secret, token) as server, contextlib.ExitStack() as stack:
        stack.callback(RequestsInstrumentor().uninstrument)  # global: undone for other tests

        @fc.handler
        @tracer.capture_handler
        def handler(event: bytes, context: fc.Context) -> str:
            creds = context.credentials
            auth = oss2.StsAuth(creds.access_key_id, creds.access_key_secret, creds.security_token)
            oss2.Bucket(auth, server.endpoint, "bucket").put_object("k", b"v")
            return "ok"

        native = ShapeA(request_id="r-oss", key_id=key_id, secret=secret, token=token)
        native.tracing = NativeTracing(f"{TRACE}:{FC_SPAN}:0:1", "", {})
        assert handler(b"", native) == "ok"
        assert server.log[-1]["status"] == 200
    spans = rx.spans()
    root = next(s for s in spans if s.kind == SERVER)
    client = [s for s in spans if s.kind == 3]  # CLIENT
    assert len(client) == 1
    assert client[0].parent_span_id == root.span_id and client[0].trace_id == TRACE
    assert "PUT" in json.dumps(client[0].attributes)
    raw = b"".join(r.SerializeToString() for r in rx.requests)
    assert secret.encode() not in raw and token.encode() not in raw


def test_instrument_names_are_checked_and_missing_packages_named():
    with pytest.raises(fc.ConfigurationError, match="unknown"):
        Tracer(service="s", instrument=["grpc-of-my-own"])
    with pytest.raises(fc.ConfigurationError, match="list of names"):
        Tracer(service="s", instrument="requests")
    out = _run(
        "import sys\n"
        "sys.modules['opentelemetry.instrumentation.httpx'] = None\n"
        "import fcsdk\n"
        "from fcsdk.tracing import Tracer\n"
        "try:\n"
        "    Tracer(service='s', instrument=['httpx'])\n"
        "except fcsdk.MissingDependencyError as e:\n"
        "    print(e)\n"
    )
    assert out.returncode == 0, out.stderr
    assert "pip install opentelemetry-instrumentation-httpx" in out.stdout
