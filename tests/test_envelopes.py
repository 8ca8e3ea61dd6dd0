"""Envelopes: success, and one test per failure stage (outer event, payload not JSON, payload invalid)."""

from __future__ import annotations

import json
from typing import Any, Dict, List

import pytest
from pydantic import BaseModel

import fcsdk as fc
from fcsdk.testing import events, invoke


class Order(BaseModel):
    order_id: str
    qty: int


GOOD = {"order_id": "o-1", "qty": 2}
BAD = {"order_id": "o-1", "qty": "many"}


def _handler(envelope):
    @fc.handler(model=Order, envelope=envelope)
    def handler(event, context):
        return event if isinstance(event, list) else [event]

    return handler


# name -> (envelope, factory(payloads) -> event bytes, payload path of item i, outer-breaker)
def _break_timer(e):
    e.pop("triggerName")


def _break_cloudevents(e):
    del e[0]["id"]


def _break_http(e):
    e["requestContext"] = None


def _break_apigw(e):
    e.pop("httpMethod")


def _break_mns_json(e):
    e.pop("Message")


def _break_body_items(e):
    e[0]["body"] = None
    e.append("not an object")


CASES: Dict[str, Any] = {
    "Timer": (fc.envelopes.Timer, lambda ps: events.timer(payload=ps[0]), "payload", _break_timer),
    "HTTPBody": (
        fc.envelopes.HTTPBody,
        lambda ps: events.http(method="POST", body=ps[0]),
        "body",
        _break_http,
    ),
    "APIGatewayBody": (
        fc.envelopes.APIGatewayBody,
        lambda ps: events.apigateway(body=ps[0]),
        "body",
        _break_apigw,
    ),
    "MNSTopicJSON": (
        fc.envelopes.MNSTopicJSON,
        lambda ps: events.mns_topic(message=ps[0]),
        "Message",
        _break_mns_json,
    ),
    "MNSQueue": (
        fc.envelopes.MNSQueue,
        lambda ps: events.mns_queue(bodies=ps),
        "[{i}].data.messageBody",
        _break_cloudevents,
    ),
    "RocketMQ": (
        fc.envelopes.RocketMQ,
        lambda ps: events.rocketmq(bodies=ps),
        "[{i}].data.body",
        _break_cloudevents,
    ),
    "RabbitMQ": (
        fc.envelopes.RabbitMQ,
        lambda ps: events.rabbitmq(bodies=ps),
        "[{i}].data.body",
        _break_cloudevents,
    ),
    "Kafka": (
        fc.envelopes.Kafka,
        lambda ps: events.kafka(values=ps),
        "[{i}].data.value",
        _break_cloudevents,
    ),
    "CloudEvent": (
        fc.envelopes.CloudEvent,
        lambda ps: events.cloudevents(items=ps),
        "[{i}].data",
        _break_cloudevents,
    ),
    "SelfHostedRocketMQ": (
        fc.envelopes.SelfHostedRocketMQ,
        lambda ps: events.rocketmq_selfhosted(bodies=ps),
        "[{i}].body",
        _break_body_items,
    ),
    "MQTT": (fc.envelopes.MQTT, lambda ps: events.mqtt(bodies=ps), "[{i}].body", _break_body_items),
}


@pytest.mark.parametrize("name", CASES)
def test_payload_as_json_text_is_validated(name):
    envelope, make, _, _ = CASES[name]
    n = 1 if not envelope.batch else 3
    got = invoke(_handler(envelope), make([json.dumps(GOOD)] * n)).json()
    assert got == [GOOD] * n


@pytest.mark.parametrize("name", ["RocketMQ", "RabbitMQ", "Kafka", "CloudEvent"])
def test_payload_as_json_value_is_validated(name):
    envelope, make, _, _ = CASES[name]
    assert invoke(_handler(envelope), make([GOOD, GOOD])).json() == [GOOD, GOOD]


@pytest.mark.parametrize("name", CASES)
def test_stage1_outer_event_invalid(name):
    envelope, make, _, breaker = CASES[name]
    raw = json.loads(make([json.dumps(GOOD)]))
    breaker(raw)
    with pytest.raises(fc.EventValidationError) as info:
        _handler(envelope)(json.dumps(raw), None)
    assert "Order" not in str(info.value).split(":")[0]  # the error is about the trigger event
    with pytest.raises(fc.EventDecodeError):
        _handler(envelope)(b"{not json", None)


