"""``fc.http.wsgi(app)``: run a Flask / Django / any WSGI app as an FC 3.0 HTTP handler.

The environ follows PEP 3333 and also carries ``environ["fc.event"]`` (the raw event) and
``environ["fc.context"]`` (the :class:`fcsdk.Context`), as FC 2.0 HTTP functions had.
"""

from __future__ import annotations

import io
import sys
from typing import Any, Callable, Optional

from .._redact import hide_secrets
from ..context import Context
from ..logging import current_context
from .request import Request, cookie_header, request_problem
from .response import Response
from .router import error_response, internal_error

__all__ = ["WSGIBridge", "wsgi"]

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Any]


def _latin1(value: str) -> str:
    """A str as PEP 3333 wants it: the UTF-8 bytes, each as one latin-1 character."""
    return value.encode("utf-8", "surrogateescape").decode("latin-1")


class WSGIBridge:
    """An FC handler around a WSGI app (what :func:`wsgi` returns)."""

    def __init__(self, app: WSGIApp, *, split_query: bool = True) -> None:
        self.app = app
        self.split_query = split_query

    def __call__(self, event: Any, context: Any = None) -> str:
        """Handle one FC 3.0 HTTP trigger invocation; returns FC's response JSON."""
        ctx = context if type(context) is Context else Context.of(context)
        token = current_context.set(ctx)
        failed: Optional[BaseException] = None
        try:
            return self.handle(Request.from_event(event, ctx)).encode()
        except BaseException as exc:  # SystemExit, KeyboardInterrupt... from the app
            failed = hide_secrets(exc, ctx)
            if failed is exc:
                raise
        finally:
            current_context.reset(token)
        assert failed is not None
        raise failed

    def environ(self, request: Request) -> dict[str, Any]:
        """The WSGI environ for ``request``."""
        body = request.body
        host = request.host
        name, _, port = host.partition(":")
        scheme = request.scheme
        environ: dict[str, Any] = {
            "REQUEST_METHOD": request.method,
            "SCRIPT_NAME": "",
            "PATH_INFO": _latin1(request.path),
            "RAW_URI": request.raw_path,
            "REQUEST_URI": request.raw_path,
            "QUERY_STRING": request.query.to_query_string(split=self.split_query),
            "SERVER_NAME": name,
            "SERVER_PORT": port if port.isdigit() else ("443" if scheme == "https" else "80"),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": request.source_ip or "127.0.0.1",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": scheme,
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "fc.event": request.event,
            "fc.context": request.context,
        }
        for key, value in request.headers.raw_items():
            upper = key.upper().replace("-", "_")
            if upper == "CONTENT_TYPE":
                environ["CONTENT_TYPE"] = value
            elif upper == "CONTENT_LENGTH":
                continue
            elif upper == "COOKIE":
                environ["HTTP_COOKIE"] = _latin1(cookie_header(value))
            else:
                environ[f"HTTP_{upper}"] = _latin1(value)
        environ.setdefault("HTTP_HOST", _latin1(host))
        return environ

    def handle(self, request: Request) -> Response:
        """Run the app for ``request`` and collect its response (500 on an app error)."""
        bad = request_problem(request)  # what no WSGI environ can carry: 400
        if bad is not None:
            return error_response(bad)
        status: Optional[str] = None
        headers: list[tuple[str, str]] = []
        chunks: list[bytes] = []

        def start_response(
            status_line: str, response_headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], None]:
            nonlocal status, headers
            if exc_info is not None and status is not None and chunks:
                raise exc_info[1].with_traceback(exc_info[2])
            status = status_line
            headers = [
                (k, v.encode("latin-1").decode("utf-8", "replace")) for k, v in response_headers
            ]
            return chunks.append

        try:
            result = self.app(self.environ(request), start_response)
            try:
                for chunk in result:
                    if chunk:
                        chunks.append(bytes(chunk))
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
            if status is None:
                raise RuntimeError("the WSGI app returned without calling start_response")
            code = int(status.split(" ", 1)[0])
        except Exception as exc:
            return internal_error(request, exc)
        resp = Response(b"".join(chunks), code, headers)
        if request.method == "HEAD":
            resp.body = b""
        return resp


def wsgi(app: WSGIApp, *, split_query: bool = True) -> WSGIBridge:
    """Wrap a WSGI app (Flask, Django...) as an FC 3.0 HTTP trigger handler.

    Parameters:
        app: the WSGI application.
        split_query: see :func:`fcsdk.http.asgi`.

    Example:
        >>> import fcsdk as fc
        >>> from flask import Flask
        >>> web = Flask(__name__)
        >>> @web.get("/hello/<name>")
        ... def hello(name):
        ...     return {"hello": name}
        >>> handler = fc.http.wsgi(web)
        >>> from fcsdk.http.testing import make_event, parse_response
        >>> parse_response(handler(make_event("GET", "/hello/Ann"), None)).json()
        {'hello': 'Ann'}
    """
    return WSGIBridge(app, split_query=split_query)
