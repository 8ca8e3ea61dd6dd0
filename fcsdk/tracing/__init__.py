"""OpenTelemetry traces for FC handlers that join FC's own trace (the ``tracing`` extra).

``@tracer.capture_handler`` (or ``steps=[tracer.step()]``) starts one SERVER span per
invocation whose parent is FC's span (``context.tracing.span_context``), so the trace in ARMS /
Managed Service for OpenTelemetry shows FC's system spans and yours together.
``@tracer.capture_method`` adds a child span per call of an inner function.

The spans of one invocation are collected in a context variable (never shared with another
invocation running beside it) and exported as ONE OTLP/HTTP request before the handler returns
(FC may freeze the instance right after), bounded by ``timeout`` (default 2 s): a dead or silent
collector costs at most that and never fails the invocation; nothing is sent after the return.
Attribute values that are the invocation's secrets, and attributes with secret-looking keys
(``...password``, ``...token``, ``...secret``), are masked before export.

The OpenTelemetry SDK is imported when a :class:`Tracer` is made, never by ``import fcsdk``.

Example:
    >>> import fcsdk as fc
    >>> from fcsdk.tracing import Tracer
    >>> tracer = Tracer(service="orders", endpoint="http://127.0.0.1:9/v1/traces", timeout=0.5)
    >>> @tracer.capture_method
    ... def reserve(sku: str) -> int:
    ...     return len(sku)
    >>> @fc.handler
    ... @tracer.capture_handler
    ... def handler(event: dict, context: fc.Context) -> int:
    ...     return reserve(event["sku"])
    >>> handler(b'{"sku": "abc"}', None)  # nothing listens on port 9: the spans are dropped
    '3'
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import logging
import os
import time
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Mapping,
    Optional,
    Sequence,
    TypeVar,
    Union,
    overload,
)

from typing_extensions import ParamSpec

from ._fcspan import FCSpanContext, otlp_endpoint_from_jaeger, parse_span_context

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import ReadableSpan
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Tracer as OTelTracer

    from ..context import Context
    from ..steps import Invocation

__all__ = ["FCSpanContext", "Tracer", "TracingStep", "parse_span_context"]

P = ParamSpec("P")
R = TypeVar("R")
F = TypeVar("F", bound=Callable[..., Any])
_log = logging.getLogger("fcsdk.tracing")


#: name -> (module, instrumentor class, PyPI package)
_INSTRUMENTATIONS = {
    "requests": (
        "opentelemetry.instrumentation.requests",
        "RequestsInstrumentor",
        "opentelemetry-instrumentation-requests",
    ),
    "httpx": (
        "opentelemetry.instrumentation.httpx",
        "HTTPXClientInstrumentor",
        "opentelemetry-instrumentation-httpx",
    ),
    "urllib3": (
        "opentelemetry.instrumentation.urllib3",
        "URLLib3Instrumentor",
        "opentelemetry-instrumentation-urllib3",
    ),
    "urllib": (
        "opentelemetry.instrumentation.urllib",
        "URLLibInstrumentor",
        "opentelemetry-instrumentation-urllib",
    ),
    "aiohttp": (
        "opentelemetry.instrumentation.aiohttp_client",
        "AioHttpClientInstrumentor",
        "opentelemetry-instrumentation-aiohttp-client",
    ),
}


class _Batch:
    __slots__ = ("closed", "spans")

    def __init__(self) -> None:
        self.spans: list[ReadableSpan] = []
        self.closed = False


def _headers_from_env() -> dict[str, str]:
    from urllib.parse import unquote

    text = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_HEADERS") or os.environ.get(
        "OTEL_EXPORTER_OTLP_HEADERS", ""
    )
    out: dict[str, str] = {}
    for item in text.split(","):
        key, sep, value = item.partition("=")
        if sep and key.strip():
            out[unquote(key.strip())] = unquote(value.strip())
    return out


class Tracer:
    """Traces invocations and inner functions; exports each invocation's spans before it returns.

    Parameters:
        service: ``service.name`` of the spans.
        endpoint: the OTLP/HTTP traces URL (``.../v1/traces``). Default:
            ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``, else ``OTEL_EXPORTER_OTLP_ENDPOINT`` +
            ``/v1/traces``, else the OTLP endpoint beside FC's Jaeger endpoint
            (``context.tracing.jaeger_endpoint``); with none, spans are dropped.
        timeout: the most seconds an invocation spends exporting (0 < timeout <= 30).
        headers: HTTP headers for the collector (default ``OTEL_EXPORTER_OTLP_[TRACES_]HEADERS``).
        exporter: an OpenTelemetry ``SpanExporter`` to use instead of OTLP/HTTP (tests, benches).
        instrument: client libraries whose calls become child spans, through their OpenTelemetry
            instrumentation (installed separately): ``"requests"`` (which oss2 and
            alibabacloud-oss-v2 use), ``"httpx"``, ``"urllib3"``, ``"urllib"``, ``"aiohttp"``.

    Raises:
        MissingDependencyError: without the ``tracing`` extra.
        ConfigurationError: for an empty service or a timeout out of range.

    Example:
        >>> from fcsdk.tracing import Tracer
        >>> Tracer(service="orders", timeout=0)
        Traceback (most recent call last):
        ...
        fcsdk.errors.ConfigurationError: Tracer(timeout=0): use a number of seconds above 0 and at most 30
    """

    def __init__(
        self,
        service: str,
        endpoint: Optional[str] = None,
        *,
        timeout: float = 2.0,
        headers: Optional[Mapping[str, str]] = None,
        exporter: Optional[SpanExporter] = None,
        instrument: Sequence[str] = (),
    ) -> None:
        from ..errors import ConfigurationError, MissingDependencyError

        if not isinstance(service, str) or not service.strip():
            raise ConfigurationError("Tracer(service=...) must be a non-empty str")
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
            raise ConfigurationError(f"Tracer(timeout={timeout!r}): use a number of seconds")
        if not 0 < timeout <= 30:
            raise ConfigurationError(
                f"Tracer(timeout={timeout!r}): use a number of seconds above 0 and at most 30"
            )
        try:
            from opentelemetry.sdk.resources import Resource
            from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
            from opentelemetry.sdk.trace.sampling import ALWAYS_ON, ParentBased
        except ImportError:
            raise MissingDependencyError.for_extra("opentelemetry-sdk", "tracing") from None

        self.service = service
        self.timeout = float(timeout)
        self.endpoint = endpoint
        self.headers = dict(headers) if headers is not None else _headers_from_env()
        self.exporter = exporter
        self._batch: contextvars.ContextVar[Optional[_Batch]] = contextvars.ContextVar(
            "fcsdk_tracing_batch", default=None
        )
        batch_var = self._batch

        class _Collector(SpanProcessor):
            """Hands each ended span to its invocation's batch; spans ending after their
            invocation returned (or outside any) are dropped, never exported later."""

            def on_end(self, span: ReadableSpan) -> None:
                batch = batch_var.get()
                if batch is not None and not batch.closed:
                    batch.spans.append(span)

        resource = Resource.create({"service.name": service, "cloud.provider": "alibaba_cloud"})
        self.provider = TracerProvider(resource=resource, sampler=ParentBased(ALWAYS_ON))
        self.provider.add_span_processor(_Collector())
        from .. import __version__

        self.otel: OTelTracer = self.provider.get_tracer("fcsdk.tracing", __version__)
        if isinstance(instrument, str):
            raise ConfigurationError("Tracer(instrument=...) takes a list of names, not one str")
        for name in instrument:
            self._instrument(name)

    def _instrument(self, name: str) -> None:
        from ..errors import ConfigurationError, MissingDependencyError

        known = _INSTRUMENTATIONS.get(name)
        if known is None:
            raise ConfigurationError(
                f"Tracer(instrument=[{name!r}]): unknown; use one of {sorted(_INSTRUMENTATIONS)}"
            )
        module_name, class_name, package = known
        import importlib

        try:
            module = importlib.import_module(module_name)
        except ImportError:
            raise MissingDependencyError(
                f"tracing {name} calls needs {package}: pip install {package}"
            ) from None
        instrumentor = getattr(module, class_name)()
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument(tracer_provider=self.provider)

    # -- decorators -----------------------------------------------------------------------------

    def step(self) -> TracingStep:
        """The step for ``@fc.handler(steps=[...])`` (what :meth:`capture_handler` runs).

        Example:
            >>> from fcsdk.tracing import Tracer
            >>> type(Tracer(service="orders").step()).__name__
            'TracingStep'
        """
        return TracingStep(self)

    def capture_handler(self, func: F) -> F:
        """Trace each invocation of ``func`` (sync or ``async``; put it under ``@fc.handler``).

        Example:
            >>> import fcsdk as fc
            >>> from fcsdk.tracing import Tracer
            >>> tracer = Tracer(service="orders")
            >>> @fc.handler
            ... @tracer.capture_handler
            ... async def handler(event: bytes) -> str:
            ...     return "ok"
            >>> handler(b"", None)
            'ok'
        """
        from ..steps import wrap_function

        return wrap_function(func, [self.step()])

    @overload
    def capture_method(self, func: Callable[P, R], /) -> Callable[P, R]: ...

    @overload
    def capture_method(
        self, func: None = None, /, *, name: Optional[str] = None
    ) -> Callable[[Callable[P, R]], Callable[P, R]]: ...

    def capture_method(
        self, func: Optional[Callable[P, R]] = None, /, *, name: Optional[str] = None
    ) -> Union[Callable[P, R], Callable[[Callable[P, R]], Callable[P, R]]]:
        """A child span for each call of ``func`` made during a traced invocation (outside
        one, ``func`` runs untraced at no cost). Exceptions are recorded on the span. For a
        generator or async generator function the span covers the iteration: from the first
        ``next()`` to exhaustion, ``close()`` (a ``break``) or an exception, and is current only
        while the generator's own code runs.

        Example:
            >>> from fcsdk.tracing import Tracer
            >>> tracer = Tracer(service="orders")
            >>> @tracer.capture_method(name="reserve stock")
            ... def reserve(sku: str) -> int:
            ...     return 1
            >>> reserve("a")
            1
        """
        if func is None:
            return lambda f: self._capture(f, name)
        return self._capture(func, name)

    def _capture(self, func: Callable[P, R], name: Optional[str]) -> Callable[P, R]:
        span_name = name or getattr(func, "__qualname__", None) or repr(func)
        batch = self._batch
        otel = self.otel

        target = inspect.unwrap(func)
        if inspect.isgeneratorfunction(target) or inspect.isasyncgenfunction(target):
            from ._gen import trace_async_generator, trace_generator

            def traced() -> bool:
                return batch.get() is not None

            wrap = trace_generator if inspect.isgeneratorfunction(target) else trace_async_generator
            return wrap(func, otel, span_name, traced)  # type: ignore[arg-type,return-value]

        if inspect.iscoroutinefunction(target):

            @functools.wraps(func)
            async def async_wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
                if batch.get() is None:
                    return await func(*args, **kwargs)  # type: ignore[misc]
                with otel.start_as_current_span(span_name):
                    return await func(*args, **kwargs)  # type: ignore[misc]

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            if batch.get() is None:
                return func(*args, **kwargs)
            with otel.start_as_current_span(span_name):
                return func(*args, **kwargs)

        return wrapper

    # -- the invocation span and its export -----------------------------------------------------

    def _start(self, ctx: Context) -> Any:
        from opentelemetry import context as otel_context
        from opentelemetry import trace
        from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags

        from .._coldstart import is_cold_start

        parent = parse_span_context(ctx.tracing.span_context)
        if parent is not None:
            remote = SpanContext(
                parent.trace_id,
                parent.span_id,
                is_remote=True,
                trace_flags=TraceFlags(TraceFlags.SAMPLED if parent.sampled else 0),
            )
            start_in = trace.set_span_in_context(NonRecordingSpan(remote))
        else:
            start_in = otel_context.Context()  # a new trace, not whatever span is current
        fn = ctx.function
        attrs: dict[str, Any] = {
            "faas.invocation_id": ctx.request_id,
            "fc.request_id": ctx.request_id,
            "faas.coldstart": is_cold_start(ctx),
            "cloud.provider": "alibaba_cloud",
        }
        for key, value in (
            ("faas.name", fn.name),
            ("faas.version", fn.qualifier or fn.version_id),
            ("faas.instance", ctx.instance_id),
            ("cloud.region", ctx.region),
            ("cloud.account.id", ctx.account_id),
        ):
            if value:
                attrs[key] = value
        return self.otel.start_as_current_span(
            fn.name or "invocation", context=start_in, kind=SpanKind.SERVER, attributes=attrs
        )

    def _resolve_endpoint(self, ctx: Context) -> Optional[str]:
        if self.endpoint:
            return self.endpoint
        env = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        if env:
            return env
        base = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        if base:
            return base.rstrip("/") + "/v1/traces"
        return otlp_endpoint_from_jaeger(ctx.tracing.jaeger_endpoint)

    def _export(
        self, spans: list[ReadableSpan], ctx: Context, deadline: Optional[float] = None
    ) -> None:
        """Export one invocation's spans before ``deadline`` (``time.monotonic()``; default
        ``timeout`` from now); never raises."""
        if not spans:
            return
        if deadline is None:
            deadline = time.monotonic() + self.timeout
        try:
            from .._secrets import invocation_secrets
            from ._export import ExportFailed, mask_spans, post_protobuf

            masked = mask_spans(spans, invocation_secrets(ctx))
            if self.exporter is not None:
                self.exporter.export(masked)
                return
            endpoint = self._resolve_endpoint(ctx)
            if endpoint is None:
                return
            from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

            body = encode_spans(masked).SerializeToString()
            status = post_protobuf(endpoint, body, self.headers, deadline)
            if status >= 300:
                _log.warning("fcsdk.tracing: the collector answered HTTP %s", status)
        except ExportFailed as exc:
            _log.warning("fcsdk.tracing: spans not exported: %s", exc)
        except Exception:
            _log.warning("fcsdk.tracing: spans not exported", exc_info=True)


class TracingStep:
    """Starts the invocation span (child of FC's) and exports the invocation's spans at its
    end (see :meth:`Tracer.step`).

    Example:
        >>> from fcsdk.tracing import Tracer
        >>> Tracer(service="orders").step().tracer.service
        'orders'
    """

    def __init__(self, tracer: Tracer) -> None:
        self.tracer = tracer

    def around(self, call: Invocation, proceed: Callable[[], Any]) -> Any:
        tracer = self.tracer
        if tracer._batch.get() is not None:  # already traced by this Tracer: one span
            return proceed()
        batch = _Batch()
        token = tracer._batch.set(batch)
        try:
            with tracer._start(call.context):
                return proceed()
        finally:
            tracer._batch.reset(token)
            batch.closed = True
            tracer._export(batch.spans, call.context)

    async def around_async(self, call: Invocation, proceed: Callable[[], Any]) -> Any:
        tracer = self.tracer
        if tracer._batch.get() is not None:
            return await proceed()
        batch = _Batch()
        token = tracer._batch.set(batch)
        try:
            with tracer._start(call.context):
                return await proceed()
        finally:
            tracer._batch.reset(token)
            batch.closed = True
            if batch.spans:  # off the event loop: other invocations' tasks keep running
                await _export_off_loop(tracer, batch.spans, call.context)


def _settle(done: Any) -> None:
    if not done.done():
        done.set_result(None)


async def _export_off_loop(tracer: Tracer, spans: list[ReadableSpan], ctx: Context) -> None:
    """Export on a thread of its own, in the invocation's context (its warnings carry its
    request id and are masked). Not the loop's default executor: with its few workers busy
    (other invocations' ``aget``, ``asyncio.to_thread``) the export would queue past
    ``timeout``; the deadline is fixed before the hand-over, so the wait is bounded by it."""
    import asyncio
    import contextlib
    import threading

    loop = asyncio.get_running_loop()
    deadline = time.monotonic() + tracer.timeout
    done = loop.create_future()
    run = contextvars.copy_context().run

    def work() -> None:
        try:
            run(tracer._export, spans, ctx, deadline)
        finally:
            with contextlib.suppress(RuntimeError):  # the loop closed: nobody is waiting
                loop.call_soon_threadsafe(_settle, done)

    threading.Thread(target=work, name="fcsdk-tracing-export", daemon=True).start()
    await done
