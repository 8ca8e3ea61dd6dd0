"""fcsdk.idempotency behaviours, each against MemoryStore, a real redis-server and the loopback
Tablestore server (driven by the real tablestore client)."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Optional

import pytest
from pydantic import BaseModel

import fcsdk as fc
from fcsdk.idempotency import (
    Idempotency,
    IdempotencyInProgressError,
    IdempotencyKeyError,
    IdempotencyPayloadMismatchError,
    IdempotencyStoreError,
    MemoryStore,
    RedisStore,
)
from tests.idempotency_support import prefix


class Item(BaseModel):
    sku: str


class Order(BaseModel):
    order_id: str
    amount: int = 1
    items: list[Item] = []


def ctx(name: str = "orders", qualifier: Optional[str] = None, timeout: str = "60") -> Any:
    headers = {"x-fc-function-name": name, "x-fc-function-timeout": timeout}
    if qualifier:
        headers["x-fc-qualifier"] = qualifier
    return headers


def counting(idem: Idempotency, runs: list[str], result: Any = None) -> Any:
    @fc.handler(idempotency=idem)
    def handler(event: Order, context: fc.Context) -> Any:
        runs.append(event.order_id)
        return result if result is not None else {"order": event.order_id, "n": len(runs)}

    return handler


def test_a_repeat_replays_the_stored_body_byte_exact_without_running(store: Any) -> None:
    runs: list[str] = []
    handler = counting(Idempotency(store, key="order_id", prefix=prefix()), runs)
    first = handler(b'{"order_id": "o-1"}', ctx())
    assert handler(b'{"order_id": "o-1"}', ctx()) == first
    assert handler(b'{"order_id": "o-2"}', ctx()) != first
    assert runs == ["o-1", "o-2"]
    assert first == '{\n    "n": 1,\n    "order": "o-1"\n}'


@pytest.mark.parametrize("body", [b"\x00\xff raw", "t\u00e9xt \ud800", b""])
def test_bytes_and_str_bodies_come_back_as_they_went(store: Any, body: Any) -> None:
    runs: list[str] = []
    handler = counting(Idempotency(store, key="order_id", prefix=prefix()), runs, result=body)
    assert handler(b'{"order_id": "o"}', ctx()) == body
    again = handler(b'{"order_id": "o"}', ctx())
    assert again == body and type(again) is type(body) and runs == ["o"]


def test_records_are_per_function_and_qualifier(store: Any) -> None:
    runs: list[str] = []
    handler = counting(Idempotency(store, key="order_id", prefix=prefix()), runs)
    for name, qualifier in [("a", None), ("b", None), ("a", "prod"), ("a", None), ("a", "prod")]:
        handler(b'{"order_id": "same"}', ctx(name, qualifier))
    assert len(runs) == 3


def test_same_key_other_payload_is_a_mismatch_unless_not_validated(store: Any) -> None:
    runs: list[str] = []
    handler = counting(Idempotency(store, key="order_id", prefix=prefix()), runs)
    handler(b'{"order_id": "o", "amount": 1}', ctx())
    with pytest.raises(IdempotencyPayloadMismatchError) as info:
        handler(b'{"order_id": "o", "amount": 2}', ctx())
    assert "'order_id'" in str(info.value) and '"o"' not in str(info.value)
    assert info.value.code == "idempotency_payload_mismatch"
    loose = counting(
        Idempotency(store, key="order_id", validate_payload=False, prefix=prefix()), runs
    )
    first = loose(b'{"order_id": "o", "amount": 1}', ctx())
    assert loose(b'{"order_id": "o", "amount": 2}', ctx()) == first
    assert runs == ["o", "o"]


def test_a_concurrent_duplicate_is_in_progress_and_then_replays(store: Any) -> None:
    started, release = threading.Event(), threading.Event()
    idem = Idempotency(store, key="order_id", prefix=prefix())

    @fc.handler(idempotency=idem)
    def handler(event: Order) -> str:
        started.set()
        assert release.wait(10)
        return "done"

    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(handler, b'{"order_id": "secret-value"}', ctx(timeout="30"))
        assert started.wait(10)
        with pytest.raises(IdempotencyInProgressError) as info:
            handler(b'{"order_id": "secret-value"}', ctx())
        release.set()
        assert first.result() == "done"
    message = str(info.value)
    assert "'order_id'" in message and "secret-value" not in message
    assert "lapses in" in message and info.value.code == "idempotency_in_progress"
    assert handler(b'{"order_id": "secret-value"}', ctx()) == "done"


def test_a_handler_exception_releases_the_key_so_the_retry_runs(store: Any) -> None:
    attempts: list[int] = []
    idem = Idempotency(store, key="order_id", prefix=prefix())

    @fc.handler(idempotency=idem)
    def handler(event: Order, context: fc.Context) -> str:
        attempts.append(context.retry_count)
        if len(attempts) == 1:
            raise RuntimeError("card declined, try again")
        return "charged"

    with pytest.raises(RuntimeError):
        handler(b'{"order_id": "o"}', {**ctx(), "x-fc-retry-count": "0"})
    assert handler(b'{"order_id": "o"}', {**ctx(), "x-fc-retry-count": "1"}) == "charged"
    assert handler(b'{"order_id": "o"}', {**ctx(), "x-fc-retry-count": "2"}) == "charged"
    assert attempts == [0, 1]


def test_the_lock_of_an_invocation_that_died_lapses_at_its_deadline(store: Any) -> None:
    idem = Idempotency(store, key="order_id", prefix=prefix())
    dead = fc.Context.of(ctx(timeout="1"))
    assert 0 < dead.remaining_time() <= 1  # type: ignore[operator]
    runs: list[str] = []
    handler = counting(idem, runs)
    scope = handler.__fcsdk__.steps[-1].scope
    begun = idem._begin(dead, scope, "order_id", "o", b'{"order_id": "o"}')  # never finished
    assert isinstance(begun, tuple)
    with pytest.raises(IdempotencyInProgressError):
        handler(b'{"order_id": "o"}', ctx())
    time.sleep(1.15)
    handler(b'{"order_id": "o"}', ctx())
    assert runs == ["o"]


def test_without_a_deadline_the_lock_uses_in_progress_expiry() -> None:
    now = [1_000_000]
    idem = Idempotency(MemoryStore(clock=lambda: now[0]), key="id", in_progress_expiry=5)
    begun = idem._begin(fc.Context.of(None), "", "id", "x", None)
    assert isinstance(begun, tuple) and begun[1].expiry_ms == 1_005_000


def test_key_paths_are_checked_against_the_model_at_decoration() -> None:
    idem = Idempotency(MemoryStore(), key="order")
    with pytest.raises(
        fc.ConfigurationError,
        match=r"'order': Order has no field 'order' \(fields: order_id, amount, items\)",
    ):
        fc.handler(model=Order, idempotency=idem)(lambda event: None)
    with pytest.raises(fc.ConfigurationError, match="is a list; start with an index"):
        fc.handler(model=list[Order], idempotency=Idempotency(MemoryStore(), key="order_id"))(
            lambda event: None
        )
    with pytest.raises(fc.ConfigurationError, match="not a path"):
        Idempotency(MemoryStore(), key="items[x]")
    ok = fc.handler(model=Order, idempotency=Idempotency(MemoryStore(), key="items[0].sku"))(
        lambda event: event.order_id
    )
    assert ok(b'{"order_id": "a", "items": [{"sku": "S"}]}') == "a"


def test_an_absent_or_null_key_is_an_event_error_naming_the_path(store: Any) -> None:
    runs: list[str] = []
    handler = counting(Idempotency(store, key="items[0].sku", prefix=prefix()), runs)
    with pytest.raises(IdempotencyKeyError, match=r"has no 'items\[0\]'") as info:
        handler(b'{"order_id": "private"}', ctx())
    assert isinstance(info.value, fc.EventError) and "private" not in str(info.value)
    with pytest.raises(IdempotencyKeyError, match="is empty"):
        handler(b'{"order_id": "p", "items": [{"sku": ""}]}', ctx())
    assert runs == []


def test_a_callable_key_and_a_dict_event(store: Any) -> None:
    idem = Idempotency(store, key=lambda event: (event["a"], event["b"]), prefix=prefix())
    runs: list[Any] = []

    @fc.handler(idempotency=idem)
    def handler(event: dict) -> int:  # type: ignore[type-arg]
        runs.append(event)
        return len(runs)

    assert handler(b'{"a": 1, "b": 2}') == handler(b'{"a": 1, "b": 2}') == "1"
    assert handler(b'{"a": 1, "b": 3}') == "2"


def test_an_unreachable_redis_is_a_store_error_and_the_handler_never_runs() -> None:
    from tests.redis_support import free_port

    runs: list[str] = []
    down = RedisStore(f"redis://:pw@127.0.0.1:{free_port()}/0", socket_timeout=0.5)
    handler = counting(Idempotency(down, key="order_id"), runs)
    with pytest.raises(IdempotencyStoreError) as info:
        handler(b'{"order_id": "o"}', ctx())
    message = str(info.value)
    assert message.startswith("RedisStore(redis://***@127.0.0.1:") and "failed to claim" in message
    assert "pw" not in message.split("failed")[0] and runs == []
    assert info.value.code == "idempotency_store"
    assert not type(info.value.__cause__).__module__.startswith("fcsdk")


def test_a_redis_that_dies_after_the_handler_ran_is_a_store_error(redis_server: Any) -> None:
    from tests.redis_support import RedisServer

    server = RedisServer(redis_server.binary)
    server.start()
    try:
        idem = Idempotency(RedisStore(server.url, socket_timeout=0.5), key="order_id")

        @fc.handler(idempotency=idem)
        def handler(event: Order) -> str:
            server.stop()
            return "charged"

        with pytest.raises(IdempotencyStoreError, match="failed to complete"):
            handler(b'{"order_id": "o"}', ctx())
    finally:
        server.stop()


def test_idem_function_runs_once_per_record_and_decodes_the_replay(store: Any) -> None:
    idem = Idempotency(store, key="order_id", prefix=prefix())
    runs: list[str] = []

    @idem.function()
    def charge(order: Order) -> Order:
        runs.append(order.order_id)
        return order.model_copy(update={"amount": order.amount * 10})

    @idem.function(key="sku", name="ship")
    def ship(item: Item) -> bytes:
        runs.append(item.sku)
        return b"\x01" + item.sku.encode()

    first = charge(Order(order_id="r1", amount=2))
    again = charge(Order(order_id="r1", amount=2))
    assert first == again == Order(order_id="r1", amount=20) and isinstance(again, Order)
    assert ship(Item(sku="s")) == ship(Item(sku="s")) == b"\x01s"
    with pytest.raises(IdempotencyPayloadMismatchError):
        charge(Order(order_id="r1", amount=3))
    assert runs == ["r1", "s"]


def test_idem_function_async_and_exceptions(store: Any) -> None:
    idem = Idempotency(store, key="id", prefix=prefix())
    runs: list[int] = []

    @idem.function()
    async def work(record: dict) -> dict:  # type: ignore[type-arg]
        runs.append(record["n"])
        if record["n"] == 0:
            raise ValueError("retry me")
        return {"n": record["n"]}

    async def main() -> Any:
        with pytest.raises(ValueError):
            await work({"id": "a", "n": 0})
        return [await work({"id": "b", "n": 1}), await work({"id": "b", "n": 1})]

    assert asyncio.run(main()) == [{"n": 1}, {"n": 1}]
    assert runs == [0, 1]


def test_the_idempotency_step_is_innermost_and_async_handlers_work(store: Any) -> None:
    seen: list[Any] = []

    class Outer:
        def around(self, call: Any, proceed: Any) -> Any:
            body = proceed()
            seen.append(body)
            return body

    idem = Idempotency(store, key="order_id", prefix=prefix())

    @fc.handler(steps=[Outer()], idempotency=idem)
    async def handler(event: Order) -> dict:  # type: ignore[type-arg]
        await asyncio.sleep(0)
        return {"id": event.order_id}

    assert [type(s).__name__ for s in handler.__fcsdk__.steps] == ["Outer", "_HandlerStep"]
    assert handler(b'{"order_id": "x"}') == handler(b'{"order_id": "x"}')
    assert seen[0] == seen[1] == '{\n    "id": "x"\n}'


def test_idempotency_stays_innermost_beside_log_event() -> None:
    idem = Idempotency(MemoryStore(), key="order_id")

    @fc.handler(idempotency=idem, log_event=True)
    def handler(event: Order) -> str:
        return event.order_id

    assert type(handler.__fcsdk__.steps[-1]).__name__ == "_HandlerStep"
    assert len(handler.__fcsdk__.steps) == 2
