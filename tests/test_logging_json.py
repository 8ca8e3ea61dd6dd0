"""Structured logs: the JSON fields, per-invocation keys, event logging, sampling and the
debug buffer, under 16 concurrent invocations in threads and in asyncio tasks."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fcsdk as fc
from fcsdk._jsonlog import EXCEPTION_FIELDS, JSON_FIELDS
from fcsdk._logstep import mask_fields
from fcsdk.logging import FCLogger, current_context, setup
from fcsdk.steps import wrap_function
from tests.natives import ShapeA

SECRET = "s3cr3t-access-key-secret-value"
TOKEN = "sts-token-value-0123456789"


def headers(rid: str, **more: str) -> dict[str, str]:
    return {"x-fc-request-id": rid, **more}


def test_every_documented_field_in_order(lines, monkeypatch):
    monkeypatch.setenv("FC_INSTANCE_ID", "c-1")

    @fc.handler
    def handler(event: dict, context: fc.Context) -> str:
        fc.logger.info("placed %s", event["id"])
        try:
            raise ValueError(f"bad key {context.credentials.access_key_secret}")
        except ValueError:
            fc.logger.exception("failed")
        return "ok"

    native = ShapeA(request_id="r-1", secret=SECRET, token=TOKEN)  # qualifier LATEST, version 3
    handler(b'{"id": "o-1"}', native)
    first, second = lines()
    assert tuple(first) == JSON_FIELDS
    assert first["message"] == "placed o-1"
    line = next(
        n
        for n, text in enumerate(Path(__file__).read_text().splitlines(), 1)
        if '"placed %s"' in text
    )
    assert first["location"] == f"test_logging_json:handler:{line}"
    assert (first["request_id"], first["function_name"]) == ("r-1", "orders")
    assert (first["function_qualifier"], first["function_version"]) == ("LATEST", "3")
    assert (first["instance_id"], first["cold_start"]) == ("c-1", True)
    assert first["time"].endswith("Z") and len(first["time"]) == len("2024-01-02T03:04:05.678Z")
    assert tuple(second) == (*JSON_FIELDS, "exception")
    exc = second["exception"]
    assert tuple(exc) == EXCEPTION_FIELDS
    assert exc["type"] == "ValueError"
    assert SECRET not in json.dumps(second)
    assert exc["message"] == "bad key **********"
    assert "**********" in exc["stack"]


def test_cold_start_only_on_the_first_invocation(lines):
    @fc.handler
    def handler(event: bytes) -> str:
        fc.logger.info("x")
        return "ok"

    for i in range(3):
        handler(b"", headers(f"r-{i}"))
    assert [r["cold_start"] for r in lines()] == [True, False, False]


def test_outside_an_invocation_function_fields_come_from_the_environment(lines, monkeypatch):
    monkeypatch.setenv("FC_FUNCTION_NAME", "fn")
    monkeypatch.setenv("FC_QUALIFIER", "LATEST")
    fc.logger.info("init")
    (rec,) = lines()
    assert (rec["request_id"], rec["function_name"], rec["function_qualifier"]) == (
        None,
        "fn",
        "LATEST",
    )
    assert rec["cold_start"] is None


def test_keys_belong_to_the_invocation(lines):
    fc.logger.append_keys(service="shop")  # process-wide, at import time

    @fc.handler
    def handler(event: dict) -> str:
        if event.get("hide"):
            fc.logger.remove_keys("service")
        fc.logger.append_keys(order=event["id"])
        fc.logger.info("in")
        return "ok"

    handler(b'{"id": "a"}', headers("r-a"))
    handler(b'{"id": "b", "hide": true}', headers("r-b"))
    handler(b'{"id": "c"}', headers("r-c"))
    fc.logger.info("after")
    recs = lines()
    assert [(r.get("service"), r.get("order")) for r in recs] == [
        ("shop", "a"),
        (None, "b"),
        ("shop", "c"),
        ("shop", None),
    ]


def test_a_key_never_replaces_a_standard_field_and_secret_keys_are_masked(lines):
    @fc.handler
    def handler(event: bytes) -> str:
        fc.logger.append_keys(level="nope", api_token="t-1", user={"password": "p"})
        fc.logger.info("x")
        return "ok"

    handler(b"", headers("r-1"))
    (rec,) = lines()
    assert rec["level"] == "INFO"
    assert rec["api_token"] == "**********"
    assert rec["user"] == {"password": "**********"}


def test_keys_16_threads_at_once(lines):
    barrier = threading.Barrier(16)

    @fc.handler
    def handler(event: dict) -> str:
        fc.logger.append_keys(who=event["n"])
        barrier.wait(timeout=10)  # all 16 have appended before any logs
        fc.logger.info("n=%s", event["n"])
        barrier.wait(timeout=10)
        fc.logger.remove_keys("who")
        return "ok"

    threads = [
        threading.Thread(target=handler, args=(json.dumps({"n": i}).encode(), headers(f"r-{i}")))
        for i in range(16)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    recs = lines()
    assert len(recs) == 16
    for rec in recs:
        assert rec["message"] == f"n={rec['who']}"
        assert rec["request_id"] == f"r-{rec['who']}"
    assert sum(r["cold_start"] for r in recs) == 1


def test_keys_16_asyncio_tasks_at_once(lines):
    async def body(event: dict, context: fc.Context) -> str:
        fc.logger.append_keys(who=event["n"])
        await asyncio.sleep(0.01)  # every task appends before any logs
        fc.logger.info("n=%s", event["n"])
        return "ok"

    step_wrapped = wrap_function(body, [fc.logger.step()])

    async def one(i: int) -> str:
        ctx = fc.Context.of(headers(f"r-{i}"))
        token = current_context.set(ctx)  # what a runtime does for each task
        try:
            return await step_wrapped({"n": i}, ctx)
        finally:
            current_context.reset(token)

    async def main() -> list[str]:
        return await asyncio.gather(*(one(i) for i in range(16)))

    assert asyncio.run(main()) == ["ok"] * 16
    recs = lines()
    assert len(recs) == 16
    assert all(r["request_id"] == f"r-{r['who']}" for r in recs)


def test_async_handlers_on_the_shared_loop_keep_their_keys(lines):
    barrier = threading.Barrier(16)

    @fc.handler
    async def handler(event: dict, context: fc.Context) -> str:
        fc.logger.append_keys(who=event["n"])
        await asyncio.sleep(0.02)
        fc.logger.info("n=%s", event["n"])
        return "ok"

    def call(i: int) -> None:
        barrier.wait(timeout=10)
        handler(json.dumps({"n": i}).encode(), headers(f"r-{i}"))

    threads = [threading.Thread(target=call, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    recs = lines()
    assert sorted(r["who"] for r in recs) == list(range(16))
    assert all(r["request_id"] == f"r-{r['who']}" for r in recs)


def test_log_event_masks_secret_fields_and_credentials(lines):
    fc.logger.configure(mask_fields=["card"])

    @fc.handler(log_event=True)
    def handler(event: dict) -> str:
        return "ok"

    event = {
        "user": "ann",
        "password": "hunter2",
        "payment": {"card": "4111", "amount": 3},
        "headers": {"Authorization": "Bearer x", "x-fc-security-token": TOKEN},
        "items": [{"refresh_token": "rt"}],
    }
    handler(json.dumps(event).encode(), headers("r-e"))
    (rec,) = lines()
    assert rec["message"] == "incoming event"
    assert rec["event"] == {
        "user": "ann",
        "password": "**********",
        "payment": {"card": "**********", "amount": 3},
        "headers": {"Authorization": "**********", "x-fc-security-token": "**********"},
        "items": [{"refresh_token": "**********"}],
    }


def test_log_event_in_fc_line_format_and_non_json_events(lines):
    buf = io.StringIO()
    h = setup("fc", stream=buf, target=fc.logger, keep_runtime=False)
    try:

        @fc.handler(log_event=True)
        def handler(event: bytes) -> str:
            return "ok"

        handler(b"not json \xff", headers("r-t"))
    finally:
        fc.logger.removeHandler(h)
    text = buf.getvalue()
    assert "r-t [INFO] incoming event: " in text
    assert "incoming event: base64:bm90IGpzb24g/w==" in text  # not UTF-8: lossless base64


def test_log_event_is_a_step_appended_last():
    class Outer:
        def around(self, call, proceed):
            return proceed()

    @fc.handler(steps=[Outer()], log_event=True)
    def handler(event: bytes) -> str:
        return "ok"

    steps = handler.__fcsdk__.steps
    assert isinstance(steps[0], Outer)
    assert type(steps[-1]).__name__ == "LoggerStep"
    assert steps[-1].log_event is True


def test_sample_rate_writes_debug_for_sampled_invocations_only(lines):
    @fc.handler
    def handler(event: bytes) -> str:
        fc.logger.debug("detail")
        fc.logger.info("line")
        return "ok"

    fc.logger.configure(sample_rate=1.0)
    handler(b"", headers("r-1"))
    fc.logger.configure(sample_rate=0.0)
    handler(b"", headers("r-2"))
    fc.logger.debug("outside an invocation: never sampled")
    assert [(r["request_id"], r["level"]) for r in lines()] == [
        ("r-1", "DEBUG"),
        ("r-1", "INFO"),
        ("r-2", "INFO"),
    ]


def test_sampling_is_decided_once_per_invocation(lines):
    fc.logger.configure(sample_rate=0.5)

    @fc.handler
    def handler(event: bytes) -> str:
        for _ in range(5):
            fc.logger.debug("d")
        return "ok"

    for i in range(40):
        handler(b"", headers(f"r-{i}"))
    per_invocation: dict[str, int] = {}
    for r in lines():
        per_invocation[r["request_id"]] = per_invocation.get(r["request_id"], 0) + 1
    assert set(per_invocation.values()) <= {5}
    assert 0 < len(per_invocation) < 40  # 2**-40 chance of a false failure


def test_bad_configuration_is_an_fc_error():
    with pytest.raises(fc.ConfigurationError, match="sample_rate"):
        fc.logger.configure(sample_rate=-0.1)
    with pytest.raises(fc.ConfigurationError, match="buffer_size"):
        fc.logger.configure(buffer_size=0)
    with pytest.raises(fc.ConfigurationError, match="mask_fields"):
        fc.logger.configure(mask_fields="password")


def test_debug_buffer_flushed_only_when_the_invocation_fails_16_threads(lines):
    fc.logger.configure(buffer_debug=True)
    barrier = threading.Barrier(16)

    @fc.handler(steps=[fc.logger.step()])
    def handler(event: dict) -> str:
        fc.logger.debug("debug of %s", event["n"])
        barrier.wait(timeout=10)
        if event["n"] % 2:
            raise RuntimeError("odd")
        return "ok"

    def call(i: int) -> None:
        with contextlib.suppress(RuntimeError):
            handler(json.dumps({"n": i}).encode(), headers(f"r-{i}"))

    threads = [threading.Thread(target=call, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    recs = lines()
    assert sorted(r["request_id"] for r in recs) == sorted(f"r-{i}" for i in range(1, 16, 2))
    assert all(r["message"] == f"debug of {r['request_id'][2:]}" for r in recs)


def test_debug_buffer_flushed_by_an_error_line_and_bounded(lines):
    fc.logger.configure(buffer_debug=True, buffer_size=3)

    @fc.handler
    def handler(event: bytes) -> str:
        for i in range(5):
            fc.logger.debug("d%s", i)
        fc.logger.error("went wrong")
        return "ok"

    try:
        handler(b"", headers("r-1"))
    finally:
        fc.logger.configure(buffer_size=1000)
    assert [r["message"] for r in lines()] == ["d2", "d3", "d4", "went wrong"]


def test_fc_logger_is_the_registered_logger():
    assert logging.getLogger("fcsdk.user") is fc.logger
    assert isinstance(fc.logger, FCLogger)
    assert isinstance(fc.logger, logging.Logger)


@settings(max_examples=60, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=8),
        lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=12), kids),
        max_leaves=20,
    )
)
def test_mask_fields_never_leaves_a_secret_key_and_keeps_the_shape(value):
    masked = mask_fields(value)
    json.dumps(masked)

    def walk(a, b):
        if isinstance(a, dict):
            assert set(a) == set(b)
            for k in a:
                n = k.lower().replace("-", "").replace("_", "")
                if n.endswith(("password", "secret", "token")):
                    assert b[k] == "**********"
                else:
                    walk(a[k], b[k])
        elif isinstance(a, list):
            assert len(a) == len(b)
            for x, y in zip(a, b):
                walk(x, y)
        else:
            assert a == b

    walk(value, masked)


def test_deeply_nested_events_are_masked_not_a_recursion_error():
    value: object = "leaf"
    for _ in range(5000):
        value = [value]
    assert "**********" in json.dumps(mask_fields(value))


@pytest.mark.parametrize(("value", "sampled"), [("1", True), ("0", False), ("", False)])
def test_sample_rate_from_the_environment(lines, monkeypatch, value, sampled):
    monkeypatch.setenv("FCSDK_LOG_SAMPLE_RATE", value)
    fc.logger._sample_rate = None  # not configured: the environment decides, once

    @fc.handler
    def handler(event: bytes) -> str:
        fc.logger.debug("detail")
        return "ok"

    handler(b"", headers("r-1"))
    assert [r["level"] for r in lines()] == (["DEBUG"] if sampled else [])


def test_a_bad_sample_rate_in_the_environment_is_reported_not_raised(lines, monkeypatch, caplog):
    monkeypatch.setenv("FCSDK_LOG_SAMPLE_RATE", "often")
    fc.logger._sample_rate = None

    @fc.handler
    def handler(event: bytes) -> str:
        fc.logger.debug("detail")
        return "ok"

    assert handler(b"", headers("r-1")) == "ok"
    assert lines() == []
    assert "FCSDK_LOG_SAMPLE_RATE='often' is not a rate" in caplog.text
