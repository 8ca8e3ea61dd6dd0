"""Return values: exactly the body FC's runtime would send (reference section 1), plus models."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field

import fcsdk as fc
from tests.natives import ShapeA, body_bytes, fc_runtime_body


def returning(value: Any) -> Any:
    @fc.handler
    def h(event: bytes, context: fc.Context) -> Any:
        return value

    return h(b"{}", ShapeA())


class HasToJson:
    def to_json(self) -> dict[str, int]:
        return {"z": 1, "a": 2}


@pytest.mark.parametrize(
    "value",
    [
        "plain text",
        "unicodé ✓",
        "",
        b"\x00\xffbinary",
        b"",
        {"b": 1, "a": [1, 2, {"d": None, "c": True}]},
        [1, "two", 3.5, None, False],
        {"unicode": "é✓", "nested": {"x": []}},
        0,
        -17,
        3.25,
        True,
        None,
        {"when": datetime.datetime(2024, 1, 2, 3, 4, 5, 678000)},
        {"aware": datetime.datetime(2024, 1, 2, tzinfo=datetime.timezone.utc)},
        {"day": datetime.date(2024, 1, 2)},
        {"price": decimal.Decimal("12.50")},
        decimal.Decimal("1.5"),
        {"obj": HasToJson()},
        (1, 2),
        {1: "int key", 2: "sorted"},
    ],
    ids=repr,
)
def test_plain_returns_match_fc_runtime_bytes(value: Any) -> None:
    assert body_bytes(returning(value)) == fc_runtime_body(value)


def test_str_and_bytes_pass_through_unchanged() -> None:
    assert returning("x") == "x"
    payload = bytes(range(256))
    assert returning(payload) == payload
    assert returning(bytearray(b"ab")) == b"ab"


def test_exact_fc_dict_layout() -> None:
    assert returning({"b": 1, "a": {"c": [1]}}) == (
        '{\n    "a": {\n        "c": [\n            1\n        ]\n    },\n    "b": 1\n}'
    )


class Receipt(BaseModel):
    order_id: str = Field(alias="orderId")
    total: decimal.Decimal
    at: datetime.datetime


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Color(enum.Enum):
    RED = "red"


def test_pydantic_model_becomes_json_by_alias() -> None:
    r = Receipt(orderId="a", total=decimal.Decimal("1.50"), at=datetime.datetime(2024, 1, 2))
    assert returning(r) == b'{"orderId":"a","total":"1.50","at":"2024-01-02T00:00:00"}'


def test_dataclass_becomes_json() -> None:
    assert returning(Point(1, 2)) == b'{"x":1,"y":2}'


def test_models_inside_plain_containers_use_fc_layout() -> None:
    r = Receipt(orderId="a", total=decimal.Decimal("2"), at=datetime.datetime(2024, 1, 2))
    body = returning(
        {"receipt": r, "point": Point(1, 2), "color": Color.RED, "id": uuid.UUID(int=1)}
    )
    assert body == (
        "{\n"
        '    "color": "red",\n'
        '    "id": "00000000-0000-0000-0000-000000000001",\n'
        '    "point": {\n        "x": 1,\n        "y": 2\n    },\n'
        '    "receipt": {\n        "at": "2024-01-02T00:00:00",\n'
        '        "orderId": "a",\n        "total": "2"\n    }\n'
        "}"
    )


def test_unserializable_return_is_response_encode_error_with_path() -> None:
    with pytest.raises(fc.ResponseEncodeError) as info:
        returning({"ok": 1, "items": [1, {"bad": object()}]})
    assert "items[1].bad" in str(info.value)
    assert info.value.to_dict()["errorType"] == "ResponseEncodeError"


def test_keys_fc_cannot_sort_are_response_encode_error() -> None:
    with pytest.raises(TypeError):  # what FC's own runtime does
        fc_runtime_body({1: "int key", "a": "str key"})
    with pytest.raises(fc.ResponseEncodeError, match="not supported between"):
        returning({1: "int key", "a": "str key"})


def test_circular_return_is_response_encode_error() -> None:
    loop: dict[str, Any] = {}
    loop["self"] = loop
    with pytest.raises(fc.ResponseEncodeError, match="circular"):
        returning(loop)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_any_json_value_matches_fc_runtime(value: Any) -> None:
    assert body_bytes(returning(value)) == fc_runtime_body(value)
