"""msgspec models in ``@fc.handler``: the same guarantees as the pydantic path (errors with paths
and no values, envelopes, FC's body rules, request ids), with msgspec doing the work and pydantic
never imported (checked in a fresh process)."""

from __future__ import annotations

import enum
import json
from typing import Any, Dict, List, Literal, Optional, Union

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typing_extensions import Annotated

import fcsdk as fc

SECRET = "s3cr3t-value"


class Item(msgspec.Struct):
    sku: str
    qty: Annotated[int, msgspec.Meta(ge=0)]
    tags: Dict[str, int] = {}


class Kind(enum.Enum):
    A = "a"


class Order(msgspec.Struct, rename="camel"):
    order_id: str
    items: List[Item] = []
    kind: Literal["x", "y"] = "x"
    level: Optional[Kind] = None
    price: float = 0.0
    note: Any = None


class Strict(msgspec.Struct, forbid_unknown_fields=True):
    a: int


class Cat(msgspec.Struct, tag=True):
    meow: int


class Dog(msgspec.Struct, tag=True):
    woof: int


@fc.handler
def order_handler(event: Order, context: fc.Context) -> str:
    return event.order_id


def error_of(handler: Any, event: Any) -> fc.FCError:
    with pytest.raises(fc.FCError) as info:
        handler(event, None)
    return info.value


def assert_no_echo(exc: fc.FCError, *needles: str) -> None:
    rendered = [str(exc), repr(exc), json.dumps(exc.to_dict(), default=str), repr(exc.errors())]
    for text in rendered:
        for needle in (SECRET, *needles):
            assert needle not in text


# -- decoding --------------------------------------------------------------------------------


def test_struct_event_from_bytes_str_and_python_objects() -> None:
    raw = {"orderId": "o-1", "items": [{"sku": "a", "qty": 2}]}
    for event in (json.dumps(raw).encode(), json.dumps(raw), bytearray(json.dumps(raw), "ascii")):
        assert order_handler(event, None) == "o-1"
    assert order_handler(memoryview(json.dumps(raw).encode()), None) == "o-1"
    assert order_handler(raw, None) == "o-1"  # an already decoded event: converted


@pytest.mark.parametrize(
    ("model", "event", "expected"),
    [
        (List[Item], b'[{"sku": "a", "qty": 1}]', [Item("a", 1)]),
        (Union[Cat, Dog], b'{"type": "Dog", "woof": 2}', Dog(2)),
        (Optional[Item], b"null", None),
        (Dict[str, Item], b'{"k": {"sku": "a", "qty": 0}}', {"k": Item("a", 0)}),
    ],
)
def test_types_msgspec_supports(model: Any, event: bytes, expected: Any) -> None:
    seen: list[Any] = []

    @fc.handler(model=model)
    def handler(event: Any) -> str:
        seen.append(event)
        return "ok"

    assert handler(event, None) == "ok"
    assert seen == [expected]
    assert handler.__fcsdk__.model is model


