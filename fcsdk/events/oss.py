"""The OSS trigger's event: ``{"events": [record, ...]}``, one record per object operation.

Object keys: OSS's notification documentation does not say whether the key in an event is
URL-encoded, and public handlers disagree (some pass ``key`` straight to oss2, some unquote it
first). fcsdk keeps the key exactly as sent (:attr:`OSSObject.key`) and offers the
percent-decoded form (:attr:`OSSObject.decoded_key`); for plain ASCII keys without ``%`` both
are the same. When in doubt, use ``key`` and check ``decoded_key != key`` in your logs.

Example:
    >>> from fcsdk.events import OSSEvent
    >>> from fcsdk.testing import events
    >>> ev = OSSEvent.model_validate_json(events.oss(bucket="b", key="in/a%20b.png"))
    >>> rec = ev.events[0]
    >>> rec.oss.bucket.name, rec.oss.object.key, rec.oss.object.decoded_key
    ('b', 'in/a%20b.png', 'in/a b.png')
"""

# No `from __future__ import annotations` here: pydantic would compile each annotation string
# when the models are built, a fifth of their import time (cold start). Python 3.9 syntax only.

from typing import Any, Dict, List, Optional

from pydantic import Field

from ._base import FCDateTime, FCModel, NullDefault, alias

__all__ = [
    "OSSBucket",
    "OSSEvent",
    "OSSInfo",
    "OSSObject",
    "OSSObjectMeta",
    "OSSRecord",
    "OSSRequestParameters",
    "OSSResponseElements",
    "OSSUserIdentity",
]


class OSSBucket(FCModel):
    """The bucket of an OSS event record (``oss.bucket``); ``name`` is required.

    Example:
        >>> from fcsdk.events.oss import OSSBucket
        >>> OSSBucket(name="b").virtual_bucket is None
        True
    """

    name: str = Field(min_length=1)
    arn: Optional[str] = None
    owner_identity: Optional[str] = None
    #: Present on some events (e.g. for buckets reached through a virtual bucket).
    virtual_bucket: Optional[str] = None


class OSSObjectMeta(FCModel):
    """``oss.object.objectMeta``: the MIME type and the ``x-oss-meta-*`` user metadata.

    Example:
        >>> from fcsdk.events.oss import OSSObjectMeta
        >>> OSSObjectMeta(mime_type="image/png").user_meta
        {}
    """

    mime_type: Optional[str] = None
    user_meta: NullDefault[Dict[str, Any]] = Field(default_factory=dict)


class OSSObject(FCModel):
    """The object of an OSS event record (``oss.object``); ``key`` is required.

    Example:
        >>> from fcsdk.events.oss import OSSObject
        >>> OSSObject(key="a%2Bb.txt").decoded_key
        'a+b.txt'
    """

    key: str = Field(min_length=1)
    size: Optional[int] = None
    delta_size: Optional[int] = None
    e_tag: Optional[str] = None
    #: Missing on older events.
    object_meta: Optional[OSSObjectMeta] = None

    @property
    def decoded_key(self) -> str:
        """The key with ``%XX`` escapes decoded (``+`` is kept: it is a legal key character)."""
        if "%" not in self.key:
            return self.key
        from urllib.parse import unquote  # on first use: pydantic on 3.13 does not load it

        return unquote(self.key)


class OSSInfo(FCModel):
    """The ``oss`` part of a record: bucket, object, schema version and the matching rule.

    Example:
        >>> from fcsdk.events.oss import OSSInfo
        >>> OSSInfo(bucket={"name": "b"}, object={"key": "k"}).object.key
        'k'
    """

    bucket: OSSBucket
    object: OSSObject
    oss_schema_version: Optional[str] = None
    rule_id: Optional[str] = None


class OSSRequestParameters(FCModel):
    """``requestParameters``: where the request came from.

    Example:
        >>> from fcsdk.events.oss import OSSRequestParameters
        >>> OSSRequestParameters(source_ip_address="1.2.3.4").model_dump()
        {'sourceIPAddress': '1.2.3.4'}
    """

    source_ip_address: Optional[str] = alias("sourceIPAddress", default=None)


class OSSResponseElements(FCModel):
    """``responseElements``: the OSS request id of the operation.

    Example:
        >>> from fcsdk.events.oss import OSSResponseElements
        >>> OSSResponseElements(request_id="r").request_id
        'r'
    """

    request_id: Optional[str] = None


class OSSUserIdentity(FCModel):
    """``userIdentity``: the account that made the request.

    Example:
        >>> from fcsdk.events.oss import OSSUserIdentity
        >>> OSSUserIdentity(principal_id="1").principal_id
        '1'
    """

    principal_id: Optional[str] = None


class OSSRecord(FCModel):
    """One object operation, e.g. ``eventName == "ObjectCreated:PutObject"``.

    Example:
        >>> from fcsdk.events.oss import OSSRecord
        >>> rec = OSSRecord(event_name="ObjectRemoved:DeleteObject",
        ...                 oss={"bucket": {"name": "b"}, "object": {"key": "k"}})
        >>> rec.bucket_name, rec.key, rec.is_created
        ('b', 'k', False)
    """

    event_name: str
    event_source: Optional[str] = None
    event_time: Optional[FCDateTime] = None
    event_version: Optional[str] = None
    oss: OSSInfo
    region: Optional[str] = None
    request_parameters: Optional[OSSRequestParameters] = None
    response_elements: Optional[OSSResponseElements] = None
    user_identity: Optional[OSSUserIdentity] = None

    @property
    def bucket_name(self) -> str:
        """Shortcut for ``oss.bucket.name``."""
        return self.oss.bucket.name

    @property
    def key(self) -> str:
        """Shortcut for ``oss.object.key`` (as sent; see :attr:`OSSObject.decoded_key`)."""
        return self.oss.object.key

    @property
    def is_created(self) -> bool:
        """True for ``ObjectCreated:*`` events."""
        return self.event_name.startswith("ObjectCreated:")

    @property
    def is_removed(self) -> bool:
        """True for ``ObjectRemoved:*`` events."""
        return self.event_name.startswith("ObjectRemoved:")


class OSSEvent(FCModel):
    """What an OSS trigger sends: a list of records (usually one).

    Example:
        >>> from fcsdk.events import OSSEvent
        >>> from fcsdk.testing import events
        >>> OSSEvent.model_validate_json(events.oss(key="x.png")).events[0].key
        'x.png'
    """

    events: List[OSSRecord] = Field(min_length=1)
