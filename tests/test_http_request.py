"""fcsdk.http.Request: reading FC 3.0 HTTP trigger events (and WSGI environs)."""

import base64
import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

import fcsdk as fc
from fcsdk.http import (
    BadRequestError,
    Headers,
    QueryParams,
    Request,
    RequestValidationError,
    UnsupportedMediaTypeError,
)
from fcsdk.http.datastructures import canonical_header_key, split_commas
from fcsdk.http.testing import make_event

DATA = Path(__file__).parent / "data"


def test_reads_the_documented_sample_event():
    raw = (DATA / "http_event.json").read_bytes()
    req = Request.from_event(raw, {"x-fc-request-id": "r-1"})
    assert req.method == "GET"
    assert req.path == "/example"
    assert req.raw_path == "/example"
    assert req.body == b"Hello FC!"
    assert req.text == "Hello FC!"
    assert req.headers["HEADER2"] == "value1,value2"
    assert req.headers.getlist("header2") == ["value1", "value2"]
    assert req.query["parameter2"] == "value1,value2"
    assert req.query.getlist("parameter2") == ["value1", "value2"]
    assert req.source_ip == "11.11.11.**"
    assert req.request_context["requestId"] == "1-64f6cd87-*************"
    assert req.host == "<http-trigger-id>.<region-id>.fcapp.run"
    assert req.context.request_id == "r-1"
    assert req.event["version"] == "v1"


def test_reads_base64_body_non_ascii_path_and_joined_cookies():
    req = Request.from_event((DATA / "http_event_binary.json").read_text())
    assert req.path == "/upload/café"
    assert req.raw_path == "/upload/caf%C3%A9"
    assert req.body.startswith(b"\x89PNG")
    assert req.query["q"] == "café"
    # FC joined two Cookie headers with a comma: both halves are read.
    assert req.cookies == {"sid": "abc", "theme": "dark", "lang": "zh"}
    assert (
        req.url
        == "https://demo-trigger.cn-hangzhou.fcapp.run/upload/caf%C3%A9?tag=a%2Cb&q=caf%C3%A9"
    )
    with pytest.raises(BadRequestError, match="not valid UTF-8"):
        _ = req.text


def test_make_event_is_what_fc_sends():
    ev = json.loads(
        make_event(
            "post",
            "/a b/é?x=1&x=2",
            headers=[("x-tag", "a"), ("X-TAG", "b"), ("content-type", "text/plain")],
            body="hi",
        )
    )
    assert list(ev) == [
        "version",
        "rawPath",
        "body",
        "isBase64Encoded",
        "headers",
        "queryParameters",
        "requestContext",
    ]
    assert ev["rawPath"] == "/a%20b/%C3%A9"
    assert ev["requestContext"]["http"]["path"] == "/a b/é"
    assert ev["requestContext"]["http"]["method"] == "POST"
    assert ev["headers"] == {"Content-Type": "text/plain", "X-Tag": "a,b"}
    assert ev["queryParameters"] == {"x": "1,2"}
    assert ev["body"] == "hi"
    assert ev["isBase64Encoded"] is False
    assert ev["requestContext"]["timeEpoch"].isdigit()
    # Go's encoder escapes <, > and &.
    assert b"\\u003c" in make_event("GET", "/", headers={"x": "<"})


@pytest.mark.parametrize(
    ("event", "error", "where"),
    [
        (b"not json", fc.EventDecodeError, "not valid JSON"),
        (b"[1, 2]", fc.EventValidationError, "(root)"),
        (b"{}", fc.EventValidationError, "requestContext: Field required"),
        (b'{"requestContext": {"http": 3}}', fc.EventValidationError, "requestContext.http"),
        (
            b'{"requestContext": {"http": {}}}',
            fc.EventValidationError,
            "requestContext.http.method",
        ),
        (
            b'{"requestContext": {"http": {"method": "GET"}}, "headers": {"a": {"b": 1}}}',
            fc.EventValidationError,
            "headers.a",
        ),
        (
            b'{"requestContext": {"http": {"method": "GET"}}, "body": 5}',
            fc.EventValidationError,
            "body",
        ),
        (b'{"httpMethod": 5, "path": "/"}', fc.EventValidationError, "httpMethod"),
    ],
)
def test_bad_events_raise_fcsdk_errors_with_field_paths(event, error, where):
    with pytest.raises(error) as info:
        Request.from_event(event)
    assert where in str(info.value)


