"""``batch_handler(idempotency=...)``: each record's call made idempotent with
:meth:`fcsdk.idempotency.Idempotency.function`, so a redelivered batch skips the records that
already succeeded (FC retries whole batches)."""

from __future__ import annotations

from typing import Any, Callable

from ..context import Context
from ..errors import ConfigurationError
from ..logging import current_context

__all__ = ["idempotent_caller"]

Caller = Callable[[Any, Any, Context], Any]


def idempotent_caller(
    call: Caller, idempotency: Any, func: Callable[..., Any], spec: Any, is_async: bool
) -> Caller:
    """``call`` run at most once per idempotency key. The key (a path, or a callable taking
    ``(payload, record)``) and the payload hash are read from the record's payload.

    Raises:
        ConfigurationError: ``idempotency`` is not an ``Idempotency``, or its key path does not
            exist in the payload's model (checked now, at decoration).
    """
    function = getattr(idempotency, "function", None)
    bind = getattr(idempotency, "bind", None)
    if not callable(function) or not callable(bind):
        raise ConfigurationError(
            f"batch_handler(idempotency=...) needs an fcsdk.idempotency.Idempotency, got "
            f"{type(idempotency).__name__}"
        )
    bind(spec)  # the key path must exist in the payload's model (ConfigurationError if not)
    name = f"{getattr(func, '__module__', '')}.{getattr(func, '__qualname__', '')}[record]"

    if is_async:

        async def once_async(value: Any, record: Any) -> None:
            await call(value, record, _context())  # the batch ignores it: nothing to store

        guarded_async = function(name=name)(once_async)
        return lambda value, record, ctx: guarded_async(value, record)

    def once(value: Any, record: Any) -> None:
        call(value, record, _context())  # the batch ignores it: nothing to store (an SDK
        # response object would fail to encode and fail a record that succeeded)

    guarded = function(name=name)(once)
    return lambda value, record, ctx: guarded(value, record)


def _context() -> Context:
    ctx = current_context.get()  # set by @fc.handler; copied into worker threads and tasks
    return ctx if ctx is not None else Context.of(None)
