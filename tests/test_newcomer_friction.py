"""What a new user hit (issue #10, "Friction a new user hit"): each with the fix's test."""

from __future__ import annotations

import http.server
import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from pydantic import BaseModel

import fcsdk as fc
from fcsdk.cli import build_parser, main
from fcsdk.errors import MissingDependencyError, installed_from_index
from tests.conftest import registry_unreachable
from tests.runtime_support import ROOT, child_env, free_port, invoke_cli, write_code


class Order(BaseModel):
    order_id: str


# -- a context-first signature ------------------------------------------------------------------


def test_context_first_signature_is_one_configuration_error():
    with pytest.raises(fc.ConfigurationError) as info:

        @fc.handler
        def h(context: fc.Context, event: Order) -> str:
            return "x"

    message = str(info.value)
    assert "\n" not in message and "pydantic" not in message
    assert "the event is the first parameter" in message
    assert "def h(event: <your event type>, context: fc.Context)" in message


def test_context_alone_is_refused_too():
    with pytest.raises(fc.ConfigurationError, match="event is the first parameter"):

        @fc.handler
        def h(ctx: fc.Context) -> str:
            return "x"


# -- envelopes: the instance, a call of it, or the class -----------------------------------------

TIMER_EVENT = json.dumps(
    {"triggerTime": "2024-01-01T00:00:00Z", "triggerName": "t", "payload": '{"order_id": "o-1"}'}
).encode()


@pytest.mark.parametrize(
    "spelling",
    [lambda: fc.envelopes.Timer, lambda: fc.envelopes.Timer(), lambda: fc.envelopes.TimerEnvelope],
    ids=["Timer", "Timer()", "TimerEnvelope"],
)
def test_timer_envelope_spellings(spelling):
    @fc.handler(envelope=spelling())
    def handler(event: Order) -> str:
        return event.order_id

    assert handler(TIMER_EVENT, None) == "o-1"


def test_envelope_options_by_calling_the_instance():
    kafka = fc.envelopes.Kafka(base64=True)
    assert type(kafka) is fc.envelopes.KafkaEnvelope and kafka is not fc.envelopes.Kafka
    with pytest.raises(fc.ConfigurationError, match=r"fc.envelopes.Timer\(bad=...\)"):
        fc.envelopes.Timer(bad=1)


def test_envelope_class_needing_options_says_what_to_pass():
    class Needs(fc.envelopes.Envelope):
        def __init__(self, where: str) -> None:
            self.where = where

    with pytest.raises(fc.ConfigurationError, match=r"pass an instance, e.g. envelope=Needs\("):

        @fc.handler(envelope=Needs)
        def handler(event: Order) -> str:
            return ""


# -- fcsdk invoke --trigger http with a JSON body -----------------------------------------------

HTTP_CODE = {
    "web.py": """
    import json

    import fcsdk as fc
    from fastapi import FastAPI
    from pydantic import BaseModel


    class Order(BaseModel):
        order_id: str


    api = FastAPI()


    @api.post("/orders")
    def create(order: Order):
        return {"got": order.order_id}


    handler = fc.http.asgi(api)


    def headers(event, context):
        return json.loads(event)["headers"]
    """,
    "index.py": """
    def handler(event, context):
        return "hi"
    """,
}


@pytest.fixture(scope="module")
def code(tmp_path_factory):
    return write_code(tmp_path_factory.mktemp("friction"), HTTP_CODE)


def _trigger(capfd, code, handler, *options):
    args = ["--trigger", "http"]
    for o in options:
        args += ["--trigger-option", o]
    return invoke_cli(capfd, code, handler, *args)


