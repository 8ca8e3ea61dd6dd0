"""Bind a route function's parameters from a request, planned once at decoration time.

A parameter is filled by what its annotation (or name) says:

- ``Request`` -> the request; ``fc.Context`` -> the context;
- a name captured by the route path (``/items/{item_id}``) -> that path segment, converted;
- a pydantic model / dataclass / TypedDict (or the name given as ``body=``) -> the JSON body;
- ``bytes`` -> the raw body;
- anything else -> a query parameter (``list[X]`` takes every value), required without default.

Scalars (``str``, ``int``, ``float``, ``bool``, ``Enum``, ``UUID``) are converted without pydantic,
so a router that uses none stays cheap to import; other types go through a pydantic TypeAdapter
built at decoration time. A value that does not convert is a 422 naming ``path.x`` / ``query.x``.
"""

from __future__ import annotations

import enum
import inspect
import re
import typing
import uuid
from collections.abc import Collection, Mapping
from typing import Any, Callable, Optional, Union

from ..context import Context
from ..errors import ConfigurationError
from .errors import RequestValidationError
from .request import Request, body_decoder

__all__ = ["Binder", "plan"]

Binder = Callable[[Request, Context], dict[str, Any]]
Convert = Callable[[str], Any]

_TRUE = frozenset({"1", "true", "yes", "on", "t", "y"})
_FALSE = frozenset({"0", "false", "no", "off", "f", "n"})


class _Invalid(Exception):
    def __init__(self, msg: str, type_: str) -> None:
        self.msg, self.type = msg, type_


# ASCII digits only: int() and float() also take "1_000" and other scripts' digits ("١٢").
_INT = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _to_int(v: str) -> int:
    v = v.strip()
    try:
        if not _INT.fullmatch(v):
            raise ValueError(v)
        return int(v)
    except ValueError:
        raise _Invalid(
            "Input should be a valid integer, unable to parse string as an integer", "int_parsing"
        ) from None


def _to_float(v: str) -> float:
    v = v.strip()
    try:
        if not _FLOAT.fullmatch(v):
            raise ValueError(v)
        f = float(v)
    except ValueError:
        raise _Invalid(
            "Input should be a valid number, unable to parse string as a number", "float_parsing"
        ) from None
    if f != f or f in (float("inf"), float("-inf")):
        raise _Invalid("Input should be a finite number", "finite_number")
    return f


def _to_bool(v: str) -> bool:
    low = v.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise _Invalid("Input should be a valid boolean, unable to interpret input", "bool_parsing")


def _to_uuid(v: str) -> uuid.UUID:
    try:
        return uuid.UUID(v.strip())
    except ValueError:
        raise _Invalid("Input should be a valid UUID", "uuid_parsing") from None


def _enum_converter(tp: type[enum.Enum]) -> Convert:
    def convert(v: str) -> Any:
        for member in tp:
            if str(member.value) == v:
                return member
        allowed = ", ".join(repr(str(m.value)) for m in tp)
        raise _Invalid(f"Input should be {allowed}", "enum")

    return convert


def _pydantic_converter(tp: Any) -> Convert:
    from pydantic import ValidationError

    from .._codec import build_adapter

    adapter = build_adapter(tp)

    def convert(v: str) -> Any:
        try:
            return adapter.validate_python(v)
        except ValidationError as exc:
            err = exc.errors(include_url=False, include_input=False, include_context=False)[0]
            raise _Invalid(err["msg"], err["type"]) from None

    return convert


def _unwrap_optional(tp: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(tp)
    if origin is Union or (origin is not None and getattr(origin, "__name__", "") == "UnionType"):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(tp)) == 2:
            return args[0], True
    return tp, False


def _converter(tp: Any) -> Convert:
    if tp is str or tp is inspect.Parameter.empty or tp is Any:
        return str
    if tp is int:
        return _to_int
    if tp is float:
        return _to_float
    if tp is bool:
        return _to_bool
    if tp is uuid.UUID:
        return _to_uuid
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return _enum_converter(tp)
    return _pydantic_converter(tp)


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and (
        hasattr(tp, "__pydantic_fields__")
        or hasattr(tp, "__dataclass_fields__")
        or (issubclass(tp, dict) and hasattr(tp, "__total__"))
    )


def _is_mapping(tp: Any) -> bool:
    base = typing.get_origin(tp) or tp
    return isinstance(base, type) and issubclass(base, Mapping)


def _is_body_type(tp: Any) -> bool:
    """A model, a dict / Mapping, or a list (sequence) of those: a query cannot carry them."""
    if _is_model(tp) or _is_mapping(tp):
        return True
    origin = typing.get_origin(tp)
    if not (isinstance(origin, type) and issubclass(origin, Collection)):
        return False
    if issubclass(origin, (str, bytes, Mapping)):
        return False
    args = typing.get_args(tp)
    return bool(args) and (_is_model(args[0]) or _is_mapping(args[0]))


def _same(tp: Any, body: Any) -> bool:
    # ``list[Item] is list[Item]`` is False: PEP 585 aliases are built anew at each mention.
    try:
        return tp is body or bool(tp == body)
    except Exception:  # an annotation with an odd __eq__
        return False


def _hints(func: Callable[..., Any], localns: Optional[dict[str, Any]]) -> dict[str, Any]:
    target = inspect.unwrap(func)
    try:
        return typing.get_type_hints(target, localns=localns, include_extras=False)
    except Exception as exc:
        raise ConfigurationError(
            f"cannot resolve the annotations of {getattr(func, '__qualname__', func)!r} "
            f"({type(exc).__name__}: {exc}); define the types at module level"
        ) from exc