def test_decoder_is_built_once_at_decoration(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[Any] = []
    real = msgspec.json.Decoder

    def spy(tp: Any, **kw: Any) -> Any:
        built.append(tp)
        return real(tp, **kw)

    monkeypatch.setattr(msgspec.json, "Decoder", spy)

    @fc.handler
    def handler(event: Item) -> str:
        return event.sku

    for _ in range(3):
        assert handler(b'{"sku": "a", "qty": 1}', None) == "a"
    assert built == [Item]


def test_unsupported_model_is_a_configuration_error_at_decoration() -> None:
    class Untagged(msgspec.Struct):
        a: int

    with pytest.raises(fc.ConfigurationError, match="msgspec decoder for the event model"):

        @fc.handler(model=Union[Item, Untagged])
        def handler(event: Any) -> None:
            return None


# -- errors: the pydantic path's, with msgspec's messages -----------------------------------


@pytest.mark.parametrize(
    ("event", "loc", "msg", "kind"),
    [
        (b'{"orderId": 1}', ("orderId",), "Expected `str`, got `int`", "type_error"),
        (b"{}", ("orderId",), "Field required", "missing"),
        (
            b'{"orderId": "a", "items": [{"sku": "s", "qty": -1}]}',
            ("items", 0, "qty"),
            "Expected `int` >= 0",
            "value_error",
        ),
        (
            b'{"orderId": "a", "items": [{"sku": "s", "qty": 1}, {"qty": 1}]}',
            ("items", 1, "sku"),
            "Field required",
            "missing",
        ),
        (b'{"orderId": "a", "kind": "z"}', ("kind",), "Invalid enum value", "enum"),
        (
            b'{"orderId": "a", "items": [{"sku": "s", "qty": 1, "tags": {"k": "v"}}]}',
            ("items", 0, "tags", "*"),
            "Expected `int`, got `str`",
            "type_error",
        ),
        (b"[1]", (), "Expected `object`, got `array`", "type_error"),
    ],
)
def test_validation_errors_name_the_path(
    event: bytes, loc: tuple[Any, ...], msg: str, kind: str
) -> None:
    exc = error_of(order_handler, event)
    assert isinstance(exc, fc.EventValidationError)
    where = f"{fc.errors.format_loc(loc)}: " if loc else ""
    assert str(exc) == f"1 validation error for Order: {where}{msg}"
    assert exc.errors() == [{"loc": loc, "msg": msg, "type": kind}]
    assert exc.to_dict()["code"] == "event_validation"


def test_no_input_values_in_errors_unless_asked() -> None:
    for event in (
        {"orderId": "a", "kind": SECRET},
        {"orderId": "a", "level": SECRET},
        {"orderId": "a", "items": [{"sku": "s", "qty": 1, "tags": {SECRET: SECRET}}]},
        {"orderId": 5, "note": SECRET},
    ):
        for form in (json.dumps(event).encode(), event):
            assert_no_echo(error_of(order_handler, form))

    @fc.handler(include_input=True)
    def verbose(event: Order) -> None:
        return None

    exc = error_of(verbose, json.dumps({"orderId": "a", "kind": SECRET}))
    assert SECRET in str(exc)


def test_unknown_fields_and_union_tags() -> None:
    @fc.handler
    def strict(event: Strict) -> None:
        return None

    exc = error_of(strict, b'{"a": 1, "other": 2}')
    assert exc.errors() == [
        {"loc": ("other",), "msg": "Extra inputs are not permitted", "type": "extra_forbidden"}
    ]

    @fc.handler(model=List[Union[Cat, Dog]])
    def pets(event: Any) -> None:
        return None

    exc = error_of(pets, json.dumps([{"type": "Cat", "meow": 1}, {"type": SECRET}]))
    assert exc.errors() == [
        {"loc": (1, "type"), "msg": "Invalid value", "type": "union_tag_invalid"}
    ]
    assert_no_echo(exc)


@pytest.mark.parametrize(
    ("event", "fragment"),
    [
        (b"", "event is empty, but the handler expects Order"),
        (b"   \n", "event is empty"),
        ("", "event is empty"),
        (None, "event is empty"),
        (b"\xff\xfe{}", "not valid UTF-8 (invalid byte at position 0)"),
        (b'{"orderId": "\xc3\x28"}', "not valid UTF-8 (invalid byte at position 13)"),
        (b"{", "not valid JSON for Order"),
        (b"{'orderId': 1}", "not valid JSON for Order"),
        (b'{"orderId": "a"} x', "not valid JSON for Order"),
        ("\ud800", "not valid Unicode text"),
        (b'{"orderId": "a", "note": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested too"),
    ],
)
def test_decode_errors(event: Any, fragment: str) -> None:
    exc = error_of(order_handler, event)
    assert isinstance(exc, fc.EventDecodeError)
    assert fragment in str(exc)
    assert len(str(exc)) < 300


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_decode_errors_naming_the_path(token: str) -> None:
    exc = error_of(order_handler, '{"orderId": "a", "price": %s}' % token)
    assert isinstance(exc, fc.EventDecodeError)
    assert str(exc).startswith(f"event JSON has {token} at price")
    assert order_handler(b'{"orderId": "NaN Infinity"}', None) == "NaN Infinity"


def test_huge_integer_is_an_fcsdk_error() -> None:
    for field in (b'"items": [{"sku": "a", "qty": ', b'"note": '):
        exc = error_of(order_handler, b'{"orderId": "a", ' + field + b"9" * 10_000 + b"}]}")
        assert isinstance(exc, fc.EventError)
        assert "9999999999" not in str(exc)


def test_a_bug_in_post_init_propagates_unchanged() -> None:
    class Boom(msgspec.Struct):
        a: int

        def __post_init__(self) -> None:
            raise KeyError("bug")

    @fc.handler
    def handler(event: Boom) -> None:
        return None

    with pytest.raises(KeyError):
        handler(b'{"a": 1}', None)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_only_raise_fcsdk_errors(data: bytes) -> None:
    try:
        order_handler(data, None)
    except fc.FCError as exc:
        assert isinstance(exc, fc.EventError)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda c: (
        st.lists(c, max_size=5)
        | st.dictionaries(
            st.sampled_from(["orderId", "items", "sku", "qty", "tags", "kind", "price"]),
            c,
            max_size=5,
        )
    ),
    max_leaves=30,
)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_arbitrary_json_only_raises_fcsdk_errors(value: Any) -> None:
    for event in (json.dumps(value).encode(), value):
        try:
            order_handler(event, None)
        except fc.FCError as exc:
            assert isinstance(exc, fc.EventError)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.integers(min_value=0, max_value=10**6),
            st.just("*"),
            st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,12}", fullmatch=True),
        ),
        max_size=6,
    )
)
def test_msgspec_paths_become_locs(loc: list[Any]) -> None:
    from fcsdk._msgspec import _loc

    path = "$" + "".join(
        f"[{p}]" if isinstance(p, int) else "[...]" if p == "*" else f".{p}" for p in loc
    )
    assert _loc(path) == tuple(loc)
