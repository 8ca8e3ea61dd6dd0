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
