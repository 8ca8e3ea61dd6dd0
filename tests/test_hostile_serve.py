"""Invalid events cost a small multiple of their size, measured for real: the issue's 2 MB
event against pydantic alone (each in a memory- and time-limited interpreter), and a 30 MB
invalid event against a real `fcsdk serve`, which keeps answering other requests."""

from __future__ import annotations

import importlib.util
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.runtime_support import ROOT, ServeProcess, write_code

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="resource limits are POSIX")


def _bench() -> Any:
    spec = importlib.util.spec_from_file_location("bench_hostile", ROOT / "bench" / "hostile.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_2mb_event_costs_less_than_pydantic_alone() -> None:
    bench = _bench()
    # pydantic's own cost is linear in the items: measured on a fifth of the event, scaled
    # (the whole event costs it ~1 GB; fcsdk 0.1.0 took 82 s and 4.7 GB on it)
    anchor = bench.measure("pydantic", 200_000, 2048, 120)
    assert "failed" not in anchor, anchor
    ours = bench.measure("fcsdk", 1_000_000, 1536, 120)
    assert "failed" not in ours, ours  # MemoryError/abort over 1.5 GB, or over 120 s
    # CPU time, not wall time: other processes on CI's two cores move wall time 2-3x between
    # the two measurements, CPU time far less
    assert ours["cpu_seconds"] < 2 * 5 * anchor["cpu_seconds"], (ours, anchor)
    assert ours["extra_mb"] < 300, ours
    assert ours["errors"] <= 20
    router = bench.measure("router", 1_000_000, 1536, 120)
    assert router["status"] == 422 and router["body"] < 16 * 1024, router


CODE = {
    "index.py": """
    from pydantic import BaseModel
    import fcsdk as fc

    class Order(BaseModel):
        id: str
        qty: int

    @fc.handler
    def handler(orders: list[Order]) -> int:
        return len(orders)
    """
}


def test_a_30mb_invalid_event_leaves_fcsdk_serve_answering(tmp_path: Path) -> None:
    code = write_code(tmp_path, CODE)
    srv = ServeProcess(code, "index.handler", "--workers", "2")
    big = b"[" + b"{}," * (10_000_000 - 1) + b"{}]"  # 30 MB
    headers = {"x-fc-request-id": "big", "x-fc-function-timeout": "60"}
    answers: dict[str, Any] = {}

    def post_big() -> None:
        r = httpx.post(f"{srv.url}/invoke", content=big, headers=headers, timeout=120)
        answers["big"] = (r.status_code, r.headers.get("x-fc-status"), r.json())

    try:
        thread = threading.Thread(target=post_big)
        thread.start()
        small = []
        with httpx.Client(base_url=srv.url, timeout=30) as client:
            while thread.is_alive() or len(small) < 5:
                started = time.monotonic()
                r = client.post("/invoke", content=b'[{"id": "a", "qty": 1}]')
                small.append((r.text, time.monotonic() - started))
                if len(small) > 500:
                    break
        thread.join(120)
        status, fc_status, body = answers["big"]
        assert (status, fc_status) == (200, "404")  # a function error, as FC reports it
        assert body["errorType"] == "EventValidationError"
        assert len(body["errorMessage"]) < 1000
        assert all(text == "1" for text, _ in small)
        assert max(seconds for _, seconds in small) < 10
        r = httpx.post(f"{srv.url}/invoke", content=b"[]", timeout=30)
        assert r.text == "0"  # still serving
    finally:
        srv.stop()
