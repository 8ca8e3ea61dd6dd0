"""Keep the invocation's secrets out of exceptions that escape a handler.

FC reports an unhandled exception as ``{"errorMessage": str(exc), ...}`` in the console and the
logs. Third-party errors sometimes quote what they were given: an OSS ``SignatureDoesNotMatch``
error carries the string-to-sign, which includes the STS security token, and oss2 puts it into
``str(exc)``. Before such an exception leaves ``@fc.handler``, every occurrence of the
invocation's access key secret and security token in its ``args`` and attributes (and those of
its ``__cause__``/``__context__`` chain) is replaced by a mask. Only known secret values are
replaced; nothing else about the exception changes (its type, and so FC's ``errorType``, stays).

Every form of a secret is masked: as it is and URL-encoded (``quote``, ``quote_plus``, upper-
and lower-case hex: an STS token in a presigned URL reads ``...%2B...%2F...%3D``). Messages kept
outside ``args`` are masked too: ``OSError``'s ``strerror``/``filename``, ``SyntaxError``'s
``msg``/``text``, ``UnicodeError``'s ``reason``/``object``, ``SystemExit.code`` and the message
of an ``ExceptionGroup`` (which cannot change in place: :func:`redact_exception` returns a copy
of the same type to raise instead).

The instance also remembers the credentials it has seen (:func:`remember`, at most 16 sets):
log lines from threads a handler starts carry no invocation context, and are masked with those.
"""

from __future__ import annotations

import functools
import os
import threading
from contextlib import suppress
from typing import Any

__all__ = [
    "MASK",
    "known_secrets",
    "mask_text",
    "redact_exception",
    "redact_value",
    "remember",
    "secret_forms",
]

MASK = "**********"
_MAX_DEPTH = 6
_MIN_SECRET_LEN = 6  # shorter values would mask innocent text; real secrets are far longer
_MAX_REMEMBERED = 16


@functools.lru_cache(maxsize=256)
def _forms_of(secret: str) -> tuple[str, ...]:
    import re
    from urllib.parse import quote, quote_plus

    forms = {secret, quote(secret, safe=""), quote(secret), quote_plus(secret)}
    forms |= {re.sub("%[0-9A-F]{2}", lambda m: m.group().lower(), f) for f in forms}
    return tuple(sorted(forms, key=lambda f: (-len(f), f)))


def secret_forms(secrets: tuple[str, ...]) -> tuple[str, ...]:
    """Every form of each usable secret (raw and URL-encoded), longest first.

    Example:
        >>> secret_forms(("ab+/=cd",))
        ('ab%2B%2F%3Dcd', 'ab%2b%2f%3dcd', 'ab%2B/%3Dcd', 'ab%2b/%3dcd', 'ab+/=cd')
        >>> secret_forms(("short",))
        ()
    """
    out: list[str] = []
    for secret in secrets:
        if isinstance(secret, str) and len(secret) >= _MIN_SECRET_LEN:
            out.extend(f for f in _forms_of(secret) if f not in out)
    return tuple(sorted(out, key=lambda f: (-len(f), f)))


_lock = threading.Lock()
_remembered: tuple[tuple[str, ...], ...] = ()
_known: tuple[str, ...] = ()


def remember(*secrets: Any) -> None:
    """Add an invocation's secret and token to the instance's known credentials (the most
    recent 16 sets are kept), for log lines written outside any invocation context.

    Example:
        >>> remember("remembered-secret-1")
        >>> "remembered-secret-1" in known_secrets()
        True
    """
    global _remembered, _known
    entry = tuple(s for s in secrets if isinstance(s, str) and len(s) >= _MIN_SECRET_LEN)
    if not entry or entry in _remembered:
        return
    with _lock:
        _remembered = (*_remembered, entry)[-_MAX_REMEMBERED:]
        _known = secret_forms(tuple(s for e in _remembered for s in e))


def known_secrets() -> tuple[str, ...]:
    """Every form of the credentials this instance has seen, plus those in the environment
    (``ALIBABA_CLOUD_ACCESS_KEY_SECRET``, ``ALIBABA_CLOUD_SECURITY_TOKEN``: python3.12 and
    custom runtimes).

    Example:
        >>> isinstance(known_secrets(), tuple)
        True
    """
    env = tuple(
        v
        for v in (
            os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
            os.environ.get("ALIBABA_CLOUD_SECURITY_TOKEN"),
        )
        if v
    )
    if not env:
        return _known
    extra = tuple(f for f in secret_forms(env) if f not in _known)
    return _known + extra if extra else _known


def mask_text(text: str, forms: tuple[str, ...]) -> str:
    """``text`` with each of ``forms`` (from :func:`secret_forms`) replaced by the mask.

    Example:
        >>> mask_text("url?token=ab%2B%2F%3Dcd", secret_forms(("ab+/=cd",)))
        'url?token=**********'
    """
    for form in forms:
        if form in text:
            text = text.replace(form, MASK)
    return text


def redact_value(value: Any, secrets: tuple[str, ...], depth: int = 0) -> Any:
    """``value`` with every secret masked: str, bytes, and containers of them, bounded in depth.

    Example:
        >>> redact_value({"msg": ["token=abcdefgh"]}, ("abcdefgh",))
        {'msg': ['token=**********']}
    """
    return _redact_value(value, secret_forms(secrets), depth)


