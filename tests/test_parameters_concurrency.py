"""fcsdk.parameters under concurrency: 16 invocations at once (threads with a barrier, asyncio
tasks) cause one request, signed with the credentials of the invocation that triggered it."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

import fcsdk as fc
from fcsdk.logging import current_context
from fcsdk.parameters import KMSSecrets, ParameterFetchError, ParameterNotFoundError
from tests.acs_server import ACSServer

SECRET = "concurrent-secret-value"
N = 16


def creds(i: int) -> fc.Credentials:
    return fc.Credentials(f"STS.key-{i}", f"secret-{i}", f"token-{i}")


def headers(i: int) -> dict[str, str]:
    c = creds(i)
    return {
        "x-fc-request-id": f"r-{i}",
        "x-fc-region": "cn-hangzhou",
        "x-fc-access-key-id": c.access_key_id,
        "x-fc-access-key-secret": c.access_key_secret,
        "x-fc-security-token": c.security_token or "",
    }


@pytest.fixture
def acs():
    with ACSServer() as server:
        for i in range(N):
            c = creds(i)
            server.add_key(c.access_key_id, c.access_key_secret, c.security_token)
        server.secrets["db-password"] = (SECRET, "text")
        server.state.delay = 0.2  # every fetch overlaps the others
        yield server


async def invocation(i: int, body: Any) -> Any:
    """One invocation as a task on a shared loop (fcsdk serve, an ASGI app): its context set in
    the task's own copy of the context variables, as fcsdk's runtime does."""
    current_context.set(fc.Context.of(headers(i)))
    return await body()


def run_threads(handler: Any) -> list[Any]:
    barrier = threading.Barrier(N)

    def one(i: int) -> Any:
        barrier.wait()
        try:
            return handler(b"", headers(i))
        except Exception as exc:
            return exc

    with ThreadPoolExecutor(N) as pool:
        return list(pool.map(one, range(N)))


def test_16_threads_cause_one_request(acs: ACSServer) -> None:
    secrets = KMSSecrets(endpoint=acs.endpoint, protocol="http")

    @fc.handler
    def handler(event: bytes, context: fc.Context) -> str:
        return f"{context.request_id}:{secrets.get('db-password')}"

    results = run_threads(handler)
    assert results == [f"r-{i}:{SECRET}" for i in range(N)]
    assert acs.count("GetSecretValue") == 1
    ((_, _, key_id),) = acs.requests
    assert key_id in {creds(i).access_key_id for i in range(N)}


def test_16_asyncio_tasks_cause_one_request_and_keep_the_loop_free(acs: ACSServer) -> None:
    secrets = KMSSecrets(endpoint=acs.endpoint, protocol="http")

    async def handler() -> str:
        context = current_context.get()
        assert context is not None
        return f"{context.request_id}:{await secrets.aget('db-password')}"

    async def main() -> tuple[list[Any], int]:
        ticks = 0
        done = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not done.is_set():
                ticks += 1
                await asyncio.sleep(0.01)

        tick = asyncio.ensure_future(ticker())
        results = await asyncio.gather(
            *(asyncio.ensure_future(invocation(i, handler)) for i in range(N))
        )
        done.set()
        await tick
        return list(results), ticks

    results, ticks = asyncio.run(main())
    assert results == [f"r-{i}:{SECRET}" for i in range(N)]
    assert acs.count("GetSecretValue") == 1
    assert ticks >= 5  # the 0.2 s fetch ran off the event loop (20 ticks when idle)


def test_followers_share_a_not_found_without_more_requests(acs: ACSServer) -> None:
    secrets = KMSSecrets(endpoint=acs.endpoint, protocol="http")

    @fc.handler
    def handler(event: bytes, context: fc.Context) -> str:
        return secrets.get("missing")

    results = run_threads(handler)
    assert all(isinstance(r, ParameterNotFoundError) for r in results)
    assert len({id(r) for r in results}) == N  # each thread raised its own copy
    assert acs.count("GetSecretValue") == 1


def test_followers_with_other_credentials_retry_when_the_leaders_are_refused(
    acs: ACSServer,
) -> None:
    """Invocation 0 carries a token that expired; the others carry fresh ones."""
    acs.expire(creds(0).access_key_id)
    secrets = KMSSecrets(endpoint=acs.endpoint, protocol="http")

    @fc.handler
    def handler(event: bytes, context: fc.Context) -> Any:
        if context.request_id != "r-0":  # invocation 0 leads: the others join its fetch
            deadline = time.monotonic() + 5
            while not secrets._inflight and time.monotonic() < deadline:
                time.sleep(0.001)
        try:
            return secrets.get("db-password")
        except ParameterFetchError as exc:
            return exc.service_code

    results = run_threads(handler)
    assert results[0] == "InvalidSecurityToken.Expired"
    assert results[1:] == [SECRET] * (N - 1)
    assert acs.rejected == ["InvalidSecurityToken.Expired"]
    assert acs.count("GetSecretValue") == 1  # one follower re-led; the rest joined it


def test_asyncio_followers_share_one_failure(acs: ACSServer) -> None:
    acs.fail_next(403, "Forbidden.NoPermission", times=N)
    secrets = KMSSecrets(endpoint=acs.endpoint, protocol="http")

    async def handler() -> Any:
        try:
            return await secrets.aget("db-password")
        except ParameterFetchError as exc:
            return exc.service_code

    async def main() -> list[Any]:
        return list(
            await asyncio.gather(*(asyncio.ensure_future(invocation(i, handler)) for i in range(N)))
        )

    assert asyncio.run(main()) == ["Forbidden.NoPermission"] * N
    assert acs.count("GetSecretValue") == 1


def test_async_handlers_called_from_16_threads_share_one_fetch(acs: ACSServer) -> None:
    """FC calling an async @fc.handler 16 times at once: fcsdk runs them on its one loop."""
    secrets = KMSSecrets(endpoint=acs.endpoint, protocol="http")

    @fc.handler
    async def handler(event: bytes, context: fc.Context) -> str:
        return f"{context.request_id}:{await secrets.aget('db-password')}"

    assert run_threads(handler) == [f"r-{i}:{SECRET}" for i in range(N)]
    assert acs.count("GetSecretValue") == 1
