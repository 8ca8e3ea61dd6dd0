"""Cold start: the first invocation of this instance (process) that fcsdk's observability sees.

The JSON log formatter, ``fcsdk.metrics`` and ``fcsdk.tracing`` all ask :func:`is_cold_start`
with the invocation's :class:`fcsdk.Context`; the first context asked claims the cold start
and keeps the answer in its own cache, so every record, metric line and span of that
invocation agrees, and no other invocation of the instance is ever cold.

Example:
    >>> import fcsdk as fc
    >>> from fcsdk._coldstart import is_cold_start
    >>> ctx = fc.Context.of(None)
    >>> is_cold_start(ctx) == is_cold_start(ctx)
    True
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .context import Context

__all__ = ["is_cold_start"]

_KEY = "fcsdk.cold_start"
_lock = threading.Lock()
_claimed = False


def is_cold_start(ctx: Context) -> bool:
    """True for the one invocation that claimed the instance's cold start.

    Example:
        >>> import fcsdk as fc
        >>> _reset()
        >>> first, second = fc.Context.of(None), fc.Context.of(None)
        >>> is_cold_start(first), is_cold_start(second), is_cold_start(first)
        (True, False, True)
    """
    cache = ctx._cache
    cold = cache.get(_KEY)
    if cold is None:
        global _claimed
        with _lock:
            cold = not _claimed
            _claimed = True
        cache[_KEY] = cold
    return bool(cold)


def _reset() -> None:
    """Forget the cold start (tests: a fresh instance)."""
    global _claimed
    with _lock:
        _claimed = False
