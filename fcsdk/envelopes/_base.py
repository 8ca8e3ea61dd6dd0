"""The :class:`Envelope` base class: validate a trigger event, then the payload inside it.

An envelope turns "the bytes FC sends" into "the user's model", in three stages, each with its
own error:

1. the whole event is validated as the trigger's model (:meth:`Envelope.event_model`);
   a broken event raises :class:`fcsdk.EventDecodeError` / :class:`fcsdk.EventValidationError`
   with paths from the event's root;
2. the payload(s) are taken out (:meth:`Envelope.payload` / :meth:`Envelope.payloads`),
   each with its location in the event, e.g. ``(3, "data", "body")``;
3. each payload is decoded (JSON text or bytes, straight through pydantic) and validated as the
   handler's model; errors carry the full path: ``[3].data.body.qty``.
"""

from __future__ import annotations

import functools
import json
from typing import Any, Callable, ClassVar, Iterable, List, Tuple, Union, get_args, get_origin

from .._codec import (
    Decoder,
    as_bytes,
    build_adapter,
    make_decoder,
    type_title,
    uses_msgspec,
    validate_bytes,
    validate_object,
)
from ..errors import EventDecodeError, EventValidationError, format_loc

__all__ = ["Envelope", "Loc", "PayloadDecoder"]

#: Where a payload sits in the event, as a pydantic-style ``loc`` tuple.
Loc = Tuple[Union[int, str], ...]
#: ``(payload, loc) -> value``: decodes and validates one payload.
PayloadDecoder = Callable[[Any, Loc], Any]


@functools.cache
def _event_decoder(event_model: Any, include_input: bool) -> Decoder:
    decoder = make_decoder(event_model, include_input=include_input)
    assert decoder is not None
    return decoder


def _is_passthrough(model: Any) -> bool:
    return model is None or model is Any or model is object


def _as_text(value: Any, loc: Loc) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise EventDecodeError(
                f"{format_loc(loc)}: payload is not valid UTF-8 (invalid byte at position "
                f"{exc.start})"
            ) from None
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _missing(title: str, loc: Loc) -> EventValidationError:
    error = {"loc": tuple(loc), "msg": "Field required", "type": "missing"}
    return EventValidationError(
        f"1 validation error for {title}: {format_loc(loc)}: Field required", errors=[error]
    )


def payload_decoder(model: Any, *, include_input: bool) -> PayloadDecoder:
    """Build the decoder for one payload: ``(payload, loc) -> model instance``.

    Payloads that are text or bytes are read as JSON (``str`` models get the text, ``bytes``
    models the bytes); payloads that are already JSON values (a dict inside the event) are
    validated directly. Errors carry ``loc`` in front of their paths.

    A payload that is ``None`` (``null`` or absent in the event) is missing, whatever the
    model: :class:`fcsdk.EventValidationError` "Field required" at ``loc``. Only a handler
    without a model (or ``Any``) receives ``None``.

    Example:
        >>> dec = payload_decoder(dict[str, int], include_input=False)
        >>> dec('{"a": 1}', ("payload",))
        {'a': 1}
    """
    if _is_passthrough(model):
        return lambda value, loc: value
    title = type_title(model)
    if model is str:

        def to_text(value: Any, loc: Loc) -> str:
            if value is None:
                raise _missing(title, loc)
            return _as_text(value, loc)

        return to_text
    if model is bytes:

        def to_bytes(value: Any, loc: Loc) -> bytes:
            if value is None:
                raise _missing(title, loc)
            if isinstance(value, str):
                return value.encode("utf-8", "surrogatepass")
            return as_bytes(value)

        return to_bytes
    if uses_msgspec(model):  # msgspec Structs: no pydantic for the payload
        from .._msgspec import payload_decoder as msgspec_payload_decoder

        decode_struct = msgspec_payload_decoder(model, include_input=include_input)

        def decode_msgspec(value: Any, loc: Loc) -> Any:
            if value is None:
                raise _missing(title, loc)
            return decode_struct(value, loc)

        return decode_msgspec
    adapter = build_adapter(model)

    def decode(value: Any, loc: Loc) -> Any:
        if value is None:
            raise _missing(title, loc)
        if isinstance(value, (str, bytes)):
            return validate_bytes(adapter, value, title, include_input=include_input, prefix=loc)
        if isinstance(value, (bytearray, memoryview)):
            return validate_bytes(
                adapter, bytes(value), title, include_input=include_input, prefix=loc
            )
        return validate_object(adapter, value, title, include_input=include_input, prefix=loc)

    return decode


