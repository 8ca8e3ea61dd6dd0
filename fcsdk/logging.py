"""Logging with the right request id, under threads and asyncio.

``@fc.handler`` (and fcsdk's runtimes) put the invocation's :class:`fcsdk.Context` in a context
variable for the duration of each call. :class:`RequestIdFilter` copies its request id onto every
log record, so formatters can use ``%(request_id)s`` and the id is correct even when many
invocations run at once in threads (FC instance concurrency) or tasks. FC's own root handler
prints ``%(fc_request_id)s`` from a process-wide global; ``@fc.handler`` makes it print the
invocation's id (:func:`ensure_patched`), keeping FC's handler and format.

Example:
    >>> import fcsdk as fc
    >>> fc.logger.name
    'fcsdk.user'
"""

from __future__ import annotations

import logging
import threading
import time
from typing import IO, TYPE_CHECKING, Any, MutableMapping, Optional, Union

from ._current import current_context

if TYPE_CHECKING:
    from .context import Context

__all__ = [
    "LOG_FORMAT_ENV",
    "FCFormatter",
    "FCLogger",
    "JSONFormatter",
    "RequestIdFilter",
    "context_logger",
    "current_context",
    "ensure_patched",
    "get_request_id",
    "logger",
    "make_formatter",
    "mask_secrets",
    "patch_handlers",
    "setup",
]


def get_request_id() -> Optional[str]:
    """The request id of the invocation running in this thread or task, or None.

    Example:
        >>> from fcsdk.logging import get_request_id
        >>> get_request_id() is None
        True
    """
    ctx = current_context.get()
    return ctx.request_id if ctx is not None else None


_MASK = "**********"


def _current_secrets() -> tuple[str, ...]:
    """Every form (raw, URL-encoded) of the access key secret and STS token this invocation
    has resolved, and of the credentials the instance knows (log lines from threads a handler
    starts have no invocation context; see :func:`fcsdk._redact.remember`)."""
    from ._redact import context_secrets, known_secrets, secret_forms

    known = known_secrets()
    ctx = current_context.get()
    mine = context_secrets(ctx) if ctx is not None else ()
    if not mine:
        return known
    forms = secret_forms(mine)
    return forms + tuple(f for f in known if f not in forms) if known else forms


def mask_secrets(text: str) -> str:
    """``text`` with the current invocation's secret and token masked, and the credentials the
    instance has seen, in every form (raw and URL-encoded); used by every fcsdk formatter, and
    by :class:`RequestIdFilter` on records of ``fc.logger``.

    Example:
        >>> mask_secrets("no invocation running: unchanged")
        'no invocation running: unchanged'
    """
    for secret in _current_secrets():
        if secret in text:
            text = text.replace(secret, _MASK)
    return text


def _mask_record(record: logging.LogRecord) -> None:
    """Render the record's message and traceback once, masked, so that any handler's
    formatter prints the masked text."""
    secrets = _current_secrets()
    if not secrets:
        return
    message = record.getMessage()
    masked = mask_secrets(message)
    if masked != message:
        record.msg, record.args = masked, None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = mask_secrets(record.exc_text)


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
        _mask_record(record)  # the invocation's secret and token never reach a handler
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
        return mask_secrets(super().format(record))


class _ContextLogger(logging.LoggerAdapter):  # type: ignore[type-arg]
    """A LoggerAdapter that adds the bound request id without dropping the caller's extra."""

    def process(
        self, msg: Any, kwargs: MutableMapping[str, Any]
    ) -> tuple[Any, MutableMapping[str, Any]]:
        extra = kwargs.get("extra")
        bound = dict(self.extra or {})
        kwargs["extra"] = {**bound, **extra} if extra else bound
        return msg, kwargs


from ._jsonlog import JSONFormatter  # noqa: E402  (it reads current_context from here)
from ._logkeys import FCLogger, get_fc_logger  # noqa: E402

#: The logger for handler code: ``fc.logger.info(...)`` carries the request id; it also has
#: ``append_keys``/``remove_keys`` (per invocation), ``configure`` and ``step`` (see FCLogger).
logger: FCLogger = get_fc_logger("fcsdk.user")
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


