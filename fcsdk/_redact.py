"""Keep the invocation's secrets out of exceptions that escape a handler.

FC reports an unhandled exception as ``{"errorMessage": str(exc), ...}`` in the console and the
logs. Third-party errors sometimes quote what they were given: an OSS ``SignatureDoesNotMatch``
error carries the string-to-sign, which includes the STS security token, and oss2 puts it into
``str(exc)``. Before such an exception leaves ``@fc.handler``, every occurrence of the
invocation's access key secret and security token in its ``args`` and attributes (and those of
its ``__cause__``/``__context__`` chain) is replaced by a mask. Only known secret values are
replaced; nothing else about the exception changes (its type, and so FC's ``errorType``, stays).
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

__all__ = ["MASK", "redact_exception", "redact_value"]

MASK = "**********"
_MAX_DEPTH = 6
_MIN_SECRET_LEN = 6  # shorter values would mask innocent text; real secrets are far longer


def redact_value(value: Any, secrets: tuple[str, ...], depth: int = 0) -> Any:
    """``value`` with every secret masked: str, bytes, and containers of them, bounded in depth.

    Example:
        >>> redact_value({"msg": ["token=abcdefgh"]}, ("abcdefgh",))
        {'msg': ['token=**********']}
    """
    if isinstance(value, str):
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, MASK)
        return value
    if isinstance(value, (bytes, bytearray)):
        data = bytes(value)
        for secret in secrets:
            raw = secret.encode("utf-8")
            if raw in data:
                data = data.replace(raw, MASK.encode())
        return data if isinstance(value, bytes) or data != bytes(value) else value
    if depth >= _MAX_DEPTH:
        return value
    if isinstance(value, dict):
        return {k: redact_value(v, secrets, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        items = [redact_value(v, secrets, depth + 1) for v in value]
        return items if isinstance(value, list) else tuple(items)
    return value


def redact_exception(exc: BaseException, secrets: tuple[str, ...]) -> None:
    """Mask ``secrets`` in place in ``exc``'s args and attributes, and in its chain.

    Example:
        >>> err = ValueError("bad token abcdefgh")
        >>> redact_exception(err, ("abcdefgh",))
        >>> str(err)
        'bad token **********'
    """
    secrets = tuple(s for s in secrets if s and len(s) >= _MIN_SECRET_LEN)
    if not secrets:
        return
    seen: set[int] = set()
    current: list[BaseException] = [exc]
    while current and len(seen) < 64:
        e = current.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        with suppress(Exception):  # an exception type with read-only args keeps them
            e.args = tuple(redact_value(a, secrets) for a in e.args)
        for name, attr in list(getattr(e, "__dict__", {}).items()):
            masked = redact_value(attr, secrets)
            if masked is not attr:
                with suppress(Exception):
                    setattr(e, name, masked)
        current.extend(c for c in (e.__cause__, e.__context__) if c is not None)
        members = getattr(e, "exceptions", None)  # an ExceptionGroup's members
        if isinstance(members, (tuple, list)):
            current.extend(m for m in members if isinstance(m, BaseException))
