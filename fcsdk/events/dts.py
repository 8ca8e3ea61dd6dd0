"""The DTS (Data Transmission Service) trigger (EventBridge-based): change records as CloudEvents.

Each ``data`` is one change-data-capture record: the operation, the table's schema and the row
images before and after. Only the fields handlers key on are typed; the rest is kept as sent.

Example:
    >>> from pydantic import TypeAdapter
    >>> from fcsdk.events import DTSEvent
    >>> from fcsdk.testing import events
    >>> rec = TypeAdapter(DTSEvent).validate_json(events.dts())[0]
    >>> rec.data.operation_type, rec.data.table_name
    ('UPDATE', 'message_info')
"""

# No `from __future__ import annotations` here: pydantic would compile each annotation string
# when the models are built, a fifth of their import time (cold start). Python 3.9 syntax only.

from typing import Any, Dict, List, Optional

from ._base import FCModel, alias
from .cloudevents import CloudEvent

__all__ = ["DTSData", "DTSEvent", "DTSRecord", "DTSTopicPartition"]


class DTSTopicPartition(FCModel):
    """Where the record was read from in DTS's change stream.

    Example:
        >>> from fcsdk.events.dts import DTSTopicPartition
        >>> DTSTopicPartition(partition=0, topic="t").topic
        't'
    """

    hash: Optional[int] = None
    partition: Optional[int] = None
    topic: Optional[str] = None


class DTSData(FCModel):
    """``data`` of a DTS trigger's CloudEvent.

    ``record_schema`` is FC's ``schema`` (renamed: ``schema`` is a pydantic method name).

    Example:
        >>> from fcsdk.events.dts import DTSData
        >>> d = DTSData.model_validate({"operationType": "INSERT",
        ...                             "schema": {"databaseName": "db", "tableName": "t"}})
        >>> d.database_name, d.table_name
        ('db', 't')
    """

    id: Optional[int] = None
    topic_partition: Optional[DTSTopicPartition] = None
    offset: Optional[int] = None
    #: Epoch seconds of the change in the source database.
    source_timestamp: Optional[int] = None
    #: ``INSERT``, ``UPDATE``, ``DELETE``, ``DDL``, ...
    operation_type: str
    record_schema: Optional[Dict[str, Any]] = alias("schema", default=None)
    before_image: Any = None
    after_image: Any = None

    @property
    def database_name(self) -> Optional[str]:
        """``schema.databaseName``."""
        value = (self.record_schema or {}).get("databaseName")
        return value if isinstance(value, str) else None

    @property
    def table_name(self) -> Optional[str]:
        """``schema.tableName``."""
        value = (self.record_schema or {}).get("tableName")
        return value if isinstance(value, str) else None


class DTSRecord(CloudEvent[DTSData]):
    """One DTS change record as a CloudEvent; ``data`` is required (the trigger always sends it).

    Example:
        >>> from fcsdk.events import DTSRecord
        >>> DTSRecord(id="1", source="s", type="t",
        ...           data={"operationType": "INSERT"}).data.operation_type
        'INSERT'
    """

    data: DTSData


#: What a DTS trigger sends (the handler receives the list).
DTSEvent = List[DTSRecord]
