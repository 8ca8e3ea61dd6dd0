"""fc.http.asgi / fc.http.wsgi with real FastAPI, Starlette and Flask apps.

The differential tests send the same requests through the bridge (as FC events) and through a
real server (uvicorn, werkzeug) on 127.0.0.1, and compare status, headers (modulo date, server
and hop-by-hop headers) and body.
"""

import logging
import threading
from contextlib import asynccontextmanager

import pytest

import fcsdk as fc
from fcsdk.http.testing import make_event, parse_response
from tests.http_support import (
    EXCHANGES,
    PNG,
    fastapi_app,
    flask_app,
    send_fc,
    send_real,
    uvicorn_server,
    werkzeug_server,
)


@pytest.fixture(scope="module")
def fastapi_pair():
    api = fastapi_app()
    bridge = fc.http.asgi(api)
    with uvicorn_server(api) as port:
        yield bridge, port
    bridge.pre_stop(None)


@pytest.fixture(scope="module")
def flask_pair():
    web = flask_app()
    with werkzeug_server(web) as port:
        yield fc.http.wsgi(web), port


@pytest.mark.parametrize("ex", EXCHANGES, ids=lambda ex: f"{ex.method} {ex.target[:24]}")
def test_fastapi_bridge_matches_uvicorn(fastapi_pair, ex):
    bridge, port = fastapi_pair
    real = send_real(port, ex)
    assert real.status == ex.expect
    assert send_fc(bridge, ex) == real


@pytest.mark.parametrize("ex", EXCHANGES, ids=lambda ex: f"{ex.method} {ex.target[:24]}")
def test_flask_bridge_matches_werkzeug(flask_pair, ex):
    bridge, port = flask_pair
    real = send_real(port, ex)
    assert real.status == ex.expect
    assert send_fc(bridge, ex) == real


def test_differential_cases_cover_what_the_issue_asks(fastapi_pair):
    bridge, port = fastapi_pair
    by_target = {ex.target.split("?")[0]: ex for ex in EXCHANGES}
    download = send_real(port, by_target["/download"])
    assert download.body == PNG
    cookies = send_real(port, by_target["/cookies"])
    assert [k for k, _ in cookies.headers].count("set-cookie") == 2
    assert send_real(port, by_target["/empty"]).status == 204
    echo = send_fc(bridge, EXCHANGES[0])
    assert b'"tag":["a","b"]' in echo.body
    assert "café 中".encode() in echo.body


def test_asgi_lifespan_runs_once_per_instance_and_shutdown_from_pre_stop():
    from fastapi import FastAPI, Request

    events = []

    @asynccontextmanager
    async def lifespan(app):
        events.append("startup")
        yield {"pool": "db-pool"}
        events.append("shutdown")

    api = FastAPI(lifespan=lifespan)

    @api.get("/ctx")
    def ctx(request: Request):
        scope = request.scope
        return {
            "rid": scope["fc.context"].request_id,
            "event_version": scope["fc.event"]["version"],
            "pool": request.state.pool,
            "current": fc.logging.get_request_id(),
        }

    handler = fc.http.asgi(api)
    handler.initializer(None)  # FC Initializer hook
    assert events == ["startup"]
    for i in range(3):
        out = parse_response(handler(make_event("GET", "/ctx"), {"x-fc-request-id": f"r{i}"}))
        assert out.json() == {
            "rid": f"r{i}",
            "event_version": "v1",
            "pool": "db-pool",
            "current": f"r{i}",
        }
    assert events == ["startup"]
    handler.pre_stop(None)
    assert events == ["startup", "shutdown"]
    handler.pre_stop(None)
    assert events == ["startup", "shutdown"]


