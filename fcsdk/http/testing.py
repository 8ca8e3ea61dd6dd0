"""Build FC 3.0 HTTP trigger events and read handler responses, for tests.

:func:`make_event` produces the bytes FC sends: struct fields in FC's order, header keys
canonicalized as FC's Go front end does (``x-id`` -> ``X-Id``), repeated headers and query
parameters joined with commas, the path percent-encoded in ``rawPath`` and decoded in
``requestContext.http.path``, binary bodies base64. :func:`parse_response` reads what a handler
returned the way FC turns it into an HTTP response.

Example:
    >>> from fcsdk.http.testing import make_event, parse_response
    >>> import json
    >>> ev = json.loads(make_event("GET", "/café?tag=a&tag=b", headers={"x-id": "1"}))
    >>> ev["rawPath"], ev["requestContext"]["http"]["path"], ev["queryParameters"], ev["headers"]
    ('/caf%C3%A9', '/café', {'tag': 'a,b'}, {'X-Id': '1'})
"""

from __future__ import annotations

import base64
import json as _json
import time as _time
from collections.abc import Iterable, Mapping
from typing import Any, Optional, Union

from .datastructures import canonical_header_key
from .response import is_text_content_type

__all__ = ["FCResponse", "make_event", "parse_response"]

Pairs = Union[Mapping[str, Union[str, Iterable[str]]], Iterable[tuple[str, str]], None]


def _pairs(source: Pairs) -> list[tuple[str, str]]:
    if source is None:
        return []
    if isinstance(source, Mapping):
        out: list[tuple[str, str]] = []
        for k, v in source.items():
            if isinstance(v, (list, tuple)) or (
                isinstance(v, Iterable) and not isinstance(v, (str, bytes))
            ):
                out.extend((str(k), str(x)) for x in v)
            else:
                out.append((str(k), str(v)))
        return out
    return [(str(k), str(v)) for k, v in source]


def _join(pairs: list[tuple[str, str]], canon: bool) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in pairs:
        key = canonical_header_key(k) if canon else k
        out[key] = f"{out[key]},{v}" if key in out else v
    return dict(sorted(out.items()))


def _go_json(value: Any) -> bytes:
    """JSON as Go's encoding/json writes it: compact, UTF-8, ``<>&`` and U+2028/9 escaped."""
    text = _json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(ch, esc)
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return text.encode("utf-8", "surrogatepass")


