"""``fc.Credentials``: the function's (usually temporary STS) access keys, with masked secrets.

Resolution order, the first source that has an access key id and secret wins:

1. the native context's ``credentials`` (built-in runtimes python3.6/3.9/3.10, shape A);
2. the custom-runtime headers ``x-fc-access-key-id`` / ``-secret`` / ``x-fc-security-token``;
3. ``ALIBABA_CLOUD_ACCESS_KEY_ID`` / ``ALIBABA_CLOUD_ACCESS_KEY_SECRET`` /
   ``ALIBABA_CLOUD_SECURITY_TOKEN`` (python3.12, shape B; also the usual local set-up);
4. the legacy ``accessKeyID`` / ``accessKeySecret`` / ``securityToken``;
5. ``OSS_ACCESS_KEY_ID`` / ``OSS_ACCESS_KEY_SECRET`` / ``OSS_SESSION_TOKEN`` (what oss2 reads).

:meth:`fcsdk.Context.require_credentials` raises :class:`fcsdk.CredentialsUnavailableError` naming
every source it tried. The OSS helpers (:meth:`Credentials.oss_bucket` and friends) import oss2 or
alibabacloud-oss-v2 only when called; the glue lives in :mod:`fcsdk._oss`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:
    import alibabacloud_oss_v2
    import oss2

__all__ = ["ENV_SOURCES", "Credentials"]

_MASK = "**********"

#: The environment variable triples read by :meth:`Credentials.from_env`, in order.
ENV_SOURCES: tuple[tuple[str, str, str], ...] = (
    (
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
        "ALIBABA_CLOUD_SECURITY_TOKEN",
    ),
    ("accessKeyID", "accessKeySecret", "securityToken"),
    ("OSS_ACCESS_KEY_ID", "OSS_ACCESS_KEY_SECRET", "OSS_SESSION_TOKEN"),
)


def _str_or_none(value: Any) -> Optional[str]:
    if type(value) is str:  # the common case, first
        return value.strip() or None
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = str(value).strip()
    return text or None


class Credentials:
    """Access keys of the function's role. ``access_key_secret`` and ``security_token`` are
    masked in ``repr``, ``str``, f-strings and :meth:`to_dict` unless asked for explicitly.

    Equality and hashing are by value. Pickling keeps the real values on purpose (like
    ``to_dict(reveal=True)``, it is an explicit dump): that is how credentials reach a
    ``multiprocessing`` worker. Treat a pickle of credentials as a secret; the unpickled copy is
    masked again everywhere.

    Example:
        >>> import fcsdk as fc
        >>> creds = fc.Credentials("LTAIexample", "very-secret", "sts-token")
        >>> creds
        Credentials(access_key_id='LTAIexample', access_key_secret='**********', security_token='**********')
        >>> creds.access_key_secret
        'very-secret'
        >>> creds == fc.Credentials("LTAIexample", "very-secret", "sts-token")
        True
        >>> import pickle
        >>> pickle.loads(pickle.dumps(creds)).security_token  # an explicit dump keeps the values
        'sts-token'
    """

    __slots__ = ("_key", "expiration", "region", "source")

    _key: tuple[str, str, Optional[str]]
    #: Where these credentials came from, e.g. ``"context"`` or ``"env:ALIBABA_CLOUD_*"``.
    source: str
    #: The expiration time as the source gave it (STS credentials on some paths), else None.
    expiration: Optional[str]
    #: The region of the invocation these credentials belong to (set by :class:`fcsdk.Context`);
    #: the default region for OSS signature V4. Not part of equality.
    region: Optional[str]

    def __init__(
        self,
        access_key_id: str,
        access_key_secret: str,
        security_token: Optional[str] = None,
        *,
        expiration: Optional[str] = None,
        source: str = "explicit",
        region: Optional[str] = None,
    ) -> None:
        object.__setattr__(self, "_key", (access_key_id, access_key_secret, security_token or None))
        object.__setattr__(self, "expiration", expiration)
        object.__setattr__(self, "source", source)
        object.__setattr__(self, "region", region)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Credentials are read-only")

    @property
    def access_key_id(self) -> str:
        """The AccessKey ID (not a secret; shown in reprs).

        Example:
            >>> import fcsdk as fc
            >>> fc.Credentials("LTAIexample", "s").access_key_id
            'LTAIexample'
        """
        return self._key[0]

    @property
    def access_key_secret(self) -> str:
        """The AccessKey secret. Reading it is the explicit way to get the real value.

        Example:
            >>> import fcsdk as fc
            >>> fc.Credentials("id", "very-secret").access_key_secret
            'very-secret'
        """
        return self._key[1]

    @property
    def security_token(self) -> Optional[str]:
        """The STS security token, or None for long-lived keys.

        Example:
            >>> import fcsdk as fc
            >>> fc.Credentials("id", "s", "sts-token").security_token
            'sts-token'
            >>> fc.Credentials("id", "s").security_token is None
            True
        """
        return self._key[2]

    @classmethod
    def from_env(cls, environ: Optional[Mapping[str, str]] = None) -> Optional[Credentials]:
        """Credentials from the environment (sources 3 to 5 of the module docstring), or None.

        Example:
            >>> import fcsdk as fc
            >>> env = {"ALIBABA_CLOUD_ACCESS_KEY_ID": "id", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "s"}
            >>> fc.Credentials.from_env(env).access_key_id
            'id'
            >>> fc.Credentials.from_env({}) is None
            True
        """
        if environ is None:
            import os

            environ = os.environ
        for id_name, secret_name, token_name in ENV_SOURCES:
            key_id = _str_or_none(environ.get(id_name))
            secret = _str_or_none(environ.get(secret_name))
            if key_id and secret:
                return cls(
                    key_id,
                    secret,
                    _str_or_none(environ.get(token_name)),
                    source=f"env:{id_name}",
                )
        return None

    @classmethod
    def from_native(cls, native_credentials: Any) -> Optional[Credentials]:
        """Credentials from a native FC context's ``credentials`` object (snake_case or
        camelCase attributes, or a mapping), or None when it has no id and secret.

        Example:
            >>> import fcsdk as fc
            >>> class Native:
            ...     accessKeyId, accessKeySecret, securityToken = "id", "s", "t"
            >>> fc.Credentials.from_native(Native()).security_token
            't'
        """
        if native_credentials is None:
            return None
        if isinstance(native_credentials, Credentials):
            return native_credentials
        get = _getter(native_credentials)
        key_id = _str_or_none(get("access_key_id", "accessKeyId"))
        secret = _str_or_none(get("access_key_secret", "accessKeySecret"))
        if not (key_id and secret):
            return None
        token = _str_or_none(get("security_token", "securityToken"))
        expiration = _str_or_none(get("expiration", "Expiration"))
        return cls(key_id, secret, token, expiration=expiration, source="context")

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> Optional[Credentials]:
        """Credentials from custom-runtime ``x-fc-*`` headers (lower-case keys), or None.

        Example:
            >>> import fcsdk as fc
            >>> h = {"x-fc-access-key-id": "id", "x-fc-access-key-secret": "s"}
            >>> fc.Credentials.from_headers(h).source
            'headers'
        """
        key_id = _str_or_none(headers.get("x-fc-access-key-id"))
        secret = _str_or_none(headers.get("x-fc-access-key-secret"))
        if not (key_id and secret):
            return None
        token = _str_or_none(headers.get("x-fc-security-token"))
        return cls(key_id, secret, token, source="headers")

    def to_dict(self, *, reveal: bool = False) -> dict[str, Optional[str]]:
        """The fields as a dict; secrets masked unless ``reveal=True``.

        Example:
            >>> import fcsdk as fc
            >>> fc.Credentials("id", "s").to_dict()
            {'access_key_id': 'id', 'access_key_secret': '**********', 'security_token': None}
        """
        key_id, secret, token = self._key
        return {
            "access_key_id": key_id,
            "access_key_secret": secret if reveal else _MASK,
            "security_token": (token if reveal else _MASK) if token else None,
        }

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self.to_dict().items())
        return f"Credentials({fields})"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return format(repr(self), spec)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Credentials):
            return NotImplemented
        return self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)

    def __reduce__(self) -> Any:
        # Pickling keeps the real values (a pickle is an explicit dump, used across processes).
        return (_rebuild, (self._key, self.expiration, self.source, self.region))

    def with_region(self, region: Optional[str]) -> Credentials:
        """The same keys with ``region`` as the default region for OSS signature V4.

        Example:
            >>> import fcsdk as fc
            >>> fc.Credentials("id", "s").with_region("cn-beijing").region
            'cn-beijing'
        """
        return Credentials(
            *self._key, expiration=self.expiration, source=self.source, region=region
        )

    # -- OSS ------------------------------------------------------------------------------------

    def oss_auth(self, version: Optional[str] = None) -> oss2.StsAuth | oss2.AuthBase:
        """An oss2 auth object for these keys: ``oss2.StsAuth`` when there is a security token,
        else ``oss2.Auth`` / ``AuthV2`` / ``AuthV4``.

        Parameters:
            version: ``"v1"``, ``"v2"`` or ``"v4"``; None (the default) is oss2's own default
                (v1 in oss2 2.x), so code moved from ``oss2.StsAuth(...)`` signs exactly as before.

        Raises:
            fcsdk.MissingDependencyError: oss2 is not installed (``pip install "fcsdk[oss]"``).
            fcsdk.ConfigurationError: an unknown version, or v4 with an oss2 older than 2.18.

        Example:
            >>> import fcsdk as fc
            >>> auth = fc.Credentials("id", "secret", "sts-token").oss_auth()
            >>> type(auth).__name__, auth.auth_version()
            ('StsAuth', 'v1')
            >>> type(fc.Credentials("id", "secret").oss_auth("v4")).__name__
            'AuthV4'
        """
        from ._oss import make_auth

        return make_auth(self, version)

    def oss_bucket(
        self,
        endpoint: str,
        bucket_name: str,
        *,
        region: Optional[str] = None,
        version: Optional[str] = None,
        **bucket_kwargs: Any,
    ) -> oss2.Bucket:
        """An ``oss2.Bucket`` signing with these keys (see :meth:`oss_auth`).

        Buckets made here share one process-wide ``oss2.Session`` (connection pool), so warm
        invocations reuse connections; the keys are not shared: every bucket signs with its own.

        Parameters:
            endpoint: e.g. ``oss-cn-hangzhou-internal.aliyuncs.com`` or ``http://127.0.0.1:9000``.
            bucket_name: the bucket.
            region: the region for signature V4. When None and V4 is used, it is read from the
                endpoint (``oss-<region>[-internal].aliyuncs.com``, ``<region>.oss.aliyuncs.com``),
                else from the invocation's region (:attr:`region`).
            version: the signature version, as for :meth:`oss_auth`.
            bucket_kwargs: passed to ``oss2.Bucket`` (``session``, ``connect_timeout``, ...).

        Raises:
            fcsdk.MissingDependencyError: oss2 is not installed.
            fcsdk.ConfigurationError: V4 without any region, or an unknown version.

        Example:
            >>> import fcsdk as fc
            >>> creds = fc.Credentials("id", "secret", "sts-token")
            >>> bucket = creds.oss_bucket("oss-cn-hangzhou.aliyuncs.com", "my-bucket", version="v4")
            >>> bucket.bucket_name, bucket.region
            ('my-bucket', 'cn-hangzhou')
        """
        from ._oss import make_bucket

        return make_bucket(self, endpoint, bucket_name, region, version, bucket_kwargs)

    def oss_v2_provider(self) -> alibabacloud_oss_v2.credentials.StaticCredentialsProvider:
        """An alibabacloud-oss-v2 credentials provider returning these keys.

        Raises:
            fcsdk.MissingDependencyError: alibabacloud-oss-v2 is not installed
                (``pip install "fcsdk[oss-v2]"``).

        Example:
            >>> import fcsdk as fc
            >>> provider = fc.Credentials("id", "secret", "sts-token").oss_v2_provider()
            >>> provider.get_credentials().access_key_id
            'id'
        """
        from ._oss import make_v2_provider

        return make_v2_provider(self)

    def oss_v2_client(
        self, region: Optional[str] = None, endpoint: Optional[str] = None, **config: Any
    ) -> alibabacloud_oss_v2.Client:
        """An ``alibabacloud_oss_v2.Client`` (signature V4) using these keys.

        Parameters:
            region: the bucket's region; when None, read from ``endpoint``, else :attr:`region`.
            endpoint: optional; alibabacloud-oss-v2 derives it from the region when omitted.
            config: any other ``alibabacloud_oss_v2.config.Config`` field, e.g.
                ``use_path_style=True`` or ``use_internal_endpoint=True``.

        Raises:
            fcsdk.MissingDependencyError: alibabacloud-oss-v2 is not installed.
            fcsdk.ConfigurationError: no region could be found, or an unknown config field.

        Example:
            >>> import fcsdk as fc
            >>> creds = fc.Credentials("id", "secret", "sts-token", region="cn-hangzhou")
            >>> type(creds.oss_v2_client()).__name__
            'Client'
        """
        from ._oss import make_v2_client

        return make_v2_client(self, region, endpoint, config)


def _rebuild(
    key: tuple[str, str, Optional[str]], expiration: Any, source: str, region: Any = None
) -> Credentials:
    return Credentials(*key, expiration=expiration, source=source, region=region)


def _getter(obj: Any) -> Any:
    if isinstance(obj, Mapping):

        def get_map(*names: str) -> Any:
            for n in names:
                try:
                    v = obj.get(n)
                except Exception:  # a broken mapping, likewise
                    v = None
                if v is not None:
                    return v
            return None

        return get_map

    def get_attr(*names: str) -> Any:
        for n in names:
            try:
                v = getattr(obj, n, None)
            except Exception:  # a broken native property reads as None, as in fcsdk.context
                v = None
            if v is not None:
                return v
        return None

    return get_attr
