"""HTTP triggers: typed requests and responses, a light router, and ASGI / WSGI bridges.

On FC 3.0 an HTTP trigger calls an ordinary event handler with a JSON event and expects
``{statusCode, headers, isBase64Encoded, body}`` back. This package does both ends:

- :class:`Request` / :class:`Response` (and :class:`JSONResponse`, :func:`text`,
  :func:`html`, :func:`binary`, :func:`redirect`);
- :func:`http_handler`: one typed function as the handler;
- :class:`Router`: routes, typed path / query / body parameters, CORS, exception handlers; the
  router *is* the handler (``handler = app``), on FC 3.0 and as an FC 2.0 WSGI function;
- :func:`asgi` / :func:`wsgi`: FastAPI, Starlette, Flask, Django apps as handlers.

Nothing here imports pydantic or a web framework until it is needed.

Example:
    >>> import fcsdk as fc
    >>> app = fc.http.Router()
    >>> @app.get("/ping")
    ... def ping() -> str:
    ...     return "pong"
    >>> handler = app  # FC calls handler(event, context)
"""

from __future__ import annotations

from .asgi import ASGIBridge, LifespanError, asgi
from .cors import CORS
from .datastructures import Headers, QueryParams
from .decorator import HTTPHandler, http_handler
from .errors import (
    BadRequestError,
    HTTPError,
    MethodNotAllowedError,
    NotFoundError,
    RequestValidationError,
    UnsupportedMediaTypeError,
)
from .request import Request
from .response import JSONResponse, Response, binary, html, redirect, text
from .router import Route, Router
from .wsgi import WSGIBridge, wsgi

__all__ = [
    "CORS",
    "ASGIBridge",
    "BadRequestError",
    "HTTPError",
    "HTTPHandler",
    "Headers",
    "JSONResponse",
    "LifespanError",
    "MethodNotAllowedError",
    "NotFoundError",
    "QueryParams",
    "Request",
    "RequestValidationError",
    "Response",
    "Route",
    "Router",
    "UnsupportedMediaTypeError",
    "WSGIBridge",
    "asgi",
    "binary",
    "html",
    "http_handler",
    "redirect",
    "text",
    "wsgi",
]
