"""Batches with poison records, in one call: ``events.kafka_batch(orders, poison_at=[0, 5])``.

Re-exported by :mod:`fcsdk.testing.events`. Every ``*_batch`` factory takes the GOOD payloads
and puts a poison record at each position of ``poison_at`` (positions in the returned batch,
negative ones from the end), so a test can assert that the function saw exactly the good
payloads, in order, and that the failures sit exactly at ``poison_at``.

``poison`` is what a poison record carries:

- :data:`NOT_JSON` (default): a payload that is not JSON, which no structured model accepts;
- any other value: used as the payload (``{"qty": "many"}`` fails validation, not decoding);
- :data:`BROKEN_RECORD`: a record whose own metadata is invalid (``data`` not an object for
  the MNS queue, Kafka, RocketMQ and RabbitMQ; ``source`` not a string for ``cloudevents``
  and ``dts``; ``userProperties``/``props`` not an object for self-hosted RocketMQ and MQTT),
  for the record-level validation that runs before the payload's.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Iterable, Sequence

from ._factory_mq import (
    cloudevents,
    dts,
    kafka,
    mns_queue,
    mqtt,
    rabbitmq,
    rocketmq,
    rocketmq_selfhosted,
)

__all__ = [
    "BROKEN_RECORD",
    "NOT_JSON",
    "batch",
    "cloudevents_batch",
    "dts_batch",
    "kafka_batch",
    "mns_queue_batch",
    "mqtt_batch",
    "rabbitmq_batch",
    "rocketmq_batch",
    "rocketmq_selfhosted_batch",
]

#: The default poison payload: text that is not JSON.
NOT_JSON = "\u2620 poison: not JSON {"


class _BrokenRecord:
    def __repr__(self) -> str:
        return "BROKEN_RECORD"


#: ``poison=BROKEN_RECORD``: the record itself fails validation, not only its payload.
BROKEN_RECORD: Any = _BrokenRecord()

#: trigger -> (factory, its payload keyword, field of a record to break)
_TRIGGERS: dict[str, tuple[Callable[..., bytes], str, str]] = {
    "kafka": (kafka, "values", "data"),
    "mns-queue": (mns_queue, "bodies", "data"),
    "rocketmq": (rocketmq, "bodies", "data"),
    "rabbitmq": (rabbitmq, "bodies", "data"),
    "cloudevents": (cloudevents, "items", "source"),
    "dts": (dts, "records", "source"),
    "rocketmq-selfhosted": (rocketmq_selfhosted, "bodies", "userProperties"),
    "mqtt": (mqtt, "bodies", "props"),
}


def _positions(poison_at: Iterable[int], total: int) -> set[int]:
    out: set[int] = set()
    for p in poison_at:
        if isinstance(p, bool) or not isinstance(p, int) or not -total <= p < total:
            raise ValueError(f"poison_at: {p!r} is not a position in a batch of {total} records")
        q = p % total
        if q in out:
            raise ValueError(f"poison_at: position {q} given twice")
        out.add(q)
    return out


def batch(
    trigger: str,
    payloads: Sequence[Any],
    *,
    poison_at: Iterable[int] = (),
    poison: Any = NOT_JSON,
    **kwargs: Any,
) -> bytes:
    """The event of batch ``trigger`` with ``payloads`` and poison records at ``poison_at``.

    Parameters:
        trigger: ``kafka``, ``mns-queue``, ``rocketmq``, ``rabbitmq``, ``cloudevents``, ``dts``,
            ``rocketmq-selfhosted`` or ``mqtt``.
        payloads: the good payloads, in order (for ``dts``: the ``data`` dicts).
        poison_at: positions of poison records in the returned batch.
        poison: the poison payload, or :data:`BROKEN_RECORD` (see the module docstring).
        kwargs: passed to the trigger's factory (``topic=``, ``key=``...).

    Returns:
        ``bytes``: ``len(payloads) + len(poison_at)`` records, exactly as FC sends them.

    Raises:
        ValueError: unknown trigger, or a position outside the batch or given twice.

    Example:
        >>> import json
        >>> from fcsdk.testing import events
        >>> ev = json.loads(events.batch("mqtt", ["a", "b"], poison_at=[-1]))
        >>> [r["body"] for r in ev]
        ['a', 'b', '\u2620 poison: not JSON {']
    """
    key = trigger.strip().lower().replace("_", "-")
    if key not in _TRIGGERS:
        raise ValueError(
            f"unknown batch trigger {trigger!r}; known: {', '.join(sorted(_TRIGGERS))}"
        )
    factory, keyword, field = _TRIGGERS[key]
    at = list(poison_at)
    total = len(payloads) + len(at)
    bad = _positions(at, total)
    patch = poison is BROKEN_RECORD or key == "dts"  # dts() needs dicts: put the poison after
    filler: Any = {} if key == "dts" else ""
    good = iter(payloads)
    items = [(filler if patch else poison) if i in bad else next(good) for i in range(total)]
    event = factory(**{keyword: items}, **kwargs)
    if not patch or not bad:
        return event
    records = json.loads(event)
    for i in bad:
        records[i]["data" if key == "dts" and poison is not BROKEN_RECORD else field] = (
            42 if poison is BROKEN_RECORD else poison
        )
    return json.dumps(records, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _named(trigger: str, keyword: str) -> Callable[..., bytes]:
    def make(
        payloads: Sequence[Any],
        *,
        poison_at: Iterable[int] = (),
        poison: Any = NOT_JSON,
        **kwargs: Any,
    ) -> bytes:
        return batch(trigger, payloads, poison_at=poison_at, poison=poison, **kwargs)

    make.__name__ = make.__qualname__ = f"{trigger.replace('-', '_')}_batch"
    make.__doc__ = (
        f"A {trigger} trigger event: the good ``{keyword}`` plus poison records at "
        "``poison_at``; see :func:`batch`.\n\n"
        "    Example:\n"
        "        >>> import json\n"
        "        >>> from fcsdk.testing import events\n"
        f"        >>> len(json.loads(events.{make.__name__}([{{}}, {{}}], poison_at=[0])))\n"
        "        3\n"
    )
    return make


kafka_batch = _named("kafka", "values")
mns_queue_batch = _named("mns-queue", "bodies")
rocketmq_batch = _named("rocketmq", "bodies")
rabbitmq_batch = _named("rabbitmq", "bodies")
cloudevents_batch = _named("cloudevents", "items")
dts_batch = _named("dts", "records")
rocketmq_selfhosted_batch = _named("rocketmq-selfhosted", "bodies")
mqtt_batch = _named("mqtt", "bodies")
