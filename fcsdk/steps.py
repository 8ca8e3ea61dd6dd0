"""Steps: the one way utilities (idempotency, metrics, tracing, event logging) plug into
``@fc.handler``.

A step wraps the rest of an invocation::

    decode ─► step 1 ─► step 2 ─► ... ─► user function ─► encode
                 ◄──────── encoded body (str | bytes) ◄────────┘

``@fc.handler(steps=[a, b])`` runs ``a`` outermost. Each step's :meth:`Step.around` receives the
:class:`Invocation` (decoded event, the raw event as FC passed it, the :class:`fcsdk.Context`)
and a ``proceed()`` that runs the rest of the pipeline and returns the ENCODED body, exactly the
bytes or text FC will send: a step may return it unchanged, replace it (an idempotent replay
returns the stored body without calling ``proceed``), or let an exception through.

Steps are chosen once, at decoration; a handler without steps runs the hand-tuned path with no
step cost at all. A step that needs to see the handler before the first call (to check that a
key path exists in the model, say) defines ``bind(spec)``: ``@fc.handler`` calls it at decoration
with the :class:`fcsdk.HandlerSpec` and uses the step it returns, so a ``ConfigurationError``
surfaces at import, not on the first request.

Per-invocation state (metric sets, log keys, spans) belongs in context variables that the step
sets before ``proceed()`` and resets after it: steps run on the invocation's own thread (sync and
``async def`` handlers alike: the coroutine runs in a copy of that thread's context), so state is
correct under instance concurrency by construction.

A step that wants to see events that never reach it defines ``on_decode_error(raw, context,
error)``: when the event fails to decode (``fc.EventDecodeError``, ``fc.EventValidationError``,
before any ``around`` runs), ``@fc.handler`` calls it with the event as FC passed it, the
:class:`fcsdk.Context` and the error, then re-raises the error unchanged. The hook only observes
(``fc.logger.step(log_event=True)`` logs the raw event there): an exception it raises is
ignored, so the invocation fails exactly as it would without it.

The same steps serve decorators users stack themselves (``@metrics.log_metrics``): see
:func:`wrap_function`, which runs steps around a plain function call; there ``proceed()`` returns
the function's own return value, not an encoded body.

Example:
    >>> import fcsdk as fc
    >>> class Shout:
    ...     def around(self, call, proceed):
    ...         return proceed().upper()
    >>> @fc.handler(steps=[Shout()])
    ... def handler(event: str, context: fc.Context) -> str:
    ...     return "hi " + event
    >>> handler(b"you", None)
    'HI YOU'
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Callable, Optional, Protocol, Sequence, TypeVar, cast

if TYPE_CHECKING:
    from ._handler import HandlerSpec
    from .context import Context

__all__ = [
    "Invocation",
    "Proceed",
    "Step",
    "bind_steps",
    "decode_failed",
    "run_steps",
    "wrap_function",
]

Proceed = Callable[[], Any]
F = TypeVar("F", bound=Callable[..., Any])


class Invocation:
    """What a step sees of one invocation.

    Attributes:
        event: the decoded event (the model instance; the raw event for unparsed handlers).
        raw: the event exactly as the runtime passed it (usually ``bytes``).
        context: the invocation's :class:`fcsdk.Context`.
        spec: the :class:`fcsdk.HandlerSpec` of the decorated handler, or None for a function
            wrapped by :func:`wrap_function`.

    Example:
        >>> import fcsdk as fc
        >>> call = Invocation({"a": 1}, b'{"a": 1}', fc.Context.of(None))
        >>> call.event, call.raw
        ({'a': 1}, b'{"a": 1}')
    """

    __slots__ = ("context", "event", "raw", "spec")

    def __init__(
        self, event: Any, raw: Any, context: Context, spec: Optional[HandlerSpec] = None
    ) -> None:
        self.event = event
        self.raw = raw
        self.context = context
        self.spec = spec

    def __repr__(self) -> str:  # never the event: it may carry secrets or personal data
        return f"Invocation(request_id={self.context.request_id!r})"


class Step(Protocol):
    """Anything with ``around(call, proceed)``; see the module docstring.

    Example:
        >>> class Timing:
        ...     def around(self, call: Invocation, proceed: Proceed) -> object:
        ...         import time
        ...         start = time.perf_counter()
        ...         try:
        ...             return proceed()
        ...         finally:
        ...             call.context  # record time.perf_counter() - start somewhere
    """

    def around(self, call: Invocation, proceed: Proceed) -> Any: ...


def bind_steps(steps: Sequence[Any], spec: Optional[HandlerSpec]) -> tuple[Step, ...]:
    """Check ``steps`` and call each one's ``bind(spec)`` when it has one (decoration time).

    Raises:
        ConfigurationError: for an object that is not a step.

    Example:
        >>> bind_steps([object()], None)
        Traceback (most recent call last):
        ...
        fcsdk.errors.ConfigurationError: steps[0] (object) has no around(call, proceed) method; a step must define one (see fcsdk.steps)
    """
    from .errors import ConfigurationError

    bound: list[Step] = []
    for i, step in enumerate(steps):
        bind = getattr(step, "bind", None)
        if callable(bind):
            step = bind(spec)
        if not callable(getattr(step, "around", None)):
            raise ConfigurationError(
                f"steps[{i}] ({type(step).__name__}) has no around(call, proceed) method; a step "
                "must define one (see fcsdk.steps)"
            )
        bound.append(step)
    return tuple(bound)


def decode_failed(
    steps: tuple[Step, ...], raw: Any, context: Context, error: BaseException
) -> None:
    """Call each step's ``on_decode_error(raw, context, error)`` (those that define one), in
    order; what a hook raises is dropped so that ``error`` propagates unchanged.

    Example:
        >>> import fcsdk as fc
        >>> class Seen:
        ...     def around(self, call, proceed): return proceed()
        ...     def on_decode_error(self, raw, context, error): print("not decoded:", raw, error)
        >>> decode_failed((Seen(),), b"{", fc.Context.of(None), ValueError("bad"))
        not decoded: b'{' bad
    """
    for step in steps:
        hook = getattr(step, "on_decode_error", None)
        if callable(hook):
            try:  # noqa: SIM105  (contextlib costs import time; steps is imported by fcsdk)
                hook(raw, context, error)
            except Exception:  # an observer: the decode error is what the caller must see
                pass


def run_steps(steps: tuple[Step, ...], call: Invocation, core: Proceed) -> Any:
    """Run ``core`` inside ``steps`` (``steps[0]`` outermost) and return what the outermost
    step returns.

    Example:
        >>> import fcsdk as fc
        >>> class Tag:
        ...     def __init__(self, tag): self.tag = tag
        ...     def around(self, call, proceed): return f"{self.tag}({proceed()})"
        >>> run_steps((Tag("a"), Tag("b")), Invocation(None, None, fc.Context.of(None)), lambda: "x")
        'a(b(x))'
    """
    n = len(steps)

    def at(i: int) -> Any:
        if i == n:
            return core()
        return steps[i].around(call, lambda: at(i + 1))

    return at(0)


def wrap_function(func: F, steps: Sequence[Any]) -> F:
    """``func(event, context, ...)`` with ``steps`` run around each call: how decorators that
    users stack under ``@fc.handler`` (``@metrics.log_metrics``) reuse their step. The context
    is the second positional argument when it is an :class:`fcsdk.Context`, else the current
    invocation's (or an empty one). ``async def`` functions get an async wrapper whose steps run
    inside the task, so concurrent tasks keep their own state; there each step must define
    ``async around_async(call, proceed)`` (``await proceed()``), else ``ConfigurationError``.

    Example:
        >>> class Plus1:
        ...     def around(self, call, proceed): return proceed() + 1
        >>> def f(event, context): return event * 2
        >>> wrap_function(f, [Plus1()])(20, None)
        41
    """
    bound = bind_steps(steps, None)

    def invocation(args: tuple[Any, ...]) -> Invocation:
        from ._current import current_context
        from .context import Context

        event = args[0] if args else None
        ctx = args[1] if len(args) > 1 and isinstance(args[1], Context) else None
        if ctx is None:
            ctx = current_context.get() or Context.of(args[1] if len(args) > 1 else None)
        return Invocation(event, event, ctx)

    import inspect

    target = inspect.unwrap(func)
    if inspect.iscoroutinefunction(target):
        from .errors import ConfigurationError

        for step in bound:
            if not callable(getattr(step, "around_async", None)):
                raise ConfigurationError(
                    f"{type(step).__name__} cannot wrap the async function "
                    f"{getattr(func, '__qualname__', func)!r}: it has no around_async(call, "
                    "proceed); put it in @fc.handler(steps=[...]) instead, where async handlers "
                    "run their steps synchronously"
                )

        @functools.wraps(func)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            return await _run_async_steps(bound, invocation(args), lambda: func(*args, **kwargs))

        return cast(F, async_wrapper)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return run_steps(bound, invocation(args), lambda: func(*args, **kwargs))

    return cast(F, wrapper)


async def _run_async_steps(steps: tuple[Step, ...], call: Invocation, make: Proceed) -> Any:
    """Run ``make()``'s coroutine inside each step's ``around_async(call, proceed)``, where
    ``proceed()`` is a coroutine: the steps' context variables are set inside the task."""
    n = len(steps)

    async def at(i: int) -> Any:
        if i == n:
            return await make()
        return await steps[i].around_async(call, lambda: at(i + 1))  # type: ignore[attr-defined]

    return await at(0)
