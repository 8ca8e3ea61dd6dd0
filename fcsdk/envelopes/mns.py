"""MNS topic envelopes: the message of a topic trigger, in JSON or STREAM format.

- :data:`MNSTopic` recognises every form: JSON (``Message``), STREAM with attributes
  (``body``) and STREAM without attributes (the whole event is the message);
- :data:`MNSTopicJSON` and :data:`MNSTopicStream` accept one format only.

Example:
    >>> import fcsdk as fc
    >>> from fcsdk.testing import events
    >>> @fc.handler(envelope=fc.envelopes.MNSTopic)
    ... def handler(event: dict) -> int:
    ...     return event["n"]
    >>> [handler(events.mns_topic(message='{"n": 1}', form=f), None)
    ...  for f in ("json", "stream", "stream-attrs")]
    ['1', '1', '1']
"""

from __future__ import annotations

import json
from typing import Any

from .._codec import as_bytes
from ._base import Envelope, Loc, _event_decoder

__all__ = ["MNSTopic", "MNSTopicEnvelope", "MNSTopicJSON", "MNSTopicStream"]

_FORMS = ("auto", "json", "stream")


class _Raw:
    __slots__ = ("data",)

    def __init__(self, data: Any) -> None:
        self.data = data


def _json_object(event: Any) -> Any:
    """The event as a decoded JSON object, or None when it is not one."""
    if isinstance(event, dict):
        return event
    data = event if isinstance(event, (str, bytes)) else as_bytes(event)
    head = data.lstrip()[:1]
    if head not in ("{", b"{"):
        return None
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


class MNSTopicEnvelope(Envelope):
    """The message of an MNS topic trigger.

    Parameters:
        form: ``"auto"`` (default: detect), ``"json"`` (JSON format only) or ``"stream"``
            (STREAM format, with or without attributes).

    In STREAM format without attributes the event *is* the message, so a message that is
    itself a JSON object with exactly the keys ``body`` and ``attrs`` cannot be told apart
    from the attribute form; configure JSON format on the subscription if that matters.

    Example:
        >>> from fcsdk.envelopes import MNSTopicEnvelope
        >>> dec = MNSTopicEnvelope(form="stream").make_decoder(str, include_input=False)
        >>> dec(b"plain text"), dec(b'{"body": "b", "attrs": {}}')
        ('plain text', 'b')
    """

    name = "MNSTopic"

    def __init__(self, form: str = "auto") -> None:
        if form not in _FORMS:
            from ..errors import ConfigurationError

            raise ConfigurationError(f"MNSTopicEnvelope(form={form!r}): use one of {_FORMS}")
        self.form = form

    def event_model(self) -> Any:
        from ..events.mns import MNSTopicEvent

        return MNSTopicEvent

    def decode_event(self, event: Any, *, include_input: bool) -> Any:
        if self.form == "json":
            return _event_decoder(self.event_model(), include_input)(event)
        obj = _json_object(event)
        if obj is not None:
            if (
                self.form == "auto"
                and "Message" in obj
                and ("TopicOwner" in obj or "MessageId" in obj)
            ):
                return _event_decoder(self.event_model(), include_input)(obj)
            if "body" in obj and set(obj) <= {"body", "attrs"}:
                from ..events.mns import MNSTopicStreamEvent

                return _event_decoder(MNSTopicStreamEvent, include_input)(obj)
        return _Raw(event)

    def payload(self, event: Any) -> tuple[Loc, Any]:
        if isinstance(event, _Raw):
            return (), event.data
        if hasattr(event, "message"):
            return ("Message",), event.message
        return ("body",), event.body

    def __repr__(self) -> str:
        return f"fcsdk.envelopes.MNSTopicEnvelope(form={self.form!r})"


#: Any MNS topic format, detected per event.
MNSTopic = MNSTopicEnvelope()
#: MNS topic, JSON format only (``Message``).
MNSTopicJSON = MNSTopicEnvelope(form="json")
#: MNS topic, STREAM format only (raw text, or ``{body, attrs}``).
MNSTopicStream = MNSTopicEnvelope(form="stream")
