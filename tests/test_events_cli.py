"""``fcsdk events list|show`` and ``fcsdk schema`` through the real command line."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from fcsdk.cli import main
from fcsdk.testing import events


def test_events_list(capsys):
    assert main(["events", "list"]) == 0
    out = capsys.readouterr().out
    for name in events.names():
        assert f"\n{name} " in f"\n{out}"
    assert "--bucket" in out


def test_events_show_oss_with_options(capsys):
    assert main(["events", "show", "oss", "--bucket", "b", "--key", "k", "--size=7"]) == 0
    ev = json.loads(capsys.readouterr().out)["events"][0]
    assert (
        ev["oss"]["bucket"]["name"],
        ev["oss"]["object"]["key"],
        ev["oss"]["object"]["size"],
    ) == ("b", "k", 7)


def test_events_show_lists_and_json_options(capsys):
    assert main(["events", "show", "kafka", "--values", "a", "--values", "b"]) == 0
    assert [r["data"]["value"] for r in json.loads(capsys.readouterr().out)] == ["a", "b"]
    assert main(["events", "show", "http", "--headers", '{"a": ["1", "2"]}']) == 0
    assert json.loads(capsys.readouterr().out)["headers"] == {"A": "1,2"}  # FC's canonical key


def test_events_show_tablestore_decoded_and_raw():
    cmd = [sys.executable, "-m", "fcsdk", "events", "show", "tablestore"]
    shown = subprocess.run(cmd, capture_output=True, check=True, timeout=60)
    assert json.loads(shown.stdout)["Version"] == "Sync-v1"
    raw = subprocess.run([*cmd, "--raw"], capture_output=True, check=True, timeout=60)
    assert raw.stdout == events.tablestore()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["events", "show", "nope"], "unknown trigger 'nope'"),
        (["events", "show", "oss", "--colour", "red"], "unknown option --colour"),
        (["events", "show", "oss", "--size", "big"], "--size expects an integer, not 'big'"),
        (["events", "show", "oss", "--bucket"], "needs a value"),
        (["events", "show", "oss", "bucket"], "expected an --option"),
        (["events", "show", "http", "--headers", "[1]"], "expects a JSON object"),
    ],
)
def test_events_show_errors(capsys, argv, message):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_events_show_help_lists_the_triggers_options(capsys, flag):
    assert main(["events", "show", "http", flag]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: fcsdk events show http ")
    assert "fcsdk.http.testing.make_event" in out
    for option in ("--method VALUE", "--path VALUE", "--headers JSON", "--source-ip", "--raw"):
        assert option in out
    assert "default: 'GET'" in out
    assert main(["events", "show", "oss", "--bucket", "b", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--size N" in out and "--keys VALUE" in out and "repeat for several" in out
    # a value that happens to be -h is a value, not a request for help
    assert main(["events", "show", "oss", "--key", "-h"]) == 0
    assert json.loads(capsys.readouterr().out)["events"][0]["oss"]["object"]["key"] == "-h"


def test_events_without_action_prints_usage(capsys):
    assert main(["events"]) == 2
    assert "list" in capsys.readouterr().err


@pytest.fixture
def code_dir(tmp_path, monkeypatch):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "shop_handlers.py").write_text(
        textwrap.dedent(
            """
            from typing import List
            from pydantic import BaseModel
            import fcsdk as fc

            class Order(BaseModel):
                order_id: str
                qty: int

            class Receipt(BaseModel):
                total: int

            @fc.handler(response_model=Receipt)
            def handler(event: Order) -> Receipt:
                return Receipt(total=event.qty)

            @fc.handler(envelope=fc.envelopes.Kafka)
            def batch(event: List[Order]) -> int:
                return len(event)

            @fc.handler
            def oss(event: fc.events.OSSEvent) -> str:
                return "ok"

            def plain(event, context):
                return event
            """
        )
    )
    (tmp_path / "src" / "broken_handlers.py").write_text("def handler(event, context)\n")
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield tmp_path
    for name in ("shop_handlers", "broken_handlers"):
        sys.modules.pop(name, None)


def test_schema_input_and_output(code_dir, capsys):
    assert main(["schema", "src/shop_handlers.handler", "--code-dir", str(code_dir)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["input"]["required"] == ["order_id", "qty"]
    assert out["output"]["properties"]["total"]["type"] == "integer"


def test_schema_batch_envelope_and_trigger_model(code_dir, capsys):
    assert main(["schema", "src/shop_handlers.batch", "--code-dir", str(code_dir)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["input"]["type"] == "array"
    assert out["envelope"] == "fcsdk.envelopes.Kafka"
    assert "output" not in out
    assert main(["schema", "src/shop_handlers.oss", "--code-dir", str(code_dir)]) == 0
    assert "eventName" in json.dumps(json.loads(capsys.readouterr().out)["input"])


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("src/shop_handlers.plain", "not decorated with @fc.handler"),
        ("src/shop_handlers.missing", "HandlerNotFound: module 'shop_handlers' has no function"),
        ("src/nowhere.handler", "ImportModuleError: cannot import module 'nowhere'"),
        ("nodot", "InvalidHandleName"),
        ("src/broken_handlers.handler", "UserCodeSyntaxError"),
        ("src/shop_handlers.Order", "not decorated with @fc.handler"),
    ],
)
def test_schema_errors(code_dir, capsys, target, message):
    assert main(["schema", target, "--code-dir", str(code_dir)]) == 2
    assert message in capsys.readouterr().err


def test_closed_pipe_is_not_a_traceback():
    """`fcsdk events list | head -1`: the reader goes away early; fcsdk exits quietly."""
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "fcsdk", "events", "list"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # like `head` exiting before fcsdk has written anything
    err = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait(timeout=30) == 0
    assert b"Traceback" not in err


def test_list_descriptions_are_plain_sentences(capsys):
    from fcsdk.cli import main

    assert main(["events", "list"]) == 0
    out = capsys.readouterr().out
    assert ":func:" not in out
    assert "``" not in out
