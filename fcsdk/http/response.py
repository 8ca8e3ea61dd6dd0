"""``Response`` and helpers: what a handler returns, turned into FC's HTTP response shape.

FC 3.0's HTTP trigger expects the handler to return JSON
``{"statusCode": int, "headers": {name: value}, "isBase64Encoded": bool, "body": str}``.
``headers`` is a map with one string per name, so repeated headers need care:

- repeated headers other than ``Set-Cookie`` are joined with ``", "`` (RFC 9110 5.3 allows it);
- ``Set-Cookie`` cannot be joined (RFC 6265 3: cookie dates contain commas), so each cookie gets
  its own key in a different letter case (``Set-Cookie``, ``set-Cookie``, ...). The keys are
  distinct in JSON and all name the same header, so a gateway that adds each key to its response
  sends one ``Set-Cookie`` line per cookie. See NOTES-http.md for the sources.

Bodies are text when the content type is textual and the bytes are UTF-8, otherwise base64 with
``isBase64Encoded: true``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Optional, Union

from .._codec import pydantic_jsonable

__all__ = [
    "JSONResponse",
    "Response",
    "binary",
    "html",
    "redirect",
    "text",
    "to_response",
]

HeadersInit = Union[Mapping[str, str], Iterable[tuple[str, str]], None]

_TEXT_SUBTYPES = ("json", "xml", "javascript", "ecmascript", "x-www-form-urlencoded", "yaml", "csv")


def is_text_content_type(content_type: Optional[str]) -> bool:
    """Whether a body of this content type is sent as text (else base64).

    Example:
        >>> is_text_content_type("application/problem+json"), is_text_content_type("image/png")
        (True, False)
    """
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    if media.startswith("text/"):
        return True
    if media.startswith(("application/", "image/svg")):
        sub = media.split("/", 1)[1]
        return any(t in sub for t in _TEXT_SUBTYPES) or sub.endswith("+xml") or sub == "svg+xml"
    return False


def _case_variants(name: str) -> Iterator[str]:
    """``name`` in distinct letter cases: the name as given first, then toggled variants."""
    lower = name.lower()
    seen: set[str] = set()
    for first in (name, lower, name.upper()):
        if first not in seen:
            seen.add(first)
            yield first
    letters = [i for i, c in enumerate(lower) if c.isalpha()]
    for n in range(1, 1 << len(letters)):
        chars = list(lower)
        for bit, idx in enumerate(letters):
            if n >> bit & 1:
                chars[idx] = chars[idx].upper()
        variant = "".join(chars)
        if variant not in seen:
            seen.add(variant)
            yield variant


class Response:
    """An HTTP response: status, headers (repeats allowed) and a body.

    Parameters:
        body: ``bytes`` or ``str`` (encoded UTF-8).
        status_code: the HTTP status (default 200).
        headers: a mapping or ``(name, value)`` pairs; repeat a name to send it twice.
        media_type: sets ``Content-Type`` unless ``headers`` already has one.

    Example:
        >>> from fcsdk.http import Response
        >>> r = Response("hi", media_type="text/plain")
        >>> r.set_cookie("a", "1")
        >>> r.set_cookie("b", "2")
        >>> r.to_fc()["headers"]
        {'content-type': 'text/plain', 'Set-Cookie': 'a=1; Path=/; SameSite=lax', 'set-cookie': 'b=2; Path=/; SameSite=lax'}
    """

    __slots__ = ("body", "headers", "status_code")

    def __init__(
        self,
        body: Union[bytes, str, None] = b"",
        status_code: int = 200,
        headers: HeadersInit = None,
        media_type: Optional[str] = None,
    ) -> None:
        self.status_code = int(status_code)
        if body is None:
            body = b""
        self.body: bytes = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        pairs = headers.items() if isinstance(headers, Mapping) else (headers or ())
        self.headers: list[tuple[str, str]] = [(str(k), str(v)) for k, v in pairs]
        if media_type is not None and self.get_header("content-type") is None:
            self.headers.append(("content-type", media_type))

    def get_header(self, name: str) -> Optional[str]:
        """The first value of header ``name`` (any case), or None."""
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None

    def set_header(self, name: str, value: str) -> None:
        """Replace every ``name`` header with one ``value``."""
        lname = name.lower()
        self.headers = [(k, v) for k, v in self.headers if k.lower() != lname]
        self.headers.append((name, value))

    def set_cookie(
        self,
        key: str,
        value: str = "",
        *,
        max_age: Optional[int] = None,
        expires: Optional[str] = None,
        path: Optional[str] = "/",
        domain: Optional[str] = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: Optional[str] = "lax",
    ) -> None:
        """Add a ``Set-Cookie`` header (several cookies each get their own header line).

        Example:
            >>> from fcsdk.http import Response
            >>> r = Response()
            >>> r.set_cookie("sid", "x", httponly=True, max_age=60)
            >>> r.headers
            [('Set-Cookie', 'sid=x; HttpOnly; Max-Age=60; Path=/; SameSite=lax')]
        """
        from http.cookies import SimpleCookie

        cookie: SimpleCookie = SimpleCookie()
        cookie[key] = value
        morsel = cookie[key]
        if max_age is not None:
            morsel["max-age"] = max_age
        if expires is not None:
            morsel["expires"] = expires
        if path is not None:
            morsel["path"] = path
        if domain is not None:
            morsel["domain"] = domain
        if secure:
            morsel["secure"] = True
        if httponly:
            morsel["httponly"] = True
        if samesite:
            morsel["samesite"] = samesite
        self.headers.append(("Set-Cookie", morsel.OutputString()))

    def delete_cookie(self, key: str, *, path: str = "/", domain: Optional[str] = None) -> None:
        """Expire cookie ``key`` in the client."""
        self.set_cookie(
            key, "", max_age=0, expires="Thu, 01 Jan 1970 00:00:00 GMT", path=path, domain=domain
        )

    def to_fc(self) -> dict[str, Any]:
        """FC's response shape: ``{statusCode, headers, isBase64Encoded, body}``.

        Example:
            >>> from fcsdk.http import Response
            >>> Response(b"\\x89PNG", media_type="image/png").to_fc()["isBase64Encoded"]
            True
        """
        out_headers: dict[str, str] = {}
        index: dict[str, str] = {}  # lower name -> key used in out_headers
        cookies: list[str] = []
        for name, value in self.headers:
            lname = name.lower()
            if lname == "set-cookie":
                cookies.append(value)
            elif lname in index:
                key = index[lname]
                out_headers[key] = f"{out_headers[key]}, {value}"
            else:
                index[lname] = name
                out_headers[name] = value
        if cookies:
            names = _case_variants("Set-Cookie")
            for value in cookies:
                out_headers[next(names)] = value
        body = self.body
        encoded = False
        text = ""
        if body:
            ctype = self.get_header("content-type")
            if self.get_header("content-encoding") is None and is_text_content_type(ctype):
                try:
                    text = body.decode("utf-8")
                except UnicodeDecodeError:
                    encoded = True
            else:
                encoded = True
            if encoded:
                text = base64.b64encode(body).decode("ascii")
        return {
            "statusCode": self.status_code,
            "headers": out_headers,
            "isBase64Encoded": encoded,
            "body": text,
        }

    def encode(self) -> str:
        """The JSON text a handler returns to FC (compact, UTF-8)."""
        return json.dumps(self.to_fc(), ensure_ascii=False, separators=(",", ":"))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.status_code}, {len(self.body)} bytes>"


def dump_json(content: Any) -> bytes:
    """Serialize ``content`` (dicts, lists, pydantic models, dataclasses, datetimes...) to JSON.

    Example:
        >>> dump_json({"a": [1, "é"]})
        b'{"a":[1,"\\xc3\\xa9"]}'
    """
    tp = type(content)
    if hasattr(tp, "__pydantic_serializer__") or hasattr(tp, "__dataclass_fields__"):
        from pydantic_core import to_json

        return to_json(content, by_alias=True)
    return json.dumps(
        content,
        ensure_ascii=False,
        separators=(",", ":"),
        default=pydantic_jsonable,
        allow_nan=False,
    ).encode("utf-8")


class JSONResponse(Response):
    """A JSON response: dicts, lists, pydantic models and dataclasses serialized by alias.

    Example:
        >>> from fcsdk.http import JSONResponse
        >>> JSONResponse({"id": 7}, status_code=201).to_fc()
        {'statusCode': 201, 'headers': {'content-type': 'application/json'}, 'isBase64Encoded': False, 'body': '{"id":7}'}
    """

    __slots__ = ()

    def __init__(
        self,
        content: Any = None,
        status_code: int = 200,
        headers: HeadersInit = None,
        media_type: str = "application/json",
    ) -> None:
        super().__init__(dump_json(content), status_code, headers, media_type)


def text(body: str, status_code: int = 200, headers: HeadersInit = None) -> Response:
    """A ``text/plain; charset=utf-8`` response.

    Example:
        >>> from fcsdk import http
        >>> http.text("pong").to_fc()["body"]
        'pong'
    """
    return Response(body, status_code, headers, "text/plain; charset=utf-8")


def html(body: str, status_code: int = 200, headers: HeadersInit = None) -> Response:
    """A ``text/html; charset=utf-8`` response.

    Example:
        >>> from fcsdk import http
        >>> http.html("<p>hi</p>").get_header("content-type")
        'text/html; charset=utf-8'
    """
    return Response(body, status_code, headers, "text/html; charset=utf-8")


def binary(
    data: bytes,
    media_type: str = "application/octet-stream",
    status_code: int = 200,
    headers: HeadersInit = None,
    *,
    filename: Optional[str] = None,
) -> Response:
    """A binary response, sent base64-encoded; ``filename`` adds ``Content-Disposition``.

    Example:
        >>> from fcsdk import http
        >>> http.binary(b"\\x00\\x01", "image/png").to_fc()["body"]
        'AAE='
    """
    resp = Response(data, status_code, headers, media_type)
    if filename is not None:
        from urllib.parse import quote

        resp.headers.append(
            ("content-disposition", f"attachment; filename*=UTF-8''{quote(filename, safe='')}")
        )
    return resp


def redirect(url: str, status_code: int = 307, headers: HeadersInit = None) -> Response:
    """A redirect to ``url`` (307 by default: keeps the method and body).

    Example:
        >>> from fcsdk import http
        >>> http.redirect("/login").to_fc()["headers"]
        {'location': '/login'}
    """
    from urllib.parse import quote

    resp = Response(b"", status_code, headers)
    resp.headers.append(("location", quote(url, safe=":/%#?=@[]!$&'()*+,;~")))
    return resp


def to_response(value: Any) -> Response:
    """What a handler returned, as a :class:`Response`.

    ``Response`` as is; ``None`` -> 204; ``str`` -> ``text/plain``; ``bytes`` ->
    ``application/octet-stream``; anything else (dict, list, pydantic model, dataclass) -> JSON.

    Example:
        >>> from fcsdk.http.response import to_response
        >>> to_response(None).status_code, to_response({"a": 1}).get_header("content-type")
        (204, 'application/json')
    """
    if isinstance(value, Response):
        return value
    if value is None:
        return Response(b"", 204)
    if isinstance(value, str):
        return text(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return binary(bytes(value))
    return JSONResponse(value)
