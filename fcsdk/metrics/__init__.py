"""Custom metrics for FC, one JSON line per invocation on stdout, correct under instance
concurrency.

Metrics and dimensions belong to the invocation: :meth:`Metrics.log_metrics` (or the step from
:meth:`Metrics.step`) opens a metric set in a context variable, the handler adds to it, and the
set is written as ONE JSON line when the invocation ends, also when it raises. Sixteen
invocations running at once in threads or tasks write sixteen lines, each with its own values.

The line's ``samples`` are already in MetricStore's own columns (``__name__``, ``__labels__``,
``__time_nano__``, ``__value__``), so an SLS data-processing rule turns FC's logstore into a
MetricStore time series with no per-metric configuration: see ``docs/notes/observability.md``.

Example:
    >>> import fcsdk as fc
    >>> from fcsdk.metrics import Metrics
    >>> metrics = Metrics(namespace="shop", service="orders")
    >>> @fc.handler
    ... @metrics.log_metrics
    ... def handler(event: dict, context: fc.Context) -> str:
    ...     metrics.add_dimension("channel", event["channel"])
    ...     metrics.add_metric("OrdersPlaced", "Count", 1)
    ...     return "ok"
    >>> handler(b'{"channel": "web"}', {"x-fc-request-id": "r-1"})  # doctest: +ELLIPSIS
    {"_fcsdk": "metrics", "namespace": "shop", "time": ..., "request_id": "r-1", ...}
    'ok'
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import threading
import time
from typing import IO, TYPE_CHECKING, Any, Callable, Mapping, Optional, TypeVar, Union, overload

from .._coldstart import is_cold_start
from ._schema import (
    LINE_FIELDS,
    MAX_DIMENSIONS,
    MAX_METRICS,
    MAX_VALUES,
    MAX_VALUES_PER_INVOCATION,
    SAMPLE_FIELDS,
    MetricResolution,
    MetricsError,
    MetricUnit,
    build_line,
    check_dimension_value,
    check_name,
    check_resolution,
    check_unit,
    check_value,
)

if TYPE_CHECKING:
    from ..context import Context
    from ..steps import Invocation

__all__ = [
    "LINE_FIELDS",
    "SAMPLE_FIELDS",
    "MetricResolution",
    "MetricUnit",
    "Metrics",
    "MetricsError",
    "MetricsStep",
]

for _cls in (MetricsError, MetricUnit, MetricResolution):
    _cls.__module__ = __name__  # documented and shown as fcsdk.metrics.X

F = TypeVar("F", bound=Callable[..., Any])
_write_lock = threading.Lock()
_log = logging.getLogger("fcsdk.metrics")


class _MetricSet:
    __slots__ = ("dimensions", "lock", "metadata", "metrics")

    def __init__(self) -> None:
        # threads of one invocation (batch_handler(concurrency=N)) add to the same set: the
        # look-up-then-insert of a name must not lose the value of a thread that raced it
        self.lock = threading.Lock()
        self.metrics: dict[str, tuple[MetricUnit, MetricResolution, list[float]]] = {}
        self.dimensions: dict[str, str] = {}
        self.metadata: dict[str, Any] = {}


class Metrics:
    """Metrics of one namespace (and service): add them during an invocation, flushed as one
    JSON line per invocation by :meth:`log_metrics`.

    Parameters:
        namespace: the metric namespace (a ``namespace`` label on every sample).
        service: added as the ``service`` dimension when given.
        default_dimensions: more dimensions on every line.
        stream: where lines go (default: ``sys.stdout`` at the time of writing, which FC ships
            to the function's logstore).

    Raises:
        MetricsError: for an invalid namespace or dimension.

    Example:
        >>> from fcsdk.metrics import Metrics
        >>> Metrics(namespace="shop").namespace
        'shop'
    """

    def __init__(
        self,
        namespace: str,
        service: Optional[str] = None,
        *,
        default_dimensions: Optional[Mapping[str, str]] = None,
        stream: Optional[IO[str]] = None,
    ) -> None:
        self.namespace = check_dimension_value("namespace", namespace)
        self.service = service
        self.default_dimensions: dict[str, str] = {}
        if service is not None:
            self.default_dimensions["service"] = check_dimension_value("service", service)
        self.set_default_dimensions(**(default_dimensions or {}))
        self.stream = stream
        self._var: contextvars.ContextVar[Optional[_MetricSet]] = contextvars.ContextVar(
            f"fcsdk_metrics_{namespace}", default=None
        )

    # -- adding ----------------------------------------------------------------------------------

    def _current(self, what: str) -> _MetricSet:
        current = self._var.get()
        if current is None:
            raise MetricsError(
                f"{what} was called outside an invocation of a handler decorated with "
                "@metrics.log_metrics (or steps=[metrics.step()]); in a thread the handler "
                "started, run the code with contextvars.copy_context().run"
            )
        return current

    def add_metric(
        self,
        name: str,
        unit: Union[MetricUnit, str],
        value: float,
        resolution: Union[MetricResolution, int] = 60,
    ) -> None:
        """Record ``value`` for metric ``name``; adding a name again makes a multi-value metric.

        Raises:
            MetricsError: for an invalid name, unknown unit, non-finite value, a resolution
                other than 60 or 1, a unit or resolution different from the name's first, too
                many metrics or values, or a call outside :meth:`log_metrics`.

        Example:
            >>> from fcsdk.metrics import Metrics
            >>> Metrics(namespace="shop").add_metric("Orders", "Pieces", 1)
            Traceback (most recent call last):
            ...
            fcsdk.metrics.MetricsError: unit 'Pieces' is unknown: use a MetricUnit such as 'Count', 'Milliseconds', 'Bytes' or 'Percent'
        """
        check_name(name, "metric name")
        checked_unit = check_unit(unit)
        number = check_value(name, value)
        res = check_resolution(resolution)
        current = self._current("add_metric")
        with current.lock:
            entry = current.metrics.get(name)
            if entry is None:
                if len(current.metrics) >= MAX_METRICS:
                    raise MetricsError(
                        f"metric {name!r} would be metric number {MAX_METRICS + 1} of this "
                        f"invocation: at most {MAX_METRICS} names per invocation"
                    )
                current.metrics[name] = (checked_unit, res, [number])
                return
            if entry[0] is not checked_unit or entry[1] is not res:
                raise MetricsError(
                    f"metric {name!r} was added with unit {entry[0].value!r} and resolution "
                    f"{int(entry[1])}; add every value with the same unit and resolution"
                )
            if len(entry[2]) >= MAX_VALUES_PER_INVOCATION:
                raise MetricsError(
                    f"metric {name!r} has {MAX_VALUES_PER_INVOCATION} values already in this "
                    "invocation (the most); add a sum or count instead of one value per item"
                )
            entry[2].append(number)

    def add_dimension(self, name: str, value: str) -> None:
        """Add a dimension to this invocation's metrics.

        Raises:
            MetricsError: for an invalid name or value, more than 30 dimensions, or a call
                outside :meth:`log_metrics`.

        Example:
            >>> from fcsdk.metrics import Metrics
            >>> Metrics(namespace="shop").add_dimension("channel", "web")
            Traceback (most recent call last):
            ...
            fcsdk.metrics.MetricsError: add_dimension was called outside an invocation of a handler decorated with @metrics.log_metrics (or steps=[metrics.step()]); in a thread the handler started, run the code with contextvars.copy_context().run
        """
        check_name(name, "dimension name")
        check_dimension_value(name, value)
        current = self._current("add_dimension")
        with current.lock:
            if name not in current.dimensions and len(current.dimensions) >= MAX_DIMENSIONS:
                raise MetricsError(f"dimension {name!r} would exceed {MAX_DIMENSIONS} dimensions")
            current.dimensions[name] = value

    def add_metadata(self, key: str, value: Any) -> None:
        """Add a field to this invocation's line that is not a dimension (not in the samples).

        Raises:
            MetricsError: for a key that is not a non-empty str, a value JSON cannot hold (NaN,
                a cycle, non-str dict keys), or a call outside :meth:`log_metrics`.

        Example:
            >>> from fcsdk.metrics import Metrics
            >>> Metrics(namespace="shop").add_metadata("order_id", "o-1")
            Traceback (most recent call last):
            ...
            fcsdk.metrics.MetricsError: add_metadata was called outside an invocation of a handler decorated with @metrics.log_metrics (or steps=[metrics.step()]); in a thread the handler started, run the code with contextvars.copy_context().run
        """
        if not isinstance(key, str) or not key:
            raise MetricsError("metadata key must be a non-empty str")
        current = self._current("add_metadata")
        try:  # checked now: at the flush it would cost the invocation's whole line
            json.dumps(value, default=str, allow_nan=False)
        except (TypeError, ValueError, RecursionError) as exc:
            raise MetricsError(
                f"metadata {key!r} cannot be written as JSON ({type(exc).__name__}): use str, "
                "finite numbers, bools, None, and lists or dicts with str keys of those"
            ) from None
        current.metadata[key] = value

    def set_default_dimensions(self, **dimensions: str) -> None:
        """Dimensions added to every invocation's line (process-wide, set at import time).

        Example:
            >>> from fcsdk.metrics import Metrics
            >>> m = Metrics(namespace="shop", service="orders")
            >>> m.set_default_dimensions(env="prod")
            >>> m.default_dimensions
            {'service': 'orders', 'env': 'prod'}
        """
        for name, value in dimensions.items():
            check_name(name, "dimension name")
            self.default_dimensions[name] = check_dimension_value(name, value)

    # -- scoping and flushing --------------------------------------------------------------------

    def step(
        self, *, capture_cold_start: bool = False, raise_on_empty_metrics: bool = False
    ) -> MetricsStep:
        """The step for ``@fc.handler(steps=[...])`` (what :meth:`log_metrics` runs).

        Example:
            >>> import fcsdk as fc
            >>> from fcsdk.metrics import Metrics
            >>> metrics = Metrics(namespace="shop")
            >>> @fc.handler(steps=[metrics.step()])
            ... def handler(event: bytes) -> str:
            ...     return "no metrics, no line"
            >>> handler(b"", None)
            'no metrics, no line'
        """
        return MetricsStep(self, capture_cold_start, raise_on_empty_metrics)

    @overload
    def log_metrics(self, func: F, /) -> F: ...

    @overload
    def log_metrics(
        self,
        func: None = None,
        /,
        *,
        capture_cold_start: bool = False,
        raise_on_empty_metrics: bool = False,
    ) -> Callable[[F], F]: ...

    def log_metrics(
        self,
        func: Optional[F] = None,
        /,
        *,
        capture_cold_start: bool = False,
        raise_on_empty_metrics: bool = False,
    ) -> Union[F, Callable[[F], F]]:
        """Decorate a handler (sync or ``async``; under ``@fc.handler``) so its metrics are
        written as one JSON line per invocation. Works bare and with arguments.

        Parameters:
            capture_cold_start: add a ``ColdStart`` count (function dimensions only) to the
                line of the instance's first invocation.
            raise_on_empty_metrics: raise :class:`MetricsError` when an invocation added no
                metric (by default it writes no line).

        Example:
            >>> import fcsdk as fc
            >>> from fcsdk.metrics import Metrics
            >>> metrics = Metrics(namespace="shop")
            >>> @fc.handler
            ... @metrics.log_metrics(raise_on_empty_metrics=True)
            ... def handler(event: bytes) -> str:
            ...     return "ok"
            >>> handler(b"", None)
            Traceback (most recent call last):
            ...
            fcsdk.metrics.MetricsError: the invocation added no metric (raise_on_empty_metrics=True)
        """
        from ..steps import wrap_function

        step = self.step(
            capture_cold_start=capture_cold_start, raise_on_empty_metrics=raise_on_empty_metrics
        )
        if func is not None:
            return wrap_function(func, [step])

        def decorate(f: F) -> F:
            return wrap_function(f, [step])

        return decorate

    def _flush(self, current: _MetricSet, ctx: Context, capture_cold_start: bool) -> None:
        with current.lock:  # a thread that outlives the invocation may still be adding
            metrics = {n: (u, r, list(v)) for n, (u, r, v) in current.metrics.items()}
            dimensions = dict(current.dimensions)
            metadata = dict(current.metadata)
        if not metrics and not capture_cold_start:
            return
        fn = ctx.function
        dims: dict[str, str] = {}
        for name, value in (("function_name", fn.name), ("function_qualifier", fn.qualifier)):
            if value and "|" not in value and "#$#" not in value:
                dims[name] = value
        dims.update(self.default_dimensions)
        cold = dict(dims) if capture_cold_start and is_cold_start(ctx) else None
        dims.update(dimensions)
        if not metrics and cold is None:
            return
        from .._secrets import invocation_secrets, mask_text

        secrets = invocation_secrets(ctx)
        time_ms = int(time.time() * 1000)
        most = max((len(v) for _, _, v in metrics.values()), default=0)
        texts = []
        # a name with more than MAX_VALUES values (one value per record of a large batch) is
        # written in further lines of the same invocation, MAX_VALUES values each
        for first in range(0, max(most, 1), MAX_VALUES):
            part = {
                n: (u, r, v[first : first + MAX_VALUES])
                for n, (u, r, v) in metrics.items()
                if len(v) > first
            }
            line = build_line(
                namespace=self.namespace,
                time_ms=time_ms,
                request_id=ctx.request_id,
                dimensions=dims,
                metrics=part,
                metadata=metadata,
                cold_start_dimensions=cold if first == 0 else None,
                first_index=first,
            )
            text = json.dumps(line, default=str, ensure_ascii=False, allow_nan=False)
            texts.append(mask_text(text, secrets) + "\n")
        stream = self.stream if self.stream is not None else sys.stdout
        with _write_lock:  # one write per line: lines of concurrent invocations never interleave
            for text in texts:
                stream.write(text)
            stream.flush()


class MetricsStep:
    """Opens the invocation's metric set, writes it when the invocation ends (see
    :meth:`Metrics.step`).

    Example:
        >>> from fcsdk.metrics import Metrics
        >>> type(Metrics(namespace="shop").step()).__name__
        'MetricsStep'
    """

    def __init__(
        self, metrics: Metrics, capture_cold_start: bool, raise_on_empty_metrics: bool
    ) -> None:
        self.metrics = metrics
        self.capture_cold_start = capture_cold_start
        self.raise_on_empty_metrics = raise_on_empty_metrics

    def _finish(self, current: _MetricSet, call: Invocation, failed: bool) -> None:
        try:
            self.metrics._flush(current, call.context, self.capture_cold_start)
        except Exception:  # writing metrics must never fail the invocation
            _log.warning("fcsdk.metrics: could not write the metrics line", exc_info=True)
        if self.raise_on_empty_metrics and not failed and not current.metrics:
            raise MetricsError("the invocation added no metric (raise_on_empty_metrics=True)")

    def around(self, call: Invocation, proceed: Callable[[], Any]) -> Any:
        var = self.metrics._var
        if var.get() is not None:  # already inside this Metrics' scope: one line, not two
            return proceed()
        current = _MetricSet()
        token = var.set(current)
        failed = True
        try:
            result = proceed()
            failed = False
            return result
        finally:
            var.reset(token)
            self._finish(current, call, failed)

    async def around_async(self, call: Invocation, proceed: Callable[[], Any]) -> Any:
        var = self.metrics._var
        if var.get() is not None:
            return await proceed()
        current = _MetricSet()
        token = var.set(current)
        failed = True
        try:
            result = await proceed()
            failed = False
            return result
        finally:
            var.reset(token)
            self._finish(current, call, failed)
