"""Native FC context objects, shaped like the ones FC's Python runtimes pass to handlers.

Shape A: python3.6/3.9/3.10 (FC 2.0 and 3.0); shape B: python3.12. Attribute names follow the
FC runtime reference; values arrive as the runtime gives them (timeout and retry count as
strings).
"""

from __future__ import annotations

import base64
import json
from typing import Any, Optional


class NativeCredentials:
    def __init__(self, access_key_id: str, access_key_secret: str, security_token: str) -> None:
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.security_token = security_token


class NativeFunction:
    def __init__(self, **kw: Any) -> None:
        self.__dict__.update(kw)


class NativeService:
    def __init__(
        self, name: str, log_project: str, log_store: str, qualifier: str, version_id: str
    ) -> None:
        self.name = name
        self.log_project = log_project
        self.log_store = log_store
        self.qualifier = qualifier
        self.version_id = version_id


class NativeTracing:
    def __init__(
        self, span_context: str, jaeger_endpoint: str, span_baggages: dict[str, Any]
    ) -> None:
        self.span_context = span_context
        self.jaeger_endpoint = jaeger_endpoint
        self.span_baggages = span_baggages


class ShapeA:
    """python3.9/3.10: credentials, function, service, tracing, region, account_id, retry_count."""

    def __init__(
        self,
        request_id: str = "req-a",
        *,
        key_id: str = "STS.id-a",
        secret: str = "secret-a",
        token: str = "token-a",
        fc2: bool = True,
        retry_count: Optional[str] = "1",
    ) -> None:
        self.request_id = request_id
        self.credentials = NativeCredentials(key_id, secret, token)
        fn: dict[str, Any] = {
            "name": "orders",
            "handler": "index.handler",
            "memory": 512,
            "timeout": "30",
        }
        if fc2:
            fn["initializer"] = "index.init"
        self.function = NativeFunction(**fn)
        self.service = NativeService(
            "svc" if fc2 else "", "proj" if fc2 else "", "store" if fc2 else "", "LATEST", "3"
        )
        self.region = "cn-hangzhou"
        self.account_id = "1234567890"
        self.retry_count = retry_count
        if fc2:
            self.tracing = NativeTracing("span-ctx", "http://jaeger", {"k": "v"})
        else:
            self.tracing = NativeTracing("", "", {})


class ShapeB:
    """python3.12: no credentials/service/tracing; version and qualifier on function."""

    def __init__(self, request_id: str = "req-b") -> None:
        self.request_id = request_id
        self.account_id = "1234567890"
        self.region = "cn-shanghai"
        self.log_project = "proj-b"
        self.log_store = "store-b"
        self.function = NativeFunction(
            name="orders-b",
            handler="index.handler",
            memory=1024,
            timeout=60,
            version_id="7",
            qualifier="prod",
        )


def shape_c_headers(request_id: str = "req-c", **extra: str) -> dict[str, str]:
    """Custom-runtime request headers (shape C), as FC sends them."""
    baggages = base64.b64encode(json.dumps({"b": "1"}).encode()).decode()
    headers = {
        "x-fc-request-id": request_id,
        "x-fc-access-key-id": "STS.id-c",
        "x-fc-access-key-secret": "secret-c",
        "x-fc-security-token": "token-c",
        "x-fc-function-name": "orders-c",
        "x-fc-function-handler": "index.handler",
        "x-fc-function-memory": "256",
        "x-fc-function-timeout": "15",
        "x-fc-function-initializer": "index.init",
        "x-fc-region": "cn-beijing",
        "x-fc-account-id": "999",
        "x-fc-qualifier": "LATEST",
        "x-fc-version-id": "2",
        "x-fc-service-name": "svc-c",
        "x-fc-service-logproject": "proj-c",
        "x-fc-service-logstore": "store-c",
        "x-fc-retry-count": "2",
        "x-fc-tracing-opentracing-span-context": "ctx-c",
        "x-fc-tracing-opentracing-span-baggages": baggages,
        "x-fc-tracing-jaeger-endpoint": "http://jaeger-c",
    }
    headers.update(extra)
    return headers


def fc_runtime_body(value: Any) -> bytes:
    """What FC's built-in Python runtime sends for a handler's return value (reference section 1),
    written independently of fcsdk's encoder from the documented rules."""
    import datetime
    import decimal

    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, bytes):
        return value

    def default(obj: Any) -> Any:
        if isinstance(obj, decimal.Decimal):
            return float(obj)
        if isinstance(obj, (datetime.date, datetime.datetime)):
            return obj.isoformat()
        if hasattr(obj, "to_json"):
            return obj.to_json()
        raise TypeError(f"{obj!r} is not JSON serializable")

    return json.dumps(value, indent=4, sort_keys=True, default=default).encode("utf-8")


def body_bytes(body: Any) -> bytes:
    """A decorated handler's return as the bytes on the wire."""
    assert isinstance(body, (str, bytes)), type(body)
    return body.encode("utf-8") if isinstance(body, str) else body
