"""Decode FC events into the handler's model and encode return values the way FC sends them.

Decoders and encoders are built once, at decoration time; the per-call path is a type check and
one pydantic call.

Extension points (used by :mod:`fcsdk.events` and :mod:`fcsdk.envelopes`, open to users):

- a model class may define ``__fcsdk_decoder__(cls, *, include_input: bool) -> Decoder`` to take
  over decoding (e.g. Tablestore events arrive as CBOR, not JSON);
- an envelope is any object with ``make_decoder(model, *, include_input: bool) -> Decoder``.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Callable, Optional, Protocol, Union

from . import _limits
from ._fcbody import fc_default
from .errors import (
    ConfigurationError,
    EventDecodeError,
    EventValidationError,
    ResponseEncodeError,
    ResponseValidationError,
    format_loc,
)

if TYPE_CHECKING:
    from pydantic import TypeAdapter, ValidationError

__all__ = [
    "Decoder",
    "Encoder",
    "EnvelopeLike",
    "as_bytes",
    "as_text",
    "encode_result",
    "fc_json_dumps",
    "make_decoder",
    "make_encoder",
    "type_title",
    "validate_bytes",
]

Decoder = Callable[[Any], Any]
Encoder = Callable[[Any], Union[str, bytes]]
Body = Union[str, bytes]

_BYTES_TYPES = (bytes, bytearray, memoryview)


class EnvelopeLike(Protocol):
    """What ``@fc.handler(envelope=...)`` accepts: something that builds a decoder for a model."""

    def make_decoder(self, model: Any, *, include_input: bool) -> Decoder: ...


def type_title(tp: Any) -> str:
    """A readable name for a type: ``Order``, ``list[Order]``, ``dict[str, int]``, ``A | B``.

    ``Annotated`` metadata (``Field(discriminator=...)``, constraints) is left out.

    Example:
        >>> type_title(dict[str, int])
        'dict[str, int]'
        >>> from typing import Annotated, Optional
        >>> type_title(Annotated[Optional[list[int]], "meta"])
        'list[int] | None'
    """
    import typing

    from typing_extensions import Annotated, get_args, get_origin

    origin, args = get_origin(tp), get_args(tp)
    if origin is Annotated:
        return type_title(args[0])
    if origin is typing.Union:
        return " | ".join(type_title(a) for a in args)
    if origin is typing.Literal:
        return f"Literal[{', '.join(repr(a) for a in args)}]"
    if origin is not None and args:
        name = getattr(origin, "__name__", None) or _strip_modules(repr(origin))
        return f"{name}[{', '.join(type_title(a) for a in args)}]"
    if tp is type(None):
        return "None"
    if isinstance(tp, type):
        return tp.__qualname__ if "<locals>" not in tp.__qualname__ else tp.__name__
    return _strip_modules(repr(tp))


def _strip_modules(text: str) -> str:
    import re

    for prefix in ("typing_extensions.", "typing.", "collections.abc."):
        text = text.replace(prefix, "")
    return re.sub(r"\b(?:[A-Za-z_][\w]*\.)+([A-Za-z_]\w*)", r"\1", text)


# -- event input -----------------------------------------------------------------------------


def as_bytes(event: Any) -> bytes:
    """The event as bytes: bytes-likes as they are, str UTF-8 encoded, dict/list as FC-style JSON.

    Example:
        >>> as_bytes(bytearray(b"x")), as_bytes("é"), as_bytes({"a": 1})
        (b'x', b'\\xc3\\xa9', b'{"a": 1}')
    """
    if type(event) is bytes:
        return event
    if isinstance(event, _BYTES_TYPES):
        return bytes(event)
    if isinstance(event, str):
        return event.encode("utf-8", "surrogatepass")
    if event is None:
        return b""
    import json

    try:
        return json.dumps(event, ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError, RecursionError) as exc:
        raise EventDecodeError(
            f"event of type {type(event).__name__} cannot be turned into bytes: pass bytes, "
            "str, or JSON-compatible dict/list (acyclic, not too deep)"
        ) from (None if isinstance(exc, RecursionError) else exc)


def as_text(event: Any) -> str:
    """The event as text: bytes decoded as UTF-8 (or :class:`EventDecodeError`).

    Example:
        >>> as_text(b"caf\\xc3\\xa9")
        'café'
    """
    if isinstance(event, str):
        return event
    data = as_bytes(event)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EventDecodeError(
            f"event is not valid UTF-8 (invalid byte at position {exc.start}); "
            "annotate the event as bytes to receive it undecoded"
        ) from None


def _json_error(exc: ValidationError) -> Optional[str]:
    """pydantic's message when ``exc`` is a JSON syntax error at the root, else None."""
    if exc.error_count() != 1:  # counted without building the errors
        return None
    errs = exc.errors(include_url=False, include_input=False, include_context=False)
    if len(errs) == 1 and errs[0]["type"] == "json_invalid" and not errs[0]["loc"]:
        return str(errs[0]["msg"])
    return None


