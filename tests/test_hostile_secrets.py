"""Secrets masked on every path: URL-encoded forms, log lines of threads a handler starts,
messages CPython keeps outside ``args``, ExceptionGroups, BaseException from a Router route,
and the error JSON / log lines of `fcsdk invoke` and `fcsdk serve` for undecorated handlers."""

from __future__ import annotations

import errno
import io
import json
import logging
import sys
import threading
import uuid
from typing import Any, Callable
from urllib.parse import quote, quote_plus

import httpx
import pytest

import fcsdk as fc
from fcsdk.http import Router
from fcsdk.http.testing import make_event
from fcsdk.logging import setup
from tests.natives import ShapeA
from tests.runtime_support import ServeProcess, child_env, invoke_cli, write_code


def _secrets() -> tuple[str, str]:
    """A fresh secret and an STS-like token with the characters URLs encode (+ / =)."""
    u = uuid.uuid4().hex
    return f"secret-{u}", f"CAIS+tok/{u}=="


def _forms(token: str) -> list[str]:
    forms = [token, quote(token, safe=""), quote_plus(token), quote(token)]
    return forms + [
        f.replace("%2B", "%2b").replace("%2F", "%2f").replace("%3D", "%3d") for f in forms
    ]


def _texts(exc: BaseException, depth: int = 0) -> str:
    """Everything a report of ``exc`` could print: str, args, fields, attributes, members."""
    parts = [str(exc), repr(exc.args), repr(getattr(exc, "__dict__", {}))]
    for name in ("strerror", "filename", "filename2", "msg", "text", "reason", "object", "code"):
        parts.append(repr(getattr(exc, name, None)))
    for member in getattr(exc, "exceptions", ()) if depth < 4 else ():
        parts.append(_texts(member, depth + 1))
    for linked in (exc.__cause__, exc.__context__):
        if linked is not None and depth < 4:
            parts.append(_texts(linked, depth + 1))
    return "\n".join(parts)


def _raising(make: Callable[[str, str], BaseException]) -> Any:
    @fc.handler
    def h(event: bytes, context: fc.Context) -> None:
        creds = context.require_credentials()
        raise make(creds.access_key_secret, creds.security_token or "")

    return h


def _escaped(handler: Any, secret: str, token: str) -> BaseException:
    with pytest.raises(BaseException) as info:
        handler(b"", ShapeA(secret=secret, token=token))
    return info.value


# --- URL-encoded forms ------------------------------------------------------------------------


def test_url_encoded_token_is_masked_in_exceptions() -> None:
    secret, token = _secrets()
    h = _raising(lambda s, t: ValueError(" ".join(f"https://b.oss/k?token={f}" for f in _forms(t))))
    exc = _escaped(h, secret, token)
    text = _texts(exc)
    assert not any(f in text for f in _forms(token))
    assert text.count("**********") >= len(_forms(token))


@pytest.fixture
def log_buffer():
    log = logging.getLogger(f"hostile-secrets-{uuid.uuid4().hex}")
    log.propagate = False
    log.setLevel(logging.INFO)
    buf = io.StringIO()
    setup("fc", stream=buf, target=log)
    yield log, buf
    for handler in list(log.handlers):
        log.removeHandler(handler)


def test_url_encoded_token_is_masked_in_log_lines(log_buffer) -> None:
    log, buf = log_buffer
    secret, token = _secrets()

    @fc.handler
    def h(event: bytes, context: fc.Context) -> None:
        t = context.require_credentials().security_token or ""
        log.info("presigned %s", " ".join(_forms(t)))

    h(b"", ShapeA(secret=secret, token=token))
    assert not any(f in buf.getvalue() for f in _forms(token))


def test_log_lines_of_threads_the_handler_starts_are_masked(log_buffer) -> None:
    log, buf = log_buffer
    secret, token = _secrets()
    done = threading.Event()

    def worker(s: str, t: str) -> None:  # a plain thread: no invocation context in it
        log.info("worker sees %s and %s", s, quote(t, safe=""))
        done.set()

    @fc.handler
    def h(event: bytes, context: fc.Context) -> None:
        creds = context.require_credentials()
        thread = threading.Thread(
            target=worker, args=(creds.access_key_secret, creds.security_token)
        )
        thread.start()
        thread.join()

    h(b"", ShapeA(secret=secret, token=token))
    assert done.is_set()
    out = buf.getvalue()
    assert "worker sees" in out
    assert secret not in out and quote(token, safe="") not in out


# --- messages outside args --------------------------------------------------------------------

OUTSIDE_ARGS: dict[str, Callable[[str, str], BaseException]] = {
    "PermissionError": lambda s, t: OSError(
        errno.EACCES, f"denied {s}", f"/tmp/{t}", None, f"/x/{s}"
    ),
    "FileNotFoundError": lambda s, t: FileNotFoundError(errno.ENOENT, f"no {t}", f"/p/{s}"),
    "SyntaxError": lambda s, t: SyntaxError(f"bad {s}", (f"{t}.py", 1, 2, f"x = '{t}'")),
    "UnicodeDecodeError": lambda s, t: UnicodeDecodeError(
        "utf-8", f"{t}".encode() + b"\xff", len(t), len(t) + 1, f"because {s}"
    ),
    "UnicodeEncodeError": lambda s, t: UnicodeEncodeError("ascii", f"é{t}", 0, 1, f"re {s}"),
    "SystemExit": lambda s, t: SystemExit(f"bye {t}"),
    "KeyboardInterrupt": lambda s, t: KeyboardInterrupt(f"stop {s}"),
}


