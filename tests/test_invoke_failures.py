"""`fcsdk invoke` when the handler misbehaves or the settings are wrong: every case ends in FC's
error JSON (or a one-line usage error) and the exit code that says which, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from tests.runtime_support import child_env, drop_fcsdk_log_handlers, invoke_cli, write_code

CODE = {
    "odd.py": """
    import sys, time
    from concurrent.futures import ThreadPoolExecutor

    import fcsdk as fc

    class Weird(Exception):
        def __str__(self):
            raise RuntimeError("str fails")

    def weird(event, context):
        raise Weird()

    def surrogate(event, context):
        raise ValueError("bad input " + event.decode("utf-8", "surrogateescape"))

    def exits(event, context):
        sys.exit(3)

    def interrupted(event, context):
        raise KeyboardInterrupt

    def ret_surrogate(event, context):
        return "x\\ud800"

    def ok(event, context):
        return "fine"

    def boom(event, context):
        raise ValueError("boom")

    def stuck(event, context):  # a worker thread the interpreter joins at exit
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(time.sleep, 30).result()

    @fc.handler
    def typed(event: dict) -> dict:
        raise ValueError("typed boom")
    """,
    "slow_import.py": """
    import time
    time.sleep(30)

    def handler(event, context):
        return "loaded"
    """,
    "bad_import.py": """
    import json
    json.loads("{")

    def handler(event, context):
        return 1
    """,
}


@pytest.fixture(scope="module")
def code(tmp_path_factory):
    return write_code(tmp_path_factory.mktemp("failures"), CODE)


@pytest.fixture(autouse=True)
def _clean():
    modules = set(sys.modules)
    yield
    drop_fcsdk_log_handlers()
    for name in set(sys.modules) - modules:
        if name in ("odd", "bad_import"):
            del sys.modules[name]


def run(code, *args, env=None, stdin=None, timeout=30):
    """`python -m fcsdk invoke ARGS --code-dir CODE` as a process: (rc, stdout, stderr, seconds)."""
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "fcsdk", "invoke", *args, "--code-dir", str(code)],
        capture_output=True,
        env=env or child_env(),
        timeout=timeout,
    )
    return proc.returncode, proc.stdout, proc.stderr.decode(), time.monotonic() - started


def test_message_with_lone_surrogates_is_escaped_in_the_error_json(capfd, code, tmp_path):
    event = tmp_path / "event.bin"
    event.write_bytes(b"\xff\xfe")
    rc, out, _ = invoke_cli(capfd, code, "odd.surrogate", "--event-file", str(event))
    assert rc == 1
    out.encode("utf-8")  # valid UTF-8: the lone surrogates are JSON escapes
    err = json.loads(out)
    assert (err["errorType"], err["errorMessage"]) == ("ValueError", "bad input \udcff\udcfe")


def test_exception_whose_str_fails_is_still_reported(capfd, code):
    rc, out, _ = invoke_cli(capfd, code, "odd.weird")
    err = json.loads(out)
    assert rc == 1
    assert (err["errorType"], err["errorMessage"]) == ("Weird", "<unprintable Weird object>")


@pytest.mark.parametrize(
    ("handler", "error_type", "message"),
    [("odd.exits", "SystemExit", "3"), ("odd.interrupted", "KeyboardInterrupt", "")],
)
def test_sys_exit_and_keyboard_interrupt_are_function_errors(code, handler, error_type, message):
    rc, out, err, _ = run(code, handler, "--request-id", "r-exit")
    body = json.loads(out)
    assert rc == 1
    assert (body["errorType"], body["errorMessage"]) == (error_type, message)
    assert "FC Invoke End RequestId: r-exit" in err
    assert "Traceback" not in err


def test_str_with_lone_surrogate_fails_like_fc(capfd, code):
    rc, out, _ = invoke_cli(capfd, code, "odd.ret_surrogate")
    err = json.loads(out)
    assert rc == 1
    assert err["errorType"] == "UnicodeEncodeError"
    assert "surrogates not allowed" in err["errorMessage"]


def test_stack_trace_has_only_user_frames(capfd, code):
    rc, out, _ = invoke_cli(capfd, code, "odd.typed", "--event", "{}")
    frames = json.loads(out)["stackTrace"]
    assert rc == 1
    assert frames and all(f[0].endswith('odd.py"') for f in frames), frames
    rc, out, _ = invoke_cli(capfd, code, "bad_import.handler")
    err = json.loads(out)
    assert (rc, err["errorType"]) == (1, "UserCodeError")
    lines = err["stackTrace"]  # FC: the cause's format_exception_only lines, no frames
    assert lines and all(isinstance(t, str) for t in lines), lines
    assert not any("importlib" in t or "fcsdk" in t for t in lines), lines


def test_late_handler_ends_the_process_with_fc_timeout_error(code):
    rc, out, err, seconds = run(code, "odd.stuck", "--timeout", "0.5")
    assert rc == 1
    assert json.loads(out)["errorType"] == "FunctionTimeoutError"
    assert "FC Invoke End" in err
    assert seconds < 20  # not the handler's 30 s: FC ends the instance too


def test_timeout_covers_module_import(code):
    rc, out, err, seconds = run(code, "slow_import.handler", "--timeout", "0.5")
    body = json.loads(out)
    assert rc == 1
    assert (body["errorType"], body["errorMessage"]) == (
        "FunctionTimeoutError",
        "Function time out after 0.5 seconds",
    )
    assert "slow_import.py" in err  # the stacks show where the import hangs
    assert seconds < 20


@pytest.mark.parametrize(("handler", "rc"), [("odd.boom", 1), ("odd.ok", 0)])
def test_closed_stdout_keeps_the_function_result_code(code, handler, rc):
    """`fcsdk invoke ... | head -c 0`: the reader left; a function error still exits 1."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "fcsdk", "invoke", handler, "--code-dir", str(code)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=child_env(),
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=30) == rc
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--timeout", "nan"], {}, "--timeout must be a finite number"),
        (["--timeout", "inf"], {}, "--timeout must be a finite number"),
        (["--timeout", "-1"], {}, "--timeout must be a finite number"),
        (["--initialization-timeout", "inf"], {}, "--initialization-timeout must be"),
        ([], {"FCSDK_LOG_FORMAT": "xml"}, "unknown log format 'xml'"),
    ],
)
def test_bad_settings_are_one_line_usage_errors(code, args, env, message):
    rc, out, err, _ = run(code, "odd.ok", *args, env=child_env(**env))
    assert (rc, out) == (2, b"")
    assert err.strip().splitlines() == [err.strip()]
    assert message in err


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--graceful-timeout", "inf"], {}, "--graceful-timeout must be a finite number"),
        (["--graceful-timeout", "nan"], {}, "--graceful-timeout must be a finite number"),
        ([], {"FCSDK_LOG_FORMAT": "xml"}, "unknown log format 'xml'"),
    ],
)
def test_bad_serve_settings_are_one_line_usage_errors(code, args, env, message):
    proc = subprocess.run(
        [sys.executable, "-m", "fcsdk", "serve", "odd.ok", "--code-dir", str(code), *args],
        capture_output=True,
        env=child_env(**env),
        timeout=30,
    )
    err = proc.stderr.decode().strip()
    assert proc.returncode == 2
    assert err.splitlines() == [err]
    assert message in err
