"""Defects found in review of fcsdk.parameters (issue 14): bad input that escaped as a raw
RecursionError / AttributeError / TypeError instead of an fc.FCError naming the setting."""

from __future__ import annotations

import pytest

import fcsdk as fc
from fcsdk.parameters import (
    EnvironmentParameters,
    KMSSecrets,
    OOSParameters,
    ParameterValidationError,
)

SECRET_TEXT = "s3cr3t-value-never-shown"


@pytest.mark.parametrize("depth", [10_000, 200_000])
def test_deeply_nested_json_is_a_validation_error_without_the_value(depth):
    value = "[" * depth + f'"{SECRET_TEXT}"' + "]" * depth
    env = EnvironmentParameters(environ={"DEEP": value})
    with pytest.raises(ParameterValidationError, match="nested too deeply") as info:
        env.get("DEEP", transform="json")
    err = info.value
    assert isinstance(err, fc.FCError) and err.name == "DEEP"
    assert SECRET_TEXT not in str(err) and SECRET_TEXT not in repr(err)
    assert err.__cause__ is None and err.__context__ is None  # json's error holds the input


def test_deeply_nested_json_from_get_many_too():
    env = EnvironmentParameters(environ={"DEEP_A": '{"a": ' * 50_000})
    with pytest.raises(ParameterValidationError, match="nested too deeply"):
        env.get_many("DEEP_", transform="json")


@pytest.mark.parametrize(
    "make",
    [
        lambda: KMSSecrets(region="cn-hangzhou", credentials="LTAI:secret"),
        lambda: OOSParameters(region="cn-hangzhou", credentials={"access_key_id": "a"}),
        lambda: EnvironmentParameters(credentials=("a", "b")),
        lambda: KMSSecrets(region="cn-hangzhou").get("db", credentials="LTAI:secret"),
    ],
)
def test_credentials_that_are_not_credentials_are_refused_early(make):
    with pytest.raises(fc.ConfigurationError, match=r"credentials= must be an fc.Credentials"):
        make()


@pytest.mark.parametrize(
    ("make", "what"),
    [
        (lambda: KMSSecrets(endpoint=8080), "endpoint="),
        (lambda: OOSParameters(region=5), "region="),
        (lambda: KMSSecrets(ca=b"pem"), "ca="),
        (lambda: KMSSecrets(instance_id=123), "instance_id="),
        (lambda: EnvironmentParameters(environ=["A=1"]), "environ="),
        (lambda: EnvironmentParameters(prefix=None), "prefix="),
    ],
)
def test_settings_of_the_wrong_type_are_configuration_errors(make, what):
    with pytest.raises(fc.ConfigurationError, match=what):
        make()


def test_real_credentials_still_accepted():
    creds = fc.Credentials("LTAIexample", "example-secret-1", "example-token-1")
    assert KMSSecrets(region="cn-hangzhou", credentials=creds).credentials is creds
    env = EnvironmentParameters(environ={"A": "1"})
    assert env.get("A", credentials=creds) == "1"


KEY = fc.Credentials("STS.review-key", "review-secret-1", "review-token-1")


def test_a_refused_connection_says_why_and_what_to_check():
    from fcsdk.parameters import ParameterFetchError
    from tests.acs_server import ACSServer

    server = ACSServer()  # bound, never started, then closed: nothing listens
    endpoint = server.endpoint
    server._server.server_close()
    secrets = KMSSecrets(endpoint=endpoint, protocol="http", max_attempts=1)
    with pytest.raises(ParameterFetchError) as info:
        secrets.get("db-password", credentials=KEY)
    text = str(info.value)
    assert info.value.service_code == "ConnectionError"
    # the socket's reason, not 200 characters of urllib3's wrapper cut mid-word
    assert "Connection refused" in text or "[Errno" in text
    assert "Max retries exceeded" not in text and "{'message'" not in text
    assert "check the region or endpoint" in text and "throttling" not in text
    assert KEY.access_key_secret not in text and KEY.security_token not in text


def test_a_silent_server_still_says_timed_out():
    from fcsdk.parameters import ParameterFetchError
    from tests.acs_server import ACSServer

    with ACSServer() as server:
        server.add_key(KEY.access_key_id, KEY.access_key_secret, KEY.security_token)
        server.state.hang = True
        secrets = KMSSecrets(endpoint=server.endpoint, protocol="http", timeout=0.3, max_attempts=1)
        with pytest.raises(ParameterFetchError) as info:
            secrets.get("db-password", credentials=KEY)
    assert info.value.service_code == "Timeout"
    assert "timed out" in str(info.value) and "No answer within 0.3 s" in str(info.value)


def test_aget_is_not_queued_behind_a_busy_default_executor():
    """``aget`` ran its fetch on the loop's default executor: with its few workers busy (other
    invocations' blocking work), the fetch waited for them, past every documented bound."""
    import asyncio
    import threading
    import time

    from tests.acs_server import ACSServer

    release = threading.Event()

    async def main(endpoint: str) -> tuple[str, float]:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, int)  # the default executor exists now
        for _ in range(loop._default_executor._max_workers):  # type: ignore[attr-defined]
            loop.run_in_executor(None, release.wait, 10)
        await asyncio.sleep(0.05)
        secrets = KMSSecrets(endpoint=endpoint, protocol="http", timeout=1.0)
        start = time.monotonic()
        try:
            value = await secrets.aget("db-password", credentials=KEY)
        finally:
            release.set()
        return value, time.monotonic() - start

    with ACSServer() as server:
        server.add_key(KEY.access_key_id, KEY.access_key_secret, KEY.security_token)
        server.secrets["db-password"] = ("hunter2-review", "text")
        value, elapsed = asyncio.run(main(server.endpoint))
    assert value == "hunter2-review"
    assert elapsed < 2.0, elapsed


def test_importing_the_providers_loads_no_asyncio():
    """``fcsdk.parameters`` imported asyncio at module level (~20 ms of every cold start that
    uses only ``get``); it is needed by ``aget`` alone."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from fcsdk.parameters import KMSSecrets, OOSParameters, EnvironmentParameters\n"
        "print('asyncio' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
