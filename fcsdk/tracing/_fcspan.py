"""FC's span context: ``context.tracing.span_context`` (header
``x-fc-tracing-opentracing-span-context``), a Jaeger/OpenTracing ``traceid:spanid:parentid:flags``
string in hex (ids left-padded with zeros when shorter; parentid is deprecated and usually 0).
Parsed without OpenTelemetry, so a malformed value costs nothing and never raises."""

from __future__ import annotations

import re
from typing import NamedTuple, Optional

__all__ = ["FCSpanContext", "otlp_endpoint_from_jaeger", "parse_span_context"]

_HEX = re.compile(r"[0-9a-fA-F]{1,32}\Z")


class FCSpanContext(NamedTuple):
    """FC's span, the parent of the invocation span.

    Example:
        >>> FCSpanContext(1, 2, True).trace_id_hex
        '00000000000000000000000000000001'
    """

    trace_id: int
    span_id: int
    sampled: bool

    @property
    def trace_id_hex(self) -> str:
        """The trace id as OpenTelemetry writes it (32 hex digits)."""
        return f"{self.trace_id:032x}"


def parse_span_context(text: Optional[str]) -> Optional[FCSpanContext]:
    """``traceid:spanid:parentid:flags`` -> :class:`FCSpanContext`; None for a missing or
    malformed value (the invocation then starts its own trace).

    Example:
        >>> parse_span_context("5f8a3c2e1b0d4f6a:1a2b3c4d5e6f7081:0:1")
        FCSpanContext(trace_id=6884381149109243754, span_id=1885667171979194497, sampled=True)
        >>> parse_span_context("5f8a3c2e1b0d4f6a:1a2b3c4d5e6f7081:0:0").sampled
        False
        >>> parse_span_context("garbage") is None, parse_span_context("0:1:0:1") is None
        (True, True)
    """
    if not text or len(text) > 200:
        return None
    parts = text.strip().split(":")
    if len(parts) < 2 or len(parts) > 4:
        return None
    trace, span = parts[0], parts[1]
    if not _HEX.match(trace) or not _HEX.match(span) or len(span) > 16:
        return None
    trace_id, span_id = int(trace, 16), int(span, 16)
    if trace_id == 0 or span_id == 0:
        return None
    sampled = True
    if len(parts) == 4:
        if not _HEX.match(parts[3]) or len(parts[3]) > 2:
            return None
        sampled = bool(int(parts[3], 16) & 1)
    return FCSpanContext(trace_id, span_id, sampled)


def otlp_endpoint_from_jaeger(endpoint: Optional[str]) -> Optional[str]:
    """The OTLP/HTTP traces endpoint beside FC's Jaeger endpoint (``.../api/traces`` ->
    ``.../api/otlp/traces``, the Managed Service for OpenTelemetry layout); None otherwise.

    Example:
        >>> otlp_endpoint_from_jaeger("http://tracing-analysis-dc-hz.aliyuncs.com/adapt_x@y/api/traces")
        'http://tracing-analysis-dc-hz.aliyuncs.com/adapt_x@y/api/otlp/traces'
        >>> otlp_endpoint_from_jaeger("udp://agent:6831") is None
        True
    """
    if not endpoint or not endpoint.startswith(("http://", "https://")):
        return None
    base = endpoint.rstrip("/")
    if base.endswith("/api/otlp/traces"):
        return base
    if base.endswith("/api/traces"):
        return base[: -len("/api/traces")] + "/api/otlp/traces"
    return None
