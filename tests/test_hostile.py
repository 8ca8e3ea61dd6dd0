"""Hostile input: what an anonymous client (HTTP triggers need no auth) can send must cost a
small multiple of its size and end in a documented error, never a stray exception.

Secrets: tests/test_hostile_secrets.py; packages: tests/test_hostile_package.py; a real
`fcsdk serve` and the cost bounds against pydantic: tests/test_hostile_serve.py.
"""

from __future__ import annotations

import base64
import json
import tracemalloc
from typing import Any, Optional

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, field_validator

import fcsdk as fc
from fcsdk.http import Request, Router
from fcsdk.http.asgi import asgi
from fcsdk.http.testing import make_event
from fcsdk.http.wsgi import wsgi
from fcsdk.runtime.invoke import call_handler
from fcsdk.testing import invoke


class Order(BaseModel):
    id: str
    qty: int


def _many_empty(n: int) -> bytes:
    return b"[" + b"{}," * (n - 1) + b"{}]"


@fc.handler
def orders(event: list[Order]) -> int:
    return len(event)


# --- 1. invalid events cost a small multiple of their size --------------------------------------


def _peak_mb(fn: Any) -> float:
    tracemalloc.start()
    try:
        fn()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak / 1e6


def test_a_large_invalid_event_stops_early_and_stays_small() -> None:
    event = _many_empty(100_000)  # 300 KB, 200,000 errors for pydantic

    def call() -> None:
        with pytest.raises(fc.EventValidationError) as info:
            orders(event, None)
        exc = info.value
        assert exc.errors()[0]["loc"] == (0, "id")
        assert len(exc.errors()) <= 20
        assert len(str(exc)) < 1000
        assert "validation stopped at the first invalid item" in str(exc)

    assert _peak_mb(call) < 20  # fcsdk 0.1.0: every error as Python dicts, twice (> 100 MB)


def test_without_fail_fast_support_errors_are_still_bounded(monkeypatch) -> None:
    """pydantic < 2.8 has no fail_fast: pydantic's own cost, but one list of 20 errors."""
    from fcsdk import _limits

    monkeypatch.setattr(_limits, "fail_fast_validator", lambda adapter: None)

    @fc.handler
    def h(event: list[Order]) -> None:
        return None

    with pytest.raises(fc.EventValidationError) as info:
        h(_many_empty(50_000), None)
    assert str(info.value).startswith("100000 validation errors for list[Order]: [0].id:")
    assert len(info.value.errors()) == 20
    assert len(str(info.value)) < 1000


def test_small_events_still_list_their_errors_with_a_count() -> None:
    with pytest.raises(fc.EventValidationError) as info:
        orders(_many_empty(30), None)
    assert str(info.value).startswith("60 validation errors for list[Order]: [0].id:")
    assert str(info.value).endswith("; and 50 more")
    assert len(info.value.errors()) == 20


def test_already_decoded_events_with_many_errors_keep_twenty() -> None:
    event = [{} for _ in range(50_000)]

    def call() -> None:
        with pytest.raises(fc.EventValidationError) as info:
            orders(event, None)
        assert str(info.value).startswith("100000 validation errors for list[Order]")
        assert len(info.value.errors()) <= 20

    assert _peak_mb(call) < 20


def test_error_text_and_paths_are_clipped() -> None:
    @fc.handler
    def h(event: dict[str, int]) -> None:
        return None

    key = "k" * 1_000_000
    with pytest.raises(fc.EventValidationError) as info:
        h(json.dumps({key: "x"}).encode(), None)
    assert len(str(info.value)) < 1000
    assert len(info.value.errors()[0]["loc"][0]) < 100


class Quoting(BaseModel):
    name: str

    @field_validator("name")
    @classmethod
    def check(cls, v: str) -> str:
        raise ValueError(f"bad name {v}")  # quotes its input, as user validators do


def test_a_validator_quoting_a_huge_input_gives_a_short_message() -> None:
    @fc.handler(include_input=True)
    def h(event: Quoting) -> None:
        return None

    with pytest.raises(fc.EventValidationError) as info:
        h(json.dumps({"name": "n" * 500_000}).encode(), None)
    assert len(str(info.value)) < 1000


class Exhausting(BaseModel):
    name: str

    @field_validator("name")
    @classmethod
    def check(cls, v: str) -> str:
        raise MemoryError  # what a decode of an event too large for the instance raises


@pytest.mark.parametrize(
    "event", [b'{"name": "x"}', {"name": "x"}, b" " * 20_000 + b'{"name": "x"}']
)
def test_memory_error_during_decode_is_an_event_decode_error(event: Any) -> None:
    @fc.handler
    def h(event: Exhausting) -> None:
        return None

    with pytest.raises(fc.EventDecodeError, match="too large to decode"):
        h(event, None)


