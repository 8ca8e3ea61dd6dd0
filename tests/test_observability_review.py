"""Defects found in review of fcsdk.metrics / fcsdk.tracing / JSON logs (issue 13), each with the
input that used to escape or lose data."""

from __future__ import annotations

import io
import json
import logging
import socket

import pytest

import fcsdk as fc
from fcsdk.metrics import Metrics, MetricsError


def _read(buf: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buf.getvalue().splitlines()]


@pytest.mark.parametrize("unit", [["Count"], {"Count": 1}, None, b"Count", 60, {"Count"}])
def test_a_unit_of_any_type_is_a_metrics_error_not_a_type_error(unit):
    metrics = Metrics(namespace="shop", stream=io.StringIO())

    @fc.handler
    @metrics.log_metrics
    def handler(event: bytes) -> str:
        metrics.add_metric("Orders", unit, 1)
        return "ok"

    with pytest.raises(MetricsError, match="is unknown: use a MetricUnit"):
        handler(b"", {"x-fc-request-id": "r-1"})


def _cycle() -> dict:
    d: dict = {}
    d["self"] = d
    return d


@pytest.mark.parametrize(
    "value",
    [float("nan"), float("inf"), {"ratio": float("-inf")}, _cycle(), {(1, 2): "tuple key"}],
    ids=["nan", "inf", "nested-inf", "cycle", "tuple-key"],
)
def test_metadata_json_cannot_hold_is_refused_at_the_call_and_the_line_survives(value, caplog):
    """Before: add_metadata accepted it and the flush failed, losing EVERY metric of the
    invocation (a warning, no line)."""
    out = io.StringIO()
    metrics = Metrics(namespace="shop", stream=out)
    raised = []

    @fc.handler
    @metrics.log_metrics
    def handler(event: bytes) -> str:
        metrics.add_metric("Orders", "Count", 1)
        try:
            metrics.add_metadata("bad", value)
        except MetricsError as exc:
            raised.append(str(exc))
        metrics.add_metadata("order_id", "o-1")
        return "ok"

    with caplog.at_level(logging.WARNING, logger="fcsdk.metrics"):
        assert handler(b"", {"x-fc-request-id": "r-1"}) == "ok"
    assert len(raised) == 1 and "metadata 'bad' cannot be written as JSON" in raised[0]
    (line,) = _read(out)
    assert line["metrics"]["Orders"]["values"] == [1.0]
    assert line["metadata"] == {"order_id": "o-1"}
    assert "could not write" not in caplog.text


def _dead_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_async_export_warning_carries_the_invocation_request_id():
    """The export of an async handler's spans runs on an executor thread: its warning (a dead
    collector) must still be the invocation's line (request id), like the sync path's."""
    pytest.importorskip("opentelemetry.sdk")
    from fcsdk.tracing import Tracer

    tracer = Tracer(service="shop", endpoint=f"http://127.0.0.1:{_dead_port()}/v1/traces")
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    keep = Keep()
    keep.addFilter(fc.logging.RequestIdFilter())
    log = logging.getLogger("fcsdk.tracing")
    log.addHandler(keep)
    try:

        @fc.handler
        @tracer.capture_handler
        async def handler(event: bytes) -> str:
            return "ok"

        assert handler(b"", {"x-fc-request-id": "r-async-1"}) == "ok"
    finally:
        log.removeHandler(keep)
    (record,) = [r for r in records if "spans not exported" in r.getMessage()]
    assert record.request_id == "r-async-1"


def test_async_export_within_the_bound_when_the_loops_executor_is_busy(caplog):
    """The async path exported on the shared loop's default executor: with its workers busy
    (other invocations' ``aget`` to a slow KMS, ``asyncio.to_thread``...) the export queued
    behind them and the invocation waited far past ``timeout``."""
    pytest.importorskip("opentelemetry.sdk")
    import asyncio
    import threading
    import time

    from fcsdk import _aio
    from fcsdk.tracing import Tracer
    from tests.otlp_server import OTLPReceiver

    loop = _aio.get_loop()
    release = threading.Event()

    async def occupy_every_worker() -> int:
        probe = loop.run_in_executor(None, int)
        await probe  # the default executor exists now
        workers = loop._default_executor._max_workers  # type: ignore[attr-defined]
        for _ in range(workers):
            loop.run_in_executor(None, release.wait, 10)
        await asyncio.sleep(0.05)
        return workers

    with OTLPReceiver(mode="silent") as rx:
        tracer = Tracer(service="shop", endpoint=rx.endpoint, timeout=0.3)

        @fc.handler
        @tracer.capture_handler
        async def handler(event: bytes) -> str:
            return "ok"

        try:
            _aio.run(occupy_every_worker())
            start = time.monotonic()
            with caplog.at_level(logging.WARNING, logger="fcsdk.tracing"):
                assert handler(b"", {"x-fc-request-id": "r-busy"}) == "ok"
            elapsed = time.monotonic() - start
        finally:
            release.set()
    assert elapsed < 0.3 + 0.5, elapsed
    assert "spans not exported" in caplog.text