def _decode_error(data: Union[bytes, str], msg: str, title: str) -> EventDecodeError:
    if isinstance(data, bytes):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            return EventDecodeError(
                f"event is not valid UTF-8 (invalid byte at position {exc.start}); "
                f"{title} needs a UTF-8 JSON document"
            )
    msg = msg.replace("Invalid JSON: ", "")
    low = msg.lower()
    if "recursion" in low or "depth" in low:
        return EventDecodeError(f"event JSON is nested too deeply for {title}: {msg}")
    if "number out of range" in low:
        return EventDecodeError(f"event JSON has a number too large for {title}: {msg}")
    return EventDecodeError(f"event is not valid JSON for {title}: {msg}")


def _prefix_text(prefix: Union[str, tuple[Any, ...]]) -> str:
    return format_loc(prefix) if isinstance(prefix, tuple) else prefix


def validate_bytes(
    adapter: TypeAdapter[Any],
    data: Union[bytes, str],
    title: str,
    *,
    include_input: bool = False,
    prefix: Union[str, tuple[Any, ...]] = "",
) -> Any:
    """Validate JSON text or bytes with ``adapter``, raising only fcsdk errors.

    ``prefix`` is prepended to error paths (envelopes use it for the path through the trigger):
    a string, or a ``loc`` tuple such as ``(3, "data", "body")`` that ``errors()`` keeps as is.
    JSON's forbidden ``NaN``/``Infinity`` tokens are an :class:`EventDecodeError`.

    Example:
        >>> from pydantic import TypeAdapter
        >>> validate_bytes(TypeAdapter(list[int]), b"[1, 2]", "list[int]")
        [1, 2]
    """
    check_finite(data, title, prefix)
    try:
        return _limits.validate_json(adapter, data)
    except Exception as exc:
        note = _FAIL_FAST_NOTE if _limits.fail_fast_used(adapter, data) else ""
        raise decode_failure(
            exc, data, title, include_input=include_input, prefix=prefix, note=note
        ) from _cause(exc)


_FAIL_FAST_NOTE = (
    f" (the event is over {_limits.FULL_REPORT_BYTES // 1024} KiB: validation stopped at the "
    "first invalid item of each list)"
)


def _cause(exc: BaseException) -> Optional[BaseException]:
    return None if isinstance(exc, (RecursionError, MemoryError)) else exc