def test_json_body_reaches_fastapi_as_json(capfd, code):
    rc, out, _ = _trigger(
        capfd, code, "web.handler", "method=POST", "path=/orders", 'body={"order_id": "o-7"}'
    )
    assert rc == 0
    response = json.loads(out)
    assert response["statusCode"] == 200, response
    assert json.loads(response["body"]) == {"got": "o-7"}


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["body=[1, 2]"], "application/json"),
        (['body={"a": 1}', 'headers={"Content-Type": "text/plain"}'], "text/plain"),
        (
            ['body={"a": 1}', 'headers={"content-type": "application/x-ndjson"}'],
            "application/x-ndjson",
        ),
        (["body=hello"], None),
        (["body=42"], None),  # JSON, but not an object or array a client would send as such
    ],
)
def test_content_type_only_added_for_json_bodies(capfd, code, options, expected):
    rc, out, _ = _trigger(capfd, code, "web.headers", *options)
    headers = {k.lower(): v for k, v in json.loads(out).items()}
    assert rc == 0
    assert headers.get("content-type") == expected


# -- fcsdk serve on a port in use ------------------------------------------------------------------


def test_serve_on_a_busy_port_is_one_line_and_exit_2(code):
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    port = busy.getsockname()[1]
    try:
        args = [
            "index.handler",
            "--code-dir",
            str(code),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ]
        proc = subprocess.run(
            [sys.executable, "-m", "fcsdk", "serve", *args],
            capture_output=True,
            text=True,
            env=child_env(),
            timeout=60,
        )
    finally:
        busy.close()
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert f"port {port}" in lines[0] and "--port" in lines[0]
    assert "startup" not in proc.stderr.lower()


# -- fcsdk invoke index.py ---------------------------------------------------------------------


def test_file_name_as_handler_suggests_module_function(capfd, code):
    rc, out, _ = invoke_cli(capfd, code, "index.py")
    body = json.loads(out)
    assert rc == 1
    assert body["errorType"] == "HandlerNotFound"  # FC's type: FC would not find `py` either
    assert "'index.py' is a file name" in body["errorMessage"]
    assert "use 'index.handler'" in body["errorMessage"]


# -- registry tests offline ----------------------------------------------------------------------


def test_registry_reachability():
    class Index(http.server.BaseHTTPRequestHandler):
        def do_HEAD(self):
            self.send_response(404)  # any answer: the index is there
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Index)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert registry_unreachable(f"http://127.0.0.1:{server.server_port}/simple") is None
    finally:
        server.shutdown()
        server.server_close()
    reason = registry_unreachable(f"http://127.0.0.1:{free_port()}/simple", timeout=2)
    assert reason is not None and "unreachable" in reason
    assert registry_unreachable("file:///nonexistent-index/simple") is not None


def test_registry_tests_skip_with_a_reason_offline():
    closed = f"http://127.0.0.1:{free_port()}/simple"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "tests/test_package_registry.py"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=child_env(PIP_INDEX_URL=closed),
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert " skipped" in proc.stdout and "passed" not in proc.stdout and "failed" not in proc.stdout
    assert f"package index {closed} unreachable" in proc.stdout


# -- CLI consistency -----------------------------------------------------------------------------

ONE_LIST = [
    "python3.9",
    "python3.10",
    "python3.12",
    "custom.debian10",
    "custom.debian11",
    "custom.debian12",
]


def _subparsers(parser, path=()):
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*path, name), sub
                yield from _subparsers(sub, (*path, name))


def test_every_subcommand_has_a_description():
    subs = list(_subparsers(build_parser()))
    assert {p for p, _ in subs} >= {("invoke",), ("serve",), ("events",), ("events", "list")}
    for path, sub in subs:
        assert sub.description, f"fcsdk {' '.join(path)} has no description"


def test_one_list_of_runtimes_everywhere(capsys):
    from fcsdk._runtimes import RUNTIMES
    from fcsdk.packaging.runtimes import RUNTIMES as BUILD_TARGETS

    assert list(RUNTIMES) == ONE_LIST
    assert set(ONE_LIST) <= set(BUILD_TARGETS)
    parser = build_parser()
    for runtime in ONE_LIST:
        assert parser.parse_args(["invoke", "i.h", "--runtime", runtime]).runtime == runtime
        assert parser.parse_args(["serve", "i.h", "--runtime", runtime]).runtime == runtime
    for command in ("invoke", "serve", "package"):
        with pytest.raises(SystemExit):
            parser.parse_args([command, "--help"])
        assert ", ".join(ONE_LIST) in " ".join(capsys.readouterr().out.split())
    with pytest.raises(SystemExit) as info:
        parser.parse_args(["invoke", "i.h", "--runtime", "python3.8"])
    assert info.value.code == 2


