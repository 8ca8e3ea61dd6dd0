"""`fcsdk invoke --async`: FC's retries (retry_count counting up), the destination record, and
an idempotent handler surviving both the retries and a duplicate delivery (real redis-server)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

import fcsdk as fc
from tests.runtime_support import drop_fcsdk_log_handlers, invoke_cli, write_code

CODE = {
    "orders.py": """
        import os
        from pydantic import BaseModel
        import fcsdk as fc
        from fcsdk.idempotency import Idempotency, RedisStore

        class Order(BaseModel):
            order_id: str
            amount: int

        idem = Idempotency(RedisStore(os.environ["REDIS_URL"]), key="order_id",
                           prefix=os.environ["PREFIX"])

        @fc.handler(idempotency=idem)
        def handler(event: Order, context: fc.Context) -> dict:
            with open(os.environ["RUNS"], "a") as f:
                f.write(f"{event.order_id} retry={context.retry_count}\\n")
            if context.retry_count < int(os.environ["FAILS"]):
                raise ConnectionError("payment gateway timed out")
            return {"order_id": event.order_id, "charged": event.amount}
    """,
}


@pytest.fixture
def code(tmp_path: Path, redis_server: Any, monkeypatch: pytest.MonkeyPatch) -> Path:
    from tests.idempotency_support import prefix

    monkeypatch.setenv("REDIS_URL", redis_server.url)
    monkeypatch.setenv("PREFIX", prefix())
    monkeypatch.setenv("RUNS", str(tmp_path / "runs.txt"))
    monkeypatch.delenv("FC_FUNC_CODE_PATH", raising=False)
    yield write_code(tmp_path / "code", CODE)
    drop_fcsdk_log_handlers()
    sys.modules.pop("orders", None)


EVENT = '{"order_id": "o-1", "amount": 5}'


def test_retries_count_up_until_success_and_a_duplicate_replays(
    capfd: Any, code: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAILS", "2")
    dest = tmp_path / "dest.json"
    rc, out, err = invoke_cli(
        capfd,
        code,
        "orders.handler",
        "--event",
        EVENT,
        "--async",
        "--destination-file",
        str(dest),
        "--request-id",
        "req-1",
    )
    assert rc == 0, err
    assert json.loads(out) == {"order_id": "o-1", "charged": 5}
    assert "retrying with retry_count=1" in err and "retrying with retry_count=2" in err
    runs = (tmp_path / "runs.txt").read_text().splitlines()
    assert runs == ["o-1 retry=0", "o-1 retry=1", "o-1 retry=2"]
    record = fc.events.DestinationRecord[dict, dict].model_validate_json(dest.read_bytes())
    assert record.succeeded and record.request_context.approximate_invoke_count == 3
    assert record.request_context.request_id == "req-1"
    assert record.request_payload == {"order_id": "o-1", "amount": 5}
    assert record.response_payload == {"order_id": "o-1", "charged": 5}

    sys.modules.pop("orders", None)  # FC delivers the same event again (at least once)
    rc, again, err = invoke_cli(capfd, code, "orders.handler", "--event", EVENT, "--async")
    assert rc == 0 and again == out
    assert (tmp_path / "runs.txt").read_text().splitlines() == runs  # not charged twice


def test_spent_retries_write_a_failure_record(
    capfd: Any, code: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAILS", "99")
    dest = tmp_path / "dest.json"
    rc, out, _ = invoke_cli(
        capfd,
        code,
        "orders.handler",
        "--event",
        EVENT,
        "--async",
        "--max-retries",
        "1",
        "--destination-file",
        str(dest),
    )
    assert rc == 1 and json.loads(out)["errorType"] == "ConnectionError"
    raw = json.loads(dest.read_text())
    assert raw["requestContext"]["condition"] == "RetriesExhausted"
    assert raw["requestContext"]["approximateInvokeCount"] == 2
    assert raw["responseContext"]["functionError"] == "UnhandledInvocationError"
    assert raw["requestPayload"] == EVENT

    @fc.handler(envelope=fc.envelopes.Destination)
    def on_failure(event: dict) -> str:  # type: ignore[type-arg]
        return f"refund {event['order_id']}"

    assert on_failure(dest.read_bytes()) == "refund o-1"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--async", "--max-retries", "9"], "between 0 and 8"),
        (["--max-retries", "1"], "go with --async"),
        (["--destination-file", "x.json"], "go with --async"),
    ],
)
def test_usage_errors(capfd: Any, code: Path, args: list[str], message: str) -> None:
    rc, _, err = invoke_cli(capfd, code, "orders.handler", "--event", EVENT, *args)
    assert rc == 2 and message in err


def test_without_async_there_is_one_attempt_and_no_retry_count(
    capfd: Any, code: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAILS", "1")
    rc, _, _ = invoke_cli(capfd, code, "orders.handler", "--event", EVENT)
    assert rc == 1
    assert (tmp_path / "runs.txt").read_text().splitlines() == ["o-1 retry=0"]
