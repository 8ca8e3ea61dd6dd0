"""docs/notes/observability.md stays true: the SLS index lists exactly the JSON log fields, and
the SLS data-processing rule, interpreted step by step over a real metrics line, yields
MetricStore's columns with the values that were added."""

from __future__ import annotations

import ast
import io
import json
import logging
import re
from pathlib import Path
from typing import Any

import fcsdk as fc
from fcsdk._jsonlog import EXCEPTION_FIELDS, JSON_FIELDS
from fcsdk.logging import setup
from fcsdk.metrics import SAMPLE_FIELDS, Metrics

NOTE = Path(__file__).resolve().parents[1] / "docs" / "notes" / "observability.md"


def block_after(marker: str) -> str:
    text = NOTE.read_text(encoding="utf-8")
    m = re.search(re.escape(marker) + r"\n```\w*\n(.*?)\n```", text, re.DOTALL)
    assert m, f"no block after {marker}"
    return m.group(1)


def json_log_lines() -> list[dict[str, Any]]:
    buf = io.StringIO()
    log = logging.getLogger("test-observability-docs")
    log.propagate = False
    handler = setup("json", stream=buf, target=log, keep_runtime=False)
    try:

        @fc.handler
        def handler(event: bytes) -> str:
            log.info("fine")
            try:
                raise ValueError("bad")
            except ValueError:
                log.exception("failed")
            return "ok"

        handler(b"", {"x-fc-request-id": "r-1"})
    finally:
        log.removeHandler(handler)
    return [json.loads(line) for line in buf.getvalue().splitlines()]


def test_the_documented_index_covers_exactly_the_written_fields():
    index = json.loads(block_after("<!-- sls-index -->"))
    keys = index["keys"]["message"]
    assert keys["type"] == "json"
    documented = keys["json_keys"]
    assert list(documented) == [*JSON_FIELDS, "exception"]
    assert list(documented["exception"]["json_keys"]) == list(EXCEPTION_FIELDS)
    plain, failed = json_log_lines()
    assert list(plain) == list(JSON_FIELDS)
    assert list(failed) == [*JSON_FIELDS, "exception"]
    assert list(failed["exception"]) == list(EXCEPTION_FIELDS)


def test_the_note_lists_the_fields_in_prose_too():
    text = NOTE.read_text(encoding="utf-8")
    for name in (*JSON_FIELDS, *EXCEPTION_FIELDS):
        assert f"`{name}`" in text


def _calls(rule: str) -> list[tuple[str, list[Any], dict[str, Any]]]:
    out = []
    for stmt in ast.parse(rule).body:
        assert isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
        call = stmt.value
        assert isinstance(call.func, ast.Name)
        out.append((call.func.id, call.args, {k.arg: k.value for k in call.keywords}))
    return out


def _literal(node: Any) -> Any:
    if isinstance(node, ast.Name) and node.id == "F_TIME":
        return "__time__"
    return ast.literal_eval(node)


def apply_rule(rule: str, log: dict[str, str]) -> list[dict[str, str]]:
    """The documented SLS DSL rule, run over one log (fields as SLS stores them: strings)."""
    logs = [dict(log)]
    for name, args, kwargs in _calls(rule):
        if name == "e_keep":
            (cond,) = args
            assert isinstance(cond, ast.Call) and cond.func.id == "regex_match"
            field_call, pattern = cond.args
            assert field_call.func.id == "v"
            field = _literal(field_call.args[0])
            logs = [x for x in logs if re.search(_literal(pattern), x.get(field, ""))]
        elif name == "e_json" and "jmes" in kwargs:
            field, key, output = (
                _literal(args[0]),
                _literal(kwargs["jmes"]),
                _literal(kwargs["output"]),
            )
            for x in logs:
                x[output] = json.dumps(json.loads(x[field])[key])
        elif name == "e_split":
            field, output = _literal(args[0]), _literal(kwargs["output"])
            assert _literal(kwargs["jmes"]) == "[*]"
            logs = [{**x, output: json.dumps(item)} for x in logs for item in json.loads(x[field])]
        elif name == "e_json":
            field = _literal(args[0])
            assert _literal(kwargs["depth"]) == 1
            for x in logs:
                x.update({k: str(v) for k, v in json.loads(x[field]).items()})
        elif name == "e_keep_fields":
            keep = [_literal(a) for a in args]
            logs = [{k: v for k, v in x.items() if k in keep} for x in logs]
        else:
            raise AssertionError(f"the test does not know {name}")
    return logs


def test_the_documented_rule_turns_a_real_line_into_metricstore_rows():
    out = io.StringIO()
    metrics = Metrics(namespace="shop", service="orders", stream=out)

    @fc.handler
    @metrics.log_metrics
    def handler(event: bytes) -> str:
        metrics.add_dimension("channel", "web")
        metrics.add_metric("OrdersPlaced", "Count", 1)
        metrics.add_metric("Latency", "Milliseconds", 12.5)
        metrics.add_metric("Latency", "Milliseconds", 7)
        return "ok"

    handler(b"", {"x-fc-request-id": "r-1", "x-fc-function-name": "place"})
    line = out.getvalue().strip()
    rule = block_after("<!-- sls-metrics-rule -->")
    rows = apply_rule(rule, {"__time__": "1700000000", "message": line})
    assert all(set(r) == {"__time__", *SAMPLE_FIELDS} for r in rows)
    assert [(r["__name__"], float(r["__value__"])) for r in rows] == [
        ("OrdersPlaced", 1.0),
        ("Latency", 12.5),
        ("Latency", 7.0),
    ]
    labels = dict(pair.split("#$#") for pair in rows[0]["__labels__"].split("|"))
    assert labels == {
        "channel": "web",
        "function_name": "place",
        "namespace": "shop",
        "service": "orders",
    }
    points = {(r["__name__"], r["__labels__"], r["__time_nano__"]) for r in rows}
    assert len(points) == 3  # no point overwrites another of its series
    # ordinary log lines are not metrics
    assert apply_rule(rule, {"__time__": "1", "message": '{"level": "INFO"}'}) == []
    assert (
        apply_rule(rule, {"__time__": "1", "message": "2024-01-02T03:04:05.678Z r [INFO] x"}) == []
    )
