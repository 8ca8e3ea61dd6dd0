"""Native-like context objects, as FC's built-in Python runtimes pass them to handlers.

- shape A (``python3``, ``python3.9``, ``python3.10``): ``request_id``, ``credentials``,
  ``function``, ``service``, ``region``, ``account_id``, ``retry_count``, ``tracing``, with FC's
  camelCase aliases;
- shape B (``python3.12``): no ``credentials``, ``service`` or ``tracing`` (credentials are in the
  environment); ``function.version_id``/``qualifier``; ``log_project``/``log_store`` at the top;
  a ``logger``.

Raw (undecorated) handlers receive these from ``fcsdk invoke`` and ``fcsdk serve``, so code written
against FC's context runs unchanged.

Example:
    >>> ctx = native_context("python3.10", request_id="r-1", credentials=None)
    >>> ctx.request_id, ctx.requestId, ctx.function.memory
    ('r-1', 'r-1', 512)
    >>> hasattr(native_context("python3.12", request_id="r-2"), "credentials")
    False
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Union

from .._runtimes import RUNTIMES as _RUNTIME_IDS
from .._runtimes import context_shape
from ..context import _baggages, _int, _text
from ..credentials import Credentials

__all__ = [
    "RUNTIMES",
    "NativeContextA",
    "HandlerContext",
    "NativeContextB",
    "NativeCredentials",
    "NativeFunctionA",
    "NativeFunctionB",
    "NativeService",
    "NativeTracing",
    "from_headers",
    "native_context",
    "shape_of",
]

#: Runtime ids fcsdk emulates (:data:`fcsdk._runtimes.RUNTIMES`), and the context shape each
#: passes: ``A``/``B`` native objects, ``C`` the ``x-fc-*`` headers of a custom runtime.
RUNTIMES: dict[str, str] = {r: context_shape(r) for r in _RUNTIME_IDS}


def shape_of(runtime: str) -> str:
    """The context shape (``"A"``, ``"B"`` or ``"C"``) of a runtime id.

    Raises:
        ValueError: for a runtime fcsdk does not emulate.

    Example:
        >>> shape_of("python3.12")
        'B'
    """
    return context_shape(runtime)


def _alias(name: str) -> Any:
    """A read-only camelCase alias of attribute ``name`` (FC's contexts carry both spellings)."""
    return property(lambda self: getattr(self, name), doc=f"Alias of ``{name}``.")


@dataclass(repr=False)
class NativeCredentials:
    """``context.credentials`` on shape A (secret and token masked in ``repr``)."""

    access_key_id: Optional[str]
    access_key_secret: Optional[str]
    security_token: Optional[str]

    accessKeyId = _alias("access_key_id")
    accessKeySecret = _alias("access_key_secret")
    securityToken = _alias("security_token")

    def __repr__(self) -> str:
        return (
            f"NativeCredentials(access_key_id={self.access_key_id!r}, "
            "access_key_secret='***', security_token='***')"
        )


@dataclass
class NativeFunctionA:
    """``context.function`` on shape A (``timeout`` is the raw string, as FC passes it)."""

    name: Optional[str]
    handler: Optional[str]
    memory: Optional[int]
    timeout: Optional[str]
    initializer: Optional[str] = None


@dataclass
class NativeFunctionB:
    """``context.function`` on shape B."""

    name: Optional[str]
    handler: Optional[str]
    memory: Optional[int]
    timeout: Optional[int]
    version_id: Optional[str] = None
    qualifier: Optional[str] = None

    versionId = _alias("version_id")


@dataclass
class NativeService:
    """``context.service`` on shape A (mostly empty on FC 3.0)."""

    name: Optional[str] = None
    log_project: Optional[str] = None
    log_store: Optional[str] = None
    qualifier: Optional[str] = None
    version_id: Optional[str] = None

    logProject = _alias("log_project")
    logStore = _alias("log_store")
    versionId = _alias("version_id")


@dataclass
class NativeTracing:
    """``context.tracing`` on shape A."""

    span_context: Optional[str] = None
    jaeger_endpoint: Optional[str] = None
    span_baggages: dict[str, Any] = field(default_factory=dict)

    spanContext = _alias("span_context")
    jaegerEndpoint = _alias("jaeger_endpoint")
    spanBaggages = _alias("span_baggages")


@dataclass
class NativeContextA:
    """The context of FC's python3 / python3.9 / python3.10 runtimes."""

    request_id: str
    credentials: NativeCredentials
    function: NativeFunctionA
    service: NativeService
    region: Optional[str]
    account_id: Optional[str]
    retry_count: Optional[str] = None
    tracing: NativeTracing = field(default_factory=NativeTracing)

    requestId = _alias("request_id")
    accountId = _alias("account_id")
    retryCount = _alias("retry_count")


@dataclass
class NativeContextB:
    """The context of FC's python3.12 runtime: no credentials, service or tracing."""

    request_id: str
    function: NativeFunctionB
    region: Optional[str]
    account_id: Optional[str]
    log_project: Optional[str] = None
    log_store: Optional[str] = None
    logger: logging.LoggerAdapter[logging.Logger] = field(
        default_factory=lambda: logging.LoggerAdapter(logging.getLogger(), {})
    )

    requestId = _alias("request_id")
    accountId = _alias("account_id")

    def __post_init__(self) -> None:
        self.logger = logging.LoggerAdapter(logging.getLogger(), {"request_id": self.request_id})


NativeContext = Union[NativeContextA, NativeContextB]
#: What a raw handler receives as ``context``: a native object, or on a custom runtime (shape
#: C) the ``x-fc-*`` headers.
HandlerContext = Union[NativeContextA, NativeContextB, Dict[str, str]]


def _native_credentials(creds: Union[Credentials, NativeCredentials, None]) -> NativeCredentials:
    if isinstance(creds, NativeCredentials):
        return creds
    if creds is None:
        return NativeCredentials(None, None, None)
    return NativeCredentials(creds.access_key_id, creds.access_key_secret, creds.security_token)


def native_context(
    runtime: str = "python3.10",
    *,
    request_id: str,
    credentials: Union[Credentials, NativeCredentials, None] = None,
    function_name: Optional[str] = "fcsdk-local",
    handler: Optional[str] = None,
    memory: Optional[int] = 512,
    timeout: Optional[int] = 60,
    initializer: Optional[str] = None,
    region: Optional[str] = None,
    account_id: Optional[str] = None,
    retry_count: Optional[str] = None,
    service_name: Optional[str] = None,
    log_project: Optional[str] = None,
    log_store: Optional[str] = None,
    qualifier: Optional[str] = None,
    version_id: Optional[str] = None,
    tracing: Optional[NativeTracing] = None,
) -> HandlerContext:
    """A native-like context of ``runtime``'s shape (the ``x-fc-*`` headers for the custom
    runtimes, as their HTTP server receives them).

    Raises:
        ValueError: for a runtime fcsdk does not emulate.

    Example:
        >>> import fcsdk as fc
        >>> native = native_context("python3.9", request_id="r", credentials=fc.Credentials("i", "s"))
        >>> native.credentials.accessKeyId
        'i'
    """
    shape = shape_of(runtime)
    if shape == "C":
        creds = _native_credentials(credentials)
        values = {
            "request-id": request_id,
            "access-key-id": creds.access_key_id,
            "access-key-secret": creds.access_key_secret,
            "security-token": creds.security_token,
            "function-name": function_name,
            "function-handler": handler,
            "function-memory": memory,
            "function-timeout": timeout,
            "function-initializer": initializer,
            "region": region,
            "account-id": account_id,
            "retry-count": retry_count,
            "service-name": service_name,
            "service-logproject": log_project,
            "service-logstore": log_store,
            "qualifier": qualifier,
            "version-id": version_id,
        }
        return {f"x-fc-{k}": str(v) for k, v in values.items() if v is not None}
    if shape == "B":
        return NativeContextB(
            request_id=request_id,
            function=NativeFunctionB(
                function_name, handler, memory, timeout, version_id=version_id, qualifier=qualifier
            ),
            region=region,
            account_id=account_id,
            log_project=log_project,
            log_store=log_store,
        )
    return NativeContextA(
        request_id=request_id,
        credentials=_native_credentials(credentials),
        function=NativeFunctionA(
            function_name,
            handler,
            memory,
            None if timeout is None else str(timeout),
            initializer,
        ),
        service=NativeService(service_name, log_project, log_store, qualifier, version_id),
        region=region,
        account_id=account_id,
        retry_count=retry_count,
        tracing=tracing or NativeTracing(),
    )


_FROM_HEADERS: Any = object()


def from_headers(
    headers: Mapping[str, str],
    runtime: str = "python3.10",
    *,
    request_id: str,
    environ: Optional[Mapping[str, str]] = None,
    credentials: Any = _FROM_HEADERS,
) -> HandlerContext:
    """A native-like context from custom-runtime ``x-fc-*`` headers (lower-case keys), as
    ``fcsdk serve`` hands it to raw handlers. Credentials: headers, else the environment (or
    ``credentials`` when given: the invocation's ``Context.credentials``, already read from
    them); other fields exactly as the headers carry them (missing or garbage numbers give None).

    Example:
        >>> ctx = from_headers({"x-fc-function-memory": "256", "x-fc-region": "cn-beijing"},
        ...                    request_id="r-3")
        >>> ctx.function.memory, ctx.region, ctx.credentials.access_key_id
        (256, 'cn-beijing', None)
    """
    shape = shape_of(runtime)
    if shape == "C":  # a custom runtime's server sees the headers themselves
        return {**{str(k): str(v) for k, v in headers.items()}, "x-fc-request-id": request_id}
    h = headers.get
    if credentials is _FROM_HEADERS:
        credentials = Credentials.from_headers(headers) or Credentials.from_env(environ)
    key = tuple(map(h, _INSTANCE_HEADERS))
    try:
        fields = _PARSED[key]
    except KeyError:
        fields = _parse_instance(key)
    name, handler, memory, timeout, timeout_n, initializer, region, account = fields[:8]
    qualifier, version, service, project, store = fields[8:]
    if shape == "B":
        return NativeContextB(
            request_id=request_id,
            function=NativeFunctionB(name, handler, memory, timeout_n, version, qualifier),
            region=region,
            account_id=account,
            log_project=project,
            log_store=store,
        )
    return NativeContextA(
        request_id=request_id,
        credentials=_native_credentials(credentials),
        function=NativeFunctionA(name, handler, memory, timeout, initializer),
        service=NativeService(service, project, store, qualifier, version),
        region=region,
        account_id=account,
        retry_count=_text(h("x-fc-retry-count")),
        tracing=NativeTracing(
            _text(h("x-fc-tracing-opentracing-span-context")),
            _text(h("x-fc-tracing-jaeger-endpoint")),
            _baggages(h("x-fc-tracing-opentracing-span-baggages")),
        ),
    )


#: The headers of a native context that stay the same for an instance (the function's
#: configuration), in the order :func:`_parse_instance` reads them. The per-invocation ones
#: (retry count, tracing) are read each time.
_INSTANCE_HEADERS = (
    "x-fc-function-name",
    "x-fc-function-handler",
    "x-fc-function-memory",
    "x-fc-function-timeout",
    "x-fc-function-initializer",
    "x-fc-region",
    "x-fc-account-id",
    "x-fc-qualifier",
    "x-fc-version-id",
    "x-fc-service-name",
    "x-fc-service-logproject",
    "x-fc-service-logstore",
)
#: Those headers' values as parsed, by the values as sent (``fcsdk serve`` builds a native
#: context per invocation: 12 parses saved each time). Bounded; immutable values only.
_PARSED: dict[tuple[Any, ...], tuple[Any, ...]] = {}
_MAX_PARSED = 64


def _parse_instance(raw: tuple[Any, ...]) -> tuple[Any, ...]:
    name, handler, memory, timeout, initializer, region, account = raw[:7]
    qualifier, version, service, project, store = raw[7:]
    fields = (
        _text(name),
        _text(handler),
        _int(memory),
        _text(timeout),
        _int(timeout),
        _text(initializer),
        _text(region),
        _text(account),
        _text(qualifier),
        _text(version),
        _text(service),
        _text(project),
        _text(store),
    )
    if len(_PARSED) >= _MAX_PARSED:
        _PARSED.clear()
    _PARSED[raw] = fields
    return fields
