"""The HTTP examples, invoked as FC invokes them: their own event.json, then more requests."""

import importlib.util
import json
from pathlib import Path

import pytest

from fcsdk.http.testing import make_event, parse_response

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load(name):
    spec = importlib.util.spec_from_file_location(
        f"example_{name}_index", EXAMPLES / name / "index.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sample(name):
    return (EXAMPLES / name / "event.json").read_bytes()


@pytest.mark.parametrize("name", ["http_api", "fastapi_app", "flask_app"])
def test_each_example_declares_an_http_trigger(name):
    text = (EXAMPLES / name / "s.yaml").read_text()
    assert "triggerType: http" in text
    assert "handler: index.handler" in text
    assert json.loads(sample(name))["version"] == "v1"


def test_http_api_example():
    mod = load("http_api")
    created = parse_response(mod.handler(sample("http_api"), {"x-fc-request-id": "r-1"}))
    assert created.status_code == 201
    assert created.json() == {"item": "pen", "qty": 2, "id": 1}
    assert created.header("location") == "/orders/1"
    got = parse_response(mod.handler(make_event("GET", "/orders/1"), None))
    assert got.json()["item"] == "pen"
    listed = parse_response(mod.handler(make_event("GET", "/orders?item=pen&limit=5"), None))
    assert [o["id"] for o in listed.json()] == [1]
    bad = parse_response(
        mod.handler(make_event("POST", "/orders", json={"item": "", "qty": 1000}), None)
    )
    assert bad.status_code == 422
    assert sorted(e["loc"][1] for e in bad.json()["errors"]) == ["item", "qty"]
    assert parse_response(mod.handler(make_event("GET", "/orders/99"), None)).status_code == 404
    assert parse_response(mod.handler(make_event("DELETE", "/orders/1"), None)).status_code == 204


def test_fastapi_example_with_lifecycle_hooks():
    mod = load("fastapi_app")
    mod.initializer(None)
    try:
        out = parse_response(mod.handler(sample("fastapi_app"), {"x-fc-request-id": "r-2"}))
        assert out.json() == {"text": "hello, FC", "request_id": "r-2"}
        echo = parse_response(
            mod.handler(make_event("POST", "/echo", json={"message": "hi"}), None)
        )
        assert echo.json() == {"message": "hi"}
    finally:
        mod.pre_stop(None)


def test_flask_example():
    mod = load("flask_app")
    out = parse_response(mod.handler(sample("flask_app"), {"x-fc-request-id": "r-3"}))
    assert out.json() == {"text": "hello, FC", "request_id": "r-3"}
    echo = parse_response(mod.handler(make_event("POST", "/echo", json={"a": 1}), None))
    assert (echo.status_code, echo.json()) == (201, {"a": 1})