def plan(
    func: Callable[..., Any],
    path_params: set[str],
    *,
    body: Any = None,
    localns: Optional[dict[str, Any]] = None,
) -> Binder:
    """Build ``(request, context) -> kwargs`` for ``func``; ConfigurationError on mistakes.

    Example:
        >>> from fcsdk.http._params import plan
        >>> from fcsdk.http import Request
        >>> def get(item_id: int, q: str = "") -> None: ...
        >>> req = Request("GET", "/items/7", query={"q": "x"})
        >>> req.path_params = {"item_id": "7"}
        >>> plan(get, {"item_id"})(req, req.context)
        {'item_id': 7, 'q': 'x'}
    """
    sig = inspect.signature(func)
    hints = _hints(func, localns)
    steps: list[Callable[[Request, Context, dict[str, Any], list[dict[str, Any]]], None]] = []
    seen_path: set[str] = set()
    body_taken = False
    for name, param in sig.parameters.items():
        if param.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            continue
        if param.kind is inspect.Parameter.POSITIONAL_ONLY:
            raise ConfigurationError(
                f"route parameter {name!r} is positional-only; fcsdk passes keywords"
            )
        tp = hints.get(name, inspect.Parameter.empty)
        has_default = param.default is not inspect.Parameter.empty
        inner, optional = _unwrap_optional(tp)
        if isinstance(inner, type) and issubclass(inner, Request):
            steps.append(_const(name, lambda r, c: r))
        elif isinstance(inner, type) and issubclass(inner, Context):
            steps.append(_const(name, lambda r, c: c))
        elif name in path_params:
            seen_path.add(name)
            steps.append(_path_step(name, _converter(inner)))
        elif (body is not None and (_same(tp, body) or _same(inner, body) or name == "body")) or (
            body is None and _is_body_type(inner)
        ):
            if body_taken:
                raise ConfigurationError(f"route {func.__qualname__} has two body parameters")
            body_taken = True
            model = body if body is not None else inner
            steps.append(
                _body_step(name, body_decoder(model), optional or has_default, param.default)
            )
        elif inner is bytes:
            steps.append(_const(name, lambda r, c: r.body))
        else:
            steps.append(_query_step(name, inner, has_default, param.default, optional))
    missing = path_params - seen_path
    if missing:
        raise ConfigurationError(
            f"route {func.__qualname__} has no parameter for path parameter(s) {sorted(missing)}"
        )
    if body is not None and not body_taken:
        raise ConfigurationError(
            f"body={body!r} given but {func.__qualname__} has no parameter named 'body' or "
            "annotated with that type"
        )

    def bind(request: Request, context: Context) -> dict[str, Any]:
        kwargs: dict[str, Any] = {}
        errors: list[dict[str, Any]] = []
        for step in steps:
            step(request, context, kwargs, errors)
        if errors:
            raise RequestValidationError.from_errors(errors)
        return kwargs

    return bind


Step = Callable[[Request, Context, dict[str, Any], list[dict[str, Any]]], None]


_MORE = RequestValidationError.MORE


def _const(name: str, get: Callable[[Request, Context], Any]) -> Step:
    def step(r: Request, c: Context, kw: dict[str, Any], errs: list[dict[str, Any]]) -> None:
        kw[name] = get(r, c)

    return step


def _path_step(name: str, convert: Convert) -> Step:
    def step(r: Request, c: Context, kw: dict[str, Any], errs: list[dict[str, Any]]) -> None:
        try:
            kw[name] = convert(r.path_params[name])
        except _Invalid as e:
            errs.append({"loc": ("path", name), "msg": e.msg, "type": e.type})

    return step


def _body_step(name: str, decode: Callable[[Request], Any], optional: bool, default: Any) -> Step:
    def step(r: Request, c: Context, kw: dict[str, Any], errs: list[dict[str, Any]]) -> None:
        if optional and not r.body.strip():
            kw[name] = None if default is inspect.Parameter.empty else default
            return
        try:
            kw[name] = decode(r)
        except RequestValidationError as e:
            listed = e.errors()
            errs.extend(listed)
            if e.count > len(listed):  # errors pydantic counted but fcsdk did not keep
                errs.append({"loc": (), "msg": "", "type": _MORE, "count": e.count - len(listed)})

    return step


def _query_step(name: str, tp: Any, has_default: bool, default: Any, optional: bool) -> Step:
    origin = typing.get_origin(tp)
    if origin in (list, tuple, set, frozenset) or tp in (list, tuple, set, frozenset):
        args = typing.get_args(tp)
        item = _converter(args[0] if args else str)
        container: Callable[[list[Any]], Any] = origin or tp
        if container is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            container = tuple  # fixed-length tuples are not distinguished

        def step(r: Request, c: Context, kw: dict[str, Any], errs: list[dict[str, Any]]) -> None:
            values = r.query.getlist(name)
            if not values:
                if has_default:
                    kw[name] = default
                elif optional:
                    kw[name] = None
                else:
                    errs.append(
                        {"loc": ("query", name), "msg": "Field required", "type": "missing"}
                    )
                return
            out = []
            for i, v in enumerate(values):
                try:
                    out.append(item(v))
                except _Invalid as e:
                    errs.append({"loc": ("query", name, i), "msg": e.msg, "type": e.type})
            kw[name] = container(out)

        return step
    convert = _converter(tp)

    def single(r: Request, c: Context, kw: dict[str, Any], errs: list[dict[str, Any]]) -> None:
        value = r.query.get(name)
        if value is None:
            if has_default:
                kw[name] = default
            elif optional:
                kw[name] = None
            else:
                errs.append({"loc": ("query", name), "msg": "Field required", "type": "missing"})
            return
        try:
            kw[name] = convert(value)
        except _Invalid as e:
            errs.append({"loc": ("query", name), "msg": e.msg, "type": e.type})

    return single
