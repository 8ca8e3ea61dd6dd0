"""The context variable holding the running invocation's :class:`fcsdk.Context`.

Its own tiny module so that the per-call path of ``@fc.handler`` does not import the standard
library's :mod:`logging` (re-exported as :data:`fcsdk.logging.current_context`).

Example:
    >>> from fcsdk._current import current_context
    >>> current_context.get() is None
    True
"""

from __future__ import annotations

import contextvars
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from .context import Context

__all__ = ["current_context"]

#: The context of the invocation running in this thread or task.
current_context: contextvars.ContextVar[Optional[Context]] = contextvars.ContextVar(
    "fcsdk_current_context", default=None
)
