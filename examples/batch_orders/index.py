"""Process orders from an MNS queue, one call per message: a poison message fails alone.

``handler`` is called once per message whose body is a valid ``Order``. Messages that cannot
be decoded (poison) are quarantined by ``quarantine``: written to the function's log as JSON,
raw record included, and the invocation succeeds with a report. Any other failure (the stock
service is down) makes ``quarantine`` raise, so FC retries the batch; once the trigger's retry
policy is exhausted the batch goes to the dead-letter queue configured in ``s.yaml``.

Example:
    >>> from fcsdk.testing import events
    >>> import json
    >>> body = handler(events.mns_queue_batch([{"orderId": "o-1", "sku": "tea", "qty": 2}],
    ...                                        poison_at=[0]), None)
    >>> json.loads(body)["succeeded"], json.loads(body)["failed"][0]["index"]
    (1, 0)
"""

from __future__ import annotations

import json
import logging
from typing import List

from pydantic import BaseModel, ConfigDict, Field

import fcsdk as fc
from fcsdk.batch import RecordFailure, batch_handler

log = logging.getLogger("batch_orders")


class Order(BaseModel):
    """The body of one queue message."""

    model_config = ConfigDict(populate_by_name=True)

    order_id: str = Field(alias="orderId")
    sku: str
    qty: int = Field(gt=0)


class StockUnavailable(Exception):
    """The stock service could not be reached: worth a retry."""


def reserve(order: Order) -> None:
    """Reserve stock for ``order`` (a real function would call a service here)."""
    if order.sku == "unavailable":
        raise StockUnavailable(f"stock service unreachable for {order.order_id}")


def quarantine(failures: List[RecordFailure], context: fc.Context) -> None:
    """Log every failed record; retry the batch unless all failures are poison messages."""
    for f in failures:
        log.error(
            "quarantined message %s (#%d): %s",
            f.id,
            f.index,
            json.dumps({**f.to_dict(), "record": f.record}, ensure_ascii=False),
        )
    transient = [f for f in failures if not isinstance(f.error, fc.EventError)]
    if transient:
        raise StockUnavailable(f"{len(transient)} order(s) could not be reserved; retrying")


@batch_handler(envelope=fc.envelopes.MNSQueue, on_failure=quarantine, concurrency=4)
def handler(order: Order, record: fc.events.MNSQueueRecord, context: fc.Context) -> None:
    """Reserve stock for one order."""
    reserve(order)
    log.info(
        "reserved %s x %s for %s (message %s)",
        order.qty,
        order.sku,
        order.order_id,
        record.data.message_id,
    )
