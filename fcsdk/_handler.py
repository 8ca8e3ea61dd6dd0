"""``@fc.handler``: turn a typed function into the plain ``handler(event, context)`` FC calls.

Everything expensive happens once, at decoration: resolving the model from the annotations,
building the pydantic ``TypeAdapter``, choosing the sync or async path and the encoder. The
per-invocation path is a few attribute reads and one pydantic call.
"""

from __future__ import annotations

import functools
import sys
import time
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    NamedTuple,
    Optional,
    Protocol,
    Sequence,
    TypeVar,
    Union,
    overload,
)

from ._codec import (
    Decoder,
    Encoder,
    EnvelopeLike,
    encode_result,
    make_decoder,
    make_encoder,
    uses_msgspec,
)
from ._current import current_context
from .context import _FRESH_BY_TYPE, Context
from .errors import ConfigurationError
from .steps import Invocation, Step, bind_steps, decode_failed, run_steps

if TYPE_CHECKING:
    import inspect

# ParamSpec is in typing from 3.10; typing_extensions (and the inspect module it imports) is
# only loaded on 3.9, so that `import fcsdk` stays cheap.
if sys.version_info >= (3, 10):
    from typing import ParamSpec
else:  # pragma: no cover - Python 3.9
    from typing_extensions import ParamSpec

__all__ = ["FCHandler", "HandlerSpec", "handler"]

P = ParamSpec("P")
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)


class _Unset:
    def __repr__(self) -> str:
        return "<from the annotation>"


_UNSET: Any = _Unset()


class HandlerSpec(NamedTuple):
    """What ``@fc.handler`` decided at decoration time (``wrapper.__fcsdk__``).

    Tools use it: ``fcsdk schema`` reads ``model`` and ``response_model``; runtimes read
    ``is_async`` and ``func``. An immutable record (a ``NamedTuple``, not a dataclass, so
    that ``import fcsdk`` does not load :mod:`dataclasses` and :mod:`inspect`).
    """

    func: Callable[..., Any]
    model: Any
    response_model: Any
    envelope: Any
    decoder: Optional[Decoder]
    encoder: Encoder
    is_async: bool
    takes_context: bool
    steps: tuple[Step, ...] = ()


class FCHandler(Protocol[P, R_co]):
    """The type of a decorated handler: a plain ``handler(event, context)`` returning the body FC
    sends (``str`` or ``bytes``), with the original function kept as ``__wrapped__``."""

    @property
    def __wrapped__(self) -> Callable[P, R_co]: ...

    @property
    def __fcsdk__(self) -> HandlerSpec: ...

    __name__: str
    __qualname__: str
    __module__: str
    __doc__: Optional[str]

    def __call__(self, event: Any, context: Any = None, /) -> Union[str, bytes]: ...


class HandlerDecorator(Protocol):
    """What ``fc.handler(...)`` with arguments returns."""

    def __call__(self, func: Callable[P, R], /) -> FCHandler[P, R]: ...


def _positional(func: Callable[..., Any]) -> tuple[list[inspect.Parameter], bool]:
    import inspect

    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"cannot read the signature of {func!r}: {exc}") from exc
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    params = [p for p in sig.parameters.values() if p.kind in kinds]
    varargs = any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in sig.parameters.values())
    required_kw = [
        p.name
        for p in sig.parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY and p.default is inspect.Parameter.empty
    ]
    if required_kw:
        raise ConfigurationError(
            f"handler {_name(func)} has required keyword-only parameters {required_kw}; FC passes "
            "only (event, context)"
        )
    return params, varargs


def _name(func: Callable[..., Any]) -> str:
    return getattr(func, "__qualname__", None) or repr(func)


def _event_annotation(
    func: Callable[..., Any], param: inspect.Parameter, localns: Optional[dict[str, Any]]
) -> Any:
    """The resolved annotation of the event parameter (string annotations included)."""
    import inspect

    ann = param.annotation
    if ann is inspect.Parameter.empty:
        return None
    if not isinstance(ann, str):
        return ann
    import typing

    target = inspect.unwrap(func)
    globalns = getattr(target, "__globals__", {})
    try:
        hints = typing.get_type_hints(target, globalns=globalns, localns=localns)
    except Exception:
        try:
            return eval(ann, dict(globalns), dict(localns or {}))
        except Exception as exc:
            raise ConfigurationError(
                f"cannot resolve the annotation {ann!r} of {_name(func)}'s event parameter "
                f"({type(exc).__name__}: {exc}); define the type at module level or pass "
                "model= explicitly"
            ) from exc
    return hints.get(param.name)


