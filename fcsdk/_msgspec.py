"""msgspec models in ``@fc.handler``: a ``msgspec.Struct`` (or ``list[Struct]``, a tagged union
of Structs, ``Optional[Struct]``...) as the event model or the ``response_model``.

Chosen at decoration when the type involves a ``msgspec.Struct`` (see
:func:`fcsdk._codec.make_decoder`): FC's bytes go straight to a cached ``msgspec.json.Decoder``,
and pydantic is never imported. Failures are the same fcsdk errors as on the pydantic path, with
the same path syntax (``items[0].qty``) and without input values unless ``include_input=True``:

- ``EventDecodeError``: empty, not UTF-8, not JSON, ``NaN``/``Infinity``, nested too deeply;
- ``EventValidationError``: valid JSON of the wrong shape. msgspec stops at the first error, so
  there is one; dict keys are input, and msgspec does not report them: ``*`` stands for the key
  (``tags.*``). Error types: ``missing``, ``extra_forbidden``, ``enum``, ``union_tag_invalid``,
  ``type_error`` (wrong JSON type), ``value_error`` (a constraint or a value out of range).

This module imports msgspec: it is imported only once msgspec is (a Struct exists).

Example:
    >>> import msgspec
    >>> import fcsdk as fc
    >>> class Order(msgspec.Struct):
    ...     order_id: str
    ...     qty: int
    >>> @fc.handler
    ... def handler(event: Order, context: fc.Context) -> Order:
    ...     return event
    >>> handler(b'{"order_id": "a", "qty": 2}', None)
    b'{"order_id":"a","qty":2}'
    >>> try:
    ...     handler(b'{"order_id": "a", "qty": "two"}', None)
    ... except fc.EventValidationError as exc:
    ...     print(exc)
    1 validation error for Order: qty: Expected `int`, got `str`
"""

from __future__ import annotations

import sys
from typing import Any, Callable, Optional, Union, get_args

import msgspec

from ._codec import Body, Decoder, Encoder, _decode_error, check_finite, type_title
from ._codec import encode_result as _plain_encode_result
from ._fcbody import fc_default
from .errors import (
    ConfigurationError,
    EventDecodeError,
    EventValidationError,
    FCError,
    ResponseEncodeError,
    ResponseValidationError,
    format_loc,
)

__all__ = [
    "encode_result",
    "encode_struct",
    "involves_struct",
    "make_decoder",
    "make_encoder",
    "payload_decoder",
]

Prefix = Union[str, tuple[Any, ...]]


def involves_struct(tp: Any) -> bool:
    """Whether the type ``tp`` is or contains a ``msgspec.Struct`` (``list[S]``, ``Optional[S]``,
    ``Annotated[S, ...]``, unions...): then msgspec, not pydantic, decodes it.

    Example:
        >>> from typing import Optional
        >>> class S(msgspec.Struct):
        ...     a: int
        >>> involves_struct(Optional[list[S]]), involves_struct(list[int])
        (True, False)
    """
    stack, seen = [tp], 0
    while stack and seen < 1000:
        item = stack.pop()
        seen += 1
        if isinstance(item, type) and issubclass(item, msgspec.Struct):
            return True
        try:
            stack.extend(get_args(item))
        except Exception:  # an exotic object that is not a type at all
            continue
    return False


# -- errors ----------------------------------------------------------------------------------


def _loc(path: str) -> tuple[Any, ...]:
    """msgspec's ``$.items[0].tags[...]`` as a loc: ``("items", 0, "tags", "*")``.

    (String scanning, not a regular expression: compiling one is a cold-start cost.)

    Example:
        >>> _loc("$.items[0].tags[...]")
        ('items', 0, 'tags', '*')
    """
    loc: list[Any] = []
    i, n = 1, len(path)
    while i < n:
        if path[i] == "[":
            end = path.find("]", i)
            end = n if end < 0 else end
            index = path[i + 1 : end]
            loc.append(int(index) if index.isdigit() else "*")
            i = end + 1
        else:  # "." then a name, up to the next "." or "["
            j = i + 1
            while j < n and path[j] not in ".[":
                j += 1
            loc.append(path[i + 1 : j])
            i = j
    return tuple(loc)


def _quoted(text: str) -> Optional[str]:
    """The name in the trailing backquotes of ``text`` (``... field `qty```), or None."""
    start = text.find("`")
    return (
        text[start + 1 : -1]
        if start >= 0 and text.endswith("`") and len(text) > start + 1
        else None
    )


