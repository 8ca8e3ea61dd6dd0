"""The logging step: log the incoming event once (masked) and write the invocation's buffered
DEBUG lines when it fails. ``@fc.handler(log_event=True)`` appends one; see
:meth:`fcsdk.logging.FCLogger.step`."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Optional

from . import logging as _fclog
from ._redact import MASK

if TYPE_CHECKING:
    from ._logkeys import FCLogger
    from .context import Context
    from .steps import Invocation

__all__ = [
    "DEFAULT_MASKED",
    "DEFAULT_MAX_EVENT_BYTES",
    "LoggerStep",
    "capped_event",
    "mask_fields",
    "mask_json_text",
]

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


#: The most bytes of an event :class:`LoggerStep` logs by default (``max_event_bytes``).
DEFAULT_MAX_EVENT_BYTES = 8192


def _secret_key(key: str, exact: frozenset[str]) -> bool:
    norm = _norm(key)
    return norm in exact or norm.endswith(DEFAULT_MASKED)


#: A JSON string, or the start of one the cut left open.
_STRING = re.compile(r'"(?:[^"\\]|\\.)*(?:"|\\?\Z)', re.S)
_COLON = re.compile(r"\s*:\s*")
_STRUCTURE = re.compile(r'["{}\[\],]')


def _skip_value(text: str, i: int) -> int:
    """The index after the JSON value that starts at ``text[i]``, balanced brackets and strings
    respected; an unterminated value runs to the end of ``text``."""
    n = len(text)
    depth = 0
    while i < n:
        m = _STRUCTURE.search(text, i)
        if m is None:
            return n
        c = m.group()
        i = m.start()
        if c == '"':
            i = _STRING.match(text, i).end()  # type: ignore[union-attr]  # always matches at '"'
            if depth == 0:
                return i
            continue
        if c in "{[":
            depth += 1
        elif depth == 0:  # "," "}" "]" that ends a scalar value
            return i
        elif c != ",":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return n


def mask_json_text(text: str, extra: tuple[str, ...] = ()) -> str:
    """JSON ``text`` that may be cut or invalid, with the values of secret-looking keys masked
    (the keys of :func:`mask_fields`): what is logged of an event too large, or too broken, to
    parse. A secret value the cut falls into is masked too.

    Example:
        >>> mask_json_text('{"user": "ann", "auth": {"password": "x"}, "token": {"a": [1')
        '{"user": "ann", "auth": {"password": "**********"}, "token": "**********"'
    """
    exact = frozenset(_norm(n) for n in extra)
    out: list[str] = []
    start = i = 0
    while True:
        m = _STRING.search(text, i)
        if m is None:
            break
        i = m.end()
        colon = _COLON.match(text, i)
        if colon is not None and _secret_key(text[m.start() + 1 : i - 1], exact):
            out.append(text[start : colon.end()])
            out.append(f'"{MASK}"')
            start = i = _skip_value(text, colon.end())
    out.append(text[start:])
    return "".join(out)


def capped_event(event: Any, raw: Any, extra: tuple[str, ...], limit: int) -> tuple[str, Any]:
    """``(text, value)`` to log for an event: ``value`` is the masked JSON-like event (what
    :func:`loggable_event` gives, through :func:`mask_fields`) and ``text`` its JSON, when that
    fits in ``limit`` bytes; else both are the first ``limit`` bytes as text, masked with
    :func:`mask_json_text` and marked ``... [cut: N bytes in all]``. Bytes that are not UTF-8
    are logged as ``base64:...``. No more than ``limit`` bytes are decoded or dumped.

    Example:
        >>> capped_event(None, b'{"token": "t", "n": 1}', (), 100)
        ('{"token": "**********", "n": 1}', {'token': '**********', 'n': 1})
        >>> capped_event(None, b'{"token": "abcdef", "n": 12345678}', (), 24)[0]
        '{"token": "**********", ... [cut: 34 bytes in all]'
        >>> capped_event(None, bytes([255, 0]), (), 16)[0]
        'base64:/wA='
    """
    value = raw if raw is not None else event
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = memoryview(value).cast("B")
        size = data.nbytes
        head = bytes(data[:limit])
        try:
            text = head.decode("utf-8")
        except UnicodeDecodeError as exc:
            if size > limit and exc.reason == "unexpected end of data":
                text = head[: exc.start].decode("utf-8", "replace")  # the cut split a character
            else:
                import base64

                keep = max(limit - 7, 0) // 4 * 3  # "base64:" and the encoding fit in limit
                text = "base64:" + base64.b64encode(head[:keep]).decode("ascii")
                if size <= keep:
                    return text, text
                return _marked(text, size, "bytes")
        if size > limit:
            return _marked(mask_json_text(text, extra), size, "bytes", limit)
        value = text
    elif isinstance(value, str) and len(value) > limit:
        return _marked(mask_json_text(value[:limit], extra), len(value), "characters", limit)
    masked = loggable_event(None, value)
    if isinstance(masked, str) and isinstance(value, str):  # not JSON (a broken event, say)
        masked = mask_json_text(masked, extra)
    masked = mask_fields(masked, extra)
    if isinstance(value, str):  # parsed from at most `limit` bytes: its dump is small too
        text = json.dumps(masked, default=str, ensure_ascii=False)
    else:  # a model or dict of any size: dump it piece by piece, and stop past the cap
        parts: list[str] = []
        length = 0
        for chunk in json.JSONEncoder(default=str, ensure_ascii=False).iterencode(masked):
            parts.append(chunk)
            length += len(chunk)
            if length > limit:
                break
        text = "".join(parts)
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text, masked
    text = encoded[:limit].decode("utf-8", "ignore")
    return _marked(text, None, f"more than {limit} bytes")


def _marked(
    text: str, size: Optional[int], unit: str, limit: Optional[int] = None
) -> tuple[str, str]:
    if limit is not None:  # masking lengthens text: the cap is on what is logged
        encoded = text.encode("utf-8")
        if len(encoded) > limit:
            text = encoded[:limit].decode("utf-8", "ignore")
    marked = (
        f"{text}... [cut: {unit}]" if size is None else f"{text}... [cut: {size} {unit} in all]"
    )
    return marked, marked


class LoggerStep:
    """Logs the event once (when asked) and writes the buffered DEBUG lines on failure.

    With ``log_event`` an event that fails to decode is logged too, raw (through
    :meth:`on_decode_error`, the steps hook for it), before the error propagates unchanged.

    Example:
        >>> import fcsdk as fc
        >>> step = fc.logger.step(log_event=True, mask=["card"], max_event_bytes=1024)
        >>> type(step).__name__, step.max_event_bytes
        ('LoggerStep', 1024)
    """

    def __init__(
        self,
        logger: FCLogger,
        *,
        log_event: bool,
        mask: tuple[str, ...],
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    ) -> None:
        if (
            isinstance(max_event_bytes, bool)
            or not isinstance(max_event_bytes, int)
            or max_event_bytes < 1
        ):
            from .errors import ConfigurationError

            raise ConfigurationError(
                f"max_event_bytes={max_event_bytes!r}: give the most bytes of an event to log "
                f"as a positive int (default {DEFAULT_MAX_EVENT_BYTES})"
            )
        self.logger = logger
        self.log_event = log_event
        self.mask = mask
        self.max_event_bytes = max_event_bytes

    def _log(self, event: Any, raw: Any, error: Optional[BaseException] = None) -> None:
        text, value = capped_event(
            event, raw, self.mask + self.logger.mask_fields, self.max_event_bytes
        )
        if error is None:
            self.logger.info("incoming event: %s", text, extra={"fcsdk_event": value})
            return
        code = getattr(error, "code", None)
        self.logger.info(
            "incoming event (not decoded): %s",
            text,
            extra={
                "fcsdk_event": value,
                "decode_error": code if isinstance(code, str) else type(error).__name__,
            },
        )

    def _enter(self, call: Invocation) -> Any:
        token = None
        if _fclog.current_context.get() is not call.context:
            token = _fclog.current_context.set(call.context)
        if self.log_event and self.logger.isEnabledFor(20):
            self._log(call.event, call.raw)
        return token

    def on_decode_error(self, raw: Any, context: Context, error: BaseException) -> None:
        """Log the raw event (masked, capped) when it failed to decode: the steps hook
        ``on_decode_error`` (see :mod:`fcsdk.steps`); ``@fc.handler`` re-raises ``error``."""
        if not (self.log_event and self.logger.isEnabledFor(20)):
            return
        token = None
        if _fclog.current_context.get() is not context:
            token = _fclog.current_context.set(context)
        try:
            self._log(None, raw, error)
        finally:
            if token is not None:
                _fclog.current_context.reset(token)

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
