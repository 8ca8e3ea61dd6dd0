"""Charge an order at most once, whatever FC retries or delivers twice.

FC delivers asynchronous invocations at least once and retries failed attempts. With
``idempotency=idem`` the handler runs once per ``order_id``; a repeat gets the very bytes of the
first answer (the same ``charge_id``, naming the request that charged), without charging again.

The store is chosen by configuration (``s.yaml`` sets these environment variables):

- ``IDEMPOTENCY_STORE=redis`` and ``REDIS_URL`` (Redis or Tair in the function's VPC);
- ``IDEMPOTENCY_STORE=tablestore``, ``TABLESTORE_ENDPOINT``, ``TABLESTORE_INSTANCE`` and
  ``TABLESTORE_TABLE`` (the function role's STS credentials are used);
- anything else: ``MemoryStore`` (one process: local runs only).

Locally (MemoryStore, or Redis with the two variables set)::

    fcsdk invoke index.handler --event-file event.json --async --destination-file dest.json
    fcsdk invoke index.on_failure --event-file dest.json
"""

from __future__ import annotations

import logging
import os

from pydantic import BaseModel

import fcsdk as fc
from fcsdk.idempotency import Idempotency, MemoryStore, RedisStore, Store, TablestoreStore

log = logging.getLogger(__name__)


class Order(BaseModel):
    order_id: str
    amount_cents: int
    currency: str = "CNY"


class Receipt(BaseModel):
    order_id: str
    charged_cents: int
    currency: str
    charge_id: str


def make_store() -> Store:
    """The store ``IDEMPOTENCY_STORE`` names."""
    kind = os.environ.get("IDEMPOTENCY_STORE", "memory")
    if kind == "redis":
        return RedisStore(os.environ["REDIS_URL"])
    if kind == "tablestore":
        return TablestoreStore(
            os.environ["TABLESTORE_ENDPOINT"],
            os.environ["TABLESTORE_INSTANCE"],
            os.environ.get("TABLESTORE_TABLE", "fcsdk_idempotency"),
        )
    return MemoryStore()


idem = Idempotency(make_store(), key="order_id", expires_after=24 * 3600)


@fc.handler(idempotency=idem)
def handler(event: Order, context: fc.Context) -> Receipt:
    """Charge the order (here: a log line; a payment API in real life). The charge id names
    the request that charged: a replay to a later request still shows the first one's."""
    charge_id = f"ch-{context.request_id}"
    log.info(
        "charging %d %s (attempt %d)", event.amount_cents, event.currency, context.retry_count + 1
    )
    return Receipt(
        order_id=event.order_id,
        charged_cents=event.amount_cents,
        currency=event.currency,
        charge_id=charge_id,
    )


@fc.handler(envelope=fc.envelopes.Destination)
def on_failure(event: Order, context: fc.Context) -> str:
    """The on-failure destination: FC's record carries the original order, read as ``Order``."""
    log.warning("giving up on order %s after FC's retries", event.order_id)
    return f"flagged {event.order_id}"
