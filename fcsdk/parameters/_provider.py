"""``BaseProvider``: the typed public face every provider shares (``get``, ``aget``, ``get_many``,
``aget_many``); the machinery is in :mod:`fcsdk.parameters._base`."""

from __future__ import annotations

from time import monotonic
from typing import TYPE_CHECKING, Any, Literal, Optional, TypeVar, overload

from . import _transform
from ._base import _MISSING, ProviderCore, _check_name

if TYPE_CHECKING:
    from ..credentials import Credentials

__all__ = ["BaseProvider"]

T = TypeVar("T")


class BaseProvider(ProviderCore):
    """A source of named values with a per-process cache. Subclass it for a new source by
    implementing ``_fetch(name, credentials) -> str`` (and ``_fetch_many`` for prefixes).

    Parameters:
        max_age: seconds a fetched value is served from the cache (default 300).
        credentials: sign with these instead of the current invocation's.

    Example:
        >>> from fcsdk.parameters import BaseProvider
        >>> class Static(BaseProvider):
        ...     provider, label, needs_credentials = "static", "static value", False
        ...     def _fetch(self, name, credentials):
        ...         return '{"limit": 5}'
        >>> Static().get("anything", transform="json")
        {'limit': 5}
    """

    @overload
    def get(
        self,
        name: str,
        *,
        transform: None = None,
        model: None = None,
        max_age: Optional[float] = None,
        force_fetch: bool = False,
        credentials: Optional[Credentials] = None,
    ) -> str: ...
    @overload
    def get(
        self,
        name: str,
        *,
        transform: Literal["json"],
        model: None = None,
        max_age: Optional[float] = None,
        force_fetch: bool = False,
        credentials: Optional[Credentials] = None,
    ) -> Any: ...
    @overload
    def get(
        self,
        name: str,
        *,
        transform: Literal["binary"],
        model: None = None,
        max_age: Optional[float] = None,
        force_fetch: bool = False,
        credentials: Optional[Credentials] = None,
    ) -> bytes: ...
    @overload
    def get(
        self,
        name: str,
        *,
        transform: type[T],
        model: None = None,
        max_age: Optional[float] = None,
        force_fetch: bool = False,
        credentials: Optional[Credentials] = None,
    ) -> T: ...
    @overload
    def get(
        self,
        name: str,
        *,
        transform: None = None,
        model: type[T],
        max_age: Optional[float] = None,
        force_fetch: bool = False,
        credentials: Optional[Credentials] = None,
    ) -> T: ...
    def get(
        self,
        name: str,
        *,
        transform: Any = None,
        model: Any = None,
        max_age: Optional[float] = None,
        force_fetch: bool = False,
        credentials: Optional[Credentials] = None,
    ) -> Any:
        """The value of ``name``, from the cache while younger than ``max_age``, else fetched.

        Parameters:
            name: the secret or parameter name.
            transform: None (the text), ``"json"``, ``"binary"`` (base64 to bytes) or a type
                (a pydantic model, a dataclass, ``dict[str, int]``...) the JSON is validated into.
            model: the same as ``transform=model``.
            max_age: seconds; overrides the provider's default for this call.
            force_fetch: fetch now even if the cached value is fresh (joins a fetch under way).
            credentials: sign with these instead of the current invocation's.

        Returns:
            The value, transformed. Transformed values are cached too: treat them as read-only.

        Raises:
            ParameterNotFoundError: the service has no such name.
            ParameterValidationError: the value does not fit the transform.
            ParameterFetchError: denied, throttled, timed out (after bounded retries).
            fcsdk.CredentialsUnavailableError: no invocation running and no ``credentials``.
            fcsdk.ConfigurationError: a bad ``transform``, ``max_age`` or name.

        Example:
            >>> from pydantic import BaseModel
            >>> from fcsdk.parameters import EnvironmentParameters
            >>> class DB(BaseModel):
            ...     host: str
            ...     port: int
            >>> env = EnvironmentParameters(environ={"DB": '{"host": "db.local", "port": "5432"}'})
            >>> env.get("DB", model=DB)
            DB(host='db.local', port=5432)
            >>> env.get("DB", transform="json")["port"]
            '5432'
        """
        if not force_fetch and max_age is None and type(name) is str:
            # The cached path: one dict lookup, one clock read, one more lookup.
            entry = self._cache.get(name)
            if entry is not None and monotonic() - entry.fetched < self.max_age:
                how = transform if model is None else model
                try:
                    out = entry.transformed.get(how, _MISSING)
                except TypeError:  # an unhashable transform: the full path explains
                    out = _MISSING
                if out is not _MISSING and (model is None or transform is None):
                    return out
        name = _check_name(name, "name")
        how = _transform.check(transform, model)
        return self._value(
            name,
            self._what(name),
            name,
            lambda creds: self._fetch(name, creds),
            how,
            max_age,
            force_fetch,
            credentials,
        )

    @overload
    async def aget(
        self,
        name: str,
        *,
        transform: None = None,
        model: None = None,
        max_age: Optional[float] = None,
        force_fetch: bool = False,
        credentials: Optional[Credentials] = None,
    ) -> str: ...
    @overload
    async def aget(
        self,
        name: str,
        *,
        transform: Literal["json"],
        model: None = None,
        max_age: Optional[float] = None,
        force_fetch: bool = False,
        credentials: Optional[Credentials] = None,
    ) -> Any: ...
    @overload
    async def aget(
        self,
        name: str,
        *,
        transform: Literal["binary"],
        model: None = None,
        max_age: Optional[float] = None,
        force_fetch: bool = False,
        credentials: Optional[Credentials] = None,
    ) -> bytes: ...
    @overload
    async def aget(
        self,
        name: str,
        *,
        transform: type[T],
        model: None = None,
        max_age: Optional[float] = None,
        force_fetch: bool = False,
        credentials: Optional[Credentials] = None,
    ) -> T: ...
    @overload
    async def aget(
        self,
        name: str,
        *,
        transform: None = None,
        model: type[T],
        max_age: Optional[float] = None,
        force_fetch: bool = False,
        credentials: Optional[Credentials] = None,
    ) -> T: ...
    async def aget(
        self,
        name: str,
        *,
        transform: Any = None,
        model: Any = None,
        max_age: Optional[float] = None,
        force_fetch: bool = False,
        credentials: Optional[Credentials] = None,
    ) -> Any:
        """:meth:`get` for async handlers: a fetch runs in a worker thread, so the event loop
        keeps serving other invocations; tasks asking at once share one fetch.

        Example:
            >>> import asyncio
            >>> from fcsdk.parameters import EnvironmentParameters
            >>> asyncio.run(EnvironmentParameters(environ={"A": "1"}).aget("A", transform="json"))
            1
        """
        name = _check_name(name, "name")
        how = _transform.check(transform, model)
        return await self._avalue(
            name,
            self._what(name),
            name,
            lambda creds: self._fetch(name, creds),
            how,
            max_age,
            force_fetch,
            credentials,
        )

    def get_many(
        self,
        prefix: str,
        *,
        transform: Any = None,
        model: Any = None,
        recursive: bool = True,
        max_age: Optional[float] = None,
        force_fetch: bool = False,
        credentials: Optional[Credentials] = None,
    ) -> dict[str, Any]:
        """Every value under ``prefix`` as ``{name without the prefix: value}``, cached as one
        entry. Only where the service lists by prefix (OOS, the environment; not KMS).

        Parameters:
            prefix: e.g. ``"/my-app/"``.
            transform: applied to each value, as for :meth:`get`.
            model: the same as ``transform=model``.
            recursive: include names in sub-paths (OOS ``Recursive``).
            max_age: as for :meth:`get` (the listing is cached as one entry).
            force_fetch: as for :meth:`get`.
            credentials: as for :meth:`get`.

        Raises:
            fcsdk.ConfigurationError: the service cannot list by prefix.
            ParameterFetchError, ParameterValidationError: as for :meth:`get`.

        Example:
            >>> from fcsdk.parameters import EnvironmentParameters
            >>> env = EnvironmentParameters(environ={"APP_A": "1", "APP_B": "2", "OTHER": "3"})
            >>> env.get_many("APP_", transform="json")
            {'A': 1, 'B': 2}
        """
        prefix = _check_name(prefix, "prefix")
        how = _transform.check(transform, model)
        return self._value(  # type: ignore[no-any-return]
            ("many", prefix, bool(recursive)),
            f"{self.label}s under {prefix!r}",
            prefix,
            lambda creds: self._fetch_many(prefix, bool(recursive), creds),
            how,
            max_age,
            force_fetch,
            credentials,
            many=True,
        )

    async def aget_many(
        self,
        prefix: str,
        *,
        transform: Any = None,
        model: Any = None,
        recursive: bool = True,
        max_age: Optional[float] = None,
        force_fetch: bool = False,
        credentials: Optional[Credentials] = None,
    ) -> dict[str, Any]:
        """:meth:`get_many` for async handlers.

        Example:
            >>> import asyncio
            >>> from fcsdk.parameters import EnvironmentParameters
            >>> asyncio.run(EnvironmentParameters(environ={"APP_A": "1"}).aget_many("APP_"))
            {'A': '1'}
        """
        prefix = _check_name(prefix, "prefix")
        how = _transform.check(transform, model)
        return await self._avalue(  # type: ignore[no-any-return]
            ("many", prefix, bool(recursive)),
            f"{self.label}s under {prefix!r}",
            prefix,
            lambda creds: self._fetch_many(prefix, bool(recursive), creds),
            how,
            max_age,
            force_fetch,
            credentials,
            many=True,
        )
