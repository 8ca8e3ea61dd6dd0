"""A real OTLP/HTTP trace receiver on 127.0.0.1 for the tests.

It accepts ``POST /v1/traces`` with ``Content-Type: application/x-protobuf``, decodes the body as
an ``ExportTraceServiceRequest`` with opentelemetry-proto (a body that does not decode is a 400,
as a collector answers) and keeps every span with the monotonic time it arrived. Modes:

- ``"ok"``: answer 200 with an empty ``ExportTraceServiceResponse``;
- ``"silent"``: read the request, then never answer (until the server stops);
- ``"error"``: answer 503.

Example::

    with OTLPReceiver() as rx:
        tracer = Tracer(service="s", endpoint=rx.endpoint)
        ...
        assert rx.spans()[0].name == "..."
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)


@dataclass
class ReceivedSpan:
    """One span as it arrived: ids in hex, attributes as plain Python values."""

    name: str
    trace_id: str
    span_id: str
    parent_span_id: str
    kind: int
    attributes: dict[str, Any]
    events: list[tuple[str, dict[str, Any]]]
    resource: dict[str, Any]
    status_code: int
    status_message: str
    request: int  # which POST carried it (0, 1, ...)
    arrived: float  # time.monotonic() when the request was read
    start_ns: int = 0  # the span's own start and end (epoch nanoseconds, as sent)
    end_ns: int = 0


def _value(v: Any) -> Any:
    kind = v.WhichOneof("value")
    if kind == "array_value":
        return [_value(x) for x in v.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: _value(kv.value) for kv in v.kvlist_value.values}
    return getattr(v, kind) if kind else None


def _attrs(kvs: Any) -> dict[str, Any]:
    return {kv.key: _value(kv.value) for kv in kvs}


class OTLPReceiver:
    def __init__(self, mode: str = "ok") -> None:
        self.mode = mode
        self.requests: list[ExportTraceServiceRequest] = []
        self.received: list[ReceivedSpan] = []
        self.content_types: list[str] = []
        self.bad_requests = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._httpd: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None

    @property
    def endpoint(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1/traces"

    def spans(self) -> list[ReceivedSpan]:
        with self._lock:
            return list(self.received)

    def _record(self, body: bytes, content_type: str) -> bool:
        req = ExportTraceServiceRequest()
        try:
            req.ParseFromString(body)
        except Exception:
            return False
        arrived = time.monotonic()
        with self._lock:
            index = len(self.requests)
            self.requests.append(req)
            self.content_types.append(content_type)
            for rs in req.resource_spans:
                resource = _attrs(rs.resource.attributes)
                for ss in rs.scope_spans:
                    for s in ss.spans:
                        self.received.append(
                            ReceivedSpan(
                                name=s.name,
                                trace_id=s.trace_id.hex(),
                                span_id=s.span_id.hex(),
                                parent_span_id=s.parent_span_id.hex(),
                                kind=s.kind,
                                attributes=_attrs(s.attributes),
                                events=[(e.name, _attrs(e.attributes)) for e in s.events],
                                resource=resource,
                                status_code=s.status.code,
                                status_message=s.status.message,
                                request=index,
                                arrived=arrived,
                                start_ns=s.start_time_unix_nano,
                                end_ns=s.end_time_unix_nano,
                            )
                        )
        return True

    def start(self) -> OTLPReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if self.path not in ("/v1/traces", "/api/otlp/traces"):
                    self._answer(404, b"")
                    return
                if not receiver._record(body, self.headers.get("Content-Type", "")):
                    receiver.bad_requests += 1
                    self._answer(400, b"cannot decode ExportTraceServiceRequest")
                    return
                if receiver.mode == "silent":
                    receiver._stop.wait(30)
                    self.close_connection = True
                    return
                if receiver.mode == "error":
                    self._answer(503, b"unavailable")
                    return
                self._answer(200, ExportTraceServiceResponse().SerializeToString())

            def _answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)
                self.close_connection = True

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> OTLPReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
