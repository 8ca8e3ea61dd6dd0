"""log_event=True: events that fail to decode are logged (raw, masked) before the error
propagates unchanged, and logged events are cut at max_event_bytes without decoding more."""

from __future__ import annotations

import asyncio
import io
import json
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

import fcsdk as fc
from fcsdk import _logstep
from fcsdk._logstep import capped_event, mask_json_text
from fcsdk.logging import setup
from fcsdk.steps import Invocation, Proceed


class Order(BaseModel):
    order_id: str
    amount: int


def ctx(rid: str, **more: str) -> dict[str, str]:
    return {"x-fc-request-id": rid, **more}


def failure(handler, event: bytes, context) -> BaseException:
    with pytest.raises(Exception) as info:
        handler(event, context)
    return info.value


# --- events that fail to decode -------------------------------------------------------------


def test_a_failing_event_is_logged_raw_and_masked_then_the_same_error_propagates(lines):
    @fc.handler
    def plain(event: Order) -> str:
        return "ok"

    @fc.handler(log_event=True)
    def logged(event: Order) -> str:
        return "ok"

    bad = json.dumps({"order_id": "o-1", "amount": "lots", "password": "hunter2"}).encode()
    expected = failure(plain, bad, ctx("r-0"))
    got = failure(logged, bad, ctx("r-1"))
    assert type(got) is type(expected) is fc.EventValidationError
    assert (got.code, str(got)) == (expected.code, str(expected))
    (rec,) = lines()
    assert rec["level"] == "INFO" and rec["request_id"] == "r-1"
    assert rec["message"] == "incoming event"
    assert rec["event"] == {"order_id": "o-1", "amount": "lots", "password": "**********"}
    assert rec["decode_error"] == "event_validation"


def test_invalid_json_is_logged_as_text_with_secret_looking_values_masked(lines):
    @fc.handler(log_event=True)
    def handler(event: Order) -> str:
        return "ok"

    raw = b'{"order_id": "o-2", "client_secret": "abc", "amount": 3,,}'
    err = failure(handler, raw, ctx("r-2"))
    assert isinstance(err, fc.EventDecodeError)
    (rec,) = lines()
    assert rec["event"] == '{"order_id": "o-2", "client_secret": "**********", "amount": 3,,}'
    assert rec["decode_error"] == err.code
    assert "abc" not in json.dumps(rec)


def test_a_failing_binary_event_is_logged_as_base64_in_the_fc_line_format(lines):
    buf = io.StringIO()
    h = setup("fc", stream=buf, target=fc.logger, keep_runtime=False)
    try:

        @fc.handler(log_event=True)
        def handler(event: Order) -> str:
            return "ok"

        failure(handler, b"\x89PNG\r\n\x1a\n\x00", ctx("r-3"))
    finally:
        fc.logger.removeHandler(h)
    text = buf.getvalue()
    assert "r-3 [INFO] incoming event (not decoded): base64:iVBORw0KGgoA\n" in text
    assert text.count("incoming event") == 1


def test_a_decoded_event_is_logged_once_and_log_event_off_logs_nothing(lines):
    @fc.handler(log_event=True)
    def good(event: Order) -> str:
        return "ok"

    @fc.handler(steps=[fc.logger.step()])
    def quiet(event: Order) -> str:
        return "ok"

    assert good(b'{"order_id": "o", "amount": 1}', ctx("r-4")) == "ok"
    failure(quiet, b"{", ctx("r-5"))
    recs = lines()
    assert [r["request_id"] for r in recs] == ["r-4"]
    assert "decode_error" not in recs[0]


class Observer:
    def __init__(self, log: list, fail: bool = False) -> None:
        self.log, self.fail = log, fail

    def around(self, call: Invocation, proceed: Proceed) -> object:
        self.log.append("around")
        return proceed()

    def on_decode_error(self, raw, context, error) -> None:
        self.log.append((raw, context.request_id, type(error).__name__))
        if self.fail:
            raise RuntimeError("observer broke")


def test_on_decode_error_hook_sees_raw_context_and_error_and_cannot_change_the_error():
    log: list = []

    @fc.handler(steps=[Observer(log, fail=True), Observer(log)])
    def handler(event: Order) -> str:
        return "ok"

    err = failure(handler, b"[1]", ctx("r-7"))
    assert type(err) is fc.EventValidationError  # the hook's RuntimeError was dropped
    assert log == [(b"[1]", "r-7", "EventValidationError")] * 2
    assert handler(b'{"order_id": "o", "amount": 1}', ctx("r-8")) == "ok"
    assert log[2:] == ["around", "around"]


def test_sixteen_failing_events_in_threads_each_logged_with_its_request_id(lines):
    @fc.handler(log_event=True)
    def handler(event: Order) -> str:
        return "ok"

    barrier = threading.Barrier(16)
    errors: list = []

    def call(i: int) -> None:
        barrier.wait()
        try:
            handler(json.dumps({"order_id": i, "token": f"t{i}"}).encode(), ctx(f"r-{i}"))
        except fc.EventValidationError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(errors) == 16
    recs = lines()
    assert sorted(r["request_id"] for r in recs) == sorted(f"r-{i}" for i in range(16))
    assert all(
        r["event"] == {"order_id": int(r["request_id"][2:]), "token": "**********"} for r in recs
    )


