"""fcsdk.metrics: one JSON line per invocation, per-invocation sets under 16 threads and asyncio,
validation at the call, cold start once per instance."""

from __future__ import annotations

import asyncio
import contextvars
import io
import json
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fcsdk as fc
from fcsdk import _coldstart
from fcsdk.metrics import (
    LINE_FIELDS,
    SAMPLE_FIELDS,
    MetricResolution,
    Metrics,
    MetricsError,
    MetricUnit,
)
from tests.natives import ShapeA


@pytest.fixture
def out():
    return io.StringIO()


def read(buf: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buf.getvalue().splitlines()]


def headers(rid: str, **more: str) -> dict[str, str]:
    return {"x-fc-request-id": rid, **more}


def test_bare_decorator_writes_one_line_with_the_documented_schema(out):
    metrics = Metrics(namespace="shop", service="orders", stream=out)

    @fc.handler
    @metrics.log_metrics
    def handler(event: dict, context: fc.Context) -> str:
        metrics.add_dimension("channel", event["channel"])
        metrics.add_metric("OrdersPlaced", "Count", 1)
        metrics.add_metric("Latency", MetricUnit.Milliseconds, 12.5, resolution=1)
        metrics.add_metric("Latency", "Milliseconds", 7, resolution=MetricResolution.High)
        metrics.add_metadata("order_id", "o-1")
        return "ok"

    ctx = headers("r-1", **{"x-fc-function-name": "place", "x-fc-qualifier": "prod"})
    assert handler(b'{"channel": "web"}', ctx) == "ok"
    (line,) = read(out)
    assert tuple(line) == LINE_FIELDS
    assert out.getvalue().startswith('{"_fcsdk": "metrics", ')
    assert line["request_id"] == "r-1"
    assert line["dimensions"] == {
        "function_name": "place",
        "function_qualifier": "prod",
        "service": "orders",
        "channel": "web",
    }
    assert line["metrics"] == {
        "OrdersPlaced": {"unit": "Count", "resolution": 60, "values": [1.0]},
        "Latency": {"unit": "Milliseconds", "resolution": 1, "values": [12.5, 7.0]},
    }
    assert line["metadata"] == {"order_id": "o-1"}
    labels = (
        "channel#$#web|function_name#$#place|function_qualifier#$#prod|namespace#$#shop"
        "|service#$#orders"
    )
    nano = line["time"] * 1_000_000
    assert line["samples"] == [
        {"__name__": "OrdersPlaced", "__labels__": labels, "__time_nano__": nano, "__value__": 1.0},
        {"__name__": "Latency", "__labels__": labels, "__time_nano__": nano, "__value__": 12.5},
        {"__name__": "Latency", "__labels__": labels, "__time_nano__": nano + 1, "__value__": 7.0},
    ]
    assert all(tuple(s) == SAMPLE_FIELDS for s in line["samples"])


def test_decorator_with_arguments_and_as_a_step(out):
    metrics = Metrics(namespace="shop", stream=out)

    @fc.handler
    @metrics.log_metrics(capture_cold_start=False)
    def one(event: bytes) -> str:
        metrics.add_metric("A", "Count", 1)
        return "ok"

    @fc.handler(steps=[metrics.step()])
    def two(event: bytes) -> str:
        metrics.add_metric("B", "Count", 2)
        return "ok"

    one(b"", headers("r-1"))
    two(b"", headers("r-2"))
    assert [(r["request_id"], list(r["metrics"])) for r in read(out)] == [
        ("r-1", ["A"]),
        ("r-2", ["B"]),
    ]


def test_a_line_also_when_the_handler_raises(out):
    metrics = Metrics(namespace="shop", stream=out)

    @fc.handler
    @metrics.log_metrics
    def handler(event: bytes) -> str:
        metrics.add_metric("Failures", "Count", 1)
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        handler(b"", headers("r-1"))
    (line,) = read(out)
    assert line["metrics"]["Failures"]["values"] == [1.0]


