"""fcsdk.batch: parameters filled by annotation, async functions, steps, configuration errors."""

from __future__ import annotations

import json
from typing import Any, List

import pytest
from pydantic import BaseModel

import fcsdk as fc
from fcsdk.batch import BatchProcessingError, batch_handler, current_record
from fcsdk.events import CloudEvent, DTSRecord, KafkaRecord, MQTTMessage, RocketMQRecord
from fcsdk.steps import Invocation, Proceed
from fcsdk.testing import events, fake_context


class Order(BaseModel):
    qty: int


EVENT = events.kafka_batch([{"qty": 1}, {"qty": 2}], poison_at=[1])


def test_order_only() -> None:
    seen: List[int] = []

    @batch_handler(envelope=fc.envelopes.Kafka)
    def handler(order: Order) -> None:
        seen.append(order.qty)

    with pytest.raises(BatchProcessingError):
        handler(EVENT, None)
    assert seen == [1, 2]


def test_order_record_context_in_any_order() -> None:
    seen: List[Any] = []

    @batch_handler(envelope=fc.envelopes.Kafka)
    def a(order: Order, record: KafkaRecord, context: fc.Context) -> None:
        seen.append(("a", order.qty, record.data.offset, context.request_id))

    @batch_handler(envelope=fc.envelopes.Kafka)
    def b(order: Order, context: fc.Context, record: KafkaRecord) -> None:
        seen.append(("b", order.qty, record.data.offset, context.request_id))

    @batch_handler(envelope=fc.envelopes.Kafka)
    def c(order: Order, record: CloudEvent) -> None:  # a base class of the record is fine
        assert isinstance(record, KafkaRecord)
        seen.append(("c", order.qty, record.id))

    @batch_handler(envelope=fc.envelopes.Kafka)
    def d(order: Order, context) -> None:  # type: ignore[no-untyped-def]  # unannotated context
        seen.append(("d", isinstance(context, fc.Context)))

    for h in (a, b, c, d):
        with pytest.raises(BatchProcessingError):
            h(EVENT, fake_context(request_id="r-1"))
    ids = [r["id"] for r in json.loads(EVENT)]
    assert seen == [
        ("a", 1, 25, "r-1"),
        ("a", 2, 27, "r-1"),
        ("b", 1, 25, "r-1"),
        ("b", 2, 27, "r-1"),
        ("c", 1, ids[0]),
        ("c", 2, ids[2]),
        ("d", True),
        ("d", True),
    ]


def test_dts_record_annotation_validates_records_as_dts() -> None:
    ops: List[str] = []

    @batch_handler(envelope=fc.envelopes.CloudEvent)
    def handler(change: dict, record: DTSRecord) -> None:  # type: ignore[type-arg]
        ops.append(record.data.operation_type)

    assert json.loads(handler(events.dts(), None)) == {"succeeded": 1, "failed": []}
    assert ops == ["UPDATE"]
    # a record that is a CloudEvent but not a DTS record fails as a record
    with pytest.raises(BatchProcessingError) as info:
        handler(events.dts_batch([events_dts_data()], poison_at=[0], poison={"x": 1}), None)
    assert info.value.failures[0].paths == ["[0].data.operationType"]


def events_dts_data() -> dict:  # type: ignore[type-arg]
    return json.loads(events.dts())[0]["data"]  # type: ignore[no-any-return]


def test_async_functions_and_current_record() -> None:
    seen: List[Any] = []

    @batch_handler(envelope=fc.envelopes.MQTT)
    async def handler(body: str, record: MQTTMessage, context: fc.Context) -> None:
        rec = current_record()
        assert rec is not None
        seen.append((rec.index, body, record.props.client_id, context.request_id))

    out = handler(events.mqtt_batch(["a", "b"]), fake_context(request_id="r-2"))
    assert json.loads(out) == {"succeeded": 2, "failed": []}
    assert seen == [(0, "a", "GID_test@@@0", "r-2"), (1, "b", "GID_test@@@1", "r-2")]
    assert current_record() is None


def test_async_on_failure_is_awaited() -> None:
    got: List[int] = []

    async def on_failure(failures: Any, context: fc.Context) -> None:
        got.extend(f.index for f in failures)

    @batch_handler(envelope=fc.envelopes.Kafka, on_failure=on_failure)
    async def handler(order: Order) -> None:
        pass

    @batch_handler(envelope=fc.envelopes.Kafka, on_failure=on_failure)
    def sync_handler(order: Order) -> None:
        pass

    assert json.loads(handler(EVENT, None))["succeeded"] == 2
    assert json.loads(sync_handler(EVENT, None))["succeeded"] == 2
    assert got == [1, 1]


def test_the_decorated_object_is_a_plain_fc_handler() -> None:
    @batch_handler(envelope=fc.envelopes.RocketMQ)
    def handler(order: Order, record: RocketMQRecord) -> None:
        """Docs."""

    assert handler.__name__ == "handler" and handler.__doc__ == "Docs."
    assert handler.__wrapped__.__name__ == "handler"
    spec = handler.__fcsdk__
    assert spec.model is Order and spec.envelope is fc.envelopes.RocketMQ
    assert spec.is_async is False
    assert handler(events.rocketmq_batch([{"qty": 1}]), None) == (
        '{\n    "failed": [],\n    "succeeded": 1\n}'
    )


