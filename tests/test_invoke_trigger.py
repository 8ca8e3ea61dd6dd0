"""`fcsdk invoke --trigger NAME [--trigger-option K=V ...]`: fcsdk's sample events, end to end."""

from __future__ import annotations

import base64
import json
import sys

import pytest

from fcsdk.cli import main
from fcsdk.testing import events
from tests.runtime_support import drop_fcsdk_log_handlers, invoke_cli, write_code

CODE = {
    "trig.py": """
    import fcsdk as fc

    @fc.handler
    def oss(event: fc.events.OSSEvent) -> list:
        return [[r.oss.bucket.name, r.oss.object.key, r.oss.object.size] for r in event.events]

    @fc.handler
    def timer(event: fc.events.TimerEvent) -> dict:
        return {"name": event.trigger_name, "payload": event.payload}

    @fc.http_handler
    def http(request: fc.http.Request) -> dict:
        return {"method": request.method, "path": request.path, "x": request.query.get("x"),
                "body": request.text}

    def raw(event, context):
        return event
    """,
}


@pytest.fixture(scope="module")
def code(tmp_path_factory):
    return write_code(tmp_path_factory.mktemp("trigger"), CODE)


@pytest.fixture(autouse=True)
def _clean():
    yield
    drop_fcsdk_log_handlers()
    sys.modules.pop("trig", None)


invoke = invoke_cli


def test_oss_sample_with_options(capfd, code):
    rc, out, err = invoke(
        capfd,
        code,
        "trig.oss",
        "--trigger",
        "oss",
        "--trigger-option",
        "bucket=photos",
        "--trigger-option",
        "key=in/a b.png",
        "--trigger-option",
        "size=7",
    )
    assert rc == 0, err
    assert json.loads(out) == [["photos", "in/a b.png", 7]]
    assert "FC Invoke End RequestId" in err


def test_timer_sample_default_and_option(capfd, code):
    rc, out, _ = invoke(capfd, code, "trig.timer", "--trigger", "timer")
    assert rc == 0
    default = json.loads(events.timer())
    assert json.loads(out) == {"name": default["triggerName"], "payload": default["payload"]}
    rc, out, _ = invoke(
        capfd, code, "trig.timer", "--trigger", "TIMER", "--trigger-option", 'payload={"a": 1}'
    )
    assert (rc, json.loads(out)["payload"]) == (0, '{"a": 1}')


def test_http_sample_gives_the_http_trigger_response(capfd, code):
    rc, out, err = invoke(
        capfd,
        code,
        "trig.http",
        "--trigger",
        "http",
        "--trigger-option",
        "method=PUT",
        "--trigger-option",
        "path=/orders/7",
        "--trigger-option",
        'query={"x": "1"}',
        "--trigger-option",
        "body=hello",
    )
    assert rc == 0, err
    response = json.loads(out)
    assert response["statusCode"] == 200
    body = response["body"]
    if response.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    assert json.loads(body) == {"method": "PUT", "path": "/orders/7", "x": "1", "body": "hello"}


def test_raw_handler_receives_the_exact_sample_bytes(capfdbinary, code):
    assert main(["invoke", "trig.raw", "--trigger", "kafka", "--code-dir", str(code)]) == 0
    assert capfdbinary.readouterr().out == events.kafka()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--trigger", "nope"], "unknown trigger 'nope'; known: "),
        (["--trigger", "oss", "--trigger-option", "colour=red"], "unknown option --colour"),
        (
            ["--trigger", "oss", "--trigger-option", "size=big"],
            "--trigger oss: --size expects an integer",
        ),
        (["--trigger", "oss", "--trigger-option", "bucket"], "expects OPTION=VALUE"),
        (["--trigger-option", "bucket=b"], "goes with --trigger"),
    ],
)
def test_trigger_usage_errors_exit_2_with_a_clear_message(capfd, code, args, message):
    rc, out, err = invoke(capfd, code, "trig.raw", *args)
    assert (rc, out) == (2, "")
    assert message in err
    assert "Traceback" not in err
    assert "FC Invoke Start" not in err


def test_trigger_excludes_event(capfd, code):
    with pytest.raises(SystemExit) as exc:
        main(["invoke", "trig.raw", "--trigger", "oss", "--event", "{}"])
    assert exc.value.code == 2
    assert "not allowed with argument" in capfd.readouterr().err