def test_default_stream_is_stdout_and_no_line_without_metrics(capsys):
    metrics = Metrics(namespace="shop")

    @fc.handler
    @metrics.log_metrics
    def handler(event: dict) -> str:
        if event.get("add"):
            metrics.add_metric("X", "Count", 1)
        return "ok"

    handler(b"{}", headers("r-0"))
    handler(b'{"add": true}', headers("r-1"))
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["request_id"] == "r-1"


def test_cold_start_counted_once_per_instance_with_function_dimensions_only(out):
    _coldstart._reset()
    metrics = Metrics(namespace="shop", service="orders", stream=out)

    @fc.handler
    @metrics.log_metrics(capture_cold_start=True)
    def handler(event: bytes) -> str:
        metrics.add_dimension("channel", "web")
        metrics.add_metric("Orders", "Count", 1)
        return "ok"

    for i in range(3):
        handler(b"", ShapeA(request_id=f"r-{i}"))
    lines = read(out)
    assert ["ColdStart" in r["metrics"] for r in lines] == [True, False, False]
    cold = [s for s in lines[0]["samples"] if s["__name__"] == "ColdStart"]
    assert cold == [
        {
            "__name__": "ColdStart",
            "__labels__": "function_name#$#orders|function_qualifier#$#LATEST|namespace#$#shop"
            "|service#$#orders",
            "__time_nano__": lines[0]["time"] * 1_000_000,
            "__value__": 1.0,
        }
    ]


def test_nested_scopes_of_one_metrics_write_one_line(out):
    metrics = Metrics(namespace="shop", stream=out)

    @fc.handler(steps=[metrics.step()])
    @metrics.log_metrics
    def handler(event: bytes) -> str:
        metrics.add_metric("X", "Count", 1)
        return "ok"

    handler(b"", headers("r-1"))
    assert len(read(out)) == 1


