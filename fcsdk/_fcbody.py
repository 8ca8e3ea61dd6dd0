"""The body FC's built-in Python runtime makes of a raw (undecorated) handler's return value.

One implementation, shared by the core (:func:`fcsdk._codec.fc_json_dumps`), ``fcsdk invoke`` /
``fcsdk serve`` (:mod:`fcsdk.runtime.invoke`) and :func:`fcsdk.testing.invoke`:

- ``str``: UTF-8; ``bytes``: as is;
- anything else: ``json.dumps(value, indent=4, sort_keys=True, default=...)`` where the default
  turns ``Decimal`` into float, ``date``/``datetime`` into ``isoformat()`` and calls ``to_json()``;
  nothing more, so a pydantic model returned by a raw handler fails here as it fails on FC.

Example:
    >>> encode_body({"b": 1, "a": None})
    b'{\\n    "a": null,\\n    "b": 1\\n}'
"""

from __future__ import annotations

from typing import Any, Callable, Optional

__all__ = ["encode_body", "fc_default", "fc_dumps"]


def fc_default(obj: Any, fallback: Optional[Callable[[Any], Any]] = None) -> Any:
    """FC's runtime ``default=`` for ``json.dumps``; ``fallback`` (if given) handles the rest.

    Raises:
        TypeError: for a value FC cannot serialize (and no ``fallback``), with FC's message
            ``repr(obj) + " is not JSON serializable"``.

    Example:
        >>> import decimal
        >>> fc_default(decimal.Decimal("1.5"))
        1.5
    """
    import datetime  # here, not at the top: `import fcsdk` stays cheap (cold start)
    import decimal

    if isinstance(obj, decimal.Decimal):
        return float(obj)
    if isinstance(obj, (datetime.date, datetime.datetime)):
        return obj.isoformat()
    if hasattr(obj, "to_json"):  # FC calls it whatever it is
        return obj.to_json()
    if fallback is not None:
        return fallback(obj)
    raise TypeError(repr(obj) + " is not JSON serializable")  # FC's message


def fc_dumps(value: Any) -> str:
    """``json.dumps`` exactly as FC's runtime calls it: ``indent=4, sort_keys=True`` and FC's
    ``default``; a value FC cannot serialize raises ``TypeError``.

    Example:
        >>> fc_dumps([1, None])
        '[\\n    1,\\n    null\\n]'
    """
    import json

    return json.dumps(value, indent=4, sort_keys=True, default=fc_default)


def encode_body(value: Any) -> bytes:
    """The body FC's built-in runtime sends for a raw handler's return value.

    Raises:
        TypeError: for values FC cannot serialize (FC reports a ``TypeError`` too).
        UnicodeEncodeError: for a ``str`` that is not valid Unicode text (a lone surrogate),
            which FC's UTF-8 encoding refuses too.

    Example:
        >>> encode_body("é"), encode_body(b"\\x00"), encode_body(None)
        (b'\\xc3\\xa9', b'\\x00', b'null')
    """
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    return fc_dumps(value).encode("utf-8")
