"""``fc.Credentials``: the function's (usually temporary STS) access keys, with masked secrets.

Resolution order, the first source that has an access key id and secret wins:

1. the native context's ``credentials`` (built-in runtimes python3.6/3.9/3.10, shape A);
2. the custom-runtime headers ``x-fc-access-key-id`` / ``-secret`` / ``x-fc-security-token``;
3. ``ALIBABA_CLOUD_ACCESS_KEY_ID`` / ``ALIBABA_CLOUD_ACCESS_KEY_SECRET`` /
   ``ALIBABA_CLOUD_SECURITY_TOKEN`` (python3.12, shape B; also the usual local set-up);
4. the legacy ``accessKeyID`` / ``accessKeySecret`` / ``securityToken``;
5. ``OSS_ACCESS_KEY_ID`` / ``OSS_ACCESS_KEY_SECRET`` / ``OSS_SESSION_TOKEN`` (what oss2 reads).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

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
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = str(value).strip()
    return text or None


class Credentials:
    """Access keys of the function's role. ``access_key_secret`` and ``security_token`` are
    masked in ``repr``, ``str``, f-strings and :meth:`to_dict` unless asked for explicitly.

    Equality and hashing are by value.

    Example:
        >>> import fcsdk as fc
        >>> creds = fc.Credentials("LTAIexample", "very-secret", "sts-token")
        >>> creds
        Credentials(access_key_id='LTAIexample', access_key_secret='**********', security_token='**********')
        >>> creds.access_key_secret
        'very-secret'
        >>> creds == fc.Credentials("LTAIexample", "very-secret", "sts-token")
        True
    """

    __slots__ = ("_key", "expiration", "source")

    _key: tuple[str, str, Optional[str]]
    #: Where these credentials came from, e.g. ``"context"`` or ``"env:ALIBABA_CLOUD_*"``.
    source: str
    #: The expiration time as the source gave it (STS credentials on some paths), else None.
    expiration: Optional[str]

    def __init__(
        self,
        access_key_id: str,
        access_key_secret: str,
        security_token: Optional[str] = None,
        *,
        expiration: Optional[str] = None,
        source: str = "explicit",
    ) -> None:
        object.__setattr__(self, "_key", (access_key_id, access_key_secret, security_token or None))
        object.__setattr__(self, "expiration", expiration)
        object.__setattr__(self, "source", source)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Credentials are read-only")

    @property
    def access_key_id(self) -> str:
        """The AccessKey ID (not a secret; shown in reprs)."""
        return self._key[0]

    @property
    def access_key_secret(self) -> str:
        """The AccessKey secret. Reading it is the explicit way to get the real value."""
        return self._key[1]

    @property
    def security_token(self) -> Optional[str]:
        """The STS security token, or None for long-lived keys."""
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
        return (_rebuild, (self._key, self.expiration, self.source))


def _rebuild(key: tuple[str, str, Optional[str]], expiration: Any, source: str) -> Credentials:
    return Credentials(*key, expiration=expiration, source=source)


def _getter(obj: Any) -> Any:
    if isinstance(obj, Mapping):

        def get_map(*names: str) -> Any:
            for n in names:
                v = obj.get(n)
                if v is not None:
                    return v
            return None

        return get_map

    def get_attr(*names: str) -> Any:
        for n in names:
            v = getattr(obj, n, None)
            if v is not None:
                return v
        return None

    return get_attr