def _redact_value(value: Any, forms: tuple[str, ...], depth: int = 0) -> Any:
    if isinstance(value, str):
        return mask_text(value, forms)
    if isinstance(value, (bytes, bytearray)):
        data = bytes(value)
        for form in forms:
            raw = form.encode("utf-8", "surrogatepass")
            if raw in data:
                data = data.replace(raw, MASK.encode())
        return data if isinstance(value, bytes) or data != bytes(value) else value
    if depth >= _MAX_DEPTH:
        return value
    if isinstance(value, dict):
        return {k: _redact_value(v, forms, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        items = [_redact_value(v, forms, depth + 1) for v in value]
        return items if isinstance(value, list) else tuple(items)
    return value


def redact_exception(exc: BaseException, secrets: tuple[str, ...]) -> BaseException:
    """Mask ``secrets`` in place in ``exc``'s args, attributes and messages, and in its chain;
    returns the exception to raise: ``exc`` itself, or a copy of an ``ExceptionGroup`` whose
    message held a secret (a group's message cannot change in place).

    Example:
        >>> err = ValueError("bad token abcdefgh")
        >>> redact_exception(err, ("abcdefgh",)) is err
        True
        >>> str(err)
        'bad token **********'
    """
    forms = secret_forms(secrets)
    if not forms:
        return exc
    return _redact(exc, forms, set())


def _same_length(value: Any, forms: tuple[str, ...]) -> Any:
    """Mask keeping the length (``UnicodeError.object``: ``start``/``end`` index into it)."""
    for form in forms:
        if isinstance(value, str) and form in value:
            value = value.replace(form, "*" * len(form))
        elif isinstance(value, bytes):
            raw = form.encode("utf-8", "surrogatepass")
            if raw in value:
                value = value.replace(raw, b"*" * len(raw))
    return value


#: Messages CPython keeps in C fields, outside ``args`` and ``__dict__``.
_FIELDS: tuple[tuple[type[BaseException], tuple[str, ...]], ...] = (
    (OSError, ("strerror", "filename", "filename2")),
    (SyntaxError, ("msg", "filename", "text")),
    (UnicodeError, ("encoding", "reason")),
    (SystemExit, ("code",)),
    (StopIteration, ("value",)),
)


def _mask_fields(e: BaseException, forms: tuple[str, ...]) -> None:
    with suppress(Exception):  # an exception type with read-only args keeps them
        e.args = tuple(_redact_value(a, forms) for a in e.args)
    for name, attr in list(getattr(e, "__dict__", {}).items()):
        masked = _redact_value(attr, forms)
        if masked is not attr:
            with suppress(Exception):
                setattr(e, name, masked)
    for kind, names in _FIELDS:
        if isinstance(e, kind):
            for name in names:
                value = getattr(e, name, None)
                if isinstance(value, (str, bytes)):
                    masked = _redact_value(value, forms)
                    if masked != value:
                        with suppress(Exception):
                            setattr(e, name, masked)
    if isinstance(e, UnicodeError):
        value = getattr(e, "object", None)
        masked = _same_length(value, forms)
        if masked is not value:
            with suppress(Exception):
                e.object = masked  # type: ignore[attr-defined]


def _redact(e: BaseException, forms: tuple[str, ...], seen: set[int]) -> BaseException:
    if id(e) in seen or len(seen) >= 64:
        return e
    seen.add(id(e))
    _mask_fields(e, forms)
    suppressed = e.__suppress_context__
    for name in ("__cause__", "__context__"):
        linked = getattr(e, name)
        if linked is not None:
            new = _redact(linked, forms, seen)
            if new is not linked:
                with suppress(Exception):
                    setattr(e, name, new)
                    e.__suppress_context__ = suppressed  # setting __cause__ changes it
    members = getattr(e, "exceptions", None)  # an ExceptionGroup's members
    if not isinstance(members, tuple) or not hasattr(e, "derive"):
        return e
    new_members = [_redact(m, forms, seen) if isinstance(m, BaseException) else m for m in members]
    message = getattr(e, "message", "")
    masked = mask_text(message, forms) if isinstance(message, str) else message
    if masked == message and all(a is b for a, b in zip(new_members, members)):
        return e
    return _rebuilt_group(e, masked, new_members)


def _rebuilt_group(e: BaseException, message: str, members: list[Any]) -> BaseException:
    """A copy of the group ``e`` (same type, chain, traceback, notes) with ``message``."""
    try:
        new: BaseException = type(e).__new__(type(e), message, members)
        BaseException.__init__(new, message, members)
    except Exception:  # pragma: no cover - a group type that refuses its own arguments
        return e
    with suppress(Exception):
        new.__dict__.update(getattr(e, "__dict__", {}))
    new.__cause__, new.__context__ = e.__cause__, e.__context__
    new.__suppress_context__ = e.__suppress_context__
    return new.with_traceback(e.__traceback__)


def context_secrets(ctx: Any) -> tuple[str, ...]:
    """The secret and token an :class:`fcsdk.Context` has resolved (none when the handler did
    not use its credentials: no lookup here).

    Example:
        >>> import fcsdk as fc
        >>> context_secrets(fc.Context.of(None))
        ()
    """
    creds = getattr(ctx, "_cache", {}).get("credentials")
    if creds is None:
        return ()
    return (creds.access_key_secret, creds.security_token or "")


def hide_secrets(exc: BaseException, ctx: Any) -> BaseException:
    """:func:`redact_exception` with the secrets ``ctx`` resolved; the exception to raise.

    Example:
        >>> import fcsdk as fc
        >>> err = ValueError("x")
        >>> hide_secrets(err, fc.Context.of(None)) is err
        True
    """
    secrets = context_secrets(ctx)
    return redact_exception(exc, secrets) if secrets else exc