def test_16_threads_16_lines_each_with_only_its_own_values(out):
    _coldstart._reset()
    metrics = Metrics(namespace="shop", stream=out)
    barrier = threading.Barrier(16)

    @fc.handler
    @metrics.log_metrics(capture_cold_start=True)
    def handler(event: dict) -> str:
        n = event["n"]
        metrics.add_dimension("who", f"w{n}")
        barrier.wait(timeout=10)  # every invocation has started its set
        for _ in range(n + 1):
            metrics.add_metric("Calls", "Count", n)
        barrier.wait(timeout=10)
        return "ok"

    threads = [
        threading.Thread(target=handler, args=(json.dumps({"n": i}).encode(), headers(f"r-{i}")))
        for i in range(16)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = read(out)
    assert len(lines) == 16
    for line in lines:
        n = int(line["request_id"][2:])
        assert line["dimensions"]["who"] == f"w{n}"
        assert line["metrics"]["Calls"]["values"] == [float(n)] * (n + 1)
    assert sum("ColdStart" in r["metrics"] for r in lines) == 1


def test_16_asyncio_tasks_16_lines(out):
    metrics = Metrics(namespace="shop", stream=out)

    @metrics.log_metrics
    async def body(event: dict, context: fc.Context) -> str:
        metrics.add_dimension("who", f"w{event['n']}")
        await asyncio.sleep(0.01)
        metrics.add_metric("Calls", "Count", event["n"])
        return "ok"

    async def main() -> list[str]:
        return await asyncio.gather(
            *(body({"n": i}, fc.Context.of(headers(f"r-{i}"))) for i in range(16))
        )

    assert asyncio.run(main()) == ["ok"] * 16
    lines = read(out)
    assert len(lines) == 16
    assert all(
        r["dimensions"]["who"] == f"w{int(r['metrics']['Calls']['values'][0])}"
        and r["request_id"] == f"r-{int(r['metrics']['Calls']['values'][0])}"
        for r in lines
    )


def test_async_handlers_from_16_threads_on_the_shared_loop(out):
    metrics = Metrics(namespace="shop", stream=out)
    barrier = threading.Barrier(16)

    @fc.handler
    @metrics.log_metrics
    async def handler(event: dict) -> str:
        await asyncio.sleep(0.02)
        metrics.add_metric("N", "Count", event["n"])
        return "ok"

    def call(i: int) -> None:
        barrier.wait(timeout=10)
        handler(json.dumps({"n": i}).encode(), headers(f"r-{i}"))

    threads = [threading.Thread(target=call, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = read(out)
    assert sorted(r["request_id"] for r in lines) == sorted(f"r-{i}" for i in range(16))
    assert all(r["metrics"]["N"]["values"] == [float(r["request_id"][2:])] for r in lines)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda m: m.add_metric("Orders", "Pieces", 1), "unit 'Pieces' is unknown"),
        (lambda m: m.add_metric("x" * 256, "Count", 1), "is invalid: use 1 to 255"),
        (lambda m: m.add_metric("has space", "Count", 1), "metric name 'has space' is invalid"),
        (lambda m: m.add_metric("", "Count", 1), "metric name '' is invalid"),
        (lambda m: m.add_metric("X", "Count", float("nan")), "must be finite"),
        (lambda m: m.add_metric("X", "Count", True), "must be a number, got bool"),
        (lambda m: m.add_metric("X", "Count", "1"), "must be a number, got str"),
        (lambda m: m.add_metric("X", "Count", 1, resolution=5), "resolution 5 is invalid"),
        (lambda m: m.add_dimension("channel", "a|b"), "without '|'"),
        (lambda m: m.add_dimension("channel", ""), "dimension 'channel' has an invalid value"),
        (lambda m: m.add_dimension("bad-name", "v"), "dimension name 'bad-name' is invalid"),
        (lambda m: m.add_dimension("n", 3), "must be a str, got int"),
    ],
)
def test_invalid_input_is_an_fc_error_at_the_call(out, call, message):
    metrics = Metrics(namespace="shop", stream=out)

    @fc.handler
    @metrics.log_metrics
    def handler(event: bytes) -> str:
        call(metrics)
        return "ok"

    with pytest.raises(MetricsError, match=message) as info:
        handler(b"", headers("r-1"))
    assert isinstance(info.value, fc.FCError)
    assert info.value.code == "metrics"
    assert out.getvalue() == ""  # nothing was added before the failing call


def test_limits_and_mixed_units(out):
    metrics = Metrics(namespace="shop", stream=out)

    @fc.handler
    @metrics.log_metrics
    def handler(event: str) -> str:
        if event == "units":
            metrics.add_metric("X", "Count", 1)
            metrics.add_metric("X", "Seconds", 1)
        elif event == "names":
            for i in range(101):
                metrics.add_metric(f"M{i}", "Count", 1)
        elif event == "values":
            for _ in range(10_001):  # 100 per line, 10,000 per invocation
                metrics.add_metric("V", "Count", 1)
        elif event == "dims":
            for i in range(31):
                metrics.add_dimension(f"d{i}", "v")
        return "ok"

    for what, message in [
        ("units", "same unit and resolution"),
        ("names", "at most 100 names"),
        ("values", "10000 values already"),
        ("dims", "exceed 30 dimensions"),
    ]:
        with pytest.raises(MetricsError, match=message):
            handler(what.encode(), headers(f"r-{what}"))


def test_outside_an_invocation_is_an_fc_error_naming_the_fix():
    metrics = Metrics(namespace="shop")
    with pytest.raises(MetricsError, match=r"outside an invocation .*copy_context"):
        metrics.add_metric("X", "Count", 1)
    with pytest.raises(MetricsError):
        Metrics(namespace="a|b")


