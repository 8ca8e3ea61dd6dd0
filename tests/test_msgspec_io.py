"""msgspec models, continued: envelopes, return values (FC's body rules, ``response_model``),
async handlers, request ids under threads and asyncio, and no pydantic on the whole path."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import decimal
import json
import subprocess
import sys
import threading
import uuid
from typing import Any, List, Optional

import msgspec
import pytest

import fcsdk as fc
from fcsdk.logging import get_request_id
from fcsdk.testing import events, invoke
from tests.test_envelopes import CASES


class Order(msgspec.Struct):
    order_id: str
    qty: int


class Reply(msgspec.Struct, rename="camel"):
    order_id: str
    total: float = 0.0


GOOD = {"order_id": "o-1", "qty": 2}
BAD = {"order_id": "o-1", "qty": "many"}


# -- envelopes: the trigger event is pydantic's (FC's models), the payload msgspec's ----------


def _handler(envelope: Any) -> Any:
    @fc.handler(model=Order, envelope=envelope)
    def handler(event: Any, context: fc.Context) -> Any:
        items = event if isinstance(event, list) else [event]
        assert all(type(e) is Order for e in items)
        return [msgspec.structs.asdict(e) for e in items]

    return handler


@pytest.mark.parametrize("name", CASES)
def test_payload_as_json_text(name: str) -> None:
    envelope, make, _, _ = CASES[name]
    n = 1 if not envelope.batch else 3
    assert invoke(_handler(envelope), make([json.dumps(GOOD)] * n)).json() == [GOOD] * n


@pytest.mark.parametrize("name", ["RocketMQ", "RabbitMQ", "Kafka", "CloudEvent"])
def test_payload_as_json_value(name: str) -> None:
    envelope, make, _, _ = CASES[name]
    assert invoke(_handler(envelope), make([GOOD, GOOD])).json() == [GOOD, GOOD]


@pytest.mark.parametrize("name", CASES)
def test_payload_not_json_names_its_place(name: str) -> None:
    envelope, make, path, _ = CASES[name]
    payloads = [json.dumps(GOOD), "{oops"] if envelope.batch else ["{oops"]
    with pytest.raises(fc.EventDecodeError) as info:
        _handler(envelope)(make(payloads), None)
    where = path.format(i=1 if envelope.batch else 0)
    assert str(info.value).startswith(f"{where}: ")
    assert "not valid JSON for Order" in str(info.value)


@pytest.mark.parametrize("name", CASES)
def test_payload_invalid_names_the_full_path(name: str) -> None:
    envelope, make, path, _ = CASES[name]
    payloads = [json.dumps(GOOD)] * 3 + [json.dumps(BAD)] if envelope.batch else [json.dumps(BAD)]
    with pytest.raises(fc.EventValidationError) as info:
        _handler(envelope)(make(payloads), None)
    where = path.format(i=3 if envelope.batch else 0)
    assert f"{where}.qty: Expected `int`, got `str`" in str(info.value)
    assert "many" not in str(info.value)
    loc = info.value.errors()[0]["loc"]
    assert loc[-1] == "qty"
    assert loc[0] == 3 if envelope.batch else isinstance(loc[0], str)


@pytest.mark.parametrize("missing", ["null", "absent"])
def test_empty_and_missing_payloads(missing: str) -> None:
    with pytest.raises(fc.EventDecodeError, match="empty at payload"):
        _handler(fc.envelopes.Timer)(events.timer(payload=""), None)
    raw = json.loads(events.timer(payload="x"))
    if missing == "null":
        raw["payload"] = None
    else:
        del raw["payload"]
    with pytest.raises(fc.EventValidationError) as info:
        _handler(fc.envelopes.Timer)(json.dumps(raw).encode(), None)
    assert [(e["loc"], e["msg"]) for e in info.value.errors()] == [(("payload",), "Field required")]


def test_batch_with_list_annotation() -> None:
    @fc.handler(envelope=fc.envelopes.RocketMQ)
    def handler(event: List[Order]) -> int:
        return sum(o.qty for o in event)

    assert handler(events.rocketmq(bodies=[GOOD, json.dumps(GOOD)]), None) == "4"


# -- return values ---------------------------------------------------------------------------


def test_struct_return_is_compact_json_by_renamed_field() -> None:
    @fc.handler
    def handler(event: Order) -> Reply:
        return Reply(event.order_id, 1.5)

    assert handler(json.dumps(GOOD), None) == b'{"orderId":"o-1","total":1.5}'


def test_plain_returns_follow_fc_rules_without_pydantic() -> None:
    @dataclasses.dataclass
    class Point:
        x: int

    returns: list[tuple[Any, Any]] = [
        ("text", "text"),
        (b"\x00", b"\x00"),
        (None, "null"),
        ({"b": 1, "a": [1, 2]}, json.dumps({"a": [1, 2], "b": 1}, indent=4, sort_keys=True)),
        ({"r": Reply("x")}, json.dumps({"r": {"orderId": "x", "total": 0.0}}, indent=4)),
        ({"d": decimal.Decimal("1.5"), "t": datetime.date(2024, 1, 2)}, None),
        ({"u": uuid.UUID(int=1)}, json.dumps({"u": str(uuid.UUID(int=1))}, indent=4)),
        (Point(1), b'{"x":1}'),
    ]
    for value, expected in returns:

        @fc.handler
        def handler(event: Order) -> Any:
            return value  # noqa: B023

        body = handler(json.dumps(GOOD), None)
        if expected is None:
            assert json.loads(body) == {"d": 1.5, "t": "2024-01-02"}
        else:
            assert body == expected


def test_unserializable_return_is_response_encode_error_with_path() -> None:
    @fc.handler
    def handler(event: Order) -> Any:
        return {"ok": 1, "bad": {"x": object()}}

    with pytest.raises(fc.ResponseEncodeError, match=r"bad\.x"):
        handler(json.dumps(GOOD), None)


def test_response_model_checks_and_serializes() -> None:
    @fc.handler(response_model=List[Reply])
    def handler(event: Order) -> Any:
        return [Reply("a"), {"orderId": "b", "total": 2}]

    assert handler(json.dumps(GOOD), None) == (
        b'[{"orderId":"a","total":0.0},{"orderId":"b","total":2.0}]'
    )

    @fc.handler(response_model=Reply)
    def wrong(event: bytes) -> Any:
        return {"orderId": 1, "note": "s3cr3t"}

    with pytest.raises(fc.ResponseValidationError) as info:
        wrong(b"", None)
    assert (
        str(info.value)
        == "1 validation error for response Reply: orderId: Expected `str`, got `int`"
    )
    assert "s3cr3t" not in repr(info.value.errors())

    @fc.handler(response_model=Optional[str])
    def text(event: Order) -> Any:
        return "as is"

    assert text(json.dumps(GOOD), None) == "as is"


def test_struct_returned_by_a_pydantic_or_bytes_handler() -> None:
    @fc.handler
    def handler(event: bytes) -> Any:
        return {"items": [Reply("a")]}

    assert json.loads(handler(b"", None)) == {"items": [{"orderId": "a", "total": 0.0}]}


# -- async, request ids ----------------------------------------------------------------------


def test_async_handler() -> None:
    @fc.handler
    async def handler(event: Order, context: fc.Context) -> Reply:
        await asyncio.sleep(0)
        return Reply(event.order_id)

    assert handler(json.dumps(GOOD), None) == b'{"orderId":"o-1","total":0.0}'


def test_request_ids_in_16_threads_at_once() -> None:
    barrier = threading.Barrier(16)

    @fc.handler
    def handler(event: Order, context: fc.Context) -> str:
        barrier.wait(timeout=10)
        return f"{event.order_id}:{get_request_id()}"

    results: dict[int, Any] = {}

    def run(i: int) -> None:
        event = json.dumps({"order_id": f"o{i}", "qty": i})
        results[i] = handler(event, {"x-fc-request-id": f"r{i}"})

    threads = [threading.Thread(target=run, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {i: f"o{i}:r{i}" for i in range(16)}


def test_request_ids_in_asyncio_tasks() -> None:
    @fc.handler
    async def handler(event: Order, context: fc.Context) -> str:
        await asyncio.sleep(0.01)
        return f"{event.order_id}:{get_request_id()}"

    async def main() -> list[Any]:
        loop = asyncio.get_running_loop()
        calls = [
            loop.run_in_executor(
                None,
                handler,
                json.dumps({"order_id": f"o{i}", "qty": i}),
                {"x-fc-request-id": f"r{i}"},
            )
            for i in range(8)
        ]
        return list(await asyncio.gather(*calls))

    assert asyncio.run(main()) == [f"o{i}:r{i}" for i in range(8)]


def test_pydantic_is_never_imported_on_the_msgspec_path() -> None:
    code = """