def _build(
    func: Callable[..., Any],
    model: Any,
    response_model: Any,
    envelope: Optional[EnvelopeLike],
    include_input: bool,
    localns: Optional[dict[str, Any]],
    steps: Sequence[Any] = (),
) -> Any:
    import inspect

    if not callable(func):
        raise ConfigurationError(f"@fc.handler needs a function, got {type(func).__name__}")
    params, varargs = _positional(func)
    if not params and not varargs:
        raise ConfigurationError(
            f"handler {_name(func)} takes no arguments; it must accept (event) or (event, context)"
        )
    required = [p for p in params if p.default is inspect.Parameter.empty]
    if len(required) > 2:
        raise ConfigurationError(
            f"handler {_name(func)} requires {len(required)} arguments; FC passes only "
            "(event, context)"
        )
    takes_context = varargs or len(params) >= 2
    if model is _UNSET:
        model = _event_annotation(func, params[0], localns) if params else None
        if isinstance(model, type) and issubclass(model, Context):
            second = f"{params[1].name}: <your event type>" if len(params) > 1 else "event"
            raise ConfigurationError(
                f"handler {_name(func)}: the event is the first parameter and the context the "
                f"second, as FC calls handler(event, context); write "
                f"def {getattr(func, '__name__', 'handler')}({second}, {params[0].name}: "
                "fc.Context)"
            )
    decoder = make_decoder(model, envelope=envelope, include_input=include_input)
    encoder = make_encoder(response_model, include_input=include_input, msgspec=uses_msgspec(model))
    target = inspect.unwrap(func)
    if inspect.isgeneratorfunction(target) or inspect.isasyncgenfunction(target):
        raise ConfigurationError(
            f"handler {_name(func)} is a generator; FC needs one return value. Collect the "
            "items (e.g. `return list(...)`) or return a str/bytes body"
        )
    # A callable object: what matters is its class's __call__.
    call = None if inspect.isroutine(target) else vars(type(target)).get("__call__")
    is_async = inspect.iscoroutinefunction(target) or inspect.iscoroutinefunction(call)
    spec = HandlerSpec(
        func=func,
        model=model,
        response_model=response_model,
        envelope=envelope,
        decoder=decoder,
        encoder=encoder,
        is_async=is_async,
        takes_context=takes_context,
    )
    if steps:
        spec = spec._replace(steps=bind_steps(steps, spec))
    _ensure_patched()
    if spec.steps:
        wrapper = _make_stepped_wrapper(spec)
    else:
        wrapper = _make_wrapper(
            func, decoder, encoder, is_async=is_async, takes_context=takes_context
        )
    functools.update_wrapper(wrapper, func)
    wrapper.__fcsdk__ = spec  # type: ignore[attr-defined]
    return wrapper


def _make_wrapper(
    func: Callable[..., Any],
    decoder: Optional[Decoder],
    encoder: Encoder,
    *,
    is_async: bool,
    takes_context: bool,
) -> Callable[..., Union[str, bytes]]:
    set_ctx = current_context.set
    reset_ctx = current_context.reset
    of = Context.of
    monotonic = time.monotonic
    fresh_by_type = _FRESH_BY_TYPE
    # The adapter's validate_json for the common case (bytes from FC, no envelope): called
    # directly; any failure goes through the full decoder, which classifies it precisely.
    fast: Callable[[bytes], Any] = getattr(decoder, "fast_json", None) or _unreachable
    finite_check = getattr(decoder, "finite_check", True)
    fail: Callable[[BaseException, Any], BaseException] = getattr(decoder, "fail", _unchanged)
    # 0: no fast path (never taken: the length test fails first)
    fast_max = getattr(decoder, "fast_max", 0) if fast is not _unreachable else 0
    plain = encoder is encode_result or getattr(encoder, "passes_str", False)
    modules = sys.modules

    if not is_async:

        def handler(event: Any, context: Any = None, /) -> Union[str, bytes]:
            # _ensure_patched(), inlined: FC's root handler may be installed after decoration,
            # and its request id must be this invocation's (reference section 5: FC prints a
            # process-wide global). Every log record patches new root handlers itself
            # (patching_record_factory): a call checks only that the factory is still there.
            patching = _patching
            if patching is not None:
                if patching[1]._logRecordFactory is not patching[2]:
                    patching[0]()
            elif "logging" in modules:  # until then no root handler exists (cold start)
                _ensure_patched()
            fresh = fresh_by_type.get(type(context))
            if fresh is not None:  # Context._make, inlined (see _InvocationContext)
                ctx = fresh()
                ctx._raw = context
                ctx._cache = {}
                ctx._start = monotonic()
            else:  # a Context (tests, fcsdk's runtime), None, or a type not seen yet
                ctx = of(context)
            token = set_ctx(ctx)
            # No `finally`: the error path resets the context variable itself, so that a masked
            # copy (an ExceptionGroup whose message held a secret) is raised after the except
            # block, without the original chained to it. Fewer branches on the success path
            # were a tenth of the fixed cost.
            try:
                if (
                    type(event) is bytes
                    and 0 < len(event) <= fast_max  # larger events: validated fail-fast
                    # Possible NaN/Infinity tokens take the full path, which rejects them. An
                    # int operand makes `in` a plain memchr (a bytes operand costs ~5x more).
                    and (not finite_check or (_N not in event and _I not in event))
                ):
                    try:
                        event = fast(event)
                    except Exception as exc:
                        err = fail(exc, event)  # classified without validating again
                        if err is exc:
                            raise
                        raise err from (None if isinstance(exc, RecursionError) else exc)
                elif decoder is not None:
                    event = decoder(event)
                result = func(event, ctx) if takes_context else func(event)
            except BaseException as exc:
                reset_ctx(token)
                failed = _hide_secrets(exc, ctx)
                if failed is exc:
                    raise
            else:
                reset_ctx(token)
                return result if plain and type(result) is str else encoder(result)
            raise failed  # a masked copy

    else:
        from ._aio import run

        def handler(event: Any, context: Any = None, /) -> Union[str, bytes]:
            _ensure_patched()
            ctx = context if type(context) is Context else of(context)
            token = set_ctx(ctx)
            failed: Optional[BaseException] = None
            try:
                if decoder is not None:
                    event = decoder(event)
                result = run(func(event, ctx) if takes_context else func(event))
            except BaseException as exc:
                failed = _hide_secrets(exc, ctx)
                if failed is exc:
                    raise
            finally:
                reset_ctx(token)
            if failed is not None:
                raise failed
            return encoder(result)

    return handler


