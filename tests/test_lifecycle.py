"""Lifecycle hooks: the decorators, and `fcsdk serve`'s /initialize, /pre-stop, /pre-freeze."""

from __future__ import annotations

import asyncio
import json
import logging
import sys

import httpx
import pytest

import fcsdk as fc
from fcsdk.lifecycle import find_hooks
from fcsdk.runtime.native import native_context
from fcsdk.runtime.server import CustomRuntimeApp
from tests.runtime_support import ThreadServer, write_code


def test_hook_accepts_every_context_shape():
    seen = []

    @fc.initializer
    def init(context: fc.Context) -> None:
        seen.append((context.request_id, context.credentials))

    creds = fc.Credentials("AK", "SK", "T")
    init(native_context("python3.10", request_id="a", credentials=creds))
    init(native_context("python3.12", request_id="b"))
    init(
        {
            "x-fc-request-id": "c",
            "x-fc-access-key-id": "AK",
            "x-fc-access-key-secret": "SK",
            "x-fc-security-token": "T",
        }
    )
    init(fc.Context.of({"x-fc-request-id": "d"}))
    assert [s[0] for s in seen] == ["a", "b", "c", "d"]
    assert seen[0][1] == creds
    assert seen[2][1] == creds
    assert init(None) is None


def test_async_zero_arg_and_called_forms():
    calls = []

    @fc.pre_stop()
    async def stop() -> None:
        await asyncio.sleep(0)
        calls.append("stop")

    @fc.pre_freeze
    def freeze():
        calls.append("freeze")

    stop(None)
    freeze(object())
    assert calls == ["stop", "freeze"]
    assert (stop.__fcsdk_hook__, freeze.__fcsdk_hook__) == ("pre_stop", "pre_freeze")
    assert stop.__wrapped__.__name__ == "stop"


def test_hook_exceptions_propagate_to_the_runtime():
    @fc.initializer
    def init(context):
        raise ConnectionError("database unreachable")

    with pytest.raises(ConnectionError, match="unreachable"):
        init(None)


def test_bad_hooks_are_configuration_errors():
    with pytest.raises(fc.ConfigurationError, match="only \\(context\\)"):
        fc.initializer(lambda a, b: None)
    with pytest.raises(fc.ConfigurationError, match="needs a function"):
        fc.pre_stop(42)


def test_hook_logs_carry_the_request_id():
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    keep = Keep()
    fc.logger.addHandler(keep)
    fc.logger.setLevel(logging.INFO)
    try:

        @fc.initializer
        def init(context: fc.Context) -> None:
            fc.logger.info("warming")

        init({"x-fc-request-id": "init-7"})
    finally:
        fc.logger.removeHandler(keep)
        fc.logger.setLevel(logging.NOTSET)
    assert [r.request_id for r in records] == ["init-7"]


def test_find_hooks_and_lazy_public_names():
    import types

    module = types.ModuleType("m")
    module.a = fc.initializer(lambda: None)
    module.b = fc.pre_freeze(lambda: None)
    module.c = lambda: None
    assert sorted(find_hooks(module)) == ["initializer", "pre_freeze"]
    from fcsdk import lifecycle

    assert fc.initializer is lifecycle.initializer
    assert fc.pre_stop is lifecycle.pre_stop


HOOKS = """
import time
import fcsdk as fc

STATE = {"init": 0, "fail_init": 0, "calls": 0, "freeze": 0, "stop": 0}

@fc.initializer
def init(context: fc.Context) -> None:
    time.sleep(0.2)
    STATE["init"] += 1
    if STATE["fail_init"] > 0:
        STATE["fail_init"] -= 1
        raise RuntimeError("cannot reach the database")

@fc.pre_freeze
def freeze(context: fc.Context) -> None:
    STATE["freeze"] += 1

@fc.pre_stop
def stop(context: fc.Context) -> None:
    STATE["stop"] += 1

def handler(event, context):
    STATE["calls"] += 1
    return dict(STATE)

def raw_init(context):
    STATE["raw_init_ak"] = context.credentials.access_key_id
"""