def test_threads_started_by_the_handler_with_copy_context(out):
    metrics = Metrics(namespace="shop", stream=out)

    @fc.handler
    @metrics.log_metrics
    def handler(event: bytes) -> str:
        ctx = contextvars.copy_context()
        t = threading.Thread(target=ctx.run, args=(metrics.add_metric, "FromThread", "Count", 1))
        t.start()
        t.join()
        return "ok"

    handler(b"", headers("r-1"))
    assert read(out)[0]["metrics"]["FromThread"]["values"] == [1.0]


def test_secrets_masked_in_the_line(out):
    metrics = Metrics(namespace="shop", stream=out)
    secret = "very-secret-access-key-value"

    @fc.handler
    @metrics.log_metrics
    def handler(event: bytes, context: fc.Context) -> str:
        metrics.add_metadata("debug", f"key={context.credentials.access_key_secret}")
        metrics.add_metric("X", "Count", 1)
        return "ok"

    handler(b"", ShapeA(secret=secret))
    assert secret not in out.getvalue()
    assert read(out)[0]["metadata"]["debug"] == "key=**********"


def test_a_broken_stream_never_fails_the_invocation(caplog):
    class Broken(io.StringIO):
        def write(self, s: str) -> int:
            raise OSError("disk full")

    metrics = Metrics(namespace="shop", stream=Broken())

    @fc.handler
    @metrics.log_metrics
    def handler(event: bytes) -> str:
        metrics.add_metric("X", "Count", 1)
        return "ok"

    assert handler(b"", headers("r-1")) == "ok"
    assert "could not write the metrics line" in caplog.text


def test_two_metrics_objects_keep_separate_sets(out):
    a = Metrics(namespace="a", stream=out)
    b = Metrics(namespace="b", stream=out)

    @fc.handler
    @a.log_metrics
    @b.log_metrics
    def handler(event: bytes) -> str:
        a.add_metric("X", "Count", 1)
        b.add_metric("Y", "Count", 2)
        return "ok"

    handler(b"", headers("r-1"))
    assert sorted((r["namespace"], list(r["metrics"])) for r in read(out)) == [
        ("a", ["X"]),
        ("b", ["Y"]),
    ]


def test_log_metrics_keeps_the_function_type():
    metrics = Metrics(namespace="shop")

    def f(event: bytes, context: fc.Context) -> int:
        return 1

    wrapped = metrics.log_metrics(f)
    assert wrapped.__name__ == "f"
    assert wrapped.__wrapped__ is f


@settings(max_examples=150, deadline=None)
@given(
    name=st.text(max_size=300) | st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,300}", fullmatch=True),
    unit=st.sampled_from([u.value for u in MetricUnit]) | st.text(max_size=12),
    value=st.floats(allow_nan=True, allow_infinity=True) | st.integers() | st.booleans(),
)
def test_add_metric_accepts_or_raises_metrics_error_only(name, unit, value):
    out = io.StringIO()
    metrics = Metrics(namespace="shop", stream=out)
    seen = []

    @fc.handler
    @metrics.log_metrics
    def handler(event: bytes) -> str:
        try:
            metrics.add_metric(name, unit, value)
            seen.append("ok")
        except MetricsError as exc:
            assert exc.code == "metrics"
            seen.append("error")
        return "ok"

    handler(b"", headers("r-h"))
    if seen == ["ok"]:
        line = json.loads(out.getvalue())
        assert line["samples"][0]["__name__"] == name
    else:
        assert out.getvalue() == ""


def test_secrets_masked_also_when_the_step_runs_outside_fc_handler(out):
    metrics = Metrics(namespace="shop", stream=out)
    secret = "another-secret-access-key"

    @metrics.log_metrics
    def body(event: dict, context: fc.Context) -> str:
        metrics.add_metadata("debug", context.credentials.access_key_secret)
        metrics.add_metric("X", "Count", 1)
        return "ok"

    assert body({}, fc.Context.of(ShapeA(secret=secret))) == "ok"  # no current context set
    assert secret not in out.getvalue()
