"""Bounds on what an invalid event can cost: errors kept, error text, fail-fast validation.

pydantic collects every error of an invalid value. On ``list[Order]``, the 2 MB event
``[{}, {}, ...]`` holds a million invalid items, so two million errors: seconds of work and more
than a gigabyte, and ``ValidationError.errors()`` turns them into as many Python dicts again.
fcsdk keeps the cost of an invalid event a small multiple of its size:

- events larger than :data:`FULL_REPORT_BYTES` are validated by a *fail-fast* copy of the
  validator (pydantic's ``fail_fast`` on every list, tuple, set and dict schema, pydantic 2.8
  and later): validation stops at the first invalid item of each collection. A valid event
  gives exactly the same result either way. With an older pydantic the plain validator is used;
- at most :data:`MAX_ERRORS` errors are turned into Python objects, and the message reports
  how many there were;
- each error's text and path are clipped (:func:`clip`), so a 1 MB dict key or a user
  validator quoting its input cannot grow a message, a log line or an HTTP 422 body.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, Union, cast

if TYPE_CHECKING:
    from pydantic import TypeAdapter, ValidationError

__all__ = [
    "FULL_REPORT_BYTES",
    "MAX_ERRORS",
    "MAX_ERROR_TEXT",
    "clip",
    "clip_loc",
    "error_list",
    "fail_fast_used",
    "fail_fast_validator",
    "validate_json",
    "validate_python",
]

#: Events up to this size get every error listed; larger ones are validated fail-fast.
FULL_REPORT_BYTES = 16 * 1024
#: At most this many structured errors are kept (``errors()``); the message gives the count.
MAX_ERRORS = 20
#: The longest error message or path part kept, in characters.
MAX_ERROR_TEXT = 160
#: The most path parts kept (the first and last ones, around an ellipsis).
MAX_LOC_PARTS = 8
_MAX_LOC_PART = 40
_FAIL_FAST_TYPES = frozenset(
    {"list", "tuple", "set", "frozenset", "deque", "dict", "generator", "counter"}
)
_UNSET: Any = object()


def clip(text: str, limit: int = MAX_ERROR_TEXT) -> str:
    """``text`` cut to ``limit`` characters, with a note of how much was cut.

    Example:
        >>> clip("x" * 50, 20)
        'xxxxxxxxxxxxxxxxxxxx… (30 more characters)'
        >>> clip("short")
        'short'
    """
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters)"


def clip_loc(loc: Any) -> tuple[Any, ...]:
    """A pydantic ``loc`` with long string parts cut and at most :data:`MAX_LOC_PARTS` parts.

    Example:
        >>> clip_loc(("items", 0, "k" * 60))[2][:12]
        'kkkkkkkkkkkk'
        >>> len(clip_loc(tuple(range(100))))
        8
    """
    parts = tuple(
        clip(p, _MAX_LOC_PART) if isinstance(p, str) else p
        for p in (loc if isinstance(loc, (tuple, list)) else (loc,))
    )
    if len(parts) > MAX_LOC_PARTS:
        head = MAX_LOC_PARTS // 2
        parts = (*parts[:head], "…", *parts[-(MAX_LOC_PARTS - head - 1) :])
    return parts


def _with_fail_fast(schema: Any, depth: int = 0) -> Any:
    """A copy of a core schema with ``fail_fast`` on every collection schema (dicts and lists
    are copied; classes, functions and other objects are shared)."""
    if depth > 400:
        raise RecursionError("core schema too deep")
    if isinstance(schema, dict):
        out = {k: _with_fail_fast(v, depth + 1) for k, v in schema.items()}
        kind = out.get("type")  # a str in a schema; a field *named* "type" maps to a dict
        if isinstance(kind, str) and kind in _FAIL_FAST_TYPES and "fail_fast" not in out:
            out["fail_fast"] = True
        return out
    if isinstance(schema, list):
        return [_with_fail_fast(v, depth + 1) for v in schema]
    return schema


def fail_fast_validator(adapter: TypeAdapter[Any]) -> Optional[Any]:
    """The fail-fast copy of ``adapter``'s validator (built once, cached on the adapter), or
    None when the installed pydantic has no ``fail_fast`` or the schema cannot be copied.

    Example:
        >>> from pydantic import TypeAdapter
        >>> ta = TypeAdapter(list[int])
        >>> ff = fail_fast_validator(ta)
        >>> ff is None or ff.validate_json(b"[1, 2]") == [1, 2]
        True
    """
    cached = getattr(adapter, "_fcsdk_fail_fast", _UNSET)
    if cached is not _UNSET:
        return cached
    validator: Optional[Any] = None
    try:
        from pydantic_core import SchemaValidator

        validator = SchemaValidator(_with_fail_fast(adapter.core_schema))
    except Exception:  # pydantic < 2.8 rejects the key; exotic schemas: use the plain one
        validator = None
    try:  # noqa: SIM105 (contextlib.suppress: on 3.13 `import typing` no longer loads contextlib)
        adapter._fcsdk_fail_fast = validator  # type: ignore[attr-defined]
    except Exception:  # an adapter with slots: build again next time
        pass
    return validator


def validate_json(adapter: TypeAdapter[Any], data: Union[bytes, str]) -> Any:
    """``adapter.validate_json(data)``, fail-fast when ``data`` is larger than
    :data:`FULL_REPORT_BYTES` (same result for a valid event).

    Example:
        >>> from pydantic import TypeAdapter
        >>> validate_json(TypeAdapter(list[int]), b"[1]" if True else b"")
        [1]
    """
    if len(data) > FULL_REPORT_BYTES:
        ff = fail_fast_validator(adapter)
        if ff is not None:
            return ff.validate_json(data)
    return adapter.validate_json(data)


def fail_fast_used(adapter: TypeAdapter[Any], data: Union[bytes, str]) -> bool:
    """Whether :func:`validate_json` validated ``data`` fail-fast.

    Example:
        >>> from pydantic import TypeAdapter
        >>> fail_fast_used(TypeAdapter(int), b"1")
        False
    """
    return len(data) > FULL_REPORT_BYTES and fail_fast_validator(adapter) is not None


def validate_python(adapter: TypeAdapter[Any], obj: Any) -> Any:
    """``adapter.validate_python(obj)``; when it fails with more than :data:`MAX_ERRORS`
    errors, the error raised is the fail-fast validator's (fewer errors to turn into objects),
    with the full count kept in ``__notes__``-free form as :func:`error_list` reports it.

    Example:
        >>> from pydantic import TypeAdapter
        >>> validate_python(TypeAdapter(dict[str, int]), {"a": "1"})
        {'a': 1}
    """
    from pydantic import ValidationError

    try:
        return adapter.validate_python(obj)
    except ValidationError as exc:
        if exc.error_count() <= MAX_ERRORS:
            raise
        ff = fail_fast_validator(adapter)
        if ff is None:
            raise
        total = exc.error_count()
        try:
            ff.validate_python(obj)
        except ValidationError as narrowed:
            raise _Narrowed(narrowed, total) from None
        raise  # pragma: no cover - fail-fast accepts what the full validator refused


class _Narrowed(Exception):
    """A fail-fast ``ValidationError`` standing for a full one with ``total`` errors."""

    def __init__(self, exc: ValidationError, total: int) -> None:
        super().__init__(exc)
        self.exc, self.total = exc, total


def error_list(
    exc: Union[ValidationError, _Narrowed], *, include_input: bool
) -> tuple[list[dict[str, Any]], int]:
    """``(errors, count)``: at most :data:`MAX_ERRORS` of ``exc``'s errors and how many there
    were (a count pydantic keeps without building the errors).

    Example:
        >>> from pydantic import TypeAdapter, ValidationError
        >>> try:
        ...     TypeAdapter(list[int]).validate_python(["x"] * 30)
        ... except ValidationError as exc:
        ...     errs, n = error_list(exc, include_input=False)
        >>> len(errs), n
        (20, 30)
    """
    total: Optional[int] = None
    error: ValidationError
    if isinstance(exc, _Narrowed):
        error, total = exc.exc, exc.total
    else:
        error = exc
    count = error.error_count()
    raw: list[Any]
    if count <= MAX_ERRORS:
        raw = error.errors(include_url=False, include_input=include_input, include_context=True)
    else:  # a schema fail-fast cannot shorten (an old pydantic, extra="forbid" keys): the
        # errors are turned into objects once, without their inputs, and all but N dropped
        raw = error.errors(include_url=False, include_input=False, include_context=False)
        del raw[MAX_ERRORS:]
    return cast("list[dict[str, Any]]", raw), (count if total is None else int(total))


#: The deepest nesting accepted in an already-decoded event (the JSON parser's own limit).
MAX_DEPTH = 200
_SCALARS = (str, int, float, bool, type(None))
_LEAVES = (*_SCALARS, bytes)  # bytes: binary values of CBOR events (Tablestore)


def check_decoded(value: Any, title: str) -> None:
    """Raise :class:`fcsdk.EventDecodeError` unless ``value`` is what JSON could decode to:
    dicts (with str, number, bool or None keys), lists, tuples, str, finite numbers, bool,
    None and bytes (binary values of CBOR events), nested at most :data:`MAX_DEPTH` deep and without cycles. pydantic models and
    dataclasses at the root are let through (their validation is pydantic's).

    One pass, each container visited once (shared sub-objects are not walked again).

    Example:
        >>> check_decoded({"a": [1, 2.5, None, "x"]}, "M")
        >>> loop = []
        >>> loop.append(loop)
        >>> try:
        ...     check_decoded({"a": loop}, "M")
        ... except Exception as exc:
        ...     print(exc)
        event is circular at a[0] (it refers to itself): M needs a JSON value
    """
    from .errors import EventDecodeError, format_loc

    if isinstance(value, _SCALARS) and not isinstance(value, float):
        return
    if hasattr(type(value), "__pydantic_serializer__") or hasattr(value, "__dataclass_fields__"):
        return
    seen: set[int] = set()
    on_path: set[int] = set()
    # (value, loc, leaving): a container is pushed again with leaving=True to pop the path
    stack: list[tuple[Any, tuple[Any, ...], bool]] = [(value, (), False)]
    while stack:
        item, loc, leaving = stack.pop()
        if leaving:
            on_path.discard(id(item))
            continue
        if isinstance(item, float):
            if item != item or item in (float("inf"), float("-inf")):
                raise EventDecodeError(
                    f"event has {item!r} at {format_loc(loc)}, which JSON does not allow "
                    f"({title} needs a number or null)"
                )
            continue
        if isinstance(item, _LEAVES):
            continue
        if not isinstance(item, (dict, list, tuple)):
            raise EventDecodeError(
                f"event has a {type(item).__name__} at {format_loc(loc)}, which is not a JSON "
                f"value: pass bytes, str, or dicts/lists of str, numbers, bool and None "
                f"({title})"
            )
        key = id(item)
        if key in on_path:
            raise EventDecodeError(
                f"event is circular at {format_loc(loc)} (it refers to itself): {title} needs "
                "a JSON value"
            )
        if key in seen:
            continue
        if len(loc) >= MAX_DEPTH:
            raise EventDecodeError(
                f"event is nested too deeply for {title} (more than {MAX_DEPTH} levels)"
            )
        seen.add(key)
        on_path.add(key)
        stack.append((item, loc, True))
        if isinstance(item, dict):
            for k, v in item.items():
                if not isinstance(k, _SCALARS):
                    raise EventDecodeError(
                        f"event has a {type(k).__name__} key at {format_loc(loc)}, which JSON "
                        f"does not allow ({title} needs str keys)"
                    )
                stack.append((v, (*loc, clip(str(k), 40)), False))
        else:
            stack.extend((v, (*loc, i), False) for i, v in enumerate(item))
