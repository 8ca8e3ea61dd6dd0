"""Property tests: events generated from the models' JSON schemas, then mutated, and random bytes.

Whatever comes in, a handler's decoder either returns a value or raises an fcsdk EventError:
never a stray KeyError / TypeError / RecursionError / pydantic ValidationError.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any, List

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

import fcsdk as fc
from fcsdk._codec import make_decoder
from fcsdk.testing import events


def from_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Documents that follow a pydantic JSON Schema (the subset pydantic emits for our models):
    required properties always present, optional ones sometimes, unknown extras sometimes."""
    defs = schema.get("$defs", {})

    def build(node: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
        if "$ref" in node:
            return st.deferred(lambda: build(defs[node["$ref"].split("/")[-1]], depth + 1))
        for key in ("anyOf", "oneOf"):
            if key in node:
                return st.one_of([build(n, depth) for n in node[key]])
        if "const" in node:
            return st.just(node["const"])
        if "enum" in node:
            return st.sampled_from(node["enum"])
        kind = node.get("type")
        if kind == "object":
            props = node.get("properties", {})
            required = set(node.get("required", ()))
            if not props:
                extra = node.get("additionalProperties")
                values = build(extra, depth + 1) if isinstance(extra, dict) else json_value
                return st.dictionaries(st.text(max_size=8), values, max_size=3)
            fixed = {k: build(v, depth + 1) for k, v in props.items() if k in required}
            optional = {k: build(v, depth + 1) for k, v in props.items() if k not in required}
            return st.fixed_dictionaries(fixed, optional=optional)
        if kind == "array":
            items = node.get("items")
            inner = build(items, depth + 1) if isinstance(items, dict) else json_value
            return st.lists(inner, min_size=node.get("minItems", 0), max_size=3)
        if kind == "string":
            if node.get("format") == "date-time":
                return st.datetimes(timezones=st.just(__import__("datetime").timezone.utc)).map(
                    lambda d: d.isoformat()
                )
            if node.get("format") == "base64url":
                return st.binary(max_size=10).map(
                    lambda b: __import__("base64").b64encode(b).decode()
                )
            return st.text(min_size=node.get("minLength", 0), max_size=20)
        if kind == "integer":
            return st.integers(min_value=-(2**63), max_value=2**63 - 1)
        if kind == "number":
            return st.floats(allow_nan=False, allow_infinity=False)
        if kind == "boolean":
            return st.booleans()
        if kind == "null":
            return st.none()
        return json_value  # {} (Any)

    return build(schema)


MODELS = [
    "TimerEvent",
    "OSSEvent",
    "SLSEvent",
    "CDNEvent",
    "HTTPTriggerEvent",
    "APIGatewayEvent",
    "MNSTopicEvent",
    "MNSTopicStreamEvent",
    "MNSQueueEvent",
    "RocketMQEvent",
    "RabbitMQEvent",
    "KafkaEvent",
    "DTSEvent",
    "SelfHostedRocketMQEvent",
    "MQTTEvent",
    "TablestoreEvent",
]

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

json_leaf = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["", "2023-12-26T07:49:00Z", "1693896071895", "%E4%B8%AD", "true"])
)
json_value = st.recursive(
    json_leaf,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def mutated(draw: Any, doc: Any) -> Any:
    """``doc`` with one random change somewhere inside it (or none)."""
    doc = json.loads(json.dumps(doc))
    node, depth = doc, 0
    while isinstance(node, (dict, list)) and node and depth < 8:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        key = draw(st.sampled_from(keys))
        action = draw(st.sampled_from(["descend", "descend", "delete", "replace", "null", "wrap"]))
        if action == "descend" and isinstance(node[key], (dict, list)) and node[key]:
            node, depth = node[key], depth + 1
            continue
        if action == "delete":
            del node[key]
        elif action == "replace":
            node[key] = draw(json_value)
        elif action == "null":
            node[key] = None
        elif action == "wrap":
            node[key] = [node[key]]
        break
    if draw(st.booleans()) and isinstance(doc, dict):
        doc[draw(st.text(max_size=8))] = draw(json_value)
    return doc


def _check(decoder: Any, event: Any) -> None:
    with contextlib.suppress(fc.EventError):
        decoder(event)


def _schema(name: str) -> dict[str, Any]:
    return TypeAdapter(getattr(fc.events, name)).json_schema()


@pytest.mark.parametrize("name", MODELS)
def test_schema_generated_then_mutated_events_give_only_fcsdk_errors(name):
    model = getattr(fc.events, name)
    decoder = make_decoder(model)

    @SETTINGS
    @given(st.data())
    def run(data: Any) -> None:
        doc = data.draw(from_schema(_schema(name)))
        _check(decoder, json.dumps(doc))  # a schema-valid document: parses or EventError
        bad = data.draw(mutated(doc))
        _check(decoder, json.dumps(bad).encode())
        _check(decoder, bad)

    run()


@pytest.mark.parametrize("name", MODELS)
def test_real_samples_mutated(name):
    model = getattr(fc.events, name)
    decoder = make_decoder(model)
    sample_name = {
        "TimerEvent": "timer",
        "OSSEvent": "oss",
        "SLSEvent": "sls",
        "CDNEvent": "cdn",
        "HTTPTriggerEvent": "http",
        "APIGatewayEvent": "apigateway",
        "MNSTopicEvent": "mns-topic",
        "MNSQueueEvent": "mns-queue",
        "RocketMQEvent": "rocketmq",
        "RabbitMQEvent": "rabbitmq",
        "KafkaEvent": "kafka",
        "DTSEvent": "dts",
        "SelfHostedRocketMQEvent": "rocketmq-selfhosted",
        "MQTTEvent": "mqtt",
    }.get(name)
    if sample_name is None:
        doc: Any = {"body": "b", "attrs": {"k": "v"}}
        if name == "TablestoreEvent":
            doc = json.loads(
                (
                    __import__("pathlib").Path(__file__).parent
                    / "data/events/tablestore.decoded.json"
                ).read_text()
            )
    else:
        doc = json.loads(events.sample(sample_name))

    @SETTINGS
    @given(mutated(doc))
    def run(bad: Any) -> None:
        _check(decoder, json.dumps(bad))
        _check(decoder, bad)

    run()


ENVELOPES = [
    "Timer",
    "HTTPBody",
    "APIGatewayBody",
    "MNSTopic",
    "MNSTopicJSON",
    "MNSTopicStream",
    "MNSQueue",
    "RocketMQ",
    "RabbitMQ",
    "Kafka",
    "KafkaBase64",
    "CloudEvent",
    "SelfHostedRocketMQ",
    "MQTT",
]


@pytest.mark.parametrize("name", ENVELOPES)
def test_envelopes_with_random_payloads(name):
    envelope = getattr(fc.envelopes, name)
    decoder = envelope.make_decoder(List[dict[str, int]], include_input=False)
    factory = {
        "Timer": lambda ps: events.timer(payload=ps[0]),
        "HTTPBody": lambda ps: events.http(body=ps[0]),
        "APIGatewayBody": lambda ps: events.apigateway(body=ps[0]),
        "MNSTopic": lambda ps: events.mns_topic(message=ps[0], form="stream"),
        "MNSTopicJSON": lambda ps: events.mns_topic(message=ps[0]),
        "MNSTopicStream": lambda ps: events.mns_topic(message=ps[0], form="stream-attrs"),
        "MNSQueue": lambda ps: events.mns_queue(bodies=ps),
        "RocketMQ": lambda ps: events.rocketmq(bodies=ps),
        "RabbitMQ": lambda ps: events.rabbitmq(bodies=ps),
        "Kafka": lambda ps: events.kafka(values=ps),
        "KafkaBase64": lambda ps: events.kafka(values=ps),
        "CloudEvent": lambda ps: events.cloudevents(items=ps),
        "SelfHostedRocketMQ": lambda ps: events.rocketmq_selfhosted(bodies=ps),
        "MQTT": lambda ps: events.mqtt(bodies=ps),
    }[name]
    payload = json_value | st.text(max_size=30) | st.binary(max_size=30)

    @SETTINGS
    @given(st.lists(payload, min_size=1, max_size=3), st.data())
    def run(payloads: Any, data: Any) -> None:
        try:
            event = factory(payloads)
        except (UnicodeDecodeError, ValueError, TypeError):
            return  # the factory cannot express this payload (e.g. non-UTF-8 text)
        _check(decoder, event)
        try:
            doc = json.loads(event)
        except ValueError:  # an MNS STREAM message is raw text
            return
        _check(decoder, json.dumps(data.draw(mutated(doc))))

    run()


DECODERS = [*MODELS, "envelope:Kafka", "envelope:MNSTopic", "envelope:HTTPBody"]


@pytest.mark.parametrize("name", DECODERS)
def test_random_bytes(name):
    if name.startswith("envelope:"):
        decoder = getattr(fc.envelopes, name.split(":")[1]).make_decoder(dict, include_input=False)
    else:
        decoder = make_decoder(getattr(fc.events, name))

    @settings(max_examples=100, deadline=None)
    @given(st.binary(max_size=200) | st.text(max_size=100).map(str.encode))
    def run(data: bytes) -> None:
        _check(decoder, data)

    run()


def test_deeply_nested_input_is_an_event_error():
    deep = b"[" * 5000 + b"]" * 5000
    for name in ("OSSEvent", "KafkaEvent", "TablestoreEvent"):
        with pytest.raises(fc.EventError):
            make_decoder(getattr(fc.events, name))(deep)
    cbor_deep = b"\x81" * 100000 + b"\x00"
    with pytest.raises(fc.EventError):
        fc.events.TablestoreEvent.from_cbor(cbor_deep)
