"""``Request``: one HTTP request, from an FC 3.0 HTTP trigger event or an FC 2.0 WSGI environ.

FC 3.0's HTTP trigger calls an ordinary event handler with JSON like::

    {"version": "v1", "rawPath": "/items/caf%C3%A9", "body": "...", "isBase64Encoded": false,
     "headers": {"Accept": "a,b"}, "queryParameters": {"tag": "x,y"},
     "requestContext": {"http": {"method": "GET", "path": "/items/café", "sourceIp": "..."},
                        "requestId": "...", "domainName": "...", ...}}

:meth:`Request.from_event` reads it (and API Gateway trigger events, which have ``httpMethod``),
decoding nothing until it is asked for: the body is base64-decoded on first access.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Optional, TypeVar, Union

from ..context import Context
from ..errors import EventDecodeError, EventValidationError
from .datastructures import Headers, QueryParams
from .errors import (
    BadRequestError,
    HTTPError,
    RequestValidationError,
    UnsupportedMediaTypeError,
)

if TYPE_CHECKING:
    from .._codec import Decoder

__all__ = ["Request"]

T = TypeVar("T")

_JSON_TYPES = ("application/json", "text/json")


def _field(path: str, msg: str, type_: str = "invalid") -> EventValidationError:
    loc = tuple(path.split("."))
    return EventValidationError(
        f"1 validation error for HTTP trigger event: {path}: {msg}",
        errors=[{"loc": loc, "msg": msg, "type": type_}],
    )


def _str_map(value: Any, where: str) -> dict[str, str]:
    """A ``{str: str}`` from FC's headers / queryParameters (lists joined with commas)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _field(where, "Input should be an object", "dict_type")
    out: dict[str, str] = {}
    for k, v in value.items():
        if isinstance(v, str):
            out[str(k)] = v
        elif isinstance(v, list):
            out[str(k)] = ",".join(str(x) for x in v)
        elif v is None:
            out[str(k)] = ""
        elif isinstance(v, (int, float, bool)):
            out[str(k)] = str(v)
        else:
            raise _field(f"{where}.{k}", "Input should be a string", "string_type")
    return out


_TRUE = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE = frozenset({"0", "off", "f", "false", "n", "no"})


def _flag(data: dict[str, Any], key: str) -> bool:
    """``data[key]`` read as pydantic reads a ``bool`` (absent or null: False), as the event
    models do.

    FC sends a JSON boolean; ``"true"`` / ``"false"`` (any case), ``1`` / ``0`` are accepted too.
    """
    value = data.get(key)
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        low = value.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
    raise _field(key, "Input should be a valid boolean", "bool_parsing")


def is_json_content_type(content_type: Optional[str]) -> bool:
    """Whether ``content_type`` is JSON (``application/json``, ``application/*+json``).

    Example:
        >>> is_json_content_type("application/vnd.api+json; charset=utf-8")
        True
    """
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media in _JSON_TYPES or (media.startswith("application/") and media.endswith("+json"))


def _cookie_parts(header: str) -> list[str]:
    import re

    # FC joins repeated Cookie headers (HTTP/2 sends one field per cookie) with commas; a comma
    # followed by "name=" starts a cookie, other commas belong to the value.
    return [p.strip() for p in re.split(r";|,(?=\s*[^\s=;,]+=)", header) if p.strip()]


def cookie_header(value: str) -> str:
    """A ``Cookie`` value as FC sent it, rejoined with ``"; "`` as HTTP/1.1 servers expect.

    Example:
        >>> cookie_header("sid=abc,theme=dark; lang=en")
        'sid=abc; theme=dark; lang=en'
    """
    return "; ".join(_cookie_parts(value)) if "," in value else value