def _make_stepped_wrapper(spec: HandlerSpec) -> Callable[..., Union[str, bytes]]:
    """The wrapper for a handler with steps (see :mod:`fcsdk.steps`): decode, then the steps
    around the call and the encoding. Chosen at decoration, so handlers without steps keep the
    hand-tuned path of :func:`_make_wrapper`."""
    func, decoder, encoder, steps = spec.func, spec.decoder, spec.encoder, spec.steps
    takes_context = spec.takes_context
    run = None
    if spec.is_async:
        from . import _aio

        run = _aio.run
    set_ctx, reset_ctx = current_context.set, current_context.reset
    of = Context.of
    # Steps that observe events failing to decode (fcsdk.steps: on_decode_error).
    observers = tuple(s for s in steps if callable(getattr(s, "on_decode_error", None)))

    def handler(event: Any, context: Any = None, /) -> Union[str, bytes]:
        _ensure_patched()
        ctx = context if type(context) is Context else of(context)
        token = set_ctx(ctx)
        failed: Optional[BaseException] = None
        try:
            if decoder is None:
                decoded = event
            elif observers:
                try:
                    decoded = decoder(event)
                except Exception as exc:
                    decode_failed(observers, event, ctx, exc)
                    raise
            else:
                decoded = decoder(event)
            call = Invocation(decoded, event, ctx, spec)

            def core() -> Union[str, bytes]:
                result = func(decoded, ctx) if takes_context else func(decoded)
                if run is not None:
                    result = run(result)
                return encoder(result)

            body: Union[str, bytes] = run_steps(steps, call, core)
        except BaseException as exc:
            failed = _hide_secrets(exc, ctx)
            if failed is exc:
                raise
        finally:
            reset_ctx(token)
        if failed is not None:
            raise failed
        return body

    return handler


_N, _I = ord("N"), ord("I")  # the first bytes of NaN and Infinity


def _unreachable(event: bytes) -> Any:  # pragma: no cover - guarded by fast_max == 0
    raise AssertionError("no fast path")


def _unchanged(exc: BaseException, event: Any) -> BaseException:
    return exc


def _logging_patch() -> tuple[Callable[[], None], Any, Any]:
    """:func:`fcsdk.logging.ensure_patched` (importing fcsdk.logging on first use), the
    standard library's logging module, and the record factory that patches handlers (installed
    now: see :func:`fcsdk.logging.patching_record_factory`)."""
    import logging

    from .logging import ensure_patched, patching_record_factory

    return ensure_patched, logging, patching_record_factory()


_patching: Optional[tuple[Callable[[], None], Any, Any]] = None


def _ensure_patched() -> None:
    """What the hand-tuned wrapper does inline, for the other wrappers (async, with steps) and
    decoration: once the standard library's logging is imported (before that no root handler
    exists to patch, and ``import fcsdk`` leaves logging unloaded), install the patching log
    record factory and patch the root handlers; afterwards check only that the factory is
    still installed (a function-level relative import and the factory's lock cost ~2 µs per
    call, a tenth of an async invocation)."""
    global _patching
    patching = _patching
    if patching is None:
        if "logging" not in sys.modules:
            return
        patching = _patching = _logging_patch()
        patching[0]()
        return
    ensure, logging_module, factory = patching
    if logging_module._logRecordFactory is not factory:
        ensure()


