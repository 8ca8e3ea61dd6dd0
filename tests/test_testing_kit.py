"""fcsdk.testing: fake contexts of both shapes, invoke() like FC's runtime, the pytest fixtures."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import subprocess
import sys

import pytest
from pydantic import BaseModel

import fcsdk as fc
from fcsdk.testing import InvokeResult, encode_event, events, fake_context, invoke


class Out(BaseModel):
    n: int


def test_shape_a_context_reads_through_fc_context():
    native = fake_context(
        "python3.9", request_id="r-1", memory=128, timeout=30, retry_count=2, access_key_id="AK"
    )
    assert native.requestId == "r-1"
    assert native.function.timeout == "30"
    assert native.credentials.accessKeySecret == "fcsdk-test-key-secret"
    ctx = fc.Context.of(native)
    assert (ctx.request_id, ctx.function.memory, ctx.function.timeout, ctx.retry_count) == (
        "r-1",
        128,
        30,
        2,
    )
    assert ctx.credentials.access_key_id == "AK"
    assert ctx.service.name == "fcsdk-test-service"
    assert "fcsdk-test-key-secret" not in repr(native.credentials)


def test_shape_b_context_has_no_credentials_service_or_tracing():
    native = fake_context("python3.12", version_id="3", log_project="p")
    for missing in ("credentials", "service", "tracing"):
        assert not hasattr(native, missing)
    assert native.logger is not None
    assert native.log_project == "p"
    ctx = fc.Context.of(native, environ={})
    assert ctx.function.version_id == "3"
    assert ctx.credentials is None
    with pytest.raises(TypeError, match="no credentials"):
        fake_context("python3.12", access_key_id="x")


def test_fake_context_rejects_unknown_input():
    with pytest.raises(ValueError, match="unknown runtime"):
        fake_context("python2.7")
    with pytest.raises(TypeError, match="unknown fields"):
        fake_context(colour="red")
    with pytest.raises(AttributeError):
        fake_context().nothing  # noqa: B018


def test_encode_event_like_fc():
    assert encode_event(b"x") == b"x"
    assert encode_event(memoryview(b"y")) == b"y"
    assert encode_event("é") == "é".encode()
    assert encode_event(None) == b""
    assert json.loads(encode_event({"t": dt.datetime(2024, 1, 1)})) == {"t": "2024-01-01T00:00:00"}
    ev = fc.events.TimerEvent(trigger_time="2024-01-01T00:00:00Z", trigger_name="t")
    assert json.loads(encode_event(ev))["triggerName"] == "t"
    assert json.loads(encode_event([Out(n=1)])) == [{"n": 1}]


def test_invoke_returns_fc_body():
    @fc.handler
    def handler(event: fc.events.TimerEvent, context: fc.Context) -> dict:
        return {"payload": event.payload, "request": context.request_id}

    r = invoke(handler, events.timer(payload="p"), fake_context(request_id="rid"))
    assert isinstance(r, InvokeResult)
    assert r.ok
    assert r.error_type is None
    assert r.body == b'{\n    "payload": "p",\n    "request": "rid"\n}'
    assert r.json() == {"payload": "p", "request": "rid"}
    assert json.loads(r.text) == r.json()


def test_invoke_plain_handler_as_the_runtime_does():
    def plain(event, context):
        return {"d": decimal.Decimal("1.5"), "when": dt.date(2024, 1, 2), "raw": event.decode()}

    assert invoke(plain, {"a": 1}).json() == {"d": 1.5, "raw": '{"a":1}', "when": "2024-01-02"}
    assert invoke(lambda e, c: b"\x00", b"").body == b"\x00"
    assert invoke(lambda e, c: "é", b"").body == "é".encode()
    assert invoke(lambda e, c: None, b"").body == b"null"

    # a pydantic model returned by a plain handler fails on FC: it fails here too
    with pytest.raises(TypeError, match="not JSON serializable"):
        invoke(lambda e, c: Out(n=1), b"")
    r = invoke(lambda e, c: Out(n=1), b"", raise_errors=False)
    assert r.error_type == "TypeError"


def test_invoke_errors_by_flag():
    @fc.handler
    def handler(event: Out) -> int:
        return event.n

    with pytest.raises(fc.EventValidationError):
        invoke(handler, {"n": "x"})
    r = invoke(handler, {"n": "x"}, raise_errors=False)
    assert not r.ok
    assert r.error_type == "EventValidationError"
    assert r.headers == {"X-Fc-Error-Type": "UnhandledInvocationError"}
    body = r.json()
    assert body["errorType"] == "EventValidationError"
    assert body["errorMessage"].startswith("1 validation error for Out: n:")
    assert all(len(f) == 4 and f[1].startswith("line ") for f in body["stackTrace"])
    assert isinstance(r.exception, fc.EventValidationError)

    def plain(event, context):
        raise ValueError("prix négatif")

    r = invoke(plain, b"", raise_errors=False)
    assert r.json()["errorMessage"] == "prix négatif"
    assert b'"prix n\\u00e9gatif"' in r.body  # ASCII escapes, as FC writes its error JSON
    frames = r.json()["stackTrace"]
    assert [f[2] for f in frames] == ["in plain"]  # fcsdk.testing's own frames left out
    assert frames[0][3] == 'raise ValueError("prix négatif")'


def test_fixtures(fc_context, fc_invoke):
    @fc.handler
    def handler(event: dict, context: fc.Context) -> str:
        return context.request_id

    assert fc_invoke(handler, {}).text == fc_context.request_id
    other = fake_context(request_id="other")
    assert fc_invoke(handler, {}, other).text == "other"
    assert not fc_invoke(lambda e, c: 1 / 0, b"", raise_errors=False).ok


def test_plugin_imports_cheaply():
    code = (
        "import sys; import fcsdk.testing.pytest_plugin; "
        "print(sorted(m for m in sys.modules if m.startswith(('fcsdk.events', 'pydantic', 'cbor2'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("name", events.names())
def test_every_sample_parses_as_its_model(name):
    from pydantic import TypeAdapter

    model = {
        "apigateway": fc.events.APIGatewayEvent,
        "cdn": fc.events.CDNEvent,
        "cloudevents": list[fc.events.CloudEvent],
        "dts": fc.events.DTSEvent,
        "http": fc.events.HTTPTriggerEvent,
        "kafka": fc.events.KafkaEvent,
        "mns-queue": fc.events.MNSQueueEvent,
        "mns-topic": fc.events.MNSTopicEvent,
        "mqtt": fc.events.MQTTEvent,
        "oss": fc.events.OSSEvent,
        "rabbitmq": fc.events.RabbitMQEvent,
        "rocketmq": fc.events.RocketMQEvent,
        "rocketmq-selfhosted": fc.events.SelfHostedRocketMQEvent,
        "sls": fc.events.SLSEvent,
        "tablestore": fc.events.TablestoreEvent,
        "timer": fc.events.TimerEvent,
    }[name]
    data = events.sample(name)
    assert isinstance(data, bytes)
    if name == "tablestore":
        assert fc.events.TablestoreEvent.from_cbor(data).records
    else:
        TypeAdapter(model).validate_json(data)


def test_sample_names_and_errors():
    assert events.sample("MNS_TOPIC", form="stream", message="m") == b"m"
    with pytest.raises(KeyError, match="known: apigateway"):
        events.sample("nope")
    with pytest.raises(ValueError, match="form must be"):
        events.mns_topic(form="xml")
    assert (
        json.loads(events.timer(trigger_time=dt.datetime(2024, 1, 1)))["triggerTime"]
        == "2024-01-01T00:00:00Z"
    )
    assert (
        json.loads(events.oss(mime_type=None))["events"][0]["oss"]["object"].get("objectMeta")
        is None
    )


def test_http_factory_is_the_http_packages_fc_event():
    from fcsdk.http.testing import make_event

    ev = events.http(
        method="post", path="/a b?x=1", headers={"x-id": 7, "accept": ["a", "b"]}, query={"x": 2}
    )
    assert ev == events.http(
        method="post", path="/a b?x=1", headers={"x-id": 7, "accept": ["a", "b"]}, query={"x": 2}
    )  # fixed time and ids: the same bytes every time
    doc = json.loads(ev)
    assert (doc["rawPath"], doc["requestContext"]["http"]["path"]) == ("/a%20b", "/a b")
    assert doc["headers"] == {"Accept": "a,b", "X-Id": "7"}
    assert doc["queryParameters"] == {"x": "1,2"}
    assert doc["requestContext"]["timeEpoch"] == "1693896071000"
    assert ev == make_event(
        "post",
        "/a b?x=1",
        headers={"x-id": "7", "accept": ["a", "b"]},
        query={"x": "2"},
        source_ip="11.11.11.11",
        request_id=doc["requestContext"]["requestId"],
        domain_prefix="example",
        account_id=doc["requestContext"]["accountId"],
        epoch_ms=1693896071000,
    )
    as_json = json.loads(events.http(body={"qty": 2}))
    assert (as_json["body"], as_json["headers"]) == (
        '{"qty":2}',
        {"Content-Type": "application/json"},
    )


def test_fake_context_is_the_runtimes_native_context():
    from fcsdk.runtime.native import NativeContextA, NativeContextB

    a = fake_context("python3.10", request_id="r", retry_count=1, span_context="s", log_store="l")
    assert type(a) is NativeContextA  # the object fcsdk invoke / serve give raw handlers
    assert (a.requestId, a.retryCount, a.accountId) == ("r", "1", "123456789012****")
    assert (a.tracing.spanContext, a.service.logStore, a.service.versionId) == ("s", "l", None)
    assert "fcsdk-test-key-secret" not in repr(a)
    assert "fcsdk-test-security-token" not in repr(a)
    b = fake_context("python3.12", request_id="r2", version_id="3", timeout=30)
    assert type(b) is NativeContextB
    assert (b.requestId, b.function.versionId, b.function.timeout) == ("r2", "3", 30)
    assert fc.Context.of(b, environ={}).function.timeout == 30
