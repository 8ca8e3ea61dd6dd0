"""The provider base: per-process cache with ``max_age``, one fetch in flight per name, transforms,
and the credentials of the invocation that triggers a fetch.

A cached ``get`` is a dict lookup and a clock read. A miss resolves the credentials first (the
explicit ones, else the current invocation's ``context.credentials``), then either starts the fetch
(the leader) or waits for the one already under way (a follower), in threads and in asyncio tasks
alike: 16 invocations asking at once cause one request. A follower whose credentials differ from
the leader's does not inherit an authentication failure (expired token, unknown key): it fetches
again with its own.
"""

from __future__ import annotations

import contextvars
import copy
import logging
import math
import sys
import threading
import time
import warnings
from collections.abc import Hashable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Optional

from ..errors import ConfigurationError, CredentialsUnavailableError
from . import _transform
from ._errors import ParameterError, ParameterFetchError

if TYPE_CHECKING:
    from ..credentials import Credentials

__all__ = ["DEFAULT_MAX_AGE", "ProviderCore", "log"]

#: Seconds a fetched value is served from the cache unless ``max_age=`` says otherwise.
DEFAULT_MAX_AGE = 300.0

#: Logs names, timings and error codes; never values.
log = logging.getLogger("fcsdk.parameters")

_MISSING: Any = object()
#: Error codes meaning "these credentials were refused": a follower with other credentials retries.
_AUTH_CODES = (
    "InvalidSecurityToken",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "MissingSecurityToken",
)


class _Entry:
    """One fetched value, when it was fetched, and its transformed forms."""

    __slots__ = ("fetched", "transformed", "value")

    def __init__(self, value: Any, fetched: float) -> None:
        self.value = value
        self.fetched = fetched
        self.transformed: dict[Hashable, Any] = {}

    def __repr__(self) -> str:  # never the value
        return f"_Entry(fetched={self.fetched:.3f})"


def _check_max_age(max_age: Any) -> float:
    if (
        isinstance(max_age, bool)
        or not isinstance(max_age, (int, float))
        or not math.isfinite(max_age)
        or max_age < 0
    ):
        raise ConfigurationError(f"max_age must be a number of seconds >= 0, got {max_age!r}")
    return float(max_age)


def _check_name(name: Any, what: str) -> str:
    if not isinstance(name, str) or not name:
        raise ConfigurationError(
            f"the {what} must be a non-empty string, got {type(name).__name__}"
        )
    return name


def _check_credentials(value: Any, where: str) -> Optional[Credentials]:
    """``value`` if it is None or an :class:`fcsdk.Credentials`, else ConfigurationError (a str
    or dict would fail much later, inside the SDK, as an AttributeError)."""
    from ..credentials import Credentials as _Credentials

    if value is None or isinstance(value, _Credentials):
        return value
    raise ConfigurationError(
        f"{where} must be an fc.Credentials (e.g. fc.Credentials.from_env() or "
        f"context.credentials), got {type(value).__name__}"
    )


def _auth_refused(exc: BaseException) -> bool:
    code = getattr(exc, "service_code", None) or ""
    return isinstance(exc, ParameterFetchError) and code.startswith(_AUTH_CODES)