#: The environment variable that selects the log format: ``fc`` (default) or ``json``.
LOG_FORMAT_ENV = "FCSDK_LOG_FORMAT"

_FORMATS = {"fc": "fc", "text": "fc", "line": "fc", "json": "json"}


def _format_name(fmt: Optional[str]) -> str:
    import os

    name = fmt if fmt is not None else os.environ.get(LOG_FORMAT_ENV, "") or "fc"
    try:
        return _FORMATS[name.strip().lower()]
    except KeyError:
        from .errors import ConfigurationError

        source = "format" if fmt is not None else LOG_FORMAT_ENV
        raise ConfigurationError(
            f"unknown log format {name!r} (from {source}): use 'fc' or 'json'"
        ) from None


def make_formatter(fmt: Optional[str] = None) -> logging.Formatter:
    """The formatter for ``fmt`` (``"fc"`` or ``"json"``); None reads ``FCSDK_LOG_FORMAT``.

    Raises:
        ConfigurationError: for an unknown format name.

    Example:
        >>> from fcsdk.logging import make_formatter
        >>> type(make_formatter("json")).__name__
        'JSONFormatter'
    """
    return JSONFormatter() if _format_name(fmt) == "json" else FCFormatter()


_ID_ATTRS = ("request_id", "fc_request_id")


class _ContextIdFormatter(logging.Formatter):
    """Wraps a runtime's formatter: while an fcsdk invocation is active, the record's
    ``request_id`` is the invocation's, whatever the runtime's own code sets."""

    def __init__(self, inner: logging.Formatter) -> None:
        super().__init__()
        self.inner = inner

    def format(self, record: logging.LogRecord) -> str:
        rid = get_request_id()
        if rid is None:
            return self.inner.format(record)
        # After the handler's filters, which set FC's process-wide id: FC's built-in runtime
        # prints `%(fc_request_id)s` (reference section 5), fcsdk's own `%(request_id)s`.
        record.request_id = record.fc_request_id = rid
        text = mask_secrets(self.inner.format(record))
        for attr in _ID_ATTRS:
            written = record.__dict__.get(attr)
            if written != rid:  # the runtime's formatter wrote its own id while formatting
                setattr(record, attr, rid)
                if isinstance(written, str) and written and written in text:
                    text = text.replace(written, rid, 1)
        return text

    def formatTime(self, record: logging.LogRecord, datefmt: Optional[str] = None) -> str:
        return self.inner.formatTime(record, datefmt)


def patch_handlers(target: Optional[logging.Logger] = None) -> int:
    """Make the request id of ``target``'s handlers (default: the root logger's, which FC's
    built-in runtime installs) come from fcsdk's context variable; returns how many handlers were
    patched. FC's handler and format stay; only the id changes, and only during invocations that
    fcsdk runs (``@fc.handler``, ``fcsdk invoke``/``serve``). This fixes FC's process-global request
    id, which is wrong when several invocations run at once (instance concurrency above 1).

    Idempotent.

    Example:
        >>> import logging
        >>> from fcsdk.logging import patch_handlers
        >>> log = logging.getLogger("patch-doc")
        >>> log.addHandler(logging.StreamHandler())
        >>> patch_handlers(log), patch_handlers(log)
        (1, 0)
    """
    target = target if target is not None else logging.getLogger()
    count = 0
    for h in target.handlers:
        if getattr(h, "_fcsdk", False) or isinstance(h.formatter, _ContextIdFormatter):
            continue
        h.setFormatter(_ContextIdFormatter(h.formatter or logging.Formatter()))
        count += 1
    return count


_root = logging.getLogger()
_seen: dict[int, Any] = {}  # id(handler) -> the formatter found not to need patching
_factory_lock = threading.Lock()


def _is_runtime_handler(h: logging.Handler) -> bool:
    """A root handler whose request id fcsdk must supply: FC's own (its format prints
    ``%(fc_request_id)s``, set from a process-wide global), or, under FC (``FC_FUNC_CODE_PATH``
    set), any handler fcsdk did not add."""
    import os

    if getattr(h, "_fcsdk", False):
        return False
    fmt = getattr(h.formatter, "_fmt", None)
    return (isinstance(fmt, str) and "fc_request_id" in fmt) or bool(
        os.environ.get("FC_FUNC_CODE_PATH")
    )


