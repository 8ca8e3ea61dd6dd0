"""The JSON log format (``FCSDK_LOG_FORMAT=json``): one object a line, for SLS indexing.

Fields, in this order (:data:`JSON_FIELDS`; ``docs/notes/observability.md`` gives the SLS index
for them): ``time`` (UTC, milliseconds), ``level``, ``message``, ``logger``, ``location``
(``module:function:line``), ``request_id``, ``function_name``, ``function_qualifier``,
``function_version``, ``instance_id``, ``cold_start``, then ``exception`` (``type``,
``message``, ``stack``) when the record has one, then the keys of ``fc.logger.append_keys`` and
the record's ``extra`` fields. The invocation's access key secret and STS token are masked
everywhere, and values of secret-looking keys (``password``, ``token``...) in keys and extras.
"""

from __future__ import annotations

import json
import logging
import os
import time
import traceback
from typing import Any, Optional

from ._coldstart import is_cold_start

__all__ = ["EXCEPTION_FIELDS", "JSON_FIELDS", "JSONFormatter"]

#: The fields every JSON record has, in order.
JSON_FIELDS = (
    "time",
    "level",
    "message",
    "logger",
    "location",
    "request_id",
    "function_name",
    "function_qualifier",
    "function_version",
    "instance_id",
    "cold_start",
)
#: The fields of ``exception`` (present when the record carries one).
EXCEPTION_FIELDS = ("type", "message", "stack")

_RESERVED = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys()
    | {"message", "asctime", "request_id", "taskName", "fc_request_id", "fcsdk_event"}
)


def _env_function() -> tuple[Optional[str], Optional[str], Optional[str], Optional[str]]:
    env = os.environ
    return (
        env.get("FC_FUNCTION_NAME") or None,
        env.get("FC_QUALIFIER") or None,
        env.get("FC_FUNCTION_VERSION") or env.get("FC_VER_ID") or None,
        env.get("FC_INSTANCE_ID") or None,
    )


class JSONFormatter(logging.Formatter):
    """One JSON object a line with the fields of :data:`JSON_FIELDS`, ``exception`` when there
    is one, the appended keys and any ``extra`` fields.

    Example:
        >>> import json, logging
        >>> from fcsdk.logging import JSONFormatter
        >>> rec = logging.LogRecord("app", logging.INFO, "/code/index.py", 7, "hi %s", ("you",), None, func="handler")
        >>> rec.module, rec.request_id = "index", "r-1"
        >>> out = json.loads(JSONFormatter().format(rec))
        >>> out["message"], out["location"], out["request_id"]
        ('hi you', 'index:handler:7', 'r-1')
    """

    def format(self, record: logging.LogRecord) -> str:
        ctx = _fclog.current_context.get()
        rid = getattr(record, "request_id", None)
        if rid is None or rid == "-":
            rid = ctx.request_id if ctx is not None else None
        if ctx is not None:
            fn = ctx.function
            name, qualifier, version = fn.name, fn.qualifier, fn.version_id
            instance: Optional[str] = ctx.instance_id
            cold: Optional[bool] = is_cold_start(ctx)
        else:
            name, qualifier, version, instance = _env_function()
            cold = None
        out: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
            "location": f"{record.module}:{record.funcName}:{record.lineno}",
            "request_id": rid,
            "function_name": name,
            "function_qualifier": qualifier,
            "function_version": version,
            "instance_id": instance,
            "cold_start": cold,
        }
        if record.exc_info and record.exc_info[0] is not None:
            etype, exc, tb = record.exc_info
            out["exception"] = {
                "type": etype.__name__,
                "message": str(exc),
                "stack": record.exc_text or "".join(traceback.format_exception(etype, exc, tb)),
            }
        elif record.exc_text:
            out["exception"] = {"type": None, "message": None, "stack": record.exc_text}
        if record.stack_info:
            out["stack_info"] = record.stack_info
        event = record.__dict__.get("fcsdk_event", _RESERVED)
        if event is not _RESERVED:
            out["message"] = "incoming event"
            out["event"] = event
        extra: dict[str, Any] = current_keys()
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                extra[key] = value
        if extra:
            from ._logstep import mask_fields

            configured = _fclog.logger.mask_fields
            for key, value in mask_fields(extra, configured).items():
                if key not in out:  # a key never replaces a standard field
                    out[key] = value
        try:
            text = json.dumps(out, default=str, ensure_ascii=False, allow_nan=False)
        except ValueError:  # NaN/Infinity: JSON has no such tokens, SLS would not parse the line
            text = json.dumps(_finite(out), default=str, ensure_ascii=False)
        return _fclog.mask_secrets(text)


def _finite(value: Any, depth: int = 0) -> Any:
    """``value`` with non-finite floats as strings (``"NaN"``, ``"Infinity"``, ``"-Infinity"``).

    Example:
        >>> _finite({"a": [float("nan"), 1.5], "b": float("-inf")})
        {'a': ['NaN', 1.5], 'b': '-Infinity'}
    """
    if isinstance(value, float):
        if value != value:
            return "NaN"
        if value in (float("inf"), float("-inf")):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    if depth > 64:
        return str(value)
    if isinstance(value, dict):
        return {k: _finite(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v, depth + 1) for v in value]
    return value


# Last, so that importing this module first (``import fcsdk._jsonlog``) works: fcsdk.logging
# imports JSONFormatter from here while it initializes, and _logkeys imports fcsdk.logging.
from . import logging as _fclog  # noqa: E402
from ._logkeys import current_keys  # noqa: E402