class ProviderCore:
    """The cache and fetch machinery under :class:`fcsdk.parameters.BaseProvider`.

    Subclasses implement ``_fetch(name, credentials)`` (and ``_fetch_many`` where the service
    lists by prefix).
    """

    #: Short provider name used in errors and logs.
    provider: ClassVar[str] = "base"
    #: What one value is called in messages (``KMS secret``).
    label: str = "parameter"
    #: Whether fetching needs credentials (the environment provider does not).
    needs_credentials: ClassVar[bool] = True
    #: Whether a fetch waits on I/O (a request): then a sync ``get`` that fetches on a thread
    #: running an asyncio event loop warns once, pointing at ``aget``.
    fetch_blocks: ClassVar[bool] = True

    def __init__(
        self, *, max_age: float = DEFAULT_MAX_AGE, credentials: Optional[Credentials] = None
    ) -> None:
        self.max_age = _check_max_age(max_age)
        self.credentials = _check_credentials(credentials, "credentials=")
        self._cache: dict[Hashable, _Entry] = {}
        self._inflight: dict[Hashable, tuple[Future[_Entry], Optional[Credentials]]] = {}
        self._lock = threading.Lock()
        self._loop_unwarned = self.fetch_blocks

    # -- subclass hooks ------------------------------------------------------------------------

    def _fetch(self, name: str, credentials: Optional[Credentials]) -> str:
        raise NotImplementedError

    def _fetch_many(
        self, prefix: str, recursive: bool, credentials: Optional[Credentials]
    ) -> dict[str, str]:
        raise ConfigurationError(
            f"{type(self).__name__} cannot list values by prefix: the service has no such call; "
            "use get() for each name"
        )

    # -- public API ----------------------------------------------------------------------------

    def clear_cache(self, name: Optional[str] = None) -> None:
        """Forget every cached value, or only ``name``'s.

        Example:
            >>> from fcsdk.parameters import EnvironmentParameters
            >>> env = EnvironmentParameters(environ={"A": "1"})
            >>> env.get("A")
            '1'
            >>> env.clear_cache()
            >>> env
            EnvironmentParameters(max_age=300.0, cached=0)
        """
        with self._lock:
            if name is None:
                self._cache.clear()
            else:
                self._cache.pop(name, None)

    def __repr__(self) -> str:  # names and settings only, never values
        return f"{type(self).__name__}({self._describe()}max_age={self.max_age}, cached={len(self._cache)})"

    def _describe(self) -> str:
        return ""

    def _what(self, name: str) -> str:
        return f"{self.label} {name!r}"

    # -- the machinery -------------------------------------------------------------------------

    def _credentials_for(self, explicit: Optional[Credentials]) -> Optional[Credentials]:
        if not self.needs_credentials:
            return None
        creds = _check_credentials(explicit, "credentials=") or self.credentials
        if creds is not None:
            return creds
        from ..logging import current_context

        ctx = current_context.get()
        if ctx is None:
            raise CredentialsUnavailableError(
                f"{type(self).__name__} needs credentials and no invocation is running: call it "
                "inside an @fc.handler function (it signs with context.credentials), or pass "
                "credentials=fc.Credentials(...) (e.g. fc.Credentials.from_env())"
            )
        return ctx.require_credentials()

    def _value(
        self,
        key: Hashable,
        what: str,
        name: str,
        fetch: Callable[[Optional[Credentials]], Any],
        transform: Any,
        max_age: Optional[float],
        force_fetch: bool,
        credentials: Optional[Credentials],
        many: bool = False,
    ) -> Any:
        age, entry = self._cached(key, max_age, force_fetch)
        if entry is None:
            if self._loop_unwarned:
                self._warn_on_loop(many)
            entry = self._load(key, fetch, self._credentials_for(credentials), age, force_fetch)
        return self._transformed(entry, transform, what, name, many)

    async def _avalue(
        self,
        key: Hashable,
        what: str,
        name: str,
        fetch: Callable[[Optional[Credentials]], Any],
        transform: Any,
        max_age: Optional[float],
        force_fetch: bool,
        credentials: Optional[Credentials],
        many: bool = False,
    ) -> Any:
        age, entry = self._cached(key, max_age, force_fetch)
        if entry is None:
            entry = await self._aload(
                key, fetch, self._credentials_for(credentials), age, force_fetch
            )
        return self._transformed(entry, transform, what, name, many)

    def _warn_on_loop(self, many: bool) -> None:
        """One ``RuntimeWarning`` per provider when a sync fetch runs on a thread whose asyncio
        event loop is running (an ``async def`` handler calling ``get``): the fetch blocks the
        loop, and with it every async invocation of the instance. Only fetches check (a cached
        ``get`` pays nothing); without asyncio imported no loop can be running."""
        aio = sys.modules.get("asyncio")
        if aio is None or aio._get_running_loop() is None:
            return
        with self._lock:
            if not self._loop_unwarned:
                return
            self._loop_unwarned = False
        sync, use = ("get_many", "aget_many") if many else ("get", "aget")
        warnings.warn(
            f"{type(self).__name__}.{sync}() fetched on a thread running an asyncio event loop: "
            f"the loop, and every async invocation on it, waits for the fetch; in an async def "
            f"handler use `await provider.{use}(...)` instead, which fetches in a worker thread "
            "(warned once per provider)",
            RuntimeWarning,
            stacklevel=4,
        )

    def _cached(
        self, key: Hashable, max_age: Optional[float], force_fetch: bool
    ) -> tuple[float, Optional[_Entry]]:
        """The max age in force for this call, and the cached entry when it is fresh enough."""
        age = self.max_age if max_age is None else _check_max_age(max_age)
        return age, None if force_fetch else self._fresh(key, age)

    def _fresh(self, key: Hashable, age: float) -> Optional[_Entry]:
        entry = self._cache.get(key)
        if entry is not None and time.monotonic() - entry.fetched < age:
            return entry
        return None

    def _join(
        self, key: Hashable, creds: Optional[Credentials], age: float, force: bool
    ) -> tuple[Optional[_Entry], Future[_Entry], bool, Optional[Credentials]]:
        """Under the lock: a fresh entry, or the future to wait for and whether we lead."""
        with self._lock:
            if not force:
                entry = self._fresh(key, age)
                if entry is not None:
                    return entry, Future(), False, None
            inflight = self._inflight.get(key)
            if inflight is not None:
                return None, inflight[0], False, inflight[1]
            fut: Future[_Entry] = Future()
            self._inflight[key] = (fut, creds)
            return None, fut, True, creds

    def _complete(
        self,
        key: Hashable,
        fut: Future[_Entry],
        fetch: Callable[[Optional[Credentials]], Any],
        creds: Optional[Credentials],
    ) -> None:
        """Run the fetch and settle ``fut``; never raises (followers read the outcome)."""
        try:
            value = fetch(creds)
        except BaseException as exc:
            with self._lock:
                self._inflight.pop(key, None)
            fut.set_exception(exc)
            return
        entry = _Entry(value, time.monotonic())
        with self._lock:
            self._cache[key] = entry
            self._inflight.pop(key, None)
        fut.set_result(entry)

    def _load(
        self,
        key: Hashable,
        fetch: Callable[[Optional[Credentials]], Any],
        creds: Optional[Credentials],
        age: float,
        force: bool,
    ) -> _Entry:
        for _ in range(3):
            entry, fut, lead, leader_creds = self._join(key, creds, age, force)
            if entry is not None:
                return entry
            if lead:
                self._complete(key, fut, fetch, creds)
                return fut.result()
            try:
                return fut.result()
            except BaseException as exc:
                if _auth_refused(exc) and leader_creds != creds:
                    continue  # another invocation's credentials were refused: try ours
                raise _follower_copy(exc) from None
        raise ParameterFetchError(
            f"gave up fetching {key!r}: other fetches kept failing", provider=self.provider
        )

    async def _aload(
        self,
        key: Hashable,
        fetch: Callable[[Optional[Credentials]], Any],
        creds: Optional[Credentials],
        age: float,
        force: bool,
    ) -> _Entry:
        import asyncio  # here, not at import: ~20 ms that sync handlers never need

        for _ in range(3):
            entry, fut, lead, leader_creds = self._join(key, creds, age, force)
            if entry is not None:
                return entry
            if lead:
                # The fetch settles the future in a thread of its own: a cancelled task does not
                # strand the followers, the event loop is never blocked by the request, and the
                # fetch never queues behind the loop's default executor (a few workers that
                # other invocations' blocking work may hold far past the fetch's own bounds).
                ctx = contextvars.copy_context()
                threading.Thread(
                    target=ctx.run,
                    args=(self._complete, key, fut, fetch, creds),
                    name="fcsdk-parameters-fetch",
                    daemon=True,
                ).start()
            try:
                return await asyncio.wrap_future(fut)
            except BaseException as exc:
                if lead:
                    raise
                if _auth_refused(exc) and leader_creds != creds:
                    continue
                raise _follower_copy(exc) from None
        raise ParameterFetchError(
            f"gave up fetching {key!r}: other fetches kept failing", provider=self.provider
        )

    def _transformed(self, entry: _Entry, how: Any, what: str, name: str, many: bool) -> Any:
        out = entry.transformed.get(how, _MISSING)
        if out is not _MISSING:
            return out
        if many:
            out = {
                k: _transform.apply(v, how, f"{self.label} {name + k!r}", name + k)
                for k, v in entry.value.items()
            }
        else:
            out = _transform.apply(entry.value, how, what, name)
        entry.transformed[how] = out
        return out


def _follower_copy(exc: BaseException) -> BaseException:
    """A follower raises its own copy of the leader's error (one traceback per thread)."""
    if isinstance(exc, ParameterError):
        return copy.copy(exc)
    return exc
