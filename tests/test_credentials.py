"""fc.Credentials: resolution order, the OSS helpers' choices, and secrets that never leak."""

from __future__ import annotations

import doctest
import io
import json
import logging
import pickle
from types import SimpleNamespace

import oss2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fcsdk as fc
import fcsdk._oss
import fcsdk.credentials
from fcsdk._oss import region_from_endpoint

SECRET, TOKEN = "s3cr3t-VALUE-never-shown", "T0KEN-value-never-shown"
ENDPOINT = "oss-cn-hangzhou.aliyuncs.com"


pytestmark = pytest.mark.usefixtures("no_cloud_env")


def native(key_id="ctx-id", secret=SECRET, token=TOKEN, **fields):
    creds = SimpleNamespace(access_key_id=key_id, access_key_secret=secret, security_token=token)
    return SimpleNamespace(request_id="r", credentials=creds, **fields)


def test_doctests_run():
    for module in (fcsdk.credentials, fcsdk._oss):
        result = doctest.testmod(module)
        assert result.attempted > 0
        assert result.failed == 0, module.__name__


# -- resolution order ---------------------------------------------------------------------------

ENV_ALL = {
    "ALIBABA_CLOUD_ACCESS_KEY_ID": "env-id",
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "env-secret",
    "ALIBABA_CLOUD_SECURITY_TOKEN": "env-token",
    "accessKeyID": "legacy-id",
    "accessKeySecret": "legacy-secret",
    "securityToken": "legacy-token",
    "OSS_ACCESS_KEY_ID": "oss-id",
    "OSS_ACCESS_KEY_SECRET": "oss-secret",
    "OSS_SESSION_TOKEN": "oss-token",
}


def test_native_context_wins_over_env():
    creds = fc.Context.of(native(), environ=ENV_ALL).credentials
    assert (creds.access_key_id, creds.source) == ("ctx-id", "context")


def test_headers_win_over_env():
    headers = {"X-Fc-Access-Key-Id": "h-id", "x-fc-access-key-secret": "h-s"}
    creds = fc.Context.of(headers, environ=ENV_ALL).credentials
    assert (creds.access_key_id, creds.security_token, creds.source) == ("h-id", None, "headers")


