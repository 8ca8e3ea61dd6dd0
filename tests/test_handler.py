"""@fc.handler: decoration forms, model resolution, event kinds, sync and async, context."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from typing import Annotated, Any, Literal, Union

import pytest
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

import fcsdk as fc
from tests import handlers_future
from tests.natives import ShapeA, ShapeB, shape_c_headers


class Order(BaseModel):
    order_id: str
    qty: int


ORDER = b'{"order_id": "a", "qty": 2}'


def test_issue_example_returns_fc_json() -> None:
    @fc.handler(model=Order)
    def handler(event: Order, context: fc.Context) -> dict[str, Any]:
        context.logger.info("order %s", event.order_id)
        return {"ok": True, "id": event.order_id}

    assert handler(ORDER, ShapeA()) == '{\n    "id": "a",\n    "ok": true\n}'


@pytest.mark.parametrize("form", ["bare", "called", "model"])
def test_three_decoration_forms(form: str) -> None:
    def f(event: Order, context: fc.Context) -> str:
        return f"{event.order_id}:{event.qty}"

    if form == "bare":
        h = fc.handler(f)
    elif form == "called":
        h = fc.handler()(f)
    else:
        h = fc.handler(model=Order)(f)
    assert h(ORDER, None) == "a:2"


def test_wraps_keeps_name_doc_and_wrapped() -> None:
    def my_handler(event: Order) -> str:
        """Docs."""
        return event.order_id

    h = fc.handler(my_handler)
    assert h.__name__ == "my_handler"
    assert h.__doc__ == "Docs."
    assert h.__wrapped__ is my_handler
    assert h.__fcsdk__.model is Order
    assert h.__fcsdk__.takes_context is False


def test_explicit_model_wins_over_annotation() -> None:
    @fc.handler(model=dict[str, int])
    def h(event: Any) -> str:
        return repr(event)

    assert h(b'{"a": "1"}', None) == "{'a': 1}"


def test_string_annotations_resolve() -> None:
    assert handlers_future.items(b'[{"name": "x", "qty": 2}, {"name": "y", "qty": 3}]', None) == "5"
    assert handlers_future.text(b"caf\xc3\xa9", None) == "CAFÉ"
    assert handlers_future.anything(b"raw", None) == "bytes"


def test_string_annotation_of_local_model() -> None:
    class Local(BaseModel):
        x: int

    def f(event: Local) -> int:
        return event.x

    f.__annotations__["event"] = "Local"
    h = fc.handler(f)
    assert h(b'{"x": 4}', None) == "4"


def test_unresolvable_string_annotation_is_configuration_error() -> None:
    def f(event: Any) -> None:
        return None

    f.__annotations__["event"] = "NoSuchModel"
    with pytest.raises(fc.ConfigurationError, match="NoSuchModel"):
        fc.handler(f)


@pytest.mark.parametrize(
    ("annotation", "event", "expected"),
    [
        (bytes, b"\xff\x00", "b'\\xff\\x00'"),
        (bytes, bytearray(b"ab"), "b'ab'"),
        (bytes, memoryview(b"ab"), "b'ab'"),
        (bytes, "é", "b'\\xc3\\xa9'"),
        (str, b"caf\xc3\xa9", "'café'"),
        (str, "text", "'text'"),
        (Any, b"raw", "b'raw'"),
        (None, b"raw", "b'raw'"),
    ],
)
def test_no_parsing_annotations(annotation: Any, event: Any, expected: str) -> None:
    def f(event, context):  # type: ignore[no-untyped-def]
        return repr(event)

    if annotation is not None:
        f.__annotations__["event"] = annotation
    assert fc.handler(f)(event, None) == expected


class TD(TypedDict):
    a: int


@dataclasses.dataclass
class DC:
    a: int


class Cat(BaseModel):
    kind: Literal["cat"]
    lives: int


class Dog(BaseModel):
    kind: Literal["dog"]
    good: bool


Pet = Annotated[Union[Cat, Dog], Field(discriminator="kind")]


@pytest.mark.parametrize(
    ("model", "event", "expected"),
    [
        (list[Order], b'[{"order_id": "a", "qty": 1}]', [Order(order_id="a", qty=1)]),
        (dict[str, int], b'{"x": 1}', {"x": 1}),
        (TD, b'{"a": 1}', {"a": 1}),
        (DC, b'{"a": 1}', DC(a=1)),
        (Pet, b'{"kind": "dog", "good": true}', Dog(kind="dog", good=True)),
        (int, b"42", 42),
    ],
)
def test_typeadapter_models(model: Any, event: bytes, expected: Any) -> None:
    seen: list[Any] = []

    @fc.handler(model=model)
    def h(event: Any) -> None:
        seen.append(event)

    assert h(event, None) == "null"
    assert seen == [expected]


@pytest.mark.parametrize(
    "event",
    [
        ORDER,
        bytearray(ORDER),
        memoryview(ORDER),
        ORDER.decode(),
        {"order_id": "a", "qty": 2},
        {"order_id": "a", "qty": "2"},
    ],
)
def test_event_kinds(event: Any) -> None:
    @fc.handler
    def h(event: Order) -> str:
        return event.model_dump_json()

    assert h(event, None) == '{"order_id":"a","qty":2}'


def test_list_event_as_python_object() -> None:
    @fc.handler
    def h(event: list[int]) -> int:
        return sum(event)

    assert h([1, "2", 3], None) == "6"


def test_adapter_built_once_at_decoration(monkeypatch: pytest.MonkeyPatch) -> None:
    import pydantic

    calls = []
    real_init = pydantic.TypeAdapter.__init__

    def counting(self: Any, *a: Any, **k: Any) -> None:
        calls.append(a)
        real_init(self, *a, **k)

    # On the class itself, so that every construction counts, however it is imported.
    monkeypatch.setattr(pydantic.TypeAdapter, "__init__", counting)

    @fc.handler
    def h(event: Order) -> str:
        return "ok"

    built = len(calls)
    assert built == 1
    import contextlib

    for event in (ORDER, ORDER.decode(), {"order_id": "a", "qty": 1}, b"{", b""):
        with contextlib.suppress(fc.EventError):
            h(event, None)
    assert len(calls) == built


@pytest.mark.parametrize(
    "func",
    [
        lambda: None,
        lambda a, b, c: None,
    ],
)
def test_wrong_arity_is_configuration_error(func: Any) -> None:
    with pytest.raises(fc.ConfigurationError):
        fc.handler(func)


def test_required_keyword_only_is_configuration_error() -> None:
    def f(event: bytes, *, flag: bool) -> None: ...

    with pytest.raises(fc.ConfigurationError, match="keyword-only"):
        fc.handler(f)


def test_model_pydantic_cannot_handle_fails_at_decoration() -> None:
    class NotAModel:
        pass

    with pytest.raises(fc.ConfigurationError, match="NotAModel"):
        fc.handler(model=NotAModel)(lambda e: None)


def test_one_argument_handler_and_varargs() -> None:
    @fc.handler
    def one(event: bytes) -> bytes:
        return event

    def star(*args: Any) -> str:
        return type(args[1]).__name__

    assert one(b"x", ShapeA()) == b"x"
    assert fc.handler(star)(b"x", None) == "Context"


@pytest.mark.parametrize("native", [ShapeA(), ShapeB(), shape_c_headers(), None])
def test_context_argument_kinds(native: Any) -> None:
    @fc.handler
    def h(event: bytes, context: fc.Context) -> str:
        assert isinstance(context, fc.Context)
        return context.request_id

    rid = h(b"", native)
    expected = {ShapeA: "req-a", ShapeB: "req-b", dict: "req-c"}.get(type(native))
    if expected:
        assert rid == expected
    else:
        assert len(str(rid)) == 36  # generated uuid for a local call


def test_fc_context_passes_through_unchanged() -> None:
    ctx = fc.Context.of(ShapeA("given"))

    @fc.handler
    def h(event: bytes, context: fc.Context) -> bool:
        return context is ctx

    assert h(b"", ctx) == "true"


def test_async_handler_runs_on_one_loop() -> None:
    loops: list[Any] = []

    @fc.handler
    async def h(event: Order, context: fc.Context) -> str:
        await asyncio.sleep(0)
        loops.append(asyncio.get_running_loop())
        return f"{context.request_id}:{event.qty}"

    assert h(ORDER, ShapeA("r1")) == "r1:2"
    assert h(ORDER, ShapeA("r2")) == "r2:2"
    assert loops[0] is loops[1]
    assert h.__fcsdk__.is_async


def test_async_handler_sees_request_id_in_logging_contextvar() -> None:
    from fcsdk.logging import get_request_id

    @fc.handler
    async def h(event: bytes) -> str:
        await asyncio.sleep(0.01)
        return get_request_id() or ""

    results: dict[str, Any] = {}

    def call(i: int) -> None:
        results[f"r{i}"] = h(b"", {"x-fc-request-id": f"r{i}"})

    threads = [threading.Thread(target=call, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {f"r{i}": f"r{i}" for i in range(8)}


def test_async_exception_propagates() -> None:
    @fc.handler
    async def h(event: bytes) -> None:
        raise LookupError("boom")

    with pytest.raises(LookupError, match="boom"):
        h(b"", None)


def test_user_exception_propagates_unchanged_and_contextvar_reset() -> None:
    from fcsdk.logging import get_request_id

    @fc.handler
    def h(event: bytes) -> None:
        raise KeyError("user bug")

    with pytest.raises(KeyError):
        h(b"", {"x-fc-request-id": "r"})
    assert get_request_id() is None


def test_response_model_validates_and_serializes_by_alias() -> None:
    class Receipt(BaseModel):
        order_id: str = Field(alias="orderId")
        total: float

    @fc.handler(response_model=Receipt)
    def h(event: Order) -> dict[str, Any]:
        return {"orderId": event.order_id, "total": "3.5"}

    assert h(ORDER, None) == b'{"orderId":"a","total":3.5}'

    @fc.handler(response_model=Receipt)
    def bad(event: Order) -> dict[str, Any]:
        return {"orderId": "secret-order", "total": "lots"}

    with pytest.raises(fc.ResponseValidationError) as info:
        bad(ORDER, None)
    assert str(info.value) == (
        "1 validation error for response Receipt: total: Input should be a valid number, "
        "unable to parse string as a number"
    )
    assert "lots" not in repr(info.value.to_dict())
    assert info.value.code == "response_validation"


@pytest.mark.parametrize(
    ("response_model", "value", "body"),
    [(str, "hi", "hi"), (bytes, b"\xff\x00", b"\xff\x00"), (int, "3", b"3")],
)
def test_response_model_str_and_bytes_are_sent_as_is(
    response_model: Any, value: Any, body: Any
) -> None:
    @fc.handler(response_model=response_model)
    def h(event: bytes) -> Any:
        return value

    assert h(b"", None) == body


def test_async_callable_object_is_detected_at_decoration() -> None:
    class Handler:
        async def __call__(self, event: bytes, context: fc.Context) -> str:
            await asyncio.sleep(0)
            return f"async {context.request_id}"

    h = fc.handler(Handler())
    assert h.__fcsdk__.is_async
    assert h(b"", {"x-fc-request-id": "r-obj"}) == "async r-obj"


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_generator_handlers_are_configuration_errors(kind: str) -> None:
    if kind == "sync":

        def gen(event: bytes) -> Any:
            yield b"x"

    else:

        async def gen(event: bytes) -> Any:  # type: ignore[misc]
            yield b"x"

    with pytest.raises(fc.ConfigurationError, match="generator"):
        fc.handler(gen)


def test_nested_async_handler_call_is_an_error_not_a_deadlock() -> None:
    @fc.handler
    async def inner(event: bytes) -> str:
        return "inner"

    @fc.handler
    async def outer(event: bytes) -> str:
        return inner(b"", None)  # type: ignore[return-value]  # the mistake under test

    with pytest.raises(fc.ConfigurationError, match="__wrapped__"):
        outer(b"", None)

    @fc.handler
    async def right(event: bytes) -> str:
        return await inner.__wrapped__(b"")

    assert right(b"", None) == "inner"
