"""Checked by ``mypy --strict`` in CI (not run by pytest): batch_handler keeps precise types."""

from __future__ import annotations

from typing import Callable, List, Union

from pydantic import BaseModel
from typing_extensions import assert_type

import fcsdk as fc
from fcsdk.batch import BatchProcessingError, RecordFailure, batch_handler
from fcsdk.events import KafkaRecord


class Order(BaseModel):
    qty: int


def dead_letter(failures: List[RecordFailure], context: fc.Context) -> None:
    for f in failures:
        assert_type(f.record_json(), bytes)


@batch_handler(envelope=fc.envelopes.Kafka, on_failure=dead_letter, concurrency=4)
def handler(order: Order, record: KafkaRecord, context: fc.Context) -> None:
    pass


@batch_handler(envelope=fc.envelopes.MNSQueue)
async def async_handler(order: Order) -> None:
    pass


def checks() -> None:
    """Never called: mypy checks the types below."""
    assert_type(handler(b"[]", None), Union[str, bytes])
    assert_type(async_handler(b"[]", None), Union[str, bytes])
    wrapped: Callable[[Order, KafkaRecord, fc.Context], None] = handler.__wrapped__
    assert_type(wrapped, Callable[[Order, KafkaRecord, fc.Context], None])
    try:
        handler(b"[]")
    except BatchProcessingError as exc:
        assert_type(exc.failures, List[RecordFailure])
        assert_type(exc.failures[0].index, int)
