"""Every trigger model against FC's documented samples: parse, round-trip, helpers, tolerance."""

from __future__ import annotations

import datetime as dt
import json
import typing
from pathlib import Path
from typing import Any, List

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

import fcsdk as fc
from fcsdk.events import (
    APIGatewayEvent,
    CDNEvent,
    CloudEvent,
    DTSEvent,
    HTTPTriggerEvent,
    KafkaEvent,
    MNSQueueEvent,
    MNSTopicEvent,
    MNSTopicStreamEvent,
    MQTTEvent,
    OSSEvent,
    RabbitMQEvent,
    RocketMQEvent,
    SelfHostedRocketMQEvent,
    SLSEvent,
    TablestoreEvent,
    TimerEvent,
)
from fcsdk.events._base import FCModel, _null_as_default
from fcsdk.testing import events

DATA = Path(__file__).parent / "data" / "events"

SAMPLES = {
    "timer.json": TimerEvent,
    "oss.json": OSSEvent,
    "sls.json": SLSEvent,
    "cdn.json": CDNEvent,
    "http.json": HTTPTriggerEvent,
    "kafka.json": KafkaEvent,
    "mns-queue.json": MNSQueueEvent,
    "mns-topic-json.json": MNSTopicEvent,
    "mns-topic-stream-attrs.json": MNSTopicStreamEvent,
    "rabbitmq.json": RabbitMQEvent,
    "rocketmq.json": RocketMQEvent,
    "tablestore.decoded.json": TablestoreEvent,
}


