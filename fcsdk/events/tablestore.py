"""The Tablestore (OTS) stream trigger's event: CBOR, not JSON.

The body is a CBOR map ``{"Version": "Sync-v1", "Records": [...]}``; column values may be int,
str, bool, float or bytes. ``@fc.handler(model=fc.events.TablestoreEvent)`` decodes the CBOR
bytes (with ``cbor2``: ``pip install "fcsdk[tablestore]"``) and validates the result; a JSON
document of the same shape is accepted too (handy in local tests).

Example:
    >>> import fcsdk as fc
    >>> from fcsdk.testing import events
    >>> @fc.handler(model=fc.events.TablestoreEvent)
    ... def handler(event, context):
    ...     return [r.type for r in event.records]
    >>> handler(events.tablestore(), None)
    '[\\n    "PutRow"\\n]'
"""

from __future__ import annotations

from typing import Any, Callable, ClassVar, List, Optional, Union

from pydantic import (
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    StrictBool,
    StrictBytes,
    StrictFloat,
    StrictInt,
    StrictStr,
)
from pydantic.alias_generators import to_pascal
from typing_extensions import Annotated

from ..errors import EventDecodeError, MissingDependencyError
from ._base import FCModel, NullDefault, fc_config

__all__ = [
    "TablestoreColumn",
    "TablestoreEvent",
    "TablestoreInfo",
    "TablestorePrimaryKeyColumn",
    "TablestoreRecord",
    "TablestoreValue",
]


class _OneError:
    """One error at the value's own path instead of one per union member (``Value.bool``,
    ``Value.int``...): pydantic-core's ``custom_error_*`` on the union schema, no Python call."""

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> Any:
        return {
            **handler(source),
            "custom_error_type": "tablestore_value",
            "custom_error_message": "Input should be int, str, bool, float or bytes",
        }


#: A Tablestore cell value, kept with its exact type (bool is not turned into int and so on).
TablestoreValue = Annotated[
    Union[StrictBool, StrictInt, StrictFloat, StrictStr, StrictBytes], _OneError()
]

# Tablestore spells its fields in PascalCase; bytes values dump to JSON as base64.
_CONFIG = fc_config(alias_generator=to_pascal, ser_json_bytes="base64")


class TablestoreInfo(FCModel):
    """``Info``: the record's timestamp in microseconds.

    Example:
        >>> from fcsdk.events.tablestore import TablestoreInfo
        >>> TablestoreInfo(timestamp=1).model_dump()
        {'Timestamp': 1}
    """

    model_config: ClassVar[ConfigDict] = _CONFIG

    timestamp: Optional[int] = None


class TablestorePrimaryKeyColumn(FCModel):
    """One primary-key column: name and value.

    Example:
        >>> from fcsdk.events.tablestore import TablestorePrimaryKeyColumn
        >>> TablestorePrimaryKeyColumn(column_name="pk", value=b"\\x00").value
        b'\\x00'
    """

    model_config: ClassVar[ConfigDict] = _CONFIG

    column_name: str
    value: TablestoreValue


class TablestoreColumn(FCModel):
    """One attribute column change: ``Put``, ``DeleteOneVersion`` or ``DeleteAllVersions``.

    Example:
        >>> from fcsdk.events.tablestore import TablestoreColumn
        >>> TablestoreColumn(type="Put", column_name="c", value=1.5).value
        1.5
    """

    model_config: ClassVar[ConfigDict] = _CONFIG

    type: str
    column_name: str
    #: Absent for deletions.
    value: Optional[TablestoreValue] = None
    #: Milliseconds.
    timestamp: Optional[int] = None


class TablestoreRecord(FCModel):
    """One row change: ``PutRow``, ``UpdateRow`` or ``DeleteRow``.

    Example:
        >>> from fcsdk.events.tablestore import TablestoreRecord
        >>> r = TablestoreRecord(type="DeleteRow", primary_key=[{"ColumnName": "id", "Value": 7}])
        >>> r.primary_key_dict()
        {'id': 7}
    """

    model_config: ClassVar[ConfigDict] = _CONFIG

    type: str
    info: Optional[TablestoreInfo] = None
    primary_key: List[TablestorePrimaryKeyColumn] = Field(min_length=1)
    columns: NullDefault[List[TablestoreColumn]] = Field(default_factory=list)

    def primary_key_dict(self) -> dict[str, Any]:
        """The primary key as ``{column name: value}``."""
        return {c.column_name: c.value for c in self.primary_key}

    def columns_dict(self) -> dict[str, Any]:
        """The changed columns as ``{column name: value}`` (the last change of a column wins)."""
        return {c.column_name: c.value for c in self.columns}