def test_asgi_lifespan_starts_on_first_invocation_without_initializer():
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    started = []

    @asynccontextmanager
    async def lifespan(app):
        started.append(1)
        yield

    app = Starlette(routes=[Route("/", lambda r: PlainTextResponse("ok"))], lifespan=lifespan)
    handler = fc.http.asgi(app)
    assert started == []
    results = []

    def hit():
        results.append(parse_response(handler(make_event("GET", "/"), None)).text)

    threads = [threading.Thread(target=hit) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["ok"] * 8
    assert started == [1]
    handler.pre_stop(None)


def test_asgi_lifespan_task_outlives_a_bridge_dropped_without_pre_stop(caplog):
    # The loop holds tasks weakly: without fcsdk keeping it, the lifespan task (waiting for
    # lifespan.shutdown) is garbage once the bridge is, and asyncio logs "Task was destroyed but
    # it is pending!" (at every interpreter exit without PreStop).
    import gc
    import weakref

    seen = []

    async def app(scope, receive, send):
        assert (await receive())["type"] == "lifespan.startup"
        await send({"type": "lifespan.startup.complete"})
        try:
            seen.append((await receive())["type"])
            await send({"type": "lifespan.shutdown.complete"})
        finally:
            seen.append("closed")

    bridge = fc.http.asgi(app)
    bridge.initializer(None)
    ref = weakref.ref(bridge)
    del bridge
    gc.collect()
    assert seen == []  # the garbage collector did not close the app's coroutine
    assert "Task was destroyed" not in caplog.text
    kept = ref()  # alive: the lifespan task references it
    assert kept is not None
    kept.pre_stop(None)
    assert seen == ["lifespan.shutdown", "closed"]


def test_process_exit_without_pre_stop_is_quiet(tmp_path):
    import json
    import subprocess
    import sys

    script = tmp_path / "app.py"
    script.write_text(
        "import fcsdk as fc\n"
        "from fcsdk.http.testing import make_event\n"
        "async def app(scope, receive, send):\n"
        "    if scope['type'] == 'lifespan':\n"
        "        await receive()\n"
        "        await send({'type': 'lifespan.startup.complete'})\n"
        "        await receive()\n"
        "        await send({'type': 'lifespan.shutdown.complete'})\n"
        "        return\n"
        "    await send({'type': 'http.response.start', 'status': 200, 'headers': []})\n"
        "    await send({'type': 'http.response.body', 'body': b'ok'})\n"
        "handler = fc.http.asgi(app)\n"
        "print(handler(make_event('GET', '/'), None))\n"
    )
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["statusCode"] == 200
    assert proc.stderr == ""


def test_asgi_startup_failure_in_auto_mode_is_a_short_startup_error_and_quiet(tmp_path):
    # Starlette reports lifespan.startup.failed with the whole traceback, then re-raises: the
    # error must say "startup" with the last line only, and nothing may reach stderr (asyncio's
    # "Future exception was never retrieved" for a shutdown error nobody awaits).
    import json
    import subprocess
    import sys

    script = tmp_path / "app.py"
    script.write_text(
        "import contextlib, gc, json\n"
        "import fcsdk as fc\n"
        "from fastapi import FastAPI\n"
        "from fcsdk.http.testing import make_event\n"
        "@contextlib.asynccontextmanager\n"
        "async def lifespan(app):\n"
        "    raise RuntimeError('db down')\n"
        "    yield\n"
        "handler = fc.http.asgi(FastAPI(lifespan=lifespan))\n"
        "out = []\n"
        "for _ in range(2):\n"
        "    try:\n"
        "        handler(make_event('GET', '/'), None)\n"
        "    except fc.http.LifespanError as exc:\n"
        "        out.append(str(exc))\n"
        "    gc.collect()\n"
        "handler.pre_stop(None)\n"
        "gc.collect()\n"
        "print(json.dumps(out))\n"
    )
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == ["ASGI lifespan startup failed: RuntimeError: db down"] * 2
    assert proc.stderr == ""


def test_asgi_startup_failure_is_reported_and_retried():
    from starlette.applications import Starlette

    attempts = []

    @asynccontextmanager
    async def lifespan(app):
        attempts.append(1)
        raise RuntimeError("db down")
        yield

    handler = fc.http.asgi(Starlette(lifespan=lifespan), lifespan="on")
    for _ in range(2):
        with pytest.raises(fc.http.LifespanError, match="startup"):
            handler(make_event("GET", "/"), None)
    assert len(attempts) == 2


async def _raw_app(scope, receive, send):
    if scope["type"] != "http":
        raise ValueError("no lifespan here")
    path = scope["path"]
    if path == "/nothing":
        return
    if path == "/raise":
        raise KeyError("secret-key-name")
    msg = await receive()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"x-caf\xc3\xa9", "é".encode()),
            ],
        }
    )
    for part in (b"got:", msg["body"]):
        await send({"type": "http.response.body", "body": part, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


def test_raw_asgi_app_without_lifespan_streaming_and_errors(caplog):
    handler = fc.http.asgi(_raw_app)
    out = parse_response(
        handler(make_event("POST", "/x", body="hé", headers={"Content-Type": "text/plain"}), None)
    )
    assert (out.status_code, out.text) == (200, "got:hé")
    assert out.header("x-café") == "é"
    with caplog.at_level(logging.ERROR, logger="fcsdk.http"):
        boom = parse_response(handler(make_event("GET", "/raise"), {"x-fc-request-id": "rid-9"}))
        nothing = parse_response(handler(make_event("GET", "/nothing"), None))
    assert boom.status_code == 500
    assert "secret-key-name" not in boom.text
    assert boom.json()["requestId"] == "rid-9"
    assert nothing.status_code == 500
    assert "secret-key-name" in caplog.text
    assert "without sending http.response.start" in caplog.text
    with pytest.raises(ValueError, match="lifespan"):
        fc.http.asgi(_raw_app, lifespan="sometimes")


def test_split_query_off_keeps_comma_values():
    from fastapi import FastAPI

    api = FastAPI()

    @api.get("/f")
    def f(fields: str):
        return {"fields": fields}

    event = make_event("GET", "/f?fields=a,b")
    assert parse_response(
        fc.http.asgi(api, split_query=False, lifespan="off")(event, None)
    ).json() == {"fields": "a,b"}


def test_wsgi_environ_carries_fc_event_and_context_and_errors_are_500(caplog):
    seen = {}

    def app(environ, start_response):
        seen.update(environ)
        if environ["PATH_INFO"] == "/raise":
            raise RuntimeError("token=abc")
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [environ["wsgi.input"].read(), b"!"]

    handler = fc.http.wsgi(app)
    out = parse_response(
        handler(
            make_event("PUT", "/a?x=1,2", body="hi", headers={"Content-Type": "text/plain"}),
            {"x-fc-request-id": "w-1"},
        )
    )
    assert out.text == "hi!"
    assert seen["fc.context"].request_id == "w-1"
    assert seen["fc.event"]["rawPath"] == "/a"
    assert seen["QUERY_STRING"] == "x=1&x=2"
    assert seen["CONTENT_LENGTH"] == "2"
    assert seen["HTTP_HOST"] == "demo-trigger.cn-hangzhou.fcapp.run"
    with caplog.at_level(logging.ERROR, logger="fcsdk.http"):
        boom = parse_response(handler(make_event("GET", "/raise"), None))
    assert boom.status_code == 500
    assert "token=abc" not in boom.text
    assert "token=abc" in caplog.text
