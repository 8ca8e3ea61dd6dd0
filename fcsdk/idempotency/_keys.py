"""Key paths (``order_id``, ``items[0].sku``, ``[0].id``): parse, check against a model at
decoration, read from an event, and hash.

Example:
    >>> parse_path("items[0].sku")
    ('items', 0, 'sku')
    >>> read_path({"items": [{"sku": "A-1"}]}, parse_path("items[0].sku"), "items[0].sku")
    'A-1'
"""

from __future__ import annotations

import hashlib
import json
import re
import typing
from typing import Any, Mapping, Sequence, Union

from ..errors import ConfigurationError
from ._errors import IdempotencyKeyError

__all__ = ["canonical", "check_path", "digest", "parse_path", "read_path"]

Path = tuple[Union[str, int], ...]

_TOKEN = re.compile(r"\.?([^.\[\]]+)|\[(\d+)\]")


def parse_path(path: str) -> Path:
    """``"items[0].sku"`` -> ``("items", 0, "sku")``.

    Raises:
        ConfigurationError: for an empty or malformed path.

    Example:
        >>> parse_path("[2].order_id")
        (2, 'order_id')
    """
    out: list[Union[str, int]] = []
    pos = 0
    while pos < len(path):
        m = _TOKEN.match(path, pos)
        if m is None or (m.group(0).startswith(".") and pos == 0):
            break
        out.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
        pos = m.end()
    if not path or pos != len(path) or not out:
        raise ConfigurationError(
            f"idempotency key path {path!r} is not a path; write field names separated by dots "
            'and list indexes in brackets, e.g. "order_id" or "items[0].sku"'
        )
    return tuple(out)


def _strip_optional(tp: Any) -> Any:
    if typing.get_origin(tp) is Union:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return tp


def _field(model: Any, name: str) -> Any:
    fields = model.model_fields
    if name in fields:
        return fields[name]
    for info in fields.values():
        if name in (info.alias, info.validation_alias):
            return info
    return None


def check_path(model: Any, path: Path, text: str) -> None:
    """Check ``path`` against ``model`` where the model says enough (pydantic models, lists,
    dicts); anything else (``dict``, ``Any``, unions) is checked per event instead.

    Raises:
        ConfigurationError: naming the path and the fields that exist.

    Example:
        >>> from pydantic import BaseModel
        >>> class Order(BaseModel):
        ...     order_id: str
        >>> check_path(Order, ("id",), "id")
        Traceback (most recent call last):
        ...
        fcsdk.errors.ConfigurationError: idempotency key path 'id': Order has no field 'id' (fields: order_id)
    """
    from pydantic import BaseModel

    tp = model
    for i, part in enumerate(path):
        tp = _strip_optional(tp)
        origin = typing.get_origin(tp) or tp
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path[:i])
        at = f" at {where.lstrip('.')}" if where else ""
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if isinstance(part, int):
                raise ConfigurationError(
                    f"idempotency key path {text!r}: {tp.__name__}{at} is a model, not a list; "
                    "use a field name there"
                )
            info = _field(tp, part)
            if info is None:
                names = ", ".join(tp.model_fields) or "none"
                raise ConfigurationError(
                    f"idempotency key path {text!r}: {tp.__name__}{at} has no field {part!r} "
                    f"(fields: {names})"
                )
            tp = info.annotation
        elif origin in (list, tuple, Sequence, typing.Sequence) or (
            isinstance(origin, type) and issubclass(origin, (list, tuple))
        ):
            if not isinstance(part, int):
                raise ConfigurationError(
                    f"idempotency key path {text!r}: the event{at} is a list; start with an "
                    f"index such as [0], or make each record idempotent with idem.function()"
                )
            args = typing.get_args(tp)
            tp = args[0] if args else Any
        elif origin in (dict, Mapping, typing.Mapping) or (
            isinstance(origin, type) and issubclass(origin, dict)
        ):
            args = typing.get_args(tp)
            tp = args[1] if len(args) == 2 else Any
        else:
            return  # not enough type information: checked per event


def read_path(event: Any, path: Path, text: str) -> Any:
    """The value at ``path`` in the decoded event (models by field name or alias, mappings by
    key, lists by index).

    Raises:
        IdempotencyKeyError: when a step is missing or the value is null or empty; the message
            names the path, never the value.

    Example:
        >>> read_path({"order_id": None}, ("order_id",), "order_id")
        Traceback (most recent call last):
        ...
        fcsdk.idempotency._errors.IdempotencyKeyError: idempotency key path 'order_id' is null in the event; send a value there (it identifies retries of the same request)
    """
    value = event
    for i, part in enumerate(path):
        found = True
        if isinstance(part, int):
            if isinstance(value, (list, tuple)) and -len(value) <= part < len(value):
                value = value[part]
            else:
                found = False
        elif isinstance(value, Mapping):
            found = part in value
            value = value.get(part)
        elif hasattr(type(value), "model_fields"):
            info = _field(type(value), part)
            name = part if part in type(value).model_fields else None
            if info is not None and name is None:
                name = next(k for k, v in type(value).model_fields.items() if v is info)
            found = name is not None
            value = getattr(value, name) if name is not None else None
        else:
            found = False
        if not found:
            where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path[: i + 1])
            raise IdempotencyKeyError(
                f"idempotency key path {text!r}: the event has no {where.lstrip('.')!r}; "
                "send the key there or change the path"
            )
    if value is None or value == "" or value == [] or value == {}:
        state = "null" if value is None else "empty"
        raise IdempotencyKeyError(
            f"idempotency key path {text!r} is {state} in the event; send a value there (it "
            "identifies retries of the same request)"
        )
    return value


def canonical(value: Any) -> bytes:
    """``value`` as canonical JSON bytes (sorted keys, compact; models by alias): equal values
    give equal bytes.

    Example:
        >>> canonical({"b": 1, "a": [1, 2]})
        b'{"a":[1,2],"b":1}'
    """
    from .._codec import pydantic_jsonable

    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=pydantic_jsonable
    ).encode("utf-8", "surrogatepass")


def digest(data: bytes) -> str:
    """SHA-256 of ``data`` as 32 hex characters (128 bits: collisions are not a concern).

    Example:
        >>> digest(b"")
        'e3b0c44298fc1c149afbf4c8996fb924'
    """
    return hashlib.sha256(data).hexdigest()[:32]
