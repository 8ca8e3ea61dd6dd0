"""fcsdk.batch on open-ended input: whatever the records are, each one either reaches the
function or fails alone with an fcsdk error whose paths start at its own position."""

from __future__ import annotations

import json
from typing import Any, List

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

import fcsdk as fc
from fcsdk.batch import BatchProcessingError, batch_handler
from fcsdk.testing import events

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


class Order(BaseModel):
    qty: int


GOOD = json.loads(events.kafka_batch([{"qty": 1}]))[0]


def mutated(value: Any) -> st.SearchStrategy[Any]:
    """A good Kafka record with one field replaced by ``value``, or ``value`` itself."""
    return st.sampled_from(["record", "id", "data", "value", "partition", "key"]).map(
        lambda where: (
            value
            if where == "record"
            else {**GOOD, where: value}
            if where in ("id", "data")
            else {**GOOD, "data": {**GOOD["data"], where: value}}
        )
    )


seen: List[int] = []


@batch_handler(envelope=fc.envelopes.Kafka)
def handler(order: Order) -> None:
    seen.append(order.qty)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.just(GOOD), json_values.flatmap(mutated)), max_size=8))
def test_every_record_is_processed_or_fails_alone(records: List[Any]) -> None:
    seen.clear()
    try:
        report = json.loads(handler(json.dumps(records).encode(), None))
        failures: List[Any] = []
    except BatchProcessingError as exc:
        failures = exc.failures
        report = exc.report()
        for f in failures:
            assert isinstance(f.error, fc.EventError), repr(f.error)
            assert f.paths and all(p.startswith(f"[{f.index}]") for p in f.paths)
            assert f.record == records[f.index]
        assert len(str(exc)) < 2000
    assert report["succeeded"] + len(failures) == len(records) == len(seen) + len(failures)
