"""``fc.Context``: one typed, read-only view over every shape of FC context.

FC hands a Python handler one of three things (see the FC runtime reference):

- shape A (python3.6/3.9/3.10): an object with ``request_id``, ``credentials``, ``function``,
  ``service``, ``region``, ``account_id``, ``retry_count``, ``tracing`` (camelCase aliases too);
- shape B (python3.12): no ``credentials``, ``service`` or ``tracing``; ``version_id`` and
  ``qualifier`` on ``function``; ``log_project``/``log_store`` at the top;
- shape C (custom runtime): no object at all, only ``x-fc-*`` request headers.

:class:`Context` reads all three, falls back to the ``FC_*`` environment variables for anything
missing, and computes nothing until a field is read.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Callable, NoReturn, Optional, TypeVar

from .credentials import Credentials
from .errors import CredentialsUnavailableError

if TYPE_CHECKING:
    import logging
    from collections.abc import Iterable
    from typing import Protocol

    class _HeadersLike(Protocol):
        """A mapping of headers, or an ``email.message.Message`` / ``http.client.HTTPMessage``."""

        def items(self) -> Iterable[tuple[Any, Any]]: ...


__all__ = ["Context", "FunctionMeta", "ServiceMeta", "Tracing"]

if TYPE_CHECKING:
    from ._meta import FunctionMeta, ServiceMeta, Tracing


def __getattr__(name: str) -> Any:
    # FunctionMeta, ServiceMeta and Tracing live in fcsdk._meta, imported on first use: they
    # are dataclasses, and `import dataclasses` (with the inspect module it loads) is a large
    # part of a cold start that most handlers never need.
    if name in ("FunctionMeta", "ServiceMeta", "Tracing"):
        from . import _meta

        return getattr(_meta, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_SIBLINGS: dict[str, Any] = {}


def _sibling(name: str) -> Any:
    """The module ``fcsdk.<name>``, imported on first use. Per invocation, a function-level
    ``from .x import y`` costs ~2 µs (the relative name is resolved on every call); this is a
    dict lookup.

    Example:
        >>> _sibling("_meta").FunctionMeta.__name__
        'FunctionMeta'
    """
    try:
        return _SIBLINGS[name]
    except KeyError:
        import importlib

        module = _SIBLINGS[name] = importlib.import_module(f"fcsdk.{name}")
        return module


def _text(value: Any) -> Optional[str]:
    """A non-empty string, or None."""
    if type(value) is str:  # headers and native fields: the common case, first
        return value.strip() or None
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = value if isinstance(value, str) else str(value)
    text = text.strip()
    return text or None


def _int(value: Any) -> Optional[int]:
    """A count (memory, timeout, retries): a non-negative int from an int or a numeric string;
    None for missing, negative or garbage. Zero is a value, not "missing"."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    text = _text(value)
    if text is None or len(text) > 30:
        return None
    try:
        number: float = int(text)
    except ValueError:
        try:
            number = float(text)
        except ValueError:
            return None
        if number != number or number == float("inf"):
            return None
    return int(number) if number >= 0 else None


def _either(first: Any, second: Any) -> Any:
    """``first`` unless it is None (``or`` would also drop 0 and "")."""
    return first if first is not None else second


def _baggages(value: Any) -> dict[str, Any]:
    """Span baggages: a dict, or base64 JSON text (as FC's headers carry it)."""
    if isinstance(value, Mapping):
        return dict(value)
    text = _text(value)
    if text is None or len(text) > 65536:
        return {}
    import base64
    import binascii
    import json

    try:
        decoded = json.loads(base64.b64decode(text, validate=False))
    except (binascii.Error, ValueError, RecursionError):
        try:
            decoded = json.loads(text)
        except (ValueError, RecursionError):
            return {}
    return decoded if isinstance(decoded, dict) else {}


def _attr(obj: Any, *names: str) -> Any:
    """The first non-None attribute (or mapping key) of ``obj`` among ``names``."""
    if obj is None:
        return None
    if isinstance(obj, Mapping):
        for n in names:
            v = obj.get(n)
            if v is not None:
                return v
        return None
    for n in names:
        try:
            v = getattr(obj, n, None)
        except Exception:  # a broken native property must not break the handler
            v = None
        if v is not None:
            return v
    return None


_T = TypeVar("_T")

_SHAPE_NATIVE = 0
_SHAPE_HEADERS = 1