def test_router_422_body_stays_small() -> None:
    router = Router()

    @router.post("/items")
    def post(body: list[Order]) -> int:
        return len(body)

    for body in (_many_empty(1_000_000), json.dumps([{"id": "k" * 100_000}] * 30).encode()):
        event = make_event(
            "POST", "/items", body=body, headers={"content-type": "application/json"}
        )
        out = json.loads(router(event, None))
        assert out["statusCode"] == 422
        assert len(out["body"]) < 16 * 1024  # fcsdk 0.1.0: 140 MB for a 2.9 MB body
        assert json.loads(out["body"])["errorMessage"].startswith(
            ("2 validation errors", "1 validation error")
        )


def test_batch_envelopes_and_trigger_models_stop_early() -> None:
    @fc.handler(envelope=fc.envelopes.Kafka)
    def h(event: list[Order]) -> None:
        return None

    @fc.handler
    def t(event: fc.events.KafkaEvent) -> None:
        return None

    event = _many_empty(200_000)
    for handler in (h, t):

        def call(handler: Any = handler) -> None:
            with pytest.raises(fc.EventValidationError) as info:
                handler(event, None)
            assert len(info.value.errors()) <= 20

        assert _peak_mb(call) < 20


# --- 4. hostile HTTP events: 400 from the Router and bridges ------------------------------------

router = Router()


@router.get("/example")
def example(q: str = "") -> dict[str, bool]:
    return {"ok": True}


@router.post("/example")
def example_post(body: dict[str, Any]) -> dict[str, Any]:
    return body


async def _asgi_app(scope: Any, receive: Any, send: Any) -> None:
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": scope["path"].encode()})


def _wsgi_app(environ: Any, start_response: Any) -> list[bytes]:
    start_response("200 OK", [])
    return [environ["PATH_INFO"].encode("latin-1")]


TARGETS = {"router": router, "asgi": asgi(_asgi_app, lifespan="off"), "wsgi": wsgi(_wsgi_app)}
SAMPLE = json.loads(make_event("GET", "/example"))
S = "\udcff"  # a lone surrogate: JSON can carry it ("\\udcff"), UTF-8 cannot


def _event(**changes: Any) -> dict[str, Any]:
    event = json.loads(json.dumps(SAMPLE))
    for path, value in changes.items():
        *parents, last = path.split("__")
        where = event
        for p in parents:
            where = where.setdefault(p, {})
        where[last] = value
    return event


HOSTILE = {
    "rawPath": _event(rawPath="/example" + S),
    "path": _event(requestContext__http__path="/ex" + S, rawPath=None),
    "query": _event(queryParameters={"q" + S: "v" + S}),
    "domainName": _event(requestContext__domainName="x" + S + ".fcapp.run"),
    "header": _event(headers={"x-h": "v" + S}),
    "header-name": _event(headers={"x" + S: "v"}),
    "base64": _event(isBase64Encoded=True, body="!!not base64**"),
    "empty-label": _event(requestContext__domainName="a..fcapp.run", headers={}),
    "long-label": _event(requestContext__domainName="a" * 64 + ".fcapp.run", headers={}),
    "long-label-header": _event(headers={"host": "é" + "a" * 70 + ".run"}),
}


@pytest.mark.parametrize("form", ["dict", "bytes"])
@pytest.mark.parametrize("target", sorted(TARGETS))
@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_http_events_get_a_400(case: str, target: str, form: str) -> None:
    event: Any = HOSTILE[case]
    if form == "bytes":
        event = json.dumps(event).encode()  # \\udcff escapes, as a JSON encoder writes them
    out = json.loads(TARGETS[target](event, None))
    assert out["statusCode"] == 400, out
    assert json.loads(out["body"])["errorType"] == "BadRequestError"


@pytest.mark.parametrize("identity", ["x", [1], 5, None])
@pytest.mark.parametrize("target", sorted(TARGETS))
def test_identity_that_is_not_an_object(identity: Any, target: str) -> None:
    event = _event(requestContext__identity=identity)
    event["requestContext"]["http"].pop("sourceIp", None)
    assert json.loads(TARGETS[target](event, None))["statusCode"] == 200
    assert Request.from_event(event).source_ip is None


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_typed_handlers_raise_event_errors_on_the_bytes(case: str) -> None:
    @fc.handler
    def h(event: fc.events.HTTPTriggerEvent) -> Optional[bytes]:
        return event.body_bytes

    @fc.handler(envelope=fc.envelopes.HTTPBody)
    def e(event: dict[str, Any]) -> None:
        return None

    data = json.dumps(HOSTILE[case]).encode()
    if "label" in case:  # valid JSON and valid Unicode: the model takes it as it is
        h(data, None)
    else:  # lone surrogates (JSON parser), or the body is not the base64 it claims to be
        with pytest.raises(fc.EventDecodeError):
            h(data, None)
    with pytest.raises(fc.EventError):
        e(data, None)  # no JSON body in these events


