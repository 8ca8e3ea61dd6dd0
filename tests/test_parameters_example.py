"""examples/parameters runs as it is: the handler against the loopback KMS/OOS gateway (the
signature and STS token checked), by a direct call and by `fcsdk invoke`."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from fcsdk.cli import main
from tests.acs_server import ACSServer

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "parameters"
PASSWORD = "example-password-never-returned"
ID, SECRET, TOKEN = "STS.example", "example-secret", "example-token"


@pytest.fixture
def acs(monkeypatch: pytest.MonkeyPatch):
    with ACSServer() as server:
        server.add_key(ID, SECRET, TOKEN)
        server.secrets["fcsdk-example/db-config"] = (
            '{"host": "db", "port": 5432, "user": "app"}',
            "text",
        )
        server.secrets["fcsdk-example/db-password"] = (PASSWORD, "text")
        server.parameters["fcsdk-example-rate-limit"] = ('{"per_second": 50}', "String")
        for name in ("KMS_ENDPOINT", "OOS_ENDPOINT"):
            monkeypatch.setenv(name, server.endpoint)
        monkeypatch.setenv("PARAMETERS_PROTOCOL", "http")
        yield server


def load() -> Any:
    spec = importlib.util.spec_from_file_location("parameters_example", EXAMPLE / "index.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


EXPECTED = {
    "table": "orders",
    "dsn": "postgresql://app@db:5432/app",
    "password_set": True,
    "rate_limit": {"per_second": 50},
}


def test_handler_with_an_invocations_credentials(acs: ACSServer) -> None:
    example = load()
    headers = {
        "x-fc-request-id": "r-1",
        "x-fc-access-key-id": ID,
        "x-fc-access-key-secret": SECRET,
        "x-fc-security-token": TOKEN,
    }
    for _ in range(3):
        body = example.handler((EXAMPLE / "event.json").read_bytes(), headers)
        assert json.loads(body) == EXPECTED and PASSWORD not in body
    assert sorted(n for _, n, _ in acs.requests) == [
        "fcsdk-example-rate-limit",
        "fcsdk-example/db-config",
        "fcsdk-example/db-password",
    ]


def test_fcsdk_invoke_with_keys_from_the_environment(
    acs: ACSServer, monkeypatch: pytest.MonkeyPatch, capfdbinary: pytest.CaptureFixture[bytes]
) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", ID)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET)
    monkeypatch.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", TOKEN)
    args = ["invoke", "index.handler", "--code-dir", str(EXAMPLE), "--runtime", "python3.12"]
    try:
        assert main([*args, "--event-file", str(EXAMPLE / "event.json")]) == 0
    finally:
        sys.modules.pop("index", None)
    assert json.loads(capfdbinary.readouterr().out) == EXPECTED