def _parse_cookies(header: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in _cookie_parts(header):
        name, sep, value = part.partition("=")
        if not sep and not name:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        if name:
            out.setdefault(name.strip(), value)
    return out


class Request:
    """An HTTP request as a handler sees it.

    Attributes:
        method: upper-case method (``GET``).
        path: the decoded path (``/items/café``); ``raw_path`` is it as sent (``/items/caf%C3%A9``).
        headers: case-insensitive :class:`Headers`; ``query``: :class:`QueryParams`.
        path_params: values captured by the router (``{"item_id": "7"}``, as strings).
        context: the invocation's :class:`fcsdk.Context`.
        event: the raw event as a dict (empty for WSGI requests); ``environ`` for WSGI ones.

    Example:
        >>> from fcsdk.http import Request
        >>> from fcsdk.http.testing import make_event
        >>> req = Request.from_event(make_event("POST", "/orders?x=1", json={"qty": 2}))
        >>> req.method, req.path, req.query["x"], req.json()
        ('POST', '/orders', '1', {'qty': 2})
    """

    __slots__ = (
        "_body",
        "_body_b64",
        "_body_bytes",
        "_cookies",
        "context",
        "environ",
        "event",
        "headers",
        "method",
        "path",
        "path_params",
        "query",
        "raw_path",
        "request_context",
    )

    def __init__(
        self,
        method: str,
        path: str,
        *,
        raw_path: Optional[str] = None,
        headers: Union[Headers, Mapping[str, str], None] = None,
        query: Union[QueryParams, Mapping[str, str], None] = None,
        body: Union[bytes, str] = b"",
        body_is_base64: bool = False,
        context: Any = None,
        event: Optional[dict[str, Any]] = None,
        request_context: Optional[dict[str, Any]] = None,
        environ: Optional[dict[str, Any]] = None,
    ) -> None:
        from urllib.parse import quote

        self.method = method.upper()
        self.path = path
        self.raw_path = (
            raw_path if raw_path is not None else quote(path, safe=_SAFE, errors="surrogatepass")
        )
        self.headers = headers if isinstance(headers, Headers) else Headers(headers)
        self.query = query if isinstance(query, QueryParams) else QueryParams(query)
        self._body = body
        self._body_b64 = body_is_base64
        self._body_bytes: Optional[bytes] = body if isinstance(body, bytes) else None
        self._cookies: Optional[dict[str, str]] = None
        self.context = Context.of(context)
        self.event = event if event is not None else {}
        self.request_context = request_context if request_context is not None else {}
        self.environ = environ
        self.path_params: dict[str, str] = {}

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def from_event(cls, event: Any, context: Any = None) -> Request:
        """Read an FC 3.0 HTTP trigger event (bytes, str or dict); API Gateway events work too.

        Raises:
            EventDecodeError: the event is not JSON (it did not come from an HTTP trigger).
            EventValidationError: a field has the wrong type; the message names its path.
        """
        if isinstance(event, (bytes, bytearray, memoryview, str)):
            try:
                data = json.loads(bytes(event) if isinstance(event, memoryview) else event)
            except (ValueError, RecursionError) as exc:
                raise EventDecodeError(
                    "HTTP trigger event is not valid JSON; is the function invoked by an HTTP "
                    f"trigger? ({type(exc).__name__})"
                ) from None
        else:
            data = event
        if not isinstance(data, dict):
            raise EventValidationError(
                "1 validation error for HTTP trigger event: (root): Input should be an object",
                errors=[{"loc": (), "msg": "Input should be an object", "type": "dict_type"}],
            )
        if "httpMethod" in data and "requestContext" not in data:
            return cls._from_api_gateway(data, context)
        rc = data.get("requestContext")
        if not isinstance(rc, dict):
            raise _field(
                "requestContext", "Field required" if rc is None else "Input should be an object"
            )
        http = rc.get("http")
        if not isinstance(http, dict):
            raise _field(
                "requestContext.http",
                "Field required" if http is None else "Input should be an object",
            )
        method = http.get("method")
        if not isinstance(method, str) or not method:
            raise _field("requestContext.http.method", "Input should be a non-empty string")
        raw_path = data.get("rawPath")
        path = http.get("path")
        if raw_path is not None and not isinstance(raw_path, str):
            raise _field("rawPath", "Input should be a string", "string_type")
        if path is not None and not isinstance(path, str):
            raise _field("requestContext.http.path", "Input should be a string", "string_type")
        if path is None:
            from urllib.parse import unquote

            path = unquote(raw_path or "/")
        body = data.get("body")
        if body is None:
            body = ""
        elif not isinstance(body, str):
            raise _field("body", "Input should be a string", "string_type")
        return cls(
            method,
            path or "/",
            raw_path=raw_path or None,
            headers=Headers(_str_map(data.get("headers"), "headers")),
            query=QueryParams(_str_map(data.get("queryParameters"), "queryParameters")),
            body=body,
            body_is_base64=_flag(data, "isBase64Encoded"),
            context=context,
            event=data,
            request_context=rc,
        )

    @classmethod
    def _from_api_gateway(cls, data: dict[str, Any], context: Any) -> Request:
        method = data.get("httpMethod")
        path = data.get("path")
        if not isinstance(method, str) or not method:
            raise _field("httpMethod", "Input should be a non-empty string")
        if not isinstance(path, str):
            raise _field("path", "Input should be a string", "string_type")
        body = data.get("body") or ""
        if not isinstance(body, str):
            raise _field("body", "Input should be a string", "string_type")
        rc = data.get("requestContext")
        return cls(
            method,
            path,
            headers=Headers(_str_map(data.get("headers"), "headers")),
            query=QueryParams(_str_map(data.get("queryParameters"), "queryParameters")),
            body=body,
            body_is_base64=_flag(data, "isBase64Encoded"),
            context=context,
            event=data,
            request_context=rc if isinstance(rc, dict) else {},
        )

    @classmethod
    def from_environ(cls, environ: dict[str, Any], context: Any = None) -> Request:
        """Read a WSGI environ (FC 2.0 HTTP functions; ``environ["fc.context"]`` is used).

        Example:
            >>> from fcsdk.http import Request
            >>> Request.from_environ({"REQUEST_METHOD": "GET", "PATH_INFO": "/a",
            ...                       "QUERY_STRING": "x=1&x=2"}).query.getlist("x")
            ['1', '2']
        """
        from urllib.parse import quote

        path = environ.get("PATH_INFO", "") or "/"
        path = path.encode("latin-1", "replace").decode("utf-8", "replace")
        headers: list[tuple[str, str]] = []
        for key, value in environ.items():
            if key.startswith("HTTP_"):
                name = key[5:].replace("_", "-").title()
                headers.append(
                    (name, value.encode("latin-1", "replace").decode("utf-8", "replace"))
                )
        for key, name in (("CONTENT_TYPE", "Content-Type"), ("CONTENT_LENGTH", "Content-Length")):
            if environ.get(key):
                headers.append((name, environ[key]))
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        stream = environ.get("wsgi.input")
        body = stream.read(length) if stream is not None and length > 0 else b""
        if context is None:
            context = environ.get("fc.context")
        rc = {
            "http": {
                "sourceIp": environ.get("REMOTE_ADDR"),
                "method": environ.get("REQUEST_METHOD"),
            }
        }
        return cls(
            environ.get("REQUEST_METHOD", "GET"),
            path,
            raw_path=quote(path, safe="/:@!$&'()*+,;=-._~"),
            headers=Headers(headers),
            query=QueryParams.from_string(environ.get("QUERY_STRING", "")),
            body=body,
            context=context,
            request_context=rc,
            environ=environ,
        )

    # -- body ---------------------------------------------------------------------------------

    @property
    def body(self) -> bytes:
        """The body as bytes (base64-decoded when FC sent it encoded)."""
        data = self._body_bytes
        if data is None:
            raw = self._body
            if self._body_b64:
                import base64
                import binascii

                try:
                    data = base64.b64decode(raw, validate=True)
                except (binascii.Error, ValueError):
                    raise EventDecodeError(
                        "HTTP trigger event: body: isBase64Encoded is true but body is not base64"
                    ) from None
            else:
                data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
            self._body_bytes = data
        return data

    @property
    def text(self) -> str:
        """The body as text (UTF-8); :class:`BadRequestError` (400) when it is not UTF-8."""
        raw = self._body
        if isinstance(raw, str) and not self._body_b64:
            return raw
        try:
            return self.body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadRequestError(
                message=f"request body is not valid UTF-8 (invalid byte at position {exc.start})"
            ) from None

    def json(self) -> Any:
        """The body parsed as JSON; :class:`BadRequestError` (400) when it is not valid JSON.

        Example:
            >>> from fcsdk.http import Request
            >>> Request("POST", "/", body=b'{"a": 1}').json()
            {'a': 1}
        """
        try:
            return json.loads(self.text)
        except ValueError as exc:
            raise BadRequestError(
                message=f"request body is not valid JSON: {_json_reason(exc)}"
            ) from None
        except RecursionError:
            raise BadRequestError(message="request body JSON is nested too deeply") from None

    def parse(self, model: type[T]) -> T:
        """Validate the JSON body as ``model`` (a pydantic model or any type pydantic accepts).

        Raises:
            UnsupportedMediaTypeError: 415 when ``Content-Type`` is set and is not JSON.
            BadRequestError: 400 when the body is not valid JSON.
            RequestValidationError: 422 with ``body.<field>`` paths and no input values.

        Example:
            >>> from pydantic import BaseModel
            >>> from fcsdk.http import Request
            >>> class Item(BaseModel):
            ...     name: str
            >>> Request("POST", "/", body=b'{"name": "pen"}').parse(Item).name
            'pen'
        """
        return body_decoder(model)(self)  # type: ignore[no-any-return]

    # -- metadata -----------------------------------------------------------------------------

    @property
    def cookies(self) -> dict[str, str]:
        """Cookies from the ``Cookie`` header (repeated headers joined by FC are split)."""
        if self._cookies is None:
            header = self.headers.get("cookie")
            self._cookies = _parse_cookies(header) if header else {}
        return self._cookies

    @property
    def content_type(self) -> Optional[str]:
        """The ``Content-Type`` header, or None."""
        return self.headers.get("content-type")

    @property
    def source_ip(self) -> Optional[str]:
        """The client's IP address as FC saw it (``requestContext.http.sourceIp``)."""
        http = self.request_context.get("http")
        ip = http.get("sourceIp") if isinstance(http, dict) else None
        if isinstance(ip, str):
            return ip
        identity = self.request_context.get("identity")
        ip = identity.get("sourceIp") if isinstance(identity, dict) else None
        return ip if isinstance(ip, str) else None

    @property
    def user_agent(self) -> Optional[str]:
        """The ``User-Agent`` header, or None."""
        return self.headers.get("user-agent")

    @property
    def host(self) -> str:
        """The host the client called: ``Host`` header, else FC's ``domainName``."""
        host = self.headers.get("host") or self.request_context.get("domainName")
        return host if isinstance(host, str) and host else "localhost"

    @property
    def scheme(self) -> str:
        """``X-Forwarded-Proto`` when present, else ``https`` (FC endpoints are served on both)."""
        proto = self.headers.get("x-forwarded-proto")
        return proto.split(",")[0].strip().lower() if proto else "https"

    @property
    def url(self) -> str:
        """The full URL: scheme, host, raw path and query string."""
        qs = self.query.to_query_string(split=False)
        return f"{self.scheme}://{self.host}{self.raw_path}" + (f"?{qs}" if qs else "")

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.raw_path}>"


