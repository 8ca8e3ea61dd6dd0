"""FC's built-in Python runtime's logging, rebuilt as its python3.9/python3 bootstrap does it
(reference section 5; bootstrap.py of cheless/fc-runtime): the facts, written anew here.

- ONE handler on the root logger (every other root handler is dropped), writing each formatted
  record as a frame ``0xEDDBAC9B | len (4 bytes, big endian) | UTF-8 text`` to the user log;
- its formatter ``'%(asctime)s.%(msecs)03dZ %(fc_request_id)s [%(levelname)s] %(message)s\\n'``
  with ``'%Y-%m-%dT%H:%M:%S'``, and ``logging.Formatter.converter = time.gmtime`` (class-wide);
- a filter ON THE HANDLER setting ``record.fc_request_id`` from a module-global request id
  (``or ""``), which each invocation overwrites when it starts (``handle_request``);
- root level ``FC_SERVER_LOG_LEVEL`` or INFO;
- with instance concurrency above 1, per request, a ``logging.Logger(request_id)`` (outside the
  logger tree) with its own handler of the same format and a filter setting ``fc_request_id``
  to that request's id: the native ``context.logger``; invocations run in one thread each.
"""

from __future__ import annotations

import io
import logging
import re
import threading
import time
from typing import Any, Optional

FRAME_TYPE = (0xEDDBAC9B).to_bytes(4, "big")
FC_FORMAT = "%(asctime)s.%(msecs)03dZ %(fc_request_id)s [%(levelname)s] %(message)s\n"
FC_DATEFMT = "%Y-%m-%dT%H:%M:%S"
LINE = re.compile(
    r"\A(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{3})Z (\S*) \[([A-Z]+)\] (.*)\n\Z", re.DOTALL
)


class _Sink:
    """FC's user log sink: one length-prefixed frame per record."""

    def __init__(self, out: io.BytesIO) -> None:
        self.out = out

    def log(self, msg: str) -> None:
        data = msg.encode("utf8")
        self.out.write(FRAME_TYPE + len(data).to_bytes(4, "big") + data)


class _FCHandler(logging.Handler):
    def __init__(self, sink: _Sink) -> None:
        logging.Handler.__init__(self)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.log(self.format(record))


class FCBootstrapLogging:
    """Install (and later remove) FC's logging on the root logger; simulate its invocations."""

    def __init__(self) -> None:
        self.out = io.BytesIO()
        self.global_request_id: Optional[str] = None
        self._saved: Any = None

    # -- what init_fc_user_logger / init_context_logger do ---------------------------------
    def _handler(self, flt: logging.Filter) -> _FCHandler:
        handler = _FCHandler(_Sink(self.out))
        handler.setFormatter(logging.Formatter(FC_FORMAT, FC_DATEFMT))
        handler.addFilter(flt)
        return handler

    def install(self) -> _FCHandler:
        fixture = self

        class GlobalFilter(logging.Filter):  # FC: from the process-wide global
            def filter(self, record: logging.LogRecord) -> bool:
                record.fc_request_id = fixture.global_request_id or ""
                return True

        root = logging.getLogger()
        self._saved = (list(root.handlers), root.level, logging.Formatter.converter)
        self.root_handler = self._handler(GlobalFilter())
        logging.Formatter.converter = time.gmtime  # type: ignore[assignment]
        root.handlers = []
        root.addHandler(self.root_handler)
        root.setLevel("INFO")
        return self.root_handler

    def uninstall(self) -> None:
        root = logging.getLogger()
        handlers, level, converter = self._saved
        root.handlers = handlers
        root.setLevel(level)
        logging.Formatter.converter = converter

    def context_logger(self, request_id: str) -> logging.Logger:
        class ContextFilter(logging.Filter):  # FC: the request's own id
            def filter(self, record: logging.LogRecord) -> bool:
                record.fc_request_id = request_id
                return True

        logger = logging.Logger(request_id)
        logger.handlers = []
        logger.addHandler(self._handler(ContextFilter()))
        logger.setLevel("INFO")
        return logger

    # -- what handle_request does (instance concurrency above 1) ---------------------------
    def native_context(self, request_id: str) -> Any:
        return NativeFCContext(request_id, self.context_logger(request_id))

    def start(self, request_id: str) -> Any:
        """An invocation starts: FC sets the global, then builds the native context."""
        self.global_request_id = request_id
        return self.native_context(request_id)

    # -- reading the user log ---------------------------------------------------------------
    def lines(self) -> list[tuple[str, str, str, str, str]]:
        """Each frame's text, parsed as FC's line (asserting the framing and the format)."""
        data, out, pos = self.out.getvalue(), [], 0
        while pos < len(data):
            assert data[pos : pos + 4] == FRAME_TYPE
            size = int.from_bytes(data[pos + 4 : pos + 8], "big")
            text = data[pos + 8 : pos + 8 + size].decode("utf8")
            pos += 8 + size
            match = LINE.match(text)
            assert match is not None, text
            out.append(match.groups())
        return out


class _Credentials:
    def __init__(self) -> None:
        self.access_key_id = self.access_key_secret = self.security_token = ""


class _Function:
    def __init__(self) -> None:
        self.name, self.handler, self.memory, self.timeout = "f", "index.handler", 128, "3"


class _Service:
    def __init__(self) -> None:
        self.name = self.log_project = self.log_store = self.qualifier = self.version_id = ""


class NativeFCContext:
    """The attributes of FC's native context (shape A) the bootstrap passes to handlers."""

    def __init__(self, request_id: str, logger: Optional[logging.Logger]) -> None:
        self.request_id = request_id
        self.account_id = "123"
        self.credentials = _Credentials()
        self.function = _Function()
        self.service = _Service()
        self.region = "cn-hangzhou"
        self.tracing = None
        self.logger = logger
        self.retry_count = 0

    def getLogger(self) -> logging.Logger:
        return self.logger if self.logger is not None else logging.getLogger()


def run_in_threads(fc_log: FCBootstrapLogging, handler: Any, ids: list[str]) -> list[Any]:
    """Invoke ``handler`` once per id, each in its own thread as FC does at concurrency > 1."""
    results: list[Any] = [None] * len(ids)
    errors: list[BaseException] = []

    def invoke(i: int, rid: str) -> None:
        try:
            results[i] = handler(b"{}", fc_log.start(rid))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=invoke, args=(i, r)) for i, r in enumerate(ids)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    return results
