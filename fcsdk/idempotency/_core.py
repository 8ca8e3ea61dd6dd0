""":class:`Idempotency`: the configuration, the ``@fc.handler`` step and ``idem.function``.

One invocation, in order:

1. read the key at its path in the decoded event (or call the key function);
2. ``claim`` an in-progress record named ``prefix:function:qualifier:scope:sha256(key)``, whose
   lock lapses at the invocation's deadline (``context.remaining_time()``, else
   ``in_progress_expiry``);
3. a live completed record with the same payload hash: return its body, byte-exact, without
   running the handler; a live in-progress record: :class:`IdempotencyInProgressError`;
4. otherwise run the handler: on success ``complete`` the record with the ENCODED body (kept
   ``expires_after`` seconds); on an exception ``release`` it, so FC's retry runs again.
"""

from __future__ import annotations

import functools
import inspect
import logging
import time
import uuid
from typing import TYPE_CHECKING, Any, Callable, Optional, TypeVar, Union, cast

from ..errors import ConfigurationError, FCError
from ._errors import (
    IdempotencyInProgressError,
    IdempotencyPayloadMismatchError,
    IdempotencyStoreError,
)
from ._keys import Path, canonical, check_path, digest, parse_path, read_path
from ._store import COMPLETED, IN_PROGRESS, Record, Store

if TYPE_CHECKING:
    from .._handler import HandlerSpec
    from ..context import Context
    from ..steps import Invocation, Proceed

__all__ = ["Idempotency"]

F = TypeVar("F", bound=Callable[..., Any])
KeySpec = Union[str, Callable[..., Any]]

logger = logging.getLogger("fcsdk.idempotency")

#: Seconds an in-progress lock lasts when the context gives no deadline (no function timeout).
DEFAULT_IN_PROGRESS_EXPIRY = 900.0


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class _Key:
    """A key spec, ready to read: a parsed path or a callable."""

    __slots__ = ("func", "path", "text")

    def __init__(self, key: KeySpec) -> None:
        self.func: Optional[Callable[..., Any]] = None
        self.path: Path = ()
        if callable(key):
            self.func = key
            self.text = f"<{getattr(key, '__qualname__', type(key).__name__)}>"
        elif isinstance(key, str):
            self.path = parse_path(key)
            self.text = key
        else:
            raise ConfigurationError(
                f"idempotency key must be a path string or a callable, got {type(key).__name__}"
            )

    def read(self, *args: Any, **kwargs: Any) -> Any:
        if self.func is not None:  # the same null/empty checks as a path
            return read_path({"key": self.func(*args, **kwargs)}, ("key",), self.text)
        return read_path(args[0] if args else None, self.path, self.text)