def test_bad_base64_is_an_event_error():
    ev = make_event("POST", "/", body="@@@", base64_body=False)
    data = json.loads(ev)
    data["isBase64Encoded"] = True
    req = Request.from_event(data)
    with pytest.raises(fc.EventDecodeError, match="not base64"):
        _ = req.body


FLAGS_ACCEPTED = [True, False, "true", "false", "TRUE", "yes", "off", "1", "0", 1, 0, 1.0, 0.0]
FLAGS_REFUSED = [" true", "", "maybe", "2", 2, 1.5, None, [], {}]


@pytest.mark.parametrize("flag", [*FLAGS_ACCEPTED, *FLAGS_REFUSED])
def test_is_base64_encoded_is_read_as_the_event_model_reads_it(flag):
    # FC sends a JSON boolean; the string forms are read as pydantic's lax bool reads them, so
    # fc.http.Request and fcsdk.events.HTTPTriggerEvent agree on every event.
    from pydantic import ValidationError

    from fcsdk.events import HTTPTriggerEvent

    data = json.loads(make_event("POST", "/b", body="aGk=", base64_body=False))
    data["isBase64Encoded"] = flag
    try:
        expected = HTTPTriggerEvent.model_validate(data).body_bytes
    except ValidationError:
        with pytest.raises(fc.EventValidationError, match="isBase64Encoded") as info:
            Request.from_event(json.dumps(data))
        assert info.value.errors()[0]["loc"] == ("isBase64Encoded",)
        return
    assert Request.from_event(json.dumps(data)).body == expected
    gateway = {"httpMethod": "POST", "path": "/b", "body": "aGk=", "isBase64Encoded": flag}
    assert Request.from_event(gateway).body == expected


def test_api_gateway_events_are_read_too():
    ev = {
        "path": "/p",
        "httpMethod": "PUT",
        "headers": {"Content-Type": "application/json"},
        "queryParameters": {"a": "1"},
        "pathParameters": {},
        "body": base64.b64encode(b'{"k": 1}').decode(),
        "isBase64Encoded": True,
    }
    req = Request.from_event(json.dumps(ev))
    assert (req.method, req.path, req.query["a"], req.json()) == ("PUT", "/p", "1", {"k": 1})


def test_minimal_event_uses_raw_path_when_http_path_is_missing():
    req = Request.from_event(
        {"rawPath": "/caf%C3%A9", "requestContext": {"http": {"method": "get"}}}
    )
    assert (req.method, req.path, req.body) == ("GET", "/café", b"")


class Item(BaseModel):
    name: str
    qty: int


def test_json_and_parse_errors_are_4xx_without_input_values():
    bad = Request("POST", "/", body=b'{"name": "secret-value", ')
    with pytest.raises(BadRequestError) as info:
        bad.json()
    assert info.value.status_code == 400
    assert "secret-value" not in str(info.value)

    wrong = Request(
        "POST",
        "/",
        body=b'{"name": "secret-value", "qty": "many"}',
        headers={"Content-Type": "application/json"},
    )
    with pytest.raises(RequestValidationError) as vinfo:
        wrong.parse(Item)
    assert vinfo.value.status_code == 422
    assert [e["loc"] for e in vinfo.value.errors()] == [("body", "qty")]
    assert "secret-value" not in json.dumps(vinfo.value.to_dict())
    assert "many" not in str(vinfo.value)

    with pytest.raises(UnsupportedMediaTypeError) as tinfo:
        Request(
            "POST",
            "/",
            body=b"name=x",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ).parse(Item)
    assert tinfo.value.status_code == 415

    with pytest.raises(RequestValidationError, match="body: Field required"):
        Request("POST", "/", body=b"").parse(Item)
    with pytest.raises(BadRequestError, match="UTF-8"):
        Request("POST", "/", body=b"\xff\xfe").parse(Item)
    assert Request("POST", "/", body=b'{"name": "a", "qty": 1}').parse(Item) == Item(
        name="a", qty=1
    )
    with pytest.raises(BadRequestError, match="nested too deeply"):
        Request("POST", "/", body=b"[" * 100000 + b"]" * 100000).json()


