"""Shared pieces of the trigger models: the base model, time types, small helpers.

Every model in :mod:`fcsdk.events` derives from :class:`FCModel`: Python names in snake_case,
FC's spelling as the alias (both accepted on input), output by alias, unknown fields kept.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, ClassVar, Optional, TypeVar

import pydantic
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticUseDefault
from typing_extensions import Annotated

from ..errors import EventDecodeError

__all__ = [
    "FCDateTime",
    "FCModel",
    "FCText",
    "NullDefault",
    "alias",
    "b64decode_field",
    "epoch_ms_to_datetime",
    "json_or_text",
    "fc_config",
]

_PYDANTIC = tuple(int(p) for p in pydantic.VERSION.split(".")[:2])


def fc_config(**extra: Any) -> ConfigDict:
    """The model configuration fcsdk uses: extra fields kept, names and aliases both accepted,
    aliases generated in camelCase (FC's usual spelling) unless ``alias_generator`` is given.

    pydantic 2.11 added ``validate_by_name``/``validate_by_alias``/``serialize_by_alias`` and
    plans to deprecate ``populate_by_name``; older releases (>= 2.5) only know the latter.

    Example:
        >>> fc_config()["extra"]
        'allow'
    """
    cfg: dict[str, Any] = {"extra": "allow", "alias_generator": to_camel}
    if _PYDANTIC >= (2, 11):
        cfg.update(validate_by_name=True, validate_by_alias=True, serialize_by_alias=True)
    else:  # pragma: no cover - exercised on the pydantic 2.5 CI leg
        cfg["populate_by_name"] = True
    cfg.update(extra)
    return ConfigDict(**cfg)  # type: ignore[typeddict-item,no-any-return]


class FCModel(BaseModel):
    """Base class of the trigger models: aliases in FC's spelling, output by alias.

    ``model_dump()`` and ``model_dump_json()`` use the aliases unless ``by_alias=False`` is
    passed, so a dumped event parses back to an equal model and looks like what FC sent.

    FC sometimes sends ``null`` where its docs show a value: fields with a default that is not
    ``None`` are declared :data:`NullDefault` so that ``null`` gives the default, like a
    missing field. Required fields stay strict.

    Example:
        >>> from fcsdk.events import TimerEvent
        >>> ev = TimerEvent.model_validate({"triggerTime": "2023-12-26T07:49:00Z",
        ...                                 "triggerName": "t", "payload": "x"})
        >>> sorted(ev.model_dump())
        ['payload', 'triggerName', 'triggerTime']
    """

    model_config: ClassVar[ConfigDict] = fc_config()

    def model_dump(self, **kwargs: Any) -> dict[str, Any]:
        """Like pydantic's, but ``by_alias`` defaults to True (FC's field names)."""
        if kwargs.get("by_alias") is None:
            kwargs["by_alias"] = True
        return super().model_dump(**kwargs)

    def model_dump_json(self, **kwargs: Any) -> str:
        """Like pydantic's, but ``by_alias`` defaults to True (FC's field names)."""
        if kwargs.get("by_alias") is None:
            kwargs["by_alias"] = True
        return super().model_dump_json(**kwargs)


def alias(name: str, **kwargs: Any) -> Any:
    """A field whose FC name does not follow the model's alias generator (``sourceIPAddress``).

    Validation and serialization aliases are set separately so that type checkers keep the
    Python name in ``__init__`` (an explicit ``alias=`` would replace it).

    Example:
        >>> alias("sourceIPAddress").validation_alias
        'sourceIPAddress'
    """
    return Field(validation_alias=name, serialization_alias=name, **kwargs)


def _aware(value: _dt.datetime) -> _dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=_dt.timezone.utc)


#: A timezone-aware ``datetime``; a time given without an offset is taken as UTC (FC's clocks).
FCDateTime = Annotated[_dt.datetime, AfterValidator(_aware)]


_T = TypeVar("_T")


def _null_as_default(value: Any) -> Any:
    if value is None:
        raise PydanticUseDefault()
    return value


#: ``NullDefault[X]``: an ``X`` field whose ``null`` reads as its default (FC may send ``null``
#: where its docs show a value). Fields with a non-``None`` default use it.
#:
#: Example:
#:     >>> from typing import Dict
#:     >>> from fcsdk.events._base import FCModel, NullDefault
#:     >>> class M(FCModel):
#:     ...     tags: NullDefault[Dict[str, str]] = {}
#:     >>> M.model_validate({"tags": None}).tags
#:     {}
NullDefault = Annotated[_T, BeforeValidator(_null_as_default)]


def _null_as_empty(value: Any) -> Any:
    return "" if value is None else value


#: A string where FC may send ``null`` (a header or query value): ``null`` reads as ``""``.
FCText = Annotated[str, BeforeValidator(_null_as_empty)]


def epoch_ms_to_datetime(value: Optional[int]) -> Optional[_dt.datetime]:
    """Milliseconds since the epoch as an aware UTC ``datetime`` (None stays None).

    Example:
        >>> epoch_ms_to_datetime(1693896071895).isoformat()
        '2023-09-05T06:41:11.895000+00:00'
    """
    if value is None:
        return None
    try:
        return _dt.datetime.fromtimestamp(value / 1000, tz=_dt.timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def json_or_text(text: Optional[str]) -> Any:
    """``text`` parsed as JSON when it is JSON, else the text itself (None stays None).

    Example:
        >>> json_or_text('{"a": 1}'), json_or_text("awesome-fc")
        ({'a': 1}, 'awesome-fc')
    """
    if text is None:
        return None
    import json  # here: importing a trigger model stays cheap (cold start)

    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return text


def b64decode_field(value: str, where: str) -> bytes:
    """Decode a base64 field or raise :class:`fcsdk.EventDecodeError` naming ``where``.

    Example:
        >>> b64decode_field("aGk=", "body")
        b'hi'
    """
    import base64
    import binascii

    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise EventDecodeError(f"{where} is not valid base64") from None
