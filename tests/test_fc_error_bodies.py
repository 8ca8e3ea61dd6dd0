"""`fcsdk invoke`'s error bodies, byte for byte as FC's built-in runtime writes them.

FC (fc_rapis_util of cheless/fc-runtime, reference section 1): a function error's body is
``json.dumps({"errorMessage": str(exc), "errorType": type(exc).__name__, "stackTrace": [...]},
indent=4, sort_keys=True)`` (ASCII escapes); each stackTrace entry is a ``traceback.format_tb``
entry split as ``[first line's comma-separated parts stripped..., source line stripped]``, the
bootstrap's own frame removed. A load failure's stackTrace is the lines of
``traceback.format_exception_only`` of the cause (carets dropped, the first line split at
commas), its errorType FC's (``ImportModuleError``, ``HandlerNotFound``...). The expected bytes
are written out here by hand.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.runtime_support import child_env, invoke_cli, write_code

CODE = {
    "index.py": """
    def handler(event, context):
        return helper()


    def helper():
        raise ValueError("prix négatif, ligne 2")
    """,
    "broken.py": """
    import json
    json.loads("{")
    """,
    "slow.py": """
    import time


    def handler(event, context):
        time.sleep(30)
    """,
}


@pytest.fixture(scope="module")
def code(tmp_path_factory):
    return write_code(tmp_path_factory.mktemp("errbodies"), CODE)


def _json_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def test_function_error_body_is_fc_bytes(capfd, code):
    rc, out, _ = invoke_cli(capfd, code, "index.handler")
    file = _json_str(f'File "{code / "index.py"}"')
    expected = (
        "{\n"
        '    "errorMessage": "prix n\\u00e9gatif, ligne 2",\n'
        '    "errorType": "ValueError",\n'
        '    "stackTrace": [\n'
        "        [\n"
        f"            {file},\n"
        '            "line 3",\n'
        '            "in handler",\n'
        '            "return helper()"\n'
        "        ],\n"
        "        [\n"
        f"            {file},\n"
        '            "line 7",\n'
        '            "in helper",\n'
        '            "raise ValueError(\\"prix n\\u00e9gatif, ligne 2\\")"\n'
        "        ]\n"
        "    ]\n"
        "}"
    )
    assert rc == 1
    assert out == expected


def test_missing_module_is_fc_import_module_error(capfd, code):
    rc, out, _ = invoke_cli(capfd, code, "nosuch.handler")
    message = _json_str(f"cannot import module 'nosuch': no nosuch.py in {code}")
    assert rc == 1
    assert out == (
        "{\n"
        f'    "errorMessage": {message},\n'
        '    "errorType": "ImportModuleError",\n'
        '    "stackTrace": [\n'
        "        \"ImportError: No module named 'nosuch'\"\n"  # FC's imp.find_module error
        "    ]\n"
        "}"
    )


def test_missing_function_is_fc_handler_not_found(capfd, code):
    rc, out, _ = invoke_cli(capfd, code, "index.other")
    assert rc == 1
    assert out == (
        "{\n"
        "    \"errorMessage\": \"module 'index' has no function 'other' (handler 'index.other')\",\n"
        '    "errorType": "HandlerNotFound",\n'
        '    "stackTrace": [\n'
        "        \"AttributeError: module 'index' has no attribute 'other'\"\n"
        "    ]\n"
        "}"
    )


def test_module_raising_at_import_is_fc_user_code_error(capfd, code):
    rc, out, err = invoke_cli(capfd, code, "broken.handler")
    assert rc == 1
    assert out.startswith('{\n    "errorMessage": "module \'broken\' raised while being imported: ')
    # the first line of format_exception_only, split at its commas as FC splits it
    assert out.endswith(
        '    "errorType": "UserCodeError",\n'
        '    "stackTrace": [\n'
        '        "json.decoder.JSONDecodeError: Expecting property name enclosed in double quotes: '
        'line 1 column 2 (char 1)"\n'
        "    ]\n"
        "}"
    )
    assert 'broken.py", line 3' in err  # where it failed: in the log, as a traceback


def test_timeout_keeps_fc_error_type_and_format(code):
    args = ["invoke", "slow.handler", "--timeout", "0.5", "--code-dir", str(code)]
    proc = subprocess.run(
        [sys.executable, "-m", "fcsdk", *args],
        capture_output=True,
        env=child_env(),
        timeout=60,
    )
    assert proc.returncode == 1
    assert proc.stdout == (
        b"{\n"
        b'    "errorMessage": "Function time out after 0.5 seconds",\n'
        b'    "errorType": "FunctionTimeoutError",\n'
        b'    "stackTrace": []\n'
        b"}"
    )
