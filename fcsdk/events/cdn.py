"""The CDN trigger's event: ``{"events": [record, ...]}`` with a typed ``eventParameter``.

The parameter's shape depends on ``eventName``; fcsdk picks the record class from it:

===========================================================  ===============================
eventName                                                    record class (``event_parameter``)
===========================================================  ===============================
``LogFileCreated``                                           :class:`CDNLogFileCreatedRecord`
``CachedObjectsRefreshed``, ``...Pushed``, ``...Blocked``    :class:`CDNCachedObjectsRecord`
``CdnDomainStarted``, ``CdnDomainStopped``                   :class:`CDNDomainStatusRecord`
``CdnDomainAdded``, ``CdnDomainDeleted``                     :class:`CDNDomainRecord`
anything else                                                :class:`CDNRecord` (a dict)
===========================================================  ===============================

Example:
    >>> from fcsdk.events import CDNEvent
    >>> from fcsdk.testing import events
    >>> rec = CDNEvent.model_validate_json(events.cdn(event_name="LogFileCreated")).events[0]
    >>> type(rec).__name__, rec.event_parameter.domain
    ('CDNLogFileCreatedRecord', 'example.com')
"""

# No `from __future__ import annotations` here: pydantic would compile each annotation string
# when the models are built, a fifth of their import time (cold start). Python 3.9 syntax only.

from typing import Any, Dict, List, Optional, Union

from pydantic import Discriminator, Field, Tag, ValidatorFunctionWrapHandler, WrapValidator
from typing_extensions import Annotated, Literal

from ._base import FCDateTime, FCModel, NullDefault

__all__ = [
    "CDNCachedObjectsParameter",
    "CDNCachedObjectsRecord",
    "CDNDomainParameter",
    "CDNDomainRecord",
    "CDNDomainStatusParameter",
    "CDNDomainStatusRecord",
    "CDNEvent",
    "CDNLogFileCreatedParameter",
    "CDNLogFileCreatedRecord",
    "CDNRecord",
    "CDNUserIdentity",
    "CDNResource",
]


class CDNUserIdentity(FCModel):
    """``userIdentity``: the account (``aliUid``).

    Example:
        >>> from fcsdk.events.cdn import CDNUserIdentity
        >>> CDNUserIdentity(ali_uid="1").model_dump()
        {'aliUid': '1'}
    """

    ali_uid: Optional[str] = None


class CDNResource(FCModel):
    """``resource``: the accelerated domain.

    Example:
        >>> from fcsdk.events.cdn import CDNResource
        >>> CDNResource(domain="example.com").domain
        'example.com'
    """

    domain: Optional[str] = None


class CDNLogFileCreatedParameter(FCModel):
    """``LogFileCreated``: a new log file, downloadable from ``filePath`` (a signed URL).

    Example:
        >>> from fcsdk.events.cdn import CDNLogFileCreatedParameter
        >>> CDNLogFileCreatedParameter(domain="d", file_path="http://x").file_size is None
        True
    """

    domain: str
    file_path: Optional[str] = None
    file_size: Optional[int] = None
    #: Epoch seconds of the period the file covers.
    start_time: Optional[int] = None
    end_time: Optional[int] = None


class CDNCachedObjectsParameter(FCModel):
    """``CachedObjectsRefreshed`` / ``Pushed`` / ``Blocked``: which paths, which task.

    Example:
        >>> from fcsdk.events.cdn import CDNCachedObjectsParameter
        >>> CDNCachedObjectsParameter(domain="d", object_path=["/a"]).object_path
        ['/a']
    """

    domain: str
    object_path: NullDefault[List[str]] = Field(default_factory=list)
    #: ``File`` or ``Directory``.
    object_type: Optional[str] = None
    task_id: Optional[int] = None
    #: Epoch seconds.
    create_time: Optional[int] = None
    complete_time: Optional[int] = None


class CDNDomainStatusParameter(FCModel):
    """``CdnDomainStarted`` / ``CdnDomainStopped``: the domain and its new status.

    Example:
        >>> from fcsdk.events.cdn import CDNDomainStatusParameter
        >>> CDNDomainStatusParameter(domain="d", status="online").status
        'online'
    """

    domain: str
    status: Optional[str] = None


class CDNDomainParameter(FCModel):
    """``CdnDomainAdded`` / ``CdnDomainDeleted``: the domain.

    Example:
        >>> from fcsdk.events.cdn import CDNDomainParameter
        >>> CDNDomainParameter(domain="d").domain
        'd'
    """

    domain: str


class CDNRecord(FCModel):
    """One CDN event; also the class for event names fcsdk does not know (untyped parameter).

    Example:
        >>> from fcsdk.events.cdn import CDNRecord
        >>> CDNRecord(event_name="SomethingNew", event_parameter={"x": 1}).event_parameter
        {'x': 1}
    """

    event_name: str
    event_source: Optional[str] = None
    region: Optional[str] = None
    event_version: Optional[str] = None
    event_time: Optional[FCDateTime] = None
    trace_id: Optional[str] = None
    user_identity: Optional[CDNUserIdentity] = None
    resource: Optional[CDNResource] = None
    event_parameter: Optional[Dict[str, Any]] = None


