"""oss2 and alibabacloud-oss-v2 glue behind :class:`fcsdk.Credentials`' OSS methods.

Imported on first use of ``Credentials.oss_*``; it imports oss2 / alibabacloud_oss_v2 inside its
functions only, so a missing package costs nothing until it is needed and then says which extra to
install.
"""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING, Any, Optional

from .errors import ConfigurationError, MissingDependencyError

if TYPE_CHECKING:
    from .credentials import Credentials

__all__ = [
    "SIGNATURE_VERSIONS",
    "make_auth",
    "make_bucket",
    "make_v2_client",
    "make_v2_provider",
    "region_from_endpoint",
]

#: The signature versions oss2 knows.
SIGNATURE_VERSIONS = ("v1", "v2", "v4")

# oss-cn-hangzhou.aliyuncs.com, oss-cn-hangzhou-internal.aliyuncs.com,
# cn-hangzhou.oss.aliyuncs.com (dual-stack), cn-hangzhou.oss-internal.aliyuncs.com.
_ENDPOINT_RE = re.compile(
    r"(?:oss-(?P<a>[a-z0-9-]+?)(?:-internal)?|(?P<b>[a-z0-9-]+?)\.oss(?:-internal)?)"
    r"\.aliyuncs\.com"
)
# Global endpoints that name no region.
_NOT_REGIONS = frozenset({"accelerate", "accelerate-overseas", "rg-china-mainland"})

_session_lock = threading.Lock()
_session: Any = None


def _import_oss2() -> Any:
    try:
        import oss2
    except ImportError as exc:
        raise MissingDependencyError.for_extra("oss2", "oss") from exc
    return oss2


def _import_oss_v2() -> Any:
    try:
        import alibabacloud_oss_v2
    except ImportError as exc:
        raise MissingDependencyError.for_extra("alibabacloud-oss-v2", "oss-v2") from exc
    return alibabacloud_oss_v2


def _check_version(version: Optional[str]) -> Optional[str]:
    if version is None:
        return None
    v = str(version).strip().lower()
    if not v.startswith("v"):
        v = "v" + v
    if v not in SIGNATURE_VERSIONS:
        raise ConfigurationError(
            f"unknown OSS signature version {version!r}; use one of "
            + ", ".join(repr(x) for x in SIGNATURE_VERSIONS)
            + " (or None for oss2's default)"
        )
    return v


def region_from_endpoint(endpoint: Optional[str]) -> Optional[str]:
    """The region named by an OSS endpoint, or None.

    Example:
        >>> region_from_endpoint("https://oss-cn-hangzhou-internal.aliyuncs.com")
        'cn-hangzhou'
        >>> region_from_endpoint("cn-shanghai.oss.aliyuncs.com")
        'cn-shanghai'
        >>> region_from_endpoint("http://127.0.0.1:9000") is None
        True
    """
    if not endpoint:
        return None
    text = str(endpoint).strip().lower()
    host = text.split("://", 1)[-1].split("/", 1)[0].rsplit("@", 1)[-1].split(":", 1)[0]
    match = _ENDPOINT_RE.fullmatch(host)
    if match is None:
        return None
    region = match.group("a") or match.group("b")
    return None if region in _NOT_REGIONS else region


def make_auth(creds: Credentials, version: Optional[str]) -> Any:
    """``oss2.StsAuth`` with a token, else ``oss2.Auth``/``AuthV2``/``AuthV4`` (see
    :meth:`fcsdk.Credentials.oss_auth`)."""
    oss2 = _import_oss2()
    v = _check_version(version)
    if v == "v4" and not hasattr(oss2, "AuthV4"):
        raise ConfigurationError(
            f"signature v4 needs oss2 2.18 or newer (installed: {getattr(oss2, '__version__', '?')}); "
            'ship a newer oss2 with the function: pip install -U "oss2>=2.18"'
        )
    key_id, secret, token = creds.access_key_id, creds.access_key_secret, creds.security_token
    if token:
        if v is None:
            return oss2.StsAuth(key_id, secret, token)
        return oss2.StsAuth(key_id, secret, token, auth_version=v)
    if v is None:
        return oss2.make_auth(key_id, secret)
    return oss2.make_auth(key_id, secret, v)


def _shared_session(oss2: Any) -> Any:
    """One ``oss2.Session`` (connection pool) per process, made on first use."""
    global _session
    if _session is None:
        with _session_lock:
            if _session is None:
                _session = oss2.Session()
    return _session


def _require_region(creds: Credentials, endpoint: Optional[str], what: str, how: str) -> str:
    region = region_from_endpoint(endpoint) or creds.region
    if region is None:
        raise ConfigurationError(
            f"{what} needs a region and none was found: pass {how}region='cn-hangzhou', use an "
            "endpoint that names it (oss-cn-hangzhou.aliyuncs.com), or set FC_REGION"
        )
    return region


def make_bucket(
    creds: Credentials,
    endpoint: str,
    bucket_name: str,
    region: Optional[str],
    version: Optional[str],
    bucket_kwargs: dict[str, Any],
) -> Any:
    """An ``oss2.Bucket`` (see :meth:`fcsdk.Credentials.oss_bucket`)."""
    oss2 = _import_oss2()
    auth = make_auth(creds, version)
    if region is None and auth.auth_version() == "v4":
        region = _require_region(creds, endpoint, "OSS signature v4", "oss_bucket(..., ")
    if region is not None:
        # Only passed when known: oss2 before 2.18 has no ``region`` parameter.
        bucket_kwargs["region"] = region
    if bucket_kwargs.get("session") is None:
        bucket_kwargs["session"] = _shared_session(oss2)
    return oss2.Bucket(auth, endpoint, bucket_name, **bucket_kwargs)


def make_v2_provider(creds: Credentials) -> Any:
    """An alibabacloud-oss-v2 ``StaticCredentialsProvider`` for ``creds``."""
    oss = _import_oss_v2()
    return oss.credentials.StaticCredentialsProvider(
        creds.access_key_id, creds.access_key_secret, creds.security_token
    )


def make_v2_client(
    creds: Credentials, region: Optional[str], endpoint: Optional[str], config: dict[str, Any]
) -> Any:
    """An ``alibabacloud_oss_v2.Client`` (see :meth:`fcsdk.Credentials.oss_v2_client`)."""
    oss = _import_oss_v2()
    if region is None:
        region = _require_region(creds, endpoint, "alibabacloud-oss-v2", "oss_v2_client(")
    cfg = oss.config.load_default()
    cfg.region = region
    cfg.credentials_provider = make_v2_provider(creds)
    if endpoint is not None:
        cfg.endpoint = endpoint
    for name, value in config.items():
        if name.startswith("_") or not hasattr(cfg, name):
            raise ConfigurationError(
                f"alibabacloud_oss_v2.config.Config has no field {name!r}; see its documentation "
                "for the fields oss_v2_client(**config) accepts"
            )
        setattr(cfg, name, value)
    return oss.Client(cfg)
