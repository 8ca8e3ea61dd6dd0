"""Checked by ``mypy --strict`` in CI (not run by pytest): decorators keep precise types."""

from __future__ import annotations

from typing import Callable, Union

import msgspec
from pydantic import BaseModel
from typing_extensions import assert_type

import fcsdk as fc


class Order(BaseModel):
    order_id: str


@fc.handler
def bare(event: Order, context: fc.Context) -> int:
    return 1


@fc.handler(model=Order)
def called(event: Order) -> str:
    return event.order_id


class Point(msgspec.Struct):
    x: int


@fc.handler
def struct_bare(event: Point, context: fc.Context) -> Point:
    return event


@fc.handler(model=list[Point], response_model=list[Point])
def struct_called(event: list[Point]) -> list[Point]:
    return event


@fc.handler
async def asynchronous(event: bytes, context: fc.Context) -> str:
    return "x"


def checks() -> None:
    """Never called: mypy checks the types below."""
    assert_type(bare(b"{}", None), Union[str, bytes])
    wrapped: Callable[[Order, fc.Context], int] = bare.__wrapped__
    assert_type(wrapped(Order(order_id="a"), fc.Context.of(None)), int)
    assert_type(called.__wrapped__(Order(order_id="a")), str)
    assert_type(bare.__fcsdk__.is_async, bool)
    assert_type(bare.__name__, str)
    assert_type(bare.__qualname__, str)
    body: Union[str, bytes] = asynchronous(b"", None)
    del body
    # The original signature survives decoration: a wrong argument is a type error.
    called.__wrapped__("not an order")  # type: ignore[arg-type]
    init(None)
    # msgspec models keep their types too.
    assert_type(struct_bare(b"{}", None), Union[str, bytes])
    assert_type(struct_bare.__wrapped__(Point(1), fc.Context.of(None)), Point)
    assert_type(struct_called.__wrapped__([Point(1)]), list[Point])
    struct_called.__wrapped__(Point(1))  # type: ignore[arg-type]


@fc.initializer
def init(context: fc.Context) -> None:
    return None


def idempotency_checks() -> None:
    """Never called: idempotency keeps the handler's and the inner function's types."""
    from fcsdk.idempotency import Idempotency, MemoryStore

    idem = Idempotency(MemoryStore(), key="order_id")

    @fc.handler(idempotency=idem)
    def guarded(event: Order) -> str:
        return event.order_id

    @idem.function()
    def charge(order: Order) -> int:
        return 1

    assert_type(guarded.__wrapped__(Order(order_id="a")), str)
    assert_type(guarded(b"{}", None), Union[str, bytes])
    assert_type(charge(Order(order_id="a")), int)