def test_headers_split_only_where_safe():
    h = Headers(
        {
            "Accept": 'text/html, application/json;q="0.9,x"',
            "If-Modified-Since": "Wed, 21 Oct 2015 07:28:00 GMT",
            "Link": "<https://a/x,y>; rel=next, <https://b>; rel=prev",
        }
    )
    assert h.getlist("accept") == ["text/html", 'application/json;q="0.9,x"']
    assert h.getlist("if-modified-since") == ["Wed, 21 Oct 2015 07:28:00 GMT"]
    assert h.getlist("link") == ["<https://a/x,y>; rel=next", "<https://b>; rel=prev"]
    assert h.getlist("missing") == []
    assert h.get("missing") is None
    assert "ACCEPT" in h
    assert len(h) == 3
    assert canonical_header_key("x-fc-request-id") == "X-Fc-Request-Id"
    assert canonical_header_key("bad key") == "bad key"


def test_query_params_read_the_same_from_fc_and_from_a_query_string():
    fc_q = QueryParams({"t": "a,b", "n": ""})
    real_q = QueryParams.from_string("t=a&t=b&n=")
    for q in (fc_q, real_q):
        assert q["t"] == "a,b"
        assert q.getlist("t") == ["a", "b"]
        assert q["n"] == ""
        assert q.multi_items() == [("t", "a"), ("t", "b"), ("n", "")]
    assert fc_q.to_query_string(split=False) == "t=a%2Cb&n="


def test_from_environ_reads_a_wsgi_request_and_its_fc_context():
    body = b'{"a": 1}'
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/caf\xc3\xa9",
        "QUERY_STRING": "x=1&x=2",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_COOKIE": "a=1; b=2",
        "REMOTE_ADDR": "10.0.0.1",
        "wsgi.input": io.BytesIO(body),
        "fc.context": {"x-fc-request-id": "r-wsgi"},
    }
    req = Request.from_environ(environ)
    assert req.path == "/café"
    assert req.query.getlist("x") == ["1", "2"]
    assert req.json() == {"a": 1}
    assert req.cookies == {"a": "1", "b": "2"}
    assert req.source_ip == "10.0.0.1"
    assert req.context.request_id == "r-wsgi"
    assert req.environ is environ


def test_split_commas_keeps_quoted_and_angled_commas():
    assert split_commas('a,"b\\",c",<d,e>,,f') == ["a", '"b\\",c"', "<d,e>", "f"]


_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
_names = st.text("abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=10).filter(
    lambda s: s.strip("-")
)


@settings(max_examples=150, deadline=None)
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"]),
    segments=st.lists(
        _text.filter(lambda s: "/" not in s and "?" not in s and "%" not in s), max_size=4
    ),
    query=st.dictionaries(_names, _text.filter(lambda s: "," not in s), max_size=4),
    headers=st.dictionaries(_names, st.text("abc xyz;=", max_size=10).map(str.strip), max_size=4),
    body=st.binary(max_size=64),
)
def test_make_event_round_trips_through_request(method, segments, query, headers, body):
    path = "/" + "/".join(segments)
    event = make_event(method, path, query=query, headers=headers, body=body)
    req = Request.from_event(event)
    assert req.method == method
    assert req.path == path
    assert req.body == body
    assert dict(req.query) == query
    for k, v in headers.items():
        assert req.headers[k] == v


@settings(max_examples=150, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(
                st.sampled_from(
                    ["requestContext", "http", "method", "headers", "body", "rawPath", "x"]
                ),
                inner,
                max_size=4,
            )
        ),
        max_leaves=12,
    )
)
def test_any_json_event_is_read_or_rejected_with_an_event_error(value):
    try:
        req = Request.from_event(json.dumps(value))
    except fc.EventError:
        return
    assert isinstance(req.method, str)
    _ = (req.body, req.headers, req.query, req.cookies, req.url)