def make_event(
    method: str = "GET",
    path: str = "/",
    *,
    body: Union[bytes, str, None] = None,
    json: Any = None,
    headers: Pairs = None,
    query: Pairs = None,
    base64_body: Optional[bool] = None,
    source_ip: str = "127.0.0.1",
    request_id: str = "1-6700c2a8-0123456789abcdef01234567",
    domain_prefix: str = "demo-trigger",
    region: str = "cn-hangzhou",
    account_id: str = "1234567890123456",
    epoch_ms: Optional[int] = None,
) -> bytes:
    """The event bytes an FC 3.0 HTTP trigger sends for this request.

    Parameters:
        method: the HTTP method.
        path: the request path, optionally with ``?query`` (decoded or percent-encoded).
        body: the body (bytes or str); ``json=`` serializes a value and sets ``Content-Type``.
        headers / query: a mapping (a list value repeats the name) or ``(name, value)`` pairs.
        base64_body: force ``isBase64Encoded``; by default bytes are base64 unless they are
            UTF-8 and the content type is textual.

    Example:
        >>> import json
        >>> from fcsdk.http.testing import make_event
        >>> ev = json.loads(make_event("POST", "/up", body=b"\\xff\\x00"))
        >>> ev["isBase64Encoded"], ev["body"]
        (True, '/wA=')
    """
    from urllib.parse import parse_qsl, quote, unquote

    raw, _, qs = path.partition("?")
    raw_path = quote(raw or "/", safe="/%:@!$&'()*+,;=-._~")
    qpairs = parse_qsl(qs, keep_blank_values=True) + _pairs(query)
    hpairs = _pairs(headers)
    lower = {k.lower() for k, _ in hpairs}
    if json is not None:
        body = _json.dumps(json, ensure_ascii=False, separators=(",", ":"))
        if "content-type" not in lower:
            hpairs.append(("Content-Type", "application/json"))
    ctype = next((v for k, v in hpairs if k.lower() == "content-type"), None)
    text = ""
    encoded = False
    if isinstance(body, str):
        text = body
        encoded = bool(base64_body)
        if encoded:
            text = base64.b64encode(body.encode("utf-8")).decode("ascii")
    elif body:
        data = bytes(body)
        if base64_body is None:
            try:
                data.decode("utf-8")
                encoded = not is_text_content_type(ctype)
            except UnicodeDecodeError:
                encoded = True
        else:
            encoded = base64_body
        text = base64.b64encode(data).decode("ascii") if encoded else data.decode("utf-8")
    now_ms = epoch_ms if epoch_ms is not None else int(_time.time() * 1000)
    user_agent = next((v for k, v in hpairs if k.lower() == "user-agent"), "")
    event = {
        "version": "v1",
        "rawPath": raw_path,
        "body": text,
        "isBase64Encoded": encoded,
        "headers": _join(hpairs, canon=True),
        "queryParameters": _join(qpairs, canon=False),
        "requestContext": {
            "accountId": account_id,
            "domainName": f"{domain_prefix}.{region}.fcapp.run",
            "domainPrefix": domain_prefix,
            "http": {
                "method": method.upper(),
                "path": unquote(raw_path),
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": user_agent,
            },
            "requestId": request_id,
            "time": _time.strftime("%Y-%m-%dT%H:%M:%SZ", _time.gmtime(now_ms / 1000)),
            "timeEpoch": str(now_ms),
        },
    }
    return _go_json(event)


class FCResponse:
    """A handler's FC response as the client receives it.

    Attributes:
        status_code: the status.
        headers: ``(name, value)`` pairs with canonical names; case-variant keys of one header
            (how fcsdk sends several ``Set-Cookie``) come out as repeated headers.
        body: the body bytes (base64-decoded when ``isBase64Encoded``).
        raw: the response object the handler returned, parsed.
    """

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.status_code = int(raw.get("statusCode", 200))
        self.headers: list[tuple[str, str]] = [
            (canonical_header_key(k), str(v)) for k, v in (raw.get("headers") or {}).items()
        ]
        body = raw.get("body") or ""
        self.body: bytes = (
            base64.b64decode(body) if raw.get("isBase64Encoded") else str(body).encode("utf-8")
        )

    def header(self, name: str) -> Optional[str]:
        """The first value of header ``name`` (any case), or None."""
        values = self.header_list(name)
        return values[0] if values else None

    def header_list(self, name: str) -> list[str]:
        """Every value of header ``name``, in order."""
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    @property
    def text(self) -> str:
        """The body as UTF-8 text."""
        return self.body.decode("utf-8")

    def json(self) -> Any:
        """The body parsed as JSON."""
        return _json.loads(self.body)

    def __repr__(self) -> str:
        return f"<FCResponse {self.status_code}, {len(self.body)} bytes>"


def parse_response(result: Union[str, bytes, Mapping[str, Any]]) -> FCResponse:
    """Read what a handler returned (FC response JSON) as an :class:`FCResponse`.

    Example:
        >>> from fcsdk.http import JSONResponse
        >>> from fcsdk.http.testing import parse_response
        >>> parse_response(JSONResponse({"ok": True}).encode()).json()
        {'ok': True}
    """
    data = dict(result) if isinstance(result, Mapping) else _json.loads(result)
    if not isinstance(data, dict) or "statusCode" not in data:
        raise ValueError("not an FC HTTP response: expected a JSON object with statusCode")
    return FCResponse(data)