class Idempotency:
    """Run a handler (or any function) at most once per key; repeats replay the stored result.

    Parameters:
        store: where records live: :class:`RedisStore`, :class:`TablestoreStore`,
            :class:`MemoryStore`, or anything with the same three methods.
        key: a dotted path in the validated event (``"order_id"``, ``"items[0].sku"``,
            ``"[0].id"``; field names or aliases), or a callable ``(event) -> value``.
        expires_after: seconds a completed result is replayed.
        validate_payload: same key with a different payload raises
            :class:`IdempotencyPayloadMismatchError` (the hash covers the event bytes as FC
            delivered them; FC's retries resend the same bytes).
        in_progress_expiry: seconds an in-progress lock lasts when the context knows no
            deadline (no function timeout); on FC the lock lapses at the invocation deadline.
        prefix: the first part of every record key.

    Raises:
        ConfigurationError: for a malformed key path or a non-positive duration.

    Example:
        >>> import fcsdk as fc
        >>> from fcsdk.idempotency import Idempotency, MemoryStore
        >>> idem = Idempotency(MemoryStore(), key="order_id")
        >>> runs = []
        >>> @fc.handler(idempotency=idem)
        ... def handler(event: dict, context: fc.Context) -> dict:
        ...     runs.append(event["order_id"])
        ...     return {"charged": event["order_id"]}
        >>> first = handler(b'{"order_id": "o-1"}', None)
        >>> handler(b'{"order_id": "o-1"}', None) == first, runs
        (True, ['o-1'])
    """

    def __init__(
        self,
        store: Store,
        *,
        key: KeySpec,
        expires_after: float = 3600,
        validate_payload: bool = True,
        in_progress_expiry: float = DEFAULT_IN_PROGRESS_EXPIRY,
        prefix: str = "fcsdk-idem",
    ) -> None:
        for name in ("claim", "complete", "release"):
            if not callable(getattr(store, name, None)):
                raise ConfigurationError(
                    f"idempotency store {type(store).__name__} has no {name}() method; use "
                    "RedisStore, TablestoreStore or MemoryStore (see fcsdk.idempotency.Store)"
                )
        for name, value in (
            ("expires_after", expires_after),
            ("in_progress_expiry", in_progress_expiry),
        ):
            if not isinstance(value, (int, float)) or not value > 0 or value != value:
                raise ConfigurationError(f"{name} must be a positive number of seconds")
        self.store = store
        self.key = _Key(key)
        self.expires_after = float(expires_after)
        self.validate_payload = validate_payload
        self.in_progress_expiry = float(in_progress_expiry)
        self.prefix = prefix
        self._clock: Callable[[], int] = getattr(store, "_clock", None) or _now_ms

    def __repr__(self) -> str:
        return f"Idempotency({self.store!r}, key={self.key.text!r})"

    # -- the @fc.handler step ---------------------------------------------------------------

    def bind(self, spec: Optional[HandlerSpec]) -> _HandlerStep:
        """The step ``@fc.handler(idempotency=idem)`` appends; checks the key path against the
        handler's model first.

        Raises:
            ConfigurationError: the path does not exist in the model.

        Example:
            >>> from fcsdk.idempotency import Idempotency, MemoryStore
            >>> Idempotency(MemoryStore(), key="id").bind(None)
            IdempotencyStep(key='id')
        """
        scope = ""
        if spec is not None:
            if self.key.func is None and spec.model is not None:
                check_path(spec.model, self.key.path, self.key.text)
            func = spec.func
            scope = f"{getattr(func, '__module__', '')}.{getattr(func, '__qualname__', '')}"
        return _HandlerStep(self, scope)

    # -- inner functions ----------------------------------------------------------------------

    def function(
        self, key: Optional[KeySpec] = None, *, name: Optional[str] = None
    ) -> Callable[[F], F]:
        """Make any function idempotent, e.g. one record of a batch: the key (and the payload
        hash) come from its FIRST argument.

        Parameters:
            key: a path into the first argument, or a callable taking the same arguments as the
                function; default: this ``Idempotency``'s key.
            name: the function's name in record keys (default ``module.qualname``); set it to
                keep records valid when you move or rename the function.

        Returns:
            A decorator. The decorated function runs once per key; a repeat returns the stored
            result, encoded with FC's body rules and decoded again: ``str`` and ``bytes`` as
            they were, anything else as JSON validated against the return annotation (a
            pydantic model comes back as that model) or, without one, as plain JSON values.
            ``async def`` functions work too (the store calls are synchronous).

        Example:
            >>> from fcsdk.idempotency import Idempotency, MemoryStore
            >>> idem = Idempotency(MemoryStore(), key="id")
            >>> @idem.function()
            ... def charge(record: dict) -> dict:
            ...     print("charging", record["id"])
            ...     return {"ok": record["id"]}
            >>> charge({"id": "r-1"})
            charging r-1
            {'ok': 'r-1'}
            >>> charge({"id": "r-1"})
            {'ok': 'r-1'}
        """
        spec_key = self.key if key is None else _Key(key)

        def decorate(func: F) -> F:
            from ._result import decoder_for, encode_value

            if not callable(func):
                raise ConfigurationError(
                    f"idem.function needs a function, got {type(func).__name__}"
                )
            scope = name or f"{getattr(func, '__module__', '')}.{getattr(func, '__qualname__', '')}"
            decode = decoder_for(func)

            def start(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any, Any]:
                from ..context import Context
                from ..logging import current_context

                ctx = current_context.get() or Context.of(None)
                value = spec_key.read(*args, **kwargs)
                payload: Optional[bytes] = None
                if self.validate_payload and args:
                    try:
                        payload = canonical(args[0])
                    except (TypeError, ValueError):
                        payload = None
                return ctx, self._begin(ctx, scope, spec_key.text, value, payload), None

            if inspect.iscoroutinefunction(inspect.unwrap(func)):

                @functools.wraps(func)
                async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                    ctx, begun, _ = start(args, kwargs)
                    if isinstance(begun, Record):
                        return decode(begun)
                    try:
                        result = await func(*args, **kwargs)
                        kind, body = encode_value(result)  # unstorable: release, not stuck
                    except BaseException:
                        self._release(begun, ctx, spec_key.text)
                        raise
                    self._finish(begun, kind, body, ctx, spec_key.text)
                    return result

                return cast(F, async_wrapper)

            @functools.wraps(func)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                ctx, begun, _ = start(args, kwargs)
                if isinstance(begun, Record):
                    return decode(begun)
                try:
                    result = func(*args, **kwargs)
                    kind, body = encode_value(result)  # unstorable: release, not stuck
                except BaseException:
                    self._release(begun, ctx, spec_key.text)
                    raise
                self._finish(begun, kind, body, ctx, spec_key.text)
                return result

            return cast(F, wrapper)

        return decorate

    # -- the protocol -------------------------------------------------------------------------

    def _store_call(self, op: str, path: str, func: Callable[..., Any], *args: Any) -> Any:
        try:
            return func(*args)
        except FCError:
            raise
        except Exception as exc:
            detail = str(exc).replace("\n", " ")[:300]
            raise IdempotencyStoreError(
                f"{self.store!r} failed to {op} the idempotency record (key path {path!r}): "
                f"{type(exc).__name__}: {detail}"
            ) from exc

    def _begin(
        self, ctx: Context, scope: str, path: str, value: Any, payload: Optional[bytes]
    ) -> Union[Record, tuple[str, Record]]:
        """Claim the key: ``(record key, claimed record)``, or the completed record to replay."""
        fn = ctx.function
        name = fn.name or "local"
        qualifier = fn.qualifier or "LATEST"
        key = f"{self.prefix}:{name}:{qualifier}:{scope}:{digest(canonical(value))}"
        payload_hash = digest(payload) if payload is not None else ""
        remaining = ctx.remaining_time()
        lock = self.in_progress_expiry if remaining is None else max(remaining, 1.0)
        now = self._clock()
        mine = Record(IN_PROGRESS, now + int(lock * 1000), uuid.uuid4().hex, payload_hash)
        found: Optional[Record] = self._store_call("claim", path, self.store.claim, key, mine, ctx)
        if found is None or found.token == mine.token:  # a client's retry of our own claim
            return key, mine
        if self.validate_payload and found.payload_hash and payload_hash != found.payload_hash:
            raise IdempotencyPayloadMismatchError(
                f"idempotency key path {path!r}: this key was used before with a different "
                "payload; send a new key for a new request, or the same payload for a retry"
            )
        if found.status == COMPLETED:
            return found
        left = max(0.0, (found.expiry_ms - self._clock()) / 1000)
        raise IdempotencyInProgressError(
            f"idempotency key path {path!r}: another invocation with this key is in progress; "
            f"its lock lapses in {left:.1f} s at the latest (its invocation deadline). FC retries "
            "asynchronous invocations; a synchronous caller should retry later"
        )

    def _release(self, begun: tuple[str, Record], ctx: Context, path: str) -> None:
        key, mine = begun
        try:
            self._store_call("release", path, self.store.release, key, mine.token, ctx)
        except IdempotencyStoreError as exc:  # the handler's own exception is what matters
            logger.warning("%s; the retry waits for the lock to lapse", exc)

    def _finish(
        self, begun: tuple[str, Record], kind: str, body: bytes, ctx: Context, path: str
    ) -> None:
        key, mine = begun
        done = Record(
            COMPLETED,
            self._clock() + int(self.expires_after * 1000),
            mine.token,
            mine.payload_hash,
            kind,
            body,
        )
        if not self._store_call("complete", path, self.store.complete, key, done, ctx):
            logger.warning(
                "idempotency key path %r: the in-progress lock lapsed before the handler "
                "finished (another invocation took the key over); its result was not stored",
                path,
            )


class _HandlerStep:
    """The step ``@fc.handler(idempotency=idem)`` runs innermost (see :mod:`fcsdk.steps`)."""

    __slots__ = ("idem", "scope")

    def __init__(self, idem: Idempotency, scope: str) -> None:
        self.idem = idem
        self.scope = scope

    def __repr__(self) -> str:
        return f"IdempotencyStep(key={self.idem.key.text!r})"

    def around(self, call: Invocation, proceed: Proceed) -> Union[str, bytes]:
        idem = self.idem
        path = idem.key.text
        value = idem.key.read(call.event)
        payload: Optional[bytes] = None
        if idem.validate_payload:
            raw = call.raw
            payload = raw if type(raw) is bytes else canonical(raw)
        begun = idem._begin(call.context, self.scope, path, value, payload)
        if isinstance(begun, Record):
            return begun.body if begun.kind == "b" else begun.text()
        try:
            body = proceed()
        except BaseException:
            idem._release(begun, call.context, path)
            raise
        if type(body) is bytes:
            idem._finish(begun, "b", body, call.context, path)
        else:
            text = str(body)
            idem._finish(begun, "s", text.encode("utf-8", "surrogatepass"), call.context, path)
        return cast(Union[str, bytes], body)
