"""``fc.logger``: a :class:`logging.Logger` with per-invocation keys, debug sampling and a
per-invocation debug buffer.

Everything per invocation lives in the invocation's :class:`fcsdk.Context`, which ``@fc.handler``
(and every fcsdk runtime) holds in the :data:`fcsdk.logging.current_context` context variable
for exactly the duration of the call: keys appended during one invocation can never be seen by
the next one or by one running beside it in another thread or task, and nothing has to be reset.
Keys appended outside any invocation (at import time) apply to every record of the process.

Example:
    >>> import fcsdk as fc
    >>> isinstance(fc.logger, FCLogger), fc.logger.name
    (True, 'fcsdk.user')
"""

from __future__ import annotations

import logging
import os
import threading
from collections import deque
from typing import TYPE_CHECKING, Any, Optional, Sequence

if TYPE_CHECKING:
    from .context import Context
    from .steps import Step

__all__ = ["SAMPLE_RATE_ENV", "FCLogger", "current_keys", "get_fc_logger"]

#: The environment variable with the default debug sample rate (0.0 to 1.0).
SAMPLE_RATE_ENV = "FCSDK_LOG_SAMPLE_RATE"

_KEYS = "fcsdk.log_keys"
_SAMPLED = "fcsdk.log_sampled"
_BUFFER = "fcsdk.log_buffer"
_REMOVED: Any = object()  # an invocation's marker for a process key it removed

_process_keys: dict[str, Any] = {}
_process_lock = threading.Lock()


def current_keys() -> dict[str, Any]:
    """The keys appended for the current invocation (over those appended at process level).

    Example:
        >>> current_keys()
        {}
    """
    ctx = _fclog.current_context.get()
    own = ctx._cache.get(_KEYS) if ctx is not None else None
    if not own:
        return dict(_process_keys) if _process_keys else {}
    merged = dict(_process_keys)
    for k, v in own.items():
        if v is _REMOVED:
            merged.pop(k, None)
        else:
            merged[k] = v
    return merged


def _sample_rate_from_env() -> float:
    """``FCSDK_LOG_SAMPLE_RATE``, read once when sampling is first decided; a value that is not a
    rate from 0 to 1 is reported once on the ``fcsdk`` logger and read as 0 (a logging call
    must not fail the invocation)."""
    text = os.environ.get(SAMPLE_RATE_ENV, "").strip()
    if not text:
        return 0.0
    try:
        rate = float(text)
    except ValueError:
        rate = -1.0
    if not 0.0 <= rate <= 1.0:
        logging.getLogger("fcsdk").warning(
            "%s=%r is not a rate: use a number from 0.0 to 1.0 (sampling stays off)",
            SAMPLE_RATE_ENV,
            text,
        )
        return 0.0
    return rate