@pytest.mark.parametrize("kind", sorted(OUTSIDE_ARGS))
def test_messages_kept_outside_args_are_masked(kind: str) -> None:
    secret, token = _secrets()
    exc = _escaped(_raising(OUTSIDE_ARGS[kind]), secret, token)
    assert type(exc).__name__ == kind  # FC's errorType stays
    text = _texts(exc)
    assert secret not in text and token not in text, text
    str(exc)  # still printable (UnicodeError's start/end still index its object)


@pytest.mark.skipif(sys.version_info < (3, 11), reason="ExceptionGroup is 3.11+")
def test_exception_group_message_and_members_are_masked() -> None:
    secret, token = _secrets()

    def make(s: str, t: str) -> BaseException:
        inner = ExceptionGroup(f"inner {t}", [KeyError(s)])  # noqa: F821
        return ExceptionGroup(f"outer {s}", [ValueError(f"member {t}"), inner])  # noqa: F821

    exc = _escaped(_raising(make), secret, token)
    assert type(exc).__name__ == "ExceptionGroup"
    assert len(exc.exceptions) == 2  # type: ignore[attr-defined]
    text = _texts(exc)
    assert secret not in text and token not in text, text
    assert str(exc).startswith("outer **********")


def test_exception_group_is_masked_from_async_handlers_too() -> None:
    if sys.version_info < (3, 11):
        pytest.skip("ExceptionGroup is 3.11+")
    secret, token = _secrets()

    @fc.handler
    async def h(event: bytes, context: fc.Context) -> None:
        raise ExceptionGroup(f"g {context.require_credentials().security_token}", [ValueError()])  # noqa: F821

    exc = _escaped(h, secret, token)
    assert token not in str(exc)


# --- BaseException escaping a Router route ----------------------------------------------------


class Abort(BaseException):
    pass


@pytest.mark.parametrize("kind", [SystemExit, KeyboardInterrupt, Abort])
def test_base_exception_escaping_a_router_route_is_masked(kind: type[BaseException]) -> None:
    secret, token = _secrets()
    router = Router()

    @router.get("/x")
    def x(context: fc.Context) -> None:
        raise kind(f"leaving with {context.require_credentials().security_token}")

    with pytest.raises(kind) as info:
        router(make_event("GET", "/x"), ShapeA(secret=secret, token=token))
    assert token not in _texts(info.value)


@pytest.mark.parametrize("bridge", ["asgi", "wsgi"])
def test_base_exception_escaping_a_bridged_app_is_masked(bridge: str) -> None:
    from fcsdk.http.asgi import asgi
    from fcsdk.http.wsgi import wsgi

    secret, token = _secrets()

    async def asgi_app(scope: Any, receive: Any, send: Any) -> None:
        token_ = scope["fc.context"].require_credentials().security_token
        raise SystemExit(f"leaving with {token_}")

    def wsgi_app(environ: Any, start_response: Any) -> Any:
        token_ = environ["fc.context"].require_credentials().security_token
        raise SystemExit(f"leaving with {token_}")

    app = asgi(asgi_app, lifespan="off") if bridge == "asgi" else wsgi(wsgi_app)
    with pytest.raises(SystemExit) as info:
        app(make_event("GET", "/x"), ShapeA(secret=secret, token=token))
    assert token not in _texts(info.value)
    assert "leaving with **********" in str(info.value)


def test_async_handlers_and_routes_raising_system_exit_do_not_hang() -> None:
    """sys.exit() in a coroutine used to stop the shared loop's thread: the caller waited
    forever. It is raised in the caller, masked, like a sync handler's."""
    secret, token = _secrets()

    @fc.handler
    async def h(event: bytes, context: fc.Context) -> None:
        sys.exit(f"bye {context.require_credentials().security_token}")

    router = Router()

    @router.get("/x")
    async def x(context: fc.Context) -> None:
        sys.exit(f"bye {context.require_credentials().security_token}")

    for call in (lambda c: h(b"", c), lambda c: router(make_event("GET", "/x"), c)):
        with pytest.raises(SystemExit) as info:
            call(ShapeA(secret=secret, token=token))
        assert info.value.code == "bye **********"

    @fc.handler
    async def fine(event: bytes) -> str:
        return "still serving"

    assert fine(b"", None) == "still serving"  # the shared loop's thread is alive


# --- fcsdk invoke and fcsdk serve, undecorated handlers --------------------------------------

RAW = {
    "raw.py": """
    import logging
    def handler(event, context):
        t = context.credentials.security_token
        logging.getLogger().warning("handler logs %s", t)
        raise ValueError("leaking " + t)
    """
}


def test_fcsdk_invoke_masks_error_json_and_logs(tmp_path, capfd, monkeypatch) -> None:
    secret, token = _secrets()
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "STS.key")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", secret)
    monkeypatch.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", token)
    code = write_code(tmp_path, RAW)
    rc, out, err = invoke_cli(capfd, code, "raw.handler", "--runtime", "python3.10")
    assert rc == 1
    body = json.loads(out)
    assert body["errorType"] == "ValueError"
    assert body["errorMessage"] == "leaking **********"
    assert "handler logs **********" in err
    assert token not in out + err and secret not in out + err


def test_fcsdk_serve_masks_error_json_and_logs(tmp_path) -> None:
    secret, token = _secrets()
    code = write_code(tmp_path, RAW)
    srv = ServeProcess(code, "raw.handler", env=child_env())
    try:
        headers = {
            "x-fc-request-id": "r-secret",
            "x-fc-access-key-id": "STS.key",
            "x-fc-access-key-secret": secret,
            "x-fc-security-token": token,
        }
        r = httpx.post(f"{srv.url}/invoke", content=b"{}", headers=headers, timeout=30)
        assert r.json()["errorMessage"] == "leaking **********"
        assert token not in r.text
        log = srv.log()
        assert "leaking **********" in log
        assert token not in log and secret not in log
    finally:
        srv.stop()
