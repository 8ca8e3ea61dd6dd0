"""``fcsdk serve``'s own HTTP/1.1 protocol for event functions (uvicorn still runs the server).

Why: with uvicorn's own protocol every ``POST /invoke`` made an ASGI scope, a task, a
receive/send pair of coroutines and message dicts before fcsdk's app handed the call to a
worker thread: about 78 µs of CPU per call against 32 µs for a bare uvicorn app answering the
same request (issue 15.6: 0.40x of bare uvicorn at concurrency 16). Here the parser's
callbacks hand an invocation straight to a worker, and the worker's outcome comes back as a
callback that writes the answer: no coroutine, no task, no future on the way.

Only invocations of a ready event function take that path. Everything else (the lifecycle
paths, unknown paths and methods, the first invocation that runs the Initializer, a function
that failed to load) goes to :class:`~fcsdk.runtime.server.CustomRuntimeApp` as ASGI, in a
task, as uvicorn would run it, so its answers are the app's own. Web functions never use this
protocol: ``fcsdk serve`` keeps uvicorn's for them (and for ``--access-log``).

What it keeps of uvicorn's protocol contract: it registers in ``server_state.connections``;
``shutdown()`` closes an idle connection and ends a busy one after its answer; an invocation
in flight sits in ``server_state.tasks`` as an object uvicorn may ``cancel()`` when the grace
period is over (one not started is withdrawn and answered failed; one running is waited for
while PreStop runs, and :meth:`_Call.gone` answers what is still running when the process
ends); ``server_state.default_headers`` (``date``) start every answer. Pipelined requests are
answered in order; bodies above ``max_body_size`` get 413 (declared: before reading), a
malformed request 400, both closing the connection; ``Expect: 100-continue`` is answered at
once; HTTP/1.0 and ``Connection: close`` close after the answer; a connection idle for
uvicorn's ``timeout_keep_alive`` (5 s by default) is closed.

Example (``fcsdk serve`` picks it; any uvicorn can):
    >>> import uvicorn
    >>> from fcsdk.runtime.server import CustomRuntimeApp
    >>> app = CustomRuntimeApp("no_such_module_for_doc.handler")
    >>> config = uvicorn.Config(app, http=EventProtocol, lifespan="on")
    >>> app.close()
"""

from __future__ import annotations

import asyncio
import collections
import http
import logging
import urllib.parse
from typing import TYPE_CHECKING, Any, Optional

import httptools

from ._protocol import _GONE, _header_text, _http_error
from .invoke import error_body
from .server import INVOKE_PATHS, _context, _text_headers

if TYPE_CHECKING:
    from ._pool import Job
    from .server import CustomRuntimeApp

__all__ = ["EventProtocol"]

log = logging.getLogger("fcsdk.runtime")

_FAST_URLS = frozenset(path.encode() for path in INVOKE_PATHS)
_CLOSE = b"connection: close\r\n"
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_BAD_REQUEST = b"Invalid HTTP request received."
_OCTETS = b"application/octet-stream"
_JSON = b"application/json"
#: An invocation's answer head, as :func:`fcsdk.runtime._protocol.respond` writes it.
_ANSWER = (
    b"HTTP/1.1 200 OK\r\n%scontent-type: %s\r\ncontent-length: %d\r\n"
    b"x-fc-request-id: %s\r\nx-fc-status: %s\r\n%s"
)
_defaults: list[Any] = [None, b""]  # uvicorn's default headers (a new list each second), joined


def _default_headers(headers: list[tuple[bytes, bytes]]) -> bytes:
    """uvicorn's ``server_state.default_headers`` (``date``) as header lines, joined once per
    list uvicorn makes."""
    if headers is not _defaults[0]:
        _defaults[1] = b"".join(b"%s: %s\r\n" % (name, value) for name, value in headers)
        _defaults[0] = headers
    return _defaults[1]  # type: ignore[no-any-return]


def _header_bytes(raw: list[tuple[bytes, bytes]], rid: str) -> bytes:
    """``x-fc-request-id``'s answer: the bytes the request sent when they are its id (a
    non-UTF-8 id is read as latin-1, and answered as sent), else the id as UTF-8."""
    for name, value in raw:
        if name.lower() == b"x-fc-request-id" and _header_text(value) == rid:
            return value
    return rid.encode("utf-8")