def _call_args(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    return ", ".join([*(type(a).__name__ for a in args), *(f"{k}=..." for k in kwargs)])


class Envelope:
    """Base class of envelopes: unwrap the payload from a trigger event, then validate it.

    Subclass and implement :meth:`event_model` plus :meth:`payload` (one payload per event) or,
    with ``batch = True``, :meth:`payloads` (the handler then receives a list). Pass an
    *instance* as ``@fc.handler(envelope=...)``.

    A batch envelope accepts ``model=Order`` or ``model=list[Order]`` (same meaning: the
    handler receives ``list[Order]``).

    Example:
        >>> from typing import Any, Dict
        >>> import fcsdk as fc
        >>> class Wrapped(fc.envelopes.Envelope):
        ...     name = "wrapped"
        ...     def event_model(self):
        ...         return Dict[str, Any]
        ...     def payload(self, event):
        ...         return ("inner",), event.get("inner")
        >>> @fc.handler(envelope=Wrapped())
        ... def handler(event: Dict[str, int]) -> int:
        ...     return event["n"]
        >>> handler(b'{"inner": "{\\\\"n\\\\": 3}"}', None)
        '3'
        >>> try:
        ...     handler(b'{"inner": {"n": "x"}}', None)
        ... except fc.EventValidationError as exc:
        ...     print(exc.errors()[0]["loc"])
        ('inner', 'n')
    """

    #: Used in error messages and by ``fcsdk schema``.
    name: ClassVar[str] = "envelope"
    #: True when the event carries many payloads and the handler receives a list.
    batch: ClassVar[bool] = False

    def __call__(self, *args: Any, **kwargs: Any) -> Envelope:
        """A new envelope of this kind: ``fc.envelopes.Timer()`` works like
        ``fc.envelopes.Timer``, and ``fc.envelopes.Kafka(base64=True)`` like
        ``fc.envelopes.KafkaEnvelope(base64=True)``.

        Raises:
            ConfigurationError: for options this envelope does not take.

        Example:
            >>> import fcsdk as fc
            >>> type(fc.envelopes.Timer()).__name__
            'TimerEnvelope'
        """
        try:
            return type(self)(*args, **kwargs)
        except TypeError as exc:
            from ..errors import ConfigurationError

            raise ConfigurationError(
                f"fc.envelopes.{self.name}({_call_args(args, kwargs)}): {exc}; see "
                f"help(fcsdk.envelopes.{type(self).__name__}) for its options"
            ) from None

    def event_model(self) -> Any:
        """The type the whole event is validated as (imported lazily by subclasses)."""
        raise NotImplementedError(f"{type(self).__name__} must implement event_model()")

    def decode_event(self, event: Any, *, include_input: bool) -> Any:
        """Stage 1: decode and validate the whole event (bytes, str or decoded JSON)."""
        return _event_decoder(self.event_model(), include_input)(event)

    def payload(self, event: Any) -> tuple[Loc, Any]:
        """Stage 2 (single envelopes): ``(loc, payload)`` taken from the validated event."""
        raise NotImplementedError(f"{type(self).__name__} must implement payload()")

    def payloads(self, event: Any) -> Iterable[tuple[Loc, Any]]:
        """Stage 2 (batch envelopes): every ``(loc, payload)`` of the validated event."""
        return [self.payload(event)]

    def item_model(self, model: Any) -> Any:
        """The model of one payload: ``list[X]`` means ``X`` for batch envelopes."""
        if self.batch and get_origin(model) in (list, List):
            args = get_args(model)
            return args[0] if args else Any
        return model

    def make_decoder(self, model: Any, *, include_input: bool) -> Decoder:
        """Build the ``event -> value`` decoder ``@fc.handler`` calls (stage 3 included)."""
        decode_payload = payload_decoder(self.item_model(model), include_input=include_input)
        decode_event = self.decode_event

        if self.batch:
            payloads = self.payloads

            def decode_batch(event: Any) -> Any:
                outer = decode_event(event, include_input=include_input)
                return [decode_payload(value, loc) for loc, value in payloads(outer)]

            return decode_batch
        payload = self.payload

        def decode_one(event: Any) -> Any:
            loc, value = payload(decode_event(event, include_input=include_input))
            return decode_payload(value, loc)

        return decode_one

    def __repr__(self) -> str:
        return f"fcsdk.envelopes.{self.name}"