def _json_reason(exc: ValueError) -> str:
    msg = getattr(exc, "msg", None)
    lineno, colno = getattr(exc, "lineno", None), getattr(exc, "colno", None)
    if msg and lineno is not None:
        return f"{msg} at line {lineno} column {colno}"
    return type(exc).__name__


def check_json_content_type(request: Request) -> None:
    """415 unless the request's ``Content-Type`` is JSON or absent."""
    ctype = request.headers.get("content-type")
    if ctype and not is_json_content_type(ctype):
        logging.getLogger("fcsdk.http").info("expected a JSON body, got Content-Type %r", ctype)
        raise UnsupportedMediaTypeError(
            message="Unsupported Media Type: expected a JSON body (Content-Type: application/json)"
        )


_SAFE = "/:@!$&'()*+,;=-._~"  # what raw paths keep unquoted


def _not_unicode(text: str) -> bool:
    """Whether ``text`` holds a lone surrogate (JSON's ``"\\udcff"``), which no UTF-8
    encoding, URL or HTTP header can carry."""
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _bad_host(host: str) -> bool:
    """Whether ``host`` (without its port) has an empty or over-long (63+) label, or is not
    a name IDNA can encode: what the bridges must put in ``Host`` / ``SERVER_NAME``."""
    name = host[: host.rfind(":")] if host.count(":") == 1 else host
    if name.startswith("["):  # an IPv6 literal
        return False
    try:
        name.rstrip(".").encode("idna")
    except UnicodeError:
        return True
    return False


