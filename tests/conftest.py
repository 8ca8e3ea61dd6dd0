"""Fixtures shared by test modules of several areas."""

from __future__ import annotations

import io
import json
import logging

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


def _index_url() -> str:
    """The package index pip (and so `fcsdk package`) downloads from."""
    import os
    import subprocess
    import sys

    url = os.environ.get("PIP_INDEX_URL", "").strip()
    if url:
        return url.split()[0]
    try:
        out = subprocess.run(
            [sys.executable, "-m", "pip", "config", "list"],
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        out = ""
    for line in out.splitlines():
        key, _, value = line.partition("=")
        if key.strip().endswith(".index-url"):
            return value.strip().strip("'\"").split()[0]
    return "https://pypi.org/simple"


def registry_unreachable(url: str | None = None, timeout: float = 5.0) -> str | None:
    """Why the package index cannot be used (the skip reason), or None when it answers."""
    import os
    import urllib.error
    import urllib.parse
    import urllib.request

    url = url or _index_url()
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme == "file":
        path = urllib.request.url2pathname(parsed.path)
        return None if os.path.isdir(path) else f"package index {url} does not exist"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout):
            return None
    except urllib.error.HTTPError:
        return None  # it answered
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return f"package index {url} unreachable ({reason}): registry tests skipped"


_registry_reason: list[str | None] = []


def pytest_runtest_setup(item):
    """Tests marked `registry` skip, saying why, when the package index is unreachable (a
    laptop offline); CI reaches it and runs them."""
    if item.get_closest_marker("registry") is None:
        return
    if not _registry_reason:
        _registry_reason.append(registry_unreachable())
    if _registry_reason[0]:
        pytest.skip(_registry_reason[0])


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


@pytest.fixture
def lines():
    """JSON records written through fc.logger during the test (list of dicts, read lazily)."""
    buf = io.StringIO()
    import fcsdk as fc
    from fcsdk import _coldstart
    from fcsdk.logging import setup

    log = fc.logger
    saved = (log.propagate, log.level, log.sample_rate, log.buffer_debug, log.mask_fields)
    log.propagate = False
    log.remove_keys(*log.get_keys())  # keys another module appended at import time
    handler = setup("json", stream=buf, target=log, level=logging.INFO, keep_runtime=False)
    _coldstart._reset()

    def read() -> list[dict]:
        return [json.loads(line) for line in buf.getvalue().splitlines()]

    yield read
    log.removeHandler(handler)
    log.propagate, log.level = saved[0], saved[1]
    log.sample_rate, log.buffer_debug, log.mask_fields = saved[2:]
    log.remove_keys(*log.get_keys())
