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


# -- pickling: a Context is a per-invocation view, never written out ------------------------------


def test_context_refuses_pickling_and_says_what_to_pass() -> None:
    import pickle

    for ctx in (
        fc.Context.of(ShapeA(secret="TOP-SECRET", token="TOKEN-XYZ")),
        fc.Context.of({"x-fc-access-key-id": "i", "x-fc-access-key-secret": "TOP-SECRET"}),
        fc.Context(headers={"x-fc-request-id": "r"}),
    ):
        _ = ctx.credentials  # filled cache: still nothing written
        for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
            with pytest.raises(TypeError) as info:
                pickle.dumps(ctx, protocol)
            message = str(info.value)
            assert "context.credentials" in message and "to_dict()" in message
            assert "TOP-SECRET" not in message and "TOKEN-XYZ" not in message


def test_context_copy_is_the_same_view() -> None:
    import copy

    ctx = fc.Context.of(ShapeA("r-copy"))
    assert copy.copy(ctx) is ctx
    assert copy.deepcopy({"c": ctx})["c"] is ctx


# -- headers-like objects: stdlib HTTPMessage, bytes keys, the constructor -------------------------


def serve_stdlib(handler: Any) -> Any:
    """A real ``http.server`` on 127.0.0.1 whose requests call ``handler(body, self.headers)``,
    as a custom runtime written with the standard library would."""
    import http.server
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            out = handler(body, self.headers)
            out = out.encode() if isinstance(out, str) else out
            self.send_response(200)
            self.send_header("content-length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def post(port: int, headers: dict[str, str], body: bytes = b"{}") -> bytes:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", "/invoke", body=body, headers=headers)
        resp = conn.getresponse()
        assert resp.status == 200
        return resp.read()
    finally:
        conn.close()


X_FC = {
    "X-Fc-Request-Id": "r-http",
    "X-Fc-Function-Memory": "512",
    "X-Fc-Function-Timeout": "0",
    "X-Fc-Access-Key-Id": "hdr-id",
    "X-Fc-Access-Key-Secret": "hdr-secret",
    "X-Fc-Region": "cn-hangzhou",
}


@fc.handler
def describe(event: bytes, context: fc.Context) -> dict[str, Any]:
    creds = context.credentials
    return {
        "request_id": context.request_id,
        "memory": context.function.memory,
        "timeout": context.function.timeout,
        "region": context.region,
        "key_id": creds.access_key_id if creds else None,
    }


EXPECTED = {
    "request_id": "r-http",
    "memory": 512,
    "timeout": 0,
    "region": "cn-hangzhou",
    "key_id": "hdr-id",
}


def test_stdlib_http_message_headers_are_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FC_FUNCTION_MEMORY_SIZE", "FC_REGION", "ALIBABA_CLOUD_ACCESS_KEY_ID"):
        monkeypatch.delenv(name, raising=False)
    server = serve_stdlib(describe)
    try:
        got = json.loads(post(server.server_address[1], X_FC))
    finally:
        server.shutdown()
        server.server_close()
    assert got == EXPECTED


