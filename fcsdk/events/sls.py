"""The Simple Log Service (SLS) trigger's event: which shard and cursor range to read.

The event carries no logs: the function pulls them itself between ``beginCursor`` and
``endCursor`` (e.g. with the aliyun-log SDK and the function's credentials).

Example:
    >>> from fcsdk.events import SLSEvent
    >>> from fcsdk.testing import events
    >>> ev = SLSEvent.model_validate_json(events.sls(project="p", logstore="l"))
    >>> ev.source.project_name, ev.source.logstore_name, ev.source.shard_id
    ('p', 'l', 0)
"""

# No `from __future__ import annotations` here: pydantic would compile each annotation string
# when the models are built, a fifth of their import time (cold start). Python 3.9 syntax only.

import datetime as _dt
from typing import Any, Dict, Optional

from pydantic import Field

from ._base import FCModel, NullDefault

__all__ = ["SLSEvent", "SLSSource"]


class SLSSource(FCModel):
    """Where to read: endpoint, project, logstore, shard and the cursor range.

    Example:
        >>> from fcsdk.events.sls import SLSSource
        >>> SLSSource(endpoint="e", project_name="p", logstore_name="l", shard_id=1,
        ...           begin_cursor="a", end_cursor="b").shard_id
        1
    """

    endpoint: str
    project_name: str
    logstore_name: str
    shard_id: int
    begin_cursor: str
    end_cursor: str


class SLSEvent(FCModel):
    """What an SLS trigger sends on each run of its job.

    Attributes:
        parameter: the trigger's "function configuration" (any JSON object, often empty).
        source: the shard and cursor range to read.
        job_name / task_id: the SLS ETL job and this run.
        cursor_time: epoch seconds of the cursor (see :attr:`cursor_datetime`).

    Example:
        >>> from fcsdk.events import SLSEvent
        >>> from fcsdk.testing import events
        >>> SLSEvent.model_validate_json(events.sls()).cursor_datetime.tzinfo is not None
        True
    """

    parameter: NullDefault[Dict[str, Any]] = Field(default_factory=dict)
    source: SLSSource
    job_name: Optional[str] = None
    task_id: Optional[str] = None
    cursor_time: Optional[int] = None

    @property
    def cursor_datetime(self) -> Optional[_dt.datetime]:
        """``cursor_time`` as an aware UTC ``datetime`` (None when absent)."""
        if self.cursor_time is None:
            return None
        try:
            return _dt.datetime.fromtimestamp(self.cursor_time, tz=_dt.timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
