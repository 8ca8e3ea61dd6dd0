"""fcsdk.batch: every batch trigger, poison records at the start, middle and end."""

from __future__ import annotations

import json
from typing import Any, Callable, Dict, List, Optional

import pytest
from pydantic import BaseModel

import fcsdk as fc
from fcsdk.batch import BatchProcessingError, RecordFailure, batch_handler
from fcsdk.testing import events, fake_context, invoke


class Order(BaseModel):
    sku: str
    qty: int


ORDERS = [{"sku": f"s{i}", "qty": i} for i in range(8)]


class Trigger:
    def __init__(
        self,
        name: str,
        envelope: Any,
        make: Callable[..., bytes],
        record_id: Callable[[Dict[str, Any]], Optional[str]],
        payload_path: str,
        wrap: Callable[[Dict[str, Any]], Any] = lambda o: o,
    ) -> None:
        self.name, self.envelope, self.make = name, envelope, make
        self.record_id, self.payload_path, self.wrap = record_id, payload_path, wrap

    def __repr__(self) -> str:
        return self.name


def _ce(rec: Dict[str, Any]) -> Optional[str]:
    return str(rec["id"])


TRIGGERS = [
    Trigger("kafka", fc.envelopes.Kafka, events.kafka_batch, _ce, "data.value"),
    Trigger("kafka-text", fc.envelopes.Kafka, events.kafka_batch, _ce, "data.value", json.dumps),
    Trigger(
        "kafka-base64",
        fc.envelopes.KafkaBase64,
        events.kafka_batch,
        _ce,
        "data.value",
        lambda o: json.dumps(o).encode(),
    ),
    Trigger("mns-queue", fc.envelopes.MNSQueue, events.mns_queue_batch, _ce, "data.messageBody"),
    Trigger("rocketmq", fc.envelopes.RocketMQ, events.rocketmq_batch, _ce, "data.body"),
    Trigger("rabbitmq", fc.envelopes.RabbitMQ, events.rabbitmq_batch, _ce, "data.body"),
    Trigger("cloudevents", fc.envelopes.CloudEvent, events.cloudevents_batch, _ce, "data"),
    Trigger("dts", fc.envelopes.CloudEvent, events.dts_batch, _ce, "data"),
    Trigger(
        "rocketmq-selfhosted",
        fc.envelopes.SelfHostedRocketMQ,
        events.rocketmq_selfhosted_batch,
        lambda r: r["msgId"],
        "body",
    ),
    Trigger("mqtt", fc.envelopes.MQTT, events.mqtt_batch, lambda r: None, "body"),
]


def _collecting(trigger: Trigger, **kwargs: Any) -> tuple[Any, List[Order]]:
    seen: List[Order] = []

    @batch_handler(envelope=trigger.envelope, **kwargs)
    def handler(order: Order, context: fc.Context) -> None:
        assert isinstance(context, fc.Context)
        seen.append(order)

    return handler, seen


POSITIONS = {"start": [0], "middle": [4], "end": [-1], "all three": [0, 4, -1]}


@pytest.mark.parametrize("trigger", TRIGGERS, ids=repr)
@pytest.mark.parametrize("where", list(POSITIONS))
def test_poison_records_fail_alone(trigger: Trigger, where: str) -> None:
    payloads = [trigger.wrap(o) for o in ORDERS]
    event = trigger.make(payloads, poison_at=POSITIONS[where])
    raw = json.loads(event)
    total = len(raw)
    bad = sorted(p % total for p in POSITIONS[where])
    handler, seen = _collecting(trigger)
    with pytest.raises(BatchProcessingError) as info:
        handler(event, fake_context())
    exc = info.value
    assert [o.model_dump() for o in seen] == ORDERS  # every good record, once, in order
    assert [f.index for f in exc.failures] == bad
    assert [f.id for f in exc.failures] == [trigger.record_id(raw[i]) for i in bad]
    assert [f.record for f in exc.failures] == [raw[i] for i in bad]
    assert all(isinstance(f.error, fc.EventDecodeError) for f in exc.failures)
    assert [f.paths for f in exc.failures] == [[f"[{i}].{trigger.payload_path}"] for i in bad]
    assert exc.succeeded == len(ORDERS)
    assert exc.code == "batch_processing" and isinstance(exc, fc.FCError)
    assert f"{len(bad)} of {total} records failed" in str(exc)
    assert "poison" not in str(exc)  # never a value


