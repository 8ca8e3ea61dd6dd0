"""fc.Context from shapes A (FC 2.0 and 3.0), B, C and the environment; fc.Credentials."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest

import fcsdk as fc
from tests.natives import NativeFunction, ShapeA, ShapeB, shape_c_headers

ENV = {
    "FC_FUNCTION_NAME": "env-fn",
    "FC_FUNCTION_HANDLER": "index.handler",
    "FC_FUNCTION_MEMORY_SIZE": "128",
    "FC_REGION": "cn-shenzhen",
    "FC_ACCOUNT_ID": "42",
    "FC_INSTANCE_ID": "inst-1",
    "FC_FUNCTION_VERSION": "9",
    "FC_QUALIFIER": "LATEST",
    "FC_SERVICE_NAME": "env-svc",
}


def test_shape_a_fc2() -> None:
    ctx = fc.Context.of(ShapeA("r-a"), environ={})
    assert ctx.request_id == "r-a"
    assert ctx.credentials == fc.Credentials("STS.id-a", "secret-a", "token-a")
    assert ctx.credentials is not None and ctx.credentials.source == "context"
    assert ctx.function == fc.FunctionMeta(
        name="orders",
        handler="index.handler",
        memory=512,
        timeout=30,
        initializer="index.init",
        version_id="3",
        qualifier="LATEST",
    )
    assert ctx.service == fc.ServiceMeta(
        name="svc", log_project="proj", log_store="store", qualifier="LATEST", version_id="3"
    )
    assert ctx.tracing == fc.Tracing("span-ctx", "http://jaeger", {"k": "v"})
    assert (ctx.region, ctx.account_id, ctx.retry_count) == ("cn-hangzhou", "1234567890", 1)
    assert ctx.raw.request_id == "r-a"


def test_shape_a_fc3_empty_service_values_are_none() -> None:
    ctx = fc.Context.of(ShapeA(fc2=False, retry_count=None), environ={})
    assert ctx.service.name is None
    assert ctx.service.log_project is None
    assert ctx.function.initializer is None
    assert ctx.tracing == fc.Tracing(None, None, {})
    assert ctx.retry_count == 0


def test_shape_a_camel_case_aliases() -> None:
    class Camel:
        requestId = "r-camel"
        accountId = "7"
        retryCount = "3"

        class credentials:
            accessKeyId, accessKeySecret, securityToken = "id", "sec", "tok"

    ctx = fc.Context.of(Camel(), environ={})
    assert (ctx.request_id, ctx.account_id, ctx.retry_count) == ("r-camel", "7", 3)
    assert ctx.credentials == fc.Credentials("id", "sec", "tok")


def test_shape_b_credentials_from_environment() -> None:
    env = {
        "ALIBABA_CLOUD_ACCESS_KEY_ID": "env-id",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "env-secret",
        "ALIBABA_CLOUD_SECURITY_TOKEN": "env-token",
    }
    ctx = fc.Context.of(ShapeB("r-b"), environ=env)
    assert ctx.request_id == "r-b"
    assert ctx.credentials == fc.Credentials("env-id", "env-secret", "env-token")
    assert ctx.function.version_id == "7"
    assert ctx.function.qualifier == "prod"
    assert ctx.function.memory == 1024
    assert ctx.function.timeout == 60
    assert ctx.service.log_project == "proj-b"
    assert ctx.service.log_store == "store-b"
    assert ctx.tracing == fc.Tracing()


def test_shape_b_legacy_credential_names() -> None:
    env = {"accessKeyID": "legacy-id", "accessKeySecret": "legacy-secret", "securityToken": "t"}
    ctx = fc.Context.of(ShapeB(), environ=env)
    assert ctx.credentials == fc.Credentials("legacy-id", "legacy-secret", "t")
    assert ctx.credentials is not None and ctx.credentials.source == "env:accessKeyID"


def test_shape_c_headers_all_fields() -> None:
    ctx = fc.Context.of(shape_c_headers(), environ={})
    assert ctx.request_id == "req-c"
    assert ctx.credentials == fc.Credentials("STS.id-c", "secret-c", "token-c")
    assert ctx.credentials is not None and ctx.credentials.source == "headers"
    assert ctx.function == fc.FunctionMeta(
        name="orders-c",
        handler="index.handler",
        memory=256,
        timeout=15,
        initializer="index.init",
        version_id="2",
        qualifier="LATEST",
    )
    assert ctx.service == fc.ServiceMeta("svc-c", "proj-c", "store-c", "LATEST", "2")
    assert ctx.tracing == fc.Tracing("ctx-c", "http://jaeger-c", {"b": "1"})
    assert (ctx.region, ctx.account_id, ctx.retry_count) == ("cn-beijing", "999", 2)


def test_headers_any_case() -> None:
    ctx = fc.Context.from_headers({"X-Fc-Request-Id": "R", "X-FC-REGION": "cn-x"}, environ={})
    assert (ctx.request_id, ctx.region) == ("R", "cn-x")


@pytest.mark.parametrize("garbage", ["", "abc", "12abc", "1e999", "nan", "9" * 100, "-", " "])
def test_garbage_numbers_give_none(garbage: str) -> None:
    headers = {
        "x-fc-function-memory": garbage,
        "x-fc-function-timeout": garbage,
        "x-fc-retry-count": garbage,
        "x-fc-tracing-opentracing-span-baggages": garbage,
    }
    ctx = fc.Context.of(headers, environ={})
    assert ctx.function.memory is None
    assert ctx.function.timeout is None
    assert ctx.retry_count == 0
    assert ctx.remaining_time() is None
    assert ctx.tracing.span_baggages == {}


def test_numbers_given_as_strings_are_converted() -> None:
    ctx = fc.Context.of(
        {"x-fc-function-memory": " 512 ", "x-fc-function-timeout": "3.0"}, environ={}
    )
    assert (ctx.function.memory, ctx.function.timeout) == (512, 3)


def test_environment_only() -> None:
    ctx = fc.Context.from_env(ENV)
    assert ctx.function.name == "env-fn"
    assert ctx.function.memory == 128
    assert ctx.function.version_id == "9"
    assert ctx.function.qualifier == "LATEST"
    assert ctx.service.name == "env-svc"
    assert (ctx.region, ctx.account_id, ctx.instance_id) == ("cn-shenzhen", "42", "inst-1")
    assert ctx.credentials is None
    assert len(ctx.request_id) == 36
    assert ctx.request_id == ctx.request_id  # generated once


def test_native_fields_fall_back_to_environment() -> None:
    ctx = fc.Context.of(ShapeB(), environ={"FC_INSTANCE_ID": "i-9", "FC_SERVICE_NAME": "s"})
    assert ctx.instance_id == "i-9"
    assert ctx.service.name == "s"


def test_old_version_variable() -> None:
    assert fc.Context.from_env({"FC_VER_ID": "5"}).function.version_id == "5"


def test_missing_everything_gives_none_not_attribute_error() -> None:
    class Empty:
        pass

    ctx = fc.Context.of(Empty(), environ={})
    assert ctx.function == fc.FunctionMeta()
    assert ctx.service == fc.ServiceMeta()
    assert ctx.credentials is None
    assert ctx.region is None
    json.dumps(ctx.to_dict())


def test_broken_native_property_does_not_break() -> None:
    class Broken:
        request_id = "r"

        @property
        def region(self) -> str:
            raise RuntimeError("runtime bug")

    assert fc.Context.of(Broken(), environ={}).region is None


def test_remaining_time_counts_down_from_invocation_start() -> None:
    native = ShapeA()
    native.function = NativeFunction(timeout="2")
    ctx = fc.Context.of(native, environ={})
    first = ctx.remaining_time()
    assert first is not None and 1.9 < first <= 2
    time.sleep(0.05)
    second = ctx.remaining_time()
    assert second is not None and second < first


def test_lazy_nothing_computed_until_read() -> None:
    class Counting:
        reads: list[str] = []

        def __getattribute__(self, name: str) -> Any:
            if name.startswith("__"):
                return object.__getattribute__(self, name)
            Counting.reads.append(name)
            return None

    ctx = fc.Context.of(Counting(), environ={})
    assert Counting.reads == []
    _ = ctx.region
    _ = ctx.region
    assert Counting.reads == ["region"]


def test_context_is_read_only_view() -> None:
    ctx = fc.Context.of(ShapeA())
    with pytest.raises(AttributeError):
        ctx.request_id = "x"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        ctx.function.name = "x"  # type: ignore[misc]


def test_context_logger_carries_request_id(caplog: pytest.LogCaptureFixture) -> None:
    ctx = fc.Context.of(ShapeA("r-log"))
    with caplog.at_level(logging.INFO, logger="fcsdk.user"):
        ctx.logger.info("hello %s", "x", extra={"order": 1})
    (record,) = caplog.records
    assert record.request_id == "r-log"  # type: ignore[attr-defined]
    assert record.order == 1  # type: ignore[attr-defined]
    assert record.getMessage() == "hello x"


def test_secrets_masked_in_repr_str_format_and_dumps() -> None:
    ctx = fc.Context.of(ShapeA(secret="TOP-SECRET", token="TOKEN-XYZ"))
    creds = ctx.require_credentials()
    outputs = [
        repr(creds),
        str(creds),
        f"{creds}",
        f"{creds!r:>200}",
        "%s %r" % (creds, creds),
        repr(ctx),
        json.dumps(ctx.to_dict()),
        repr(creds.to_dict()),
    ]
    for out in outputs:
        assert "TOP-SECRET" not in out
        assert "TOKEN-XYZ" not in out
    assert "STS.id-a" in repr(creds)
    assert creds.to_dict(reveal=True)["access_key_secret"] == "TOP-SECRET"


def test_credentials_value_semantics_and_read_only() -> None:
    a = fc.Credentials("id", "s", "t")
    assert a == fc.Credentials("id", "s", "t")
    assert a != fc.Credentials("id", "s", "other")
    assert len({a, fc.Credentials("id", "s", "t")}) == 1
    with pytest.raises(AttributeError):
        a.access_key_id = "x"  # type: ignore[misc]
    assert fc.Credentials("id", "s", "").security_token is None


def test_credentials_from_env_order() -> None:
    env = {
        "OSS_ACCESS_KEY_ID": "oss-id",
        "OSS_ACCESS_KEY_SECRET": "oss-s",
        "OSS_SESSION_TOKEN": "oss-t",
        "accessKeyID": "legacy",
        "accessKeySecret": "legacy-s",
    }
    creds = fc.Credentials.from_env(env)
    assert creds is not None and creds.access_key_id == "legacy"
    del env["accessKeyID"]
    creds = fc.Credentials.from_env(env)
    assert creds == fc.Credentials("oss-id", "oss-s", "oss-t")
    assert fc.Credentials.from_env({"ALIBABA_CLOUD_ACCESS_KEY_ID": "only-id"}) is None


def test_require_credentials_says_where_it_looked() -> None:
    with pytest.raises(fc.CredentialsUnavailableError) as info:
        fc.Context.of(ShapeB(), environ={}).require_credentials()
    message = str(info.value)
    assert "ALIBABA_CLOUD_ACCESS_KEY_ID" in message
    assert "OSS_ACCESS_KEY_ID" in message
    assert "export" in message
