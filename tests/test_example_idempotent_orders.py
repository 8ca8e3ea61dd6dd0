"""examples/idempotent_orders as FC's runtime runs it (`fcsdk invoke --async`), with each store:
MemoryStore in one process, the real redis-server, and the loopback Tablestore server with the
credentials FC gives the function (here from the environment, as `fcsdk invoke` reads them)."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

from fcsdk.cli import main
from tests.runtime_support import ROOT, drop_fcsdk_log_handlers

CODE = ROOT / "examples" / "idempotent_orders"
EVENT = str(CODE / "event.json")


@pytest.fixture(autouse=True)
def _fresh_module() -> Any:
    sys.modules.pop("index", None)
    yield
    sys.modules.pop("index", None)
    drop_fcsdk_log_handlers()


def invoke(capfd: Any, *args: str) -> tuple[int, str, str]:
    rc = main(["invoke", *args, "--code-dir", str(CODE)])
    out, err = capfd.readouterr()
    return rc, out, err


def charge_twice(capfd: Any, tmp_path: Any, *, fresh_process: bool) -> tuple[str, str]:
    dest = tmp_path / "dest.json"
    rc, first, err = invoke(
        capfd, "index.handler", "--event-file", EVENT, "--async", "--destination-file", str(dest)
    )
    assert rc == 0, err
    assert err.count("charging 4200 CNY") == 1
    if fresh_process:
        sys.modules.pop("index", None)
    rc, second, err = invoke(capfd, "index.handler", "--event-file", EVENT, "--async")
    assert rc == 0 and "charging" not in err  # replayed: not charged again
    rc, flagged, _ = invoke(capfd, "index.on_failure", "--event-file", str(dest))
    assert rc == 0 and flagged == "flagged o-1001"
    return first, second


def test_memory_store_replays_within_one_process(
    capfd: Any, tmp_path: Any, monkeypatch: Any
) -> None:
    monkeypatch.delenv("IDEMPOTENCY_STORE", raising=False)
    first, second = charge_twice(capfd, tmp_path, fresh_process=False)
    assert second == first and json.loads(first)["charge_id"].startswith("ch-")


def test_redis_store_replays_across_processes(
    capfd: Any, tmp_path: Any, monkeypatch: Any, redis_server: Any
) -> None:
    monkeypatch.setenv("IDEMPOTENCY_STORE", "redis")
    monkeypatch.setenv("REDIS_URL", redis_server.url)
    first, second = charge_twice(capfd, tmp_path, fresh_process=True)
    assert second == first


def test_tablestore_store_with_the_functions_credentials(
    capfd: Any, tmp_path: Any, monkeypatch: Any, tablestore_server: Any
) -> None:
    monkeypatch.setenv("IDEMPOTENCY_STORE", "tablestore")
    monkeypatch.setenv("TABLESTORE_ENDPOINT", tablestore_server.endpoint)
    monkeypatch.setenv("TABLESTORE_INSTANCE", tablestore_server.instance)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", tablestore_server.access_key_id)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", tablestore_server.secret)
    monkeypatch.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", tablestore_server.token)
    first, second = charge_twice(capfd, tmp_path, fresh_process=True)
    assert second == first