def _strict(text: str) -> dict:
    def refuse(token: str) -> None:
        raise AssertionError(f"not JSON: {token}")

    return json.loads(text, parse_constant=refuse)


def test_json_log_lines_are_strict_json_even_with_nan_values(monkeypatch):
    """SLS indexes each line as JSON (RFC 8259): ``NaN``/``Infinity`` tokens made the whole
    line unparsable."""
    out = io.StringIO()
    log = logging.getLogger("review.jsonlog")
    log.propagate = False
    fc.logging.setup("json", stream=out, target=log, keep_runtime=False)

    @fc.handler
    def handler(event: bytes) -> str:
        fc.logger.append_keys(score=float("inf"))
        log.info("ratio", extra={"ratio": float("nan"), "deep": {"x": [float("-inf"), 2.5]}})
        return "ok"

    handler(b"", {"x-fc-request-id": "r-nan"})
    (line,) = [_strict(text) for text in out.getvalue().splitlines()]
    assert line["ratio"] == "NaN" and line["score"] == "Infinity"
    assert line["deep"] == {"x": ["-Infinity", 2.5]}
    assert line["request_id"] == "r-nan"


def test_https_exports_build_the_tls_context_once_per_process(monkeypatch, caplog):
    """Each export to an https collector built ``ssl.create_default_context()`` (reads the CA
    bundle: ~20 ms) out of the invocation's 2 s bound."""
    pytest.importorskip("opentelemetry.sdk")
    import ssl
    import threading

    from fcsdk.tracing import Tracer

    calls = []
    real = ssl.create_default_context

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(ssl, "create_default_context", counting)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]

    def refuse_tls() -> None:  # accepts, then closes: the handshake fails at once
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.close()

    threading.Thread(target=refuse_tls, daemon=True).start()
    try:
        tracer = Tracer(service="shop", endpoint=f"https://127.0.0.1:{port}/v1/traces")

        @fc.handler
        @tracer.capture_handler
        def handler(event: bytes) -> str:
            return "ok"

        with caplog.at_level(logging.WARNING, logger="fcsdk.tracing"):
            for i in range(3):
                assert handler(b"", {"x-fc-request-id": f"r-tls-{i}"}) == "ok"
    finally:
        listener.close()
    assert caplog.text.count("spans not exported") == 3  # the export was tried each time
    assert len(calls) <= 1


@pytest.mark.parametrize("name", ["namespace", "__name__", "__labels__", "__value__"])
def test_reserved_dimension_names_are_refused_not_written_into_the_labels(name):
    """A dimension ``namespace`` replaced the metric set's namespace label, and ``__name__``
    etc. (MetricStore's own columns, reserved in Prometheus) went into ``__labels__``."""
    out = io.StringIO()
    metrics = Metrics(namespace="shop", stream=out)

    @fc.handler
    @metrics.log_metrics
    def handler(event: bytes) -> str:
        metrics.add_metric("Orders", "Count", 1)
        with pytest.raises(MetricsError, match="is reserved"):
            metrics.add_dimension(name, "x")
        with pytest.raises(MetricsError, match="is reserved"):
            metrics.set_default_dimensions(**{name: "x"})
        return "ok"

    handler(b"", {"x-fc-request-id": "r-1"})
    (line,) = _read(out)
    assert line["samples"][0]["__labels__"] == "namespace#$#shop"


@pytest.mark.parametrize(
    "module", ["fcsdk._jsonlog", "fcsdk._logkeys", "fcsdk._logstep", "fcsdk.logging"]
)
def test_each_logging_module_imports_first_in_a_fresh_interpreter(module):
    """``import fcsdk._jsonlog`` (or ``_logkeys``) before ``fcsdk.logging`` was a circular
    ImportError: ``pytest tests/test_logging_json.py`` on its own failed at collection, and the
    suite passed only because of the order in which it imported modules."""
    import subprocess
    import sys

    code = f"import {module}\nimport fcsdk as fc\nprint(type(fc.logger).__name__)\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "FCLogger"