def _hide_secrets(exc: BaseException, ctx: Context) -> BaseException:
    """Mask this invocation's secrets in an escaping exception (see :mod:`fcsdk._redact`);
    the exception to raise (``exc``, or a masked copy of an ``ExceptionGroup``)."""
    if ctx._cache.get("credentials") is None:  # the handler did not use them: no lookup cost
        return exc
    from ._redact import hide_secrets

    return hide_secrets(exc, ctx)


@overload
def handler(func: Callable[P, R], /) -> FCHandler[P, R]: ...


@overload
def handler(
    func: None = None,
    /,
    *,
    model: Any = ...,
    response_model: Any = None,
    envelope: Optional[EnvelopeLike] = None,
    include_input: bool = False,
    steps: Sequence[Step] = (),
    idempotency: Any = None,
    log_event: bool = False,
) -> HandlerDecorator: ...


def handler(
    func: Optional[Callable[..., Any]] = None,
    /,
    *,
    model: Any = _UNSET,
    response_model: Any = None,
    envelope: Optional[EnvelopeLike] = None,
    include_input: bool = False,
    steps: Sequence[Step] = (),
    idempotency: Any = None,
    log_event: bool = False,
) -> Any:
    """Make a typed function into the plain ``handler(event, context)`` that FC calls.

    Parameters:
        func: the handler; it takes ``(event)`` or ``(event, context)``, sync or ``async``.
        model: what to validate the event as: anything pydantic's ``TypeAdapter`` accepts.
            Default: the first parameter's annotation; ``bytes``, ``str``, ``Any`` or none
            means no parsing (``str`` receives the UTF-8 text).
        response_model: validate (and serialize) the return value as this type.
        envelope: unwrap the payload from a trigger event first (see :mod:`fcsdk.envelopes`).
        include_input: let error messages and ``errors()`` include input values (off by
            default: events may carry secrets or personal data).
        steps: utilities run around each call, outermost first (idempotency, metrics,
            tracing; see :mod:`fcsdk.steps`): each gets the decoded event, the context and a
            ``proceed()`` returning the encoded body.
        idempotency: an :class:`fcsdk.idempotency.Idempotency`: run once per key and replay
            the stored body to repeats; sugar for appending it to ``steps`` (innermost).
        log_event: log the incoming event once per call at INFO on ``fc.logger``, with
            secret-looking fields masked (sugar for ``steps=[..., fc.logger.step(log_event=True)]``).

    Returns:
        A plain function ``(event, context=None)``: ``event`` may be bytes, bytearray,
        memoryview, str, or an already decoded dict/list; ``context`` a native FC context,
        a mapping of ``x-fc-*`` headers, an :class:`fcsdk.Context`, or None (local call).
        It returns ``str`` or ``bytes``, exactly the body FC's runtime would send.

    Raises:
        ConfigurationError: at decoration time, for a model pydantic cannot handle or a
            function with the wrong arity.
        EventDecodeError: per call, when the event is not UTF-8 / JSON / is empty.
        EventValidationError: per call, when the event does not match the model.
        ResponseValidationError: per call, when the return value fails ``response_model``.
        ResponseEncodeError: per call, when the return value cannot be serialized.

    Example:
        >>> import fcsdk as fc
        >>> from pydantic import BaseModel
        >>> class Order(BaseModel):
        ...     order_id: str
        ...     qty: int
        >>> @fc.handler
        ... def handler(event: Order, context: fc.Context) -> dict:
        ...     return {"id": event.order_id, "qty": event.qty}
        >>> print(handler(b'{"order_id": "a", "qty": 2}', None))
        {
            "id": "a",
            "qty": 2
        }
    """
    localns: Optional[dict[str, Any]] = None
    try:  # the caller's locals, to resolve string annotations of locally defined models
        frame = sys._getframe(1)
        localns = dict(frame.f_locals) if frame.f_code.co_name != "<module>" else None
    except (AttributeError, ValueError):  # pragma: no cover - non-CPython
        localns = None
    if log_event:
        from .logging import logger as fc_logger

        steps = (*steps, fc_logger.step(log_event=True))
    if idempotency is not None:  # innermost: it stores the body the handler's own encoder made
        steps = (*steps, idempotency)  # (and log_event above still logs every repeat)

    if func is not None:
        return _build(func, model, response_model, envelope, include_input, localns, steps)

    def decorate(f: Callable[..., Any]) -> Any:
        return _build(f, model, response_model, envelope, include_input, localns, steps)

    return decorate
