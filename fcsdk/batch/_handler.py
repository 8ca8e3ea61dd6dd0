"""``batch_handler``: one call of the user's function per record, failures collected per record."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import sys
from contextvars import ContextVar
from typing import Any, Callable, Hashable, List, Optional, Sequence

from .._handler import _UNSET, HandlerDecorator, _event_annotation, _name, _positional
from .._handler import handler as fc_handler
from ..context import Context
from ..envelopes._base import Envelope
from ..errors import ConfigurationError
from ._errors import RecordFailure
from ._records import RecordCodec, default_ordering_key, record_model_of

__all__ = ["BatchRecord", "batch_handler", "current_record"]

OnFailure = Callable[[List[RecordFailure], Context], Any]


@dataclasses.dataclass(frozen=True)
class BatchRecord:
    """The record being processed: its position and id (see :func:`current_record`)."""

    index: int
    id: Optional[str]


_current: ContextVar[Optional[BatchRecord]] = ContextVar("fcsdk_batch_record", default=None)


def current_record() -> Optional[BatchRecord]:
    """The record the calling thread or task is processing, or None outside a batch call.

    Set around each call of the function, in the thread or task that runs it, so log lines and
    metrics can name the record under ``concurrency=N`` too.

    Example:
        >>> current_record() is None
        True
    """
    return _current.get()


def _context_class(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, Context)


def _bind_params(
    func: Callable[..., Any], record_model: Any, localns: Optional[dict[str, Any]]
) -> tuple[list[str], Any]:
    """What each parameter after the first receives ('context' or 'record') and the record
    model to validate records as (a more precise one when a parameter asks for it)."""
    params, varargs = _positional(func)
    if not params:
        raise ConfigurationError(
            f"batch handler {_name(func)} takes no arguments; it must accept the record's "
            "payload first: (order), (order, context), (order, record) or (order, record, context)"
        )
    base = record_model
    origin = getattr(base, "__pydantic_generic_metadata__", {}).get("origin") or base
    kinds: list[str] = []
    for p in params[1:]:
        ann = _event_annotation(func, p, localns)
        ann = None if ann is Any else ann  # unannotated or Any: known by name
        if _context_class(ann) or (ann is None and p.name in ("context", "ctx")):
            kinds.append("context")
        elif isinstance(ann, type) and isinstance(origin, type) and issubclass(ann, origin):
            record_model = ann  # as precise as asked: DTSRecord under the CloudEvent envelope
            kinds.append("record")
        elif isinstance(ann, type) and isinstance(origin, type) and issubclass(origin, ann):
            kinds.append("record")  # a base class of the record (CloudEvent for Kafka)
        elif ann is None and p.name == "record":
            kinds.append("record")
        elif p.default is not inspect.Parameter.empty:
            break
        else:
            raise ConfigurationError(
                f"batch handler {_name(func)}: cannot fill parameter {p.name!r} "
                f"(annotated {ann!r}); annotate it fc.Context for the context or "
                f"{getattr(base, '__name__', base)} for the record with its metadata"
            )
    if varargs and not kinds:
        kinds.append("context")
    if len(set(kinds)) != len(kinds):
        raise ConfigurationError(
            f"batch handler {_name(func)} asks for the same value twice: {kinds}"
        )
    return kinds, record_model


def _caller(func: Callable[..., Any], kinds: list[str]) -> Callable[[Any, Any, Context], Any]:
    """``call(value, record, ctx)`` specialised for the parameter shape (no per-call loop)."""
    if kinds == []:
        return lambda v, r, c: func(v)
    if kinds == ["context"]:
        return lambda v, r, c: func(v, c)
    if kinds == ["record"]:
        return lambda v, r, c: func(v, r)
    if kinds == ["record", "context"]:
        return lambda v, r, c: func(v, r, c)
    return lambda v, r, c: func(v, c, r)


def _named_like(process: Callable[..., Any], func: Callable[..., Any]) -> None:
    """Give the inner function the user's names, so steps' ``bind(spec)`` see them (not
    ``__wrapped__``: ``@fc.handler`` must read the inner function's own signature)."""
    for attr in ("__module__", "__name__", "__qualname__", "__doc__"):
        value = getattr(func, attr, None)
        if isinstance(value, str):
            setattr(process, attr, value)


def batch_handler(
    *,
    envelope: Envelope,
    model: Any = _UNSET,
    on_failure: Optional[OnFailure] = None,
    concurrency: int = 1,
    ordering_key: Optional[Callable[[Any], Optional[Hashable]]] = None,
    idempotency: Any = None,
    include_input: bool = False,
    steps: Sequence[Any] = (),
) -> HandlerDecorator:
    """Process each record of a batch trigger on its own: a poison record fails alone.

    The decorated function is called once per record whose payload decodes and validates,
    in batch order (its return value is not used). If any record failed (bad record, bad payload, or the function raised),
    the invocation raises :class:`BatchProcessingError` after all the others ran, so FC retries
    the batch and nothing is lost; with ``on_failure`` it succeeds and returns the report
    ``{"succeeded": N, "failed": [{"index", "id", "errorType", "errorMessage"}]}``.

    Parameters:
        envelope: the trigger's batch envelope (``fc.envelopes.Kafka``, ``MNSQueue``,
            ``RocketMQ``, ``RabbitMQ``, ``CloudEvent`` for DTS and EventBridge,
            ``SelfHostedRocketMQ``, ``MQTT``, ``KafkaBase64``).
        model: what each payload is validated as; default: the first parameter's annotation.
        on_failure: ``on_failure(failures, context)`` takes responsibility for the failed
            records (send ``f.record_json()`` to a dead-letter queue); if it raises, the
            invocation fails with :class:`BatchProcessingError` (the cause attached).
        concurrency: records processed at once: threads, or asyncio tasks for ``async def``
            functions. Records with the same ordering key still run one after the other, in
            order.
        ordering_key: ``record -> hashable`` (None: no constraint); default per trigger: Kafka
            ``(topic, partition, key)``, RocketMQ sharding key, MNS message group.
        idempotency: an :class:`fcsdk.idempotency.Idempotency`: each record's call runs at
            most once per key, so a redelivered batch skips the records that succeeded. Its
            key is a path into the payload (``"order_id"``) or a callable ``(payload,
            record)``: ``key=lambda order, record: record.data.message_id``.
        include_input: let error messages include input values (off: events carry data).
        steps: steps run around the whole invocation (see :mod:`fcsdk.steps`).

    Parameters of the function after the first are filled by annotation: ``fc.Context`` gets
    the context, the trigger's record type (``fc.events.KafkaRecord``...) the record with its
    metadata; with ``envelope=fc.envelopes.CloudEvent``, annotating ``fc.events.DTSRecord``
    validates records as DTS records.

    Returns:
        A decorator; the decorated object is a plain ``handler(event, context)`` for FC.

    Raises:
        ConfigurationError: at decoration, for a non-batch envelope, ``concurrency < 1`` or a
            parameter that cannot be filled.

    Example:
        >>> import fcsdk as fc
        >>> from pydantic import BaseModel
        >>> from fcsdk.batch import BatchProcessingError, batch_handler
        >>> from fcsdk.testing import events
        >>> class Order(BaseModel):
        ...     qty: int
        >>> seen = []
        >>> @batch_handler(envelope=fc.envelopes.Kafka)
        ... def handler(order: Order, record: fc.events.KafkaRecord) -> None:
        ...     seen.append((record.data.offset, order.qty))
        >>> try:
        ...     handler(events.kafka_batch([{"qty": 1}, {"qty": 2}], poison_at=[1]), None)
        ... except BatchProcessingError as exc:
        ...     print(exc.failures[0].index, exc.failures[0].paths)
        1 ['[1].data.value']
        >>> seen
        [(25, 1), (27, 2)]
    """
    if not isinstance(concurrency, int) or isinstance(concurrency, bool) or concurrency < 1:
        raise ConfigurationError(f"batch_handler(concurrency={concurrency!r}): use an int >= 1")
    if on_failure is not None and not callable(on_failure):
        raise ConfigurationError("batch_handler(on_failure=...) must be callable(failures, ctx)")
    base_model = record_model_of(envelope)
    keyfunc = ordering_key if ordering_key is not None else default_ordering_key(envelope)
    localns: Optional[dict[str, Any]] = None
    try:
        frame = sys._getframe(1)
        localns = dict(frame.f_locals) if frame.f_code.co_name != "<module>" else None
    except (AttributeError, ValueError):  # pragma: no cover - non-CPython
        localns = None

    def decorate(func: Callable[..., Any]) -> Any:
        if not callable(func):
            raise ConfigurationError(f"@batch_handler needs a function, got {type(func).__name__}")
        kinds, record_model = _bind_params(func, base_model, localns)
        params, _ = _positional(func)
        item = _event_annotation(func, params[0], localns) if model is _UNSET else model
        codec = RecordCodec(envelope, item, include_input=include_input, record_model=record_model)
        call = _caller(func, kinds)
        target = inspect.unwrap(func)
        is_async = inspect.iscoroutinefunction(target) or inspect.iscoroutinefunction(
            None if inspect.isroutine(target) else vars(type(target)).get("__call__")
        )
        from ._invocation import make_process

        process = make_process(codec, call, keyfunc, concurrency, on_failure, is_async)
        _named_like(process, func)
        wrapper: Any = fc_handler(model=List[Any], include_input=include_input, steps=steps)(
            process
        )
        spec = wrapper.__fcsdk__._replace(func=func, model=item, envelope=envelope)
        if idempotency is not None:
            from ._idempotent import idempotent_caller

            guarded = idempotent_caller(call, idempotency, func, spec, is_async)
            process = make_process(codec, guarded, keyfunc, concurrency, on_failure, is_async)
            _named_like(process, func)
            wrapper = fc_handler(model=List[Any], include_input=include_input, steps=steps)(process)
        functools.update_wrapper(wrapper, func, updated=())  # __wrapped__ is func
        wrapper.__fcsdk__ = spec
        return wrapper

    return decorate