@pytest.fixture
def hooked(tmp_path):
    write_code(tmp_path, {"hookmod.py": HOOKS})
    yield tmp_path
    sys.modules.pop("hookmod", None)


def serve(code, **kw):
    app = CustomRuntimeApp("hookmod.handler", str(code), **kw)
    return app, ThreadServer(app), sys.modules["hookmod"].STATE


def test_initialize_runs_once_and_hooks_are_found_in_the_module(hooked):
    app, srv, state = serve(hooked)
    try:
        assert sorted(app.hooks) == ["initializer", "pre_freeze", "pre_stop"]
        with httpx.Client(base_url=srv.url) as c:
            for _ in range(2):
                r = c.post("/initialize", headers={"x-fc-request-id": "i-1"})
                assert (r.status_code, r.headers["x-fc-status"], r.content) == (200, "200", b"")
            assert c.post("/invoke", content=b"").json()["init"] == 1
            for _ in range(3):
                assert c.get("/pre-freeze").headers["x-fc-status"] == "200"
            assert c.get("/pre-stop").headers["x-fc-status"] == "200"
    finally:
        srv.stop()
    assert (state["init"], state["freeze"], state["stop"]) == (1, 3, 1)  # not again at shutdown


def test_shutdown_runs_pre_stop_when_fc_did_not(hooked):
    _, srv, state = serve(hooked)
    srv.stop()
    assert state["stop"] == 1


def test_failed_initializer_is_reported_and_retried_before_the_next_invoke(hooked):
    _app, srv, state = serve(hooked)
    state["fail_init"] = 2
    try:
        with httpx.Client(base_url=srv.url) as c:
            r = c.post("/initialize")
            assert r.headers["x-fc-status"] == "404"
            err = r.json()
            assert (err["errorType"], err["errorMessage"]) == (
                "RuntimeError",
                "cannot reach the database",
            )
            r = c.post("/invoke", content=b"")  # initializer runs again first, fails again
            assert r.headers["x-fc-status"] == "404"
            assert r.json()["errorType"] == "RuntimeError"
            assert state["calls"] == 0  # the handler never ran on a failed initialization
            r = c.post("/invoke", content=b"")
            assert r.headers["x-fc-status"] == "200"
            assert r.json()["init"] == 3
    finally:
        srv.stop()


def test_concurrent_first_invocations_wait_for_one_initializer(hooked):
    _, srv, state = serve(hooked)

    async def burst():
        async with httpx.AsyncClient(base_url=srv.url, timeout=30) as c:
            return await asyncio.gather(*(c.post("/invoke", content=b"") for _ in range(16)))

    try:
        responses = asyncio.run(burst())
    finally:
        srv.stop()
    assert all(r.json()["init"] == 1 for r in responses)
    assert state["init"] == 1


def test_raw_initializer_named_on_the_command_line_gets_a_native_context(hooked):
    _, srv, state = serve(hooked, initializer="hookmod.raw_init")
    try:
        with httpx.Client(base_url=srv.url) as c:
            r = c.post(
                "/initialize",
                headers={"x-fc-access-key-id": "AKX", "x-fc-access-key-secret": "SKX"},
            )
            assert r.headers["x-fc-status"] == "200"
    finally:
        srv.stop()
    assert state["raw_init_ak"] == "AKX"
    assert state["init"] == 0  # the command line's initializer replaces the module's


def test_missing_hook_module_is_a_load_error_on_its_path(hooked):
    _, srv, _ = serve(hooked, pre_freeze="nohooks.freeze")
    try:
        with httpx.Client(base_url=srv.url) as c:
            r = c.get("/pre-freeze")
            assert r.headers["x-fc-status"] == "404"
            assert json.loads(r.content)["errorType"] == "ImportModuleError"
            assert c.post("/invoke", content=b"").headers["x-fc-status"] == "200"
    finally:
        srv.stop()
