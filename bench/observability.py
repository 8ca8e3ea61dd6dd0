"""Per-invocation cost of fcsdk's logs, metrics and traces against Powertools', in one run.

Each figure is the median of 5 repeats, in microseconds per call:

- a log line: ``fc.logger.info`` inside an invocation (JSON format, and FC's line format)
  against Powertools' ``Logger.info`` (JSON) with the Lambda context injected; all to /dev/null;
- a metrics flush: a whole invocation adding one dimension and three metrics, flushed as one line
  (to /dev/null), minus nothing: compare with the bare ``@fc.handler`` row. Powertools'
  ``Metrics.log_metrics`` writes its EMF blob to stdout (redirected to /dev/null here);
- a traced invocation: ``@tracer.capture_handler`` plus one ``@tracer.capture_method`` call with
  a no-op exporter (spans built, masked and handed over; no network) against Powertools'
  ``Tracer`` (aws-xray-sdk; segments sent over UDP to 127.0.0.1:2000, where nothing listens).
- an invocation that logs its event (``log_event=True``; JSON format, to /dev/null) with a small
  JSON event and with a 6 MB binary one (fcsdk cuts it at 8 KiB: ``max_event_bytes``) against
  Powertools' ``inject_lambda_context(log_event=True)`` given the same event (as a dict, and as
  the text of the 6 MB payload).

Run: ``python bench/observability.py`` (about 15 s; ``--quick`` for a smoke run).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import statistics
import sys
import timeit
from pathlib import Path
from typing import Any, Callable, Optional

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import fcsdk as fc
from tests.natives import ShapeA

SMALL_EVENT = {"order_id": "o-1", "amount": 3, "password": "x", "items": [{"sku": "a"}] * 3}
LOG_SMALL = "invocation + log_event (small event)"
LOG_BIG = "invocation + log_event (6 MB binary)"


def big_event() -> bytes:
    return bytes(range(256)) * (6 * 1024 * 1024 // 256)


TRACE_HEADER = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"


def measure(fn: Callable[[], Any], number: int) -> float:
    runs = timeit.repeat(fn, number=number, repeat=5)
    return statistics.median(runs) / number * 1e6


class LambdaContext:
    function_name = "orders"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:orders"
    memory_limit_in_mb = 128
    aws_request_id = "52fdfc07-2182-154f-163f-5f0f9a621d72"
    log_group_name = "/aws/lambda/orders"
    log_stream_name = "stream"

    def get_remaining_time_in_millis(self) -> int:
        return 1000


def fcsdk_rows(devnull: Any, number: int) -> dict[str, float]:
    from fcsdk.logging import current_context, setup
    from fcsdk.metrics import Metrics
    from fcsdk.tracing import Tracer

    rows: dict[str, float] = {}
    native = ShapeA()
    log = logging.getLogger("bench-fcsdk")
    log.propagate = False
    fc.logger.propagate = False
    token = current_context.set(fc.Context.of(native))
    try:
        for fmt in ("json", "fc"):
            handler = setup(fmt, stream=devnull, target=fc.logger, keep_runtime=False)
            fc.logger.append_keys(order_id="o-1")
            rows[f"log line ({fmt} format)"] = measure(lambda: fc.logger.info("placed"), number)
            fc.logger.remove_keys("order_id")
            fc.logger.removeHandler(handler)
    finally:
        current_context.reset(token)

    @fc.handler
    def bare(event: bytes, context: fc.Context) -> str:
        return "ok"

    rows["bare @fc.handler invocation"] = measure(lambda: bare(b"", native), number)

    metrics = Metrics(namespace="shop", service="orders", stream=devnull)

    @fc.handler
    @metrics.log_metrics
    def measured(event: bytes, context: fc.Context) -> str:
        metrics.add_dimension("channel", "web")
        metrics.add_metric("OrdersPlaced", "Count", 1)
        metrics.add_metric("OrderValue", "None", 19.5)
        metrics.add_metric("Latency", "Milliseconds", 12)
        return "ok"

    rows["invocation + metrics flush"] = measure(lambda: measured(b"", native), number)

    from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

    class NoOp(SpanExporter):
        def export(self, spans: Any) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    tracer = Tracer(service="orders", exporter=NoOp())

    @tracer.capture_method
    def reserve(sku: str) -> int:
        return 1

    @fc.handler
    @tracer.capture_handler
    def traced(event: bytes, context: fc.Context) -> str:
        reserve("a")
        return "ok"

    native.tracing.span_context = "4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:1"
    rows["traced invocation (no-op exporter)"] = measure(lambda: traced(b"", native), number)

    @fc.handler(log_event=True)
    def logged(event: bytes) -> str:
        return "ok"

    handler = setup("json", stream=devnull, target=fc.logger, keep_runtime=False)
    try:
        small = json.dumps(SMALL_EVENT).encode()
        rows[LOG_SMALL] = measure(lambda: logged(small, native), number)
        big = big_event()
        rows[LOG_BIG] = measure(lambda: logged(big, native), max(number // 400, 1))
    finally:
        fc.logger.removeHandler(handler)
    return rows


def powertools_rows(devnull: Any, number: int) -> Optional[dict[str, float]]:
    try:
        from aws_lambda_powertools import Logger, Metrics
    except ImportError:
        return None
    rows: dict[str, float] = {}
    ctx = LambdaContext()
    logger = Logger(service="orders", logger_handler=logging.StreamHandler(devnull))

    @logger.inject_lambda_context
    def setup_keys(event: Any, context: Any) -> None:
        logger.append_keys(order_id="o-1")
        rows["log line (json format)"] = measure(lambda: logger.info("placed"), number)

    setup_keys({}, ctx)

    def bare(event: Any, context: Any) -> str:
        return "ok"

    rows["bare @fc.handler invocation"] = measure(lambda: bare({}, ctx), number)

    metrics = Metrics(namespace="shop", service="orders")

    @metrics.log_metrics
    def measured(event: Any, context: Any) -> str:
        metrics.add_dimension("channel", "web")
        metrics.add_metric("OrdersPlaced", "Count", 1)
        metrics.add_metric("OrderValue", "None", 19.5)
        metrics.add_metric("Latency", "Milliseconds", 12)
        return "ok"

    with contextlib.redirect_stdout(devnull):
        rows["invocation + metrics flush"] = measure(lambda: measured({}, ctx), number)

    @logger.inject_lambda_context(log_event=True)
    def logged(event: Any, context: Any) -> str:
        return "ok"

    rows[LOG_SMALL] = measure(lambda: logged(SMALL_EVENT, ctx), number)
    big = big_event().decode("latin-1")  # Powertools takes the event as Lambda passes it
    rows[LOG_BIG] = measure(lambda: logged(big, ctx), max(number // 400, 1))
    try:
        import aws_xray_sdk  # noqa: F401
    except ImportError:
        print(
            "  (aws-xray-sdk not installed: Powertools' Tracer cannot run; pip install -e '.[bench]')"
        )
        return rows
    os.environ.update(
        AWS_LAMBDA_FUNCTION_NAME="orders",
        LAMBDA_TASK_ROOT="/tmp",
        _X_AMZN_TRACE_ID=TRACE_HEADER,
        AWS_XRAY_DAEMON_ADDRESS="127.0.0.1:2000",
        AWS_XRAY_CONTEXT_MISSING="IGNORE_ERROR",
    )
    from aws_lambda_powertools import Tracer

    tracer = Tracer(service="orders")

    @tracer.capture_method
    def reserve(sku: str) -> int:
        return 1

    @tracer.capture_lambda_handler
    def traced(event: Any, context: Any) -> str:
        reserve("a")
        return "ok"

    logging.getLogger("aws_xray_sdk").setLevel(logging.ERROR)
    rows["traced invocation (no-op exporter)"] = measure(lambda: traced({}, ctx), number)
    return rows


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few iterations (a smoke run)")
    args = parser.parse_args(argv)
    number = 50 if args.quick else 2000
    print(f"Python {sys.version.split()[0]}, fcsdk {fc.__version__}; µs per call, median of 5")
    with open(os.devnull, "w") as devnull:
        ours = fcsdk_rows(devnull, number)
        theirs = powertools_rows(devnull, number)
    if theirs is None:
        print("  (aws-lambda-powertools not installed: pip install -e '.[bench]')")
    print(f"\n  {'':38s} {'fcsdk':>9s} {'Powertools':>11s}")
    for name, us in ours.items():
        pt = (theirs or {}).get(name)
        other = f"{pt:9.2f}" if pt is not None else "        -"
        print(f"  {name:38s} {us:9.2f}   {other}")


if __name__ == "__main__":
    main()
