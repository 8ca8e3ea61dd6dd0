"""How ``idem.function`` stores a result and gives it back on a replay.

Example:
    >>> encode_value({"a": 1})
    ('j', b'{\\n    "a": 1\\n}')
    >>> encode_value(b"\\x00")
    ('b', b'\\x00')
"""

from __future__ import annotations

import json
import typing
from typing import Any, Callable

from ._store import Record

__all__ = ["decoder_for", "encode_value"]


def encode_value(value: Any) -> tuple[str, bytes]:
    """``(kind, body)``: ``str`` and ``bytes`` as they are, anything else as the JSON FC's body
    rules make of it (pydantic models by alias; unserializable values raise
    :class:`fcsdk.ResponseEncodeError`).

    Example:
        >>> encode_value("x")
        ('s', b'x')
    """
    from .._codec import encode_result

    if type(value) is str:
        return "s", value.encode("utf-8", "surrogatepass")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "b", bytes(value)
    body = encode_result(value)
    return "j", body if isinstance(body, bytes) else body.encode("utf-8", "surrogatepass")


def decoder_for(func: Callable[..., Any]) -> Callable[[Record], Any]:
    """The replay decoder of ``func``'s results: JSON validated as its return annotation when
    it has one pydantic can build (else plain JSON values).

    Example:
        >>> def f() -> int: ...
        >>> decoder_for(f)(Record("C", 0, "t" * 32, "", "j", b"7"))
        7
    """
    adapter: Any = None
    try:
        hints = typing.get_type_hints(func)
    except Exception:
        hints = {}
    ann = hints.get("return")
    if ann is not None and ann is not Any and ann is not type(None):
        from pydantic import TypeAdapter

        try:
            adapter = TypeAdapter(ann)
        except Exception:
            adapter = None

    def decode(record: Record) -> Any:
        if record.kind == "b":
            return record.body
        if record.kind == "s":
            return record.text()
        if adapter is not None:
            return adapter.validate_json(record.body)
        return json.loads(record.body)

    return decode
