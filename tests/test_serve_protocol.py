"""``fcsdk serve``'s own HTTP/1.1 protocol for event functions (``fcsdk.runtime._http1``).

The reference is uvicorn's own protocol serving the same ``CustomRuntimeApp``: every request of
the table below is sent as raw bytes to both servers and the answers (status line, headers but
``date``, body, whether the connection stays open) must be the same. Then what only the fast
path does: invocations straight to the workers (16 at once, threads and asyncio), timeouts,
pipelining, a client that leaves mid-call.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import sys
import threading
import time

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fcsdk.runtime._http1 import EventProtocol
from fcsdk.runtime._protocol import _header_text
from fcsdk.runtime.cli import _protocol_for
from fcsdk.runtime.server import CustomRuntimeApp

from .runtime_support import ThreadServer, write_code

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

CODE = {
    "proto_index.py": """
    import json
    import time

    def handler(event, context):
        evt = json.loads(event) if event.startswith(b"{") else {}
        op = evt.get("op")
        if op == "sleep":
            time.sleep(evt["s"])
        if op == "fail":
            raise ValueError("boom: " + context.request_id)
        if op == "ctx":
            return json.dumps({
                "rid": context.request_id,
                "ak": context.credentials.access_key_id,
                "memory": context.function.memory,
                "n": evt.get("n"),
            })
        return event
    """
}
LIMIT = 4096
FC = (
    b"x-fc-request-id: rid-1\r\nx-fc-access-key-id: AK1\r\nx-fc-access-key-secret: SK1\r\n"
    b"x-fc-security-token: TOKEN1\r\nx-fc-function-memory: 256\r\nx-fc-function-timeout: 30\r\n"
)


def post(path: bytes, body: bytes, extra: bytes = FC, version: bytes = b"1.1") -> bytes:
    return b"POST %s HTTP/%s\r\nhost: t\r\ncontent-length: %d\r\n%s\r\n%s" % (
        path,
        version,
        len(body),
        extra,
        body,
    )


def chunked(body_chunks: list[bytes]) -> bytes:
    out = b"POST /invoke HTTP/1.1\r\nhost: t\r\ntransfer-encoding: chunked\r\n" + FC + b"\r\n"
    for chunk in body_chunks:
        out += b"%x\r\n%s\r\n" % (len(chunk), chunk)
    return out + b"0\r\n\r\n"


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """The same app served twice: uvicorn's protocol (the reference) and fcsdk's."""
    code = write_code(tmp_path_factory.mktemp("proto"), CODE)
    apps = [
        CustomRuntimeApp("proto_index.handler", str(code), max_body_size=LIMIT, workers=32)
        for _ in range(2)
    ]
    reference, ours = ThreadServer(apps[0]), ThreadServer(apps[1], http=EventProtocol)
    yield reference, ours
    for srv in (reference, ours):
        srv.stop()
    for app in apps:
        app.close()
    sys.modules.pop("proto_index", None)


# -- a raw HTTP/1.1 client: answers exactly as they come on the wire -------------------------


class Wire:
    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self) -> bool:
        data = self.sock.recv(65536)
        self.buf += data
        return bool(data)

    def answer(self, head_only: bool = False) -> tuple[bytes, dict[bytes, bytes], bytes]:
        while b"\r\n\r\n" not in self.buf:
            if not self._fill():
                raise ConnectionError(f"closed before an answer: {self.buf!r}")
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        status, *lines = head.split(b"\r\n")
        headers = {}
        for line in lines:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        if status.startswith(b"HTTP/1.1 100"):
            return status, headers, b""
        size = 0 if head_only else int(headers.get(b"content-length", b"0"))
        while len(self.buf) < size:
            if not self._fill():
                break
        body, self.buf = self.buf[:size], self.buf[size:]
        return status, headers, body

    def closed(self) -> bool:
        """Whether the server closed the connection (nothing more to read)."""
        self.sock.settimeout(0.3)
        try:
            return self.sock.recv(1) == b""
        except (ConnectionResetError, socket.timeout):
            return isinstance(sys.exc_info()[1], ConnectionResetError)

    def close(self) -> None:
        self.sock.close()


def exchange(port: int, steps: list[bytes], answers: int, check_close: bool = True) -> dict:
    wire = Wire(port)
    try:
        for n, step in enumerate(steps):
            if n:
                time.sleep(0.05)  # the next part after the server saw the first
            wire.send(step)
        out = []
        for _ in range(answers):
            status, headers, body = wire.answer()
            headers.pop(b"date", None)
            out.append((status, headers, body))
        return {"answers": out, "closed": wire.closed() if check_close else None}
    finally:
        wire.close()


CASES = {
    "invoke": ([post(b"/invoke", b'{"op": "ctx"}')], 1),
    "invoke, raw bytes": ([post(b"/invoke", b"\x00\xff binary")], 1),
    "function error": ([post(b"/invoke", b'{"op": "fail"}')], 1),
    "serverless devs path": ([post(b"/2023-03-30/functions/function/invocations", b"{}")], 1),
    "invoke with a query string": ([post(b"/invoke?a=1", b'{"op": "ctx"}')], 1),
    "empty body": ([post(b"/invoke", b"")], 1),
    "non-UTF-8 request id": (
        [post(b"/invoke", b'{"op": "ctx"}', FC.replace(b"rid-1", b"r-\xff\xfe"))],
        1,
    ),
    "UTF-8 request id": (
        [post(b"/invoke", b'{"op": "ctx"}', FC.replace(b"rid-1", "r-é".encode()))],
        1,
    ),
    "request id with spaces": (
        [post(b"/invoke", b'{"op": "ctx"}', FC.replace(b"rid-1", b"  r-2  "))],
        1,
    ),
    "mixed-case header names": (
        [post(b"/invoke", b'{"op": "ctx"}', FC.replace(b"x-fc-request-id", b"X-FC-Request-Id"))],
        1,
    ),
    "GET /invoke": ([b"GET /invoke HTTP/1.1\r\nhost: t\r\n\r\n"], 1),
    "unknown path": ([post(b"/nope", b"{}")], 1),
    "initialize": ([post(b"/initialize", b"")], 1),
    "pre-freeze": ([b"GET /pre-freeze HTTP/1.1\r\nhost: t\r\n" + FC + b"\r\n"], 1),
    "declared body above the limit": (
        [b"POST /invoke HTTP/1.1\r\nhost: t\r\ncontent-length: 999999\r\n" + FC + b"\r\n"],
        1,
    ),
    "chunked body": ([chunked([b'{"op": ', b'"ctx"}'])], 1),
    "chunked body above the limit": ([chunked([b"x" * 3000, b"y" * 3000])], 1),
    "HTTP/1.0": ([post(b"/invoke", b"{}", version=b"1.0")], 1),
    "connection: close": ([post(b"/invoke", b"{}", FC + b"connection: close\r\n")], 1),
    "pipelined": ([post(b"/invoke", b'{"n": 1}') + post(b"/invoke", b'{"op": "fail"}')], 2),
    "pipelined, then 404": ([post(b"/invoke", b'{"n": 1}') + post(b"/nope", b"")], 2),
    "expect 100-continue": (
        [
            b"POST /invoke HTTP/1.1\r\nhost: t\r\ncontent-length: 2\r\nexpect: 100-continue\r\n"
            + FC
            + b"\r\n",
            b"{}",
        ],
        2,
    ),
    "malformed request": ([b"POST /invoke HTTP/1.1\r\nbad header line\r\n\r\n"], 1),
    "garbage": ([b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"], 1),
}


@pytest.mark.parametrize("case", list(CASES))
def test_answers_are_uvicorns_byte_for_byte(servers, case):
    steps, answers = CASES[case]
    reference, ours = servers
    expected = exchange(reference.port, steps, answers)
    got = exchange(ours.port, steps, answers)
    if case == "HTTP/1.0":  # uvicorn says "connection: close" since 0.2x; fcsdk always does
        assert got["answers"][0][1].pop(b"connection") == b"close"
        expected["answers"][0][1].pop(b"connection", None)
    assert got == expected


def test_head_requests_are_answered_without_a_body(servers):
    request = b"HEAD /invoke HTTP/1.1\r\nhost: t\r\n\r\n" + post(b"/invoke", b'{"n": 2}')
    answers = []
    for srv in servers:
        wire = Wire(srv.port)
        try:
            wire.send(request)
            head = wire.answer(head_only=True)
            after = wire.answer()
        finally:
            wire.close()
        head[1].pop(b"date", None)
        after[1].pop(b"date", None)
        answers.append((head, after))
    assert answers[0] == answers[1]
    (status, _headers, _), (_, _, body) = answers[1]
    assert (status, body) == (b"HTTP/1.1 405 Method Not Allowed", b'{"n": 2}')


def test_a_request_without_an_id_gets_a_generated_one_answered_back(servers):
    _reference, ours = servers
    got = exchange(ours.port, [post(b"/invoke", b'{"op": "ctx"}', b"")], 1)
    ((status, headers, body),) = got["answers"]
    assert status == b"HTTP/1.1 200 OK"
    assert len(headers[b"x-fc-request-id"]) == 36
    assert json.loads(body)["rid"] == headers[b"x-fc-request-id"].decode()


header_value = st.binary(min_size=0, max_size=24).filter(
    lambda v: b"\r" not in v and b"\n" not in v and b"\x00" not in v
)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(
                [
                    b"x-fc-request-id",
                    b"x-fc-function-memory",
                    b"x-fc-function-timeout",
                    b"x-fc-access-key-id",
                    b"x-fc-access-key-secret",
                    b"x-fc-region",
                    b"X-Fc-Qualifier",
                ]
            ),
            header_value,
        ),
        max_size=6,
    ),
    st.binary(max_size=64),
)
@settings(max_examples=60, deadline=None)
def test_any_headers_and_body_answer_as_uvicorn_does(servers, headers, body):
    extra = b"".join(b"%s: %s\r\n" % (k, v) for k, v in headers)
    ids = [v for k, v in headers if k == b"x-fc-request-id"]
    if not (ids and _header_text(ids[-1]).strip()):  # the last one counts, as text
        extra += b"x-fc-request-id: fixed-id\r\n"  # generated ids differ between two servers
    request = post(b"/invoke", body, extra)
    reference, ours = servers
    expected = exchange(reference.port, [request], 1, check_close=False)
    assert exchange(ours.port, [request], 1, check_close=False) == expected


# -- what only the fast path does ------------------------------------------------------------


def _ctx_call(client: httpx.Client, n: int) -> tuple[int, dict]:
    headers = {
        "x-fc-request-id": f"rid-{n}",
        "x-fc-access-key-id": f"AK-{n}",
        "x-fc-access-key-secret": f"secret-{n}-0123456789",
        "x-fc-function-timeout": "30",
    }
    r = client.post("/invoke", content=json.dumps({"op": "ctx", "n": n}), headers=headers)
    return n, {**r.json(), "echo": r.headers["x-fc-request-id"], "status": r.headers["x-fc-status"]}


def test_16_invocations_at_once_from_threads_each_see_their_own_context(servers):
    _reference, ours = servers
    barrier = threading.Barrier(16)
    results: dict[int, dict] = {}

    def run(n: int) -> None:
        with httpx.Client(base_url=ours.url, timeout=30) as client:
            barrier.wait()
            for _ in range(5):
                key, value = _ctx_call(client, n)
                assert results.setdefault(key, value) == value

    threads = [threading.Thread(target=run, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(results) == list(range(16))
    for n, value in results.items():
        assert value == {
            "rid": f"rid-{n}",
            "ak": f"AK-{n}",
            "memory": None,
            "n": n,
            "echo": f"rid-{n}",
            "status": "200",
        }


def test_16_invocations_at_once_from_asyncio_each_see_their_own_context(servers):
    _reference, ours = servers

    async def main() -> list[dict]:
        async with httpx.AsyncClient(
            base_url=ours.url, timeout=30, limits=httpx.Limits(max_connections=16)
        ) as client:

            async def one(n: int) -> dict:
                r = await client.post(
                    "/invoke",
                    content=json.dumps({"op": "ctx", "n": n}),
                    headers={
                        "x-fc-request-id": f"a-{n}",
                        "x-fc-access-key-id": f"AK-{n}",
                        "x-fc-access-key-secret": "s" * 16,
                    },
                )
                return r.json()

            return await asyncio.gather(*(one(n) for n in range(16)))

    out = asyncio.run(main())
    assert [(o["rid"], o["ak"], o["n"]) for o in out] == [
        (f"a-{n}", f"AK-{n}", n) for n in range(16)
    ]


def test_a_late_call_answers_fcs_timeout_and_the_server_goes_on(servers):
    _reference, ours = servers
    with httpx.Client(base_url=ours.url, timeout=30) as client:
        started = time.perf_counter()
        r = client.post(
            "/invoke",
            content=b'{"op": "sleep", "s": 3}',
            headers={"x-fc-request-id": "late", "x-fc-function-timeout": "0.5"},
        )
        took = time.perf_counter() - started
        assert (r.headers["x-fc-status"], r.headers["x-fc-request-id"]) == ("404", "late")
        assert r.json()["errorType"] == "FunctionTimeoutError"
        assert 0.4 < took < 2.5
        r = client.post("/invoke", content=b"{}", headers={"x-fc-function-timeout": "30"})
        assert (r.status_code, r.headers["x-fc-status"], r.content) == (200, "200", b"{}")


def test_pipelined_invocations_are_answered_in_order_behind_a_slow_one(servers):
    _reference, ours = servers
    slow = post(b"/invoke", b'{"op": "sleep", "s": 0.4}', FC.replace(b"rid-1", b"slow"))
    fast = post(b"/invoke", b'{"n": 2}', FC.replace(b"rid-1", b"fast"))
    got = exchange(ours.port, [slow + fast], 2)
    ids = [headers[b"x-fc-request-id"] for _status, headers, _body in got["answers"]]
    assert ids == [b"slow", b"fast"]
    assert got["answers"][1][2] == b'{"n": 2}'
    assert not got["closed"]


def test_a_client_leaving_mid_call_does_not_disturb_the_server(servers):
    _reference, ours = servers
    wire = Wire(ours.port)
    wire.send(post(b"/invoke", b'{"op": "sleep", "s": 0.3}'))
    time.sleep(0.05)
    wire.close()
    time.sleep(0.5)  # its answer has nowhere to go
    with httpx.Client(base_url=ours.url, timeout=10) as client:
        assert client.post("/invoke", content=b"ok").content == b"ok"


def test_fcsdk_serve_picks_its_protocol_for_event_functions_only(tmp_path):
    code = write_code(
        tmp_path,
        {
            "pick_event.py": "def handler(event, context):\n    return event\n",
            "pick_web.py": "async def app(scope, receive, send):\n    pass\n",
        },
    )
    event = CustomRuntimeApp("pick_event.handler", str(code))
    web = CustomRuntimeApp("pick_web.app", str(code))
    try:
        assert _protocol_for(event, access_log=False) is EventProtocol
        assert _protocol_for(event, access_log=True) == "auto"  # uvicorn writes those lines
        assert _protocol_for(web, access_log=False) == "auto"
    finally:
        event.close()
        web.close()
        for name in ("pick_event", "pick_web"):
            sys.modules.pop(name, None)


def test_a_client_that_never_reads_its_answers_is_not_read_either(servers):
    """Pipelined invocations whose answers are never read: the server stops reading requests
    once its answers pile up (so neither side buffers without bound)."""
    _reference, ours = servers
    request = post(b"/invoke", b"x" * 4000)
    batch = request * 256  # 1 MB
    sock = socket.create_connection(("127.0.0.1", ours.port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    sock.setblocking(False)
    accepted = 0
    idle_rounds = 0
    rest = batch
    try:
        while accepted < 64 * 1024 * 1024 and idle_rounds < 20:
            try:
                sent = sock.send(rest)  # the stream goes on where the last send stopped
                accepted += sent
                rest = rest[sent:] or batch
                idle_rounds = 0
            except BlockingIOError:
                idle_rounds += 1
                time.sleep(0.05)
    finally:
        sock.close()
    assert idle_rounds == 20, "the server read 64 MB of requests whose answers nobody read"
    assert accepted < 32 * 1024 * 1024
    with httpx.Client(base_url=ours.url, timeout=10) as client:  # and it serves on
        assert client.post("/invoke", content=b"after").content == b"after"


@contextlib.contextmanager
def side_by_side(tmp_path, module: str, **options):
    """An echo handler's app behind uvicorn's protocol and behind fcsdk's: (apps, servers)."""
    code = write_code(
        tmp_path, {f"{module}.py": "def handler(event, context):\n    return event\n"}
    )
    apps = [CustomRuntimeApp(f"{module}.handler", str(code)) for _ in range(2)]
    servers = [ThreadServer(apps[0], **options), ThreadServer(apps[1], EventProtocol, **options)]
    try:
        yield apps, servers
    finally:
        for srv in servers:
            srv.stop()
        for app in apps:
            app.close()
        sys.modules.pop(module, None)


