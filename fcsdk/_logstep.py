"""The logging step: log the incoming event once (masked) and write the invocation's buffered
DEBUG lines when it fails. ``@fc.handler(log_event=True)`` appends one; see
:meth:`fcsdk.logging.FCLogger.step`."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from . import logging as _fclog
from ._redact import MASK

if TYPE_CHECKING:
    from ._logkeys import FCLogger
    from .steps import Invocation

__all__ = ["DEFAULT_MASKED", "LoggerStep", "mask_fields"]

#: Key names masked by default, compared without case, ``-`` or ``_``; a key also matches when
#: it ends with one of them (``client_secret``, ``x-fc-security-token``, ``refreshToken``).
DEFAULT_MASKED = (
    "password",
    "passwd",
    "secret",
    "token",
    "authorization",
    "cookie",
    "apikey",
    "accesskeysecret",
    "signature",
    "credentials",
)
_MAX_DEPTH = 32


def _norm(name: str) -> str:
    return name.lower().replace("-", "").replace("_", "")


def mask_fields(value: Any, extra: tuple[str, ...] = (), depth: int = 0) -> Any:
    """``value`` (JSON-like) with the values of secret-looking keys replaced by a mask.

    Example:
        >>> mask_fields({"user": "ann", "auth": {"password": "x", "client_secret": "y"}, "pin": 1}, ("pin",))
        {'user': 'ann', 'auth': {'password': '**********', 'client_secret': '**********'}, 'pin': '**********'}
    """
    if depth > _MAX_DEPTH:
        return MASK
    if isinstance(value, dict):
        exact = {_norm(n) for n in extra}
        out: dict[Any, Any] = {}
        for k, v in value.items():
            key = _norm(str(k))
            if key in exact or key.endswith(DEFAULT_MASKED):
                out[k] = MASK
            else:
                out[k] = mask_fields(v, extra, depth + 1)
        return out
    if isinstance(value, (list, tuple)):
        return [mask_fields(v, extra, depth + 1) for v in value]
    return value


def loggable_event(event: Any, raw: Any) -> Any:
    """The event as JSON-like data: the parsed bytes FC sent, or the model's dump.

    Example:
        >>> loggable_event(None, b'{"a": 1}'), loggable_event(None, b"plain")
        ({'a': 1}, 'plain')
    """
    value = raw if raw is not None else event
    if isinstance(value, (bytes, bytearray, memoryview)):
        value = bytes(value).decode("utf-8", "replace")
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        try:
            return dump(mode="json")
        except Exception:
            return repr(type(value).__name__)
    return value


class LoggerStep:
    """Logs the event once (when asked) and writes the buffered DEBUG lines on failure.

    Example:
        >>> import fcsdk as fc
        >>> step = fc.logger.step(log_event=True, mask=["card"])
        >>> type(step).__name__
        'LoggerStep'
    """

    def __init__(self, logger: FCLogger, *, log_event: bool, mask: tuple[str, ...]) -> None:
        self.logger = logger
        self.log_event = log_event
        self.mask = mask

    def _enter(self, call: Invocation) -> Any:
        token = None
        if _fclog.current_context.get() is not call.context:
            token = _fclog.current_context.set(call.context)
        if self.log_event and self.logger.isEnabledFor(20):
            masked = mask_fields(
                loggable_event(call.event, call.raw), self.mask + self.logger.mask_fields
            )
            text = json.dumps(masked, default=str, ensure_ascii=False)
            self.logger.info("incoming event: %s", text, extra={"fcsdk_event": masked})
        return token

    def _exit(self, token: Any, failed: bool) -> None:
        if failed:
            self.logger.flush_buffer()
        else:
            self.logger.clear_buffer()
        if token is not None:
            _fclog.current_context.reset(token)

    def around(self, call: Invocation, proceed: Callable[[], Any]) -> Any:
        token = self._enter(call)
        failed = True
        try:
            result = proceed()
            failed = False
            return result
        finally:
            self._exit(token, failed)

    async def around_async(self, call: Invocation, proceed: Callable[[], Awaitable[Any]]) -> Any:
        token = self._enter(call)
        failed = True
        try:
            result = await proceed()
            failed = False
            return result
        finally:
            self._exit(token, failed)
