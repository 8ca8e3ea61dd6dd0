"""Logs, metrics and traces together: one order handler, observable on FC.

- Logs: JSON lines (``FCSDK_LOG_FORMAT=json`` in s.yaml) with the request id, function, cold start
  and the order id appended for this invocation only; the event is logged once with its
  ``card`` field masked; DEBUG lines are kept only when the invocation fails.
- Metrics: one JSON line per invocation on stdout (``OrdersPlaced``, ``OrderValue`` by channel,
  ``ColdStart``), which the SLS rule in docs/notes/observability.md turns into a MetricStore series.
- Traces: a span per invocation, child of FC's span, and one per ``reserve`` call, exported to
  ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` before the handler returns (at most 2 s).
"""

from __future__ import annotations

from pydantic import BaseModel

import fcsdk as fc
from fcsdk.metrics import Metrics
from fcsdk.tracing import Tracer

fc.logging.setup()  # FCSDK_LOG_FORMAT picks the format (json in s.yaml)
fc.logger.configure(buffer_debug=True, mask_fields=["card"])
metrics = Metrics(namespace="shop", service="orders")
tracer = Tracer(service="orders")


class Order(BaseModel):
    order_id: str
    channel: str
    sku: str
    quantity: int
    price: float
    card: str


@tracer.capture_method
def reserve(sku: str, quantity: int) -> int:
    fc.logger.debug("reserving %s x %s", quantity, sku)  # written only if the invocation fails
    if quantity > 100:
        raise ValueError(f"cannot reserve {quantity} of {sku}: at most 100")
    return quantity


@fc.handler(log_event=True)
@tracer.capture_handler
@metrics.log_metrics(capture_cold_start=True)
def handler(event: Order, context: fc.Context) -> dict[str, object]:
    fc.logger.append_keys(order_id=event.order_id)
    metrics.add_dimension("channel", event.channel)
    metrics.add_metric("OrdersReceived", "Count", 1)  # written also if reserve() fails
    reserved = reserve(event.sku, event.quantity)
    metrics.add_metric("OrdersPlaced", "Count", 1)
    metrics.add_metric("OrderValue", "None", reserved * event.price)
    fc.logger.info("order placed")
    return {"order_id": event.order_id, "reserved": reserved}