def test_a_bug_of_fcsdks_own_answers_500_as_through_uvicorns_protocol(tmp_path, caplog):
    def broken(*_args):
        raise RuntimeError("a bug in fcsdk serve")

    with side_by_side(tmp_path, "bug_index") as (apps, servers):
        for app in apps:
            app._call = broken  # what the worker runs around the handler
        answers = [exchange(srv.port, [post(b"/invoke", b"{}")], 1) for srv in servers]
        with httpx.Client(base_url=servers[1].url, timeout=10) as client:
            apps[1]._call = CustomRuntimeApp._call.__get__(apps[1])  # fixed: serving goes on
            assert client.post("/invoke", content=b"again").content == b"again"
    assert answers[0] == answers[1]
    ((status, _headers, body),) = answers[1]["answers"]
    assert status == b"HTTP/1.1 500 Internal Server Error"
    assert json.loads(body) == {
        "errorMessage": "fcsdk serve failed",
        "errorType": "InternalServerError",
    }
    assert "a bug in fcsdk serve" in caplog.text  # logged with its traceback, on both paths


def test_idle_connections_close_after_the_keep_alive_timeout_as_uvicorns_do(tmp_path):
    with side_by_side(tmp_path, "ka_index", timeout_keep_alive=1) as (_apps, servers):
        for srv in servers:
            busy, idle, silent = Wire(srv.port), Wire(srv.port), Wire(srv.port)
            idle.send(post(b"/invoke", b"a"))
            assert idle.answer()[2] == b"a"
            for n in range(4):  # a request every 0.5 s: never idle for 1 s
                busy.send(post(b"/invoke", b"%d" % n))
                assert busy.answer()[2] == b"%d" % n
                time.sleep(0.5)
            assert idle.closed()  # idle for 2 s
            # a connection that never sent a request: fcsdk's closes it too, uvicorn's keeps it
            assert silent.closed() is (srv is servers[1])
            busy.send(post(b"/invoke", b"still"))
            assert busy.answer()[2] == b"still"
            for wire in (busy, idle, silent):
                wire.close()