def ensure_patched() -> None:
    """Patch (see :func:`patch_handlers`) the root logger's runtime handlers that appeared, or
    got a new formatter, since the last call. It runs before every log record is made (see
    :func:`patching_record_factory`; ``@fc.handler`` calls it on every invocation when another
    factory replaced that one), so FC's handler is patched whenever it was installed; the check
    costs a loop over the root logger's handlers.

    Example:
        >>> from fcsdk.logging import ensure_patched
        >>> ensure_patched()
    """
    for h in _root.handlers:
        f = h.formatter
        if type(f) is _ContextIdFormatter or _seen.get(id(h)) is f:
            continue
        if _is_runtime_handler(h):
            h.setFormatter(_ContextIdFormatter(f or logging.Formatter()))
        else:
            _seen[id(h)] = f


def patching_record_factory() -> Any:
    """Make every log record call :func:`ensure_patched` first (installed once, chaining to the
    log record factory already set), and return that factory.

    Why: a handler added to the root logger (FC's bootstrap adds its own; user code may call
    ``logging.basicConfig``) gets its request id patched before it formats any line, and an
    invocation pays nothing for it: ``@fc.handler`` checks per call only that this factory is
    still the one installed (if another library replaced it, it calls ``ensure_patched``
    itself on every invocation, as before).

    Example:
        >>> import logging
        >>> from fcsdk.logging import patching_record_factory
        >>> patching_record_factory() is logging.getLogRecordFactory()
        True
    """
    with _factory_lock:
        current = logging.getLogRecordFactory()
        if getattr(current, "_fcsdk_patching", False):
            return current
        make = current

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            ensure_patched()
            return make(*args, **kwargs)

        factory._fcsdk_patching = True  # type: ignore[attr-defined]
        logging.setLogRecordFactory(factory)
        return factory


def setup(
    fmt: Optional[str] = None,
    *,
    level: Union[int, str] = logging.INFO,
    stream: Optional[IO[str]] = None,
    target: Optional[logging.Logger] = None,
    keep_runtime: Optional[bool] = None,
) -> Optional[logging.Handler]:
    """Configure logging for FC: request ids from fcsdk's context, FC's line format or JSON.

    - ``fmt`` is ``"fc"`` or ``"json"``; None reads ``FCSDK_LOG_FORMAT`` (default ``fc``).
    - Under FC's built-in runtime (``keep_runtime``; by default: ``target``, the root logger
      unless given, has handlers fcsdk did not add and ``FC_FUNC_CODE_PATH`` is set), the ``fc``
      format keeps FC's handlers (FC ships their lines to SLS) and only patches their request id
      (see :func:`patch_handlers`); ``json`` replaces them with fcsdk's.
    - Otherwise it adds one stream handler (``stream``, default stderr) and leaves other
      handlers alone. Calling it again replaces the handler it added before.

    Returns the handler it added, or None when it kept the runtime's handlers.

    Example:
        >>> import io, logging
        >>> from fcsdk.logging import setup
        >>> buf = io.StringIO()
        >>> log = logging.getLogger("setup-doc")
        >>> _ = setup("json", stream=buf, target=log)
        >>> log.info("hello")
        >>> '"message": "hello"' in buf.getvalue()
        True
    """
    import os
    import sys

    target = target if target is not None else logging.getLogger()
    name = _format_name(fmt)
    target.setLevel(level)
    foreign = [h for h in target.handlers if not getattr(h, "_fcsdk", False)]
    for h in [h for h in target.handlers if getattr(h, "_fcsdk", False)]:
        target.removeHandler(h)
    if keep_runtime is None:
        keep_runtime = bool(foreign) and bool(os.environ.get("FC_FUNC_CODE_PATH"))
    if keep_runtime:
        if name == "fc":
            patch_handlers(target)
            return None
        for h in foreign:
            target.removeHandler(h)

    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(make_formatter(name))
    handler.addFilter(RequestIdFilter())
    handler._fcsdk = True  # type: ignore[attr-defined]
    target.addHandler(handler)
    return handler
