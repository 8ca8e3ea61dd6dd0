"""fcsdk.parameters with the real KMS and OOS SDK clients against a loopback gateway that checks
the ACS3-HMAC-SHA256 signature and the STS token (tests/acs_server.py)."""

from __future__ import annotations

import base64
import logging
import time
from typing import Any

import pytest
from pydantic import BaseModel

import fcsdk as fc
from fcsdk.parameters import (
    KMSSecrets,
    OOSParameters,
    ParameterFetchError,
    ParameterNotFoundError,
    ParameterValidationError,
)
from tests.acs_server import ACSServer

SECRET = "p@ss-w0rd-never-shown"
KEY1 = fc.Credentials("STS.key-one", "secret-one", "token-one")
KEY2 = fc.Credentials("STS.key-two", "secret-two", "token-two")


class DBConfig(BaseModel):
    host: str
    port: int


@pytest.fixture
def acs():
    with ACSServer() as server:
        server.add_key(KEY1.access_key_id, KEY1.access_key_secret, KEY1.security_token)
        server.add_key(KEY2.access_key_id, KEY2.access_key_secret, KEY2.security_token)
        server.secrets["db-password"] = (SECRET, "text")
        server.secrets["db-config"] = ('{"host": "db.internal", "port": "5432"}', "text")
        server.secrets["tls-key"] = (base64.b64encode(b"\x00\x01binary").decode(), "binary")
        server.parameters["rate-limit"] = ('{"per_second": 5}', "String")
        server.parameters["db-secret"] = (SECRET, "Secret")
        yield server


def kms(server: ACSServer, **kw: Any) -> KMSSecrets:
    kw.setdefault("timeout", 1.0)
    return KMSSecrets(endpoint=server.endpoint, protocol="http", **kw)


def oos(server: ACSServer, **kw: Any) -> OOSParameters:
    kw.setdefault("timeout", 1.0)
    return OOSParameters(endpoint=server.endpoint, protocol="http", **kw)


def ctx_for(creds: fc.Credentials, request_id: str = "r-1") -> dict[str, str]:
    """Custom-runtime headers of an invocation whose STS keys are ``creds``."""
    return {
        "x-fc-request-id": request_id,
        "x-fc-region": "cn-hangzhou",
        "x-fc-access-key-id": creds.access_key_id,
        "x-fc-access-key-secret": creds.access_key_secret,
        "x-fc-security-token": creds.security_token or "",
    }


def test_get_signs_with_the_invocations_credentials_and_caches(acs: ACSServer) -> None:
    secrets = kms(acs)

    @fc.handler
    def handler(event: bytes, context: fc.Context) -> str:
        return secrets.get("db-password")

    assert handler(b"", ctx_for(KEY1)) == SECRET
    assert handler(b"", ctx_for(KEY1)) == SECRET
    assert acs.requests == [("GetSecretValue", "db-password", KEY1.access_key_id)]
    assert acs.rejected == []


def test_explicit_credentials_outside_an_invocation(acs: ACSServer) -> None:
    assert kms(acs, credentials=KEY2).get("db-password") == SECRET
    assert kms(acs).get("db-password", credentials=KEY1) == SECRET
    assert [k for _, _, k in acs.requests] == [KEY2.access_key_id, KEY1.access_key_id]


def test_outside_an_invocation_without_credentials(acs: ACSServer) -> None:
    with pytest.raises(fc.CredentialsUnavailableError, match=r"credentials=fc\.Credentials"):
        kms(acs).get("db-password")
    assert acs.requests == []


def test_an_invocation_without_credentials(acs: ACSServer, no_cloud_env: None) -> None:
    secrets = kms(acs)

    @fc.handler
    def handler(event: bytes, context: fc.Context) -> str:
        return secrets.get("db-password")

    with pytest.raises(fc.CredentialsUnavailableError):
        handler(b"", {"x-fc-request-id": "r-1"})


def test_refresh_after_max_age_signs_with_the_triggering_invocations_credentials(
    acs: ACSServer,
) -> None:
    secrets = kms(acs, max_age=0.2)

    @fc.handler
    def handler(event: bytes, context: fc.Context) -> str:
        return secrets.get("db-password")

    handler(b"", ctx_for(KEY1, "r-1"))
    acs.expire(KEY1.access_key_id)  # FC rotated: the old token is no longer accepted
    assert handler(b"", ctx_for(KEY1, "r-2")) == SECRET  # still cached: no request
    time.sleep(0.25)
    assert handler(b"", ctx_for(KEY2, "r-3")) == SECRET
    assert [k for _, _, k in acs.requests] == [KEY1.access_key_id, KEY2.access_key_id]


