"""Lifecycle hooks: ``@fc.initializer``, ``@fc.pre_stop``, ``@fc.pre_freeze``.

Each decorator turns a typed hook ``(context: fc.Context) -> None`` (or ``() -> None``, sync or
``async``) into the plain ``hook(context)`` FC calls as ``module.func`` with its native context,
and that ``fcsdk serve`` calls on ``POST /initialize``, ``GET /pre-stop`` and ``GET /pre-freeze``.
During the call the invocation context is set for logging, so log lines carry the request id.

- Initializer: once per instance, before the first invocation. If it raises, FC fails the
  invocation and starts a new instance; ``fcsdk serve`` reports the error and runs it again
  before the next invocation instead of serving as if it had succeeded.
- PreStop: before the instance is destroyed (``fcsdk serve`` also runs it on SIGTERM).
- PreFreeze: before the instance is frozen (FC 2.0 and custom runtimes).

Example:
    >>> import fcsdk as fc
    >>> @fc.initializer
    ... def init(context: fc.Context) -> None:
    ...     print("warming up", context.request_id)
    >>> init({"x-fc-request-id": "r-1"})
    warming up r-1
    >>> init.__fcsdk_hook__
    'initializer'
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Awaitable, Callable, Optional, Protocol, Union, overload

from . import _aio
from .context import Context
from .errors import ConfigurationError
from .logging import current_context

__all__ = ["HOOK_KINDS", "LifecycleHook", "find_hooks", "initializer", "pre_freeze", "pre_stop"]

#: The hook kinds, as set in ``hook.__fcsdk_hook__``.
HOOK_KINDS = ("initializer", "pre_stop", "pre_freeze")

HookFunc = Union[
    Callable[[Context], Union[Awaitable[None], None]],
    Callable[[], Union[Awaitable[None], None]],
]


class LifecycleHook(Protocol):
    """What the hook decorators return: the plain ``hook(context)`` FC calls."""

    @property
    def __fcsdk_hook__(self) -> str: ...

    @property
    def __wrapped__(self) -> Callable[..., Any]: ...

    def __call__(self, context: Any = None, /) -> None: ...


class HookDecorator(Protocol):
    """What ``fc.initializer()`` (called with no function) returns."""

    def __call__(self, func: HookFunc, /) -> LifecycleHook: ...


def _make(kind: str, func: Any) -> LifecycleHook:
    if not callable(func):
        raise ConfigurationError(f"@fc.{kind} needs a function, got {type(func).__name__}")
    try:
        params = [
            p
            for p in inspect.signature(func).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
        ]
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"cannot read the signature of {func!r}: {exc}") from exc
    required = [p for p in params if p.default is p.empty and p.kind is not p.VAR_POSITIONAL]
    if len(required) > 1:
        raise ConfigurationError(
            f"@fc.{kind} hook {getattr(func, '__qualname__', func)!r} requires {len(required)} "
            "arguments; FC passes only (context)"
        )
    takes_context = bool(params)
    is_async = inspect.iscoroutinefunction(inspect.unwrap(func))
    # A hook is not an invocation: it must not claim the instance's cold start (fcsdk._coldstart),
    # which belongs to the first invocation. The initializer runs during the cold start, so its
    # log lines say cold_start true; pre-stop and pre-freeze lines say false.
    cold = kind == "initializer"

    def hook(context: Any = None, /) -> None:
        ctx = Context.of(context)
        ctx._cache["fcsdk.cold_start"] = cold
        token = current_context.set(ctx)
        try:
            result = func(ctx) if takes_context else func()
            if is_async:
                _aio.run(result)
        finally:
            current_context.reset(token)

    functools.update_wrapper(hook, func)
    hook.__fcsdk_hook__ = kind  # type: ignore[attr-defined]
    return hook  # type: ignore[return-value]


def _decorator(kind: str, func: Optional[HookFunc]) -> Any:
    if func is not None:
        return _make(kind, func)
    return functools.partial(_make, kind)


@overload
def initializer(func: HookFunc, /) -> LifecycleHook: ...
@overload
def initializer(func: None = None, /) -> HookDecorator: ...
def initializer(func: Optional[HookFunc] = None, /) -> Any:
    """Make an Initializer hook: runs once per instance before the first invocation.

    Configure it on FC as ``module.func`` (``initializer`` in ``s.yaml``); ``fcsdk serve`` finds it
    in the handler's module by itself.

    Raises:
        ConfigurationError: when the function needs more than one argument.

    Example:
        >>> import fcsdk as fc
        >>> state = {}
        >>> @fc.initializer
        ... def init(context: fc.Context) -> None:
        ...     state["ready"] = True
        >>> init(None); state
        {'ready': True}
    """
    return _decorator("initializer", func)


@overload
def pre_stop(func: HookFunc, /) -> LifecycleHook: ...
@overload
def pre_stop(func: None = None, /) -> HookDecorator: ...
def pre_stop(func: Optional[HookFunc] = None, /) -> Any:
    """Make a PreStop hook: runs before the instance is destroyed (flush, close connections).

    Example:
        >>> import fcsdk as fc
        >>> @fc.pre_stop()
        ... async def flush() -> None:
        ...     print("flushed")
        >>> flush(None)
        flushed
    """
    return _decorator("pre_stop", func)


@overload
def pre_freeze(func: HookFunc, /) -> LifecycleHook: ...
@overload
def pre_freeze(func: None = None, /) -> HookDecorator: ...
def pre_freeze(func: Optional[HookFunc] = None, /) -> Any:
    """Make a PreFreeze hook: runs before FC freezes the instance between invocations.

    Example:
        >>> import fcsdk as fc
        >>> @fc.pre_freeze
        ... def freeze(context: fc.Context) -> None:
        ...     print("freezing")
        >>> freeze(None)
        freezing
    """
    return _decorator("pre_freeze", func)


def find_hooks(module: Any) -> dict[str, Callable[..., Any]]:
    """The hooks made with these decorators among ``module``'s attributes, by kind (an
    attribute that raises when read, such as Flask's ``request`` proxy, is skipped).

    Example:
        >>> import types, fcsdk as fc
        >>> m = types.ModuleType("m")
        >>> m.init = fc.initializer(lambda: None)
        >>> list(find_hooks(m))
        ['initializer']
    """
    found: dict[str, Callable[..., Any]] = {}
    for value in list(vars(module).values()):
        try:  # proxies (Flask's ``request``, werkzeug locals) raise outside their context
            kind = getattr(value, "__fcsdk_hook__", None)
        except Exception:
            continue
        if kind in HOOK_KINDS and callable(value) and kind not in found:
            found[kind] = value
    return found