import sys
import msgspec
import fcsdk as fc

class Order(msgspec.Struct):
    order_id: str
    qty: int

@fc.handler(response_model=list[Order])
def handler(event: Order, context: fc.Context):
    return [event, {"order_id": "b", "qty": 1}]

@fc.handler
def plain(event: list[Order]):
    return {"n": len(event), "first": event[0], "when": __import__("datetime").date(2024, 1, 1)}

assert handler(b'{"order_id": "a", "qty": 2}', {"x-fc-request-id": "r"}).startswith(b'[{"order_id":"a"')
assert '"n": 1' in plain(b'[{"order_id": "a", "qty": 2}]', None)
for bad in (b'{"order_id": 1}', b'', b'{', b'{"order_id": "a", "qty": NaN}'):
    try:
        handler(bad, None)
    except fc.EventError:
        pass
    else:
        raise AssertionError(bad)
print(sorted(m for m in sys.modules if m.split(".")[0] in ("pydantic", "pydantic_core")))
"""
    out = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_fcsdk_schema_of_a_msgspec_handler(capsys: pytest.CaptureFixture[str]) -> None:
    from fcsdk.cli import main
    from tests.runtime_support import ROOT

    code = ROOT / "examples" / "msgspec_orders"
    try:
        assert main(["schema", "index.handler", "--code-dir", str(code)]) == 0
    finally:
        sys.modules.pop("index", None)
    out = json.loads(capsys.readouterr().out)
    order = out["input"]["$defs"]["Order"]
    assert order["required"] == ["orderId", "lines"]
    assert "output" not in out


def test_steps_see_the_struct_and_the_encoded_body() -> None:
    seen: list[Any] = []

    class Record:
        def around(self, call: Any, proceed: Any) -> Any:
            body = proceed()
            seen.append((call.event, call.raw, body))
            return body

    @fc.handler(steps=[Record()])
    def handler(event: Order, context: fc.Context) -> Reply:
        return Reply(event.order_id)

    raw = json.dumps(GOOD).encode()
    assert handler(raw, None) == b'{"orderId":"o-1","total":0.0}'
    assert seen == [(Order("o-1", 2), raw, b'{"orderId":"o-1","total":0.0}')]
    with pytest.raises(fc.EventValidationError, match="qty: Expected `int`"):
        handler(json.dumps(BAD), None)
