"""fcsdk.http.Router and @fc.http_handler, driven as FC drives them: event bytes in, FC JSON out."""

import asyncio
import datetime
import enum
import http.client
import json
import logging
import threading
from typing import Optional
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from pydantic import BaseModel

import fcsdk as fc
from fcsdk.http import CORS, HTTPError, JSONResponse, Request, Router
from fcsdk.http.testing import make_event, parse_response


class Item(BaseModel):
    name: str
    qty: int


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


def build_app() -> Router:
    app = Router()

    @app.get("/items/{item_id}")
    def get_item(item_id: int, q: Optional[str] = None, verbose: bool = False) -> dict:
        return {"id": item_id, "q": q, "verbose": verbose}

    @app.post("/items")
    def create(item: Item, request: Request, context: fc.Context) -> JSONResponse:
        return JSONResponse(
            {"name": item.name, "qty": item.qty, "rid": context.request_id, "path": request.path},
            status_code=201,
        )

    @app.get("/search")
    def search(
        tag: list[str], color: Color = Color.RED, since: Optional[datetime.date] = None
    ) -> dict:
        return {"tag": tag, "color": color.value, "since": since.isoformat() if since else None}

    @app.put("/raw")
    def raw(body: bytes) -> bytes:
        return body[::-1]

    @app.get("/files/{rest:path}")
    def files(rest: str) -> str:
        return rest

    @app.delete("/items/{item_id}")
    async def remove(item_id: int) -> None:
        await asyncio.sleep(0)

    @app.get("/boom")
    def boom(token: str = "") -> dict:
        raise RuntimeError(f"database password is hunter2 ({token})")

    @app.get("/teapot")
    def teapot() -> dict:
        raise HTTPError(418, "short and stout", headers={"X-Why": "tea"})

    @app.get("/cookies")
    def cookies(request: Request) -> fc.http.Response:
        resp = fc.http.text(",".join(f"{k}={v}" for k, v in sorted(request.cookies.items())))
        resp.set_cookie("a", "1")
        resp.set_cookie("b", "2")
        return resp

    return app


APP = build_app()


def call(app, *args, **kwargs):
    return parse_response(app(make_event(*args, **kwargs), {"x-fc-request-id": "req-42"}))


def test_path_and_query_parameters_are_typed():
    r = call(APP, "GET", "/items/7?q=pen&verbose=yes")
    assert (r.status_code, r.json()) == (200, {"id": 7, "q": "pen", "verbose": True})
    assert r.header("content-type") == "application/json"
    r = call(APP, "GET", "/search?tag=a&tag=b&color=blue&since=2024-05-06")
    assert r.json() == {"tag": ["a", "b"], "color": "blue", "since": "2024-05-06"}
    assert call(APP, "GET", "/files/a/b/c.txt").text == "a/b/c.txt"


@pytest.mark.parametrize(
    ("path", "locs"),
    [
        ("/items/seven", [["path", "item_id"]]),
        ("/items/7?verbose=maybe", [["query", "verbose"]]),
        ("/search", [["query", "tag"]]),
        ("/search?tag=x&color=green&since=yesterday", [["query", "color"], ["query", "since"]]),
    ],
)
def test_values_that_do_not_convert_are_422_with_field_paths(path, locs):
    r = call(APP, "GET", path)
    assert r.status_code == 422
    body = r.json()
    assert [e["loc"] for e in body["errors"]] == locs
    assert body["code"] == "request_validation"
    assert "seven" not in r.text
    assert "maybe" not in r.text
    assert "yesterday" not in r.text


def test_json_body_model_and_context_and_request_injection():
    r = call(APP, "POST", "/items", json={"name": "pen", "qty": 2})
    assert r.status_code == 201
    assert r.json() == {"name": "pen", "qty": 2, "rid": "req-42", "path": "/items"}