def decode_failure(
    exc: BaseException,
    data: Union[bytes, str],
    title: str,
    *,
    include_input: bool = False,
    prefix: Union[str, tuple[Any, ...]] = "",
    note: str = "",
) -> BaseException:
    """The fcsdk error for ``exc``, raised by ``validate_json(data)``; validation is not run again.

    A ``MemoryError`` (an event too large for the instance's memory) is an
    :class:`EventDecodeError`; ``note`` follows the title in validation messages.

    Exceptions that are not pydantic's or the parser's (a bug in a user's validator, say) are
    returned unchanged, to be re-raised as they are.

    Example:
        >>> from pydantic import TypeAdapter
        >>> try:
        ...     TypeAdapter(int).validate_json(b"{")
        ... except Exception as exc:
        ...     print(decode_failure(exc, b"{", "int"))
        event is not valid JSON for int: EOF while parsing an object at line 1 column 1
    """
    from pydantic import ValidationError

    if not data or (data[:1].isspace() and not data.strip()):
        where = f" at {_prefix_text(prefix)}" if prefix else ""
        return EventDecodeError(f"event is empty{where}, but the handler expects {title}")
    if isinstance(exc, ValidationError):
        msg = _json_error(exc)
        if msg is None:
            return EventValidationError.from_pydantic(
                exc, title, include_input=include_input, prefix=prefix, note=note
            )
        err = _decode_error(data, msg, title)
        return type(err)(f"{_prefix_text(prefix)}: {err.message}") if prefix else err
    if isinstance(exc, RecursionError):
        return EventDecodeError(f"event JSON is nested too deeply for {title}")
    if isinstance(exc, MemoryError):
        return _out_of_memory(data, title)
    if isinstance(exc, (ValueError, TypeError, OverflowError)):
        return EventDecodeError(f"event could not be decoded as {title}: {type(exc).__name__}")
    return exc


def _out_of_memory(data: Any, title: str) -> EventDecodeError:
    size = f" ({len(data)} bytes)" if isinstance(data, (bytes, str)) else ""
    return EventDecodeError(
        f"event{size} is too large to decode as {title} in this instance's memory: send a "
        "smaller event, or give the function more memory"
    )


class _NonFinite:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


def _find_nonfinite(value: Any, path: tuple[Any, ...] = ()) -> Optional[tuple[Any, ...]]:
    stack: list[tuple[Any, tuple[Any, ...]]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, _NonFinite):
            return (*where, item.name)
        if isinstance(item, dict):
            stack.extend((v, (*where, k)) for k, v in reversed(list(item.items())))
        elif isinstance(item, list):
            stack.extend((v, (*where, i)) for i, v in reversed(list(enumerate(item))))
    return None


def check_finite(
    data: Union[bytes, str], title: str, prefix: Union[str, tuple[Any, ...]] = ""
) -> None:
    """Raise :class:`EventDecodeError` when ``data`` holds a ``NaN``/``Infinity`` token.

    JSON (RFC 8259) has no such values, but Python's ``json.dumps`` writes them and pydantic
    would accept them into float fields, and the handler's reply would then not be JSON either.
    A quick substring test keeps the common case cheap; a hit is confirmed by a real parse, so
    ``"NaN"`` inside a string is fine.

    Example:
        >>> check_finite(b'{"name": "NaNa"}', "M")
        >>> try:
        ...     check_finite(b'{"items": [{"price": NaN}]}', "M")
        ... except EventDecodeError as exc:
        ...     print(exc)
        event JSON has NaN at items[0].price, which JSON does not allow (M needs a number or null)
    """
    if isinstance(data, bytes):  # single-byte searches (memchr) first: they are nearly free
        if (78 not in data and 73 not in data) or (  # b"N", b"I": plain memchr
            b"NaN" not in data and b"Infinity" not in data
        ):
            return
    elif "NaN" not in data and "Infinity" not in data:
        return
    import json

    try:
        parsed = json.loads(data, parse_constant=_NonFinite)
    except (ValueError, RecursionError):  # not JSON at all: validation reports that
        return
    found = _find_nonfinite(parsed)
    if found is None:
        return
    *loc, name = found
    pre: tuple[Any, ...] = prefix if isinstance(prefix, tuple) else ((prefix,) if prefix else ())
    where = format_loc((*pre, *loc))
    msg = f"{name} is not allowed in JSON"
    raise EventDecodeError(
        f"event JSON has {name} at {where}, which JSON does not allow ({title} needs a number "
        "or null)",
        errors=[{"loc": (*pre, *loc), "msg": msg, "type": "json_nonfinite"}],
    )