def test_failing_events_of_an_async_handler_under_asyncio(lines):
    @fc.handler(log_event=True)
    async def handler(event: Order) -> str:
        await asyncio.sleep(0)
        return "ok"

    async def main() -> list:
        calls = [
            asyncio.to_thread(
                handler,
                b'{"order_id": 1}' if i % 2 else b'{"order_id": "o", "amount": 1}',
                ctx(f"a-{i}"),
            )
            for i in range(16)
        ]
        return await asyncio.gather(*calls, return_exceptions=True)

    results = asyncio.run(main())
    assert [isinstance(r, fc.EventValidationError) for r in results] == [
        i % 2 == 1 for i in range(16)
    ]
    recs = lines()
    assert len(recs) == 16
    for r in recs:
        i = int(r["request_id"][2:])
        assert ("decode_error" in r) is (i % 2 == 1)


# --- the size cap ---------------------------------------------------------------------------


def test_a_6_mb_binary_event_is_cut_at_8_kib_and_marked(lines, monkeypatch):
    seen: list[int] = []
    real_loads = json.loads

    def spy(text, *a, **k):  # records how much the step parses (it must stay under the cap)
        seen.append(len(text))
        return real_loads(text, *a, **k)

    monkeypatch.setattr(_logstep.json, "loads", spy)

    @fc.handler(log_event=True)
    def handler(event: bytes) -> str:
        return str(len(event))

    raw = bytes(range(256)) * (6 * 1024 * 1024 // 256)
    assert handler(raw, ctx("r-big")) == "6291456"
    monkeypatch.undo()
    (rec,) = lines()
    assert rec["event"].startswith("base64:AAECAwQF")
    assert rec["event"].endswith("... [cut: 6291456 bytes in all]")
    assert len(rec["event"].split("...")[0]) <= 8192
    assert seen == []


def test_a_large_json_event_is_cut_masked_and_never_parsed_whole(lines, monkeypatch):
    seen: list[int] = []
    real_loads = json.loads
    monkeypatch.setattr(
        _logstep.json, "loads", lambda t, *a, **k: seen.append(len(t)) or real_loads(t, *a, **k)
    )

    @fc.handler(steps=[fc.logger.step(log_event=True, max_event_bytes=1000)])
    def handler(event: dict) -> str:
        return "ok"

    event = {"items": [{"sku": f"s{i}", "password": f"pw{i}"} for i in range(5000)]}
    raw = json.dumps(event).encode()
    handler(raw, ctx("r-json"))
    monkeypatch.undo()
    (rec,) = lines()
    text = rec["event"]
    head, marker = text.rsplit("... ", 1)
    assert marker == f"[cut: {len(raw)} bytes in all]"
    assert head.startswith('{"items": [{"sku": "s0", "password": "**********"}')
    assert "pw" not in text
    assert len(head.encode()) <= 1000
    assert seen == []


def test_small_events_are_logged_whole_and_a_str_event_is_cut_in_characters():
    assert capped_event(None, b'{"a": 1}', (), 8) == ('{"a": 1}', {"a": 1})
    text, value = capped_event(None, "é" * 20, (), 5)  # (5 bytes: 2 whole characters)
    assert text == value == "éé... [cut: 20 characters in all]"
    # a cut inside a multi-byte character drops it rather than logging a broken one
    text, _ = capped_event(None, "aé".encode() * 10, (), 4)
    assert text == "aéa... [cut: 30 bytes in all]"
    # dict events (wrap_function) stop dumping past the cap
    text, _ = capped_event({"k": "v" * 100_000}, None, (), 64)
    assert text.endswith("... [cut: more than 64 bytes]") and len(text) < 100


def test_max_event_bytes_must_be_a_positive_int():
    for bad in (0, -1, True, 1.5, "8k"):
        with pytest.raises(fc.ConfigurationError, match="max_event_bytes"):
            fc.logger.step(log_event=True, max_event_bytes=bad)  # type: ignore[arg-type]


# --- masking text that is cut or invalid ----------------------------------------------------

_plain = st.text(alphabet='abcdefghij0123456789 "\\:,{}[]', max_size=12)
_value = st.recursive(
    st.none() | st.booleans() | st.integers(-999, 999) | _plain,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_plain, inner, max_size=3),
    max_leaves=8,
)
_secret = st.recursive(
    st.just("ZZZZ") | st.just(0.5),
    lambda inner: (
        st.lists(inner, min_size=1, max_size=2)
        | st.dictionaries(_plain, inner, min_size=1, max_size=2)
    ),
    max_leaves=4,
)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(_plain, _value, max_size=4),
    st.sampled_from(["password", "x-fc-security-token", "Client_Secret", "card"]),
    _secret,
    st.integers(min_value=0, max_value=400),
)
def test_no_part_of_a_secret_value_survives_any_cut(event, key, secret, cut):
    event = {**event, "nested": [{key: secret, "after": "ok"}]}
    text = json.dumps(event, ensure_ascii=False)
    masked = mask_json_text(text[:cut], ("card",))
    assert "Z" not in masked and "0.5" not in masked
    if cut >= len(text):  # the whole text: the same as masking the parsed event
        assert json.loads(masked) == _logstep.mask_fields(event, ("card",))


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(_plain, _value, max_size=4),
    _secret,
    st.integers(min_value=1, max_value=300),
    st.booleans(),
)
def test_a_capped_event_stays_within_the_cap_and_never_shows_a_secret(event, secret, limit, text):
    event = {**event, "auth": {"client_secret": secret}}
    raw = json.dumps(event, ensure_ascii=False)
    logged, value = capped_event(None, raw if text else raw.encode(), (), limit)
    assert "Z" not in logged and "0.5" not in logged
    head = logged.split("... [cut: ")[0]
    assert len(head.encode()) <= limit
    if len(raw.encode()) <= limit and len(logged.encode()) <= limit:
        assert value == _logstep.mask_fields(event)  # small enough: logged whole, as an object