@pytest.mark.parametrize(
    ("drop", "expected"),
    [
        ((), "env-id"),
        (("ALIBABA_CLOUD_ACCESS_KEY_ID",), "legacy-id"),
        (("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "accessKeyID"), "oss-id"),
    ],
)
def test_env_order(drop, expected):
    environ = {k: v for k, v in ENV_ALL.items() if k not in drop}
    creds = fc.Context.of(SimpleNamespace(request_id="r"), environ=environ).credentials
    assert creds.access_key_id == expected
    assert creds.security_token == expected.replace("-id", "-token")


def test_shape_a_with_empty_credentials_falls_back_to_env():
    ctx = fc.Context.of(native(key_id="", secret=""), environ=ENV_ALL)
    assert ctx.credentials.access_key_id == "env-id"


def test_env_via_os_environ(monkeypatch):
    monkeypatch.setenv("OSS_ACCESS_KEY_ID", "o-id")
    monkeypatch.setenv("OSS_ACCESS_KEY_SECRET", "o-secret")
    assert fc.Context.of(None).require_credentials().source == "env:OSS_ACCESS_KEY_ID"


def test_none_anywhere_and_the_message():
    ctx = fc.Context.of(SimpleNamespace(request_id="r"), environ={})
    assert ctx.credentials is None
    with pytest.raises(fc.CredentialsUnavailableError) as info:
        ctx.require_credentials()
    message = str(info.value)
    for source in ("native context", "x-fc-access-key", "ALIBABA_CLOUD_ACCESS_KEY_ID"):
        assert source in message
    for source in ("accessKeyID", "OSS_ACCESS_KEY_ID", "export"):
        assert source in message
    assert info.value.code == "credentials_unavailable"


def test_context_stamps_its_region_on_credentials():
    assert fc.Context.of(native(region="cn-shanghai")).credentials.region == "cn-shanghai"
    headers = {"x-fc-access-key-id": "i", "x-fc-access-key-secret": "s"}
    ctx = fc.Context.of(headers, environ={"FC_REGION": "cn-beijing"})
    assert ctx.credentials.region == "cn-beijing"
    assert fc.Context.of(native(), environ={}).credentials.region is None


def test_credentials_cached_per_invocation_not_per_process():
    first = fc.Context.of(native(token="t1"))
    second = fc.Context.of(native(token="t2"))
    assert first.credentials is first.credentials
    assert first.credentials.security_token == "t1"
    assert second.credentials.security_token == "t2"


def test_region_is_not_part_of_equality_and_survives_pickle():
    a = fc.Credentials("id", "s", "t", region="cn-hangzhou")
    assert a == fc.Credentials("id", "s", "t")
    assert hash(a) == hash(fc.Credentials("id", "s", "t"))
    b = pickle.loads(pickle.dumps(a))
    assert (b, b.region, b.security_token) == (a, "cn-hangzhou", "t")
    with pytest.raises(AttributeError):
        a.region = "x"


# -- oss_auth ----------------------------------------------------------------------------------


def test_oss_auth_default_is_oss2_default():
    auth = fc.Credentials("id", SECRET, TOKEN).oss_auth()
    assert isinstance(auth, oss2.StsAuth)
    assert auth.auth_version() == oss2.StsAuth("id", SECRET, TOKEN).auth_version() == "v1"
    plain = fc.Credentials("id", SECRET).oss_auth()
    assert type(plain) is type(oss2.make_auth("id", SECRET)) is oss2.Auth


@pytest.mark.parametrize(
    ("version", "cls"), [("v1", "Auth"), ("v2", "AuthV2"), ("V4", "AuthV4"), ("4", "AuthV4")]
)
def test_oss_auth_versions(version, cls):
    assert type(fc.Credentials("id", SECRET).oss_auth(version)).__name__ == cls
    sts = fc.Credentials("id", SECRET, TOKEN).oss_auth(version)
    assert isinstance(sts, oss2.StsAuth)
    assert sts.auth_version() == "v" + version[-1]


def test_oss_auth_unknown_version():
    with pytest.raises(fc.ConfigurationError, match="'v1', 'v2', 'v4'"):
        fc.Credentials("id", SECRET).oss_auth("v3")


def test_oss_auth_v4_needs_a_recent_oss2(monkeypatch):
    monkeypatch.delattr(oss2, "AuthV4")
    with pytest.raises(fc.ConfigurationError, match=r"oss2 2\.18"):
        fc.Credentials("id", SECRET).oss_auth("v4")


# -- oss_bucket region choice --------------------------------------------------------------------


def test_bucket_region_precedence():
    creds = fc.Credentials("id", SECRET, TOKEN, region="cn-beijing")
    assert creds.oss_bucket(ENDPOINT, "bkt", region="ap-southeast-1", version="v4").region == (
        "ap-southeast-1"
    )
    assert creds.oss_bucket(ENDPOINT, "bkt", version="v4").region == "cn-hangzhou"
    assert creds.oss_bucket("http://127.0.0.1:1", "bkt", version="v4").region == "cn-beijing"
    # V1 needs no region and is given none unless asked (old oss2 has no region parameter).
    assert creds.oss_bucket("http://127.0.0.1:1", "bkt").region is None


def test_bucket_v4_without_region_explains():
    creds = fc.Credentials("id", SECRET, TOKEN)
    with pytest.raises(fc.ConfigurationError) as info:
        creds.oss_bucket("http://127.0.0.1:1", "bkt", version="v4")
    assert "FC_REGION" in str(info.value)
    assert "oss-cn-hangzhou.aliyuncs.com" in str(info.value)


def test_bucket_kwargs_pass_through():
    bucket = fc.Credentials("id", SECRET).oss_bucket(ENDPOINT, "bkt", connect_timeout=3)
    assert bucket.timeout == 3


@pytest.mark.parametrize(
    ("endpoint", "region"),
    [
        ("oss-cn-hangzhou.aliyuncs.com", "cn-hangzhou"),
        ("oss-cn-hangzhou-internal.aliyuncs.com", "cn-hangzhou"),
        ("https://oss-ap-southeast-1.aliyuncs.com/", "ap-southeast-1"),
        ("http://oss-us-west-1-internal.aliyuncs.com:80", "us-west-1"),
        ("cn-shanghai.oss.aliyuncs.com", "cn-shanghai"),
        ("OSS-CN-BEIJING.ALIYUNCS.COM", "cn-beijing"),
        ("oss-accelerate.aliyuncs.com", None),
        ("oss-cn-hangzhou.aliyuncs.com.evil.example", None),
        ("my-bucket.oss-cn-hangzhou.aliyuncs.com", None),
        ("http://127.0.0.1:9000", None),
        ("", None),
    ],
)
def test_region_from_endpoint(endpoint, region):
    assert region_from_endpoint(endpoint) == region


REGIONS = st.from_regex(r"[a-z]{2}(-[a-z]{3,10}){1,2}(-[1-9])?", fullmatch=True)


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(["", "http://", "https://"]),
    REGIONS,
    st.sampled_from(["oss-{}", "oss-{}-internal", "{}.oss", "{}.oss-internal"]),
)
def test_region_from_endpoint_round_trips(scheme, region, form):
    endpoint = scheme + form.format(region) + ".aliyuncs.com"
    assert region_from_endpoint(endpoint) == region


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_region_from_endpoint_never_raises(text):
    region = region_from_endpoint(text)
    assert region is None or (region and region in text.lower())


# -- alibabacloud-oss-v2 ---------------------------------------------------------------------


def test_v2_provider_carries_the_keys():
    got = fc.Credentials("id", SECRET, TOKEN).oss_v2_provider().get_credentials()
    assert (got.access_key_id, got.access_key_secret, got.security_token) == ("id", SECRET, TOKEN)


def signing_region(client):
    """The region in the V4 scope of a presigned URL (computed offline)."""
    import alibabacloud_oss_v2 as oss

    url = client.presign(oss.GetObjectRequest(bucket="bkt", key="k")).url
    return url.split("x-oss-credential=")[1].split("&")[0].split("%2F")[2]


def test_v2_client_region_choice_and_errors():
    creds = fc.Credentials("id", SECRET, TOKEN)
    assert signing_region(creds.oss_v2_client(endpoint=ENDPOINT)) == "cn-hangzhou"
    assert signing_region(creds.with_region("cn-beijing").oss_v2_client()) == "cn-beijing"
    assert signing_region(creds.oss_v2_client("us-west-1", endpoint=ENDPOINT)) == "us-west-1"
    with pytest.raises(fc.ConfigurationError, match="region"):
        creds.oss_v2_client(endpoint="http://127.0.0.1:1")
    with pytest.raises(fc.ConfigurationError, match="no_such_field"):
        creds.oss_v2_client("cn-hangzhou", no_such_field=1)


# -- secrets never leak ------------------------------------------------------------------------


def leaks(text):
    return SECRET in text or TOKEN in text


def test_secret_not_in_repr_str_format():
    creds = fc.Credentials("id", SECRET, TOKEN, region="cn-hangzhou")
    for text in (
        repr(creds),
        str(creds),
        f"{creds}",
        f"{creds!r}",
        f"{creds:>200}",
        "%s %r" % (creds, creds),
    ):
        assert not leaks(text)
        assert "id" in text
    assert not leaks(json.dumps(creds.to_dict()))
    assert not leaks(repr([creds, {"c": creds}]))
    assert leaks(json.dumps(creds.to_dict(reveal=True)))  # only when asked for


def test_secret_not_in_context_repr_or_dump():
    for raw in (
        native(),
        {"x-fc-access-key-id": "i", "x-fc-access-key-secret": SECRET, "x-fc-security-token": TOKEN},
    ):
        ctx = fc.Context.of(raw)
        assert ctx.credentials.access_key_secret == SECRET  # the real value is there
        assert not leaks(repr(ctx))
        assert not leaks(str(ctx))
        assert not leaks(f"{ctx}")
        assert not leaks(json.dumps(ctx.to_dict()))


def test_secret_not_in_logging_or_tracebacks():
    ctx = fc.Context.of(native())
    creds = ctx.credentials
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    log = logging.getLogger("test_credentials.secrets")
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    log.propagate = False
    try:
        log.info("creds %r / %s", creds, creds)
        log.info("context %r / %s", ctx, ctx)
        log.info("dict %s", ctx.to_dict())
        log.info({"credentials": creds})
        try:
            raise RuntimeError(f"could not upload with {creds} in {ctx}")
        except RuntimeError:
            log.exception("failed")
        try:
            ctx.require_credentials().oss_bucket("http://127.0.0.1:1", "bkt", version="v4")
        except fc.ConfigurationError:
            log.error("config", exc_info=True)
    finally:
        log.removeHandler(handler)
    output = stream.getvalue()
    assert "Traceback" in output
    assert "could not upload" in output
    assert not leaks(output)


def test_secret_not_in_fcsdk_error_messages():
    creds = fc.Credentials("id", SECRET, TOKEN)
    errors = []
    for call in (
        lambda: creds.oss_auth("bogus"),
        lambda: creds.oss_bucket("http://127.0.0.1:1", "bkt", version="v4"),
        lambda: creds.oss_v2_client(endpoint="http://127.0.0.1:1"),
        lambda: creds.oss_v2_client("cn-hangzhou", bogus=SECRET),
        lambda: fc.Context.of(SimpleNamespace(), environ={}).require_credentials(),
    ):
        with pytest.raises(fc.FCError) as info:
            call()
        errors.append(info.value)
    for err in errors:
        assert not leaks(str(err))
        assert not leaks(repr(err))
        assert not leaks(json.dumps(err.to_dict()))


def test_secret_not_in_handler_failure_body():
    """An fcsdk error raised inside a handler is what FC turns into errorMessage."""

    @fc.handler
    def handler(event: dict, context: fc.Context) -> str:
        context.require_credentials().oss_bucket("http://127.0.0.1:1", "bkt", version="v4")
        return "unreachable"

    with pytest.raises(fc.ConfigurationError) as info:
        handler(b"{}", native())
    assert not leaks(json.dumps(info.value.to_dict()))


def test_import_fcsdk_does_not_import_oss_packages():
    import subprocess
    import sys

    code = (
        "import sys, fcsdk as fc; c = fc.Context.of(None, environ={}); repr(c); "
        "fc.Credentials('i', 's').with_region('r'); "
        "print(sorted(m for m in ('oss2', 'alibabacloud_oss_v2', 'fcsdk._oss') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_pickle_keeps_the_keys_on_purpose_but_stays_masked():
    creds = fc.Credentials("id", SECRET, TOKEN, region="cn-hangzhou")
    back = pickle.loads(pickle.dumps(creds))
    assert (back.access_key_secret, back.security_token) == (SECRET, TOKEN)
    for text in (repr(back), str(back), f"{back}", json.dumps(back.to_dict())):
        assert not leaks(text)
    assert "pickle" in (fc.Credentials.__doc__ or "")


def test_broken_native_credentials_read_as_missing():
    class Broken:
        security_token = TOKEN

        @property
        def access_key_id(self):
            raise KeyError("runtime bug")

        @property
        def access_key_secret(self):
            return SECRET

    class BrokenToken:
        access_key_id, access_key_secret = "id", SECRET

        @property
        def security_token(self):
            raise RuntimeError("runtime bug")

    @fc.handler
    def handler(event: bytes, context: fc.Context) -> str:
        creds = context.credentials
        return "none" if creds is None else f"{creds.access_key_id}:{creds.security_token}"

    assert handler(b"", SimpleNamespace(request_id="r", credentials=Broken())) == "none"
    assert handler(b"", SimpleNamespace(request_id="r", credentials=BrokenToken())) == "id:None"
    env = {"ALIBABA_CLOUD_ACCESS_KEY_ID": "env-id", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "s"}
    creds = fc.Context.of(SimpleNamespace(credentials=Broken()), environ=env).credentials
    assert creds.access_key_id == "env-id"
