"""Per-record decoding for batch envelopes: each record of the event's JSON array is validated
as the trigger's record model ON ITS OWN, then its payload as the user's model, so one broken
record fails alone. Also where each trigger keeps a record's id and ordering key."""

from __future__ import annotations

from typing import Any, Callable, Hashable, List, Optional, get_args, get_origin

from pydantic import BaseModel

from .._codec import build_adapter, type_title, validate_object
from ..envelopes._base import Envelope, Loc, payload_decoder
from ..errors import ConfigurationError, EventDecodeError, format_loc

__all__ = ["RecordCodec", "default_ordering_key", "record_model_of"]

OrderingKey = Callable[[Any], Optional[Hashable]]

#: Where an ordering (sharding) key may sit in a RocketMQ message's properties. ApsaraMQ for
#: RocketMQ 4.x ordered messages carry ``__SHARDINGKEY``; the others are tolerated spellings
#: (the name EventBridge forwards is not documented: unverified).
_SHARDING_KEYS = ("__SHARDINGKEY", "SHARDING_KEY", "shardingKey", "__MESSAGE_GROUP", "messageGroup")
_GROUP_KEYS = ("messageGroupId", "MessageGroupId", "message_group_id")


def record_model_of(envelope: Envelope) -> Any:
    """The model of one record: ``X`` of the envelope's ``List[X]`` event model.

    Raises:
        ConfigurationError: the envelope does not deliver a JSON array of records.

    Example:
        >>> import fcsdk as fc
        >>> record_model_of(fc.envelopes.Kafka).__name__
        'KafkaRecord'
    """
    if not isinstance(envelope, Envelope) or not envelope.batch:
        raise ConfigurationError(
            f"batch_handler(envelope={envelope!r}) needs a batch envelope: one of "
            "fc.envelopes.MNSQueue, Kafka, KafkaBase64, RocketMQ, RabbitMQ, CloudEvent (DTS "
            "included), SelfHostedRocketMQ, MQTT; use @fc.handler for single events"
        )
    model = envelope.event_model()
    if get_origin(model) not in (list, List) or not get_args(model):
        raise ConfigurationError(
            f"batch_handler(envelope={envelope!r}): its event_model() must be List[Record] "
            f"(got {type_title(model)}); records are decoded one by one"
        )
    return get_args(model)[0]


def _props(record: Any, *names: str) -> list[dict[str, Any]]:
    data = getattr(record, "data", record)
    out = []
    for name in names:
        value = getattr(data, name, None)
        if isinstance(value, dict):
            out.append(value)
        elif value is not None and getattr(value, "model_extra", None) is not None:
            out.append({**value.model_dump(), **(value.model_extra or {})})
    return out


def _first(maps: list[dict[str, Any]], keys: tuple[str, ...]) -> Optional[Hashable]:
    for m in maps:
        for key in keys:
            value = m.get(key)
            if isinstance(value, (str, int)) and value != "":
                return value
    return None


def default_ordering_key(envelope: Envelope) -> Optional[OrderingKey]:
    """The ordering key of the trigger's records, or None when its records have none.

    Kafka: ``(topic, partition, key)``; RocketMQ (ApsaraMQ and self-hosted): the sharding key
    in the message properties; MNS queue: the message group id. Records without a key are
    independent of each other.

    Example:
        >>> import fcsdk as fc
        >>> from pydantic import TypeAdapter
        >>> from fcsdk.testing import events
        >>> rec = TypeAdapter(fc.events.KafkaEvent).validate_json(events.kafka())[0]
        >>> default_ordering_key(fc.envelopes.Kafka)(rec)
        ('mytopic', 7, 'keytest')
    """
    from ..envelopes.batch import (
        KafkaEnvelope,
        MNSQueueEnvelope,
        RocketMQEnvelope,
        SelfHostedRocketMQEnvelope,
    )

    if isinstance(envelope, KafkaEnvelope):

        def kafka(record: Any) -> Optional[Hashable]:
            d = record.data
            return (d.topic, d.partition, d.key)

        return kafka
    if isinstance(envelope, (RocketMQEnvelope, SelfHostedRocketMQEnvelope)):
        return lambda record: _first(
            _props(record, "system_properties", "user_properties"), _SHARDING_KEYS
        )
    if isinstance(envelope, MNSQueueEnvelope):

        def group(record: Any) -> Optional[Hashable]:
            data = record.data
            extra = {**(data.model_extra or {}), **(record.model_extra or {})}
            return _first([extra], _GROUP_KEYS)

        return group
    return None