def test_expired_token_is_a_fetch_error_naming_the_code(acs: ACSServer) -> None:
    acs.expire(KEY1.access_key_id)
    with pytest.raises(ParameterFetchError) as info:
        kms(acs).get("db-password", credentials=KEY1)
    exc = info.value
    assert exc.service_code == "InvalidSecurityToken.Expired"
    assert exc.status == 400 and exc.name == "db-password" and exc.provider == "kms"
    assert exc.code == "parameter_fetch" and exc.attempts == 1  # not retried
    assert "db-password" in str(exc) and "credentials were refused" in str(exc)
    assert acs.rejected == ["InvalidSecurityToken.Expired"]


def test_a_wrong_signature_is_rejected(acs: ACSServer) -> None:
    wrong = fc.Credentials(KEY1.access_key_id, "not-the-secret", KEY1.security_token)
    with pytest.raises(ParameterFetchError) as info:
        kms(acs).get("db-password", credentials=wrong)
    assert info.value.service_code == "SignatureDoesNotMatch"
    assert acs.rejected == ["SignatureDoesNotMatch"]


def test_a_token_of_another_key_and_a_missing_token_are_rejected(acs: ACSServer) -> None:
    mixed = fc.Credentials(KEY1.access_key_id, KEY1.access_key_secret, KEY2.security_token)
    no_token = fc.Credentials(KEY1.access_key_id, KEY1.access_key_secret)
    for creds in (mixed, no_token):
        with pytest.raises(ParameterFetchError):
            kms(acs).get("db-password", credentials=creds)
    assert acs.rejected == ["InvalidSecurityToken.MismatchWithAccessKey", "MissingSecurityToken"]


def test_not_found_names_the_parameter_and_code(acs: ACSServer) -> None:
    with pytest.raises(ParameterNotFoundError) as info:
        kms(acs).get("no-such-secret", credentials=KEY1)
    exc = info.value
    assert (exc.service_code, exc.status, exc.name) == (
        "Forbidden.ResourceNotFound",
        404,
        "no-such-secret",
    )
    assert exc.request_id and exc.request_id in str(exc)
    assert isinstance(exc, LookupError) and exc.__cause__ is None and exc.__context__ is None
    with pytest.raises(ParameterNotFoundError) as info2:
        oos(acs).get("nope", credentials=KEY1)
    assert info2.value.service_code == "EntityNotExists.Parameter"


def test_throttling_then_success_retries_with_backoff(acs: ACSServer) -> None:
    acs.fail_next(503, "ServiceUnavailable", times=2)
    started = time.perf_counter()
    assert kms(acs, max_attempts=3).get("db-password", credentials=KEY1) == SECRET
    assert time.perf_counter() - started >= 0.05 + 0.1  # two backoffs: >= 0.5*0.1 + 0.5*0.2
    assert acs.count("GetSecretValue") == 3


def test_throttling_retries_are_bounded(acs: ACSServer) -> None:
    acs.fail_next(400, "Throttling.User", times=5)
    with pytest.raises(ParameterFetchError) as info:
        kms(acs, max_attempts=2).get("db-password", credentials=KEY1)
    assert info.value.service_code == "Throttling.User" and info.value.attempts == 2
    assert acs.count("GetSecretValue") == 2


def test_retry_after_from_the_service_is_honoured_and_capped(acs: ACSServer) -> None:
    acs.fail_next(429, "Throttling", headers={"x-acs-retry-after": "300"})
    started = time.perf_counter()
    assert kms(acs).get("db-password", credentials=KEY1) == SECRET
    assert time.perf_counter() - started >= 0.3
    acs.fail_next(429, "Throttling", headers={"x-acs-retry-after": "60000"})  # a minute: give up
    with pytest.raises(ParameterFetchError) as info:
        kms(acs).get("db-config", credentials=KEY1)
    assert info.value.attempts == 1


def test_a_server_that_never_answers_times_out_clearly(acs: ACSServer) -> None:
    acs.state.hang = True
    started = time.perf_counter()
    with pytest.raises(ParameterFetchError) as info:
        kms(acs, timeout=0.3, max_attempts=2).get("db-password", credentials=KEY1)
    elapsed = time.perf_counter() - started
    exc = info.value
    assert exc.service_code == "Timeout" and exc.attempts == 2
    assert "No answer within 0.3 s" in str(exc) and acs.endpoint in str(exc)
    assert 0.6 <= elapsed < 2.5


def test_a_closed_port_is_a_connection_error() -> None:
    server = ACSServer()  # bound, never started, then closed: nothing listens
    endpoint = server.endpoint
    server._server.server_close()
    secrets = KMSSecrets(endpoint=endpoint, protocol="http", max_attempts=1)
    with pytest.raises(ParameterFetchError) as info:
        secrets.get("db-password", credentials=KEY1)
    assert info.value.service_code == "ConnectionError"