def _parse(message: str, include_input: bool) -> dict[str, Any]:
    """One ``{"loc", "msg", "type"}`` error from a msgspec ``ValidationError`` message."""
    text, sep, path = message.rpartition(" - at `")
    if sep and path.endswith("`") and path.startswith("$"):
        loc = _loc(path[:-1])
    else:
        text, loc = message, ()
    field = _quoted(text)
    if text.startswith("Object missing required field") and field is not None:
        return {"loc": (*loc, field), "msg": "Field required", "type": "missing"}
    if text.startswith("Object contains unknown field") and field is not None:
        msg = "Extra inputs are not permitted"
        return {"loc": (*loc, field), "msg": msg, "type": "extra_forbidden"}
    for head, kind in (("Invalid enum value", "enum"), ("Invalid value", "union_tag_invalid")):
        if text.startswith(head):  # the rest quotes the input
            return {"loc": loc, "msg": text if include_input else head, "type": kind}
    kind = "type_error" if text.startswith("Expected `") and ", got `" in text else "value_error"
    return {"loc": loc, "msg": text, "type": kind}


def _validation_error(
    cls: type[FCError], exc: Exception, title: str, include_input: bool, prefix: Prefix = ""
) -> FCError:
    error = _parse(str(exc), include_input)
    pre: tuple[Any, ...] = prefix if isinstance(prefix, tuple) else ((prefix,) if prefix else ())
    error["loc"] = (*pre, *error["loc"])
    where = f"{format_loc(error['loc'])}: " if error["loc"] else ""
    return cls(f"1 validation error for {title}: {where}{error['msg']}", errors=[error])


def _decode_failure(
    exc: BaseException, data: Any, title: str, include_input: bool, prefix: Prefix = ""
) -> BaseException:
    """The fcsdk error for ``exc``, raised by msgspec decoding ``data``; other exceptions are
    returned unchanged (a bug in a user's ``__post_init__``, say)."""
    if isinstance(exc, msgspec.ValidationError):
        return _validation_error(EventValidationError, exc, title, include_input, prefix)
    where = f" at {format_loc(prefix) if isinstance(prefix, tuple) else prefix}" if prefix else ""
    if isinstance(exc, RecursionError):
        return EventDecodeError(f"event JSON is nested too deeply for {title}{where}")
    if isinstance(exc, UnicodeError) and isinstance(data, str):  # lone surrogates
        return EventDecodeError(f"event is not valid Unicode text{where}; {title} needs JSON")
    # (msgspec < 0.21 raises UnicodeDecodeError for bytes that are not UTF-8)
    if not isinstance(exc, (msgspec.DecodeError, UnicodeError)):
        return exc
    if not data or (data[:1].isspace() and not data.strip()):
        return EventDecodeError(f"event is empty{where}, but the handler expects {title}")
    try:  # NaN / Infinity: the same message, with its path, as on the pydantic path
        check_finite(data, title, prefix)
    except EventDecodeError as nonfinite:
        return nonfinite
    error = _decode_error(data, str(exc), title)
    if prefix:
        where = format_loc(prefix) if isinstance(prefix, tuple) else prefix
        return EventDecodeError(f"{where}: {error.message}")
    return error


def _cause(exc: BaseException) -> Any:
    return None if isinstance(exc, RecursionError) else exc


# -- decoding --------------------------------------------------------------------------------


def _json_decoder(model: Any, what: str) -> Any:
    try:
        return msgspec.json.Decoder(model)
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(
            f"fcsdk cannot build a msgspec decoder for {what} {type_title(model)}: {exc}. "
            "Use msgspec types only (Struct, list, dict, Union of tagged Structs...); "
            "pydantic models need the pydantic path"
        ) from exc


def make_decoder(model: Any, *, include_input: bool = False) -> Decoder:
    """The decoder ``@fc.handler`` uses for a msgspec ``model``: bytes or str as JSON, an
    already decoded dict/list converted; only fcsdk errors.

    Example:
        >>> class Point(msgspec.Struct):
        ...     x: int
        >>> make_decoder(list[Point])(b'[{"x": 1}]')
        [Point(x=1)]
    """
    title = type_title(model)
    decode_json = _json_decoder(model, "the event model").decode

    def fail(exc: BaseException, event: Any) -> BaseException:
        """For the wrapper's fast path: classify a failed ``decode_json(event)``."""
        return _decode_failure(exc, event, title, include_input)

    def decode(event: Any) -> Any:
        tp = type(event)
        if tp is bytes or tp is str or event is None:
            data = event if event is not None else b""
        elif isinstance(event, (bytearray, memoryview)):
            data = bytes(event)
        else:
            return _convert(event, model, title, include_input, "")
        try:
            return decode_json(data)
        except Exception as exc:
            raise fail(exc, data) from _cause(exc)

    # The wrapper's fast path (see fcsdk._handler): the decoder straight on FC's bytes. msgspec
    # rejects NaN/Infinity itself, so no finite check runs first.
    # No size limit: msgspec stops at the first error whatever the size, as decode() does.
    decode.fast_max = sys.maxsize  # type: ignore[attr-defined]
    decode.fast_json = decode_json  # type: ignore[attr-defined]
    decode.finite_check = False  # type: ignore[attr-defined]
    decode.fail = fail  # type: ignore[attr-defined]
    return decode


