"""The errors of :mod:`fcsdk.idempotency`: all :class:`fcsdk.FCError` subclasses with stable codes.

Messages name the key's PATH (``order_id``, ``items[0].sku``), never its value nor the payload:
both may be personal data.

Example:
    >>> from fcsdk.idempotency import IdempotencyInProgressError
    >>> IdempotencyInProgressError("busy").code
    'idempotency_in_progress'
"""

from __future__ import annotations

from ..errors import EventError, FCError

__all__ = [
    "IdempotencyError",
    "IdempotencyInProgressError",
    "IdempotencyKeyError",
    "IdempotencyPayloadMismatchError",
    "IdempotencyStoreError",
]


class IdempotencyError(FCError):
    """Base class of the idempotency errors.

    Example:
        >>> import fcsdk as fc
        >>> issubclass(IdempotencyError, fc.FCError), IdempotencyError.code
        (True, 'idempotency')
    """

    code = "idempotency"


class IdempotencyInProgressError(IdempotencyError):
    """Another invocation with the same key is running (or died less than its deadline ago).

    Raised instead of running the handler a second time: FC records a failed attempt and
    retries asynchronous invocations later, when the first has finished (its result is then
    replayed) or its lock has lapsed at its invocation deadline.

    Example:
        >>> IdempotencyInProgressError("busy").code
        'idempotency_in_progress'
    """

    code = "idempotency_in_progress"


class IdempotencyPayloadMismatchError(IdempotencyError):
    """Same key, different payload (with ``validate_payload=True``): a client reused a key.

    Example:
        >>> IdempotencyPayloadMismatchError("mismatch").code
        'idempotency_payload_mismatch'
    """

    code = "idempotency_payload_mismatch"


class IdempotencyKeyError(IdempotencyError, EventError):
    """The event has no usable value at the key's path (absent, null or empty): the event is
    wrong, so it is also an :class:`fcsdk.EventError`. The handler is never run unprotected.

    Example:
        >>> import fcsdk as fc
        >>> issubclass(IdempotencyKeyError, fc.EventError), IdempotencyKeyError.code
        (True, 'idempotency_key')
    """

    code = "idempotency_key"


class IdempotencyStoreError(IdempotencyError):
    """The store failed (unreachable, refused, timed out): the message names the store and the
    operation. The handler did not run (or its result could not be recorded), never silently.

    Example:
        >>> IdempotencyStoreError("RedisStore(redis://127.0.0.1:6379/0) failed").code
        'idempotency_store'
    """

    code = "idempotency_store"
