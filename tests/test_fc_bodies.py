"""Return bodies, byte for byte, as FC's built-in runtime sends them.

FC's rules (reference section 1; bootstrap.py ``execute_request_handler`` and fc_rapis_util
``to_json`` of cheless/fc-runtime): ``isinstance(result, (str, bytes))`` goes out as it is (a
``str`` UTF-8 encoded: a ``str`` subclass as its string content); anything else is
``json.dumps(result, default=..., indent=4, sort_keys=True)`` (``ensure_ascii`` left on), the
default turning ``Decimal`` into float, ``date``/``datetime`` into ``isoformat()`` and calling
``to_json()``, else raising ``TypeError(repr(obj) + " is not JSON serializable")``.

Every expected body below is written from those rules, by hand. ``RAW`` is what FC sends for a
plain handler (``fcsdk invoke`` of an undecorated handler must match it); ``FCSDK`` is what an
``@fc.handler`` function sends, the same wherever FC can send the value; where FC fails, fcsdk's
documented extension (pydantic models and dataclasses as compact JSON by alias, other values
pydantic can serialize, ``bytearray``/``memoryview`` as their bytes).
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
from typing import Any

import pytest
from pydantic import BaseModel, Field

import fcsdk as fc
from fcsdk._fcbody import encode_body
from fcsdk.runtime.invoke import call_handler


class Color(str, enum.Enum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


class Perm(enum.IntFlag):
    R = 4
    W = 2


class Ratio(float, enum.Enum):
    HALF = 0.5


class Plain(enum.Enum):
    A = "a"


class Name(str):
    def __str__(self) -> str:
        return "Name(...)"


class Blob(bytes):
    pass


class Money:
    def __init__(self, cents: int) -> None:
        self.cents = cents

    def to_json(self) -> Any:
        return {"cents": self.cents, "at": datetime.date(2024, 1, 2)}


class Tag:
    def to_json(self) -> Any:
        return "t"


class Item(BaseModel):
    item_id: int = Field(alias="itemId")


class ItemWithToJson(BaseModel):
    a: int

    def to_json(self) -> Any:
        return {"via": "to_json"}


@dataclasses.dataclass
class Point:
    x: int


NO = TypeError  # FC answers with a function error (TypeError)

# name, value, FC's body for a plain handler (or NO), fcsdk's body under @fc.handler
CASES: list[tuple[str, Any, Any, bytes]] = [
    ("str", "héllo", b"h\xc3\xa9llo", b"h\xc3\xa9llo"),
    ("empty str", "", b"", b""),
    ("str enum", Color.RED, b"red", b"red"),
    ("str subclass", Name("x"), b"x", b"x"),
    ("bytes", b"\x00\xff", b"\x00\xff", b"\x00\xff"),
    ("bytes subclass", Blob(b"ab"), b"ab", b"ab"),
    ("bytearray", bytearray(b"ab"), NO, b"ab"),
    ("None", None, b"null", b"null"),
    ("True", True, b"true", b"true"),
    ("False", False, b"false", b"false"),
    ("int", 7, b"7", b"7"),
    ("float", 1.5, b"1.5", b"1.5"),
    ("big float", 1e16, b"1e+16", b"1e+16"),
    ("NaN", float("nan"), b"NaN", b"NaN"),
    ("Infinity", float("inf"), b"Infinity", b"Infinity"),
    ("Decimal", decimal.Decimal("1.10"), b"1.1", b"1.1"),
    ("date", datetime.date(2024, 1, 2), b'"2024-01-02"', b'"2024-01-02"'),
    (
        "datetime",
        datetime.datetime(2024, 1, 2, 3, 4, 5),
        b'"2024-01-02T03:04:05"',
        b'"2024-01-02T03:04:05"',
    ),
    (
        "dict with Decimal and date, sorted, indented",
        {"b": decimal.Decimal("2.5"), "a": datetime.date(2024, 1, 2)},
        b'{\n    "a": "2024-01-02",\n    "b": 2.5\n}',
        b'{\n    "a": "2024-01-02",\n    "b": 2.5\n}',
    ),
    ("non-ASCII in JSON", {"k": "é"}, b'{\n    "k": "\\u00e9"\n}', b'{\n    "k": "\\u00e9"\n}'),
    (
        "int keys",
        {2: "a", 1: "b"},
        b'{\n    "1": "b",\n    "2": "a"\n}',
        b'{\n    "1": "b",\n    "2": "a"\n}',
    ),
    ("tuple", (1, "x"), b'[\n    1,\n    "x"\n]', b'[\n    1,\n    "x"\n]'),
    ("empty list", [], b"[]", b"[]"),
    ("empty dict", {}, b"{}", b"{}"),
    (
        "to_json object",
        Money(5),
        b'{\n    "at": "2024-01-02",\n    "cents": 5\n}',
        b'{\n    "at": "2024-01-02",\n    "cents": 5\n}',
    ),
    ("to_json giving a str", Tag(), b'"t"', b'"t"'),
    ("to_json nested", [Tag()], b'[\n    "t"\n]', b'[\n    "t"\n]'),
    (
        "model with to_json",
        ItemWithToJson(a=1),
        b'{\n    "via": "to_json"\n}',
        b'{\n    "via": "to_json"\n}',
    ),
    ("model", Item(itemId=1), NO, b'{"itemId":1}'),
    ("nested model", {"m": Item(itemId=1)}, NO, b'{\n    "m": {\n        "itemId": 1\n    }\n}'),
    ("dataclass", Point(2), NO, b'{"x":2}'),
    ("str enum in dict", {"c": Color.RED}, b'{\n    "c": "red"\n}', b'{\n    "c": "red"\n}'),
    ("int enum", Level.HIGH, b"3", b"3"),
    ("int enum in list", [Level.HIGH], b"[\n    3\n]", b"[\n    3\n]"),
    ("int flag", Perm.R | Perm.W, b"6", b"6"),
    ("float enum", Ratio.HALF, b"0.5", b"0.5"),
    ("plain enum", Plain.A, NO, b'"a"'),
    ("plain enum in dict", {"p": Plain.A}, NO, b'{\n    "p": "a"\n}'),
]


def _send(result: Any) -> bytes:
    """What FC does with a decorated handler's return value (always str or bytes)."""
    assert isinstance(result, (str, bytes)), type(result)
    return result.encode("utf-8") if isinstance(result, str) else result