def _cbor2() -> Any:
    try:
        import cbor2
    except ImportError:
        raise MissingDependencyError.for_extra("cbor2", "tablestore") from None
    return cbor2


def _loads_cbor(data: bytes) -> Any:
    cbor2 = _cbor2()
    try:
        value = cbor2.loads(data)
    except RecursionError:
        raise EventDecodeError("Tablestore event CBOR is nested too deeply") from None
    except Exception as exc:  # cbor2 raises CBORDecodeError, ValueError, TypeError, ...
        raise EventDecodeError(
            f"event is not valid CBOR for TablestoreEvent ({type(exc).__name__}); "
            "a Tablestore trigger sends CBOR bytes"
        ) from None
    if not isinstance(value, (dict, list, str, bytes, int, float, type(None))):
        # older cbor2 returns a sentinel (break_marker, undefined) for stray control bytes
        raise EventDecodeError(
            f"event is not valid CBOR for TablestoreEvent (decoded to {type(value).__name__}); "
            "a Tablestore trigger sends CBOR bytes"
        )
    return value


class TablestoreEvent(FCModel):
    """What a Tablestore stream trigger sends (after CBOR decoding).

    Use it as ``@fc.handler(model=fc.events.TablestoreEvent)``: the handler receives the CBOR
    bytes FC sends decoded and validated (see :meth:`__fcsdk_decoder__`).

    Example:
        >>> from fcsdk.events import TablestoreEvent
        >>> from fcsdk.testing import events
        >>> ev = TablestoreEvent.from_cbor(events.tablestore())
        >>> ev.version, ev.records[0].primary_key_dict()["pk_1"]
        ('Sync-v1', '2017-09-26 17:03:05.8815909 +0800 CST')
    """

    model_config: ClassVar[ConfigDict] = _CONFIG

    version: Optional[str] = None
    records: NullDefault[List[TablestoreRecord]] = Field(default_factory=list)

    @classmethod
    def from_cbor(cls, data: Union[bytes, bytearray, memoryview]) -> TablestoreEvent:
        """Decode CBOR bytes and validate them (fcsdk errors only).

        Raises:
            MissingDependencyError: cbor2 is not installed.
            EventDecodeError: the bytes are not CBOR.
            EventValidationError: the CBOR does not have the Tablestore shape.
        """
        return cls.__fcsdk_decoder__(include_input=False)(bytes(data))  # type: ignore[no-any-return]

    def to_cbor(self) -> bytes:
        """This event as CBOR bytes, like FC sends it.

        Example:
            >>> from fcsdk.events import TablestoreEvent
            >>> ev = TablestoreEvent(version="Sync-v1")
            >>> TablestoreEvent.from_cbor(ev.to_cbor()) == ev
            True
        """
        return _cbor2().dumps(self.model_dump(mode="python", by_alias=True))  # type: ignore[no-any-return]

    @classmethod
    def __fcsdk_decoder__(cls, *, include_input: bool) -> Callable[[Any], Any]:
        """The decoder ``@fc.handler`` uses: CBOR bytes (or JSON, or a dict) to this model."""
        from .._codec import build_adapter, validate_bytes, validate_object

        adapter = build_adapter(cls)
        title = cls.__name__

        def decode(event: Any) -> Any:
            if isinstance(event, (dict, list)):
                return validate_object(adapter, event, title, include_input=include_input)
            if isinstance(event, str):
                return validate_bytes(adapter, event, title, include_input=include_input)
            if isinstance(event, (bytearray, memoryview)):
                event = bytes(event)
            if not isinstance(event, bytes):
                return validate_object(adapter, event, title, include_input=include_input)
            if not event:
                raise EventDecodeError(f"event is empty, but the handler expects {title}")
            if event[:1] == b"{":  # JSON (a CBOR map never starts with 0x7b)
                return validate_bytes(adapter, event, title, include_input=include_input)
            return validate_object(adapter, _loads_cbor(event), title, include_input=include_input)

        return decode
