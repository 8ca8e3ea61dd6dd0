"""The step hook of @fc.handler (fcsdk.steps): order, short-circuit, errors, async, concurrency."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from pydantic import BaseModel

import fcsdk as fc
from fcsdk.steps import Invocation, Proceed, wrap_function

current_tag: contextvars.ContextVar[str] = contextvars.ContextVar("current_tag", default="-")


class Order(BaseModel):
    order_id: str


class Record:
    """Records what it saw; sets a context variable around proceed()."""

    def __init__(self, name: str, log: list[Any]) -> None:
        self.name, self.log = name, log

    def around(self, call: Invocation, proceed: Proceed) -> Any:
        self.log.append((self.name, "in", type(call.event).__name__, call.raw))
        token = current_tag.set(call.context.request_id)
        try:
            body = proceed()
        except Exception as exc:
            self.log.append((self.name, "error", type(exc).__name__))
            raise
        finally:
            current_tag.reset(token)
        self.log.append((self.name, "out", body))
        return body

    async def around_async(self, call: Invocation, proceed: Any) -> Any:
        token = current_tag.set(call.context.request_id)
        try:
            return await proceed()
        finally:
            current_tag.reset(token)


def test_steps_run_outermost_first_and_see_the_encoded_body() -> None:
    log: list[Any] = []

    @fc.handler(steps=[Record("a", log), Record("b", log)])
    def handler(event: Order, context: fc.Context) -> dict[str, str]:
        return {"id": event.order_id}

    body = handler(b'{"order_id": "o-1"}', {"x-fc-request-id": "r-1"})
    assert body == '{\n    "id": "o-1"\n}'
    assert log == [
        ("a", "in", "Order", b'{"order_id": "o-1"}'),
        ("b", "in", "Order", b'{"order_id": "o-1"}'),
        ("b", "out", body),
        ("a", "out", body),
    ]
    assert [type(s).__name__ for s in handler.__fcsdk__.steps] == ["Record", "Record"]


def test_a_step_may_answer_without_running_the_handler() -> None:
    calls: list[str] = []

    class Replay:
        def around(self, call: Invocation, proceed: Proceed) -> Any:
            return b"stored"

    @fc.handler(steps=[Replay()])
    def handler(event: Order) -> str:
        calls.append(event.order_id)
        return "fresh"

    assert handler(b'{"order_id": "x"}') == b"stored"
    assert calls == []


def test_errors_pass_through_steps_and_decode_errors_come_first() -> None:
    log: list[Any] = []

    @fc.handler(steps=[Record("a", log)])
    def handler(event: Order) -> str:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        handler(b'{"order_id": "x"}')
    assert log[-1] == ("a", "error", "ValueError")
    log.clear()
    with pytest.raises(fc.EventValidationError):
        handler(b"{}")
    assert log == []  # the steps see validated events only


def test_bind_is_called_at_decoration_and_can_refuse() -> None:
    class Picky:
        def bind(self, spec: Any) -> Any:
            if spec.model is not Order:
                raise fc.ConfigurationError("Picky needs Order")
            return self

        def around(self, call: Invocation, proceed: Proceed) -> Any:
            return proceed()

    @fc.handler(steps=[Picky()])
    def ok(event: Order) -> str:
        return "ok"

    assert ok(b'{"order_id": "x"}') == "ok"
    with pytest.raises(fc.ConfigurationError, match="Picky needs Order"):

        @fc.handler(steps=[Picky()])
        def bad(event: dict) -> str:  # type: ignore[type-arg]
            return "no"


def test_not_a_step_is_a_configuration_error() -> None:
    with pytest.raises(fc.ConfigurationError, match=r"steps\[0\] \(int\)"):
        fc.handler(steps=[1])(lambda event: event)  # type: ignore[list-item]


def test_async_handler_steps_and_context_variables() -> None:
    log: list[Any] = []

    @fc.handler(steps=[Record("a", log)])
    async def handler(event: Order, context: fc.Context) -> str:
        await asyncio.sleep(0)
        return f"{event.order_id}:{current_tag.get()}"

    assert handler(b'{"order_id": "x"}', {"x-fc-request-id": "r-7"}) == "x:r-7"


def test_16_invocations_at_once_in_threads_keep_their_own_step_state() -> None:
    barrier = threading.Barrier(16)

    @fc.handler(steps=[Record("a", [])])
    def handler(event: Order, context: fc.Context) -> str:
        barrier.wait(timeout=10)
        return f"{event.order_id}:{current_tag.get()}"

    def one(i: int) -> Any:
        return handler(f'{{"order_id": "o{i}"}}'.encode(), {"x-fc-request-id": f"r{i}"})

    with ThreadPoolExecutor(16) as pool:
        assert list(pool.map(one, range(16))) == [f"o{i}:r{i}" for i in range(16)]


def test_16_tasks_at_once_with_wrap_function() -> None:
    step = Record("a", [])

    async def work(event: str, context: fc.Context) -> str:
        await asyncio.sleep(0.01)
        return f"{event}:{current_tag.get()}"

    wrapped = wrap_function(work, [step])

    async def main() -> list[str]:
        return await asyncio.gather(
            *(wrapped(f"e{i}", fc.Context.of({"x-fc-request-id": f"r{i}"})) for i in range(16))
        )

    assert asyncio.run(main()) == [f"e{i}:r{i}" for i in range(16)]


def test_wrap_function_refuses_sync_only_steps_on_async_functions() -> None:
    class SyncOnly:
        def around(self, call: Invocation, proceed: Proceed) -> Any:
            return proceed()

    async def work(event: str, context: Any) -> str:
        return event

    with pytest.raises(fc.ConfigurationError, match="around_async"):
        wrap_function(work, [SyncOnly()])