def _extras(value: Any, path: str = "") -> list[str]:
    """Paths of every unknown field kept on a parsed model (none expected for samples)."""
    out: list[str] = []
    if isinstance(value, BaseModel):
        out += [f"{path}.{k}" for k in value.model_extra or {}]
        for name in type(value).model_fields:
            out += _extras(getattr(value, name), f"{path}.{name}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out += _extras(item, f"{path}[{i}]")
    return out


def test_every_reference_sample_has_a_model():
    assert {p.name for p in DATA.glob("*.json")} == set(SAMPLES)


@pytest.mark.parametrize(("name", "model"), SAMPLES.items())
def test_sample_parses_round_trips_and_types_every_field(name, model):
    adapter = TypeAdapter(model)
    parsed = adapter.validate_json((DATA / name).read_bytes())
    assert _extras(parsed) == []
    dumped = adapter.dump_json(parsed, by_alias=True)
    again = adapter.validate_json(dumped)
    assert again == parsed
    # the dump uses FC's names: every top-level key of the sample is there again
    original = json.loads((DATA / name).read_bytes())
    first = original[0] if isinstance(original, list) else original
    redumped = json.loads(dumped)
    redumped = redumped[0] if isinstance(redumped, list) else redumped
    assert set(first) <= set(redumped)


@pytest.mark.parametrize(("name", "model"), SAMPLES.items())
def test_sample_through_the_handler_decorator(name, model):
    seen = []

    @fc.handler(model=model)
    def handler(event, context):
        seen.append(event)
        return "ok"

    data = (DATA / name).read_bytes()
    if model is TablestoreEvent:  # FC sends CBOR
        cbor2 = pytest.importorskip("cbor2")
        data = cbor2.dumps(json.loads(data))
    assert handler(data, None) == "ok"
    expected_type = list if isinstance(json.loads((DATA / name).read_bytes()), list) else model
    assert isinstance(seen[0], expected_type)


def test_model_dump_is_by_alias_and_names_are_accepted():
    ev = TimerEvent(trigger_time="2023-12-26T07:49:00Z", trigger_name="t", payload="p")
    by_alias = TimerEvent.model_validate(
        {"triggerTime": "2023-12-26T07:49:00Z", "triggerName": "t", "payload": "p"}
    )
    assert ev == by_alias
    assert set(ev.model_dump()) == {"triggerTime", "triggerName", "payload"}
    assert set(ev.model_dump(by_alias=False)) == {"trigger_time", "trigger_name", "payload"}
    assert '"triggerName":"t"' in ev.model_dump_json()


def test_times_are_timezone_aware():
    assert TimerEvent.model_validate_json(events.timer()).trigger_time.tzinfo is not None
    naive = TimerEvent.model_validate({"triggerTime": "2023-12-26T07:49:00", "triggerName": "t"})
    assert naive.trigger_time.utcoffset() == dt.timedelta(0)
    cdn = CDNEvent.model_validate_json((DATA / "cdn.json").read_bytes())
    assert cdn.events[0].event_time.utcoffset() == dt.timedelta(hours=8)
    http = HTTPTriggerEvent.model_validate_json((DATA / "http.json").read_bytes())
    assert http.request_context.time == dt.datetime(2023, 9, 5, 6, 41, 11, tzinfo=dt.timezone.utc)


def test_epoch_strings_become_ints():
    http = HTTPTriggerEvent.model_validate_json((DATA / "http.json").read_bytes())
    assert http.request_context.time_epoch == 1693896071895
    assert http.request_context.time_epoch_datetime.year == 2023
    rocket = TypeAdapter(RocketMQEvent).validate_json((DATA / "rocketmq.json").read_bytes())
    props = rocket[0].data.system_properties
    assert (props.min_offset, props.max_offset, props.trace_on) == (0, 8, True)


def test_oss_key_as_sent_and_percent_decoded():
    ev = OSSEvent.model_validate_json(events.oss(key="dir/%E4%B8%AD%20a+b.png"))
    obj = ev.events[0].oss.object
    assert obj.key == "dir/%E4%B8%AD%20a+b.png"
    assert obj.decoded_key == "dir/中 a+b.png"
    plain = OSSEvent.model_validate_json(events.oss(key="a+b.png")).events[0].oss.object
    assert plain.decoded_key == plain.key == "a+b.png"


def test_oss_tolerates_old_and_new_shapes():
    raw = json.loads((DATA / "oss.json").read_bytes())
    rec = raw["events"][0]
    del rec["oss"]["object"]["objectMeta"]
    rec["oss"]["bucket"]["virtualBucket"] = ""
    rec["brandNewField"] = {"x": 1}
    rec["requestParameters"] = None
    ev = OSSEvent.model_validate(raw)
    assert ev.events[0].oss.object.object_meta is None
    assert ev.events[0].oss.bucket.virtual_bucket == ""
    assert ev.events[0].model_extra == {"brandNewField": {"x": 1}}
    assert ev.model_dump()["events"][0]["brandNewField"] == {"x": 1}


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda r: r["oss"]["bucket"].pop("name"), "events[0].oss.bucket.name"),
        (lambda r: r["oss"]["object"].pop("key"), "events[0].oss.object.key"),
        (lambda r: r["oss"]["object"].update(key=""), "events[0].oss.object.key"),
        (lambda r: r["oss"].update(object=None), "events[0].oss.object"),
    ],
)
def test_oss_is_strict_about_bucket_and_key(mutate, path):
    raw = json.loads((DATA / "oss.json").read_bytes())
    mutate(raw["events"][0])

    @fc.handler
    def handler(event: OSSEvent) -> str:
        return event.events[0].key

    with pytest.raises(fc.EventValidationError) as info:
        handler(json.dumps(raw).encode(), None)
    assert path in str(info.value)
    assert "164901546557" not in str(info.value)  # input values are not echoed


def test_oss_record_helpers():
    rec = OSSEvent.model_validate_json(events.oss(bucket="b", key="k")).events[0]
    assert (rec.bucket_name, rec.key, rec.is_created, rec.is_removed) == ("b", "k", True, False)
    removed = OSSEvent.model_validate_json(events.oss(event_name="ObjectRemoved:DeleteObject"))
    assert removed.events[0].is_removed


def test_timer_payload_helpers():
    assert TimerEvent.model_validate_json(events.timer(payload={"a": 1})).payload_json() == {"a": 1}
    assert TimerEvent.model_validate_json(events.timer(payload="plain")).payload_json() == "plain"
    assert (
        TimerEvent.model_validate(
            {"triggerTime": "2023-12-26T07:49:00Z", "triggerName": "t", "payload": None}
        ).payload_json()
        is None
    )


