""":class:`RedisStore`: records in Redis or Tair (redis-py), one key per record.

- claim: ``SET key record NX PX <lock ms>`` (one round trip when the key is new); when the key
  exists, a Lua script atomically returns the live record or, if it lapsed in between, claims
  the key (the takeover);
- complete / release: Lua compare-and-set / compare-and-delete on the record's token, so an
  invocation whose lock lapsed never overwrites the invocation that took over.

Expiry is Redis's own (``PX``): an in-progress record vanishes at the invocation's deadline, a
completed one after ``expires_after``. Tair (Alibaba Cloud's Redis) runs the same commands and
scripts; in cluster mode every script touches one key, passed in ``KEYS``.
"""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING, Any, Optional

from ..errors import ConfigurationError, MissingDependencyError
from ._store import Record

if TYPE_CHECKING:
    from ..context import Context

__all__ = ["RedisStore"]

# KEYS[1] record key; ARGV[1] the new record; ARGV[2] its lock in ms.
_TAKEOVER = """
local cur = redis.call('GET', KEYS[1])
if cur then return cur end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false
"""
# KEYS[1] record key; ARGV[1] token; ARGV[2] completed record; ARGV[3] its lifetime in ms.
_COMPLETE = """
local cur = redis.call('GET', KEYS[1])
if cur and string.sub(cur, 3, 34) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0
"""
# KEYS[1] record key; ARGV[1] token.
_RELEASE = """
local cur = redis.call('GET', KEYS[1])
if cur and string.sub(cur, 3, 34) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""

_PASSWORD = re.compile(r"(?<=://)([^@/]*)@")


def _ttl_ms(record: Record, now_ms: int) -> int:
    return max(1, record.expiry_ms - now_ms)


class RedisStore:
    """Idempotency records in Redis or Tair.

    Parameters:
        url: ``redis://[user:password@]host:port/db`` (``rediss://`` for TLS); the password
            never appears in messages. Ignored when ``client`` is given.
        client: an existing ``redis.Redis`` client to use instead.
        socket_timeout: seconds per command; a slow store fails fast with
            :class:`IdempotencyStoreError` rather than eating the invocation's time.
        **options: more ``redis.Redis.from_url`` options.

    The client (and its connection pool) is made on first use and shared by the invocations of
    this instance. Needs ``pip install "fcsdk[redis]"``; on FC the function must be in the
    Redis instance's VPC.

    Example:
        >>> from fcsdk.idempotency import RedisStore
        >>> RedisStore("redis://:s3cret@r-1.redis.rds.aliyuncs.com:6379/0")
        RedisStore(redis://***@r-1.redis.rds.aliyuncs.com:6379/0)
    """

    def __init__(
        self,
        url: Optional[str] = None,
        *,
        client: Any = None,
        socket_timeout: float = 2.0,
        **options: Any,
    ) -> None:
        if url is None and client is None:
            raise ConfigurationError("RedisStore needs a url (redis://host:port/db) or a client")
        self.url = url
        self._client = client
        self._options = {
            "socket_timeout": socket_timeout,
            "socket_connect_timeout": socket_timeout,
            **options,
        }
        self._lock = threading.Lock()
        self._scripts: Any = None

    def __repr__(self) -> str:
        if self.url is None:
            return "RedisStore(client)"
        return f"RedisStore({_PASSWORD.sub('***@', self.url)})"

    @staticmethod
    def _now_ms() -> int:
        import time

        return time.time_ns() // 1_000_000

    def _ready(self) -> tuple[Any, Any]:
        scripts = self._scripts
        if scripts is not None:
            return self._client, scripts
        with self._lock:
            if self._scripts is None:
                try:
                    import redis
                except ImportError as exc:
                    raise MissingDependencyError.for_extra("redis", "redis") from exc
                if self._client is None:
                    options = dict(self._options)
                    if "retry" not in options:  # few, short retries: the invocation's time counts
                        from redis.backoff import ExponentialBackoff
                        from redis.retry import Retry

                        options["retry"] = Retry(ExponentialBackoff(cap=0.2, base=0.02), 2)
                    self._client = redis.Redis.from_url(str(self.url), **options)
                client = self._client
                self._scripts = (
                    client.register_script(_TAKEOVER),
                    client.register_script(_COMPLETE),
                    client.register_script(_RELEASE),
                )
            return self._client, self._scripts

    def claim(self, key: str, record: Record, context: Context) -> Optional[Record]:
        """See :class:`fcsdk.idempotency.Store` (``SET NX PX``, then the takeover script)."""
        client, (takeover, _, _) = self._ready()
        data = record.encode()
        ttl = _ttl_ms(record, self._now_ms())
        if client.set(key, data, nx=True, px=ttl):
            return None
        found = takeover(keys=[key], args=[data, ttl])
        return None if found is None else Record.decode(found)

    def complete(self, key: str, record: Record, context: Context) -> bool:
        """See :class:`fcsdk.idempotency.Store` (compare-and-set on the token)."""
        _, (_, complete, _) = self._ready()
        ttl = _ttl_ms(record, self._now_ms())
        return bool(complete(keys=[key], args=[record.token, record.encode(), ttl]))

    def release(self, key: str, token: str, context: Context) -> None:
        """See :class:`fcsdk.idempotency.Store` (compare-and-delete on the token)."""
        _, (_, _, release) = self._ready()
        release(keys=[key], args=[token])
