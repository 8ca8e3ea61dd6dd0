"""The process-wide event loop (fcsdk._aio): one loop, cheap hand-off, correct under concurrency."""

import asyncio
import contextvars
import threading
from contextlib import asynccontextmanager
from typing import Any

import pytest

import fcsdk as fc
from fcsdk import _aio
from fcsdk.http.testing import make_event, parse_response

var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")


def test_run_returns_raises_and_sees_the_callers_context() -> None:
    async def read() -> str:
        await asyncio.sleep(0)
        return var.get()

    async def boom() -> None:
        await asyncio.sleep(0)
        raise KeyError("x")

    token = var.set("caller")
    try:
        assert _aio.run(read()) == "caller"
    finally:
        var.reset(token)
    with pytest.raises(KeyError):
        _aio.run(boom())
    with pytest.raises(TypeError, match="coroutine"):
        _aio.run(42)  # type: ignore[arg-type]


def test_run_from_inside_a_running_loop_of_another_thread() -> None:
    async def loop_of() -> Any:
        return asyncio.get_running_loop()

    async def caller() -> Any:  # a sync handler called from async code (e.g. a local test)
        return _aio.run(loop_of())

    outer = asyncio.new_event_loop()
    try:
        got = outer.run_until_complete(caller())
    finally:
        outer.close()
    assert got is _aio.get_loop() and got is not outer


def _counting_app() -> tuple[Any, dict[str, Any]]:
    from fastapi import FastAPI, Request

    seen: dict[str, Any] = {"threads": set(), "lock": threading.Lock(), "startups": 0}

    @asynccontextmanager
    async def lifespan(app: Any) -> Any:
        seen["startups"] += 1
        yield {"pool": asyncio.get_running_loop()}  # loop-bound state, like a DB pool

    api = FastAPI(lifespan=lifespan)
    local = threading.local()

    @api.get("/sync/{i}")
    def sync_ep(i: int, request: Request) -> dict[str, Any]:
        if not hasattr(local, "marker"):  # a fresh object per worker thread ever used
            local.marker = object()
            with seen["lock"]:
                seen["threads"].add(id(local.marker))
                seen.setdefault("markers", []).append(local.marker)
        return {"i": i, "rid": request.scope["fc.context"].request_id}

    @api.get("/async/{i}")
    async def async_ep(i: int, request: Request) -> dict[str, Any]:
        await asyncio.sleep(0.001)
        same = request.state.pool is asyncio.get_running_loop()
        return {"i": i, "rid": request.scope["fc.context"].request_id, "same_loop": same}

    return api, seen


def test_sync_endpoints_reuse_the_threadpool_across_requests() -> None:
    api, seen = _counting_app()
    handler = fc.http.asgi(api)
    for i in range(30):
        out = parse_response(handler(make_event("GET", f"/sync/{i}"), {"x-fc-request-id": "r"}))
        assert out.json() == {"i": i, "rid": "r"}
    # Before: each request's task was anyio's root task, so each started (and stopped) a thread.
    assert len(seen["threads"]) <= 2
    handler.pre_stop(None)


def test_many_threads_share_one_loop_and_the_lifespan_state() -> None:
    api, seen = _counting_app()
    handler = fc.http.asgi(api)
    n = 24
    barrier = threading.Barrier(n)
    results: dict[int, Any] = {}
    errors: list[BaseException] = []

    def call(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            kind = "async" if i % 2 else "sync"
            raw = handler(make_event("GET", f"/{kind}/{i}"), {"x-fc-request-id": f"r{i}"})
            results[i] = parse_response(raw).json()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for i in range(n):
        want: dict[str, Any] = {"i": i, "rid": f"r{i}"}
        if i % 2:
            want["same_loop"] = True
        assert results[i] == want
    assert seen["startups"] == 1
    handler.pre_stop(None)


def test_async_handler_called_from_many_threads_at_once() -> None:
    n = 16
    barrier = threading.Barrier(n)

    @fc.handler
    async def h(event: dict[str, int], context: fc.Context) -> dict[str, Any]:
        await asyncio.sleep(0.005)
        return {"i": event["i"], "rid": context.request_id, "loop": id(asyncio.get_running_loop())}

    results: dict[int, Any] = {}

    def call(i: int) -> None:
        barrier.wait(timeout=10)
        results[i] = h({"i": i}, {"x-fc-request-id": f"r{i}"})

    threads = [threading.Thread(target=call, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    import json

    got = [json.loads(results[i]) for i in range(n)]
    assert [(g["i"], g["rid"]) for g in got] == [(i, f"r{i}") for i in range(n)]
    assert {g["loop"] for g in got} == {id(_aio.get_loop())}