def test_asgi_bytes_headers_are_decoded(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.http_support import uvicorn_server

    for name in ("FC_FUNCTION_MEMORY_SIZE", "FC_REGION", "ALIBABA_CLOUD_ACCESS_KEY_ID"):
        monkeypatch.delenv(name, raising=False)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        out = describe(b"{}", dict(scope["headers"]))  # {b"x-fc-request-id": b"r-http", ...}
        out = out.encode() if isinstance(out, str) else out
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": out})

    with uvicorn_server(app) as port:
        got = json.loads(post(port, X_FC))
    assert got == EXPECTED


def test_bytes_keys_and_values_in_any_case() -> None:
    ctx = fc.Context.of(
        {b"X-FC-Request-Id": b"r-b", b"x-fc-function-name": "caf\xc3\xa9".encode("latin-1")},
        environ={},
    )
    assert ctx.request_id == "r-b"
    assert ctx.function.name == "café"  # UTF-8 bytes
    ctx = fc.Context.of({b"x-fc-function-name": b"caf\xe9"}, environ={})
    assert ctx.function.name == "café"  # not UTF-8: latin-1, as HTTP defines it


def test_constructor_reads_a_mapping_as_headers_like_of() -> None:
    import email.message

    msg = email.message.Message()
    msg["X-Fc-Request-Id"] = "r-msg"
    for given in ({"x-fc-request-id": "r-ctor"}, msg):
        assert fc.Context(given, environ={}).request_id == fc.Context.of(given).request_id
    assert fc.Context({"x-fc-request-id": "r-ctor"}).request_id == "r-ctor"
    assert fc.Context.of(msg).request_id == "r-msg"
    assert fc.Context.from_headers(msg).request_id == "r-msg"


def test_items_on_an_instance_does_not_make_a_native_context_headers() -> None:
    # The shape is decided per type (and cached per type): a native object that happens to
    # carry an ``items`` attribute stays native.
    native = ShapeA("r-items")
    native.items = lambda: []  # type: ignore[attr-defined]
    native.get = lambda name: None  # type: ignore[attr-defined]
    assert fc.Context.of(native).request_id == "r-items"
    assert fc.Context.of(ShapeA("r-plain")).request_id == "r-plain"


# -- zero is a value; negative counts are garbage -------------------------------------------------


def test_zero_is_kept_not_replaced_by_the_environment() -> None:
    env = {"FC_FUNCTION_MEMORY_SIZE": "1024", "FC_FUNCTION_TIMEOUT": "60"}
    native = ShapeA()
    native.function = NativeFunction(memory=0, timeout="0")
    ctx = fc.Context.of(native, environ=env)
    assert (ctx.function.memory, ctx.function.timeout) == (0, 0)
    remaining = ctx.remaining_time()
    assert remaining is not None and remaining <= 0
    ctx = fc.Context.of({"x-fc-function-memory": "0", "x-fc-retry-count": "0"}, environ=env)
    assert (ctx.function.memory, ctx.retry_count) == (0, 0)
    ctx = fc.Context.of(None, environ={"FC_FUNCTION_MEMORY_SIZE": "0"})
    assert ctx.function.memory == 0


@pytest.mark.parametrize("negative", ["-3", -3, "-0.5", "-1e3"])
def test_negative_counts_are_garbage(negative: Any) -> None:
    ctx = fc.Context.of(
        {
            "x-fc-retry-count": negative,
            "x-fc-function-memory": negative,
            "x-fc-function-timeout": negative,
        },
        environ={"FC_FUNCTION_MEMORY_SIZE": "256"},
    )
    assert ctx.retry_count == 0  # the documented default
    assert ctx.function.memory == 256  # garbage in the header: the environment's value
    assert ctx.function.timeout is None
    assert ctx.remaining_time() is None


# -- every public field documents itself with a runnable example ----------------------------------


@pytest.mark.parametrize("owner", [fc.Context, fc.Credentials])
def test_public_members_have_examples(owner: type) -> None:
    kinds = (property, classmethod, staticmethod, type(lambda: None))
    members = {
        name: getattr(member, "__func__", member)
        for name, member in vars(owner).items()
        if not name.startswith("_") and isinstance(member, kinds)
    }
    assert "access_key_id" in members or "request_id" in members
    missing = [name for name, member in members.items() if ">>>" not in (member.__doc__ or "")]
    assert missing == []


# -- credentials and native fields read once per distinct header values (fcsdk serve) ----------


def _keys_headers(n: int, region: str = "cn-hangzhou") -> dict[str, str]:
    return {
        "x-fc-request-id": f"r-{n}",
        "x-fc-access-key-id": f"STS.id-{n}",
        "x-fc-access-key-secret": f"secret-{n}-0123456789",
        "x-fc-security-token": f"token-{n}-0123456789",
        "x-fc-region": region,
    }


def test_header_credentials_are_shared_per_key_set_and_follow_a_rotation() -> None:
    first = fc.Context.from_headers(_keys_headers(1)).credentials
    again = fc.Context.from_headers({**_keys_headers(1), "x-fc-request-id": "other"}).credentials
    rotated = fc.Context.from_headers(_keys_headers(2)).credentials
    moved = fc.Context.from_headers(_keys_headers(1, region="cn-beijing")).credentials
    assert first is again  # immutable: one object for the invocations carrying these keys
    assert rotated is not None and rotated.access_key_id == "STS.id-2"
    assert rotated.access_key_secret == "secret-2-0123456789"
    assert moved is not None and (moved.region, first.region) == ("cn-beijing", "cn-hangzhou")
    assert "secret-1" not in repr(first) and "token-1" not in str(first)


def test_cached_credentials_are_still_masked_in_lines_of_threads_the_handler_starts() -> None:
    from fcsdk._redact import known_secrets

    fc.Context.from_headers(_keys_headers(7)).credentials  # noqa: B018 - resolving remembers
    for n in range(100, 120):  # 20 other key sets (native contexts: the header cache keeps 7)
        native = ShapeA(key_id=f"id-{n}", secret=f"native-secret-{n}-0123", token=f"tok-{n}-012")
        fc.Context.of(native).credentials  # noqa: B018
    assert "secret-7-0123456789" not in known_secrets()  # _redact keeps the last 16 sets
    creds = fc.Context.from_headers(_keys_headers(7)).credentials  # cached, remembered again
    assert creds is not None
    assert "secret-7-0123456789" in known_secrets()


def test_16_invocations_at_once_each_read_their_own_credentials() -> None:
    import threading

    barrier = threading.Barrier(16)
    seen: dict[int, list[tuple[str, str]]] = {}

    def run(n: int) -> None:
        barrier.wait()
        out = []
        for i in range(50):
            k = n * 100 + i % 3  # three key sets per thread, each repeated
            creds = fc.Context.from_headers(_keys_headers(k)).credentials
            assert creds is not None
            out.append((creds.access_key_id, creds.access_key_secret))
        seen[n] = out

    threads = [threading.Thread(target=run, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    for n, out in seen.items():
        for i, (key_id, secret) in enumerate(out):
            k = n * 100 + i % 3
            assert (key_id, secret) == (f"STS.id-{k}", f"secret-{k}-0123456789")
    assert len(seen) == 16


def test_native_contexts_from_headers_are_new_objects_with_each_calls_values() -> None:
    from fcsdk.runtime.native import from_headers

    headers = {"x-fc-function-memory": "256", "x-fc-function-name": "f", "x-fc-retry-count": "0"}
    one = from_headers(headers, request_id="a")
    one.function.memory = 1  # a handler changing its context changes nothing for the next call
    two = from_headers({**headers, "x-fc-retry-count": "2"}, request_id="b")
    three = from_headers({**headers, "x-fc-function-memory": "512"}, request_id="c")
    assert (two.function.memory, two.retry_count, two.request_id) == (256, "2", "b")
    assert two.function is not one.function and two.service is not one.service
    assert three.function.memory == 512
    b = from_headers(headers, "python3.12", request_id="d")
    assert (b.function.memory, b.function.timeout, b.function.name) == (256, None, "f")


def test_16_asyncio_invocations_interleaved_each_read_their_own_credentials() -> None:
    import asyncio

    @fc.handler
    async def handler(event: dict, context: fc.Context) -> list:
        out = []
        for _ in range(5):
            creds = context.credentials
            assert creds is not None
            out.append([context.request_id, creds.access_key_id, creds.security_token])
            await asyncio.sleep(0)  # the other invocations run here
        return out

    async def main() -> list:
        loop = asyncio.get_running_loop()
        calls = [
            loop.run_in_executor(None, handler, b"{}", fc.Context.from_headers(_keys_headers(n)))
            for n in range(300, 316)
        ]
        return await asyncio.gather(*calls)

    results = asyncio.run(main())
    for n, out in zip(range(300, 316), results):
        body = json.loads(out)
        assert body == [[f"r-{n}", f"STS.id-{n}", f"token-{n}-0123456789"]] * 5
