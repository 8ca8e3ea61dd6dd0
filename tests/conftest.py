"""Fixtures shared by test modules of several areas."""

from __future__ import annotations

import pytest

from fcsdk.credentials import ENV_SOURCES


@pytest.fixture
def no_cloud_env(monkeypatch):
    """No credentials (any of fcsdk's environment sources) or region from the developer's
    own environment."""
    for triple in ENV_SOURCES:
        for name in triple:
            monkeypatch.delenv(name, raising=False)
    for name in ("FC_REGION", "ALIBABA_CLOUD_REGION"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def redis_server():
    """A real redis-server on 127.0.0.1 and a free port, one per test session (see
    tests/redis_support.py); skipped without redis-server, except in CI."""
    from tests.redis_support import redis_server_or_skip

    yield from redis_server_or_skip()


@pytest.fixture(scope="session")
def tablestore_server():
    """The loopback Tablestore server (tests/tablestore_server.py), one per test session."""
    from tests.tablestore_server import TablestoreServer

    with TablestoreServer() as server:
        yield server


@pytest.fixture(params=["memory", "redis", "tablestore"])
def store(request):
    """Each idempotency store in turn: MemoryStore, RedisStore on the real redis-server,
    TablestoreStore on the loopback Tablestore server."""
    from tests.idempotency_support import make_store

    return make_store(request.param, request)
