"""Models as ``@fc.handler(model=...)`` on FC's bytes: batch lists, Tablestore CBOR, lazy imports."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import fcsdk as fc
from fcsdk.errors import format_loc
from fcsdk.testing import events, invoke


def _run(code: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return out.stdout.strip()


def test_import_fcsdk_does_not_import_events():
    code = "import sys, fcsdk; print(sorted(m for m in sys.modules if m.startswith(('fcsdk.events', 'fcsdk.envelopes', 'fcsdk.testing'))))"
    assert _run(code) == "[]"


def test_one_model_module_does_not_build_the_others():
    code = (
        "import sys; import fcsdk as fc; fc.events.TimerEvent; "
        "print(sorted(m for m in sys.modules if m.startswith('fcsdk.events')))"
    )
    assert _run(code) == "['fcsdk.events', 'fcsdk.events._base', 'fcsdk.events.timer']"


def test_public_names_resolve_and_match_the_lazy_table():
    import fcsdk.envelopes as envs
    import fcsdk.events as evs

    for module in (evs, envs):
        assert sorted(module.__all__) == sorted(module._MODULES)
        for name in module.__all__:
            assert getattr(module, name) is not None
        assert set(module.__all__) <= set(dir(module))
        with pytest.raises(AttributeError):
            module.NoSuchThing  # noqa: B018


@pytest.mark.parametrize(
    ("model", "factory", "count"),
    [
        ("KafkaEvent", lambda: events.kafka(values=["a", "b"]), 2),
        ("MNSQueueEvent", lambda: events.mns_queue(bodies=["a", "b", "c"]), 3),
        ("RocketMQEvent", lambda: events.rocketmq(bodies=["a"]), 1),
        ("RabbitMQEvent", lambda: events.rabbitmq(bodies=[{}, {}]), 2),
        ("DTSEvent", events.dts, 1),
        ("SelfHostedRocketMQEvent", lambda: events.rocketmq_selfhosted(bodies=["a", "b"]), 2),
        ("MQTTEvent", lambda: events.mqtt(bodies=["a", "b"]), 2),
    ],
)
def test_batch_triggers_hand_the_handler_a_list(model, factory, count):
    @fc.handler(model=getattr(fc.events, model))
    def handler(event, context):
        assert isinstance(event, list)
        return len(event)

    assert invoke(handler, factory()).json() == count


def test_batch_error_names_the_item():
    raw = json.loads(events.kafka(values=["a", "b"]))
    del raw[1]["id"]

    @fc.handler
    def handler(event: fc.events.KafkaEvent) -> int:
        return len(event)

    with pytest.raises(fc.EventValidationError) as info:
        handler(json.dumps(raw), None)
    assert info.value.errors()[0]["loc"] == (1, "id")


class TestTablestore:
    def test_cbor_bytes_are_decoded(self):
        @fc.handler(model=fc.events.TablestoreEvent)
        def handler(event, context):
            rec = event.records[0]
            return {"pk": rec.primary_key_dict(), "cols": rec.columns_dict()}

        body = invoke(handler, events.tablestore()).json()
        assert body["pk"]["pk_0"] == 1506416585881590900
        assert body["cols"]["attr_0"] == "hello_table_store"

    def test_value_types_are_kept(self):
        records = [
            {
                "Type": "UpdateRow",
                "PrimaryKey": [{"ColumnName": "id", "Value": b"\x00\xff"}],
                "Columns": [
                    {"Type": "Put", "ColumnName": "b", "Value": True},
                    {"Type": "Put", "ColumnName": "i", "Value": 1},
                    {"Type": "Put", "ColumnName": "f", "Value": 1.5},
                    {"Type": "Put", "ColumnName": "s", "Value": "x"},
                    {"Type": "DeleteOneVersion", "ColumnName": "d", "Timestamp": 1},
                ],
            }
        ]
        ev = fc.events.TablestoreEvent.from_cbor(events.tablestore(records=records))
        cols = ev.records[0].columns_dict()
        assert [type(cols[k]) for k in "bifs"] == [bool, int, float, str]
        assert cols["d"] is None
        assert ev.records[0].primary_key_dict() == {"id": b"\x00\xff"}
        assert fc.events.TablestoreEvent.from_cbor(ev.to_cbor()) == ev
        # invoke() encodes a TablestoreEvent as CBOR, like FC
        seen = []

        @fc.handler
        def handler(event: fc.events.TablestoreEvent) -> str:
            seen.append(event)
            return "ok"

        invoke(handler, ev)
        assert seen == [ev]

    def test_json_and_dict_events_are_accepted(self):
        decoded = (
            __import__("pathlib").Path(__file__).parent / "data/events/tablestore.decoded.json"
        ).read_bytes()
        dec = fc.events.TablestoreEvent.__fcsdk_decoder__(include_input=False)
        assert dec(decoded) == dec(json.loads(decoded)) == dec(decoded.decode())
        assert dec(bytearray(events.tablestore())).version == "Sync-v1"

    @pytest.mark.parametrize("data", [b"\xff\xfe", b"\x9f", b"\xa1\x61", b"\x1c"])
    def test_bad_cbor_is_an_event_decode_error(self, data):
        with pytest.raises(fc.EventDecodeError, match="CBOR"):
            fc.events.TablestoreEvent.from_cbor(data)

    def test_cbor_of_the_wrong_shape_is_a_validation_error(self):
        import cbor2

        with pytest.raises(fc.EventValidationError, match=r"Records\[0\]\.PrimaryKey"):
            fc.events.TablestoreEvent.from_cbor(cbor2.dumps({"Records": [{"Type": "PutRow"}]}))
        with pytest.raises(fc.EventValidationError):
            fc.events.TablestoreEvent.from_cbor(cbor2.dumps([1, 2]))

    def test_empty_event(self):
        with pytest.raises(fc.EventDecodeError, match="empty"):
            fc.events.TablestoreEvent.from_cbor(b"")

    def test_missing_cbor2_names_the_extra(self, monkeypatch):
        monkeypatch.setitem(sys.modules, "cbor2", None)  # makes "import cbor2" fail
        with pytest.raises(fc.MissingDependencyError, match=r"fcsdk\[tablestore\]"):
            fc.events.TablestoreEvent.from_cbor(b"\xa0")

    @pytest.mark.parametrize(
        ("where", "value"),
        [
            ("Columns", {"a": 1}),
            ("Columns", [1, 2]),
            ("PrimaryKey", {"a": 1}),
            ("PrimaryKey", None),
        ],
    )
    def test_a_bad_value_is_one_error_at_the_values_path(self, where, value):
        import cbor2

        raw = json.loads(
            (
                __import__("pathlib").Path(__file__).parent / "data/events/tablestore.decoded.json"
            ).read_bytes()
        )
        raw["Records"][0][where][0]["Value"] = value

        @fc.handler(model=fc.events.TablestoreEvent)
        def handler(event, context):
            return "ok"

        with pytest.raises(fc.EventValidationError) as info:
            handler(cbor2.dumps(raw), None)
        loc = ("Records", 0, where, 0, "Value")
        msg = "Input should be int, str, bool, float or bytes"
        assert [(e["loc"], e["msg"]) for e in info.value.errors()] == [(loc, msg)]
        assert (
            str(info.value) == f"1 validation error for TablestoreEvent: {format_loc(loc)}: {msg}"
        )
