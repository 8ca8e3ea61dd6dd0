"""The FC documentation examples: the fcsdk form gives the same FC result as the untouched
original, run the way FC's python runtime runs them (``fcsdk invoke``: event bytes in, the
response body out). The OSS example needs the local OSS peer: see tests/test_oss.py."""

from __future__ import annotations

import sys

import pytest

from fcsdk.cli import main
from tests.runtime_support import ROOT

EXAMPLES = ROOT / "examples"


def invoke(capfdbinary: pytest.CaptureFixture[bytes], folder: str, module: str) -> bytes:
    code = EXAMPLES / folder
    args = ["invoke", f"{module}.handler", "--code-dir", str(code), "--runtime", "python3.10"]
    try:
        assert main([*args, "--event-file", str(code / "event.json")]) == 0
    finally:
        sys.modules.pop(module, None)
    return capfdbinary.readouterr().out


@pytest.mark.parametrize(
    ("folder", "expected"),
    [("parse_json", b"value"), ("run_command", None)],
)
def test_fcsdk_form_matches_the_original(capfdbinary, folder, expected):
    original = invoke(capfdbinary, folder, "index_raw")
    rewritten = invoke(capfdbinary, folder, "index")
    assert rewritten == original
    if expected is not None:
        assert rewritten == expected
    else:  # `ls -l` of the working folder: several lines, one of them this test file's folder
        assert original.startswith(b"total ")


def test_bad_event_is_an_fcsdk_error_where_the_original_raises_key_error(capfdbinary, tmp_path):
    event = tmp_path / "event.json"
    event.write_bytes(b'{"other": 1}')
    code = EXAMPLES / "parse_json"
    results = {}
    for module in ("index_raw", "index"):
        try:
            rc = main(
                ["invoke", f"{module}.handler", "--code-dir", str(code), "--event-file", str(event)]
            )
        finally:
            sys.modules.pop(module, None)
        results[module] = (rc, capfdbinary.readouterr().out)
    import json

    raw_rc, raw_out = results["index_raw"]
    rc, out = results["index"]
    assert raw_rc != 0
    assert rc != 0
    assert json.loads(raw_out)["errorType"] == "KeyError"
    error = json.loads(out)
    assert error["errorType"] == "EventValidationError"
    assert error["errorMessage"] == "1 validation error for Event: key: Field required"


def run_command(capfdbinary, event: str) -> tuple[int, bytes]:
    code = EXAMPLES / "run_command"
    try:
        rc = main(["invoke", "index.handler", "--code-dir", str(code), "--event", event])
    finally:
        sys.modules.pop("index", None)
    return rc, capfdbinary.readouterr().out


@pytest.mark.parametrize(
    "path", ["/", "/etc", "..", "../..", "sub/../..", "sub/../../x", "", "a\x00b", "escape"]
)
def test_run_command_lists_only_inside_the_code_folder(capfdbinary, monkeypatch, tmp_path, path):
    import json

    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "inside.txt").write_text("x")
    (tmp_path / "escape").symlink_to("/")
    monkeypatch.chdir(tmp_path)  # FC runs the handler in its code folder
    rc, out = run_command(capfdbinary, json.dumps({"path": path}))
    assert rc != 0
    error = json.loads(out)
    assert error["errorType"] == "EventValidationError"
    assert error["errorMessage"] == (  # one message, the input not echoed
        "1 validation error for ListDir: path: "
        "Value error, must be a relative path inside the function's code folder"
    )
    assert b"inside.txt" not in out


def test_run_command_lists_a_sub_folder(capfdbinary, monkeypatch, tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "inside.txt").write_text("x")
    monkeypatch.chdir(tmp_path)
    for event in ('{"path": "sub"}', '{"path": "./sub/"}', '{"path": "sub/inside.txt"}'):
        rc, out = run_command(capfdbinary, event)
        assert rc == 0, out
        assert b"inside.txt" in out


def test_msgspec_orders_totals_the_order_and_reports_the_field_path(capfdbinary, tmp_path):
    import json

    code = EXAMPLES / "msgspec_orders"
    assert json.loads(invoke(capfdbinary, "msgspec_orders", "index")) == {
        "orderId": "o-1",
        "items": 3,
        "amount": 15.0,
    }
    event = tmp_path / "event.json"
    event.write_bytes(b'{"orderId": "o-1", "lines": [{"sku": "tea"}]}')
    try:
        rc = main(["invoke", "index.handler", "--code-dir", str(code), "--event-file", str(event)])
    finally:
        sys.modules.pop("index", None)
    assert rc != 0
    error = json.loads(capfdbinary.readouterr().out)
    assert error["errorType"] == "EventValidationError"
    assert error["errorMessage"] == "1 validation error for Order: lines[0].qty: Field required"
