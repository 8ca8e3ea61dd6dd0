"""Shared helpers of the event factories (:mod:`fcsdk.testing.events`)."""

from __future__ import annotations

import datetime as _dt
import json
from typing import Any, Mapping, Sequence, Union

_ACCOUNT = "164901546557****"
Body = Union[str, bytes, Mapping[str, Any], Sequence[Any], None]


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _text(value: Any) -> str:
    """A payload as FC carries it in a string field: text as is, anything else as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8")
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _iso(value: Union[str, _dt.datetime, None], *, millis: bool = True) -> str:
    if isinstance(value, str):
        return value
    when = value or _dt.datetime.now(_dt.timezone.utc)
    if when.tzinfo is None:
        when = when.replace(tzinfo=_dt.timezone.utc)
    when = when.astimezone(_dt.timezone.utc)
    text = when.strftime("%Y-%m-%dT%H:%M:%S")
    return text + (f".{when.microsecond // 1000:03d}Z" if millis else "Z")