def validate_object(
    adapter: TypeAdapter[Any],
    obj: Any,
    title: str,
    *,
    include_input: bool = False,
    prefix: Union[str, tuple[Any, ...]] = "",
) -> Any:
    """Validate an already-decoded Python object with ``adapter``, raising only fcsdk errors.

    Example:
        >>> from pydantic import TypeAdapter
        >>> validate_object(TypeAdapter(dict[str, int]), {"a": "1"}, "d")
        {'a': 1}
    """
    from pydantic import ValidationError

    if not prefix:  # a whole event: JSON-shaped, finite, acyclic, bounded in depth
        _limits.check_decoded(obj, title)
    try:
        return _limits.validate_python(adapter, obj)
    except (ValidationError, _limits._Narrowed) as exc:
        raise EventValidationError.from_pydantic(
            exc,  # type: ignore[arg-type]
            title,
            include_input=include_input,
            prefix=prefix,
        ) from (exc.exc if isinstance(exc, _limits._Narrowed) else exc)
    except RecursionError:
        raise EventDecodeError(f"event is nested too deeply for {title}") from None
    except MemoryError:
        raise _out_of_memory(obj, title) from None
    except (ValueError, TypeError, OverflowError) as exc:
        raise EventDecodeError(
            f"event could not be validated as {title}: {type(exc).__name__}"
        ) from exc


def _is_passthrough(tp: Any) -> bool:
    from typing import Any as TAny

    return tp is None or tp is TAny or tp is object


def make_decoder(
    model: Any, *, envelope: Optional[EnvelopeLike] = None, include_input: bool = False
) -> Optional[Decoder]:
    """Build the decoder for ``model`` (a type or None); None means "pass the event unchanged".

    Raises :class:`fcsdk.ConfigurationError` when pydantic cannot handle the model.

    Example:
        >>> dec = make_decoder(dict[str, int])
        >>> dec(b'{"a": 1}')
        {'a': 1}
    """
    if envelope is not None:
        if isinstance(envelope, type) and hasattr(envelope, "make_decoder"):
            cls_name = envelope.__name__
            try:  # the class (fc.envelopes.TimerEnvelope): its default instance
                envelope = envelope()
            except TypeError:
                raise ConfigurationError(
                    f"envelope={cls_name} is a class that needs options: pass an "
                    f"instance, e.g. envelope={cls_name}(...)"
                ) from None
        if not hasattr(envelope, "make_decoder"):
            raise ConfigurationError(
                f"envelope={envelope!r} is not an envelope: use one from fcsdk.envelopes or "
                "subclass fcsdk.envelopes.Envelope"
            )
        return envelope.make_decoder(model, include_input=include_input)
    if _is_passthrough(model):
        return None
    if model is bytes:
        return as_bytes
    if model is str:
        return as_text
    custom = getattr(model, "__fcsdk_decoder__", None)
    if custom is not None:
        return custom(include_input=include_input)  # type: ignore[no-any-return]
    if uses_msgspec(model):
        from ._msgspec import make_decoder as msgspec_decoder

        return msgspec_decoder(model, include_input=include_input)
    adapter = build_adapter(model)
    title = type_title(model)
    validate_json = _direct_validate_json(adapter)
    bytes_like = (bytearray, memoryview)

    def decode(event: Any) -> Any:
        tp = type(event)
        if tp is bytes or tp is str:
            return validate_bytes(adapter, event, title, include_input=include_input)
        if event is None:
            return validate_bytes(adapter, b"", title, include_input=include_input)
        if isinstance(event, bytes_like):
            return validate_bytes(adapter, bytes(event), title, include_input=include_input)
        return validate_object(adapter, event, title, include_input=include_input)

    def fail(exc: BaseException, event: Any) -> BaseException:
        """For the wrapper's fast path: classify a failed ``validate_json(event)``."""
        return decode_failure(exc, event, title, include_input=include_input)

    # The wrapper's fast path (see fcsdk._handler): validate_json straight on FC's bytes up to
    # fast_max bytes (larger events take decode(), which validates them fail-fast), with the
    # NaN/Infinity check only where the model can hold a float (elsewhere pydantic rejects
    # those tokens itself, with the field's path).
    decode.fast_max = _limits.FULL_REPORT_BYTES  # type: ignore[attr-defined]
    decode.fast_json = validate_json  # type: ignore[attr-defined]
    decode.finite_check = _may_hold_float(adapter)  # type: ignore[attr-defined]
    decode.fail = fail  # type: ignore[attr-defined]
    return decode


