"""`fcsdk invoke`: FC's built-in runtime emulated, body alone on stdout, logs on stderr."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from fcsdk.cli import main
from fcsdk.runtime.invoke import call_handler, encode_body
from tests.runtime_support import ROOT, child_env, drop_fcsdk_log_handlers, invoke_cli, write_code

CODE = {
    "index.py": """
    import datetime, decimal, json, logging, subprocess, sys, time

    logger = logging.getLogger()

    def handler(event, context):
        evt = json.loads(event)
        return evt["key"]

    def ctx(event, context):
        out = {"rid": context.request_id, "name": context.function.name,
               "memory": context.function.memory, "timeout": context.function.timeout,
               "region": context.region, "handler": context.function.handler}
        if hasattr(context, "credentials"):
            c = context.credentials
            out["creds"] = [c.access_key_id, c.accessKeySecret, c.security_token]
        else:
            import os
            out["env_creds"] = os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_ID")
        return out

    def values(event, context):
        return {"d": decimal.Decimal("1.5"), "t": datetime.date(2024, 1, 2), "n": None,
                "u": "é", "list": [3, 1]}

    def raw_bytes(event, context):
        return b"\\x00\\xff"

    def noisy(event, context):
        print("from print")
        sys.stdout.write("from sys.stdout\\n")
        subprocess.run([sys.executable, "-c", "print('from a child')"], check=True)
        logger.info("from logging")
        return "body"

    def boom(event, context):
        raise ValueError("bad order 42")

    def slow(event, context):
        time.sleep(3)
        return "late"

    def echo(event, context):
        return event
    """,
    "models.py": """
    import fcsdk as fc
    from pydantic import BaseModel

    class Out(BaseModel):
        n: int

    def raw_model(event, context):
        return Out(n=1)

    @fc.handler
    def typed(event: dict, context: fc.Context) -> Out:
        fc.logger.info("typed call")
        return Out(n=len(event))

    @fc.handler
    async def typed_async(event: dict) -> dict:
        return {"keys": sorted(event)}
    """,
    "hooks.py": """
    import fcsdk as fc
    STATE = {"init": 0}

    @fc.initializer
    def init(context: fc.Context) -> None:
        STATE["init"] += 1

    def raw_init(context):
        STATE["init"] += 10

    def bad_init(context):
        raise RuntimeError("cannot connect")

    def handler(event, context):
        return STATE
    """,
}


@pytest.fixture(scope="module")
def code(tmp_path_factory):
    return write_code(tmp_path_factory.mktemp("invoke"), CODE)


@pytest.fixture(autouse=True)
def _clean(monkeypatch):
    for name in (
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
        "ALIBABA_CLOUD_SECURITY_TOKEN",
        "FC_REGION",
        "FC_FUNC_CODE_PATH",
    ):
        monkeypatch.delenv(name, raising=False)
    modules = set(sys.modules)
    yield
    drop_fcsdk_log_handlers()
    for name in set(sys.modules) - modules:
        if name in ("index", "models", "hooks"):
            del sys.modules[name]


invoke = invoke_cli


def test_body_alone_on_stdout_and_markers_on_stderr(capfd, code):
    rc, out, err = invoke(
        capfd, code, "index.handler", "--event", '{"key": "value"}', "--request-id", "req-1"
    )
    assert (rc, out) == (0, "value")
    assert "FC Invoke Start RequestId: req-1" in err
    assert "FC Invoke End RequestId: req-1" in err
    assert "Duration:" in err
    assert "Max Memory Used:" in err


def test_shape_a_context_with_credentials_from_env(capfd, code, monkeypatch):
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "AKID")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "SECRET")
    monkeypatch.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", "TOKEN")
    rc, out, _ = invoke(
        capfd,
        code,
        "index.ctx",
        "--region",
        "cn-shanghai",
        "--memory",
        "256",
        "--timeout",
        "9",
        "--function-name",
        "orders",
        "--request-id",
        "r-a",
    )
    assert rc == 0
    assert json.loads(out) == {
        "rid": "r-a",
        "name": "orders",
        "memory": 256,
        "timeout": "9",
        "region": "cn-shanghai",
        "handler": "index.ctx",
        "creds": ["AKID", "SECRET", "TOKEN"],
    }


def test_shape_b_has_no_credentials_attribute_but_env(capfd, code, monkeypatch):
    monkeypatch.setenv("OSS_ACCESS_KEY_ID", "OSSID")
    monkeypatch.setenv("OSS_ACCESS_KEY_SECRET", "OSSSECRET")
    rc, out, _ = invoke(capfd, code, "index.ctx", "--runtime", "python3.12")
    body = json.loads(out)
    assert rc == 0
    assert "creds" not in body
    assert body["env_creds"] == "OSSID"  # FC 3.12 puts them in ALIBABA_CLOUD_*
    import os

    assert "ALIBABA_CLOUD_ACCESS_KEY_ID" not in os.environ  # restored after the call


def test_fc_json_encoding_of_raw_returns(capfd, code):
    rc, out, _ = invoke(capfd, code, "index.values")
    assert rc == 0
    assert out == json.dumps(
        {"d": 1.5, "t": "2024-01-02", "n": None, "u": "é", "list": [3, 1]},
        indent=4,
        sort_keys=True,
    )


def test_bytes_return_is_sent_as_is(capfdbinary, code):
    assert main(["invoke", "index.raw_bytes", "--code-dir", str(code)]) == 0
    assert capfdbinary.readouterr().out == b"\x00\xff"


def test_raw_handler_returning_pydantic_model_fails_like_fc(capfd, code):
    rc, out, _ = invoke(capfd, code, "models.raw_model")
    err = json.loads(out)
    assert rc == 1
    assert err["errorType"] == "TypeError"
    assert err["errorMessage"] == "Out(n=1) is not JSON serializable"  # FC: repr(obj) + ...


def test_decorated_handler_returns_model_json(capfd, code):
    rc, out, err = invoke(
        capfd, code, "models.typed", "--event", '{"a": 1, "b": 2}', "--request-id", "typed-1"
    )
    assert (rc, out) == (0, '{"n":2}')
    assert "typed-1 [INFO] typed call" in err
    rc, out, _ = invoke(capfd, code, "models.typed_async", "--event", '{"b": 1, "a": 2}')
    assert (rc, json.loads(out)) == (0, {"keys": ["a", "b"]})


def test_decorated_handler_validation_error_is_fc_error_json(capfd, code):
    rc, out, _ = invoke(capfd, code, "models.typed", "--event", "[1, 2]")
    err = json.loads(out)
    assert rc == 1
    assert err["errorType"] == "EventValidationError"
    assert set(err) == {"errorMessage", "errorType", "stackTrace"}


def test_print_logging_and_child_output_go_to_stderr(capfd, code):
    rc, out, err = invoke(capfd, code, "index.noisy", "--request-id", "rid-noisy")
    assert (rc, out) == (0, "body")
    for text in ("from print", "from sys.stdout", "from a child"):
        assert text in err
    assert "rid-noisy [INFO] from logging" in err


def test_json_log_format(capfd, code, monkeypatch):
    monkeypatch.setenv("FCSDK_LOG_FORMAT", "json")
    rc, _, err = invoke(capfd, code, "index.noisy", "--request-id", "rid-json")
    line = next(ln for ln in err.splitlines() if "from logging" in ln)
    assert rc == 0
    assert json.loads(line)["request_id"] == "rid-json"


def test_unhandled_exception_gives_error_json_with_stack_trace(capfd, code):
    rc, out, _ = invoke(capfd, code, "index.boom")
    err = json.loads(out)
    assert rc == 1
    assert err["errorType"] == "ValueError"
    assert err["errorMessage"] == "bad order 42"
    file, _line, func, src = err["stackTrace"][-1]
    assert file.startswith('File "') and file.endswith('index.py"')  # split as FC splits it
    assert func == "in boom"
    assert src == 'raise ValueError("bad order 42")'
    assert all("fcsdk/runtime" not in frame[0] for frame in err["stackTrace"])


@pytest.mark.parametrize(
    ("handler", "error_type"),
    [
        ("index", "InvalidHandleName"),
        ("nomodule.handler", "ImportModuleError"),
        ("index.missing", "HandlerNotFound"),
    ],
)
def test_load_errors(capfd, code, handler, error_type):
    rc, out, err = invoke(capfd, code, handler)
    assert rc == 1
    assert json.loads(out)["errorType"] == error_type
    assert error_type in err


def test_timeout_is_enforced(capfd, code):
    rc, out, err = invoke(capfd, code, "index.slow", "--timeout", "0.3")
    body = json.loads(out)
    assert rc == 1
    assert body["errorMessage"] == "Function time out after 0.3 seconds"
    assert body["errorType"] == "FunctionTimeoutError"
    assert "in slow" in err  # every thread's stack is logged, like FC


def test_initializer_runs_once_before_invoke(capfd, code):
    rc, out, err = invoke(capfd, code, "hooks.handler", "--initializer", "hooks.init")
    assert (rc, json.loads(out)) == (0, {"init": 1})
    assert err.index("FC Initialize End") < err.index("FC Invoke Start")
    rc, out, _ = invoke(capfd, code, "hooks.handler", "--initializer", "hooks.raw_init")
    assert json.loads(out) == {"init": 11}


def test_failing_initializer_stops_the_invoke(capfd, code):
    rc, out, err = invoke(capfd, code, "hooks.handler", "--initializer", "hooks.bad_init")
    assert rc == 1
    assert json.loads(out)["errorType"] == "RuntimeError"
    assert "FC Invoke Start" not in err


def test_event_sources(capfd, code, tmp_path, monkeypatch):
    path = tmp_path / "event.bin"
    path.write_bytes(b"\x01\x02")
    assert main(["invoke", "index.echo", "--code-dir", str(code), "--event-file", str(path)]) == 0
    assert capfd.readouterr().out == "\x01\x02"
    rc, out, _ = invoke(capfd, code, "index.echo")
    assert (rc, out) == (0, "")  # no event: empty bytes, as an invoke without payload


def test_usage_errors(capfd, code):
    rc, out, err = invoke(capfd, code, "index.echo", "--event-file", "/nonexistent/event.json")
    assert rc == 2
    assert out == ""
    assert "nonexistent" in err
    rc, out, err = invoke(capfd, code, "index.echo", "--timeout", "0")
    assert rc == 2
    assert "--timeout" in err


def test_stdin_event_through_the_module_entry_point(code):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "fcsdk",
            "invoke",
            "index.handler",
            "--event",
            "-",
            "--code-dir",
            str(code),
        ],
        input=b'{"key": "from stdin"}',
        capture_output=True,
        env=child_env(),
        timeout=60,
    )
    assert (proc.returncode, proc.stdout) == (0, b"from stdin")
    assert b"FC Invoke End RequestId" in proc.stderr


def test_isolated_mode_invocation_used_by_packaging(code):
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); sys.path.insert(0, sys.argv[2]); "
        "from fcsdk.cli import main; "
        "sys.exit(main(['invoke', 'index.handler', '--code-dir', sys.argv[1], "
        "'--runtime', 'python3.10', '--event', '{\"key\": \"packaged\"}']))"
    )
    proc = subprocess.run(
        [sys.executable, "-I", "-c", script, str(code), str(ROOT)],
        capture_output=True,
        env=child_env(),
        timeout=60,
    )
    assert (proc.returncode, proc.stdout) == (0, b"packaged"), proc.stderr.decode()


def test_call_handler_api_and_encode_body():
    result = call_handler(lambda event, context: {"b": 1, "a": [event.decode()]}, b"x", None)
    assert result.ok
    assert result.body == b'{\n    "a": [\n        "x"\n    ],\n    "b": 1\n}'

    class WithToJson:
        def to_json(self):
            return {"k": "v"}

    assert encode_body(WithToJson()) == b'{\n    "k": "v"\n}'
    with pytest.raises(TypeError):
        encode_body({1, 2})


def test_raw_async_handler_is_reported_not_awaited():
    async def handler(event, context):
        return "never"

    result = call_handler(handler, b"", None)
    assert result.error["errorType"] == "TypeError"
    assert "@fc.handler" in result.error["errorMessage"]


def test_module_initializer_is_found_unless_disabled(capfd, code):
    rc, out, _ = invoke(capfd, code, "hooks.handler")
    assert (rc, json.loads(out)) == (0, {"init": 1})
    rc, out, err = invoke(capfd, code, "hooks.handler", "--no-initializer")
    assert json.loads(out) == {"init": 1}  # same module, not initialized again
    assert "FC Initialize" not in err
