"""Route parameter binding: JSON bodies that are lists or dicts, strict integers, and query
strings from real WSGI requests (FC 2.0), driven as FC and clients drive them."""

import http.client
import json
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from typing import Any, Dict, List, Optional
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from pydantic import BaseModel

from fcsdk.http import Request, Router
from fcsdk.http.testing import make_event, parse_response


class Item(BaseModel):
    name: str


def call(app, *args, **kwargs):
    return parse_response(app(make_event(*args, **kwargs), {"x-fc-request-id": "req-7"}))


def build_body_app() -> Router:
    app = Router()

    @app.post("/pep585", body=list[Item])
    def pep585(items: list[Item]) -> list[Item]:
        return items

    @app.post("/typing-list")
    def typing_list(items: List[Item]) -> dict:
        return {"n": len(items), "first": items[0].name}

    @app.post("/builtin-list")
    def builtin_list(items: list[Item]) -> dict:
        return {"n": len(items)}

    @app.post("/sequence")
    def sequence(items: Sequence[Item]) -> dict:
        return {"n": len(items)}

    @app.post("/dict")
    def plain_dict(payload: dict) -> dict:
        return {"keys": sorted(payload)}

    @app.post("/typed-dict")
    def typed_dict(payload: Dict[str, int], tag: Optional[str] = None) -> dict:
        return {"sum": sum(payload.values()), "tag": tag}

    @app.post("/mapping")
    def mapping(payload: Mapping[str, Any]) -> dict:
        return {"n": len(payload)}

    @app.get("/tags")
    def tags(tag: List[int] = []) -> dict:  # noqa: B006 - a query list stays a query list
        return {"tag": tag}

    return app


BODY_APP = build_body_app()


@pytest.mark.parametrize("path", ["/pep585", "/typing-list", "/builtin-list", "/sequence"])
def test_a_json_list_of_models_is_the_body(path):
    r = call(BODY_APP, "POST", path, json=[{"name": "a"}, {"name": "b"}])
    assert r.status_code == 200, r.text
    bad = call(BODY_APP, "POST", path, json=[{"name": "a"}, {"nom": "SECRET"}])
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"] == ["body", 1, "name"]
    assert "SECRET" not in bad.text


def test_pep585_list_body_round_trips():
    r = call(BODY_APP, "POST", "/pep585", json=[{"name": "a"}])
    assert r.json() == [{"name": "a"}]


@pytest.mark.parametrize("path", ["/dict", "/typed-dict", "/mapping"])
def test_a_dict_annotation_is_the_body(path):
    r = call(BODY_APP, "POST", path + "?tag=t", json={"x": 1, "y": 2})
    assert r.status_code == 200, r.text
    assert call(BODY_APP, "POST", path, json=[1]).status_code == 422


def test_query_lists_of_scalars_stay_query_parameters():
    assert call(BODY_APP, "GET", "/tags?tag=1&tag=2").json() == {"tag": [1, 2]}


def build_int_app() -> Router:
    app = Router()

    @app.get("/items/{item_id}")
    def get_item(item_id: int, limit: int = 10, ratio: float = 1.0) -> dict:
        return {"id": item_id, "limit": limit, "ratio": ratio}

    @app.get("/typed/{n:int}")
    def typed(n: int) -> dict:
        return {"n": n}

    return app


INT_APP = build_int_app()


@pytest.mark.parametrize(
    ("target", "loc"),
    [
        ("/items/1_000", ["path", "item_id"]),
        ("/items/%D9%A1%D9%A2", ["path", "item_id"]),  # Arabic-Indic digits
        ("/items/%EF%BC%97", ["path", "item_id"]),  # fullwidth 7
        ("/items/7?limit=1_0", ["query", "limit"]),
        ("/items/7?limit=%D9%A1", ["query", "limit"]),
        ("/items/7?ratio=1_0.5", ["query", "ratio"]),
        ("/items/7?ratio=%D9%A1.5", ["query", "ratio"]),
    ],
)
def test_numbers_are_ascii_digits_only(target, loc):
    r = call(INT_APP, "GET", target)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["loc"] == loc


def test_signed_and_plain_numbers_still_convert():
    r = call(INT_APP, "GET", "/items/-7?limit=+3&ratio=-2.5e1")
    assert r.json() == {"id": -7, "limit": 3, "ratio": -25.0}
    assert call(INT_APP, "GET", "/typed/42").json() == {"n": 42}
    assert call(INT_APP, "GET", "/typed/%D9%A1").status_code == 404


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def test_fc2_wsgi_query_string_keeps_encoded_commas_on_a_real_server():
    app = Router()

    @app.get("/t")
    def t(tags: List[str], request: Request) -> dict:
        return {"tags": tags, "raw": request.query.getlist("tags"), "url": request.url}

    server = make_server("127.0.0.1", 0, app, server_class=WSGIServer, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
        conn.request("GET", "/t?tags=a%2Cb&tags=c")
        resp = conn.getresponse()
        body = json.loads(resp.read())
        conn.close()
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert resp.status == 200
    assert body["tags"] == ["a,b", "c"]
    assert body["raw"] == ["a,b", "c"]
    assert body["url"].endswith("/t?tags=a%2Cb&tags=c")


def test_importing_and_serving_the_router_loads_no_pydantic_or_event_models():
    code = (
        "import json, sys\n"
        "import fcsdk.http\n"
        "app = fcsdk.http.Router()\n"
        "@app.get('/items/{item_id}')\n"
        "def get_item(item_id: int, q: str = '') -> dict:\n"
        "    return {'id': item_id}\n"
        "event = {'version': 'v1', 'rawPath': '/items/7', 'body': '', 'isBase64Encoded': False,\n"
        "         'headers': {}, 'queryParameters': {},\n"
        "         'requestContext': {'http': {'method': 'GET', 'path': '/items/7'}}}\n"
        "assert json.loads(app(json.dumps(event).encode(), None))['statusCode'] == 200\n"
        "print(','.join(m for m in sys.modules\n"
        "               if m.split('.')[0] == 'pydantic' or m.startswith('fcsdk.events')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
