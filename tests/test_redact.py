"""Secrets of the invocation never leave @fc.handler inside an exception."""

from __future__ import annotations

import pytest

import fcsdk as fc
from fcsdk._redact import MASK, redact_exception
from tests.natives import ShapeA

SECRET, TOKEN = "secret-a-very-long", "token-a-very-long"


class CarryingError(Exception):
    def __init__(self, message: str, details: dict[str, object], body: bytes) -> None:
        super().__init__(message)
        self.details = details
        self.body = body


def test_secrets_masked_in_args_attributes_and_chain() -> None:
    @fc.handler
    def h(event: bytes, context: fc.Context) -> None:
        creds = context.require_credentials()
        try:
            raise KeyError(f"inner {creds.security_token}")
        except KeyError as inner:
            raise CarryingError(
                f"outer {creds.access_key_secret}",
                {"StringToSign": f"x-oss-security-token:{creds.security_token}", "n": [TOKEN]},
                f"<Body>{creds.security_token}</Body>".encode(),
            ) from inner

    with pytest.raises(CarryingError) as info:
        h(b"", ShapeA(secret=SECRET, token=TOKEN))
    exc = info.value
    text = str(exc) + repr(exc.details) + repr(exc.body) + str(exc.__cause__)
    assert SECRET not in text
    assert TOKEN not in text
    assert str(exc) == f"outer {MASK}"
    assert exc.details["n"] == [MASK]


def test_exceptions_untouched_when_credentials_were_not_used() -> None:
    @fc.handler
    def h(event: bytes) -> None:
        raise ValueError(f"mentions {TOKEN}")

    with pytest.raises(ValueError, match=TOKEN):
        h(b"", ShapeA(secret=SECRET, token=TOKEN))


def test_async_handlers_too() -> None:
    @fc.handler
    async def h(event: bytes, context: fc.Context) -> None:
        raise RuntimeError(f"token {context.require_credentials().security_token}")

    with pytest.raises(RuntimeError) as info:
        h(b"", ShapeA(secret=SECRET, token=TOKEN))
    assert TOKEN not in str(info.value)


def test_short_values_are_not_masked() -> None:
    err = ValueError("abc")
    redact_exception(err, ("abc",))
    assert str(err) == "abc"


def test_read_only_args_do_not_break_redaction() -> None:
    class Frozen(Exception):
        def __setattr__(self, name: str, value: object) -> None:
            raise AttributeError("read-only")

    err = Frozen(f"has {TOKEN}")
    redact_exception(err, (TOKEN,))  # must not raise


def test_fcerror_chains_and_exception_groups_are_masked() -> None:
    @fc.handler
    def h(event: bytes, context: fc.Context) -> None:
        token = context.require_credentials().security_token
        try:
            raise ValueError(f"store said {token}")
        except ValueError as inner:
            raise fc.FCError("could not store") from inner

    with pytest.raises(fc.FCError) as info:
        h(b"", ShapeA(secret=SECRET, token=TOKEN))
    assert TOKEN not in str(info.value.__cause__)

    import sys

    if sys.version_info < (3, 11):
        pytest.skip("ExceptionGroup is 3.11+")

    @fc.handler
    def g(event: bytes, context: fc.Context) -> None:
        token = context.require_credentials().security_token
        raise ExceptionGroup("tasks failed", [RuntimeError(f"a {token}"), KeyError(token)])  # noqa: F821

    with pytest.raises(Exception) as ginfo:
        g(b"", ShapeA(secret=SECRET, token=TOKEN))
    for member in ginfo.value.exceptions:  # type: ignore[attr-defined]
        assert TOKEN not in str(member)


def test_logs_of_an_invocation_never_carry_its_secrets() -> None:
    """Every path a log line can take during an invocation: fc.logger and context.logger with
    %r/%s/exc_info, a third-party logger through FC's (patched) root handler, fcsdk's own
    line and JSON formatters."""
    import io
    import logging

    from fcsdk.logging import FCFormatter, JSONFormatter, patch_handlers

    streams = {name: io.StringIO() for name in ("fc-plain", "fc-line", "json")}
    handlers = [
        logging.StreamHandler(streams["fc-plain"]),  # like FC's own root handler, patched below
        logging.StreamHandler(streams["fc-line"]),
        logging.StreamHandler(streams["json"]),
    ]
    handlers[0].setFormatter(logging.Formatter("%(name)s %(message)s"))
    handlers[1].setFormatter(FCFormatter())
    handlers[2].setFormatter(JSONFormatter())
    root = logging.getLogger()
    old_level = root.level
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    patch_handlers(root)
    try:

        @fc.handler
        def h(event: bytes, context: fc.Context) -> str:
            creds = context.require_credentials()
            secret, token = creds.access_key_secret, creds.security_token
            try:
                raise RuntimeError(f"SignatureDoesNotMatch: token={token}")
            except RuntimeError as exc:
                context.logger.exception("put failed: %r", exc)
                fc.logger.error("put failed %s (secret %s)", exc, secret)
                logging.getLogger("oss2.api").info("Exception: %s", exc, exc_info=True)
            return "ok"

        assert h(b"", ShapeA(secret=SECRET, token=TOKEN)) == "ok"
    finally:
        for handler in handlers:
            root.removeHandler(handler)
        root.setLevel(old_level)
    for name, stream in streams.items():
        text = stream.getvalue()
        assert "put failed" in text, name
        assert "Exception:" in text, name
        assert TOKEN not in text, (name, text)
        assert SECRET not in text, (name, text)
