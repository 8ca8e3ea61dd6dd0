"""Idempotent handlers: run once per key, replay the stored body to FC's retries.

FC delivers asynchronous invocations and most triggers at least once, and retries a failed or
timed-out attempt while the first may still be running. ``@fc.handler(idempotency=idem)`` makes
the handler run once per key: a repeat gets exactly the bytes the first invocation sent.

Example:
    >>> import fcsdk as fc
    >>> from pydantic import BaseModel
    >>> from fcsdk.idempotency import Idempotency, MemoryStore
    >>> class Order(BaseModel):
    ...     order_id: str
    ...     amount: int
    >>> idem = Idempotency(MemoryStore(), key="order_id", expires_after=3600)
    >>> @fc.handler(idempotency=idem)
    ... def handler(event: Order, context: fc.Context) -> dict:
    ...     print("charging", event.amount)
    ...     return {"order_id": event.order_id, "status": "charged"}
    >>> body = handler(b'{"order_id": "o-1", "amount": 5}', None)
    charging 5
    >>> handler(b'{"order_id": "o-1", "amount": 5}', None) == body
    True
    >>> try:
    ...     handler(b'{"order_id": "o-1", "amount": 6}', None)
    ... except fc.FCError as exc:
    ...     print(exc.code)
    idempotency_payload_mismatch
"""

from __future__ import annotations

from ._core import Idempotency
from ._errors import (
    IdempotencyError,
    IdempotencyInProgressError,
    IdempotencyKeyError,
    IdempotencyPayloadMismatchError,
    IdempotencyStoreError,
)
from ._memory import MemoryStore
from ._redis import RedisStore
from ._store import Record, Store
from ._tablestore import TablestoreStore

__all__ = [
    "Idempotency",
    "IdempotencyError",
    "IdempotencyInProgressError",
    "IdempotencyKeyError",
    "IdempotencyPayloadMismatchError",
    "IdempotencyStoreError",
    "MemoryStore",
    "Record",
    "RedisStore",
    "Store",
    "TablestoreStore",
]
