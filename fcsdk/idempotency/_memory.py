""":class:`MemoryStore`: records in a dict of this process (tests, local runs, one instance).

Example:
    >>> import fcsdk as fc
    >>> from fcsdk.idempotency import MemoryStore
    >>> from fcsdk.idempotency._store import Record, IN_PROGRESS
    >>> store, ctx = MemoryStore(), fc.Context.of(None)
    >>> store.claim("k", Record(IN_PROGRESS, 2**62, "a" * 32, ""), ctx) is None
    True
    >>> store.claim("k", Record(IN_PROGRESS, 2**62, "b" * 32, ""), ctx).token == "a" * 32
    True
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Callable, Optional

from ._store import Record

if TYPE_CHECKING:
    from ..context import Context

__all__ = ["MemoryStore"]


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class MemoryStore:
    """Records in memory, guarded by a lock: correct across threads of ONE process.

    Not for FC deployments with more than one instance (each instance would have its own
    records): use :class:`RedisStore` or :class:`TablestoreStore` there.

    Parameters:
        clock: milliseconds since the epoch (tests pass a fake clock to expire records).

    Example:
        >>> from fcsdk.idempotency import Idempotency, MemoryStore
        >>> idem = Idempotency(MemoryStore(), key="id")
        >>> len(idem.store)
        0
    """

    def __init__(self, *, clock: Callable[[], int] = _now_ms) -> None:
        self._records: dict[str, Record] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def __repr__(self) -> str:
        return "MemoryStore()"

    def __len__(self) -> int:
        """How many live records it holds.

        Example:
            >>> len(MemoryStore())
            0
        """
        now = self._clock()
        with self._lock:
            return sum(1 for r in self._records.values() if r.expiry_ms > now)

    def clear(self) -> None:
        """Forget every record.

        Example:
            >>> MemoryStore().clear()
        """
        with self._lock:
            self._records.clear()

    def claim(self, key: str, record: Record, context: Context) -> Optional[Record]:
        """See :class:`fcsdk.idempotency.Store`.

        Example:
            >>> import fcsdk as fc
            >>> from fcsdk.idempotency._store import IN_PROGRESS
            >>> MemoryStore().claim("k", Record(IN_PROGRESS, 1, "a" * 32, ""), fc.Context.of(None))
        """
        with self._lock:
            current = self._records.get(key)
            if current is not None and current.expiry_ms > self._clock():
                return current
            self._records[key] = record
            return None

    def complete(self, key: str, record: Record, context: Context) -> bool:
        """See :class:`fcsdk.idempotency.Store`.

        Example:
            >>> import fcsdk as fc
            >>> from fcsdk.idempotency._store import COMPLETED
            >>> MemoryStore().complete("k", Record(COMPLETED, 1, "a" * 32, ""), fc.Context.of(None))
            False
        """
        with self._lock:
            current = self._records.get(key)
            if current is None or current.token != record.token:
                return False
            self._records[key] = record
            return True

    def release(self, key: str, token: str, context: Context) -> None:
        """See :class:`fcsdk.idempotency.Store`.

        Example:
            >>> import fcsdk as fc
            >>> MemoryStore().release("k", "a" * 32, fc.Context.of(None))
        """
        with self._lock:
            current = self._records.get(key)
            if current is not None and current.token == token:
                del self._records[key]