#: Credentials read from custom-runtime headers, by (id, secret, token, region): FC sends the
#: same keys to every invocation until they rotate, and ``Credentials`` is immutable, so
#: invocations share one object instead of building it from the headers each time.
_CREDENTIALS_BY_HEADERS: dict[tuple[Any, ...], Credentials] = {}
_MAX_CACHED_CREDENTIALS = 16
#: The credentials last handed to ``fcsdk._redact.remember`` (no call since: nothing forgotten).
_remembered: list[Any] = [None]
_SHAPE_ENV = 2
# Native context type -> the Context subclass @fc.handler builds for it (see
# _InvocationContext), whose ``_shape`` is the type's shape: the per-invocation path skips the
# ABC check for known context types. ``dict`` is added below, once the subclasses exist.
_FRESH_BY_TYPE: dict[type, type[Context]] = {}
_monotonic = time.monotonic


def _shape_of(tp: type) -> int:
    """Headers or native, decided by the type alone (so the per-type cache stays correct).

    Headers are a ``Mapping`` or anything with callable ``items()`` and ``get()``, such as the
    stdlib's ``email.message.Message`` / ``http.client.HTTPMessage`` (not Mappings)."""
    fresh = _FRESH_BY_TYPE.get(tp)
    if fresh is not None:
        return _SHAPE_OF_FRESH[fresh]
    headers = issubclass(tp, Mapping) or (
        callable(getattr(tp, "items", None)) and callable(getattr(tp, "get", None))
    )
    shape = _SHAPE_HEADERS if headers else _SHAPE_NATIVE
    # Never a Context: the invocation path looks types up here and wraps what it finds.
    if len(_FRESH_BY_TYPE) < 64 and not issubclass(tp, Context):
        _FRESH_BY_TYPE[tp] = _FRESH_BY_SHAPE[shape]
    return shape


def _header_text(value: Any) -> Any:
    """A header name or value as text: bytes are UTF-8, else latin-1 (HTTP's own charset)."""
    if isinstance(value, (bytes, bytearray)):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value.decode("latin-1")
    return value


_NO_PICKLE = (
    "fcsdk.Context cannot be pickled: it is a view of one invocation and holds the native context"
    " with its credentials. Pass what the other process needs instead: context.credentials (an"
    " fcsdk.Credentials, which pickles with its keys), context.request_id, or context.to_dict()"
    " (JSON-safe, secrets masked)"
)


