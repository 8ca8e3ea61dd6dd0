"""A sync fetch inside an async def handler blocks the shared event loop: the provider warns
once (RuntimeWarning naming aget) and aget fetches without blocking; cached hits never check.
Against the loopback KMS/OOS gateway of tests/acs_server.py (signatures checked)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterator

import pytest

import fcsdk as fc
from fcsdk.parameters import EnvironmentParameters, KMSSecrets, OOSParameters
from tests.acs_server import ACSServer

KEY = fc.Credentials("STS.loop-key", "loop-secret", "loop-token")
N = 16


def headers(i: int) -> dict[str, str]:
    return {
        "x-fc-request-id": f"r-{i}",
        "x-fc-region": "cn-hangzhou",
        "x-fc-access-key-id": KEY.access_key_id,
        "x-fc-access-key-secret": KEY.access_key_secret,
        "x-fc-security-token": KEY.security_token or "",
    }


@pytest.fixture
def acs():
    with ACSServer() as server:
        server.add_key(KEY.access_key_id, KEY.access_key_secret, KEY.security_token)
        server.secrets["db-password"] = ("pw", "text")
        server.secrets["api-key"] = ("k", "text")
        server.parameters["/app/a"] = ("1", "String")
        yield server


def kms(acs: ACSServer) -> KMSSecrets:
    return KMSSecrets(endpoint=acs.endpoint, protocol="http", timeout=2.0)


def run_threads(handler: Any, n: int = N) -> list[Any]:
    barrier = threading.Barrier(n)

    def one(i: int) -> Any:
        barrier.wait()
        return handler(b"", headers(i))

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def _ignore_sdk_clock() -> None:
    """Inside a block that records or raises every warning: keep ignoring what pyproject's
    filters ignore, the Alibaba SDK's `datetime.utcnow()` (deprecated on Python 3.12+)."""
    warnings.filterwarnings("ignore", "datetime.datetime.utcnow", DeprecationWarning)


@contextlib.contextmanager
def _warns_runtime() -> Iterator[pytest.WarningsRecorder]:
    """``pytest.warns(RuntimeWarning)`` that ignores the SDK's clock warning (see above)."""
    with pytest.warns(RuntimeWarning) as record:  # noqa: PT031 - the filter goes inside
        _ignore_sdk_clock()
        yield record


def test_a_sync_fetch_in_an_async_handler_warns_once_naming_aget(acs: ACSServer) -> None:
    secrets = kms(acs)

    @fc.handler
    async def handler(event: bytes) -> str:
        first = secrets.get("db-password")  # fetches on the loop's thread
        second = secrets.get("api-key")  # another fetch: no second warning
        return first + second

    with _warns_runtime() as record:
        assert handler(b"", headers(0)) == "pwk"
    (warning,) = record
    text = str(warning.message)
    assert "KMSSecrets.get()" in text and "await provider.aget(...)" in text
    assert warning.filename == __file__  # points at the handler's line
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _ignore_sdk_clock()
        assert handler(b"", headers(1)) == "pwk"  # cached: no check at all
        secrets.clear_cache()
        assert handler(b"", headers(2)) == "pwk"  # fetched again: already warned


def test_each_provider_warns_once_and_get_many_names_aget_many(acs: ACSServer) -> None:
    secrets, params = kms(acs), OOSParameters(endpoint=acs.endpoint, protocol="http")

    @fc.handler
    async def handler(event: bytes) -> str:
        return secrets.get("db-password") + str(params.get_many("/app/"))

    with _warns_runtime() as record:
        handler(b"", headers(0))
    assert [str(w.message).split("(")[0] for w in record] == [
        "KMSSecrets.get",
        "OOSParameters.get_many",
    ]
    assert "aget_many" in str(record[1].message)


def test_16_async_invocations_on_the_shared_loop_give_one_warning(acs: ACSServer) -> None:
    acs.state.delay = 0.05
    secrets = kms(acs)

    @fc.handler
    async def handler(event: bytes, context: fc.Context) -> str:
        secrets.get("db-password", force_fetch=True)
        return context.request_id

    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        _ignore_sdk_clock()
        assert run_threads(handler) == [f"r-{i}" for i in range(N)]
    assert [w.category for w in record] == [RuntimeWarning]


def test_no_warning_off_the_loop_with_aget_or_for_the_environment(acs: ACSServer) -> None:
    secrets = kms(acs)
    env = EnvironmentParameters(environ={"RATE": "5"})

    @fc.handler
    def sync_handler(event: bytes) -> str:
        return secrets.get("db-password", force_fetch=True)

    @fc.handler
    async def async_handler(event: bytes) -> str:
        return await secrets.aget("api-key", force_fetch=True) + env.get("RATE")

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _ignore_sdk_clock()
        assert run_threads(sync_handler) == ["pw"] * N
        assert run_threads(async_handler) == ["k5"] * N
        # a thread that merely has asyncio imported but no running loop: no warning either
        assert secrets.get("api-key", force_fetch=True, credentials=KEY) == "k"


def test_aget_keeps_the_loop_running_while_it_fetches(acs: ACSServer) -> None:
    acs.state.delay = 0.3
    secrets = kms(acs)

    async def main() -> tuple[str, int]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        task = asyncio.create_task(ticker())
        value = await secrets.aget("db-password", credentials=KEY)
        task.cancel()
        return value, ticks

    start = time.monotonic()
    value, ticks = asyncio.run(main())
    assert value == "pw" and time.monotonic() - start >= 0.3
    assert ticks >= 10  # the loop kept running through the 300 ms fetch