def request_problem(request: Request) -> Optional[BadRequestError]:
    """The 400 for an HTTP trigger event a client can make but no app should receive: lone
    surrogates in the method, path, query, headers or ``domainName``; a body flagged base64
    that is not; an invalid host name. None when the request is fine.

    Example:
        >>> from fcsdk.http import Request
        >>> request_problem(Request("GET", "/a\\udcff")).message
        'request path is not valid Unicode (a lone surrogate)'
        >>> request_problem(Request("GET", "/a")) is None
        True
    """
    checks: list[tuple[str, Any]] = [
        ("method", request.method),
        ("path", request.path),
        ("path", request.raw_path),
        ("query", request.query.multi_items()),
        ("headers", request.headers.raw_items()),
        ("domainName", request.request_context.get("domainName")),
    ]
    for where, value in checks:
        texts = [value] if isinstance(value, str) else [t for kv in value or () for t in kv]
        if any(isinstance(t, str) and _not_unicode(t) for t in texts):
            return BadRequestError(
                message=f"request {where} is not valid Unicode (a lone surrogate)"
            )
    if _bad_host(request.host):
        return BadRequestError(message="request host is not a valid host name")
    if request._body_b64:
        try:
            _ = request.body  # decoded once, cached for the route
        except EventDecodeError:
            return BadRequestError(message="request body is flagged base64 but is not base64")
    return None