def _direct_validate_json(adapter: TypeAdapter[Any]) -> Callable[[Any], Any]:
    """``adapter.validate_json`` without its Python layer: the built core validator's own
    method (the layer only forwards its defaults), a third of the fixed cost per call.

    Example:
        >>> from pydantic import TypeAdapter
        >>> _direct_validate_json(TypeAdapter(list[int]))(b"[1]")
        [1]
    """
    from pydantic_core import SchemaValidator

    validator = getattr(adapter, "validator", None)
    if isinstance(validator, SchemaValidator):
        return validator.validate_json
    return adapter.validate_json  # not built yet (deferred), or wrapped by a pydantic plugin


def uses_msgspec(tp: Any) -> bool:
    """Whether ``tp`` involves a ``msgspec.Struct``: then :mod:`fcsdk._msgspec` decodes and
    encodes it, and pydantic is not imported. msgspec itself is not imported to find out: no
    Struct exists before it is.

    Example:
        >>> uses_msgspec(dict[str, int])
        False
    """
    if "msgspec" not in sys.modules:
        return False
    from ._msgspec import involves_struct

    return involves_struct(tp)


def _may_hold_float(adapter: TypeAdapter[Any]) -> bool:
    """Whether any part of the adapter's schema accepts a float (``float``, ``Any``): only
    there can JSON's forbidden ``NaN``/``Infinity`` tokens get through validation."""
    stack: list[Any] = [adapter.core_schema]
    seen = 0
    while stack and seen < 100_000:
        item = stack.pop()
        seen += 1
        if isinstance(item, dict):
            if item.get("type") in ("float", "any", "complex"):
                return True
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return bool(stack)  # a schema too large to walk: check, to be safe


def build_adapter(model: Any) -> TypeAdapter[Any]:
    """``TypeAdapter(model)``, or :class:`fcsdk.ConfigurationError` naming the model.

    Example:
        >>> build_adapter(int).validate_python("3")
        3
    """
    from pydantic import PydanticSchemaGenerationError, PydanticUserError, TypeAdapter

    try:
        return TypeAdapter(model)
    except (PydanticSchemaGenerationError, PydanticUserError, TypeError, NameError) as exc:
        raise ConfigurationError(
            f"fcsdk cannot build a validator for {type_title(model)}: {exc}. Use a pydantic "
            "model, dataclass, TypedDict or a type pydantic's TypeAdapter accepts"
        ) from exc


# -- return values ---------------------------------------------------------------------------


def pydantic_jsonable(obj: Any) -> Any:
    """``obj`` as JSON-compatible data by pydantic's serializer (models by alias, dataclasses,
    UUID, sets, enums...): a ``json.dumps`` ``default=``; ``TypeError`` when it cannot.

    Example:
        >>> import uuid
        >>> pydantic_jsonable({1, 2}), pydantic_jsonable(uuid.UUID(int=1))[-4:]
        ([1, 2], '0001')
    """
    if hasattr(type(obj), "__struct_fields__"):  # a msgspec.Struct: msgspec knows it
        from ._msgspec import _builtins

        return _builtins(obj)
    from pydantic_core import PydanticSerializationError, to_jsonable_python

    try:
        return to_jsonable_python(obj, by_alias=True)
    except PydanticSerializationError:
        raise TypeError(f"object of type {type(obj).__name__} is not JSON serializable") from None


def _fc_default(obj: Any) -> Any:
    """FC's runtime ``default=`` (:func:`fcsdk._fcbody.fc_default`), then what pydantic can
    serialize (models by alias, dataclasses, UUID, sets, enums...)."""
    return fc_default(obj, pydantic_jsonable)


def fc_json_dumps(value: Any) -> str:
    """Serialize ``value`` exactly as FC's Python runtime does (``indent=4, sort_keys=True``).

    Example:
        >>> import decimal
        >>> print(fc_json_dumps({"b": decimal.Decimal("1.5"), "a": None}))
        {
            "a": null,
            "b": 1.5
        }
    """
    import json  # here, not at the top: `import fcsdk` stays cheap (cold start)

    return json.dumps(value, indent=4, sort_keys=True, default=_fc_default)