def test_transforms(acs: ACSServer) -> None:
    secrets = kms(acs, credentials=KEY1)
    assert secrets.get("db-config", model=DBConfig) == DBConfig(host="db.internal", port=5432)
    assert secrets.get("db-config", transform="json") == {"host": "db.internal", "port": "5432"}
    assert secrets.get("tls-key", transform="binary") == b"\x00\x01binary"
    assert secrets.get("db-config", transform=DBConfig) is secrets.get("db-config", model=DBConfig)
    assert acs.count("GetSecretValue") == 2  # one fetch per name, whatever the transforms


def test_validation_errors_never_show_the_value(acs: ACSServer) -> None:
    acs.secrets["bad-config"] = (f'{{"host": "{SECRET}", "port": "{SECRET}"}}', "text")
    acs.secrets["not-json"] = (SECRET, "text")
    secrets = kms(acs, credentials=KEY1)
    with pytest.raises(ParameterValidationError) as info:
        secrets.get("bad-config", model=DBConfig)
    text = str(info.value)
    assert "KMS secret 'bad-config' as DBConfig" in text and "port" in text
    assert SECRET not in text and SECRET not in repr(info.value.errors())
    assert info.value.__cause__ is None and info.value.__context__ is None
    for transform in ("json", "binary"):
        with pytest.raises(ParameterValidationError) as info:
            secrets.get("not-json", transform=transform)
        assert SECRET not in str(info.value) and info.value.name == "not-json"
        assert info.value.__context__ is None


def test_an_answer_that_is_not_json_never_shows_its_text(acs: ACSServer) -> None:
    acs.answer_raw_next(f"<html>{SECRET}</html>")
    with pytest.raises(ParameterFetchError) as info:
        kms(acs).get("db-password", credentials=KEY1)
    exc = info.value
    assert exc.service_code == "InvalidResponse" and exc.attempts == 1
    assert SECRET not in str(exc) and exc.__context__ is None and exc.__cause__ is None


def test_oos_parameters_common_and_secret(acs: ACSServer) -> None:
    assert oos(acs, credentials=KEY1).get("rate-limit", transform="json") == {"per_second": 5}
    assert oos(acs, credentials=KEY1, secret=True).get("db-secret") == SECRET
    assert [a for a, _, _ in acs.requests] == ["GetParameter", "GetSecretParameter"]


def test_oos_get_many_reads_every_page(acs: ACSServer) -> None:
    for i in range(5):
        acs.parameters[f"/app/p{i}"] = (str(i), "String")
    acs.parameters["/app/sub/deep"] = ("9", "String")
    acs.parameters["/app/hidden"] = ("s", "Secret")
    params = oos(acs, credentials=KEY1)
    assert params.get_many("/app/", transform="json") == {
        "p0": 0,
        "p1": 1,
        "p2": 2,
        "p3": 3,
        "p4": 4,
        "sub/deep": 9,
    }
    assert acs.count("GetParametersByPath") == 3  # pages of 2 (the server's page size)
    assert params.get_many("/app/", recursive=False) == {f"p{i}": str(i) for i in range(5)}
    assert oos(acs, credentials=KEY1, secret=True).get_many("/app/") == {"hidden": "s"}


def test_kms_has_no_get_many(acs: ACSServer) -> None:
    with pytest.raises(fc.ConfigurationError, match="cannot list values by prefix"):
        kms(acs, credentials=KEY1).get_many("/app/")


def test_force_fetch_and_max_age_zero(acs: ACSServer) -> None:
    secrets = kms(acs, credentials=KEY1)
    secrets.get("db-password")
    secrets.get("db-password")
    secrets.get("db-password", force_fetch=True)
    secrets.get("db-password", max_age=0)
    assert acs.count("GetSecretValue") == 3