def body_decoder(model: Any, *, loc: str = "body") -> Decoder:
    """Build ``request -> model instance`` for a JSON body (the router builds these at decoration).

    Example:
        >>> from fcsdk.http import Request
        >>> from fcsdk.http.request import body_decoder
        >>> body_decoder(list[int])(Request("POST", "/", body=b"[1, 2]"))
        [1, 2]
    """
    from pydantic import ValidationError

    from .. import _limits
    from .._codec import build_adapter

    adapter = build_adapter(model)

    def decode(request: Request) -> Any:
        check_json_content_type(request)
        data = request.body
        if not data.strip():
            raise RequestValidationError.single((loc,), "Field required", "missing")
        try:
            return _limits.validate_json(adapter, data)  # fail-fast on large bodies
        except ValidationError as exc:
            if exc.error_count() == 1:
                e = exc.errors(include_url=False, include_input=False, include_context=False)[0]
                if e["type"] == "json_invalid" and not e["loc"]:
                    request.json()  # raises the 400 with a precise reason
                    raise BadRequestError(message="request body is not valid JSON") from None
            errs, count = _limits.error_list(exc, include_input=False)
            raise RequestValidationError.from_errors(
                [
                    {
                        "loc": _limits.clip_loc((loc, *e["loc"])),
                        "msg": _limits.clip(str(e["msg"])),
                        "type": e["type"],
                    }
                    for e in errs
                ],
                count=count,
            ) from exc
        except RecursionError:
            raise BadRequestError(message="request body JSON is nested too deeply") from None
        except MemoryError:
            raise HTTPError(413, "request body is too large to decode") from None

    return decode