def _bad_path(value: Any, path: tuple[Any, ...] = (), depth: int = 0) -> tuple[Any, ...]:
    """The path of the first value inside ``value`` that FC's JSON encoding rejects."""
    if depth > 200:
        return path
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, (str, int, float, bool)) and k is not None:
                return (*path, repr(type(k).__name__))
            try:
                fc_json_dumps(v)
            except (TypeError, ValueError, RecursionError):
                return _bad_path(v, (*path, str(k)), depth + 1)
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            try:
                fc_json_dumps(v)
            except (TypeError, ValueError, RecursionError):
                return _bad_path(v, (*path, i), depth + 1)
    return path


def encode_result(value: Any) -> Body:
    """Turn a handler's return value into the body FC sends.

    ``str`` and ``bytes`` pass through (subclasses as their content: a ``str`` Enum member is
    its value, as on FC); pydantic models and dataclasses become compact JSON
    bytes by alias (pydantic's serializer); everything else is serialized exactly as FC's runtime
    does (:func:`fc_json_dumps`). Unserializable values raise :class:`fcsdk.ResponseEncodeError`.

    Example:
        >>> encode_result("hi"), encode_result(b"\\x00"), encode_result(None)
        ('hi', b'\\x00', 'null')
        >>> import enum
        >>> class Color(str, enum.Enum):
        ...     RED = "red"
        >>> encode_result(Color.RED)
        'red'
    """
    tp = type(value)
    if tp is str or tp is bytes:
        return value  # type: ignore[no-any-return]
    if tp is bytearray or tp is memoryview:
        return bytes(value)
    if isinstance(value, str):  # FC's test is isinstance: a str Enum member is its value
        return str.__str__(value)
    if isinstance(value, bytes):
        return bytes(value)
    if hasattr(tp, "__struct_fields__") and not hasattr(value, "to_json"):  # a msgspec.Struct
        from ._msgspec import encode_struct

        return encode_struct(value)
    if (
        hasattr(tp, "__pydantic_serializer__") or hasattr(tp, "__dataclass_fields__")
    ) and not hasattr(value, "to_json"):  # FC would call to_json(): so does fcsdk
        from pydantic_core import PydanticSerializationError, to_json

        try:
            return to_json(value, by_alias=True)
        except PydanticSerializationError as exc:
            raise ResponseEncodeError(
                f"cannot serialize the handler's return value ({tp.__name__}) for FC: {exc}"
            ) from exc
    try:
        return fc_json_dumps(value)
    except (TypeError, ValueError, RecursionError) as exc:
        where = format_loc(_bad_path(value))
        reason = str(exc) if not isinstance(exc, RecursionError) else "nested too deeply"
        if "circular" in reason.lower():
            reason = "circular reference"
        raise ResponseEncodeError(
            f"cannot serialize the handler's return value ({tp.__name__}) for FC: {where}: {reason}"
        ) from exc


def make_encoder(
    response_model: Any = None, *, include_input: bool = False, msgspec: bool = False
) -> Encoder:
    """Build the encoder for a handler's return values (validating against ``response_model``).

    ``msgspec=True`` (a handler whose event model is msgspec's) encodes without pydantic.

    Example:
        >>> make_encoder(list[int])(["1", 2])
        b'[1,2]'
    """
    if uses_msgspec(response_model):
        from ._msgspec import make_encoder as msgspec_encoder

        return msgspec_encoder(response_model, include_input=include_input)
    if response_model is None:
        if msgspec:
            from ._msgspec import encode_result as msgspec_encode_result

            return msgspec_encode_result
        return encode_result
    adapter = build_adapter(response_model)
    title = f"response {type_title(response_model)}"

    def encode(value: Any) -> Body:
        from pydantic import ValidationError

        try:
            checked = adapter.validate_python(value)
        except ValidationError as exc:
            raise ResponseValidationError.from_pydantic(
                exc, title, include_input=include_input
            ) from exc
        if type(checked) is str or type(checked) is bytes:
            return checked  # sent as is, like a plain return
        try:
            return adapter.dump_json(checked, by_alias=True)
        except Exception as exc:
            raise ResponseEncodeError(f"cannot serialize the {title} for FC: {exc}") from exc

    return encode