_text = st.text(st.characters(blacklist_categories=()), max_size=12)  # surrogates included
_value = st.one_of(_text, st.none(), st.integers(), st.lists(_text, max_size=2), st.booleans())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    raw_path=st.one_of(st.none(), _text.map(lambda t: "/" + t)),
    path=st.one_of(st.none(), _text.map(lambda t: "/" + t)),
    query=st.dictionaries(_text, _value, max_size=3),
    headers=st.dictionaries(_text, _value, max_size=3),
    domain=st.one_of(_text, st.none(), st.just("a..b"), st.just("x" * 70)),
    b64=st.booleans(),
    body=st.one_of(_text, st.binary(max_size=20).map(lambda b: base64.b64encode(b).decode())),
    identity=st.one_of(st.none(), _text, st.dictionaries(_text, _value, max_size=2)),
    method=st.sampled_from(["GET", "POST", "HEAD", "PUT"]),
)
def test_any_http_event_gets_an_answer_or_an_event_error(**parts: Any) -> None:
    event = _event(
        rawPath=parts["raw_path"],
        queryParameters=parts["query"],
        headers=parts["headers"],
        isBase64Encoded=parts["b64"],
        body=parts["body"],
        requestContext__domainName=parts["domain"],
        requestContext__identity=parts["identity"],
        requestContext__http__path=parts["path"],
        requestContext__http__method=parts["method"],
    )
    data = json.dumps(event).encode()
    for target in TARGETS.values():
        for form in (event, data):
            try:
                out = json.loads(target(form, None))
            except fc.EventError:
                continue  # not an HTTP trigger event at all: the invoker's mistake
            assert out["statusCode"] in (200, 400, 404, 405, 415, 422), out


# --- 4. already-decoded events: EventDecodeError ------------------------------------------------


def _circular() -> dict[str, Any]:
    loop: dict[str, Any] = {}
    loop["self"] = loop
    return loop


def _deep(n: int) -> list[Any]:
    root: list[Any] = []
    cur = root
    for _ in range(n):
        nxt: list[Any] = []
        cur.append(nxt)
        cur = nxt
    return root


BAD_OBJECTS = {
    "circular": _circular(),
    "deep": {"a": _deep(100_000)},
    "set": {"a": {1, 2}},
    "object": {"a": object()},
    "nan": {"a": float("nan")},
    "set-root": {1, 2},
    "tuple-key": {(1, 2): 1},
}


@pytest.mark.parametrize("model", [dict, dict[str, Any], list, Order, fc.events.TimerEvent])
@pytest.mark.parametrize("case", sorted(BAD_OBJECTS))
def test_already_decoded_events_that_json_cannot_hold(case: str, model: Any) -> None:
    handler = fc.handler(model=model)(lambda event: "ok")
    with pytest.raises(fc.EventDecodeError):
        handler(BAD_OBJECTS[case], None)


def test_shared_sub_objects_are_fine() -> None:
    shared = {"id": "a", "qty": 1}
    assert orders([shared, shared, shared], None) == "3"


_json = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), _text),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(_text, inner, max_size=3),
        st.frozensets(st.integers(), max_size=2),
    ),
    max_leaves=10,
)


@settings(max_examples=200, deadline=None)
@given(_json)
def test_any_decoded_value_is_accepted_or_an_event_error(value: Any) -> None:
    handler = fc.handler(model=dict[str, Any])(lambda event: "ok")
    try:
        json_ok = isinstance(value, dict) and bool(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError):
        json_ok = False
    if json_ok:
        assert handler(value, None) == "ok"
    else:
        with pytest.raises(fc.EventError):
            handler(value, None)


# --- 6. testing.invoke treats SystemExit as the runtime does ------------------------------------


@pytest.mark.parametrize("exc", [SystemExit(3), SystemExit("bye"), KeyboardInterrupt()])
def test_testing_invoke_reports_system_exit_like_the_runtime(exc: BaseException) -> None:
    def handler(event: bytes, context: Any) -> None:
        raise exc

    result = invoke(handler, b"{}", raise_errors=False)
    runtime = call_handler(handler, b"{}", None)
    assert not result.ok
    assert result.error_type == type(exc).__name__
    assert result.headers["X-Fc-Error-Type"] == "UnhandledInvocationError"
    assert result.json()["errorType"] == runtime.error["errorType"]
    assert result.json()["errorMessage"] == runtime.error["errorMessage"]
    with pytest.raises(type(exc)):
        invoke(handler, b"{}")