def raw_id(raw: Any) -> Optional[str]:
    """A record's id read from the raw record (it may not validate): CloudEvent ``id`` or
    ``msgId``; ``None`` when absent."""
    if isinstance(raw, dict):
        for key in ("id", "msgId"):
            value = raw.get(key)
            if isinstance(value, (str, int)) and not isinstance(value, bool):
                return str(value)
    return None


def _direct_field(envelope: Envelope) -> Optional[tuple[str, str, tuple[str, ...]]]:
    """``(parent attribute, attribute, path after the index)`` of the payload for fcsdk's own
    envelopes (exact classes only: a subclass may override ``payloads``)."""
    from ..envelopes import batch as b

    tp = type(envelope)
    if tp in (b.MNSQueueEnvelope, b.RocketMQEnvelope, b.RabbitMQEnvelope, b.KafkaEnvelope):
        return "data", envelope.field, ("data", envelope.alias)  # type: ignore[attr-defined]
    if tp is b.CloudEventEnvelope:
        return "", "data", ("data",)
    if tp in (b.SelfHostedRocketMQEnvelope, b.MQTTEnvelope):
        return "", "body", ("body",)
    return None


def _walk(raw: Any, path: tuple[Any, ...], default: Any) -> Any:
    for part in path:
        if not isinstance(raw, dict) or part not in raw:
            return default
        raw = raw[part]
    return raw


class RecordCodec:
    """Decodes record ``i``: ``(record model instance, payload as the user's model)``.

    Example:
        >>> import fcsdk as fc
        >>> codec = RecordCodec(fc.envelopes.RocketMQ, int, include_input=False)
        >>> rec, value = codec.decode(0, {"id": "1", "source": "s", "type": "t",
        ...                                "data": {"body": "41"}})
        >>> rec.id, value
        ('1', 41)
    """

    def __init__(
        self,
        envelope: Envelope,
        model: Any,
        *,
        include_input: bool,
        record_model: Any = None,
    ) -> None:
        self.envelope = envelope
        self.record_model = record_model if record_model is not None else record_model_of(envelope)
        self._record_adapter = build_adapter(self.record_model)
        self._list_adapter = build_adapter(List[self.record_model])  # type: ignore[name-defined]
        self._record_title = type_title(self.record_model)
        self._payload = payload_decoder(envelope.item_model(model), include_input=include_input)
        self._include_input = include_input
        from ..envelopes.batch import KafkaEnvelope

        self._base64 = isinstance(envelope, KafkaEnvelope) and envelope.base64
        self._field = _direct_field(envelope)

    def validate_all(self, items: list[Any]) -> Optional[list[Any]]:
        """Every record validated in one call (the common case: all valid), else None."""
        try:
            out: list[Any] = self._list_adapter.validate_python(items)
        except Exception:  # some record is invalid: decode() validates each one, with its path
            return None
        return out

    def decode(self, index: int, raw: Any, record: Any = None) -> tuple[Any, Any]:
        """Validate record ``index`` (unless ``record`` is given, already validated) and its
        payload; fcsdk errors carry ``[index]...`` paths."""
        if record is None:
            record = validate_object(
                self._record_adapter,
                raw,
                self._record_title,
                include_input=self._include_input,
                prefix=(index,),
            )
        where: Loc = (index, "data", "value")
        try:
            if self._base64:
                from ..events._base import b64decode_field

                text = record.data.value
                if not isinstance(text, str):
                    raise EventDecodeError(f"{format_loc(where)} is not a base64 string")
                value: Any = b64decode_field(text, format_loc(where))
            elif self._field is not None:  # the built-in envelopes: one attribute, no list
                parent, attr, where_tail = self._field
                value = getattr(getattr(record, parent) if parent else record, attr)
                where = (index, *where_tail)
            else:
                ((loc, value),) = self.envelope.payloads([record])
                where = (index, *loc[1:])
            if isinstance(value, BaseModel):  # typed data (DTSRecord): the payload as sent
                value = _walk(raw, where[1:], value)
            return record, self._payload(value, where)
        except EventDecodeError as exc:
            if not exc._errors:  # name the payload's path in errors() too, as validation does
                exc._errors.append({"loc": where, "msg": "cannot be decoded", "type": exc.code})
            raise