@pytest.mark.parametrize(
    ("name", "cls", "value"),
    [
        ("LogFileCreated", "CDNLogFileCreatedRecord", 1788115),
        ("CachedObjectsRefreshed", "CDNCachedObjectsRecord", ["/2018/03/16/13/33b430c57e7.mp4"]),
        ("CachedObjectsPushed", "CDNCachedObjectsRecord", ["/2018/03/16/13/33b430c57e7.mp4"]),
        ("CachedObjectsBlocked", "CDNCachedObjectsRecord", ["/2018/03/16/13/33b430c57e7.mp4"]),
        ("CdnDomainStarted", "CDNDomainStatusRecord", "online"),
        ("CdnDomainStopped", "CDNDomainStatusRecord", "offline"),
        ("CdnDomainAdded", "CDNDomainRecord", "example.com"),
        ("CdnDomainDeleted", "CDNDomainRecord", "example.com"),
        ("SomethingNew", "CDNRecord", {"domain": "example.com"}),
    ],
)
def test_cdn_parameter_typed_per_event_name(name, cls, value):
    rec = CDNEvent.model_validate_json(events.cdn(event_name=name)).events[0]
    assert type(rec).__name__ == cls
    p = rec.event_parameter
    got = {
        "CDNLogFileCreatedRecord": lambda: p.file_size,
        "CDNCachedObjectsRecord": lambda: p.object_path,
        "CDNDomainStatusRecord": lambda: p.status,
        "CDNDomainRecord": lambda: p.domain,
        "CDNRecord": lambda: p,
    }[cls]()
    assert got == value


def test_cdn_known_name_with_wrong_parameter_is_an_error_naming_the_field():
    raw = json.loads(events.cdn(event_name="LogFileCreated"))
    del raw["events"][0]["eventParameter"]["domain"]

    @fc.handler
    def handler(event: CDNEvent) -> str:
        return "x"

    with pytest.raises(fc.EventValidationError, match=r"eventParameter\.domain"):
        handler(json.dumps(raw), None)


def test_mns_topic_attributes_and_times():
    ev = MNSTopicEvent.model_validate_json(
        events.mns_topic(message="m", attributes={"Extend": '{"k":"v"}', "Tag": "t"})
    )
    assert ev.attributes == {"Extend": '{"k":"v"}', "Tag": "t"}
    assert ev.message_md5 == "BA4BA9B48AC81F0F9C66F6C909C3****"
    assert ev.published_at == dt.datetime(2019, 2, 15, 7, 41, 20, 40000, tzinfo=dt.timezone.utc)
    stream = MNSTopicStreamEvent.model_validate_json(
        (DATA / "mns-topic-stream-attrs.json").read_bytes()
    )
    assert stream.attributes == {"Extend": '{"key":"value"}'}


def test_kafka_value_forms():
    batch = TypeAdapter(KafkaEvent).validate_json(
        events.kafka(values=[{"n": 1}, '{"n": 2}', "text!", b"\x00\xff"])
    )
    assert [r.data.value_json() for r in batch[:3]] == [{"n": 1}, {"n": 2}, "text!"]
    assert batch[3].data.value_bytes() == b"\x00\xff"
    with pytest.raises(fc.EventDecodeError):
        batch[2].data.value_bytes()
    with pytest.raises(fc.EventDecodeError):
        batch[0].data.value_bytes()
    assert batch[0].data.timestamp_datetime.year == 2022
    assert batch[0].spec_version == "1.0"
    assert batch[0].aliyun_account_id


def test_cloudevent_generic_validates_data():
    ev = CloudEvent[int].model_validate_json(
        json.dumps(json.loads(events.cloudevents(items=["5"]))[0])
    )
    assert ev.data == 5
    with pytest.raises(ValidationError):
        CloudEvent[int].model_validate_json(
            json.dumps(json.loads(events.cloudevents(items=["x"]))[0])
        )