def _status_line(status: int) -> bytes:
    try:
        phrase = http.HTTPStatus(status).phrase.encode()
    except ValueError:
        phrase = b""
    return b"HTTP/1.1 %d %s\r\n" % (status, phrase)


class _Request:
    """One parsed request waiting for its turn on the connection."""

    __slots__ = ("body", "headers", "keep_alive", "method", "url", "version")

    def __init__(
        self,
        method: bytes,
        url: bytes,
        version: str,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        keep_alive: bool,
    ) -> None:
        self.method = method
        self.url = url
        self.version = version
        self.headers = headers
        self.body = body
        self.keep_alive = keep_alive


class _Call:
    """An invocation on a worker; answered once: by its outcome, its timeout, or the end of
    the process. Sits in uvicorn's ``server_state.tasks`` (it has the ``cancel`` uvicorn
    calls when the grace period is over)."""

    __slots__ = ("answered", "conn", "ctx", "job", "keep_alive", "rid", "sent", "timeout", "timer")

    def __init__(self, conn: EventProtocol, ctx: Any, rid: str, sent: bytes, keep_alive: bool):
        self.conn = conn
        self.ctx = ctx
        self.rid = rid
        self.sent = sent
        self.keep_alive = keep_alive
        self.answered = False
        self.job: Job
        self.timeout = 0.0
        self.timer: Optional[asyncio.TimerHandle] = None

    def done(self, job: Job) -> None:
        """The worker's outcome (on the loop)."""
        if self.answered:
            return
        self._settled()
        assert job.outcome is not None
        ok, value = job.outcome
        if ok:
            self.conn.answer(self, value.body, value.ok)
            return
        log.error(  # a bug of fcsdk's: the handler's own errors are an InvokeResult
            "fcsdk serve: internal error on /invoke",
            exc_info=(type(value), value, value.__traceback__),
        )
        status, body = _http_error(500, "InternalServerError", "fcsdk serve failed")
        self.conn.answer(self, body, False, status=status)

    def expire(self) -> None:
        """Past its timeout: FC's timeout error; the worker is replaced."""
        if self.answered:
            return
        self._settled()
        app = self.conn.app
        result = app._late(self.job, self.timeout, self.rid)
        self.conn.answer(self, result.body, False)

    def cancel(self, msg: Any = None) -> bool:
        """uvicorn's grace period is over: withdraw a call that never started (answered
        failed), keep waiting for one that runs (its answer is the truth) while PreStop runs."""
        if self.answered:
            return False
        if self.job.withdraw():  # answered on the next turn: uvicorn iterates its tasks now
            self.conn.loop.call_soon(self.gone)
        else:
            rid = self.rid
            log.warning(
                "fcsdk serve: grace period over, still waiting for RequestId: %s while PreStop runs",
                rid,
                extra={"request_id": rid},
            )
        return True

    def gone(self) -> None:
        """The process ends (or the call never ran): answer FC's unexpected-exit error."""
        if self.answered:
            return
        self._settled()
        self.keep_alive = False
        self.conn.answer(self, error_body(_GONE), False)

    def _settled(self) -> None:
        self.answered = True
        if self.timer is not None:
            self.timer.cancel()
        self.conn.app.calls.discard(self)
        self.conn.tasks.discard(self)


