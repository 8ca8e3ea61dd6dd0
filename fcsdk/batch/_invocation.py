"""One batch invocation: decode every record on its own, call the function per good record,
collect failures, then raise or hand them to ``on_failure``. Everything here is local to the
invocation (passed along, never stored on the decorated object)."""

from __future__ import annotations

import threading
from typing import Any, Callable, Hashable, Optional

from ..context import Context
from ._errors import BatchProcessingError, RecordFailure
from ._handler import BatchRecord, OnFailure, _current
from ._records import RecordCodec, raw_id
from ._run import lanes, run_async, run_threads

__all__ = ["make_process"]

Caller = Callable[[Any, Any, Context], Any]


class _Batch:
    """The state of one invocation: decoded records, ids, failures."""

    __slots__ = ("ctx", "decoded", "failures", "groups", "ids", "items", "lock")

    def __init__(
        self,
        items: list[Any],
        ctx: Context,
        codec: RecordCodec,
        keyfunc: Optional[Callable[[Any], Optional[Hashable]]],
    ) -> None:
        self.items = items
        self.ctx = ctx
        self.ids = [raw_id(raw) for raw in items]
        self.decoded: list[Any] = [None] * len(items)
        self.failures: list[RecordFailure] = []
        self.lock = threading.Lock()  # workers record failures concurrently
        good: list[int] = []
        keys: list[Optional[Hashable]] = []
        valid = codec.validate_all(items)
        for i, raw in enumerate(items):
            try:
                record, value = codec.decode(i, raw, None if valid is None else valid[i])
                key = keyfunc(record) if keyfunc is not None else None
            except Exception as exc:
                self.fail(i, exc)
                continue
            self.decoded[i] = (record, value)
            good.append(i)
            keys.append(key)
        self.groups = lanes(good, keys)

    def fail(self, i: int, exc: BaseException) -> None:
        failure = RecordFailure(i, self.ids[i], self.items[i], exc)
        with self.lock:
            self.failures.append(failure)

    def finish(self, on_failure: Optional[OnFailure]) -> tuple[dict[str, Any], Any]:
        """The report, and what ``on_failure`` returned (an awaitable for async ones)."""
        failures = sorted(self.failures, key=lambda f: f.index)
        total = len(self.items)
        succeeded = total - len(failures)
        report = {"succeeded": succeeded, "failed": [f.to_dict() for f in failures]}
        if not failures:
            return report, None
        if on_failure is None:
            raise BatchProcessingError(failures, succeeded=succeeded, total=total)
        try:
            result = on_failure(failures, self.ctx)
        except Exception as exc:
            raise _on_failure_error(failures, succeeded, total, exc) from exc
        return _masked(report, self.ctx), result


def _on_failure_error(
    failures: list[RecordFailure], succeeded: int, total: int, exc: BaseException
) -> BatchProcessingError:
    return BatchProcessingError(
        failures,
        succeeded=succeeded,
        total=total,
        note=f"on_failure raised {type(exc).__name__}, so FC retries the whole batch",
    )


def _masked(report: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """The invocation's credentials masked out of error messages the function raised."""
    creds = ctx._cache.get("credentials")
    if creds is None:
        return report
    from .._redact import redact_value

    out: dict[str, Any] = redact_value(
        report, (creds.access_key_secret, creds.security_token or "")
    )
    return out


def make_process(
    codec: RecordCodec,
    call: Caller,
    keyfunc: Optional[Callable[[Any], Optional[Hashable]]],
    concurrency: int,
    on_failure: Optional[OnFailure],
    is_async: bool,
) -> Callable[[list[Any], Context], Any]:
    """The ``(records, context)`` function ``@fc.handler`` wraps: async for async functions."""
    set_record, reset_record = _current.set, _current.reset

    if not is_async:

        def process(items: list[Any], context: Context) -> dict[str, Any]:
            batch = _Batch(items, context, codec, keyfunc)
            decoded, ids = batch.decoded, batch.ids

            def one(i: int) -> None:
                record, value = decoded[i]
                token = set_record(BatchRecord(i, ids[i]))
                try:
                    call(value, record, context)
                except Exception as exc:
                    batch.fail(i, exc)
                finally:
                    reset_record(token)

            run_threads(batch.groups, one, concurrency)
            report, result = batch.finish(on_failure)
            if result is not None and hasattr(result, "__await__"):
                from .._aio import run

                try:
                    run(result)
                except Exception as exc:
                    raise _on_failure_error(
                        sorted(batch.failures, key=lambda f: f.index),
                        report["succeeded"],
                        len(items),
                        exc,
                    ) from exc
            return report

        return process

    async def process_async(items: list[Any], context: Context) -> dict[str, Any]:
        batch = _Batch(items, context, codec, keyfunc)
        decoded, ids = batch.decoded, batch.ids

        async def one(i: int) -> None:
            record, value = decoded[i]
            token = set_record(BatchRecord(i, ids[i]))
            try:
                await call(value, record, context)
            except Exception as exc:
                batch.fail(i, exc)
            finally:
                reset_record(token)

        await run_async(batch.groups, one, concurrency)
        report, result = batch.finish(on_failure)
        if result is not None and hasattr(result, "__await__"):
            try:
                await result
            except Exception as exc:
                raise _on_failure_error(
                    sorted(batch.failures, key=lambda f: f.index),
                    report["succeeded"],
                    len(items),
                    exc,
                ) from exc
        return report

    return process_async
