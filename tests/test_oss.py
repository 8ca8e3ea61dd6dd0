"""fcsdk's OSS helpers against a real local OSS peer (tests/oss_server.py), driven as FC would:
event bytes in, FC body out, real oss2 / alibabacloud-oss-v2 on real HTTP."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import SimpleNamespace

import oss2
import pytest

import fcsdk as fc
from tests.oss_server import OSSServer

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "oss_put_object"
KEY_ID, SECRET, TOKEN = "STS.test-key-id", "sts-secret-value-1", "sts-token-value-1"


def load_example(name):
    spec = importlib.util.spec_from_file_location(f"oss_put_object_{name}", EXAMPLE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def index():
    return load_example("index")


@pytest.fixture(scope="module")
def index_raw():
    return load_example("index_raw")


@pytest.fixture
def server():
    with OSSServer(KEY_ID, SECRET, TOKEN, region="cn-hangzhou") as s:
        yield s


pytestmark = pytest.mark.usefixtures("no_cloud_env")


def native_a(key_id=KEY_ID, secret=SECRET, token=TOKEN, request_id="req-a", region="cn-hangzhou"):
    """A shape A context as python3.9/3.10 pass it (context.credentials present)."""
    creds = SimpleNamespace(access_key_id=key_id, access_key_secret=secret, security_token=token)
    function = SimpleNamespace(name="oss-put-object", handler="index.handler", memory=128)
    return SimpleNamespace(
        request_id=request_id, credentials=creds, function=function, region=region
    )


def native_b(request_id="req-b", region="cn-hangzhou"):
    """A shape B context as python3.12 passes it: no credentials attribute at all."""
    function = SimpleNamespace(name="oss-put-object", handler="index.handler", memory=128)
    return SimpleNamespace(request_id=request_id, function=function, region=region)


def event(server, name="hello.txt", message="hello world"):
    body = {"endpoint": server.endpoint, "bucket": "bucket", "objectName": name, "message": message}
    return json.dumps(body).encode()


# -- the seed example through fcsdk, on every context shape ---------------------------------------


def test_shape_a_native_credentials(server, index):
    assert index.handler(event(server, message="héllo A"), native_a()) == "success"
    assert server.get("bucket", "hello.txt") == "héllo A".encode()
    assert server.log[-1]["signature"] == "v1"  # oss2's default, exactly as the raw example


def test_shape_a_camel_case_credentials(server, index):
    creds = SimpleNamespace(accessKeyId=KEY_ID, accessKeySecret=SECRET, securityToken=TOKEN)
    ctx = SimpleNamespace(requestId="r", credentials=creds)
    assert index.handler(event(server, "camel.txt", "camel"), ctx) == "success"
    assert server.get("bucket", "camel.txt") == b"camel"


def test_shape_b_environment(server, index, monkeypatch):
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET)
    monkeypatch.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", TOKEN)
    assert index.handler(event(server, "b.txt", "from B"), native_b()) == "success"
    assert server.get("bucket", "b.txt") == b"from B"


def test_shape_b_environ_mapping(server, index):
    environ = {
        "ALIBABA_CLOUD_ACCESS_KEY_ID": KEY_ID,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": SECRET,
        "ALIBABA_CLOUD_SECURITY_TOKEN": TOKEN,
    }
    ctx = fc.Context.of(native_b(), environ=environ)
    assert index.handler(event(server, "b2.txt", "from B env"), ctx) == "success"
    assert server.get("bucket", "b2.txt") == b"from B env"


def test_shape_c_headers(server, index):
    headers = {
        "x-fc-request-id": "req-c",
        "x-fc-access-key-id": KEY_ID,
        "x-fc-access-key-secret": SECRET,
        "x-fc-security-token": TOKEN,
        "x-fc-region": "cn-hangzhou",
    }
    assert index.handler(event(server, "c.txt", "from C"), headers) == "success"
    assert server.get("bucket", "c.txt") == b"from C"


def test_no_credentials_anywhere(server, index):
    with pytest.raises(fc.CredentialsUnavailableError, match="ALIBABA_CLOUD_ACCESS_KEY_ID"):
        index.handler(event(server), native_b())
    assert server.log == []


def test_bad_event_is_a_validation_error(server, index):
    with pytest.raises(fc.EventValidationError, match="objectName"):
        index.handler(b'{"endpoint": "e", "bucket": "b", "message": "m"}', native_a())


# -- the server's refusals surface as oss2's exceptions -------------------------------------------


def test_wrong_secret(server, index):
    with pytest.raises(oss2.exceptions.SignatureDoesNotMatch) as info:
        index.handler(event(server), native_a(secret="not-the-secret"))
    assert (info.value.status, info.value.code) == (403, "SignatureDoesNotMatch")
    assert "hello.txt" not in server.buckets["bucket"]


def test_missing_token(server, index):
    with pytest.raises(oss2.exceptions.ServerError) as info:
        index.handler(event(server), native_a(token=None))
    assert (info.value.status, info.value.code) == (403, "InvalidAccessKeyId")


def test_wrong_token(server, index):
    with pytest.raises(oss2.exceptions.ServerError) as info:
        index.handler(event(server), native_a(token="forged"))
    assert (info.value.status, info.value.code) == (403, "InvalidSecurityToken")


def test_stale_token_and_no_stale_auth_across_invocations(server, index):
    """Two invocations whose contexts carry different STS keys: the second signs with the new
    ones (nothing cached per process), and the old ones are refused as expired."""
    assert index.handler(event(server, "one.txt", "1"), native_a(request_id="r1")) == "success"
    server.rotate("STS.rotated-id", "sts-secret-value-2", "sts-token-value-2")
    new = native_a("STS.rotated-id", "sts-secret-value-2", "sts-token-value-2", request_id="r2")
    assert index.handler(event(server, "two.txt", "2"), new) == "success"
    assert server.get("bucket", "two.txt") == b"2"
    stale = native_a(KEY_ID, SECRET, TOKEN, request_id="r3")
    server.rotate(KEY_ID, SECRET, "sts-token-value-3")  # same key id, new token
    with pytest.raises(oss2.exceptions.ServerError) as info:
        index.handler(event(server, "three.txt", "3"), stale)
    assert info.value.code == "SecurityTokenExpired"
    assert [e["code"] for e in server.log] == [None, None, "SecurityTokenExpired"]


def test_same_context_object_reused_with_new_credentials(server, index):
    """FC may reuse one native context object; what matters is what it carries per call."""
    native = native_a()
    assert index.handler(event(server, "x.txt", "x"), native) == "success"
    server.rotate("STS.next", "secret-next", "token-next")
    native.credentials = SimpleNamespace(
        access_key_id="STS.next", access_key_secret="secret-next", security_token="token-next"
    )
    assert index.handler(event(server, "y.txt", "y"), native) == "success"


# -- signature versions and the object API subset --------------------------------------------------


@pytest.mark.parametrize("version", [None, "v1", "v2", "v4"])
def test_signature_versions_round_trip(server, version):
    ctx = fc.Context.of(native_a())
    bucket = ctx.require_credentials().oss_bucket(server.endpoint, "bucket", version=version)
    data = bytes(range(256)) * 4
    bucket.put_object("dir/sub dir/ü file.bin", data)
    assert server.get("bucket", "dir/sub dir/ü file.bin") == data
    assert bucket.get_object("dir/sub dir/ü file.bin").read() == data
    assert bucket.head_object("dir/sub dir/ü file.bin").content_length == len(data)
    bucket.put_object("dir/b.txt", b"b")
    bucket.put_object("top.txt", b"t")
    listing = bucket.list_objects(prefix="dir/")
    assert [o.key for o in listing.object_list] == ["dir/b.txt", "dir/sub dir/ü file.bin"]
    listing = bucket.list_objects(delimiter="/")
    assert [o.key for o in listing.object_list] == ["top.txt"]
    assert listing.prefix_list == ["dir/"]
    page = bucket.list_objects(max_keys=2)
    assert page.is_truncated
    assert len(page.object_list) == 2
    rest = bucket.list_objects(marker=page.next_marker)
    assert not rest.is_truncated
    assert len(rest.object_list) == 1
    bucket.delete_object("top.txt")
    with pytest.raises(oss2.exceptions.NoSuchKey):
        bucket.get_object("top.txt")
    with pytest.raises(oss2.exceptions.NotFound):  # HEAD: the error travels in x-oss-err
        bucket.head_object("top.txt")
    assert {e["signature"] for e in server.log} == {version or "v1"}


@pytest.mark.parametrize("version", ["v1", "v2", "v4"])
@pytest.mark.parametrize("field", ["secret", "key_id", "token"])
def test_each_version_checks_every_key(server, version, field):
    keys = {"key_id": KEY_ID, "secret": SECRET, "token": TOKEN, field: "wrong"}
    creds = fc.Context.of(native_a(**keys)).require_credentials()
    bucket = creds.oss_bucket(server.endpoint, "bucket", version=version)
    with pytest.raises(oss2.exceptions.ServerError) as info:
        bucket.put_object("k", b"v")
    expected = {"secret": "SignatureDoesNotMatch", "key_id": "InvalidAccessKeyId"}
    assert info.value.code == expected.get(field, "InvalidSecurityToken")
    assert server.buckets["bucket"] == {}


def test_v4_region_from_context(server):
    creds = fc.Context.of(native_a(region="cn-hangzhou")).require_credentials()
    creds.oss_bucket(server.endpoint, "bucket", version="v4").put_object("k", b"v4")
    assert server.log[-1]["signature"] == "v4"


def test_v4_wrong_region_is_refused(server):
    creds = fc.Context.of(native_a(region="cn-beijing")).require_credentials()
    bucket = creds.oss_bucket(server.endpoint, "bucket", version="v4")
    with pytest.raises(oss2.exceptions.SignatureDoesNotMatch):
        bucket.put_object("k", b"v")


def test_v4_without_any_region(server):
    creds = fc.Context.of(native_a(region=None), environ={}).require_credentials()
    with pytest.raises(fc.ConfigurationError, match="region='cn-hangzhou'"):
        creds.oss_bucket(server.endpoint, "bucket", version="v4")


def test_v4_wrong_secret(server):
    creds = fc.Credentials(KEY_ID, "bad", TOKEN, region="cn-hangzhou")
    with pytest.raises(oss2.exceptions.SignatureDoesNotMatch):
        creds.oss_bucket(server.endpoint, "bucket", version="v4").put_object("k", b"v")


def test_long_lived_keys_without_token():
    with OSSServer("LTAI-long-lived", "ak-secret", None) as server:
        creds = fc.Credentials("LTAI-long-lived", "ak-secret")
        for version in ("v1", "v2", "v4"):
            bucket = creds.oss_bucket(
                server.endpoint, "bucket", region="cn-hangzhou", version=version
            )
            bucket.put_object(f"{version}.txt", version)
            assert server.get("bucket", f"{version}.txt") == version.encode()


def test_no_such_bucket(server):
    bucket = fc.Credentials(KEY_ID, SECRET, TOKEN).oss_bucket(server.endpoint, "other-bucket")
    with pytest.raises(oss2.exceptions.NoSuchBucket):
        bucket.put_object("k", b"v")


def test_buckets_share_one_session_but_not_keys(server):
    a = fc.Credentials(KEY_ID, SECRET, TOKEN).oss_bucket(server.endpoint, "bucket")
    b = fc.Credentials(KEY_ID, "wrong", TOKEN).oss_bucket(server.endpoint, "bucket")
    assert a.session is b.session
    a.put_object("a", b"a")
    with pytest.raises(oss2.exceptions.SignatureDoesNotMatch):
        b.put_object("b", b"b")
    own = oss2.Session()
    assert (
        fc.Credentials(KEY_ID, SECRET).oss_bucket(server.endpoint, "bucket", session=own).session
        is own
    )


# -- alibabacloud-oss-v2 -------------------------------------------------------------------------


def test_oss_v2_client_round_trip(server):
    import alibabacloud_oss_v2 as oss

    creds = fc.Context.of(native_a()).require_credentials()
    client = creds.oss_v2_client(endpoint=server.endpoint, use_path_style=True)
    put = client.put_object(oss.PutObjectRequest(bucket="bucket", key="v2/ü.txt", body=b"v2 body"))
    assert put.status_code == 200
    assert server.get("bucket", "v2/ü.txt") == b"v2 body"
    got = client.get_object(oss.GetObjectRequest(bucket="bucket", key="v2/ü.txt"))
    assert got.body.read() == b"v2 body"
    listing = client.list_objects(oss.ListObjectsRequest(bucket="bucket", prefix="v2/"))
    assert [o.key for o in listing.contents] == ["v2/ü.txt"]
    client.delete_object(oss.DeleteObjectRequest(bucket="bucket", key="v2/ü.txt"))
    assert "v2/ü.txt" not in server.buckets["bucket"]
    assert {e["signature"] for e in server.log} == {"v4"}


@pytest.mark.parametrize(
    ("secret", "token", "code"),
    [("bad", TOKEN, "SignatureDoesNotMatch"), (SECRET, None, "InvalidAccessKeyId")],
)
def test_oss_v2_client_refused(server, secret, token, code):
    import alibabacloud_oss_v2 as oss

    creds = fc.Credentials(KEY_ID, secret, token)
    client = creds.oss_v2_client("cn-hangzhou", server.endpoint, use_path_style=True)
    with pytest.raises(oss.exceptions.OperationError) as info:
        client.put_object(oss.PutObjectRequest(bucket="bucket", key="k", body=b"v"))
    assert info.value.unwrap().code == code


# -- the example: fcsdk form and the original form, same keys, same result ------------------------


def test_example_both_forms_agree(server, index, index_raw):
    body = json.loads((EXAMPLE / "event.json").read_text())
    body["endpoint"] = server.endpoint
    body["bucket"] = "bucket"
    raw_event = json.dumps(body).encode()
    raw_result = index_raw.handler(raw_event, native_a(request_id="raw"))
    raw_bytes = server.get("bucket", body["objectName"])
    del server.buckets["bucket"][body["objectName"]]
    result = index.handler(raw_event, native_a(request_id="fcsdk"))
    assert result == raw_result == "success"
    assert server.get("bucket", body["objectName"]) == raw_bytes == body["message"].encode()
    # Both signed the same way (V1, oss2's default) with the same keys.
    assert [(e["signature"], e["status"]) for e in server.log] == [("v1", 200), ("v1", 200)]


def test_example_raw_breaks_on_shape_b_where_fcsdk_works(server, index, index_raw, monkeypatch):
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET)
    monkeypatch.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", TOKEN)
    with pytest.raises(AttributeError, match="credentials"):
        index_raw.handler(event(server), native_b())
    assert index.handler(event(server), native_b()) == "success"


def test_example_raw_and_fcsdk_fail_alike_on_wrong_secret(server, index, index_raw):
    errors = []
    for module in (index_raw, index):
        with pytest.raises(oss2.exceptions.SignatureDoesNotMatch) as info:
            module.handler(event(server), native_a(secret="wrong"))
        errors.append((type(info.value), info.value.status, info.value.code))
    assert errors[0] == errors[1]


def test_example_s_yaml():
    text = (EXAMPLE / "s.yaml").read_text()
    for line in (
        "edition: 3.0.0",
        "component: fc3",
        "runtime: python3.10",
        "handler: index.handler",
    ):
        assert line in text
    assert "role: acs:ram::" in text


def test_missing_oss2_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "oss2", None)
    with pytest.raises(fc.MissingDependencyError, match=r'pip install "fcsdk\[oss\]"'):
        fc.Credentials("id", "s").oss_bucket("oss-cn-hangzhou.aliyuncs.com", "b")


def test_missing_oss_v2_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "alibabacloud_oss_v2", None)
    with pytest.raises(fc.MissingDependencyError, match=r'pip install "fcsdk\[oss-v2\]"'):
        fc.Credentials("id", "s").oss_v2_provider()


# -- secrets in errors that escape the handler ------------------------------------------------


def test_oss_error_escaping_the_handler_does_not_carry_the_token(server, index):
    """OSS quotes the string-to-sign (which holds the STS token) in SignatureDoesNotMatch, and
    oss2 puts it in str(exc); what FC would show as errorMessage must not contain it."""
    wrong = native_a(secret="wrong-secret-value-9")
    with pytest.raises(oss2.exceptions.ServerError) as info:
        index.handler(event(server), wrong)
    exc = info.value
    assert exc.code == "SignatureDoesNotMatch"  # the error itself is unchanged
    rendered = str(exc) + repr(exc.args) + repr(exc.details) + repr(exc.body)
    assert "**********" in rendered  # the token was there and has been masked
    assert TOKEN not in rendered
    assert "wrong-secret-value-9" not in rendered


def test_raw_oss2_error_does_quote_the_token(server, index_raw):
    """The leak the wrapper closes: without fcsdk the token reaches str(exc)."""
    with pytest.raises(oss2.exceptions.ServerError) as info:
        index_raw.handler(event(server), native_a(secret="wrong-secret-value-9"))
    assert TOKEN in str(info.value)
