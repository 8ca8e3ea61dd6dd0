"""A WSGI app (Flask, Django, fcsdk's ``Router.wsgi``) behind ``fcsdk serve``'s ASGI server.

The app runs on a worker thread of the server's pool. The request body streams into
``wsgi.input`` (a small body, the usual case, arrives whole with the request and costs no extra
hop between threads); the response streams out chunk by chunk, except that an app answering with
a list, or with a ``Content-Length`` (a body of known size, not a stream), is answered in one
go.
"""

from __future__ import annotations

import asyncio
import io
import sys
from typing import Any, Callable, Optional

from ..context import Context
from ..logging import current_context
from ._pool import Pool
from ._protocol import _TIMED_OUT, _expire

__all__ = ["WSGIRunner"]

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]


def _latin1(value: bytes) -> str:
    return value.decode("latin-1")


class _Input(io.RawIOBase):
    """``wsgi.input`` fed by the ASGI ``receive`` of the server's loop, from a worker thread."""

    def __init__(self, first: bytes, more: bool, loop: asyncio.AbstractEventLoop, receive: Receive):
        super().__init__()
        self._buffer = bytearray(first)
        self._more = more
        self._loop = loop
        self._receive = receive

    def readable(self) -> bool:
        return True

    def _fill(self) -> bool:
        if not self._more:
            return False
        message = asyncio.run_coroutine_threadsafe(self._receive(), self._loop).result()
        if message.get("type") != "http.request":
            self._more = False
            return False
        self._buffer += message.get("body", b"")
        self._more = bool(message.get("more_body", False))
        return True

    def readinto(self, target: Any) -> int:
        while not self._buffer and self._fill():
            pass
        size = min(len(target), len(self._buffer))
        target[:size] = self._buffer[:size]
        del self._buffer[:size]
        return size

    def readall(self) -> bytes:
        while self._fill():
            pass
        data = bytes(self._buffer)
        self._buffer.clear()
        return data


class WSGIRunner:
    """The ASGI side of a WSGI app: ``await runner(scope, receive, send, context)``."""

    def __init__(self, app: WSGIApp, pool: Pool, *, whole_body: bool = False) -> None:
        self.app = app
        self.pool = pool
        self.whole_body = whole_body  # the app reads CONTENT_LENGTH bytes (fcsdk's Router)

    async def __call__(
        self,
        scope: dict[str, Any],
        receive: Receive,
        send: Send,
        context: Context,
        timeout: Optional[float] = None,
    ) -> None:
        """Run the app for one request on a worker.

        Raises:
            WebTimeoutError: the app outlived ``timeout`` seconds (its worker is replaced).
        """
        loop = asyncio.get_running_loop()
        message = await receive()
        first = message.get("body", b"") if message.get("type") == "http.request" else b""
        more = bool(message.get("more_body", False))
        if more and self.whole_body:
            parts = [first]
            while more:
                message = await receive()
                if message.get("type") != "http.request":
                    return
                parts.append(message.get("body", b""))
                more = bool(message.get("more_body", False))
            first = b"".join(parts)
        environ = self.environ(scope, context)
        if not more:
            environ["wsgi.input"] = io.BytesIO(first)
            environ["CONTENT_LENGTH"] = str(len(first))
        else:
            environ["wsgi.input"] = io.BufferedReader(_Input(first, more, loop, receive))
            environ["wsgi.input_terminated"] = True
        job = self.pool.submit(loop, self._run, (environ, context, loop, send))
        timer = loop.call_later(timeout, _expire, job.future) if timeout is not None else None
        try:
            answer = await job.future
        finally:
            if timer is not None:
                timer.cancel()
        if answer is _TIMED_OUT:
            if not job.withdraw():  # it runs on: a new worker takes its place
                self.pool.abandon(job)
            from .web import WebTimeoutError

            raise WebTimeoutError(timeout)
        if answer is not None:  # the whole response at once
            status, headers, body = answer
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})

    @staticmethod
    def environ(scope: dict[str, Any], context: Context) -> dict[str, Any]:
        """The PEP 3333 environ of an ASGI HTTP scope (plus ``fc.context``)."""
        server = scope.get("server") or ("localhost", 80)
        client = scope.get("client") or ("127.0.0.1", 0)
        path = scope.get("path", "/")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": scope["method"],
            "SCRIPT_NAME": scope.get("root_path", ""),
            "PATH_INFO": path.encode("utf-8", "surrogateescape").decode("latin-1"),
            "QUERY_STRING": _latin1(scope.get("query_string", b"")),
            "SERVER_NAME": str(server[0]),
            "SERVER_PORT": str(server[1]),
            "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
            "REMOTE_ADDR": str(client[0]),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": scope.get("scheme", "http"),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "fc.context": context,
        }
        raw = scope.get("raw_path")
        if raw:
            environ["RAW_URI"] = environ["REQUEST_URI"] = _latin1(raw)
        for name, value in scope.get("headers", ()):
            key = _latin1(name).upper().replace("-", "_")
            text = _latin1(value)
            if key == "CONTENT_TYPE":
                environ["CONTENT_TYPE"] = text
            elif key == "CONTENT_LENGTH":
                environ["CONTENT_LENGTH"] = text
            else:
                key = f"HTTP_{key}"
                environ[key] = f"{environ[key]},{text}" if key in environ else text
        return environ

    def _run(
        self,
        environ: dict[str, Any],
        context: Context,
        loop: asyncio.AbstractEventLoop,
        send: Send,
    ) -> Optional[tuple[int, list[tuple[bytes, bytes]], bytes]]:
        """On a worker: call the app. The whole answer when it has at most one chunk, else
        None after streaming it through ``send``."""
        token = current_context.set(context)
        state: dict[str, Any] = {"started": False}

        def start_response(status: str, headers: Any, exc_info: Any = None) -> Callable[..., Any]:
            if exc_info is not None and state["started"]:
                raise exc_info[1].with_traceback(exc_info[2])
            state["status"] = int(status.split(" ", 1)[0])
            state["headers"] = [
                (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers
            ]
            return write

        def post(message: dict[str, Any]) -> None:
            asyncio.run_coroutine_threadsafe(send(message), loop).result()

        def begin() -> None:
            if not state["started"]:
                state["started"] = True
                post(
                    {
                        "type": "http.response.start",
                        "status": state["status"],
                        "headers": state["headers"],
                    }
                )

        def write(data: bytes) -> None:
            begin()
            post({"type": "http.response.body", "body": bytes(data), "more_body": True})

        try:
            result = self.app(environ, start_response)
            try:
                chunks = iter(result)
                first = b""
                if "status" not in state:  # start_response may come with the first chunk
                    first = bytes(next(chunks, b""))
                if "status" not in state:
                    raise RuntimeError("the WSGI app returned without calling start_response")
                sized = isinstance(result, (list, tuple)) or any(
                    k == b"content-length" for k, _ in state["headers"]
                )
                if sized and not state["started"]:  # not a stream: answer in one go
                    body = first + b"".join(bytes(c) for c in chunks)
                    return state["status"], state["headers"], body
                begin()
                if first:
                    post({"type": "http.response.body", "body": first, "more_body": True})
                for chunk in chunks:
                    if chunk:
                        post(
                            {"type": "http.response.body", "body": bytes(chunk), "more_body": True}
                        )
                post({"type": "http.response.body", "body": b""})
                return None
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        finally:
            current_context.reset(token)