@pytest.mark.parametrize("trigger", TRIGGERS, ids=repr)
def test_broken_record_metadata_fails_that_record_only(trigger: Trigger) -> None:
    payloads = [trigger.wrap(o) for o in ORDERS]
    event = trigger.make(payloads, poison_at=[0, 3, -1], poison=events.BROKEN_RECORD)
    handler, seen = _collecting(trigger)
    with pytest.raises(BatchProcessingError) as info:
        handler(event, None)
    assert [o.model_dump() for o in seen] == ORDERS
    failures = info.value.failures
    assert [f.index for f in failures] == [0, 3, 10]
    assert all(isinstance(f.error, fc.EventValidationError) for f in failures)
    field = {"cloudevents": "source", "dts": "source", "mqtt": "props"}.get(trigger.name, "data")
    if trigger.name == "rocketmq-selfhosted":
        field = "userProperties"
    assert [f.paths[0] for f in failures] == [f"[{i}].{field}" for i in (0, 3, 10)]


@pytest.mark.parametrize("trigger", TRIGGERS[:1] + TRIGGERS[3:], ids=repr)
def test_invalid_payload_names_the_field_never_the_value(trigger: Trigger) -> None:
    event = trigger.make(ORDERS[:2], poison_at=[1], poison={"sku": "secret-sku", "qty": "many"})
    handler, seen = _collecting(trigger)
    with pytest.raises(BatchProcessingError) as info:
        handler(event, None)
    (failure,) = info.value.failures
    assert isinstance(failure.error, fc.EventValidationError)
    assert failure.paths == [f"[1].{trigger.payload_path}.qty"]
    assert f"[1].{trigger.payload_path}.qty" in str(info.value)
    for text in (str(info.value), str(failure.error), json.dumps(failure.to_dict())):
        assert "many" not in text and "secret-sku" not in text
    assert len(seen) == 2


def test_function_failures_run_the_others_then_raise() -> None:
    calls: List[int] = []

    @batch_handler(envelope=fc.envelopes.Kafka)
    def handler(order: Order) -> None:
        calls.append(order.qty)
        if order.qty in (0, 7):
            raise ValueError(f"out of stock: {order.sku}")

    with pytest.raises(BatchProcessingError) as info:
        handler(events.kafka_batch(ORDERS), None)
    assert calls == list(range(8))
    assert [f.index for f in info.value.failures] == [0, 7]
    assert isinstance(info.value.failures[0].error, ValueError)
    assert "ValueError raised by the function" in str(info.value)
    assert "out of stock" not in str(info.value)  # the function's message is in failures only
    assert info.value.failures[0].to_dict()["errorMessage"] == "out of stock: s0"


def test_on_failure_takes_responsibility_and_the_report_follows_fc_body_rules() -> None:
    dead: List[RecordFailure] = []
    contexts: List[fc.Context] = []

    def to_dlq(failures: List[RecordFailure], context: fc.Context) -> None:
        dead.extend(failures)
        contexts.append(context)

    handler, seen = _collecting(TRIGGERS[0], on_failure=to_dlq)
    event = events.kafka_batch(ORDERS[:3], poison_at=[1])
    result = invoke(handler, event, fake_context(request_id="r-9"))
    assert result.ok
    report = result.json()
    assert report == {
        "succeeded": 3,
        "failed": [
            {
                "index": 1,
                "id": json.loads(event)[1]["id"],
                "errorType": "EventDecodeError",
                "errorMessage": dead[0].error.message,
            }
        ],
    }
    # FC's rule for a non-str return: json.dumps(indent=4, sort_keys=True)
    assert result.text == json.dumps(report, indent=4, sort_keys=True)
    assert contexts[0].request_id == "r-9"
    assert json.loads(dead[0].record_json()) == json.loads(event)[1]
    assert len(seen) == 3