class CDNLogFileCreatedRecord(CDNRecord):
    """A ``LogFileCreated`` record.

    Example:
        >>> from fcsdk.events.cdn import CDNLogFileCreatedRecord
        >>> CDNLogFileCreatedRecord(event_name="LogFileCreated",
        ...                         event_parameter={"domain": "d"}).event_parameter.domain
        'd'
    """

    event_name: Literal["LogFileCreated"]
    event_parameter: CDNLogFileCreatedParameter  # type: ignore[assignment]


class CDNCachedObjectsRecord(CDNRecord):
    """A ``CachedObjectsRefreshed``, ``CachedObjectsPushed`` or ``CachedObjectsBlocked`` record.

    Example:
        >>> from fcsdk.events.cdn import CDNCachedObjectsRecord
        >>> CDNCachedObjectsRecord(event_name="CachedObjectsPushed",
        ...                        event_parameter={"domain": "d"}).event_parameter.object_path
        []
    """

    event_name: Literal["CachedObjectsRefreshed", "CachedObjectsPushed", "CachedObjectsBlocked"]
    event_parameter: CDNCachedObjectsParameter  # type: ignore[assignment]


class CDNDomainStatusRecord(CDNRecord):
    """A ``CdnDomainStarted`` or ``CdnDomainStopped`` record.

    Example:
        >>> from fcsdk.events.cdn import CDNDomainStatusRecord
        >>> CDNDomainStatusRecord(event_name="CdnDomainStopped",
        ...                       event_parameter={"domain": "d"}).event_parameter.domain
        'd'
    """

    event_name: Literal["CdnDomainStarted", "CdnDomainStopped"]
    event_parameter: CDNDomainStatusParameter  # type: ignore[assignment]


class CDNDomainRecord(CDNRecord):
    """A ``CdnDomainAdded`` or ``CdnDomainDeleted`` record.

    Example:
        >>> from fcsdk.events.cdn import CDNDomainRecord
        >>> CDNDomainRecord(event_name="CdnDomainAdded",
        ...                 event_parameter={"domain": "d"}).event_parameter.domain
        'd'
    """

    event_name: Literal["CdnDomainAdded", "CdnDomainDeleted"]
    event_parameter: CDNDomainParameter  # type: ignore[assignment]


_RECORDS: dict[str, type[CDNRecord]] = {
    "LogFileCreated": CDNLogFileCreatedRecord,
    "CachedObjectsRefreshed": CDNCachedObjectsRecord,
    "CachedObjectsPushed": CDNCachedObjectsRecord,
    "CachedObjectsBlocked": CDNCachedObjectsRecord,
    "CdnDomainStarted": CDNDomainStatusRecord,
    "CdnDomainStopped": CDNDomainStatusRecord,
    "CdnDomainAdded": CDNDomainRecord,
    "CdnDomainDeleted": CDNDomainRecord,
}
_TAG_OF: dict[type[CDNRecord], str] = {
    CDNLogFileCreatedRecord: "log",
    CDNCachedObjectsRecord: "cached",
    CDNDomainStatusRecord: "status",
    CDNDomainRecord: "domain",
    CDNRecord: "other",
}


def _record_class(value: Any) -> type[CDNRecord]:
    if isinstance(value, dict):
        name = value.get("eventName", value.get("event_name"))
    else:
        name = getattr(value, "event_name", None)
    return _RECORDS.get(name, CDNRecord) if isinstance(name, str) else CDNRecord


def _record_tag(value: Any) -> str:
    return _TAG_OF[_record_class(value)]


def _validate_record(value: Any, handler: ValidatorFunctionWrapHandler, info: Any) -> Any:
    """Validate a record as the class its ``eventName`` names, so that errors carry the
    event's own path (``events[0].eventParameter.domain``): pydantic's union validator would
    put the member's tag in the path (``events[0].log.eventParameter.domain``)."""
    return _record_class(value).model_validate(value, context=info.context)


# The tagged union serves serialization and the JSON schema; validation dispatches itself.
AnyCDNRecord = Annotated[
    Annotated[
        Union[
            Annotated[CDNLogFileCreatedRecord, Tag("log")],
            Annotated[CDNCachedObjectsRecord, Tag("cached")],
            Annotated[CDNDomainStatusRecord, Tag("status")],
            Annotated[CDNDomainRecord, Tag("domain")],
            Annotated[CDNRecord, Tag("other")],
        ],
        Discriminator(_record_tag),
    ],
    WrapValidator(_validate_record),
]


class CDNEvent(FCModel):
    """What a CDN trigger sends: a list of records, each typed by its ``eventName``.

    Example:
        >>> from fcsdk.events import CDNEvent
        >>> from fcsdk.testing import events
        >>> ev = CDNEvent.model_validate_json(events.cdn(event_name="CachedObjectsRefreshed"))
        >>> ev.events[0].event_parameter.object_path
        ['/2018/03/16/13/33b430c57e7.mp4']
    """

    events: List[AnyCDNRecord] = Field(min_length=1)
