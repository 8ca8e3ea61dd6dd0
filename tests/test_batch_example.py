"""examples/batch_orders, run the way FC runs it (``fcsdk invoke``: event bytes in, body out)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from fcsdk.cli import main
from fcsdk.testing import events
from tests.runtime_support import ROOT

CODE = ROOT / "examples" / "batch_orders"


def run(capfdbinary: pytest.CaptureFixture[bytes], event_file: Path) -> tuple[int, bytes, bytes]:
    args = ["invoke", "index.handler", "--code-dir", str(CODE), "--event-file", str(event_file)]
    try:
        rc = main(args)
    finally:
        sys.modules.pop("index", None)
    out = capfdbinary.readouterr()
    return rc, out.out, out.err


def test_the_poison_message_is_quarantined_and_the_batch_succeeds(capfdbinary) -> None:
    rc, out, err = run(capfdbinary, CODE / "event.json")
    assert rc == 0
    report = json.loads(out)
    assert report["succeeded"] == 2
    assert [(f["index"], f["errorType"]) for f in report["failed"]] == [(1, "EventValidationError")]
    assert "[1].data.messageBody.qty" in report["failed"][0]["errorMessage"]
    assert err.count(b"reserved ") == 2 and b"quarantined message" in err


def test_a_transient_failure_fails_the_invocation_so_fc_retries(capfdbinary, tmp_path) -> None:
    orders = [
        {"orderId": f"o-{i}", "sku": "unavailable" if i == 2 else "tea", "qty": 1} for i in range(4)
    ]
    event = tmp_path / "event.json"
    event.write_bytes(events.mns_queue_batch(orders, poison_at=[0], queue="orders"))
    rc, out, err = run(capfdbinary, event)
    assert rc != 0
    body = json.loads(out)
    assert body["errorType"] == "BatchProcessingError"
    assert body["errorMessage"].startswith("2 of 5 records failed: [0] id=")
    assert "on_failure raised StockUnavailable" in body["errorMessage"]
    assert err.count(b"reserved ") == 3


def test_over_fc_custom_runtime_http(tmp_path: Path) -> None:
    """The example served by `fcsdk serve` (FC's custom-runtime protocol) on loopback."""
    import shutil

    import httpx

    from tests.runtime_support import ServeProcess

    code = tmp_path / "code"
    shutil.copytree(CODE, code)
    server = ServeProcess(code, "index.handler")
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            ok = client.post(
                "/invoke",
                content=(code / "event.json").read_bytes(),
                headers={"x-fc-request-id": "r-batch-1"},
            )
            orders = [{"orderId": "o-1", "sku": "unavailable", "qty": 1}]
            failed = client.post(
                "/invoke",
                content=events.mns_queue_batch(orders),
                headers={"x-fc-request-id": "r-batch-2"},
            )
    finally:
        server.stop()
    assert ok.headers["x-fc-status"] == "200"
    assert ok.text.startswith('{\n    "failed": [')  # FC's json.dumps(indent=4, sort_keys=True)
    assert ok.json()["succeeded"] == 2
    assert failed.headers["x-fc-status"] == "404"  # a function error: the trigger retries
    assert failed.json()["errorType"] == "BatchProcessingError"
    log = server.log_path.read_text(encoding="utf-8")
    assert "r-batch-1 [ERROR] quarantined message" in log