def test_custom_runtime_passes_the_headers(capfd, tmp_path):
    write_code(tmp_path, {"index.py": "def handler(event, context):\n    return context\n"})
    rc, out, _ = invoke_cli(capfd, tmp_path, "index.handler", "--runtime", "custom.debian12")
    headers = json.loads(out)
    assert rc == 0
    assert headers["x-fc-function-handler"] == "index.handler"
    assert headers["x-fc-request-id"]


def test_events_show_without_a_name_lists_the_names(capsys):
    assert main(["events", "show"]) == 2
    err = capsys.readouterr().err
    assert "oss" in err and "timer" in err and "http" in err
    assert main(["events", "show", "nosuch"]) == 2


def test_missing_extra_exits_2_in_events_show(capsys, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_cbor2(name, *args, **kwargs):
        if name == "cbor2":
            raise ImportError("No module named 'cbor2'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_cbor2)
    assert main(["events", "show", "tablestore"]) == 2
    assert 'pip install "fcsdk[tablestore]"' in capsys.readouterr().err


# -- fcsdk invoke's trailing newline -----------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")
@pytest.mark.parametrize("handler", ["index.handler", "nosuch.handler"])
def test_invoke_ends_with_a_newline_only_on_a_terminal(code, handler):
    import pty

    cmd = [sys.executable, "-m", "fcsdk", "invoke", handler, "--code-dir", str(code)]
    piped = subprocess.run(cmd, capture_output=True, env=child_env(), timeout=60).stdout
    assert not piped.endswith(b"\n")
    leader, follower = pty.openpty()
    try:
        proc = subprocess.run(
            cmd, stdout=follower, stderr=subprocess.DEVNULL, env=child_env(), timeout=60
        )
        os.close(follower)
        follower = -1
        data = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
    finally:
        os.close(leader)
        if follower != -1:
            os.close(follower)
    assert proc.returncode in (0, 1)
    assert data.replace(b"\r\n", b"\n") == piped + b"\n"


# -- the missing-extra hint --------------------------------------------------------------------


def _dist(site: Path, direct_url: bool) -> Path:
    info = site / "fcsdk-9.9.9.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fcsdk\nVersion: 9.9.9\n")
    if direct_url:  # what pip writes for a folder, clone (editable) or URL install (PEP 610)
        (info / "direct_url.json").write_text('{"url": "file:///src/fcsdk", "dir_info": {}}')
    return site


def test_installed_from_index_reads_pep_610(tmp_path):
    assert installed_from_index([str(_dist(tmp_path / "a", direct_url=False))]) is True
    assert installed_from_index([str(_dist(tmp_path / "b", direct_url=True))]) is False
    assert installed_from_index([str(tmp_path / "none")]) is False  # not installed: a clone


def test_missing_extra_hint_forms(monkeypatch):
    import fcsdk.errors as errors

    monkeypatch.setattr(errors, "installed_from_index", lambda path=None: True)
    assert str(MissingDependencyError.for_extra("oss2", "oss")) == (
        'oss2 is not installed: pip install "fcsdk[oss]"'
    )
    monkeypatch.setattr(errors, "installed_from_index", lambda path=None: False)
    assert str(MissingDependencyError.for_extra("oss2", "oss")) == (
        "oss2 is not installed: pip install \"fcsdk[oss]\" (from a clone of fcsdk: pip install -e '.[oss]')"
    )
    monkeypatch.undo()
    # this checkout is an editable install: both forms
    assert "pip install -e" in str(MissingDependencyError.for_extra("oss2", "oss"))