def test_on_failure_is_not_called_when_all_succeed() -> None:
    called: List[Any] = []
    handler, _ = _collecting(TRIGGERS[0], on_failure=lambda f, c: called.append(f))
    assert json.loads(handler(events.kafka_batch(ORDERS), None)) == {"succeeded": 8, "failed": []}
    assert called == []


def test_on_failure_that_raises_fails_the_invocation() -> None:
    def broken(failures: List[RecordFailure], context: fc.Context) -> None:
        raise ConnectionError("dlq down")

    handler, _ = _collecting(TRIGGERS[0], on_failure=broken)
    result = invoke(handler, events.kafka_batch(ORDERS, poison_at=[2]), raise_errors=False)
    assert not result.ok
    assert result.json()["errorType"] == "BatchProcessingError"
    assert "on_failure raised ConnectionError" in result.json()["errorMessage"]
    assert isinstance(result.exception, BatchProcessingError)
    assert isinstance(result.exception.__cause__, ConnectionError)
    assert [f.index for f in result.exception.failures] == [2]


def test_fc_error_body_lists_positions() -> None:
    handler, _ = _collecting(TRIGGERS[3])
    result = invoke(handler, events.mns_queue_batch(ORDERS, poison_at=[5]), raise_errors=False)
    body = result.json()
    assert result.headers["X-Fc-Error-Type"] == "UnhandledInvocationError"
    assert body["errorType"] == "BatchProcessingError"
    assert body["errorMessage"].startswith("1 of 9 records failed: [5] id=")


def test_empty_batch_and_broken_events() -> None:
    handler, seen = _collecting(TRIGGERS[0])
    assert json.loads(handler(b"[]", None)) == {"succeeded": 0, "failed": []}
    with pytest.raises(fc.EventDecodeError):
        handler(b"[{", None)
    with pytest.raises(fc.EventValidationError):
        handler(b'{"not": "a batch"}', None)
    with pytest.raises(fc.EventDecodeError):
        handler(b"", None)
    assert seen == []


def test_batch_factories_put_poison_exactly_at_the_positions() -> None:
    raw = json.loads(events.kafka_batch([{"a": 1}, {"a": 2}], poison_at=iter([0, -1]), topic="t"))
    assert [r["data"]["value"] for r in raw] == [
        events.NOT_JSON,
        {"a": 1},
        {"a": 2},
        events.NOT_JSON,
    ]
    assert [r["data"]["offset"] for r in raw] == [25, 26, 27, 28]  # offsets and ids stay distinct
    assert len({r["id"] for r in raw}) == 4 and {r["data"]["topic"] for r in raw} == {"t"}
    assert json.loads(events.batch("MNS_QUEUE", ["x"])) == json.loads(
        events.mns_queue(bodies=["x"])
    )
    assert json.loads(events.dts_batch([], poison_at=[0], poison="x"))[0]["data"] == "x"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"poison_at": [2]}, "2 is not a position in a batch of 2 records"),
        ({"poison_at": [-3]}, "-3 is not a position"),
        ({"poison_at": [1, -2]}, "position 1 given twice"),
        ({"poison_at": ["0"]}, "'0' is not a position"),
    ],
)
def test_batch_factories_reject_bad_positions(kwargs: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        events.mqtt_batch(["a"], **kwargs)


def test_batch_factory_rejects_unknown_triggers() -> None:
    with pytest.raises(ValueError, match="unknown batch trigger 'oss'; known: cloudevents"):
        events.batch("oss", [])
