"""`fcsdk serve` as an FC 3.0 web function: HTTP requests passed through to the app, over real
HTTP against a real `fcsdk serve` process, with FC's x-fc-* headers as FC adds them."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.runtime_support import ServeProcess, write_code

FASTAPI_APP = """
import asyncio, logging, pathlib, threading, time
from contextlib import asynccontextmanager
from fastapi import FastAPI, Request, Response
from fastapi.responses import StreamingResponse
import fcsdk as fc

fc.logging.setup()
HERE = pathlib.Path(__file__).parent
COUNTS = {"startup": 0}

@asynccontextmanager
async def lifespan(app):
    COUNTS["startup"] += 1
    yield {"greeting": "hello"}
    (HERE / "lifespan_shutdown.txt").write_text("done")

api = FastAPI(lifespan=lifespan)

@api.api_route("/echo/{rest:path}", methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
async def echo(rest: str, request: Request):
    body = await request.body()
    ctx: fc.Context = request.scope["fc.context"]
    return {"method": request.method, "path": request.url.path, "query": request.url.query,
            "headers": dict(request.headers), "body": body.decode("latin-1"),
            "rid": ctx.request_id, "ak": ctx.credentials.access_key_id,
            "state": request.state.greeting, "startups": COUNTS["startup"]}

@api.post("/invoke")
async def invoke(request: Request):
    return {"path": "/invoke", "body": (await request.body()).decode()}

@api.get("/sleep")
def sleep(s: float, request: Request):
    t0 = time.monotonic()
    time.sleep(s)
    ctx: fc.Context = request.scope["fc.context"]
    logging.getLogger("app").info("slept for %s", ctx.request_id)
    return {"rid": ctx.request_id, "ak": ctx.credentials.access_key_id,
            "logger_rid": fc.logger.name and ctx.request_id, "t0": t0, "t1": time.monotonic()}

@api.get("/asleep")
async def asleep(s: float, request: Request):
    t0 = time.monotonic()
    await asyncio.sleep(s)
    ctx: fc.Context = request.scope["fc.context"]
    logging.getLogger("app").info("slept for %s", ctx.request_id)
    return {"rid": ctx.request_id, "ak": ctx.credentials.access_key_id,
            "t0": t0, "t1": time.monotonic()}

@api.get("/stream")
async def stream(n: int, gap: float):
    async def chunks():
        for i in range(n):
            yield f"{i}:{time.time()}\\n".encode()
            await asyncio.sleep(gap)
    return StreamingResponse(chunks(), media_type="text/plain")

@api.post("/count")
async def count(request: Request):
    size = chunks = 0
    async for chunk in request.stream():
        size += len(chunk)
        chunks += 1 if chunk else 0
    return {"size": size, "chunks": chunks}

@api.get("/fc-headers")
def fc_headers():
    return Response("x", headers={"x-fc-status": "404", "x-fc-request-id": "mine",
                                  "X-Fc-Custom": "1", "x-app": "kept"})

@api.get("/boom")
def boom():
    raise RuntimeError("app failed")

handler = fc.http.asgi(api)

@fc.initializer
def init(context: fc.Context) -> None:
    (HERE / "initializer.txt").write_text(str(COUNTS["startup"]))

@fc.pre_stop
def stop(context: fc.Context) -> None:
    (HERE / "pre_stop.txt").write_text(
        "after lifespan" if (HERE / "lifespan_shutdown.txt").exists() else "before lifespan")
"""

FLASK_APP = """
import time
from flask import Flask, Response, request
import fcsdk as fc

web = Flask(__name__)

@web.route("/echo/<path:rest>", methods=["GET", "POST"])
def echo(rest):
    ctx = request.environ["fc.context"]
    return {"method": request.method, "path": request.path, "query": request.query_string.decode(),
            "body": request.get_data().decode("latin-1"), "rid": ctx.request_id,
            "ak": ctx.credentials.access_key_id, "xa": request.headers.get("X-A")}

@web.post("/count")
def count():
    size = 0
    while True:
        chunk = request.stream.read(65536)
        if not chunk:
            break
        size += len(chunk)
    return {"size": size}

@web.get("/slow")
def slow():
    time.sleep(float(request.args["s"]))
    return "late"

@web.get("/stream")
def stream():
    n, gap = int(request.args["n"]), float(request.args["gap"])
    def chunks():
        for i in range(n):
            yield f"{i}:{time.time()}\\n"
            time.sleep(gap)
    return Response(chunks(), mimetype="text/plain")

handler = fc.http.wsgi(web)
"""

ROUTER_APP = """
from typing import Optional
from pydantic import BaseModel
import fcsdk as fc

app = fc.http.Router()

class Item(BaseModel):
    name: str

@app.get("/items/{item_id}")
def get_item(item_id: int, context: fc.Context, q: Optional[str] = None) -> dict:
    return {"id": item_id, "q": q, "rid": context.request_id,
            "ak": context.credentials.access_key_id}

@app.post("/items")
def create(item: Item) -> dict:
    return {"created": item.name}
"""

PLAIN_ASGI = """
async def app(scope, receive, send):
    assert scope["type"] == "http"
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    ctx = scope["fc.context"]
    text = f"{scope['method']} {scope['path']} {scope['query_string'].decode()} {body.decode()} "
    text += ctx.request_id
    await send({"type": "http.response.start", "status": 201,
                "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": text.encode()})
"""

FC = {
    "x-fc-request-id": "req-1",
    "x-fc-access-key-id": "AK1",
    "x-fc-access-key-secret": "SK1",
    "x-fc-security-token": "TOKEN1",
    "x-fc-function-name": "web",
    "x-fc-function-timeout": "30",
}


def _log_until(srv, check, timeout=30.0):
    """The server's log once ``check(log)`` holds (lines reach the file after the answer)."""
    deadline = time.monotonic() + timeout
    while not check(srv.log()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return srv.log()


def _most_at_once(answers):
    """The most requests that were inside the app at one moment (from the app's own clock)."""
    spans = [(r.json()["t0"], r.json()["t1"]) for r in answers]
    return max(sum(1 for t0, t1 in spans if t0 <= start < t1) for start, _ in spans)


def _serve(tmp_path_factory, name, files, handler, *args):
    code = write_code(tmp_path_factory.mktemp(name), files)
    return ServeProcess(code, handler, "--max-body-size", str(1 << 20), *args), code


@pytest.fixture(scope="module")
def fastapi_srv(tmp_path_factory):
    srv, code = _serve(tmp_path_factory, "webfa", {"webfa.py": FASTAPI_APP}, "webfa.handler")
    srv.code = code
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def fa(fastapi_srv):
    with httpx.Client(base_url=fastapi_srv.url, timeout=30) as c:
        yield c


def test_request_passes_through_with_fc_headers_as_context(fa):
    r = fa.post(
        "/echo/a%20b/c?x=1&x=2&y=%C3%A9",
        content=b"\x00raw body\xff",
        headers={**FC, "X-Custom": "v", "content-type": "application/octet-stream"},
    )
    assert r.status_code == 200
    got = r.json()
    assert (got["method"], got["path"], got["query"]) == ("POST", "/echo/a b/c", "x=1&x=2&y=%C3%A9")
    assert got["body"] == "\x00raw body\xff"
    assert got["headers"]["x-custom"] == "v"
    assert got["headers"]["x-fc-request-id"] == "req-1"  # FC's headers reach the app too
    assert (got["rid"], got["ak"], got["state"]) == ("req-1", "AK1", "hello")
    assert "x-fc-status" not in r.headers  # an app's answer is the app's
    for method in ("GET", "PUT", "DELETE", "PATCH"):
        assert fa.request(method, "/echo/m", headers=FC).json()["method"] == method


def test_post_invoke_goes_to_the_app_too(fa):
    r = fa.post("/invoke", content=b"payload", headers=FC)
    assert r.json() == {"path": "/invoke", "body": "payload"}


def test_lifespan_and_initializer_run_once_and_in_order(fastapi_srv, fa):
    for _ in range(2):
        r = fa.post("/initialize", headers=FC)
        assert (r.status_code, r.headers["x-fc-status"], r.content) == (200, "200", b"")
    assert (fastapi_srv.code / "initializer.txt").read_text() == "0"  # before the lifespan
    assert fa.get("/echo/x", headers=FC).json()["startups"] == 1


def test_requests_overlap_each_with_its_own_context_and_log_ids(fastapi_srv):
    async def run(path):
        async with httpx.AsyncClient(base_url=fastapi_srv.url, timeout=30) as c:
            calls = [
                c.get(
                    path,
                    params={"s": 1.0},
                    headers={
                        **FC,
                        "x-fc-request-id": f"par-{path}-{i}",
                        "x-fc-access-key-id": f"AK{i}",
                    },
                )
                for i in range(16)
            ]
            return await asyncio.gather(*calls)

    for path in ("/sleep", "/asleep"):  # a sync endpoint (threads) and an async one
        answers = asyncio.run(run(path))
        # served at once, not one after another (measured inside the app: the load of the
        # machine delays the requests' arrival, not their overlap)
        assert _most_at_once(answers) >= 8, [(r.json()["t0"], r.json()["t1"]) for r in answers]
        for i, r in enumerate(answers):
            assert (r.json()["rid"], r.json()["ak"]) == (f"par-{path}-{i}", f"AK{i}")
    log = _log_until(fastapi_srv, lambda text: text.count("slept for par-") >= 32)
    lines = [ln for ln in log.splitlines() if "slept for par-" in ln]
    assert len(lines) == 32
    for line in lines:  # FC's line format, each with its own request id
        m = re.match(r"^\S+Z (\S+) \[INFO\] slept for (\S+)$", line)
        assert m and m.group(1) == m.group(2), line


def test_streaming_response_arrives_chunk_by_chunk(fa):
    arrivals = []
    with fa.stream("GET", "/stream", params={"n": 4, "gap": 0.5}, headers=FC) as r:
        for _line in r.iter_lines():
            arrivals.append(time.time())
    assert len(arrivals) == 4
    assert arrivals[-1] - arrivals[0] > 0.6  # the first chunk came before the last was made


def test_streaming_request_body_reaches_the_app_as_it_comes(fa):
    def body():
        for _ in range(8):
            yield b"x" * 60000
            time.sleep(0.02)

    r = fa.post("/count", content=body(), headers=FC)  # chunked, no content-length
    assert r.json()["size"] == 480000
    assert r.json()["chunks"] > 1


def test_body_limit_413_declared_and_chunked(fa):
    r = fa.post("/count", content=b"x" * ((1 << 20) + 1), headers=FC)
    assert r.status_code == 413
    assert r.json()["errorType"] == "PayloadTooLarge"

    def body():
        for _ in range(40):
            yield b"y" * 65536

    with httpx.Client(base_url=fa.base_url, timeout=30) as c:
        r = c.post("/count", content=body(), headers=FC)
    assert r.status_code == 413


def test_fc_limits_on_headers_and_path(fa):
    r = fa.get("/echo/x", headers={**FC, "x-big": "v" * 9000})
    assert (r.status_code, r.json()["errorType"]) == (400, "InvalidArgument")
    r = fa.get("/echo/" + "p" * 4100, headers=FC)
    assert (r.status_code, r.json()["errorType"]) == (400, "InvalidArgument")
    big_fc = {**FC, "x-fc-tracing-opentracing-span-baggages": "b" * 9000}
    assert fa.get("/echo/x", headers=big_fc).status_code == 200  # FC's own headers not counted


def test_x_fc_response_headers_are_fcs_but_x_fc_status(fastapi_srv, fa):
    r = fa.get("/fc-headers", headers=FC)
    assert r.headers["x-fc-status"] == "404"  # how a server reports a function error to FC
    assert r.headers["x-app"] == "kept"
    assert "x-fc-request-id" not in r.headers and "x-fc-custom" not in r.headers
    assert "dropped response header x-fc-request-id" in fastapi_srv.log()


def test_app_exception_is_a_500_and_a_logged_error(fastapi_srv, fa):
    r = fa.get("/boom", headers={**FC, "x-fc-request-id": "boom-1"})
    assert r.status_code == 500
    pattern = r"boom-1 \[ERROR\] FC Invoke Error RequestId: boom-1 RuntimeError"
    assert re.search(pattern, _log_until(fastapi_srv, lambda text: "boom-1 [ERROR]" in text))


def test_sigterm_runs_lifespan_shutdown_then_pre_stop_and_exits_0(tmp_path_factory):
    srv, code = _serve(tmp_path_factory, "webstop", {"webstop.py": FASTAPI_APP}, "webstop.handler")
    try:
        assert httpx.get(srv.url + "/echo/x", headers=FC).json()["startups"] == 1
        assert srv.terminate() == 0
    finally:
        srv.stop()
    assert (code / "pre_stop.txt").read_text() == "after lifespan"


@pytest.fixture(scope="module")
def flask_srv(tmp_path_factory):
    srv, _ = _serve(tmp_path_factory, "webfl", {"webfl.py": FLASK_APP}, "webfl.handler")
    yield srv
    srv.stop()


def test_wsgi_app_passthrough_streams_both_ways(flask_srv):
    with httpx.Client(base_url=flask_srv.url, timeout=30) as c:
        r = c.post("/echo/a/b?q=1&q=2", content=b"hello", headers={**FC, "X-A": "1"})
        assert r.json() == {
            "method": "POST",
            "path": "/echo/a/b",
            "query": "q=1&q=2",
            "body": "hello",
            "rid": "req-1",
            "ak": "AK1",
            "xa": "1",
        }

        def body():
            for _ in range(5):
                yield b"z" * 100000

        assert c.post("/count", content=body(), headers=FC).json() == {"size": 500000}
        arrivals = []
        with c.stream("GET", "/stream", params={"n": 3, "gap": 0.3}, headers=FC) as r:
            for _ in r.iter_lines():
                arrivals.append(time.time())
        # 0.6 s between the first and the last line as sent; a first line delayed by a loaded
        # machine still leaves one gap (all at once would be ~0)
        assert len(arrivals) == 3 and arrivals[-1] - arrivals[0] > 0.25


def test_router_passthrough(tmp_path_factory):
    srv, _ = _serve(tmp_path_factory, "webrt", {"webrt.py": ROUTER_APP}, "webrt.app")
    try:
        with httpx.Client(base_url=srv.url, timeout=30) as c:
            r = c.get("/items/7?q=z", headers=FC)
            assert r.json() == {"id": 7, "q": "z", "rid": "req-1", "ak": "AK1"}
            assert c.post("/items", json={"name": "n"}, headers=FC).json() == {"created": "n"}
            assert c.get("/items/abc", headers=FC).status_code == 422
            assert c.get("/nothing", headers=FC).status_code == 404
    finally:
        srv.stop()


def test_plain_asgi_app_and_event_mode(tmp_path_factory):
    srv, code = _serve(tmp_path_factory, "webpl", {"webpl.py": PLAIN_ASGI}, "webpl.app")
    try:
        r = httpx.post(srv.url + "/p/q?r=1", content=b"b", headers=FC)
        assert (r.status_code, r.text) == (201, "POST /p/q r=1 b req-1")
    finally:
        srv.stop()
    # --mode event: the same module keeps FC's /invoke protocol (an event handler's answer)
    srv = ServeProcess(code, "webpl.app", "--mode", "event")
    try:
        r = httpx.post(srv.url + "/invoke", content=b"{}", headers=FC)
        assert r.headers["x-fc-status"] == "404"  # app(event, context) is no event handler
        assert httpx.get(srv.url + "/p").status_code == 404
    finally:
        srv.stop()


def test_concurrent_first_requests_start_the_lifespan_once(tmp_path_factory):
    srv, _ = _serve(tmp_path_factory, "webonce", {"webonce.py": FASTAPI_APP}, "webonce.handler")
    barrier = threading.Barrier(16)
    results = []

    def call(i):
        barrier.wait()
        r = httpx.get(srv.url + "/echo/x", headers={**FC, "x-fc-request-id": f"o-{i}"})
        results.append((i, r.json()))

    try:
        threads = [threading.Thread(target=call, args=(i,)) for i in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        srv.stop()
    assert len(results) == 16
    assert all(got["startups"] == 1 and got["rid"] == f"o-{i}" for i, got in results)
    assert json.dumps(results)  # plain data


def test_web_function_example_answers_its_readme_calls(tmp_path):
    import shutil

    from tests.runtime_support import ROOT

    example = ROOT / "examples" / "web_function"
    shutil.copy(example / "index.py", tmp_path / "index.py")
    srv = ServeProcess(tmp_path, "index.handler")
    try:
        with httpx.Client(base_url=srv.url, timeout=30) as c:
            r = c.get("/hello/FC", headers={"x-fc-request-id": "local-1"})
            assert r.json() == {"text": "Hello, FC!", "request_id": "local-1"}
            r = c.post("/orders", json={"item": "tea", "qty": 2})
            assert (r.status_code, r.json()) == (201, {"item": "tea", "qty": 2})
            with c.stream("GET", "/countdown", params={"start": 3}) as r:
                assert [line for line in r.iter_lines() if line] == ["3", "2", "1"]
            assert c.post("/initialize").headers["x-fc-status"] == "200"
        assert srv.terminate() == 0
        log = srv.log()
    finally:
        srv.stop()
    assert re.search(r"local-1 \[INFO\] greeting FC", log)
    assert log.index("lifespan startup") < log.index("lifespan shutdown")
    assert log.index("lifespan shutdown") < log.index("instance stopping")
    readme = (example / "README.md").read_text()
    for call in ("/hello/FC", "/orders", "/countdown", "/initialize", "fcsdk serve index.handler"):
        assert call in readme


# -- the ASGI app called directly: any request passes through unchanged ------------------------

ECHO_ASGI = """
import json

async def app(scope, receive, send):
    if scope["type"] != "http":
        raise RuntimeError("no lifespan here")
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    seen = {"method": scope["method"], "path": scope["path"],
            "query": scope["query_string"].decode("latin-1"),
            "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in scope["headers"]],
            "body": body.decode("latin-1"), "rid": scope["fc.context"].request_id}
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": json.dumps(seen).encode()})
"""


@pytest.fixture(scope="module")
def echo_web(tmp_path_factory):
    import sys

    from fcsdk.runtime.server import CustomRuntimeApp

    code = write_code(tmp_path_factory.mktemp("webecho"), {"webecho.py": ECHO_ASGI})
    app = CustomRuntimeApp("webecho.app", str(code), workers=2)
    assert app.web is not None and app.web.kind == "asgi"
    yield app
    app.close()
    sys.modules.pop("webecho", None)


def _call(app, method, path, query, headers, body):
    sent = []
    parts = [body[: len(body) // 2], body[len(body) // 2 :]]

    async def receive():
        chunk = parts.pop(0) if parts else b""
        return {"type": "http.request", "body": chunk, "more_body": bool(parts)}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode("utf-8"),
        "query_string": query,
        "headers": headers,
    }
    asyncio.run(app(scope, receive, send))
    return sent[0]["status"], json.loads(b"".join(m.get("body", b"") for m in sent[1:]))


token = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=8)
name = st.text("abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=12).filter(
    lambda n: not n.startswith("x-fc-") and n not in ("content-length", "transfer-encoding")
)
latin1 = st.binary(max_size=40).filter(lambda b: b"\r" not in b and b"\n" not in b)


@given(
    method=token,
    path=st.text(st.characters(min_codepoint=33, max_codepoint=0x2FF), max_size=40).map(
        lambda p: "/" + p
    ),
    query=st.binary(max_size=60),
    headers=st.lists(st.tuples(name, latin1), max_size=6),
    body=st.binary(max_size=300),
    rid=st.text("abcdef0123456789-", min_size=1, max_size=20),
)
@settings(max_examples=60, deadline=None)
def test_any_request_reaches_the_app_unchanged(echo_web, method, path, query, headers, body, rid):
    raw = [(k.encode(), v) for k, v in headers] + [(b"x-fc-request-id", rid.encode())]
    if (method == "POST" and path in ("/initialize",)) or (method, path) in (
        ("GET", "/pre-stop"),
        ("GET", "/pre-freeze"),
    ):
        return  # FC's lifecycle calls, not the app's
    status, seen = _call(echo_web, method, path, query, raw, body)
    assert status == 200
    assert (seen["method"], seen["path"], seen["rid"]) == (method, path, rid)
    assert seen["query"] == query.decode("latin-1")
    assert seen["body"] == body.decode("latin-1")
    assert seen["headers"] == [[k.decode(), v.decode("latin-1")] for k, v in raw]


def test_a_request_past_the_functions_timeout_is_fcs_timeout(fastapi_srv, flask_srv):
    late = {**FC, "x-fc-function-timeout": "1", "x-fc-request-id": "late-1"}
    with httpx.Client(timeout=30) as c:
        started = time.perf_counter()
        r = c.get(fastapi_srv.url + "/asleep", params={"s": 20}, headers=late)  # async def
        assert time.perf_counter() - started < 10
        assert (r.status_code, r.headers["x-fc-status"]) == (504, "404")
        assert r.json() == {
            "errorMessage": "Function time out after 1 seconds",
            "errorType": "FunctionTimeoutError",
        }
        assert c.get(fastapi_srv.url + "/echo/x", headers=FC).status_code == 200  # serving on
        # WSGI: the request's worker is replaced, the next request does not wait behind it
        for _ in range(3):
            r = c.get(flask_srv.url + "/slow", params={"s": 20}, headers=late)
            assert (r.status_code, r.headers["x-fc-status"]) == (504, "404")
        # a streamed answer already started: the connection ends, the client sees it cut
        with pytest.raises(httpx.RemoteProtocolError):
            c.get(flask_srv.url + "/stream", params={"n": 2, "gap": 20}, headers=late)
        assert c.get(flask_srv.url + "/echo/y", headers=FC).json()["rid"] == "req-1"
    line = "late-1 [ERROR] FC Invoke Error RequestId: late-1 FunctionTimeoutError"
    assert line in _log_until(fastapi_srv, lambda text: line in text)