class _Cycle:
    """A request handed to the ASGI app (everything but a ready invocation): the whole body
    is already read; the answer is written as the app sends it."""

    __slots__ = ("body", "complete", "conn", "head", "head_only", "keep_alive", "started", "status")

    def __init__(self, conn: EventProtocol, request: _Request) -> None:
        self.conn = conn
        self.body: Optional[bytes] = request.body
        self.keep_alive = request.keep_alive
        self.head_only = request.method == b"HEAD"
        self.started = False
        self.complete = False
        self.status = 200
        self.head: list[tuple[bytes, bytes]] = []

    async def receive(self) -> dict[str, Any]:
        body = self.body
        if body is not None:
            self.body = None
            return {"type": "http.request", "body": body, "more_body": False}
        await self.conn.disconnected().wait()
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        conn = self.conn
        if kind == "http.response.start":
            if self.started:
                raise RuntimeError("the response has already started")
            self.status = int(message["status"])
            self.head = [(bytes(k).lower(), bytes(v)) for k, v in message.get("headers", ())]
            return
        if kind != "http.response.body" or self.complete:
            raise RuntimeError(f"unexpected ASGI message {kind!r}")
        body = bytes(message.get("body", b""))
        more = bool(message.get("more_body", False))
        if not self.started:
            self.started = True
            if any(k == b"connection" and v.lower() == b"close" for k, v in self.head):
                self.keep_alive = False
            if not any(k == b"content-length" for k, _ in self.head):
                self.keep_alive = False  # the end of the body is the end of the connection
            parts = [conn.head_of(self.status)]
            for name, value in self.head:
                parts += [name, b": ", value, b"\r\n"]
            if not self.keep_alive or conn.closing:
                parts.append(_CLOSE)
            parts.append(b"\r\n")
            conn.write(b"".join(parts))
        if body and not self.head_only:
            conn.write(body)
        if not more:
            self.complete = True
            conn.finished(self.keep_alive)

    async def run(self, app: Any, scope: dict[str, Any]) -> None:
        try:
            await app(scope, self.receive, self.send)
        except Exception:
            log.exception("fcsdk serve: internal error on %s", scope.get("path"))
            if not self.started:
                status, body = _http_error(500, "InternalServerError", "fcsdk serve failed")
                await self.send(
                    {
                        "type": "http.response.start",
                        "status": status,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await self.send({"type": "http.response.body", "body": body})
        finally:
            if not self.complete:  # no (whole) answer: the connection cannot go on
                self.complete = True
                self.conn.finished(False)


class EventProtocol(asyncio.Protocol):
    """uvicorn's ``http`` protocol class for :class:`~fcsdk.runtime.server.CustomRuntimeApp`
    serving an event function (``uvicorn.Config(app, http=EventProtocol)``)."""

    def __init__(
        self,
        config: Any,
        server_state: Any,
        app_state: Optional[dict[str, Any]] = None,
        _loop: Optional[asyncio.AbstractEventLoop] = None,
        **_: Any,
    ) -> None:
        if not config.loaded:
            config.load()
        self.config = config
        self.asgi = config.loaded_app  # what uvicorn would call (its middleware included)
        self.app: CustomRuntimeApp = config.app
        self.app_state = app_state if app_state is not None else {}
        self.loop = _loop or asyncio.get_event_loop()
        self.server_state = server_state
        self.connections: set[Any] = server_state.connections
        self.tasks: set[Any] = server_state.tasks
        self.limit = self.app.max_body_size
        self.parser = httptools.HttpRequestParser(self)
        self.transport: Optional[asyncio.Transport] = None
        self.pending: collections.deque[_Request] = collections.deque()
        self.busy = False  # a request is being answered
        self.closing = False  # close after the answer in flight
        self.paused = False
        self.write_blocked = False
        self._disconnected: Optional[asyncio.Event] = None
        self.url = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.body: list[bytes] = []
        self.size = 0
        self.head = False
        self.refused = False
        self.refusal: Optional[tuple[int, bytes, bytes]] = None
        self.keep_alive_timeout = float(getattr(config, "timeout_keep_alive", 5) or 0)
        self.keep_alive_timer: Optional[asyncio.TimerHandle] = None
        self.idle_since: Optional[float] = None

    # -- uvicorn's side -------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.connections.add(self)
        self._idle()

    def _idle(self) -> None:
        """Nothing to answer: close the connection if it stays so for uvicorn's
        ``timeout_keep_alive``. One timer per connection, re-armed when it fires (not set and
        cancelled around every request)."""
        self.idle_since = self.loop.time()
        if self.keep_alive_timer is None and self.keep_alive_timeout > 0:
            self.keep_alive_timer = self.loop.call_later(
                self.keep_alive_timeout, self._keep_alive_check
            )

    def _keep_alive_check(self) -> None:
        self.keep_alive_timer = None
        since = self.idle_since
        transport = self.transport
        if since is None or self.busy or transport is None or transport.is_closing():
            return  # busy: the timer is set again when it is idle
        left = since + self.keep_alive_timeout - self.loop.time()
        if left <= 0:
            transport.close()
        else:
            self.keep_alive_timer = self.loop.call_later(left, self._keep_alive_check)

    def connection_lost(self, exc: Optional[Exception]) -> None:
        self.connections.discard(self)
        self.closing = True
        if self.keep_alive_timer is not None:
            self.keep_alive_timer.cancel()
            self.keep_alive_timer = None
        if self._disconnected is not None:
            self._disconnected.set()
        self.pending.clear()

    def shutdown(self) -> None:
        """uvicorn's shutdown: close now when idle, else after the answer in flight."""
        self.closing = True
        if not self.busy and self.transport is not None:
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        self.idle_since = None
        if self.refused:
            return
        try:
            self.parser.feed_data(data)
            if self.head:
                self.head = False
                self._check_head()
        except httptools.HttpParserUpgrade:
            pass  # no protocol to upgrade to: the request is answered as a plain one
        except httptools.HttpParserError:
            self._refuse(400, _BAD_REQUEST, b"text/plain; charset=utf-8")

    def eof_received(self) -> Optional[bool]:
        return None  # close the connection (answers in flight are dropped)

    # -- the parser's callbacks -----------------------------------------------------------------

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))  # names as sent: lower-cased where they are read

    def on_headers_complete(self) -> None:
        self.head = True  # checked in data_received if the body has not all come with it

    def _check_head(self) -> None:
        """A request whose body is still to come: refuse a declared body above the limit
        before reading it; answer ``Expect: 100-continue``. (A request that came whole does
        not need either: its size was counted as it was parsed.)"""
        for name, value in self.headers:
            size = len(name)
            if size == 14 and name.lower() == b"content-length":
                declared = value.strip()
                if declared.isdigit() and int(declared) > self.limit:
                    self._too_large()
                    return
            elif size == 6 and name.lower() == b"expect" and value.lower() == b"100-continue":
                self.write(_CONTINUE)

    def on_body(self, body: bytes) -> None:
        if self.refused:
            return
        self.size += len(body)
        if self.size > self.limit:
            self._too_large()
            return
        self.body.append(body)

    def on_message_complete(self) -> None:
        if self.refused:
            return
        parser = self.parser
        version = parser.get_http_version()
        request = _Request(
            parser.get_method(),
            self.url,
            version,
            self.headers,
            b"".join(self.body),
            version != "1.0" and parser.should_keep_alive(),
        )
        self.url = b""
        self.headers = []
        self.body = []
        self.size = 0
        self.head = False
        if self.busy or self.pending:
            self.pending.append(request)
            self._flow()
        else:
            self._start(request)

    # -- answering ------------------------------------------------------------------------------

    def _start(self, request: _Request) -> None:
        self.busy = True
        app = self.app
        if request.method == b"POST" and request.url in _FAST_URLS and app.invoke_ready:
            self._invoke(request)
            return
        try:
            parsed = httptools.parse_url(request.url)
        except httptools.HttpParserInvalidURLError:
            self._refuse(400, _BAD_REQUEST, b"text/plain; charset=utf-8")
            return
        raw_path = parsed.path or b"/"
        path = raw_path.decode("latin-1")
        if "%" in path:
            path = urllib.parse.unquote(path)
        transport = self.transport
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": request.version,
            "server": transport.get_extra_info("sockname") if transport else None,
            "client": transport.get_extra_info("peername") if transport else None,
            "scheme": "http",
            "root_path": self.config.root_path,
            "method": request.method.decode("ascii"),
            "path": path,
            "raw_path": raw_path,
            "query_string": parsed.query or b"",
            "headers": [(name.lower(), value) for name, value in request.headers],
            "state": dict(self.app_state),
        }
        cycle = _Cycle(self, request)
        task = self.loop.create_task(cycle.run(self.asgi, scope))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def _invoke(self, request: _Request) -> None:
        app = self.app
        raw = request.headers
        headers = _text_headers(raw)
        ctx = _context(headers)
        rid = ctx.request_id
        # the bytes sent (or the id made for a request without one); a non-ASCII id is looked up
        sent = rid.encode("ascii") if rid.isascii() else _header_bytes(raw, rid)
        call = _Call(self, ctx, rid, sent, request.keep_alive)
        loop = self.loop
        call.job = app._pool.submit(loop, app._call, (app._func, request.body, ctx), call.done)
        call.timeout = timeout = app._timeout_for(ctx)
        call.timer = loop.call_later(timeout, call.expire)
        self.tasks.add(call)
        app.calls.add(call)

    def answer(self, call: _Call, body: bytes, ok: bool, status: int = 200) -> None:
        """Write an invocation's answer, as :func:`fcsdk.runtime._protocol.respond` writes it."""
        transport = self.transport
        if transport is None or transport.is_closing():
            self.finished(False)
            return
        keep_alive = call.keep_alive and not self.closing
        if status == 200:
            head = _ANSWER % (
                _default_headers(self.server_state.default_headers),
                _OCTETS if ok else _JSON,
                len(body),
                call.sent,
                b"200" if ok else b"404",
                b"" if keep_alive else _CLOSE,
            )
        else:  # fcsdk's own failure: no x-fc-* headers
            head = b"%scontent-type: application/json\r\ncontent-length: %d\r\n%s" % (
                self.head_of(status),
                len(body),
                b"" if keep_alive else _CLOSE,
            )
        transport.write(head + b"\r\n" + body)
        self.finished(keep_alive)

    def finished(self, keep_alive: bool) -> None:
        """The answer in flight is written: close, or go on with the next request."""
        self.server_state.total_requests += 1
        self.busy = False
        transport = self.transport
        if transport is None:
            return
        refusal = self.refusal
        if refusal is not None:
            self.refusal = None
            self._refuse(*refusal)
            return
        if not keep_alive or self.closing:
            self.pending.clear()
            transport.close()
            return
        if self.pending:
            self._start(self.pending.popleft())
        else:
            self._idle()
        if self.paused:
            self._flow()

    def pause_writing(self) -> None:
        """The client does not read its answers: read no more requests until it does."""
        self.write_blocked = True
        self._flow()

    def resume_writing(self) -> None:
        self.write_blocked = False
        self._flow()

    def _flow(self) -> None:
        """Read while nothing waits: no pipelined request queued, no answers piling up."""
        transport = self.transport
        pause = bool(self.pending) or self.write_blocked
        if pause != self.paused and transport is not None and not transport.is_closing():
            self.paused = pause
            if pause:
                transport.pause_reading()
            else:
                transport.resume_reading()

    def head_of(self, status: int) -> bytes:
        """An answer's status line and uvicorn's default headers (``date``)."""
        return _status_line(status) + _default_headers(self.server_state.default_headers)

    def write(self, data: bytes) -> None:
        transport = self.transport
        if transport is not None and not transport.is_closing():
            transport.write(data)

    def disconnected(self) -> asyncio.Event:
        if self._disconnected is None:
            self._disconnected = asyncio.Event()
            if self.transport is None or self.transport.is_closing():
                self._disconnected.set()
        return self._disconnected

    def _too_large(self) -> None:
        status, body = _http_error(
            413,
            "PayloadTooLarge",
            f"the event is larger than {self.limit} bytes (fcsdk serve --max-body-size)",
        )
        self._refuse(status, body, b"application/json")

    def _refuse(self, status: int, body: bytes, content_type: bytes) -> None:
        """Answer at once and close: the rest of what the client sends is not read."""
        self.refused = True
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if self.busy:  # after the answer in flight (pipelined requests keep their order)
            self.pending.clear()
            self.closing = True
            self.refusal = (status, body, content_type)
            return
        head = b"%scontent-type: %s\r\ncontent-length: %d\r\n%s\r\n" % (
            self.head_of(status),
            content_type,
            len(body),
            _CLOSE,
        )
        transport.write(head + body)
        transport.close()
