"""``fake_context``: a native-like FC context object for tests, in the runtime's own shape."""

from __future__ import annotations

import logging
import uuid
from typing import Any, ClassVar, Dict, Optional

__all__ = ["FakeContext", "fake_context"]

#: runtime id -> context shape ("A": python3/3.9/3.10, "B": python3.12).
RUNTIMES: Dict[str, str] = {
    "python3": "A",
    "python3.6": "A",
    "python3.9": "A",
    "python3.10": "A",
    "python3.12": "B",
}

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


class _Obj:
    """A plain attribute bag with FC's camelCase aliases as read-only properties."""

    _aliases: ClassVar[Dict[str, str]] = {}

    def __init__(self, **attrs: Any) -> None:
        self.__dict__.update(attrs)

    def __getattr__(self, name: str) -> Any:
        target = type(self)._aliases.get(name)
        if target is None:
            raise AttributeError(f"{type(self).__name__!s} has no attribute {name!r}")
        return getattr(self, target)

    def __repr__(self) -> str:
        shown = {k: ("***" if "secret" in k or "token" in k else v) for k, v in vars(self).items()}
        return f"{type(self).__name__}({shown})"


class FakeCredentials(_Obj):
    """``context.credentials`` of shape A (``accessKeyId`` ... aliases included)."""

    _aliases: ClassVar[Dict[str, str]] = {
        "accessKeyId": "access_key_id",
        "accessKeySecret": "access_key_secret",
        "securityToken": "security_token",
    }


class FakeFunction(_Obj):
    """``context.function``."""

    _aliases: ClassVar[Dict[str, str]] = {"versionId": "version_id"}


class FakeService(_Obj):
    """``context.service`` (shape A)."""

    _aliases: ClassVar[Dict[str, str]] = {
        "logProject": "log_project",
        "logStore": "log_store",
        "versionId": "version_id",
    }


class FakeTracing(_Obj):
    """``context.tracing`` (shape A)."""

    _aliases: ClassVar[Dict[str, str]] = {
        "spanContext": "span_context",
        "jaegerEndpoint": "jaeger_endpoint",
        "spanBaggages": "span_baggages",
    }


class FakeContext(_Obj):
    """A context object shaped like the one FC's Python runtime passes to handlers."""

    _aliases: ClassVar[Dict[str, str]] = {
        "requestId": "request_id",
        "accountId": "account_id",
        "retryCount": "retry_count",
    }


def fake_context(runtime: str = "python3.10", **fields: Any) -> FakeContext:
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
    timeout: Optional[str] = None if f["timeout"] is None else str(f["timeout"])
    if shape == "B":
        return FakeContext(
            request_id=f["request_id"],
            account_id=f["account_id"],
            region=f["region"],
            logger=logging.getLogger("fcsdk.testing.context"),
            log_project=f["log_project"],
            log_store=f["log_store"],
            function=FakeFunction(
                name=f["function_name"],
                handler=f["handler"],
                memory=f["memory"],
                timeout=timeout,
                version_id=f["version_id"],
                qualifier=f["qualifier"],
            ),
        )
    return FakeContext(
        request_id=f["request_id"],
        credentials=FakeCredentials(
            access_key_id=f["access_key_id"],
            access_key_secret=f["access_key_secret"],
            security_token=f["security_token"],
        ),
        function=FakeFunction(
            name=f["function_name"],
            handler=f["handler"],
            memory=f["memory"],
            timeout=timeout,
            initializer=f["initializer"],
        ),
        service=FakeService(
            name=f["service_name"],
            log_project=f["log_project"],
            log_store=f["log_store"],
            qualifier=f["qualifier"],
            version_id=f["version_id"],
        ),
        region=f["region"],
        account_id=f["account_id"],
        retry_count=None if f["retry_count"] is None else str(f["retry_count"]),
        tracing=FakeTracing(
            span_context=f["span_context"],
            jaeger_endpoint=f["jaeger_endpoint"],
            span_baggages=f["span_baggages"],
        ),
    )