class FCLogger(logging.Logger):
    """The logger behind ``fc.logger``: a plain :class:`logging.Logger` plus
    :meth:`append_keys`, :meth:`remove_keys`, :meth:`configure` and :meth:`step`.

    Example:
        >>> import fcsdk as fc
        >>> fc.logger.append_keys(order_id="o-1")  # no invocation running: process-wide
        >>> fc.logger.get_keys()
        {'order_id': 'o-1'}
        >>> fc.logger.remove_keys("order_id")
        >>> fc.logger.get_keys()
        {}
    """

    _sample_rate: Optional[float] = None  # None: not set yet, FCSDK_LOG_SAMPLE_RATE decides
    buffer_debug: bool = False
    buffer_size: int = 1000
    mask_fields: tuple[str, ...] = ()

    @property
    def sample_rate(self) -> float:
        """The share of invocations whose DEBUG lines are written (see :meth:`configure`).

        Example:
            >>> import fcsdk as fc
            >>> 0.0 <= fc.logger.sample_rate <= 1.0
            True
        """
        rate = self._sample_rate
        if rate is None:
            rate = self._sample_rate = _sample_rate_from_env()
        return rate

    @sample_rate.setter
    def sample_rate(self, rate: float) -> None:
        self._sample_rate = rate

    def append_keys(self, **keys: Any) -> None:
        """Add ``keys`` to every JSON record of the current invocation (of the process when no
        invocation is running).

        Example:
            >>> import fcsdk as fc
            >>> @fc.handler
            ... def handler(event: dict, context: fc.Context) -> dict:
            ...     fc.logger.append_keys(user=event["user"])
            ...     return fc.logger.get_keys()
            >>> print(handler(b'{"user": "ann"}', None))
            {
                "user": "ann"
            }
            >>> fc.logger.get_keys()  # gone with the invocation
            {}
        """
        ctx = _fclog.current_context.get()
        if ctx is None:
            with _process_lock:
                _process_keys.update(keys)
            return
        own = ctx._cache.get(_KEYS)
        if own is None:
            own = ctx._cache[_KEYS] = {}
        own.update(keys)

    def remove_keys(self, *names: str) -> None:
        """Remove keys (missing names are ignored); inside an invocation, keys appended at
        process level are hidden for this invocation only.

        Example:
            >>> import fcsdk as fc
            >>> fc.logger.append_keys(a=1, b=2)
            >>> fc.logger.remove_keys("a", "b", "never-added")
            >>> fc.logger.get_keys()
            {}
        """
        ctx = _fclog.current_context.get()
        if ctx is None:
            with _process_lock:
                for name in names:
                    _process_keys.pop(name, None)
            return
        own = ctx._cache.get(_KEYS)
        if own is None:
            own = ctx._cache[_KEYS] = {}
        for name in names:
            if name in _process_keys:
                own[name] = _REMOVED
            else:
                own.pop(name, None)

    def get_keys(self) -> dict[str, Any]:
        """The keys the current record would carry (a copy).

        Example:
            >>> import fcsdk as fc
            >>> fc.logger.get_keys()
            {}
        """
        return current_keys()

    def configure(
        self,
        *,
        sample_rate: Optional[float] = None,
        buffer_debug: Optional[bool] = None,
        buffer_size: Optional[int] = None,
        mask_fields: Optional[Sequence[str]] = None,
    ) -> None:
        """Set the logger's options (process-wide; what they act on is per invocation).

        Parameters:
            sample_rate: the share of invocations (0.0 to 1.0) whose DEBUG lines are written
                whatever the level; decided once per invocation. Default ``FCSDK_LOG_SAMPLE_RATE``.
            buffer_debug: hold DEBUG lines of ``fc.logger`` per invocation and write them only if
                the invocation fails (see :meth:`step`) or logs an ERROR; drop them otherwise.
            buffer_size: the most lines held per invocation (the oldest are dropped).
            mask_fields: key names (any depth, any case) masked in logged events and extras,
                added to the defaults (password, secret, token, authorization...).

        Raises:
            ConfigurationError: for a rate outside 0..1 or a size below 1.

        Example:
            >>> import fcsdk as fc
            >>> fc.logger.configure(sample_rate=2)
            Traceback (most recent call last):
            ...
            fcsdk.errors.ConfigurationError: sample_rate=2 is not a rate: use a number from 0.0 to 1.0
        """
        from .errors import ConfigurationError

        if sample_rate is not None:
            if isinstance(sample_rate, bool) or not 0.0 <= sample_rate <= 1.0:
                raise ConfigurationError(
                    f"sample_rate={sample_rate!r} is not a rate: use a number from 0.0 to 1.0"
                )
            self.sample_rate = float(sample_rate)
        if buffer_size is not None:
            if isinstance(buffer_size, bool) or buffer_size < 1:
                raise ConfigurationError(f"buffer_size={buffer_size!r}: use a count of 1 or more")
            self.buffer_size = int(buffer_size)
        if buffer_debug is not None:
            self.buffer_debug = bool(buffer_debug)
        if mask_fields is not None:
            if isinstance(mask_fields, str):
                raise ConfigurationError("mask_fields must be a list of key names, not one str")
            self.mask_fields = tuple(str(f) for f in mask_fields)

    # -- sampling and buffering -----------------------------------------------------------------

    def _sampled(self, ctx: Context) -> bool:
        cache = ctx._cache
        sampled = cache.get(_SAMPLED)
        if sampled is None:
            import random  # only when sampling is on: keeps `import fcsdk` cheap

            rate = self.sample_rate
            sampled = cache[_SAMPLED] = rate > 0.0 and random.random() < rate
        return bool(sampled)

    def isEnabledFor(self, level: int) -> bool:
        if super().isEnabledFor(level):
            return True
        if level < logging.DEBUG or self.disabled:
            return False
        ctx = _fclog.current_context.get()
        if ctx is None:
            return False
        if self.buffer_debug and level < logging.INFO:
            return True
        return self.sample_rate > 0.0 and self._sampled(ctx)

    def handle(self, record: logging.LogRecord) -> None:
        ctx = _fclog.current_context.get()
        if ctx is not None and self.buffer_debug:
            if record.levelno < logging.INFO and not self._sampled(ctx):
                buf = ctx._cache.get(_BUFFER)
                if buf is None:
                    buf = ctx._cache[_BUFFER] = deque(maxlen=self.buffer_size)
                buf.append(record)
                return
            if record.levelno >= logging.ERROR:
                self.flush_buffer()
        super().handle(record)

    def flush_buffer(self) -> int:
        """Write the current invocation's buffered DEBUG lines now; returns how many.

        Example:
            >>> import fcsdk as fc
            >>> fc.logger.flush_buffer()
            0
        """
        ctx = _fclog.current_context.get()
        buf = ctx._cache.pop(_BUFFER, None) if ctx is not None else None
        if not buf:
            return 0
        for record in buf:
            super().handle(record)
        return len(buf)

    def clear_buffer(self) -> None:
        """Drop the current invocation's buffered DEBUG lines.

        Example:
            >>> import fcsdk as fc
            >>> fc.logger.clear_buffer()
        """
        ctx = _fclog.current_context.get()
        if ctx is not None:
            ctx._cache.pop(_BUFFER, None)

    def step(
        self, *, log_event: bool = False, mask: Sequence[str] = (), max_event_bytes: int = 8192
    ) -> Step:
        """The step for ``@fc.handler(steps=[...])`` that logs the event (``log_event``) and
        writes the buffered DEBUG lines when the invocation fails (``log_event=True`` on
        ``@fc.handler`` appends ``fc.logger.step(log_event=True)``).

        Parameters:
            log_event: log the incoming event once, at INFO, with masked fields.
            mask: more key names to mask in the event (see :meth:`configure`).
            max_event_bytes: the most bytes of the event logged; a larger one is cut there and
                marked ``... [cut: N bytes in all]`` (secret-looking keys still masked).

        Raises:
            ConfigurationError: ``max_event_bytes`` is not a positive int.

        Example:
            >>> import fcsdk as fc
            >>> @fc.handler(steps=[fc.logger.step()])
            ... def handler(event: dict) -> str:
            ...     return "ok"
            >>> handler(b"{}", None)
            'ok'
        """
        from ._logstep import LoggerStep

        return LoggerStep(
            self, log_event=log_event, mask=tuple(mask), max_event_bytes=max_event_bytes
        )


def get_fc_logger(name: str) -> FCLogger:
    """The :class:`FCLogger` registered under ``name`` in :mod:`logging` (so
    ``logging.getLogger(name)`` returns the same object).

    Example:
        >>> import logging
        >>> log = get_fc_logger("fcsdk-doc.keys")
        >>> logging.getLogger("fcsdk-doc.keys") is log, type(log).__name__
        (True, 'FCLogger')
    """
    manager = logging.Logger.manager
    lock = logging._lock  # type: ignore[attr-defined]  # the logging module's RLock
    with lock:
        existing = manager.loggerDict.get(name)
        if isinstance(existing, logging.Logger):
            if not isinstance(existing, FCLogger):
                existing.__class__ = FCLogger  # created before fcsdk: same object, new methods
            return existing  # type: ignore[return-value]
        previous = manager.loggerClass
        manager.loggerClass = FCLogger
        try:
            log = manager.getLogger(name)
        finally:
            manager.loggerClass = previous
    assert isinstance(log, FCLogger)
    return log


# Last, so that importing this module first (``import fcsdk._logkeys``) works: fcsdk.logging
# imports FCLogger from here while it initializes.
from . import logging as _fclog  # noqa: E402
