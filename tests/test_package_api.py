"""The public face: a pinned __all__, a cheap import, py.typed, the version."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import fcsdk as fc

PUBLIC = [
    "ConfigurationError",
    "Context",
    "Credentials",
    "CredentialsUnavailableError",
    "EventDecodeError",
    "EventError",
    "EventValidationError",
    "FCError",
    "FCHandler",
    "FunctionMeta",
    "MissingDependencyError",
    "ResponseEncodeError",
    "ResponseError",
    "ResponseValidationError",
    "ServiceMeta",
    "Tracing",
    "__version__",
    "handler",
    "logger",
]


def test_all_is_pinned() -> None:
    assert sorted(fc.__all__) == sorted(PUBLIC)
    for name in fc.__all__:
        assert getattr(fc, name) is not None


def test_version_matches_metadata() -> None:
    from importlib.metadata import version

    assert fc.__version__ == version("fcsdk")


def test_py_typed_ships() -> None:
    assert (Path(fc.__file__).parent / "py.typed").is_file()


HEAVY = [
    "oss2",
    "requests",
    "alibabacloud_oss_v2",
    "cbor2",
    "uvicorn",
    "starlette",
    "fastapi",
    "flask",
    "werkzeug",
    "httpx",
    "asyncio",
    "fcsdk.events",
    "fcsdk.envelopes",
    "fcsdk.http",
    "fcsdk.runtime",
    "fcsdk.testing",
    "fcsdk.lifecycle",
    "fcsdk.cli",
]


def test_import_fcsdk_stays_light() -> None:
    code = (
        "import sys, fcsdk\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_unknown_attribute_is_attribute_error() -> None:
    import pytest

    with pytest.raises(AttributeError, match="no_such_thing"):
        fc.no_such_thing  # type: ignore[attr-defined]  # noqa: B018
