"""Logging with the right request id, under threads and asyncio.

``@fc.handler`` (and fcsdk's runtimes) put the invocation's :class:`fcsdk.Context` in a context
variable for the duration of each call. :class:`RequestIdFilter` copies its request id onto every
log record, so formatters can use ``%(request_id)s`` and the id is correct even when many
invocations run at once in threads (FC instance concurrency) or tasks.

Example:
    >>> import fcsdk as fc
    >>> fc.logger.name
    'fcsdk.user'
"""

from __future__ import annotations

import contextvars
import json
import logging
import time
import traceback
from typing import TYPE_CHECKING, Any, MutableMapping, Optional

if TYPE_CHECKING:
    from .context import Context

__all__ = [
    "FCFormatter",
    "JSONFormatter",
    "RequestIdFilter",
    "context_logger",
    "current_context",
    "get_request_id",
    "logger",
]

#: The context of the invocation running in this thread or task.
current_context: contextvars.ContextVar[Optional[Context]] = contextvars.ContextVar(
    "fcsdk_current_context", default=None
)


def get_request_id() -> Optional[str]:
    """The request id of the invocation running in this thread or task, or None.

    Example:
        >>> from fcsdk.logging import get_request_id
        >>> get_request_id() is None
        True
    """
    ctx = current_context.get()
    return ctx.request_id if ctx is not None else None


class RequestIdFilter(logging.Filter):
    """Sets ``record.request_id`` (when the record has none) from the current invocation.

    Example:
        >>> import logging
        >>> from fcsdk.logging import RequestIdFilter
        >>> handler = logging.StreamHandler()
        >>> handler.addFilter(RequestIdFilter())
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = get_request_id() or "-"
        return True


class FCFormatter(logging.Formatter):
    """FC's line format: ``2024-01-02T03:04:05.678Z <request-id> [INFO] message`` (UTC).

    Example:
        >>> import logging
        >>> from fcsdk.logging import FCFormatter
        >>> rec = logging.LogRecord("x", logging.INFO, __file__, 1, "hi", None, None)
        >>> rec.created, rec.msecs, rec.request_id = 0.0, 5.0, "r-1"
        >>> FCFormatter().format(rec)
        '1970-01-01T00:00:00.005Z r-1 [INFO] hi'
    """

    converter = time.gmtime  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__(
            "%(asctime)s.%(msecs)03dZ %(request_id)s [%(levelname)s] %(message)s",
            datefmt="%Y-%m-%dT%H:%M:%S",
        )

    def format(self, record: logging.LogRecord) -> str:
        if getattr(record, "request_id", None) is None:
            record.request_id = get_request_id() or "-"
        return super().format(record)


_RESERVED = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys()
    | {"message", "asctime", "request_id", "taskName"}
)


class JSONFormatter(logging.Formatter):
    """One JSON object a line, for SLS indexing: ``time``, ``level``, ``request_id``, ``logger``,
    ``message``, ``exception`` (when there is one) and any ``extra`` fields.

    Example:
        >>> import json, logging
        >>> from fcsdk.logging import JSONFormatter
        >>> rec = logging.LogRecord("app", logging.INFO, __file__, 1, "hi %s", ("you",), None)
        >>> rec.request_id = "r-1"
        >>> json.loads(JSONFormatter().format(rec))["message"]
        'hi you'
    """

    def format(self, record: logging.LogRecord) -> str:
        rid = getattr(record, "request_id", None) or get_request_id()
        out: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "request_id": rid,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            out["exception"] = "".join(traceback.format_exception(*record.exc_info))
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                out[key] = value
        return json.dumps(out, default=str, ensure_ascii=False)


class _ContextLogger(logging.LoggerAdapter):  # type: ignore[type-arg]
    """A LoggerAdapter that adds the bound request id without dropping the caller's extra."""

    def process(
        self, msg: Any, kwargs: MutableMapping[str, Any]
    ) -> tuple[Any, MutableMapping[str, Any]]:
        extra = kwargs.get("extra")
        bound = dict(self.extra or {})
        kwargs["extra"] = {**bound, **extra} if extra else bound
        return msg, kwargs


#: The logger for handler code: ``fc.logger.info(...)`` carries the request id.
logger = logging.getLogger("fcsdk.user")
logger.addFilter(RequestIdFilter())


def context_logger(ctx: Context) -> logging.LoggerAdapter[logging.Logger]:
    """A logger bound to ``ctx``'s request id (what ``context.logger`` returns).

    Example:
        >>> import fcsdk as fc
        >>> log = fc.Context.of({"x-fc-request-id": "r-9"}).logger
        >>> log.extra["request_id"]
        'r-9'
    """
    return _ContextLogger(logger, {"request_id": ctx.request_id})
