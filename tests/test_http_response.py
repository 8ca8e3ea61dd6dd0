"""fcsdk.http responses: FC's {statusCode, headers, isBase64Encoded, body} shape."""

import dataclasses
import datetime
import json
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field

from fcsdk import http
from fcsdk.http import JSONResponse, Response
from fcsdk.http.response import is_text_content_type, to_response
from fcsdk.http.testing import parse_response


class Out(BaseModel):
    item_id: int = Field(alias="itemId")
    when: datetime.date


@dataclasses.dataclass
class Point:
    x: int
    y: int


def test_json_response_serializes_models_by_alias_dataclasses_and_extras():
    body = json.loads(
        JSONResponse({"m": Out(itemId=1, when=datetime.date(2024, 1, 2))}).to_fc()["body"]
    )
    assert body == {"m": {"itemId": 1, "when": "2024-01-02"}}
    assert json.loads(JSONResponse(Point(1, 2)).body) == {"x": 1, "y": 2}
    u = uuid.UUID(int=1)
    assert json.loads(JSONResponse([u, {"é"}]).body) == [str(u), ["é"]]
    with pytest.raises(TypeError, match="object"):
        JSONResponse({"x": object()})
    with pytest.raises(ValueError):
        JSONResponse(float("nan"))


def test_text_bodies_stay_text_and_binary_bodies_are_base64():
    fc_text = http.text("héllo").to_fc()
    assert fc_text == {
        "statusCode": 200,
        "headers": {"content-type": "text/plain; charset=utf-8"},
        "isBase64Encoded": False,
        "body": "héllo",
    }
    png = b"\x89PNG\r\n\x1a\n\x00"
    fc_bin = http.binary(png, "image/png", filename="café.png").to_fc()
    assert fc_bin["isBase64Encoded"] is True
    assert parse_response(fc_bin).body == png
    assert fc_bin["headers"]["content-disposition"] == "attachment; filename*=UTF-8''caf%C3%A9.png"
    # textual type but not UTF-8, or compressed: base64
    assert Response(b"\xff", media_type="text/plain").to_fc()["isBase64Encoded"] is True
    gz = Response(b"abc", headers={"Content-Encoding": "gzip"}, media_type="application/json")
    assert gz.to_fc()["isBase64Encoded"] is True
    # no content type: base64 (FC's client gets the exact bytes either way)
    assert Response(b"abc").to_fc()["isBase64Encoded"] is True
    assert Response().to_fc() == {
        "statusCode": 200,
        "headers": {},
        "isBase64Encoded": False,
        "body": "",
    }


@pytest.mark.parametrize(
    ("ctype", "text"),
    [
        ("text/csv", True),
        ("application/json; charset=utf-8", True),
        ("application/problem+json", True),
        ("application/atom+xml", True),
        ("image/svg+xml", True),
        ("application/x-www-form-urlencoded", True),
        ("application/javascript", True),
        ("image/png", False),
        ("application/octet-stream", False),
        ("application/pdf", False),
        (None, False),
    ],
)
def test_text_content_types(ctype, text):
    assert is_text_content_type(ctype) is text


def test_repeated_headers_join_and_cookies_get_one_key_each():
    r = Response(b"", 200, [("Vary", "Origin"), ("vary", "Accept"), ("X-A", "1")])
    for i in range(5):
        r.set_cookie(f"c{i}", f"v{i}", expires="Wed, 21 Oct 2015 07:28:00 GMT")
    out = r.to_fc()["headers"]
    assert out["Vary"] == "Origin, Accept"
    cookie_keys = [k for k in out if k.lower() == "set-cookie"]
    assert len(cookie_keys) == 5 == len(set(cookie_keys))
    # As FC delivers it: five Set-Cookie lines, commas in dates intact.
    lines = parse_response(r.encode()).header_list("set-cookie")
    assert [line.split(";")[0] for line in lines] == [f"c{i}=v{i}" for i in range(5)]
    assert all("Wed, 21 Oct 2015 07:28:00 GMT" in line for line in lines)


def test_many_cookies_keep_distinct_keys():
    r = Response()
    for i in range(300):
        r.set_cookie(f"c{i}", "v")
    keys = [k for k in r.to_fc()["headers"] if k.lower() == "set-cookie"]
    assert len(set(keys)) == 300


def test_cookie_helpers_and_header_setters():
    r = Response()
    r.set_cookie(
        "sid", "a b", max_age=60, secure=True, httponly=True, domain="x.example", samesite="strict"
    )
    r.delete_cookie("old")
    lines = [v for k, v in r.headers if k == "Set-Cookie"]
    assert (
        lines[0]
        == 'sid="a b"; Domain=x.example; HttpOnly; Max-Age=60; Path=/; SameSite=strict; Secure'
    )
    assert lines[1].startswith('old=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0')
    r.set_header("X-One", "1")
    r.set_header("x-one", "2")
    assert r.get_header("X-ONE") == "2"
    assert r.get_header("nope") is None


def test_redirect_and_html_helpers():
    fc_resp = http.redirect("/café?x=1", 302).to_fc()
    assert fc_resp["statusCode"] == 302
    assert fc_resp["headers"] == {"location": "/caf%C3%A9?x=1"}
    assert http.html("<b>x</b>").to_fc()["body"] == "<b>x</b>"


def test_to_response_conversions():
    assert to_response(None).status_code == 204
    assert to_response("x").get_header("content-type") == "text/plain; charset=utf-8"
    assert to_response(b"\x00").get_header("content-type") == "application/octet-stream"
    assert to_response([1]).body == b"[1]"
    assert (
        to_response(Out(itemId=3, when=datetime.date(2024, 1, 1))).body
        == b'{"itemId":3,"when":"2024-01-01"}'
    )
    r = Response(status_code=201)
    assert to_response(r) is r


def test_encode_is_compact_utf8_json():
    text = JSONResponse({"k": "é"}).encode()
    assert (
        text
        == '{"statusCode":200,"headers":{"content-type":"application/json"},"isBase64Encoded":false,"body":"{\\"k\\":\\"é\\"}"}'
    )
    with pytest.raises(ValueError, match="statusCode"):
        parse_response("{}")


def test_http_error_status_is_checked():
    with pytest.raises(ValueError, match="between 100 and 599"):
        http.HTTPError(42)


@settings(max_examples=150, deadline=None)
@given(
    body=st.binary(max_size=200),
    ctype=st.sampled_from(
        [None, "text/plain", "application/json", "image/png", "application/octet-stream"]
    ),
    cookies=st.lists(st.text("abcdef=,; ", min_size=1, max_size=12), max_size=6),
)
def test_any_response_round_trips_through_fc_shape(body, ctype, cookies):
    r = Response(body, 200, media_type=ctype)
    for i, c in enumerate(cookies):
        r.headers.append(("Set-Cookie", f"c{i}={c}"))
    back = parse_response(r.encode())
    assert back.body == body
    assert back.header_list("set-cookie") == [f"c{i}={c}" for i, c in enumerate(cookies)]
