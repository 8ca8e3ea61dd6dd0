"""Batches that survive poison records: one call per record, failures per record.

EventBridge-based triggers (MNS queue, Kafka, RocketMQ, RabbitMQ, DTS, EventBridge) and the
MQTT and self-hosted RocketMQ triggers deliver a JSON array of records. With
``@fc.handler(envelope=...)`` one bad record fails the whole batch, and FC retries all of it.
:func:`batch_handler` decodes and validates each record on its own, calls the function once
per good record (in order; ``concurrency=N`` keeps the order within an ordering key), and
then either raises :class:`BatchProcessingError` (FC retries the batch; nothing is lost) or,
with ``on_failure=``, hands the failed records over and succeeds with a report.

FC has no partial-batch response: a retried batch runs the records that succeeded again,
unless ``idempotency=`` (an :class:`fcsdk.idempotency.Idempotency`) makes each record's call
run once per key (see docs/batch.md).

Example:
    >>> import fcsdk as fc
    >>> from pydantic import BaseModel
    >>> from fcsdk.batch import batch_handler
    >>> from fcsdk.testing import events
    >>> class Order(BaseModel):
    ...     sku: str
    >>> dead = []
    >>> @batch_handler(envelope=fc.envelopes.MNSQueue,
    ...                on_failure=lambda failures, ctx: dead.extend(failures))
    ... def handler(order: Order, context: fc.Context) -> None:
    ...     pass
    >>> print(handler(events.mns_queue_batch([{"sku": "a"}], poison_at=[0]), None))
    {
        "failed": [
            {
                "errorMessage": "[0].data.messageBody: event is not valid JSON for Order: expected value at line 1 column 1",
                "errorType": "EventDecodeError",
                "id": "00000000-0000-0000-0000-000000000001",
                "index": 0
            }
        ],
        "succeeded": 1
    }
    >>> dead[0].record["data"]["messageId"]
    'C6DB60D1574661357FA2272774450000'
"""

from __future__ import annotations

from ._errors import BatchProcessingError, RecordFailure
from ._handler import BatchRecord, batch_handler, current_record

__all__ = [
    "BatchProcessingError",
    "BatchRecord",
    "RecordFailure",
    "batch_handler",
    "current_record",
]