def test_body_errors_are_client_errors_never_500():
    bad_json = call(
        APP,
        "POST",
        "/items",
        body='{"name": "top-secret"',
        headers={"Content-Type": "application/json"},
    )
    assert bad_json.status_code == 400
    assert bad_json.json()["code"] == "bad_request"
    assert "top-secret" not in bad_json.text

    form = call(
        APP,
        "POST",
        "/items",
        body="name=x",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert form.status_code == 415

    invalid = call(APP, "POST", "/items", json={"name": "top-secret", "qty": "lots"})
    assert invalid.status_code == 422
    assert invalid.json()["errors"] == [
        {
            "loc": ["body", "qty"],
            "msg": "Input should be a valid integer, unable to parse string as an integer",
            "type": "int_parsing",
        }
    ]
    assert "top-secret" not in invalid.text
    assert "lots" not in invalid.text

    empty = call(APP, "POST", "/items")
    assert (empty.status_code, empty.json()["errors"][0]["loc"]) == (422, ["body"])

    binary_garbage = call(
        APP, "POST", "/items", body=b"\xff\xfe\x00", headers={"Content-Type": "application/json"}
    )
    assert binary_garbage.status_code == 400


def test_raw_bytes_body_and_binary_response():
    r = call(APP, "PUT", "/raw", body=b"\x00\x01\xff")
    assert (r.status_code, r.body, r.raw["isBase64Encoded"]) == (200, b"\xff\x01\x00", True)


def test_async_route_and_none_is_204():
    r = call(APP, "DELETE", "/items/3")
    assert (r.status_code, r.body) == (204, b"")


def test_404_and_405_are_json_with_allow():
    r = call(APP, "GET", "/nowhere")
    assert r.status_code == 404
    assert r.json()["code"] == "not_found"
    r = call(APP, "PATCH", "/items/3")
    assert r.status_code == 405
    assert r.header("allow") == "DELETE, GET, HEAD"
    assert call(APP, "POST", "/items/3").status_code == 405


def test_error_bodies_never_echo_the_client_input(caplog):
    app = Router(cors=CORS(allow_origins=["https://shop.example"]))

    @app.post("/items/{item_id}")
    def create(item_id: int, item: Item) -> dict:
        return {}

    caplog.set_level(logging.INFO, logger="fcsdk.http")
    cases = [
        (call(app, "GET", "/ck/caf%C3%A9"), 404, "Not Found", "café"),
        (call(app, "DELETE", "/items/7"), 405, "Method Not Allowed", "DELETE"),
        (
            call(app, "POST", "/items/7", body="x", headers={"Content-Type": "text/plain-evil"}),
            415,
            "Unsupported Media Type: expected a JSON body (Content-Type: application/json)",
            "text/plain-evil",
        ),
        (
            call(
                app,
                "OPTIONS",
                "/items/7",
                headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
            ),
            403,
            "CORS request not allowed",
            "https://evil.example",
        ),
        (
            call(
                app,
                "OPTIONS",
                "/items/7",
                headers={
                    "Origin": "https://shop.example",
                    "Access-Control-Request-Method": "PURGE",
                },
            ),
            403,
            "CORS request not allowed",
            "PURGE",
        ),
    ]
    for resp, status, message, echoed in cases:
        assert resp.status_code == status
        assert resp.json()["errorMessage"] == message
        assert echoed not in resp.text
        assert echoed in caplog.text  # the details are in the log, for the developer


def test_head_runs_get_without_body():
    r = call(APP, "HEAD", "/items/7")
    assert (r.status_code, r.body, r.header("content-type")) == (200, b"", "application/json")


def test_uncaught_exception_is_generic_500_with_traceback_only_in_the_log(caplog):
    with caplog.at_level(logging.ERROR, logger="fcsdk.http"):
        r = call(APP, "GET", "/boom?token=abc123")
    assert r.status_code == 500
    assert r.json() == {
        "errorMessage": "Internal Server Error",
        "errorType": "InternalServerError",
        "code": "internal",
        "requestId": "req-42",
    }
    assert "hunter2" not in r.text
    assert "abc123" not in r.text
    [record] = [rec for rec in caplog.records if rec.name == "fcsdk.http"]
    assert record.request_id == "req-42"
    assert "req-42" in record.getMessage()
    assert "GET /boom" in record.getMessage()
    assert "hunter2" in caplog.text
    assert "Traceback" in caplog.text


def test_http_error_keeps_status_message_and_headers():
    r = call(APP, "GET", "/teapot")
    assert r.status_code == 418
    assert r.json()["errorMessage"] == "short and stout"
    assert r.header("x-why") == "tea"


def test_cookies_in_and_out():
    r = call(APP, "GET", "/cookies", headers={"Cookie": "x=1; y=2"})
    assert r.text == "x=1,y=2"
    assert r.header_list("set-cookie") == ["a=1; Path=/; SameSite=lax", "b=2; Path=/; SameSite=lax"]


def test_exception_handlers_match_by_class_hierarchy():
    app = Router()

    class Missing(LookupError):
        pass

    @app.get("/x")
    def x() -> dict:
        raise Missing("gone")

    @app.get("/broken-handler")
    def y() -> dict:
        raise ValueError("v")

    @app.exception_handler(LookupError)
    def lookup(request, exc):
        return JSONResponse({"missing": str(exc), "path": request.path}, status_code=404)

    @app.exception_handler(ValueError)
    async def value(request, exc):
        raise RuntimeError("handler bug")

    @app.exception_handler(fc.http.NotFoundError)
    def not_found(request, exc):
        return fc.http.text("custom 404", 404)

    assert call(app, "GET", "/x").json() == {"missing": "gone", "path": "/x"}
    assert call(app, "GET", "/nope").text == "custom 404"
    assert call(app, "GET", "/broken-handler").status_code == 500


def test_cors_preflight_and_simple_requests():
    app = Router(
        cors=CORS(
            allow_origins=["https://shop.example"],
            allow_credentials=True,
            expose_headers=["X-Total"],
        )
    )

    @app.get("/data")
    def data() -> dict:
        return {}

    pre = call(
        app,
        "OPTIONS",
        "/data",
        headers={
            "Origin": "https://shop.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "x-token",
        },
    )
    assert pre.status_code == 204
    assert pre.header("access-control-allow-origin") == "https://shop.example"
    assert pre.header("access-control-allow-headers") == "x-token"
    assert pre.header("access-control-allow-credentials") == "true"
    simple = call(app, "GET", "/data", headers={"Origin": "https://shop.example"})
    assert simple.header("access-control-allow-origin") == "https://shop.example"
    assert simple.header("access-control-expose-headers") == "X-Total"
    evil = call(
        app,
        "OPTIONS",
        "/data",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert evil.status_code == 403
    assert (
        call(app, "GET", "/data", headers={"Origin": "https://evil.example"}).header(
            "access-control-allow-origin"
        )
        is None
    )
    open_app = Router(cors=True)
    open_app.get("/d")(data)
    assert (
        call(open_app, "GET", "/d", headers={"Origin": "https://a.example"}).header(
            "access-control-allow-origin"
        )
        == "*"
    )


def test_events_that_are_not_http_are_function_errors():
    with pytest.raises(fc.EventDecodeError):
        APP(b"hello", None)
    with pytest.raises(fc.EventValidationError, match="requestContext"):
        APP(b'{"events": []}', None)


def test_registration_mistakes_fail_at_decoration():
    app = Router()
    with pytest.raises(fc.ConfigurationError, match="path parameter"):
        app.get("/a/{x}")(lambda: None)
    with pytest.raises(fc.ConfigurationError, match="two body"):

        @app.post("/b")
        def two(a: Item, b: Item) -> None: ...

    with pytest.raises(fc.ConfigurationError, match="no parameter named 'body'"):
        app.post("/c", body=Item)(lambda x: None)
    with pytest.raises(ValueError, match="must start with"):
        app.get("nope")(lambda: None)
    with pytest.raises(ValueError, match="repeats"):
        app.get("/{a}/{a}")(lambda a: None)

    def bad(x: "Undefined") -> None: ...  # noqa: F821

    with pytest.raises(fc.ConfigurationError, match="annotations"):
        app.get("/d")(bad)


def test_locally_defined_models_resolve_with_string_annotations():
    app = Router()

    class Local(BaseModel):
        v: int

    @app.post("/l")
    def post(body: "Local") -> "Local":
        return body

    assert call(app, "POST", "/l", json={"v": 1}).json() == {"v": 1}


def test_http_handler_forms():
    @fc.http_handler
    def plain(request: Request) -> str:
        return f"{request.method} {request.path} {request.query.get('x')}"

    assert call(plain, "PUT", "/any/where?x=1").text == "PUT /any/where 1"
    assert plain.__wrapped__(Request("GET", "/")) == "GET / None"

    @fc.http_handler(body=Item)
    async def typed(body: Item, context: fc.Context) -> Item:
        return Item(name=body.name.upper(), qty=body.qty + 1)

    assert call(typed, "POST", "/", json={"name": "a", "qty": 1}).json() == {"name": "A", "qty": 2}
    r = call(typed, "POST", "/", json={"name": "a"})
    assert (r.status_code, r.json()["errors"][0]["loc"]) == (422, ["body", "qty"])


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def test_router_is_a_wsgi_app_for_fc2_http_functions_on_a_real_server():
    server = make_server("127.0.0.1", 0, APP, server_class=WSGIServer, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
        conn.request(
            "POST",
            "/items",
            body=json.dumps({"name": "pen", "qty": 2}),
            headers={"Content-Type": "application/json"},
        )
        resp = conn.getresponse()
        assert resp.status == 201
        assert json.loads(resp.read())["name"] == "pen"
        conn.request("GET", "/search?tag=a&tag=b")
        resp = conn.getresponse()
        assert json.loads(resp.read())["tag"] == ["a", "b"]
        conn.request("GET", "/cookies")
        resp = conn.getresponse()
        resp.read()
        assert resp.headers.get_all("Set-Cookie") == [
            "a=1; Path=/; SameSite=lax",
            "b=2; Path=/; SameSite=lax",
        ]
        conn.close()
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_wsgi_call_gets_fc_context_from_environ():
    @fc.http_handler
    def who(context: fc.Context) -> str:
        return context.request_id

    seen = []
    out = who(
        {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "fc.context": {"x-fc-request-id": "fc2-req"}},
        lambda status, headers: seen.append(status),
    )
    assert seen == ["200 OK"]
    assert out == [b"fc2-req"]
