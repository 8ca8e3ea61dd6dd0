"""Real FastAPI / Flask apps and real servers (uvicorn, werkzeug) for the bridge tests."""

import contextlib
import http.client
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Optional

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\x00\x01"
IGNORED = {"date", "server", "connection", "keep-alive", "transfer-encoding"}


def fastapi_app():
    from fastapi import FastAPI, Query, Request, Response
    from fastapi.responses import JSONResponse, StreamingResponse

    api = FastAPI()

    @api.api_route("/echo/{name}", methods=["GET", "HEAD"])
    def echo(name: str, request: Request, tag: list[str] = Query(default=[]), q: str = ""):  # noqa: B008
        return {"name": name, "tag": tag, "q": q, "ua": request.headers.get("user-agent")}

    @api.post("/json")
    async def post_json(request: Request):
        return JSONResponse({"got": await request.json()}, status_code=201)

    @api.post("/upload")
    async def upload(request: Request):
        data = await request.body()
        return Response(content=data[::-1], media_type="application/octet-stream")

    @api.get("/download")
    def download():
        return Response(content=PNG, media_type="image/png")

    @api.get("/cookies")
    def cookies(request: Request):
        resp = JSONResponse({"cookies": dict(sorted(request.cookies.items()))})
        resp.set_cookie("a", "1", expires="Wed, 21 Oct 2015 07:28:00 GMT")
        resp.set_cookie("b", "2", httponly=True)
        return resp

    @api.get("/empty", status_code=204)
    def empty():
        return Response(status_code=204)

    @api.get("/stream")
    def stream():
        def chunks():
            yield from (b"one,", b"two,", b"three")

        return StreamingResponse(chunks(), media_type="text/plain")

    @api.get("/redirect")
    def redirect():
        return Response(status_code=302, headers={"Location": "/echo/x"})

    return api


def flask_app():
    from flask import Flask, Response, jsonify, request

    web = Flask("bridge_test")

    @web.get("/echo/<name>")
    def echo(name):
        return jsonify(
            name=name,
            tag=request.args.getlist("tag"),
            q=request.args.get("q", ""),
            ua=request.headers.get("User-Agent"),
        )

    @web.post("/json")
    def post_json():
        return jsonify(got=request.get_json()), 201

    @web.post("/upload")
    def upload():
        return Response(request.get_data()[::-1], mimetype="application/octet-stream")

    @web.get("/download")
    def download():
        return Response(PNG, mimetype="image/png")

    @web.get("/cookies")
    def cookies():
        resp = jsonify(cookies=dict(sorted(request.cookies.items())))
        resp.set_cookie("a", "1", expires="Wed, 21 Oct 2015 07:28:00 GMT")
        resp.set_cookie("b", "2", httponly=True)
        return resp

    @web.get("/empty")
    def empty():
        return "", 204

    @web.get("/stream")
    def stream():
        def chunks():
            yield from (b"one,", b"two,", b"three")

        return Response(chunks(), mimetype="text/plain")

    @web.get("/redirect")
    def redirect():
        return "", 302, {"Location": "/echo/x"}

    return web


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def uvicorn_server(app) -> Iterator[int]:
    import uvicorn

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(10)


@contextlib.contextmanager
def werkzeug_server(app) -> Iterator[int]:
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.port
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


@dataclass
class Exchange:
    """One request, sent for real and turned into an FC event."""

    method: str
    target: str  # path + query, percent-encoded as a client sends it
    expect: int  # the status the app answers (checked, so that no case passes vacuously)
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    # The headers as FC receives them when they differ from what the real server gets (HTTP/2
    # sends each cookie as its own field, which a gateway to HTTP/1.1 joins with "; " but FC
    # joins with ","); None: the same as ``headers``.
    fc_headers: Optional[list[tuple[str, str]]] = None


@dataclass
class Observed:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def normalize(status: int, headers: list[tuple[str, str]], body: bytes) -> Observed:
    lower = [(k.lower(), v) for k, v in headers]
    chunked = any(k == "transfer-encoding" for k, _ in lower)
    kept = sorted(
        (k, v) for k, v in lower if k not in IGNORED and not (chunked and k == "content-length")
    )
    return Observed(status, kept, body)


def send_real(port: int, ex: Exchange) -> Observed:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.putrequest(ex.method, ex.target, skip_accept_encoding=True)
        for k, v in ex.headers:
            conn.putheader(k, v.encode("utf-8"))
        if ex.body or ex.method in ("POST", "PUT", "PATCH"):
            conn.putheader("Content-Length", str(len(ex.body)))
        conn.endheaders(ex.body or None)
        resp = conn.getresponse()
        body = resp.read()
        return normalize(resp.status, resp.getheaders(), body)
    finally:
        conn.close()


def send_fc(handler, ex: Exchange) -> Observed:
    from fcsdk.http.testing import make_event, parse_response

    headers = list(ex.headers if ex.fc_headers is None else ex.fc_headers)
    if ex.body or ex.method in ("POST", "PUT", "PATCH"):
        headers.append(("Content-Length", str(len(ex.body))))
    event = make_event(ex.method, ex.target, headers=headers, body=ex.body or None)
    resp = parse_response(handler(event, {"x-fc-request-id": "diff-1"}))
    return normalize(resp.status_code, resp.headers, resp.body)


EXCHANGES = [
    Exchange(
        "GET", "/echo/caf%C3%A9%20%E4%B8%AD?tag=a&tag=b&q=%C3%BC", 200, [("User-Agent", "diff/1")]
    ),
    Exchange("GET", "/echo/plain?q=x&tag=only", 200, [("User-Agent", "diff/1")]),
    Exchange(
        "POST", "/json", 201, [("Content-Type", "application/json")], b'{"k": ["v", 1, "\xc3\xa9"]}'
    ),
    Exchange(
        "POST", "/upload", 200, [("Content-Type", "application/octet-stream")], bytes(range(256))
    ),
    Exchange("GET", "/download", 200),
    Exchange("GET", "/cookies", 200, [("Cookie", "sid=abc; theme=dark")]),
    Exchange(
        "GET",
        "/cookies?http2",
        200,
        [("Cookie", "sid=abc; theme=dark; list=a,b")],
        fc_headers=[("Cookie", "sid=abc"), ("Cookie", "theme=dark"), ("Cookie", "list=a,b")],
    ),
    Exchange("HEAD", "/echo/head?q=1", 200, [("User-Agent", "diff/1")]),
    Exchange("GET", "/empty", 204),
    Exchange("GET", "/stream", 200),
    Exchange("GET", "/redirect", 302),
    Exchange("GET", "/missing", 404),
    Exchange("DELETE", "/json", 405),
]
