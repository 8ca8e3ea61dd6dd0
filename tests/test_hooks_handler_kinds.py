"""Lifecycle hooks belong to the module the handler string names, whatever the handler object
is: a function, an @fc.handler, fc.http.asgi / fc.http.wsgi bridges, a Router, a plain ASGI app.

Driven as FC drives them: `fcsdk invoke` (the initializer runs before the call) and a real
`fcsdk serve` process (POST /initialize, GET /pre-freeze, then SIGTERM runs PreStop and the
ASGI lifespan shutdown, exit 0)."""

from __future__ import annotations

import sys

import httpx
import pytest

from tests.runtime_support import ServeProcess, drop_fcsdk_log_handlers, invoke_cli, write_code

HOOKS = """
import pathlib
import fcsdk as fc

HERE = pathlib.Path(__file__).parent

def mark(name):
    with open(HERE / "marks.txt", "a") as f:
        f.write(name + "\\n")

@fc.initializer
def init(context: fc.Context) -> None:
    mark("initializer")

@fc.pre_freeze
def freeze(context: fc.Context) -> None:
    mark("pre_freeze")

@fc.pre_stop
def stop(context: fc.Context) -> None:
    mark("pre_stop")
"""

KINDS = {
    "function": """
def handler(event, context):
    return "ok"
""",
    "fc_handler": """
@fc.handler
def handler(event: dict, context: fc.Context) -> str:
    return "ok"
""",
    "asgi_bridge": """
from contextlib import asynccontextmanager
from fastapi import FastAPI

@asynccontextmanager
async def lifespan(app):
    mark("lifespan_startup")
    yield
    mark("lifespan_shutdown")

api = FastAPI(lifespan=lifespan)

@api.get("/")
def root() -> str:
    return "ok"

handler = fc.http.asgi(api)
""",
    "wsgi_bridge": """
from flask import Flask

web = Flask(__name__)

@web.get("/")
def root():
    return "ok"

handler = fc.http.wsgi(web)
""",
    "router": """
handler = fc.http.Router()

@handler.get("/")
def root() -> str:
    return "ok"
""",
    "plain_asgi": """
async def handler(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                mark("lifespan_startup")
                await send({"type": "lifespan.startup.complete"})
            else:
                mark("lifespan_shutdown")
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})
""",
}
HTTP_KINDS = {"asgi_bridge", "wsgi_bridge", "router", "plain_asgi"}
LIFESPAN_KINDS = {"asgi_bridge", "plain_asgi"}


def _code(tmp_path, kind):
    module = f"hk_{kind}"
    write_code(tmp_path, {f"{module}.py": HOOKS + KINDS[kind]})
    return module


def _marks(tmp_path):
    path = tmp_path / "marks.txt"
    return path.read_text().split() if path.exists() else []


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_invoke_runs_the_initializer_of_the_handler_strings_module(tmp_path, capfd, kind):
    module = _code(tmp_path, kind)
    try:
        invoke_cli(capfd, tmp_path, f"{module}.handler", "--event", "{}")
    finally:
        sys.modules.pop(module, None)
        drop_fcsdk_log_handlers()
    assert _marks(tmp_path)[:1] == ["initializer"]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_serve_runs_every_hook_of_the_handler_strings_module(tmp_path, kind):
    module = _code(tmp_path, kind)
    srv = ServeProcess(tmp_path, f"{module}.handler")
    try:
        with httpx.Client(base_url=srv.url, timeout=30) as c:
            for _ in range(2):  # FC calls it once; a second call runs nothing again
                r = c.post("/initialize", headers={"x-fc-request-id": "init-1"})
                assert (r.status_code, r.headers["x-fc-status"]) == (200, "200"), r.text
            assert c.get("/pre-freeze").headers["x-fc-status"] == "200"
            if kind in HTTP_KINDS:  # a web function: the request goes to the app
                assert c.get("/").text.strip('"') == "ok"
            else:
                assert c.post("/invoke", content=b"{}").text == "ok"
        assert srv.terminate() == 0
    finally:
        srv.stop()
    expected = ["initializer"]
    if kind in LIFESPAN_KINDS:
        expected.append("lifespan_startup")
    expected.append("pre_freeze")
    if kind in LIFESPAN_KINDS:
        expected.append("lifespan_shutdown")
    expected.append("pre_stop")
    assert _marks(tmp_path) == expected, srv.log()


@pytest.mark.parametrize("kind", ["asgi_bridge", "router"])
def test_serve_pre_stop_path_runs_lifespan_shutdown_then_the_hook_once(tmp_path, kind):
    module = _code(tmp_path, kind)
    srv = ServeProcess(tmp_path, f"{module}.handler")
    try:
        with httpx.Client(base_url=srv.url, timeout=30) as c:
            assert c.get("/").status_code == 200  # no /initialize: started on first request
            assert c.get("/pre-stop").headers["x-fc-status"] == "200"
        assert srv.terminate() == 0  # SIGTERM after FC's PreStop: not run again
    finally:
        srv.stop()
    lifespan = kind in LIFESPAN_KINDS
    expected = ["initializer", *(["lifespan_startup", "lifespan_shutdown"] if lifespan else [])]
    assert _marks(tmp_path) == [*expected, "pre_stop"]


def test_event_mode_asgi_bridge_lifespan_ends_before_pre_stop(tmp_path):
    """--mode event (the bridge gets FC 3.0 HTTP trigger events on /invoke, as on the built-in
    runtimes): the lifespan the bridge started on its first call is shut down at SIGTERM."""
    from fcsdk.http.testing import make_event

    module = _code(tmp_path, "asgi_bridge")
    srv = ServeProcess(tmp_path, f"{module}.handler", "--mode", "event")
    try:
        event = make_event("GET", "/")
        payload = event if isinstance(event, bytes) else str(event).encode()
        r = httpx.post(srv.url + "/invoke", content=payload, timeout=30)
        assert r.headers["x-fc-status"] == "200", r.text
        assert srv.terminate() == 0
    finally:
        srv.stop()
    expected = ["initializer", "lifespan_startup", "lifespan_shutdown", "pre_stop"]
    assert _marks(tmp_path) == expected
