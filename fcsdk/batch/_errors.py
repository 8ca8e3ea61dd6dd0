"""What a failed record looks like (:class:`RecordFailure`) and the error a batch raises when
records failed and nobody took responsibility for them (:class:`BatchProcessingError`)."""

from __future__ import annotations

import json
from typing import Any, Optional, Sequence

from ..errors import FCError, format_loc

__all__ = ["BatchProcessingError", "RecordFailure"]

#: How many failed records a message lists before "and N more".
MAX_LISTED = 10


class RecordFailure:
    """One record that could not be processed.

    Attributes:
        index: the record's position in the batch (0-based).
        id: the record's id where the trigger has one: the CloudEvent ``id`` (MNS queue, Kafka,
            RocketMQ, RabbitMQ, DTS, EventBridge), ``msgId`` (self-hosted RocketMQ), else None.
        record: the record exactly as it was in the event (decoded JSON): what a dead-letter
            queue should receive. See :meth:`record_json`.
        error: why: an :class:`fcsdk.EventDecodeError` / :class:`fcsdk.EventValidationError`
            whose paths start at the record's position (``[3].data.value.qty``) when the record
            could not be decoded, else the exception the function raised.

    Example:
        >>> import fcsdk as fc
        >>> f = RecordFailure(2, "id-2", {"body": "x"}, fc.EventDecodeError("[2].body: bad"))
        >>> f.to_dict()
        {'index': 2, 'id': 'id-2', 'errorType': 'EventDecodeError', 'errorMessage': '[2].body: bad'}
        >>> f.record_json()
        b'{"body":"x"}'
    """

    __slots__ = ("error", "id", "index", "record")

    def __init__(self, index: int, id: Optional[str], record: Any, error: BaseException) -> None:
        self.index = index
        self.id = id
        self.record = record
        self.error = error

    @property
    def paths(self) -> list[str]:
        """The field paths the error names (empty for errors raised by the function)."""
        errors = self.error.errors() if isinstance(self.error, FCError) else []
        return [format_loc(e.get("loc", ())) for e in errors]

    def to_dict(self) -> dict[str, Any]:
        """The report entry: ``{"index", "id", "errorType", "errorMessage"}``."""
        return {
            "index": self.index,
            "id": self.id,
            "errorType": type(self.error).__name__,
            "errorMessage": str(self.error),
        }

    def record_json(self) -> bytes:
        """The raw record as compact UTF-8 JSON, ready to send to a dead-letter queue."""
        return json.dumps(self.record, ensure_ascii=False, separators=(",", ":")).encode()

    def describe(self) -> str:
        """Position, id and paths (or the error's type): never a value from the record."""
        where = f"[{self.index}]" + (f" id={self.id}" if self.id is not None else "")
        kind = type(self.error).__name__
        if isinstance(self.error, FCError):
            paths = self.paths
            return f"{where} {kind}" + (f" at {', '.join(paths[:5])}" if paths else "")
        return f"{where} {kind} raised by the function"

    def __repr__(self) -> str:  # never the record: it may carry personal data
        return (
            f"RecordFailure(index={self.index}, id={self.id!r}, error={type(self.error).__name__})"
        )


class BatchProcessingError(FCError):
    """Some records of a batch failed; the others were processed. FC retries the whole batch.

    Raised after every other record ran. ``str(exc)`` lists the failed positions, ids and field
    paths (never values); :attr:`failures` has the details, raw records included.

    Attributes:
        failures: the :class:`RecordFailure` of every failed record, by position.
        succeeded: how many records were processed.

    Example:
        >>> import fcsdk as fc
        >>> err = BatchProcessingError(
        ...     [RecordFailure(1, "b", {}, ValueError("no stock"))], succeeded=2, total=3)
        >>> print(err)
        1 of 3 records failed: [1] id=b ValueError raised by the function. FC retries the whole batch; pass on_failure= to batch_handler to dead-letter failed records instead
        >>> err.code, isinstance(err, fc.FCError)
        ('batch_processing', True)
    """

    code = "batch_processing"

    def __init__(
        self,
        failures: Sequence[RecordFailure],
        *,
        succeeded: int,
        total: int,
        note: str = "",
    ) -> None:
        self.failures = list(failures)
        self.succeeded = succeeded
        listed = "; ".join(f.describe() for f in self.failures[:MAX_LISTED])
        if len(self.failures) > MAX_LISTED:
            listed += f"; and {len(self.failures) - MAX_LISTED} more"
        tail = note or (
            "FC retries the whole batch; pass on_failure= to batch_handler to dead-letter "
            "failed records instead"
        )
        message = f"{len(self.failures)} of {total} records failed: {listed}. {tail}"
        errors = [
            {"loc": (f.index,), "msg": f.describe(), "type": type(f.error).__name__}
            for f in self.failures
        ]
        super().__init__(message, errors=errors)

    def report(self) -> dict[str, Any]:
        """``{"succeeded": N, "failed": [...]}``, what ``on_failure`` makes the invocation return."""
        return {"succeeded": self.succeeded, "failed": [f.to_dict() for f in self.failures]}