@pytest.mark.parametrize(("name", "value", "raw", "ours"), CASES, ids=[c[0] for c in CASES])
def test_fc_handler_body(name, value, raw, ours):
    @fc.handler
    def handler(event: bytes) -> Any:
        return value

    body = _send(handler(b"", None))
    assert body == ours
    assert type(body) is bytes
    if raw is not NO:
        assert ours == raw  # where FC can send a value, fcsdk sends exactly FC's bytes


@pytest.mark.parametrize(("name", "value", "raw", "ours"), CASES, ids=[c[0] for c in CASES])
def test_plain_handler_body_as_fc_sends_it(name, value, raw, ours):
    if raw is NO:
        bad = next(iter(value.values())) if isinstance(value, dict) else value
        message = f"{bad!r} is not JSON serializable"  # FC's message, naming the inner value
        with pytest.raises(TypeError) as info:
            encode_body(value)
        assert str(info.value) == message
        result = call_handler(lambda event, context: value, b"", None)
        assert (result.error["errorType"], result.error["errorMessage"]) == ("TypeError", message)
    else:
        assert encode_body(value) == raw
        assert call_handler(lambda event, context: value, b"", None).body == raw


def test_str_enum_under_response_model():
    @fc.handler(response_model=Color)
    def handler(event: bytes) -> Color:
        return Color.RED

    assert _send(handler(b"", None)) == b'"red"'  # validated as the model: JSON of the model