@pytest.mark.parametrize("name", CASES)
def test_stage2_payload_not_json(name):
    envelope, make, path, _ = CASES[name]
    payloads = [json.dumps(GOOD), "{oops"] if envelope.batch else ["{oops"]
    with pytest.raises(fc.EventDecodeError) as info:
        _handler(envelope)(make(payloads), None)
    where = path.format(i=1 if envelope.batch else 0)
    assert str(info.value).startswith(f"{where}: ")
    assert "not valid JSON for Order" in str(info.value)


@pytest.mark.parametrize("name", CASES)
def test_stage3_payload_invalid_names_the_full_path(name):
    envelope, make, path, _ = CASES[name]
    payloads = [json.dumps(GOOD)] * 3 + [json.dumps(BAD)] if envelope.batch else [json.dumps(BAD)]
    with pytest.raises(fc.EventValidationError) as info:
        _handler(envelope)(make(payloads), None)
    where = path.format(i=3 if envelope.batch else 0)
    assert f"{where}.qty: Input should be a valid integer" in str(info.value)
    assert "many" not in str(info.value)  # input values are not echoed
    loc = info.value.errors()[0]["loc"]
    assert loc[-1] == "qty"
    assert loc[0] == 3 if envelope.batch else isinstance(loc[0], str)


def test_include_input_shows_the_value():
    @fc.handler(model=Order, envelope=fc.envelopes.Timer, include_input=True)
    def handler(event):
        return "x"

    with pytest.raises(fc.EventValidationError) as info:
        handler(events.timer(payload=BAD), None)
    assert info.value.errors()[0]["input"] == "many"


def test_empty_payload():
    with pytest.raises(fc.EventDecodeError, match="empty at payload"):
        _handler(fc.envelopes.Timer)(events.timer(payload=""), None)


def test_batch_accepts_list_annotation_and_plain_types():
    @fc.handler(envelope=fc.envelopes.RocketMQ)
    def handler(event: List[Order]) -> int:
        return sum(o.qty for o in event)

    assert handler(events.rocketmq(bodies=[GOOD, json.dumps(GOOD)]), None) == "4"

    @fc.handler(envelope=fc.envelopes.MNSQueue)
    def texts(event: List[str]) -> str:
        return "|".join(event)

    assert texts(events.mns_queue(bodies=["a", "b c"]), None) == "a|b c"

    @fc.handler(envelope=fc.envelopes.RabbitMQ)
    def raw(event: List[bytes]) -> str:
        return "|".join(e.decode() for e in event)

    assert raw(events.rabbitmq(bodies=["x", {"a": 1}]), None) == 'x|{"a": 1}'

    @fc.handler(envelope=fc.envelopes.CloudEvent)
    def anything(event: List[Any]) -> int:
        return len(event)

    assert anything(events.cloudevents(items=[1, "a", None]), None) == "3"


def test_str_model_gets_non_string_payload_as_json_text():
    @fc.handler(envelope=fc.envelopes.RabbitMQ)
    def handler(event: List[str]) -> str:
        return event[0]

    assert handler(events.rabbitmq(bodies=[{"a": 1}]), None) == '{"a":1}'


def test_http_body_base64_and_text():
    h = _handler(fc.envelopes.HTTPBody)
    assert invoke(h, events.http(body=json.dumps(GOOD).encode())).json() == [GOOD]
    assert invoke(h, events.http(body=GOOD)).json() == [GOOD]
    raw = json.loads(events.http(body=b"x"))
    raw["body"] = "###"
    with pytest.raises(fc.EventDecodeError, match="base64"):
        h(json.dumps(raw), None)

    @fc.handler(envelope=fc.envelopes.HTTPBody)
    def binary(event: bytes) -> str:
        return event.hex()

    assert binary(events.http(body=b"\x00\xff"), None) == "00ff"
    with pytest.raises(fc.EventDecodeError, match="empty at body"):
        h(events.http(), None)


def test_kafka_base64():
    @fc.handler(model=Order, envelope=fc.envelopes.KafkaBase64)
    def handler(event):
        return [o.qty for o in event]

    assert handler(events.kafka(values=[json.dumps(GOOD).encode()]), None) == "[\n    2\n]"
    with pytest.raises(fc.EventDecodeError, match=r"\[0\]\.data\.value is not valid base64"):
        handler(events.kafka(values=["not base64!"]), None)
    with pytest.raises(fc.EventDecodeError, match="not a base64 string"):
        handler(events.kafka(values=[{"a": 1}]), None)
    assert repr(fc.envelopes.KafkaBase64) == "fcsdk.envelopes.KafkaBase64"


