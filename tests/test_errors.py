"""Bad events: every failure is a documented fcsdk error that names the path and echoes nothing."""

from __future__ import annotations

import json
import pickle
from typing import Any, Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

import fcsdk as fc

SECRET = "s3cr3t-VALUE-do-not-echo"


class Line(BaseModel):
    sku: str
    qty: int


class Order(BaseModel):
    customer: str
    items: list[Line]
    note: Optional[str] = None


@fc.handler
def order_handler(event: Order) -> str:
    return "ok"


def decode_error(event: Any) -> fc.FCError:
    with pytest.raises(fc.FCError) as info:
        order_handler(event, None)
    return info.value


def assert_no_echo(exc: fc.FCError, *needles: str) -> None:
    rendered = [str(exc), repr(exc), json.dumps(exc.to_dict(), default=str), repr(exc.errors())]
    for text in rendered:
        for needle in (SECRET, *needles):
            assert needle not in text


def test_validation_message_lists_paths() -> None:
    event = {
        "items": [{"sku": "a", "qty": 1}, {"sku": "b", "qty": 1}, {"sku": SECRET, "qty": SECRET}]
    }
    exc = decode_error(json.dumps(event).encode())
    assert isinstance(exc, fc.EventValidationError)
    assert str(exc) == (
        "2 validation errors for Order: customer: Field required; items[2].qty: Input should be "
        "a valid integer, unable to parse string as an integer"
    )
    assert exc.errors() == [
        {"loc": ("customer",), "msg": "Field required", "type": "missing"},
        {
            "loc": ("items", 2, "qty"),
            "msg": "Input should be a valid integer, unable to parse string as an integer",
            "type": "int_parsing",
        },
    ]
    assert exc.to_dict()["errorType"] == "EventValidationError"
    assert exc.to_dict()["code"] == "event_validation"
    assert exc.to_dict()["errors"][1]["loc"] == ["items", 2, "qty"]
    assert isinstance(exc.__cause__, ValidationError)
    assert_no_echo(exc)


def test_validation_of_python_objects_also_names_paths() -> None:
    exc = decode_error({"customer": SECRET, "items": [{"sku": 1, "qty": 1}]})
    assert isinstance(exc, fc.EventValidationError)
    assert "items[0].sku: Input should be a valid string" in str(exc)
    assert_no_echo(exc)


def test_many_errors_are_capped_with_and_n_more() -> None:
    event = {"customer": "c", "items": [{"sku": i, "qty": "x"} for i in range(10)]}
    exc = decode_error(json.dumps(event))
    assert str(exc).startswith("20 validation errors for Order: items[0].sku:")
    assert str(exc).endswith("; and 10 more")
    assert len(exc.errors()) == 20


def test_include_input_opt_in() -> None:
    @fc.handler(include_input=True)
    def h(event: Line) -> None:
        return None

    with pytest.raises(fc.EventValidationError) as info:
        h(json.dumps({"sku": "a", "qty": SECRET}), None)
    assert info.value.errors()[0]["input"] == SECRET


