"""Export of one invocation's spans: masked, then POSTed as OTLP/HTTP protobuf within a deadline.

The POST runs on the invocation's own thread, with every socket operation (and the DNS lookup
of the collector's host: :mod:`fcsdk.tracing._resolve`) bounded by what is left of the deadline:
a dead collector (connection refused) costs a connect, a silent one (never answers) or a DNS
server that never answers costs at most the bound, and when the handler returns nothing is left
in flight but, at most, one DNS lookup per host whose answer the next invocations use.
"""

from __future__ import annotations

import socket
import time
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional, Sequence
from urllib.parse import urlsplit

from .._logstep import DEFAULT_MASKED
from .._redact import MASK

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import ReadableSpan

__all__ = ["ExportFailed", "mask_spans", "post_protobuf"]


class ExportFailed(Exception):
    """The collector could not be reached in time or answered with an error."""


def _norm(key: str) -> str:
    return key.lower().replace("-", "").replace("_", "").replace(".", "")


def _mask_attrs(attrs: Optional[Mapping[str, Any]], secrets: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in (attrs or {}).items():
        if _norm(key).endswith(DEFAULT_MASKED):
            out[key] = MASK
        elif isinstance(value, str) and secrets:
            for s in secrets:
                if s in value:
                    value = value.replace(s, MASK)
            out[key] = value
        elif isinstance(value, (tuple, list)) and secrets:
            out[key] = tuple(_mask_attrs({"v": v}, secrets)["v"] for v in value)
        else:
            out[key] = value
    return out


def _dirty(attrs: Optional[Mapping[str, Any]], secrets: tuple[str, ...]) -> bool:
    for key, value in (attrs or {}).items():
        if _norm(key).endswith(DEFAULT_MASKED):
            return True
        if secrets and isinstance(value, (str, tuple, list)):
            text = value if isinstance(value, str) else repr(value)
            if any(s in text for s in secrets):
                return True
    return False


def _needs_mask(span: ReadableSpan, secrets: tuple[str, ...]) -> bool:
    if _dirty(span.attributes, secrets) or any(_dirty(e.attributes, secrets) for e in span.events):
        return True
    text = span.status.description
    return bool(text and secrets and any(s in text for s in secrets))


def mask_spans(spans: Sequence[ReadableSpan], secrets: tuple[str, ...]) -> list[ReadableSpan]:
    """Copies of ``spans`` whose attributes (and events' attributes) have secret-looking keys
    masked and the invocation's secret values replaced."""
    from opentelemetry.sdk.trace import Event, ReadableSpan

    out: list[ReadableSpan] = []
    for span in spans:
        if not _needs_mask(span, secrets):
            out.append(span)  # the common case: nothing to mask, no copy
            continue
        events = [
            Event(e.name, _mask_attrs(e.attributes, secrets), e.timestamp) for e in span.events
        ]
        status = span.status
        if status.description and secrets:
            from opentelemetry.trace import Status

            text = status.description
            for s in secrets:
                text = text.replace(s, MASK)
            status = Status(status.status_code, text)
        out.append(
            ReadableSpan(
                name=span.name,
                context=span.context,
                parent=span.parent,
                resource=span.resource,
                attributes=_mask_attrs(span.attributes, secrets),
                events=events,
                links=span.links,
                kind=span.kind,
                status=status,
                start_time=span.start_time,
                end_time=span.end_time,
                instrumentation_scope=span.instrumentation_scope,
            )
        )
    return out


_tls: Any = None


def _tls_context() -> Any:
    """One ``ssl.create_default_context()`` per process: building it reads the system's CA
    bundle (~20 ms here), which every traced invocation to an https collector used to pay, out
    of its 2 s export bound. An ``SSLContext`` may wrap sockets from several threads."""
    global _tls
    if _tls is None:
        import ssl

        _tls = ssl.create_default_context()
    return _tls


def _connect(host: str, port: int, left: Callable[[], float]) -> socket.socket:
    """A TCP connection to ``host``, the DNS lookup included in the deadline (see
    :mod:`fcsdk.tracing._resolve`); each address in turn, like ``socket.create_connection``."""
    from ._resolve import LookupFailed, forget, resolve

    try:
        infos = resolve(host, port, left())
    except LookupFailed as exc:
        raise ExportFailed(str(exc)) from None
    error: Optional[OSError] = None
    for family, kind, proto, _, address in infos:
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(left())
            sock.connect(address)
            return sock
        except OSError as exc:
            error = exc
            sock.close()
        except BaseException:
            sock.close()
            raise
    forget(host, port)
    raise ExportFailed(f"cannot connect: {error}")


def post_protobuf(endpoint: str, body: bytes, headers: Mapping[str, str], deadline: float) -> int:
    """POST ``body`` to ``endpoint`` before ``deadline`` (``time.monotonic()``); returns the HTTP
    status. Raises :class:`ExportFailed` when the deadline passes or the connection fails."""
    url = urlsplit(endpoint)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ExportFailed(f"not an http(s) URL: {endpoint!r}")
    port = url.port or (443 if url.scheme == "https" else 80)
    path = (url.path or "/") + (f"?{url.query}" if url.query else "")

    def left() -> float:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ExportFailed("the export deadline passed")
        return remaining

    sock = _connect(url.hostname, port, left)
    try:
        if url.scheme == "https":
            sock.settimeout(left())
            sock = _tls_context().wrap_socket(sock, server_hostname=url.hostname)
        host = url.hostname if url.port is None else f"{url.hostname}:{url.port}"
        head = [
            f"POST {path} HTTP/1.1",
            f"Host: {host}",
            "Content-Type: application/x-protobuf",
            f"Content-Length: {len(body)}",
            "Connection: close",
            *(f"{k}: {v}" for k, v in headers.items()),
        ]
        sock.settimeout(left())
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        data = b""
        while b"\r\n" not in data:
            sock.settimeout(left())
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
            if len(data) > 65536:
                break
        status_line = data.split(b"\r\n", 1)[0].split()
        if len(status_line) < 2 or not status_line[1].isdigit():
            raise ExportFailed("no HTTP status from the collector")
        return int(status_line[1])
    except (OSError, ValueError) as exc:
        raise ExportFailed(f"{type(exc).__name__}: {exc}") from None
    finally:
        sock.close()