def _convert(value: Any, model: Any, title: str, include_input: bool, prefix: Prefix) -> Any:
    """An already decoded JSON value (a dict inside a trigger event, a local call) as ``model``."""
    try:
        return msgspec.convert(value, model)
    except msgspec.ValidationError as exc:
        raise _validation_error(EventValidationError, exc, title, include_input, prefix) from exc
    except RecursionError:
        raise EventDecodeError(f"event is nested too deeply for {title}") from None


def payload_decoder(model: Any, *, include_input: bool) -> Callable[[Any, Any], Any]:
    """The envelope payload decoder for a msgspec ``model``: ``(payload, loc) -> value``, the
    payload being JSON text/bytes or an already decoded value; ``loc`` prefixes error paths.

    Example:
        >>> class Point(msgspec.Struct):
        ...     x: int
        >>> payload_decoder(Point, include_input=False)('{"x": 1}', ("payload",))
        Point(x=1)
    """
    title = type_title(model)
    decode_json = _json_decoder(model, "the payload model").decode

    def decode(value: Any, loc: Any) -> Any:
        if isinstance(value, (str, bytes, bytearray, memoryview)):
            data = value if isinstance(value, (str, bytes)) else bytes(value)
            try:
                return decode_json(data)
            except Exception as exc:
                raise _decode_failure(exc, data, title, include_input, loc) from _cause(exc)
        return _convert(value, model, title, include_input, loc)

    return decode


# -- encoding --------------------------------------------------------------------------------

_encode = msgspec.json.Encoder().encode


def encode_struct(value: Any) -> bytes:
    """A Struct (or a dataclass) as compact JSON bytes, field names as renamed; like pydantic
    models on the pydantic path.

    Example:
        >>> class P(msgspec.Struct, rename="camel"):
        ...     order_id: str
        >>> encode_struct(P("a"))
        b'{"orderId":"a"}'
    """
    try:
        return _encode(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ResponseEncodeError(
            f"cannot serialize the handler's return value ({type(value).__name__}) for FC: {exc}"
        ) from exc


def _builtins(obj: Any) -> Any:
    """``default=`` fallback: what msgspec can turn into JSON values (Structs, dataclasses,
    UUID, sets, enums...), else ``TypeError``."""
    try:
        return msgspec.to_builtins(obj)
    except (TypeError, ValueError):
        raise TypeError(f"object of type {type(obj).__name__} is not JSON serializable") from None


def _default(obj: Any) -> Any:
    return fc_default(obj, _builtins)


def encode_result(value: Any) -> Body:
    """The body FC sends for a msgspec handler's return value, without pydantic: ``str``/
    ``bytes`` as they are, Structs and dataclasses as compact JSON, anything else by FC's rule
    (``json.dumps(indent=4, sort_keys=True)``) with msgspec for what ``json`` cannot write.

    Example:
        >>> encode_result("hi"), encode_result({"b": 1, "a": [1]}) == encode_result({"a": [1], "b": 1})
        ('hi', True)
    """
    tp = type(value)
    if tp is str or tp is bytes:
        return value  # type: ignore[no-any-return]
    if (hasattr(tp, "__struct_fields__") or hasattr(tp, "__dataclass_fields__")) and not hasattr(
        value, "to_json"
    ):  # FC's runtime would call to_json(): so does fcsdk (below)
        return encode_struct(value)
    if not (
        tp is bytearray
        or tp is memoryview
        or isinstance(value, str)
        or hasattr(tp, "__pydantic_serializer__")
    ):
        import json

        try:
            return json.dumps(value, indent=4, sort_keys=True, default=_default)
        except (TypeError, ValueError, RecursionError):
            pass  # the generic encoder reports it, with the path of the bad value
    return _plain_encode_result(value)


encode_result.passes_str = True  # type: ignore[attr-defined]  # fast path: a str is sent as is


def make_encoder(response_model: Any, *, include_input: bool = False) -> Encoder:
    """The encoder for a msgspec ``response_model``: the return value is converted (checked)
    as that type, then sent as compact JSON (``str``/``bytes`` results as they are).

    Example:
        >>> class P(msgspec.Struct):
        ...     x: int
        >>> make_encoder(list[P])([{"x": 1}, P(2)])
        b'[{"x":1},{"x":2}]'
    """
    title = f"response {type_title(response_model)}"
    _json_decoder(response_model, "the response model")  # unsupported types fail at decoration

    def encode(value: Any) -> Body:
        try:
            checked = msgspec.convert(value, response_model, from_attributes=True)
        except msgspec.ValidationError as exc:
            raise _validation_error(ResponseValidationError, exc, title, include_input) from exc
        if type(checked) is str or type(checked) is bytes:
            return checked  # sent as is, like a plain return
        try:
            return _encode(checked)
        except (TypeError, ValueError, OverflowError) as exc:
            raise ResponseEncodeError(f"cannot serialize the {title} for FC: {exc}") from exc

    return encode
