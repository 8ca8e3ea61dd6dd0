"""``@fc.handler``: turn a typed function into the plain ``handler(event, context)`` FC calls.

Everything expensive happens once, at decoration: resolving the model from the annotations,
building the pydantic ``TypeAdapter``, choosing the sync or async path and the encoder. The
per-invocation path is a few attribute reads and one pydantic call.
"""

from __future__ import annotations

import functools
import inspect
import sys
from dataclasses import dataclass
from typing import Any, Callable, Optional, Protocol, Sequence, TypeVar, Union, overload

from typing_extensions import ParamSpec

from . import _aio
from ._codec import Decoder, Encoder, EnvelopeLike, encode_result, make_decoder, make_encoder
from .context import _SHAPE_BY_TYPE, Context
from .errors import ConfigurationError
from .logging import current_context, ensure_patched
from .steps import Invocation, Step, bind_steps, run_steps

__all__ = ["FCHandler", "HandlerSpec", "handler"]

P = ParamSpec("P")
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)


class _Unset:
    def __repr__(self) -> str:
        return "<from the annotation>"


_UNSET: Any = _Unset()


@dataclass(frozen=True)
class HandlerSpec:
    """What ``@fc.handler`` decided at decoration time (``wrapper.__fcsdk__``).

    Tools use it: ``fcsdk schema`` reads ``model`` and ``response_model``; runtimes read
    ``is_async`` and ``func``.
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
    encoder = make_encoder(response_model, include_input=include_input)
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
        import dataclasses

        spec = dataclasses.replace(spec, steps=bind_steps(steps, spec))
    ensure_patched()
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
    make = Context._make
    shapes = _SHAPE_BY_TYPE
    # The adapter's validate_json for the common case (bytes from FC, no envelope): called
    # directly; any failure goes through the full decoder, which classifies it precisely.
    fast = getattr(decoder, "fast_json", None)
    finite_check = getattr(decoder, "finite_check", True)
    fail: Callable[[BaseException, Any], BaseException] = getattr(decoder, "fail", _unchanged)
    plain = encoder is encode_result
    # FC's root handler may be installed after decoration: its request id is patched on the
    # first invocation that sees it (reference section 5: FC prints a process-wide global).
    patch = ensure_patched

    if not is_async:

        def handler(event: Any, context: Any = None, /) -> Union[str, bytes]:
            patch()
            tp = type(context)
            if tp is Context:
                ctx = context
            else:
                shape = shapes.get(tp)
                ctx = make(context, shape, None) if shape is not None else of(context)
            token = set_ctx(ctx)
            try:
                if (
                    fast is not None
                    and type(event) is bytes
                    and event
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
                _hide_secrets(exc, ctx)
                raise
            finally:
                reset_ctx(token)
            return result if plain and type(result) is str else encoder(result)

    else:
        run = _aio.run

        def handler(event: Any, context: Any = None, /) -> Union[str, bytes]:
            patch()
            ctx = context if type(context) is Context else of(context)
            token = set_ctx(ctx)
            try:
                if decoder is not None:
                    event = decoder(event)
                result = run(func(event, ctx) if takes_context else func(event))
            except BaseException as exc:
                _hide_secrets(exc, ctx)
                raise
            finally:
                reset_ctx(token)
            return encoder(result)

    return handler


def _make_stepped_wrapper(spec: HandlerSpec) -> Callable[..., Union[str, bytes]]:
    """The wrapper for a handler with steps (see :mod:`fcsdk.steps`): decode, then the steps
    around the call and the encoding. Chosen at decoration, so handlers without steps keep the
    hand-tuned path of :func:`_make_wrapper`."""
    func, decoder, encoder, steps = spec.func, spec.decoder, spec.encoder, spec.steps
    takes_context = spec.takes_context
    run = _aio.run if spec.is_async else None
    set_ctx, reset_ctx = current_context.set, current_context.reset
    of = Context.of

    def handler(event: Any, context: Any = None, /) -> Union[str, bytes]:
        ensure_patched()
        ctx = context if type(context) is Context else of(context)
        token = set_ctx(ctx)
        try:
            decoded = decoder(event) if decoder is not None else event
            call = Invocation(decoded, event, ctx, spec)

            def core() -> Union[str, bytes]:
                result = func(decoded, ctx) if takes_context else func(decoded)
                if run is not None:
                    result = run(result)
                return encoder(result)

            body: Union[str, bytes] = run_steps(steps, call, core)
        except BaseException as exc:
            _hide_secrets(exc, ctx)
            raise
        finally:
            reset_ctx(token)
        return body

    return handler


_N, _I = ord("N"), ord("I")  # the first bytes of NaN and Infinity


def _unchanged(exc: BaseException, event: Any) -> BaseException:
    return exc


def _hide_secrets(exc: BaseException, ctx: Context) -> None:
    """Mask this invocation's secrets in an escaping exception (see :mod:`fcsdk._redact`)."""
    creds = ctx._cache.get("credentials")  # only when the handler used them: no lookup cost
    if creds is not None:
        from ._redact import redact_exception

        redact_exception(exc, (creds.access_key_secret, creds.security_token or ""))


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
