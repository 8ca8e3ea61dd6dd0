"""The README runs: its Python blocks and its first set-up command, so it cannot rot.

Convention (also stated in the README's Development section), by a block's first line:

- a fenced ``python`` block runs in a fresh interpreter (no state leaks between blocks or into
  this test session) and must exit 0; its asserts are the documented results;
- ``# pytest``: the block is written to a test file and run with pytest (fcsdk's pytest plugin
  and its fixtures come from the installed entry point); it must pass;
- ``# not run: <reason>``: the block is only compiled.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
FENCE = re.compile(r"^```(\w*)[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
TIMEOUT = 120


def _blocks(lang: str) -> list[tuple[int, str]]:
    """(line number, source) of every fenced block of ``lang`` in the README."""
    text = README.read_text(encoding="utf-8")
    return [
        (text.count("\n", 0, m.start()) + 2, m.group(2))
        for m in FENCE.finditer(text)
        if m.group(1) == lang
    ]


PYTHON_BLOCKS = _blocks("python")


def _env() -> dict[str, str]:
    """The environment of a block: this one, minus what would change what the README shows."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("FC_", "ALIBABA_CLOUD_", "OSS_", "FCSDK_", "PYTEST_"))
        and k not in {"accessKeyID", "accessKeySecret", "securityToken", "PYTHONPATH"}
    }
    env["PYTHONWARNINGS"] = "error"
    return env


def _fail(what: str, proc: subprocess.CompletedProcess[str]) -> str:
    return f"{what} exited {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"


def test_readme_has_runnable_blocks():
    runnable = [src for _, src in PYTHON_BLOCKS if not src.startswith("# not run")]
    assert len(runnable) >= 2, "the README lost its runnable examples"
    assert any(src.startswith("# pytest") for src in runnable)


@pytest.mark.parametrize(
    ("line", "source"), PYTHON_BLOCKS, ids=[f"README.md:{n}" for n, _ in PYTHON_BLOCKS]
)
def test_python_block(line, source, tmp_path):
    compile(source, f"README.md:{line}", "exec")  # every block at least parses
    first = source.split("\n", 1)[0].strip()
    if first.startswith("# not run"):
        assert first.startswith("# not run: "), f"README.md:{line}: say why it is not run"
        return
    if first == "# pytest":
        (tmp_path / "test_readme_block.py").write_text(source, encoding="utf-8")
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error"]
        cmd.append("test_readme_block.py")
        proc = subprocess.run(
            cmd, cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=TIMEOUT
        )
        assert proc.returncode == 0, _fail(f"pytest on README.md:{line}", proc)
        assert " passed" in proc.stdout and "skipped" not in proc.stdout
        return
    script = tmp_path / "readme_block.py"
    # Pad with blank lines so tracebacks show README line numbers.
    script.write_text("\n" * (line - 1) + source, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert proc.returncode == 0, _fail(f"README.md:{line}", proc)


def _setup_commands() -> list[str]:
    return [src.strip() for _, src in _blocks("bash") if src.startswith("python3 -m venv .venv")]


def test_setup_commands_are_the_documented_ones():
    install_and_invoke, install_and_test = _setup_commands()
    assert install_and_invoke.startswith("python3 -m venv .venv && .venv/bin/pip install -e . && ")
    assert install_and_test == (
        "python3 -m venv .venv && .venv/bin/pip install -e '.[dev]' && .venv/bin/python -m pytest"
    )
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert '"$py" -m pytest' in ci and '-e "$root[dev]"' in ci  # CI runs the same command


def test_setup_command_invokes_the_example():
    """The invoke step of the first set-up command, with this interpreter's fcsdk."""
    command = _setup_commands()[0].split(" && ")[-1]
    argv = shlex.split(command)
    assert argv[0] == ".venv/bin/fcsdk"
    proc = subprocess.run(
        [sys.executable, "-m", "fcsdk", *argv[1:]],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert proc.returncode == 0, _fail(command, proc)
    assert proc.stdout == "value"  # the body alone; logs and the invoke markers on stderr
    assert "FC Invoke Start RequestId" in proc.stderr


def test_example_paths_exist():
    text = README.read_text(encoding="utf-8")
    paths = set(re.findall(r"\b((?:examples|bench|docs|tests|\.ci)/[\w./-]*\w)", text))
    assert paths
    # Build outputs (dist/) appear in sample output only.
    missing = sorted(p for p in paths if "/dist/" not in p and not (ROOT / p).exists())
    assert not missing, f"README names paths that do not exist: {missing}"
