"""The benchmark scripts stay runnable: each answers --help, and none shadows a stdlib module
(a script's folder is first on sys.path, so bench/http.py once broke `import http`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = sorted((Path(__file__).resolve().parents[1] / "bench").glob("*.py"))


def test_there_are_benchmarks() -> None:
    assert {p.stem for p in BENCH} >= {
        "overhead",
        "import_time",
        "events",
        "serve",
        "http_triggers",
        "hostile",
        "idempotency",
        "coldstart",
        "parameters",
        "observability",
        "batch",
    }


@pytest.mark.skipif(sys.version_info < (3, 10), reason="sys.stdlib_module_names is 3.10+")
@pytest.mark.parametrize("script", BENCH, ids=lambda p: p.name)
def test_no_script_shadows_the_standard_library(script: Path) -> None:
    assert script.stem not in sys.stdlib_module_names


@pytest.mark.parametrize("script", BENCH, ids=lambda p: p.name)
def test_help(script: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(script), "--help"], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert "usage" in out.stdout.lower()


def test_coldstart_runs_its_cases() -> None:
    """One fresh process per case: the fcsdk, msgspec and trigger-model handler scripts run and
    answer their first invocation (a failing case prints "failed")."""
    script = next(p for p in BENCH if p.stem == "coldstart")
    args = ["--runs", "1", "--only", "import fcsdk", "--only", "msgspec", "--only", "OSSEvent"]
    out = subprocess.run(
        [sys.executable, str(script), *args], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert "failed" not in out.stdout, out.stderr
    for case in ("import fcsdk", "fcsdk + msgspec", "fcsdk OSSEvent"):
        assert case in out.stdout