@pytest.mark.parametrize(
    ("event", "fragment"),
    [
        (b"", "event is empty, but the handler expects Order"),
        (b"   \n", "event is empty"),
        ("", "event is empty"),
        (b"\xff\xfe{}", "not valid UTF-8 (invalid byte at position 0)"),
        (b'{"customer": "\xc3\x28"}', "not valid UTF-8 (invalid byte at position 14)"),
        (b"{", "not valid JSON for Order: EOF while parsing an object at line 1 column 1"),
        (b"{'customer': 1}", "not valid JSON for Order"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (
            b'{"customer": "c", "items": [], "note": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
            "nested too deeply",
        ),
    ],
)
def test_decode_errors(event: Any, fragment: str) -> None:
    exc = decode_error(event)
    assert isinstance(exc, fc.EventDecodeError)
    assert fragment in str(exc)
    assert exc.to_dict()["errorType"] == "EventDecodeError"
    assert len(str(exc)) < 300


def test_huge_integer_is_an_fcsdk_error() -> None:
    event = b'{"customer": "c", "items": [{"sku": "a", "qty": ' + b"9" * 10_000 + b"}]}"
    exc = decode_error(event)
    assert isinstance(exc, fc.EventError)
    assert "9999999999" not in str(exc)


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_decode_errors_naming_the_path(token: str) -> None:
    class Priced(BaseModel):
        items: list[dict[str, float]]

    @fc.handler
    def h(event: Priced) -> str:
        return "ok"

    event = f'{{"items": [{{"price": 1.5}}, {{"price": {token}}}]}}'
    for data in (event.encode(), event):
        with pytest.raises(fc.EventDecodeError) as info:
            h(data, None)
        assert str(info.value) == (
            f"event JSON has {token} at items[1].price, which JSON does not allow "
            "(Priced needs a number or null)"
        )
        assert info.value.errors()[0]["loc"] == ("items", 1, "price")


def test_nan_inside_a_string_is_just_text() -> None:
    @fc.handler
    def h(event: dict[str, str]) -> str:
        return event["name"]

    assert h(b'{"name": "NaN and Infinity"}', None) == "NaN and Infinity"


def test_nan_for_an_integer_field_is_an_event_error_with_its_path() -> None:
    exc = decode_error(b'{"customer": "c", "items": [{"sku": "a", "qty": NaN}]}')
    assert isinstance(exc, fc.EventError)  # pydantic's own "finite number" check, for ints
    assert "items[0].qty" in str(exc)


def test_deeply_nested_python_object_is_an_fcsdk_error() -> None:
    nested: Any = []
    for _ in range(100_000):
        nested = [nested]
    exc = decode_error({"customer": "c", "items": [], "note": nested})
    assert isinstance(exc, fc.EventError)


def test_non_json_python_event_is_a_validation_error() -> None:
    exc = decode_error(42)
    assert isinstance(exc, fc.EventValidationError)


def test_errors_are_picklable_enough_to_cross_processes() -> None:
    exc = decode_error(b"{")
    again = pickle.loads(pickle.dumps(exc))
    assert str(again) == str(exc)


def test_error_tree() -> None:
    for cls in (
        fc.ConfigurationError,
        fc.MissingDependencyError,
        fc.CredentialsUnavailableError,
        fc.EventError,
        fc.EventDecodeError,
        fc.EventValidationError,
        fc.ResponseError,
        fc.ResponseValidationError,
        fc.ResponseEncodeError,
    ):
        assert issubclass(cls, fc.FCError)
    codes = [
        c.code for c in (fc.EventDecodeError, fc.EventValidationError, fc.ResponseValidationError)
    ]
    assert codes == ["event_decode", "event_validation", "response_validation"]
    assert issubclass(fc.EventDecodeError, fc.EventError)
    assert not issubclass(fc.ResponseValidationError, fc.EventError)


@settings(max_examples=300, deadline=None)
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
            st.sampled_from(["customer", "items", "note", "sku", "qty", "x"]), c, max_size=5
        )
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_arbitrary_json_only_raises_fcsdk_errors(value: Any) -> None:
    for event in (json.dumps(value).encode(), value):
        try:
            order_handler(event, None)
        except fc.FCError as exc:
            assert isinstance(exc, fc.EventError)


@pytest.mark.parametrize("event", [b'{"v": "bad"}', '{"v": "bad"}', bytearray(b'{"v": "bad"}')])
def test_a_failing_validator_runs_once(event: Any) -> None:
    from pydantic import field_validator

    calls: list[str] = []

    class Checked(BaseModel):
        v: str

        @field_validator("v")
        @classmethod
        def check(cls, value: str) -> str:
            calls.append(value)
            raise ValueError("v must be good")

    @fc.handler
    def h(event: Checked) -> str:
        return "ok"

    with pytest.raises(fc.EventValidationError, match="v: Value error, v must be good"):
        h(event, None)
    assert len(calls) == 1


def test_a_bug_in_a_user_validator_propagates_unchanged_after_one_run() -> None:
    from pydantic import field_validator

    calls: list[str] = []

    class Buggy(BaseModel):
        v: str

        @field_validator("v")
        @classmethod
        def check(cls, value: str) -> str:
            calls.append(value)
            raise LookupError("bug in the user's validator")

    @fc.handler
    def h(event: Buggy) -> str:
        return "ok"

    with pytest.raises(LookupError, match="bug in the user's validator"):
        h(b'{"v": "x"}', None)
    assert len(calls) == 1


def test_discriminated_union_error_names_tags_not_the_input() -> None:
    from typing import Annotated, Literal, Union

    from pydantic import Field

    class Cat(BaseModel):
        kind: Literal["cat"]

    class Dog(BaseModel):
        kind: Literal["dog"]

    @fc.handler(model=Annotated[Union[Cat, Dog], Field(discriminator="kind")])
    def h(event: Any) -> str:
        return "ok"

    with pytest.raises(fc.EventValidationError) as info:
        h(json.dumps({"kind": SECRET}).encode(), None)
    assert str(info.value) == (
        "1 validation error for Cat | Dog: Input tag found using 'kind' does not match any of "
        "the expected tags: 'cat', 'dog'"
    )
    assert_no_echo(info.value)


def test_float_model_with_capital_n_and_i_in_text_still_validates() -> None:
    class Person(BaseModel):
        name: str
        score: float

    @fc.handler
    def h(event: Person) -> str:
        return f"{event.name} {event.score}"

    assert h(b'{"name": "Nancy Infinity-NaN", "score": 1.5}', None) == "Nancy Infinity-NaN 1.5"