def test_steps_wrap_the_whole_invocation() -> None:
    class Count:
        def __init__(self) -> None:
            self.calls: List[Any] = []

        def around(self, call: Invocation, proceed: Proceed) -> Any:
            body = proceed()
            self.calls.append((len(call.event), call.context.request_id, json.loads(body)))
            return body

    step = Count()

    @batch_handler(envelope=fc.envelopes.Kafka, steps=[step], on_failure=lambda f, c: None)
    def handler(order: Order) -> None:
        pass

    handler(EVENT, fake_context(request_id="r-3"))
    assert step.calls == [(3, "r-3", {"succeeded": 2, "failed": [step.calls[0][2]["failed"][0]]})]


def test_model_keyword_overrides_the_annotation() -> None:
    seen: List[Any] = []

    @batch_handler(envelope=fc.envelopes.Kafka, model=dict)
    def handler(order: Any) -> None:
        seen.append(order)

    handler(events.kafka_batch([{"qty": 1}]), None)
    assert seen == [{"qty": 1}]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"envelope": fc.envelopes.Timer}, "needs a batch envelope"),
        ({"envelope": fc.envelopes.Kafka, "concurrency": 0}, "concurrency=0"),
        ({"envelope": fc.envelopes.Kafka, "concurrency": True}, "concurrency=True"),
        ({"envelope": fc.envelopes.Kafka, "on_failure": "dlq"}, "must be callable"),
    ],
)
def test_configuration_errors(kwargs: Any, message: str) -> None:
    with pytest.raises(fc.ConfigurationError, match=message):
        batch_handler(**kwargs)


def test_unfillable_parameters_are_configuration_errors() -> None:
    with pytest.raises(fc.ConfigurationError, match="cannot fill parameter 'other'"):

        @batch_handler(envelope=fc.envelopes.Kafka)
        def a(order: Order, other: int) -> None:
            pass

    with pytest.raises(fc.ConfigurationError, match="cannot fill parameter 'record'"):

        @batch_handler(envelope=fc.envelopes.Kafka)
        def b(order: Order, record: RocketMQRecord) -> None:  # another trigger's record
            pass

    with pytest.raises(fc.ConfigurationError, match="same value twice"):

        @batch_handler(envelope=fc.envelopes.Kafka)
        def c(order: Order, a: fc.Context, b: fc.Context) -> None:
            pass

    with pytest.raises(fc.ConfigurationError, match="takes no arguments"):

        @batch_handler(envelope=fc.envelopes.Kafka)
        def d() -> None:
            pass


def test_optional_extra_parameters_keep_their_defaults() -> None:
    seen: List[Any] = []

    @batch_handler(envelope=fc.envelopes.Kafka)
    def handler(order: Order, context: fc.Context, scale: int = 10) -> None:
        seen.append(order.qty * scale)

    handler(events.kafka_batch([{"qty": 1}]), None)
    assert seen == [10]


def test_include_input_keeps_the_values_in_record_errors() -> None:
    @batch_handler(envelope=fc.envelopes.Kafka, include_input=True)
    def handler(order: Order) -> None:
        pass

    with pytest.raises(BatchProcessingError) as info:
        handler(events.kafka_batch([], poison_at=[0], poison={"qty": "many"}), None)
    (failure,) = info.value.failures
    assert failure.error.errors()[0]["input"] == "many"  # asked for: the record's error has it
    assert "many" not in str(info.value)  # the batch summary still names paths only


def test_steps_bind_to_a_function_named_like_the_users() -> None:
    bound: List[Any] = []

    class Named:
        def bind(self, spec: Any) -> Any:
            bound.append((spec.func.__qualname__, spec.func.__module__))
            return self

        def around(self, call: Invocation, proceed: Proceed) -> Any:
            return proceed()

    @batch_handler(envelope=fc.envelopes.MQTT, steps=[Named()])
    def on_message(body: str) -> None:
        pass

    assert bound == [(on_message.__qualname__, __name__)]
    assert json.loads(on_message(events.mqtt_batch(["a"]), None))["succeeded"] == 1


def test_metrics_step_sees_every_record_of_the_invocation_also_from_worker_threads() -> None:
    import io

    from fcsdk.metrics import Metrics

    out = io.StringIO()
    metrics = Metrics(namespace="shop", stream=out)

    @batch_handler(envelope=fc.envelopes.MQTT, concurrency=8, steps=[metrics.step()])
    def handler(body: str) -> None:
        metrics.add_metric("Processed", "Count", 1)

    handler(events.mqtt_batch([str(i) for i in range(50)], poison_at=[]), None)
    (line,) = [json.loads(x) for x in out.getvalue().splitlines()]  # one line per invocation
    assert sum(s["__value__"] for s in line["samples"] if s["__name__"] == "Processed") == 50