def test_other_batch_and_array_triggers():
    dts = TypeAdapter(DTSEvent).validate_json(events.dts())
    assert (dts[0].data.operation_type, dts[0].data.database_name) == ("UPDATE", "hangzhou-test-db")
    assert dts[0].data.model_dump()["schema"]["tableName"] == "message_info"
    rabbit = TypeAdapter(RabbitMQEvent).validate_json(events.rabbitmq(bodies=["x"]))
    assert rabbit[0].data.envelope.delivery_tag == 98
    own = TypeAdapter(SelfHostedRocketMQEvent).validate_json(
        events.rocketmq_selfhosted(bodies=["a", "b"])
    )
    assert [m.body for m in own] == ["a", "b"]
    mqtt = TypeAdapter(MQTTEvent).validate_json(events.mqtt(bodies=["on"]))
    assert mqtt[0].props.client_id == "GID_test@@@0"
    queue = TypeAdapter(MNSQueueEvent).validate_json(events.mns_queue(bodies=["a", {"b": 1}]))
    assert [r.data.message_body for r in queue] == ["a", '{"b":1}']


def test_http_and_apigateway_bodies():
    ev = HTTPTriggerEvent.model_validate_json(
        events.http(method="post", body=b"\x00\x01", headers={"X-A": ["1", "2"]}, query={"q": "v"})
    )
    assert (ev.method, ev.body_bytes, ev.header("x-a"), ev.query_parameters) == (
        "POST",
        b"\x00\x01",
        "1,2",
        {"q": "v"},
    )
    assert ev.header("missing", "d") == "d"
    assert HTTPTriggerEvent.model_validate_json(events.http(body={"a": 1})).json_body() == {"a": 1}
    with pytest.raises(fc.EventDecodeError):
        HTTPTriggerEvent.model_validate_json(events.http(body="not json")).json_body()
    broken = json.loads(events.http(body=b"x"))
    broken["body"] = "%%%"
    with pytest.raises(fc.EventDecodeError, match="base64"):
        HTTPTriggerEvent.model_validate(broken).body_bytes  # noqa: B018
    api = APIGatewayEvent.model_validate_json(
        events.apigateway(body="hi", path_parameters={"id": 1})
    )
    assert (api.body_bytes, api.path_parameters) == (b"hi", {"id": "1"})


def test_sls_event():
    ev = SLSEvent.model_validate_json((DATA / "sls.json").read_bytes())
    assert ev.source.logstore_name == "fc-test-logstore"
    assert ev.cursor_datetime == dt.datetime(2018, 6, 20, 9, 20, 25, tzinfo=dt.timezone.utc)
    assert SLSEvent.model_validate({"source": ev.source.model_dump()}).cursor_datetime is None


def _handler_for(model):
    @fc.handler(model=model)
    def handler(event, context):
        return "ok"

    return handler


def _validation_error(model, raw) -> fc.EventValidationError:
    with pytest.raises(fc.EventValidationError) as info:
        _handler_for(model)(json.dumps(raw).encode(), None)
    return info.value


@pytest.mark.parametrize(
    ("event_name", "mutate", "loc"),
    [
        (
            "LogFileCreated",
            lambda r: r["eventParameter"].update(domain=None),
            ("events", 0, "eventParameter", "domain"),
        ),
        (
            "CachedObjectsPushed",
            lambda r: r["eventParameter"].update(objectPath=[1]),
            ("events", 0, "eventParameter", "objectPath", 0),
        ),
        ("SomethingNew", lambda r: r.pop("eventName"), ("events", 0, "eventName")),
        ("SomethingNew", lambda r: r.update(eventParameter=[]), ("events", 0, "eventParameter")),
    ],
)
def test_cdn_errors_carry_the_events_own_path(event_name, mutate, loc):
    """The record class is picked by eventName: no union member or tag appears in the path."""
    raw = json.loads(events.cdn(event_name=event_name))
    mutate(raw["events"][0])
    err = _validation_error(CDNEvent, raw)
    assert [e["loc"] for e in err.errors()] == [loc]
    path = fc.errors.format_loc(loc)
    assert str(err) == f"1 validation error for CDNEvent: {path}: {err.errors()[0]['msg']}"