def test_region_endpoint_from_the_invocation(no_cloud_env: None) -> None:
    secrets = KMSSecrets(vpc=True)
    assert secrets._resolve_endpoint(KEY1.with_region("cn-shanghai")) == (
        "kms-vpc.cn-shanghai.aliyuncs.com",
        "cn-shanghai",
    )
    with pytest.raises(fc.ConfigurationError, match="region"):
        KMSSecrets()._resolve_endpoint(KEY1)
    assert OOSParameters(endpoint="http://127.0.0.1:1").protocol == "http"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"protocol": "ftp"}, "protocol"),
        ({"max_age": -1}, "max_age"),
        ({"max_age": float("nan")}, "max_age"),
        ({"timeout": 0}, "timeout"),
        ({"max_attempts": 0}, "max_attempts"),
        ({"instance_id": "kst-1", "endpoint": "x"}, "either"),
    ],
)
def test_bad_settings_are_configuration_errors(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(fc.ConfigurationError, match=match):
        KMSSecrets(**kwargs)


def test_bad_calls_are_configuration_errors(acs: ACSServer) -> None:
    secrets = kms(acs, credentials=KEY1)
    with pytest.raises(fc.ConfigurationError, match="transform"):
        secrets.get("db-password", transform="yaml")  # type: ignore[call-overload]
    with pytest.raises(fc.ConfigurationError, match="either"):
        secrets.get("db-password", transform="json", model=DBConfig)  # type: ignore[call-overload]
    with pytest.raises(fc.ConfigurationError, match="non-empty"):
        secrets.get("")
    with pytest.raises(fc.ConfigurationError, match="cannot validate"):
        secrets.get("db-config", model=object())  # type: ignore[call-overload]
    assert acs.requests == []


def test_values_never_reach_reprs_or_logs(
    acs: ACSServer, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEBUG", "sdk")  # the SDK's own header dump
    sdk_log = logging.getLogger("darabonba-core")
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    keep = Keep()
    sdk_log.addHandler(keep)
    try:
        with caplog.at_level(logging.DEBUG):
            secrets = kms(acs, credentials=KEY1)
            acs.fail_next(503, "ServiceUnavailable")
            assert secrets.get("db-password") == SECRET
    finally:
        sdk_log.removeHandler(keep)
    texts = [r.getMessage() for r in caplog.records] + [r.getMessage() for r in records]
    assert any("db-password" in t and "fetched" in t for t in texts)
    assert any("x-acs-security-token : **********" in t for t in texts)
    everything = "\n".join(texts) + repr(secrets) + repr(secrets._cache)
    for secret in (SECRET, KEY1.security_token, KEY1.access_key_secret):
        assert secret not in everything


def test_missing_sdk_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "alibabacloud_kms20160120.client", None)
    with pytest.raises(fc.MissingDependencyError, match=r"fcsdk\[parameters\]"):
        KMSSecrets(endpoint="127.0.0.1:1", protocol="http").get("x", credentials=KEY1)


def test_import_fcsdk_loads_no_sdk() -> None:
    import subprocess
    import sys

    code = (
        "import sys, fcsdk, fcsdk.parameters; "
        "print(sorted(m for m in sys.modules if m.startswith(('alibabacloud', 'darabonba', 'Tea'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _signed_request(server: ACSServer, query: str, body: bytes = b"") -> tuple[str, dict[str, str]]:
    """A GetSecretValue request signed the V3 way for KEY1 (nonce and date fresh)."""
    import hashlib
    import hmac
    import uuid
    from datetime import datetime, timezone
    from urllib.parse import parse_qsl

    from tests.acs_signature import string_to_sign

    headers = {
        "host": server.endpoint,
        "x-acs-action": "GetSecretValue",
        "x-acs-version": "2016-01-20",
        "x-acs-date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "x-acs-signature-nonce": uuid.uuid4().hex,
        "x-acs-content-sha256": hashlib.sha256(body).hexdigest(),
        "x-acs-security-token": KEY1.security_token or "",
    }
    signed = sorted(headers)
    sts = string_to_sign("POST", "/", parse_qsl(query), headers, signed)
    signature = hmac.new(KEY1.access_key_secret.encode(), sts.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (
        f"ACS3-HMAC-SHA256 Credential={KEY1.access_key_id},"
        f"SignedHeaders={';'.join(signed)},Signature={signature}"
    )
    return query, headers


@pytest.mark.parametrize(
    ("tamper", "code"),
    [
        (None, None),
        ("query", "SignatureDoesNotMatch"),
        ("header", "SignatureDoesNotMatch"),
        ("body", "InvalidParameter.ContentSHA256"),
        ("unsigned", "IncompleteSignature"),
        ("replay", "SignatureNonceUsed"),
    ],
)
def test_the_gateway_rejects_tampered_requests(acs: ACSServer, tamper: Any, code: Any) -> None:
    import http.client
    import json

    query, headers = _signed_request(acs, "SecretName=db-password")
    body = b""
    if tamper == "query":
        query = "SecretName=db-config"
    elif tamper == "header":
        headers["x-acs-version"] = "2016-01-21"
    elif tamper == "body":
        body = b"SecretName=db-config"
    elif tamper == "unsigned":
        headers["x-acs-extra"] = "1"
    sends = 2 if tamper == "replay" else 1
    for _ in range(sends):
        conn = http.client.HTTPConnection(acs.endpoint, timeout=5)
        conn.request("POST", f"/?{query}", body=body, headers=headers)
        answer = json.loads(conn.getresponse().read())
        conn.close()
    assert answer.get("Code") == code
    if code is None:
        assert answer["SecretData"] == SECRET