class Context:
    """The invocation context, identical on every runtime.

    Build it with :meth:`of` (any native context, a mapping of ``x-fc-*`` headers, ``None`` or a
    ``Context``); :func:`fcsdk.handler` does this for you. Every field is read lazily, missing
    fields are ``None`` (``request_id`` is generated when FC gave none), numbers given as strings
    are converted and garbage in a numeric field gives ``None``. The context a decorated
    handler receives may be a private subclass (cheaper to build per invocation): test
    ``isinstance(context, fc.Context)``.

    Example:
        >>> import fcsdk as fc
        >>> ctx = fc.Context.of({"x-fc-request-id": "r-1", "x-fc-function-memory": "512"})
        >>> ctx.request_id, ctx.function.memory
        ('r-1', 512)
    """

    __slots__ = ("_cache", "_environ", "_raw", "_shape", "_start")

    _raw: Any
    _shape: int
    _environ: Optional[Mapping[str, str]]
    _cache: dict[str, Any]
    _start: float

    def __init__(
        self,
        native: Any = None,
        *,
        headers: Optional[_HeadersLike] = None,
        environ: Optional[Mapping[str, str]] = None,
    ) -> None:
        if headers is not None:
            self._raw, self._shape = headers, _SHAPE_HEADERS
        elif native is not None:  # a mapping or a Message is headers, as in :meth:`of`
            self._raw, self._shape = native, _shape_of(type(native))
        else:
            self._raw, self._shape = None, _SHAPE_ENV
        self._environ = environ
        self._cache = {}
        self._start = time.monotonic()

    @classmethod
    def _make(cls, raw: Any, shape: int, environ: Optional[Mapping[str, str]]) -> Context:
        # The per-invocation constructor: no keyword parsing, no branches.
        self = object.__new__(cls)
        self._raw = raw
        self._shape = shape
        self._environ = environ
        self._cache = {}
        self._start = _monotonic()
        return self

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def of(cls, context: Any = None, *, environ: Optional[Mapping[str, str]] = None) -> Context:
        """A ``Context`` for whatever FC (or a local tool) passed as ``context``.

        ``None`` builds one from the environment; a ``Context`` is returned as it is; a mapping
        (``str`` or ``bytes`` keys, any case) or an object with ``items()`` and ``get()`` such as
        ``http.client.HTTPMessage`` is taken as custom-runtime headers; anything else as a native
        context object.

        Example:
            >>> import fcsdk as fc
            >>> fc.Context.of(None, environ={"FC_REGION": "cn-hangzhou"}).region
            'cn-hangzhou'
        """
        tp = type(context)
        if tp is cls:
            return context  # type: ignore[no-any-return]
        if context is None:
            return cls._make(None, _SHAPE_ENV, environ)
        fresh = _FRESH_BY_TYPE.get(tp)
        if fresh is not None:
            shape = _SHAPE_OF_FRESH[fresh]
        elif isinstance(context, Context):
            return context
        else:
            shape = _shape_of(tp)
        return cls._make(context, shape, environ)

    @classmethod
    def from_env(cls, environ: Optional[Mapping[str, str]] = None) -> Context:
        """A ``Context`` from the ``FC_*`` environment variables alone (local calls).

        Example:
            >>> import fcsdk as fc
            >>> fc.Context.from_env({"FC_FUNCTION_NAME": "f"}).function.name
            'f'
        """
        return cls(environ=environ)

    @classmethod
    def from_headers(
        cls, headers: _HeadersLike, *, environ: Optional[Mapping[str, str]] = None
    ) -> Context:
        """A ``Context`` from custom-runtime ``x-fc-*`` headers (any case, ``str`` or ``bytes``;
        a mapping or an ``http.client.HTTPMessage``).

        Example:
            >>> import fcsdk as fc
            >>> fc.Context.from_headers({"X-Fc-Region": "cn-shanghai"}).region
            'cn-shanghai'
        """
        return cls(headers=headers, environ=environ)

    # -- helpers --------------------------------------------------------------------------------

    def _env(self, *names: str) -> Optional[str]:
        env = self._environ if self._environ is not None else os.environ
        for n in names:
            v = _text(env.get(n))
            if v is not None:
                return v
        return None

    def _headers(self) -> Mapping[str, Any]:
        """The custom-runtime headers with lower-cased names (built on first use)."""
        try:
            return self._cache["_headers"]  # type: ignore[no-any-return]
        except KeyError:
            pass
        lowered: dict[str, Any] = {}
        for k, v in self._raw.items():
            name = _header_text(k)
            name = (name if isinstance(name, str) else str(name)).lower()
            if name not in lowered:  # a repeated header: the first wins, as Message.get does
                lowered[name] = _header_text(v)
        self._cache["_headers"] = lowered
        return lowered

    def _header(self, name: str) -> Any:
        return self._headers().get(name) if self._shape == _SHAPE_HEADERS else None

    def _native(self, *names: str) -> Any:
        return _attr(self._raw, *names) if self._shape == _SHAPE_NATIVE else None

    def _cached(self, key: str, build: Callable[[], _T]) -> _T:
        try:
            return self._cache[key]  # type: ignore[no-any-return]
        except KeyError:
            value = self._cache[key] = build()
            return value

    # -- fields ---------------------------------------------------------------------------------

    @property
    def raw(self) -> Any:
        """What FC passed: the native context, the headers mapping, or None.

        Example:
            >>> import fcsdk as fc
            >>> fc.Context.of({"x-fc-request-id": "r"}).raw
            {'x-fc-request-id': 'r'}
        """
        return self._raw

    @property
    def request_id(self) -> str:
        """The invocation's request id; a generated UUID when FC gave none (local calls).

        Example:
            >>> import fcsdk as fc
            >>> fc.Context.of({"x-fc-request-id": "r-1"}).request_id
            'r-1'
            >>> len(fc.Context.of(None, environ={}).request_id)  # generated
            36
        """
        try:
            return self._cache["request_id"]  # type: ignore[no-any-return]
        except KeyError:
            pass
        rid = _text(self._native("request_id", "requestId") or self._header("x-fc-request-id"))
        if rid is None:
            import uuid

            rid = str(uuid.uuid4())
        self._cache["request_id"] = rid
        return rid

    @property
    def region(self) -> Optional[str]:
        """The region id, e.g. ``cn-hangzhou`` (``FC_REGION`` when FC passed none).

        Example:
            >>> import fcsdk as fc
            >>> fc.Context.of({"X-Fc-Region": "cn-hangzhou"}).region
            'cn-hangzhou'
        """
        return self._cached(
            "region",
            lambda: (
                _text(self._native("region") or self._header("x-fc-region"))
                or self._env("FC_REGION", "ALIBABA_CLOUD_REGION")
            ),
        )

    @property
    def account_id(self) -> Optional[str]:
        """The Alibaba Cloud account id that owns the function (``FC_ACCOUNT_ID`` otherwise).

        Example:
            >>> import fcsdk as fc
            >>> fc.Context.of(None, environ={"FC_ACCOUNT_ID": "1234567890"}).account_id
            '1234567890'
        """
        return self._cached(
            "account_id",
            lambda: (
                _text(self._native("account_id", "accountId") or self._header("x-fc-account-id"))
                or self._env("FC_ACCOUNT_ID")
            ),
        )

    @property
    def retry_count(self) -> int:
        """How many times FC has retried this invocation (0 when unknown or garbage).

        Example:
            >>> import fcsdk as fc
            >>> fc.Context.of({"x-fc-retry-count": "2"}).retry_count
            2
            >>> fc.Context.of({"x-fc-retry-count": "-3"}).retry_count
            0
        """
        return self._cached("retry_count", self._build_retry_count)

    def _build_retry_count(self) -> int:
        given = _either(self._native("retry_count", "retryCount"), self._header("x-fc-retry-count"))
        count = _int(given)
        return count if count is not None else 0

    @property
    def instance_id(self) -> Optional[str]:
        """The id of the FC instance running this invocation (``FC_INSTANCE_ID``).

        Example:
            >>> import fcsdk as fc
            >>> fc.Context.of({"x-fc-instance-id": "c-6530"}).instance_id
            'c-6530'
        """
        return self._cached(
            "instance_id",
            lambda: (
                _text(self._native("instance_id", "instanceId") or self._header("x-fc-instance-id"))
                or self._env("FC_INSTANCE_ID")
            ),
        )

    @property
    def function(self) -> FunctionMeta:
        """The function's name, handler, memory (MB), timeout (s), initializer, version, qualifier.

        Example:
            >>> import fcsdk as fc
            >>> fn = fc.Context.of({"x-fc-function-name": "orders", "x-fc-function-timeout": "0"}).function
            >>> fn.name, fn.timeout
            ('orders', 0)
        """
        return self._cached("function", self._build_function)

    def _build_function(self) -> FunctionMeta:
        make: type[FunctionMeta] = _sibling("_meta").FunctionMeta

        fn = self._native("function")
        svc = self._native("service")
        h = self._header
        return make(
            name=_text(_attr(fn, "name") or h("x-fc-function-name"))
            or self._env("FC_FUNCTION_NAME"),
            handler=_text(_attr(fn, "handler") or h("x-fc-function-handler"))
            or self._env("FC_FUNCTION_HANDLER"),
            memory=_either(
                _int(_either(_attr(fn, "memory", "memorySize"), h("x-fc-function-memory"))),
                _int(self._env("FC_FUNCTION_MEMORY_SIZE")),
            ),
            timeout=_either(
                _int(_either(_attr(fn, "timeout"), h("x-fc-function-timeout"))),
                _int(self._env("FC_FUNCTION_TIMEOUT")),
            ),
            initializer=_text(_attr(fn, "initializer") or h("x-fc-function-initializer"))
            or self._env("FC_FUNCTION_INITIALIZER"),
            version_id=_text(
                _attr(fn, "version_id", "versionId")
                or _attr(svc, "version_id", "versionId")
                or h("x-fc-version-id")
            )
            or self._env("FC_FUNCTION_VERSION", "FC_VER_ID"),
            qualifier=_text(
                _attr(fn, "qualifier") or _attr(svc, "qualifier") or h("x-fc-qualifier")
            )
            or self._env("FC_QUALIFIER"),
        )

    @property
    def service(self) -> ServiceMeta:
        """The FC 2.0 service; on FC 3.0 its fields are mostly None.

        Example:
            >>> import fcsdk as fc
            >>> fc.Context.of({"x-fc-service-logproject": "my-logs"}, environ={}).service
            ServiceMeta(name=None, log_project='my-logs', log_store=None, qualifier=None, version_id=None)
        """
        return self._cached("service", self._build_service)

    def _build_service(self) -> ServiceMeta:
        make: type[ServiceMeta] = _sibling("_meta").ServiceMeta

        svc = self._native("service")
        h = self._header
        return make(
            name=_text(_attr(svc, "name") or h("x-fc-service-name"))
            or self._env("FC_SERVICE_NAME"),
            log_project=_text(
                _attr(svc, "log_project", "logProject")
                or self._native("log_project", "logProject")
                or h("x-fc-service-logproject")
            ),
            log_store=_text(
                _attr(svc, "log_store", "logStore")
                or self._native("log_store", "logStore")
                or h("x-fc-service-logstore")
            ),
            qualifier=_text(_attr(svc, "qualifier") or h("x-fc-qualifier"))
            or self._env("FC_QUALIFIER"),
            version_id=_text(_attr(svc, "version_id", "versionId") or h("x-fc-version-id"))
            or self._env("FC_FUNCTION_VERSION", "FC_VER_ID"),
        )

    @property
    def tracing(self) -> Tracing:
        """OpenTracing span context, Jaeger endpoint and span baggages (FC 2.0).

        Example:
            >>> import fcsdk as fc
            >>> ctx = fc.Context.of({"x-fc-tracing-opentracing-span-baggages": "eyJrIjogInYifQ=="})
            >>> ctx.tracing.span_baggages  # base64 JSON, decoded
            {'k': 'v'}
        """
        return self._cached("tracing", self._build_tracing)

    def _build_tracing(self) -> Tracing:
        make: type[Tracing] = _sibling("_meta").Tracing

        tr = self._native("tracing")
        h = self._header
        return make(
            span_context=_text(
                _attr(tr, "span_context", "spanContext")
                or h("x-fc-tracing-opentracing-span-context")
            ),
            jaeger_endpoint=_text(
                _attr(tr, "jaeger_endpoint", "jaegerEndpoint") or h("x-fc-tracing-jaeger-endpoint")
            ),
            span_baggages=_baggages(
                _attr(tr, "span_baggages", "spanBaggages")
                or h("x-fc-tracing-opentracing-span-baggages")
            ),
        )

    @property
    def credentials(self) -> Optional[Credentials]:
        """The function's credentials, or None. Resolution order: native context, custom-runtime
        headers, then the environment (see :mod:`fcsdk.credentials`). Cached per invocation.

        Example:
            >>> import fcsdk as fc
            >>> h = {"x-fc-access-key-id": "STS.id", "x-fc-access-key-secret": "s"}
            >>> fc.Context.of(h).credentials
            Credentials(access_key_id='STS.id', access_key_secret='**********', security_token=None)
            >>> fc.Context.of(None, environ={}).credentials is None
            True
        """
        return self._cached("credentials", self._build_credentials)

    def _build_credentials(self) -> Optional[Credentials]:
        creds = None
        if self._shape == _SHAPE_NATIVE:
            creds = Credentials.from_native(self._native("credentials"))
        elif self._shape == _SHAPE_HEADERS:
            headers = self._headers()
            get = headers.get
            key = (
                get("x-fc-access-key-id"),
                get("x-fc-access-key-secret"),
                get("x-fc-security-token"),
                get("x-fc-region") or self.region,
            )
            creds = _CREDENTIALS_BY_HEADERS.get(key)
            if creds is not None:  # the keys of an earlier invocation: the same object
                if creds is not _remembered[0]:  # else they are the last ones remembered
                    _sibling("_redact").remember(creds.access_key_secret, creds.security_token)
                    _remembered[0] = creds
                return creds
            creds = Credentials.from_headers(headers)
            if creds is not None:
                creds = creds.with_region(self.region)
                if len(_CREDENTIALS_BY_HEADERS) >= _MAX_CACHED_CREDENTIALS:
                    _CREDENTIALS_BY_HEADERS.clear()
                _CREDENTIALS_BY_HEADERS[key] = creds
        if creds is None:
            creds = Credentials.from_env(self._environ)
        if creds is not None and creds.region is None:
            creds = creds.with_region(self.region)  # the default region for OSS signature V4
        if creds is not None:  # masked in log lines of threads the handler starts, too
            _sibling("_redact").remember(creds.access_key_secret, creds.security_token)
            _remembered[0] = creds
        return creds

    def require_credentials(self) -> Credentials:
        """The credentials, or :class:`fcsdk.CredentialsUnavailableError` saying where fcsdk looked.

        Example:
            >>> import fcsdk as fc
            >>> try:
            ...     fc.Context.from_env({}).require_credentials()
            ... except fc.CredentialsUnavailableError as exc:
            ...     print(exc.code)
            credentials_unavailable
        """
        creds = self.credentials
        if creds is None:
            from .credentials import ENV_SOURCES

            tried = ["the native context's credentials", "x-fc-access-key-* headers"]
            tried += [f"{i}/{s}" for i, s, _ in ENV_SOURCES]
            raise CredentialsUnavailableError(
                "no credentials found; tried: "
                + ", ".join(tried)
                + ". On FC, give the function a role; locally, export ALIBABA_CLOUD_ACCESS_KEY_ID"
                " and ALIBABA_CLOUD_ACCESS_KEY_SECRET (and ALIBABA_CLOUD_SECURITY_TOKEN for STS keys)"
            )
        return creds

    @property
    def logger(self) -> logging.LoggerAdapter[logging.Logger]:
        """A logger whose records carry this invocation's request id (see :mod:`fcsdk.logging`).

        Example:
            >>> import fcsdk as fc
            >>> ctx = fc.Context.of({"x-fc-request-id": "r-1"})
            >>> ctx.logger.info("order %s", "o-1")  # a record with request_id="r-1"
            >>> ctx.logger.extra
            {'request_id': 'r-1'}
        """
        return self._cached("logger", lambda: _sibling("logging").context_logger(self))

    def remaining_time(self) -> Optional[float]:
        """Seconds left before FC's timeout (invocation start + function timeout - now), or None
        when the timeout is unknown.

        Example:
            >>> import fcsdk as fc
            >>> ctx = fc.Context.of({"x-fc-function-timeout": "3"})
            >>> 2.5 < ctx.remaining_time() <= 3
            True
        """
        timeout = self.function.timeout
        if timeout is None:
            return None
        return self._start + timeout - time.monotonic()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict of every field; credentials masked.

        Example:
            >>> import fcsdk as fc
            >>> d = fc.Context.of({"x-fc-request-id": "r"}, environ={}).to_dict()
            >>> d["request_id"], d["credentials"]
            ('r', None)
        """
        from dataclasses import asdict

        creds = self.credentials
        return {
            "request_id": self.request_id,
            "region": self.region,
            "account_id": self.account_id,
            "retry_count": self.retry_count,
            "instance_id": self.instance_id,
            "function": asdict(self.function),
            "service": asdict(self.service),
            "tracing": asdict(self.tracing),
            "credentials": creds.to_dict() if creds is not None else None,
        }

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        raise TypeError(_NO_PICKLE)

    def __reduce__(self) -> NoReturn:
        raise TypeError(_NO_PICKLE)

    def __copy__(self) -> Context:
        return self  # a read-only view: a copy would be the same view

    def __deepcopy__(self, memo: Any) -> Context:
        return self

    def __repr__(self) -> str:
        fn = self.function
        return (
            f"Context(request_id={self.request_id!r}, function={fn.name!r}, "
            f"region={self.region!r}, credentials={'present' if self.credentials else None})"
        )


class _InvocationContext(Context):
    """The :class:`Context` ``@fc.handler`` builds for each invocation: the same view, made by
    a plain type call (no Python-level ``__init__``), its shape a class attribute of the two
    subclasses below and its environment ``os.environ``, so the wrapper sets three slots per
    call instead of five, a twentieth of its fixed cost. Test ``isinstance(ctx, fc.Context)``,
    as for any subclass; ``type(ctx) is fc.Context`` does not hold for these.
    """

    __slots__ = ()
    __init__ = object.__init__
    _environ = None


class _NativeInvocationContext(_InvocationContext):
    __slots__ = ()
    _shape = _SHAPE_NATIVE


class _HeadersInvocationContext(_InvocationContext):
    __slots__ = ()
    _shape = _SHAPE_HEADERS


_FRESH_BY_SHAPE: dict[int, type[Context]] = {
    _SHAPE_NATIVE: _NativeInvocationContext,
    _SHAPE_HEADERS: _HeadersInvocationContext,
}
_SHAPE_OF_FRESH = {fresh: shape for shape, fresh in _FRESH_BY_SHAPE.items()}
_FRESH_BY_TYPE[dict] = _HeadersInvocationContext
