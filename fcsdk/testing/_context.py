"""``fake_context``: a native-like FC context object for tests, in the runtime's own shape.

The objects are :mod:`fcsdk.runtime.native`'s, the very ones ``fcsdk invoke`` and ``fcsdk serve``
hand to raw handlers; this module only adds test defaults and argument checks.
"""

from __future__ import annotations

import uuid
from typing import Any, Dict

from ..runtime.native import (
    RUNTIMES,
    NativeContext,
    NativeCredentials,
    NativeTracing,
    native_context,
)

__all__ = ["FakeContext", "fake_context"]

#: The type :func:`fake_context` returns (``NativeContextA`` or ``NativeContextB``).
FakeContext = NativeContext

_FIELDS = {
    "request_id",
    "region",
    "account_id",
    "function_name",
    "handler",
    "memory",
    "timeout",
    "initializer",
    "qualifier",
    "version_id",
    "service_name",
    "log_project",
    "log_store",
    "retry_count",
    "access_key_id",
    "access_key_secret",
    "security_token",
    "span_context",
    "jaeger_endpoint",
    "span_baggages",
}
_CREDENTIAL_FIELDS = {"access_key_id", "access_key_secret", "security_token"}


def fake_context(runtime: str = "python3.10", **fields: Any) -> NativeContext:
    """A native-like FC context of the shape ``runtime`` uses, for any test framework.

    Shape A (``python3``, ``python3.9``, ``python3.10``) has ``credentials``, ``service`` and
    ``tracing``; shape B (``python3.12``) has none of them (credentials come from the
    environment there) but ``logger``, ``log_project`` and ``log_store`` at the top.

    Parameters:
        runtime: the FC runtime id.
        **fields: override any of ``request_id``, ``region``, ``account_id``,
            ``function_name``, ``handler``, ``memory``, ``timeout``, ``initializer``,
            ``qualifier``, ``version_id``, ``service_name``, ``log_project``, ``log_store``,
            ``retry_count``, ``access_key_id``, ``access_key_secret``, ``security_token``,
            ``span_context``, ``jaeger_endpoint``, ``span_baggages``.

    Raises:
        ValueError: unknown runtime. TypeError: unknown field, or credentials for shape B.

    Example:
        >>> import fcsdk as fc
        >>> from fcsdk.testing import fake_context
        >>> native = fake_context(request_id="r-1", memory=256)
        >>> native.credentials.accessKeyId
        'STS.fcsdk-test-key-id'
        >>> ctx = fc.Context.of(native)
        >>> ctx.request_id, ctx.function.memory, ctx.credentials.access_key_id
        ('r-1', 256, 'STS.fcsdk-test-key-id')
        >>> hasattr(fake_context("python3.12"), "credentials")
        False
    """
    shape = RUNTIMES.get(runtime)
    if shape is None:
        raise ValueError(f"unknown runtime {runtime!r}; known: {', '.join(RUNTIMES)}")
    if shape == "C":
        raise ValueError(
            f"{runtime} passes no context object: a handler there receives the x-fc-* request "
            "headers; pass a dict of them (fc.Context.of({'x-fc-request-id': ...}))"
        )
    unknown = set(fields) - _FIELDS
    if unknown:
        raise TypeError(
            f"fake_context() got unknown fields {sorted(unknown)}; known: {sorted(_FIELDS)}"
        )
    if shape == "B" and _CREDENTIAL_FIELDS & set(fields):
        raise TypeError(
            f"{runtime} contexts carry no credentials (FC puts them in ALIBABA_CLOUD_* "
            "environment variables); use a shape A runtime or set the environment in the test"
        )
    f: Dict[str, Any] = {
        "request_id": str(uuid.uuid4()),
        "region": "cn-hangzhou",
        "account_id": "123456789012****",
        "function_name": "fcsdk-test",
        "handler": "index.handler",
        "memory": 512,
        "timeout": 60,
        "initializer": None,
        "qualifier": "LATEST",
        "version_id": None,
        "service_name": "fcsdk-test-service",
        "log_project": None,
        "log_store": None,
        "retry_count": 0,
        "access_key_id": "STS.fcsdk-test-key-id",
        "access_key_secret": "fcsdk-test-key-secret",
        "security_token": "fcsdk-test-security-token",
        "span_context": None,
        "jaeger_endpoint": None,
        "span_baggages": {},
    }
    f.update(fields)
    return native_context(  # type: ignore[return-value]  # shape A or B here
        runtime,
        request_id=f["request_id"],
        credentials=NativeCredentials(
            f["access_key_id"], f["access_key_secret"], f["security_token"]
        ),
        function_name=f["function_name"],
        handler=f["handler"],
        memory=f["memory"],
        timeout=f["timeout"],
        initializer=f["initializer"],
        region=f["region"],
        account_id=f["account_id"],
        retry_count=None if f["retry_count"] is None else str(f["retry_count"]),
        service_name=f["service_name"],
        log_project=f["log_project"],
        log_store=f["log_store"],
        qualifier=f["qualifier"],
        version_id=f["version_id"],
        tracing=NativeTracing(f["span_context"], f["jaeger_endpoint"], f["span_baggages"]),
    )
