"""Write a message to OSS with the function's own STS credentials (fcsdk version).

The same function as ``index_raw.py`` (FC's "Event handlers" example 2), but typed: the event is
validated into ``Upload`` and the credentials come from wherever this runtime puts them
(``context.credentials`` on python3.9/3.10, the environment on python3.12, headers on a custom
runtime, your own keys locally).

Example:
    >>> event = {"endpoint": "oss-cn-hangzhou.aliyuncs.com", "bucket": "b", "objectName": "k",
    ...          "message": "hi"}
    >>> Upload.model_validate(event).object_name
    'k'
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

import fcsdk as fc


class Upload(BaseModel):
    """The event: where to write what."""

    model_config = ConfigDict(populate_by_name=True)

    endpoint: str
    bucket: str
    object_name: str = Field(alias="objectName")
    message: str


@fc.handler
def handler(event: Upload, context: fc.Context) -> str:
    """Put ``event.message`` into ``event.bucket`` as ``event.object_name``."""
    bucket = context.require_credentials().oss_bucket(event.endpoint, event.bucket)
    bucket.put_object(event.object_name, event.message)
    return "success"
