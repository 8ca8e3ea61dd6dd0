"""CloudEvents 1.0 with Alibaba's ``aliyun*`` extension attributes, generic in ``data``.

EventBridge-based triggers (MNS queue, ApsaraMQ for RocketMQ, RabbitMQ, Kafka, DTS, and events
of other cloud services) send a JSON array of these. ``CloudEvent[MyData]`` validates ``data``
as ``MyData``; ``CloudEvent`` alone (or ``CloudEvent[Any]``) keeps it as decoded JSON.

Example:
    >>> from typing import List
    >>> from fcsdk.events import CloudEvent
    >>> from fcsdk.testing import events
    >>> from pydantic import TypeAdapter
    >>> batch = TypeAdapter(List[CloudEvent]).validate_json(events.cloudevents(items=[{"n": 1}]))
    >>> batch[0].data, batch[0].spec_version
    ({'n': 1}, '1.0')
"""

# No `from __future__ import annotations` here: pydantic would compile each annotation string
# when the models are built, a fifth of their import time (cold start). Python 3.9 syntax only.

from typing import ClassVar, Generic, Optional, TypeVar

from pydantic import ConfigDict

from ._base import FCDateTime, FCModel, NullDefault, fc_config

__all__ = ["CloudEvent", "DataT"]

DataT = TypeVar("DataT")


def _flat(name: str) -> str:
    """CloudEvents attribute names are lower case without separators: ``specversion``."""
    return name.replace("_", "")


class CloudEvent(FCModel, Generic[DataT]):
    """One CloudEvent (``specversion`` 1.0) as EventBridge delivers it to FC.

    Python names are snake_case (``spec_version``, ``data_content_type``,
    ``aliyun_account_id``...), FC's attribute names (``specversion``, ``datacontenttype``,
    ``aliyunaccountid``...) are the aliases.

    Example:
        >>> from fcsdk.events import CloudEvent
        >>> ev = CloudEvent[int].model_validate(
        ...     {"id": "1", "source": "s", "specversion": "1.0", "type": "t", "data": "7"})
        >>> ev.data, ev.model_dump()["specversion"]
        (7, '1.0')
    """

    model_config: ClassVar[ConfigDict] = fc_config(alias_generator=_flat)

    id: str
    source: str
    spec_version: NullDefault[str] = "1.0"
    type: str
    data_content_type: Optional[str] = None
    data_schema: Optional[str] = None
    subject: Optional[str] = None
    time: Optional[FCDateTime] = None
    #: Optional in CloudEvents 1.0; the per-trigger records (:class:`~fcsdk.events.KafkaRecord`...)
    #: require it, since those triggers always send it.
    data: Optional[DataT] = None
    aliyun_account_id: Optional[str] = None
    aliyun_publish_time: Optional[FCDateTime] = None
    aliyun_original_account_id: Optional[str] = None
    aliyun_event_bus_name: Optional[str] = None
    aliyun_region_id: Optional[str] = None
    aliyun_publish_addr: Optional[str] = None