# (sample, path to a field FC may send as null, the value the model then holds)
NULLABLE = [
    ("http.json", ("isBase64Encoded",), lambda e: e.is_base64_encoded, False),
    ("http.json", ("headers",), lambda e: e.headers, {}),
    ("http.json", ("queryParameters",), lambda e: e.query_parameters, {}),
    ("http.json", ("headers", "header1"), lambda e: e.headers["header1"], ""),
    (
        "http.json",
        ("queryParameters", "parameter1"),
        lambda e: e.query_parameters["parameter1"],
        "",
    ),
    ("sls.json", ("parameter",), lambda e: e.parameter, {}),
    ("mns-topic-stream-attrs.json", ("attrs",), lambda e: e.attrs, {}),
    (
        "oss.json",
        ("events", 0, "oss", "object", "objectMeta", "userMeta"),
        lambda e: e.events[0].oss.object.object_meta.user_meta,
        {},
    ),
    (
        "rocketmq.json",
        (0, "data", "systemProperties"),
        lambda e: e[0].data.system_properties.keys,
        None,
    ),
    ("rocketmq.json", (0, "data", "userProperties"), lambda e: e[0].data.user_properties, {}),
    ("rabbitmq.json", (0, "data", "props"), lambda e: e[0].data.props, {}),
    ("kafka.json", (0, "data", "headers", "headers"), lambda e: e[0].data.headers.headers, []),
]


@pytest.mark.parametrize(("name", "path", "get", "expected"), NULLABLE)
def test_null_is_tolerated_where_a_default_exists(name, path, get, expected):
    raw = json.loads((DATA / name).read_bytes())
    parent = raw
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = None
    model = SAMPLES[name]
    seen = []

    @fc.handler(model=model)
    def handler(event, context):
        seen.append(event)
        return "ok"

    assert handler(json.dumps(raw).encode(), None) == "ok"
    assert get(seen[0]) == expected
    # and the result dumps and parses back to an equal value
    adapter = TypeAdapter(model)
    assert adapter.validate_json(adapter.dump_json(seen[0], by_alias=True)) == seen[0]


def test_null_is_still_an_error_where_the_handler_relies_on_the_field():
    raw = json.loads((DATA / "http.json").read_bytes())
    raw["rawPath"] = None
    err = _validation_error(HTTPTriggerEvent, raw)
    assert [e["loc"] for e in err.errors()] == [("rawPath",)]


def test_cloudevent_data_is_optional_but_trigger_data_is_required():
    raw = json.loads(events.cloudevents(items=[{"n": 1}]))
    del raw[0]["data"]

    @fc.handler
    def handler(event: List[CloudEvent]) -> list:
        return [e.data for e in event]

    assert json.loads(handler(json.dumps(raw), None)) == [None]
    assert CloudEvent[int].model_validate(raw[0]).data is None
    for name, model in [
        ("kafka.json", KafkaEvent),
        ("mns-queue.json", MNSQueueEvent),
        ("rabbitmq.json", RabbitMQEvent),
        ("rocketmq.json", RocketMQEvent),
    ]:
        trigger = json.loads((DATA / name).read_bytes())
        del trigger[0]["data"]
        err = _validation_error(model, trigger)
        assert [(e["loc"], e["msg"]) for e in err.errors()] == [((0, "data"), "Field required")]
    dts = json.loads(events.dts())
    del dts[0]["data"]
    err = _validation_error(DTSEvent, dts)
    assert [e["loc"] for e in err.errors()] == [(0, "data")]


def _admits_none(tp) -> bool:
    if tp is None or tp is type(None) or tp is Any or tp is object:
        return True
    if typing.get_origin(tp) is typing.Union:
        return any(_admits_none(a) for a in typing.get_args(tp))
    return False


def _all_models() -> list[type]:
    for name in fc.events.__all__:
        getattr(fc.events, name)
    seen: list[type] = []
    todo = [FCModel]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.append(sub)
                todo.append(sub)
    return [m for m in seen if m.__module__.startswith("fcsdk.events")]


def test_every_field_with_a_default_reads_null_as_that_default():
    """The one mechanism behind test_null_is_tolerated_where_a_default_exists, on every model."""
    missing = [
        f"{model.__name__}.{name}"
        for model in _all_models()
        for name, field in model.model_fields.items()
        if not field.is_required()
        and not _admits_none(field.annotation)
        and not any(getattr(m, "func", None) is _null_as_default for m in field.metadata)
    ]
    assert len(_all_models()) > 30
    assert missing == []
