"""examples/observability runs as FC runs it (``fcsdk invoke``) with logs, metrics and traces,
the traces sent to a real OTLP/HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from fcsdk.cli import main
from tests.otlp_server import OTLPReceiver
from tests.runtime_support import ROOT

CODE = ROOT / "examples" / "observability"


@pytest.fixture
def run(capfd, monkeypatch, tmp_path):
    monkeypatch.setenv("FCSDK_LOG_FORMAT", "json")
    root = logging.getLogger()
    saved = list(root.handlers), root.level

    def invoke(event: dict, endpoint: str) -> tuple[int, str, list[dict]]:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", endpoint)
        path = tmp_path / "event.json"
        path.write_text(json.dumps(event), encoding="utf-8")
        try:
            rc = main(
                ["invoke", "index.handler", "--code-dir", str(CODE), "--event-file", str(path)]
            )
        finally:
            sys.modules.pop("index", None)
        out, err = capfd.readouterr()
        lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
        return rc, out, lines

    yield invoke
    for h in list(root.handlers):
        if h not in saved[0]:
            root.removeHandler(h)
    root.setLevel(saved[1])


def test_the_example_logs_measures_and_traces(run):
    event = json.loads((CODE / "event.json").read_text(encoding="utf-8"))
    with OTLPReceiver() as rx:
        rc, out, lines = run(event, rx.endpoint)
    assert rc == 0
    assert json.loads(out) == {"order_id": "o-1001", "reserved": 2}
    logs = [x for x in lines if "level" in x]
    (metric_line,) = [x for x in lines if x.get("_fcsdk") == "metrics"]
    assert logs[0]["event"]["card"] == "**********"
    assert "4111111111111111" not in json.dumps(lines)
    assert [x["message"] for x in logs] == ["incoming event", "order placed"]  # no DEBUG
    assert logs[1]["order_id"] == "o-1001"
    assert metric_line["dimensions"]["channel"] == "web"
    assert set(metric_line["metrics"]) >= {"OrdersPlaced", "OrderValue"}
    names = sorted(s.name.rsplit(".", 1)[-1] for s in rx.spans())
    assert names == ["observability", "reserve"]


def test_a_failed_invocation_writes_its_debug_lines_and_its_metrics(run):
    event = json.loads((CODE / "event.json").read_text(encoding="utf-8"))
    event["quantity"] = 101
    with OTLPReceiver() as rx:
        rc, out, lines = run(event, rx.endpoint)
    assert rc != 0
    assert json.loads(out)["errorType"] == "ValueError"
    debug = [x for x in lines if x.get("level") == "DEBUG"]
    assert [x["message"] for x in debug] == ["reserving 101 x sku-7"]
    assert [x["_fcsdk"] for x in lines if "_fcsdk" in x] == ["metrics"]
    assert {s.status_code for s in rx.spans()} == {2}
