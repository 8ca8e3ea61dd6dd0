"""`fcsdk serve` as a web function: the body limit holds for every method, a GET or DELETE
with a chunked body included (FC limits the request, not the method)."""

from __future__ import annotations

import select
import socket

import pytest

from tests.runtime_support import ServeProcess, write_code

APP = {
    "countapp.py": """
    import json

    async def handler(scope, receive, send):
        if scope["type"] != "http":
            return
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return
            size += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = json.dumps({"size": size}).encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})
    """
}
LIMIT = 65536


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    code = write_code(tmp_path_factory.mktemp("limits"), APP)
    server = ServeProcess(code, "countapp.handler", "--max-body-size", str(LIMIT))
    yield server
    server.stop()


def _chunked(port: int, method: str, chunks: int, size: int = 16384) -> bytes:
    """Send a chunked body, reading the answer as soon as it comes (the server may answer
    413 and close before the body ends); the answer's bytes."""
    answer = b""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(
            f"{method} /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            "Transfer-Encoding: chunked\r\n\r\n".encode()
        )
        try:
            for _ in range(chunks):
                if select.select([s], [], [], 0)[0]:
                    break  # answered before the body ended
                s.sendall(b"%x\r\n%s\r\n" % (size, b"z" * size))
            else:
                s.sendall(b"0\r\n\r\n")
        except OSError:  # closed after its answer: read what came
            pass
        try:
            while True:  # until the server closes (Connection: close)
                data = s.recv(65536)
                if not data:
                    break
                answer += data
        except OSError:  # reset after its answer: what was read is the answer
            pass
    return answer


@pytest.mark.parametrize("method", ["GET", "DELETE", "POST", "OPTIONS"])
def test_chunked_body_past_the_limit_is_413_for_every_method(srv, method: str) -> None:
    answer = _chunked(srv.port, method, chunks=LIMIT // 16384 + 2)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"PayloadTooLarge" in answer
    small = _chunked(srv.port, method, chunks=2)
    assert small.startswith(b"HTTP/1.1 200") and b'{"size": 32768}' in small, small