@pytest.mark.parametrize("form", ["json", "stream", "stream-attrs"])
def test_mns_topic_auto_detects_every_form(form):
    h = _handler(fc.envelopes.MNSTopic)
    assert invoke(h, events.mns_topic(message=GOOD, form=form)).json() == [GOOD]
    with pytest.raises(fc.EventValidationError) as info:
        h(events.mns_topic(message=BAD, form=form), None)
    where = {"json": "Message.qty", "stream": "qty", "stream-attrs": "body.qty"}[form]
    assert f"Order: {where}: " in str(info.value)


def test_mns_topic_forms_are_strict_when_asked():
    stream = _handler(fc.envelopes.MNSTopicStream)
    assert invoke(stream, events.mns_topic(message=GOOD, form="stream")).json() == [GOOD]
    json_form = json.loads(events.mns_topic(message=json.dumps(GOOD)))
    with pytest.raises(fc.EventValidationError):  # a JSON-form event is not a STREAM message
        stream(json.dumps(json_form), None)
    json_only = _handler(fc.envelopes.MNSTopicJSON)
    with pytest.raises(fc.EventValidationError, match="MNSTopicEvent: Message: Field required"):
        json_only(events.mns_topic(message=GOOD, form="stream"), None)
    with pytest.raises(fc.EventDecodeError):
        json_only(events.mns_topic(message="plain", form="stream"), None)

    @fc.handler(envelope=fc.envelopes.MNSTopic)
    def text(event: str) -> str:
        return event.upper()

    assert text(events.mns_topic(message="plain words", form="stream"), None) == "PLAIN WORDS"
    with pytest.raises(fc.ConfigurationError):
        fc.envelopes.MNSTopicEnvelope(form="xml")


def test_user_defined_envelope():
    class Nested(fc.envelopes.Envelope):
        name = "Nested"
        batch = True

        def event_model(self):
            return Dict[str, List[Dict[str, Any]]]

        def payloads(self, event):
            return [
                (("items", i, "order"), item.get("order")) for i, item in enumerate(event["items"])
            ]

    @fc.handler(model=Order, envelope=Nested())
    def handler(event):
        return len(event)

    ok = {"items": [{"order": GOOD}, {"order": json.dumps(GOOD)}]}
    assert handler(json.dumps(ok), None) == "2"
    bad = {"items": [{"order": GOOD}, {"order": BAD}]}
    with pytest.raises(fc.EventValidationError) as info:
        handler(json.dumps(bad), None)
    assert info.value.errors()[0]["loc"] == ("items", 1, "order", "qty")
    assert repr(Nested()) == "fcsdk.envelopes.Nested"


def test_incomplete_envelope_subclass_fails_clearly():
    class Half(fc.envelopes.Envelope):
        pass

    with pytest.raises(NotImplementedError, match="event_model"):
        fc.handler(model=Order, envelope=Half())(lambda e: e)(b"{}", None)


@pytest.mark.parametrize("model", [Order, str, bytes, Dict[str, Any], int])
@pytest.mark.parametrize("missing", ["null", "absent"])
def test_timer_payload_null_or_absent_is_field_required(model, missing):
    raw = json.loads(events.timer(payload="x"))
    if missing == "null":
        raw["payload"] = None
    else:
        del raw["payload"]

    @fc.handler(model=model, envelope=fc.envelopes.Timer)
    def handler(event, context):
        return "reached"

    with pytest.raises(fc.EventValidationError) as info:
        handler(json.dumps(raw).encode(), None)
    assert [(e["loc"], e["msg"]) for e in info.value.errors()] == [(("payload",), "Field required")]
    assert str(info.value).endswith(": payload: Field required")


@pytest.mark.parametrize("name", [n for n in CASES if CASES[n][0].batch])
@pytest.mark.parametrize("model", [Order, str, bytes])
def test_batch_payload_null_is_field_required(name, model):
    envelope, make, path, _ = CASES[name]
    raw = json.loads(make([json.dumps(GOOD), json.dumps(GOOD)]))
    item = raw[1]
    keys = path.format(i=1).split(".")[1:]
    for key in keys[:-1]:
        item = item[key]
    item[keys[-1]] = None

    @fc.handler(model=List[model], envelope=envelope)
    def handler(event, context):
        return "reached"

    with pytest.raises(fc.EventValidationError) as info:
        handler(json.dumps(raw).encode(), None)
    loc = (1, *keys)
    # MNS queue's messageBody is required by the trigger model itself (stage 1, a string)
    msg = "Input should be a valid string" if name == "MNSQueue" else "Field required"
    assert [(e["loc"], e["msg"]) for e in info.value.errors()] == [(loc, msg)]
