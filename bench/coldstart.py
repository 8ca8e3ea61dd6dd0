"""Whole-process cold start of a typed handler: fcsdk against its anchors, in one run.

Each case is a handler module run as FC's runtime would run it on a new instance, in a fresh
``python -I`` process: interpreter start, imports, model definition, decoration and the FIRST
invocation with the event's bytes and a native (shape A) context; then ``os._exit`` (an instance
stays up after its first response: interpreter teardown is not part of a cold start). Cases run interleaved
(A B C ... A B C ...) so that machine load hits each alike; figures are medians of the CPU time
(user + system, measured by the kernel: steadier than wall time on a busy machine, and what a
small FC instance's fraction of a vCPU pays for), of wall time, and of the peak RSS of each
process (FC bills memory).

Cases:

- ``python -I (empty)``: the interpreter alone (the floor);
- ``import fcsdk`` / ``from pydantic import BaseModel``: the imports alone;
- ``raw json.loads``: no validation (what FC's examples do): the anchor of msgspec rows;
- ``bare pydantic``: ``Order.model_validate_json(event)``: the anchor of pydantic rows;
- ``fcsdk + pydantic``: ``@fc.handler`` with the same model;
- ``powertools event_parser + pydantic`` (``pip install -e '.[bench]'``);
- ``bare msgspec`` / ``fcsdk + msgspec``: the same 3 fields as a ``msgspec.Struct``;
- ``bare pydantic, OSS-shaped`` / ``fcsdk OSSEvent``: the OSS trigger's 9 models written by
  hand, against ``fc.events.OSSEvent``, on FC's sample OSS event.

``--fc-preload`` first imports, in every case, what FC's built-in Python runtime has imported
before it loads the handler (its bootstrap's top-level imports: logging, json, base64, datetime,
decimal, traceback, signal, and ``imp``'s importlib/tokenize): those are paid on FC whatever the
handler does, so this shows what a handler adds on a real instance.

Run: ``python bench/coldstart.py`` (15 runs of each case, ~20 s on an idle core);
``--runs N`` for steadier figures, ``--only SUBSTRING`` to run some cases.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Optional

SMALL = b'{"order_id": "o-1", "qty": 2, "price": 9.5}'
OSS = (
    b'{"events": [{"eventName": "ObjectCreated:PutObject", "eventSource": "acs:oss", '
    b'"eventTime": "2022-08-13T06:45:43.000Z", "eventVersion": "1.0", "oss": {"bucket": '
    b'{"arn": "acs:oss:cn-hangzhou:123456789:testbucket", "name": "testbucket", '
    b'"ownerIdentity": "164901546557"}, "object": {"deltaSize": 122539, "eTag": "688A7BF4", '
    b'"key": "source/a.png", "objectMeta": {"mimeType": "application/zip", "userMeta": '
    b'{"x-oss-meta-last-modified": "20250213"}}, "size": 122539}, "ossSchemaVersion": "1.0", '
    b'"ruleId": "9adac8e2"}, "region": "cn-hangzhou", "requestParameters": '
    b'{"sourceIPAddress": "140.205.1.1"}, "responseElements": {"requestId": "58F9FF2D"}, '
    b'"userIdentity": {"principalId": "164901546557"}}]}'
)

# What FC's python3.9/3.10 runtime passes as the context (shape A), and the call it makes.
_NATIVE = """
class _Obj:
    def __init__(self, **kw):
        self.__dict__.update(kw)
CONTEXT = _Obj(
    request_id="req-1",
    credentials=_Obj(access_key_id="id", access_key_secret="secret", security_token="token"),
    function=_Obj(name="orders", handler="index.handler", memory=512, timeout="30",
                  initializer=None),
    service=_Obj(name="svc", log_project="p", log_store="s", qualifier="LATEST",
                 version_id="1"),
    tracing=_Obj(span_context="", jaeger_endpoint="", span_baggages={}),
    region="cn-hangzhou", account_id="123", retry_count="0",
)
"""


def _call(event: bytes, expect: str) -> str:
    return _NATIVE + f"assert handler({event!r}, CONTEXT) == {expect!r}\n"


_ORDER_PYDANTIC = """
from pydantic import BaseModel
class Order(BaseModel):
    order_id: str
    qty: int
    price: float
"""
_ORDER_MSGSPEC = """
import msgspec
class Order(msgspec.Struct):
    order_id: str
    qty: int
    price: float
"""
_OSS_BY_HAND = """
import datetime
from typing import Any, Dict, List, Optional
from pydantic import BaseModel, ConfigDict, Field
class _M(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)
class Bucket(_M):
    name: str
    arn: Optional[str] = None
    owner_identity: Optional[str] = Field(None, alias="ownerIdentity")
    virtual_bucket: Optional[str] = Field(None, alias="virtualBucket")
class ObjectMeta(_M):
    mime_type: Optional[str] = Field(None, alias="mimeType")
    user_meta: Dict[str, Any] = Field(default_factory=dict, alias="userMeta")
class Object(_M):
    key: str
    size: Optional[int] = None
    delta_size: Optional[int] = Field(None, alias="deltaSize")
    e_tag: Optional[str] = Field(None, alias="eTag")
    object_meta: Optional[ObjectMeta] = Field(None, alias="objectMeta")
class Info(_M):
    bucket: Bucket
    object: Object
    oss_schema_version: Optional[str] = Field(None, alias="ossSchemaVersion")
    rule_id: Optional[str] = Field(None, alias="ruleId")
class RequestParameters(_M):
    source_ip_address: Optional[str] = Field(None, alias="sourceIPAddress")
class ResponseElements(_M):
    request_id: Optional[str] = Field(None, alias="requestId")
class UserIdentity(_M):
    principal_id: Optional[str] = Field(None, alias="principalId")
class Record(_M):
    event_name: str = Field(alias="eventName")
    event_source: Optional[str] = Field(None, alias="eventSource")
    event_time: Optional[datetime.datetime] = Field(None, alias="eventTime")
    event_version: Optional[str] = Field(None, alias="eventVersion")
    oss: Info
    region: Optional[str] = None
    request_parameters: Optional[RequestParameters] = Field(None, alias="requestParameters")
    response_elements: Optional[ResponseElements] = Field(None, alias="responseElements")
    user_identity: Optional[UserIdentity] = Field(None, alias="userIdentity")
class OSSEvent(_M):
    events: List[Record]
"""

CASES: dict[str, str] = {
    "python -I (empty)": "",
    "import fcsdk": "import fcsdk\n",
    "from pydantic import BaseModel": "from pydantic import BaseModel\n",
    "raw json.loads": (
        "import json\n"
        "def handler(event, context):\n"
        "    return json.loads(event)['order_id']\n" + _call(SMALL, "o-1")
    ),
    "bare pydantic": (
        _ORDER_PYDANTIC + "def handler(event, context):\n"
        "    return Order.model_validate_json(event).order_id\n" + _call(SMALL, "o-1")
    ),
    "fcsdk + pydantic": (
        "import fcsdk as fc\n" + _ORDER_PYDANTIC + "@fc.handler\n"
        "def handler(event: Order, context: fc.Context) -> str:\n"
        "    return event.order_id\n" + _call(SMALL, "o-1")
    ),
    "powertools event_parser + pydantic": (
        "from aws_lambda_powertools.utilities.parser import event_parser\n"
        + _ORDER_PYDANTIC
        + "@event_parser(model=Order)\n"
        "def _handler(event: Order, context):\n"
        "    return event.order_id\n"
        "def handler(event, context):\n"  # event_parser wants str or dict, FC sends bytes
        "    return _handler(event.decode(), context)\n" + _call(SMALL, "o-1")
    ),
    "bare msgspec": (
        _ORDER_MSGSPEC + "_decode = msgspec.json.Decoder(Order).decode\n"
        "def handler(event, context):\n"
        "    return _decode(event).order_id\n" + _call(SMALL, "o-1")
    ),
    "fcsdk + msgspec": (
        "import fcsdk as fc\n" + _ORDER_MSGSPEC + "@fc.handler\n"
        "def handler(event: Order, context: fc.Context) -> str:\n"
        "    return event.order_id\n" + _call(SMALL, "o-1")
    ),
    "bare pydantic, OSS-shaped": (
        _OSS_BY_HAND + "def handler(event, context):\n"
        "    return OSSEvent.model_validate_json(event).events[0].oss.object.key\n"
        + _call(OSS, "source/a.png")
    ),
    "fcsdk OSSEvent": (
        "import fcsdk as fc\n"
        "@fc.handler\n"
        "def handler(event: fc.events.OSSEvent, context: fc.Context) -> str:\n"
        "    return event.events[0].oss.object.key\n" + _call(OSS, "source/a.png")
    ),
}

# The top-level imports of FC's python3.9/3.10 bootstrap and its helper modules (``imp`` spelled
# out: it is gone in 3.12 and warns before).
FC_PRELOAD = (
    "import base64, datetime, decimal, io, json, logging, os, signal, sys, time, traceback\n"
    "import importlib.machinery, importlib.util, tokenize, types, warnings\n"
)

# Each row's anchor (same run) and the target ratio, when it has one.
ANCHORS: dict[str, tuple[str, Optional[float]]] = {
    "import fcsdk": ("from pydantic import BaseModel", 1 / 3),
    "fcsdk + pydantic": ("bare pydantic", 1.05),
    "powertools event_parser + pydantic": ("bare pydantic", None),
    "bare msgspec": ("raw json.loads", None),
    "fcsdk + msgspec": ("raw json.loads", 1.6),
    "fcsdk OSSEvent": ("bare pydantic, OSS-shaped", None),
}
# Rows whose ratio is of the import alone (the empty interpreter subtracted from both sides).
NET = {"import fcsdk"}


def run_once(path: Path) -> tuple[float, float, int, bool]:
    """Wall and CPU (user + system) seconds, peak RSS (KiB) and success of one fresh
    ``python -I path``."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-I", str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.stderr is not None
    if proc.returncode != 0:
        sys.stderr.write(f"{path.stem}: {proc.stderr.read().decode(errors='replace')[-600:]}\n")
    proc.stderr.close()
    cpu = usage.ru_utime + usage.ru_stime
    return elapsed, cpu, usage.ru_maxrss, proc.returncode == 0


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="fresh processes per case (15)")
    parser.add_argument("--only", action="append", default=[], help="run cases containing this")
    parser.add_argument(
        "--fc-preload", action="store_true", help="import what FC's runtime has loaded, first"
    )
    args = parser.parse_args(argv)
    prelude = FC_PRELOAD if args.fc_preload else ""
    names = [n for n in CASES if not args.only or any(s in n for s in args.only)]
    samples: dict[str, list[tuple[float, float, int]]] = {n: [] for n in names}
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for i, name in enumerate(names):
            paths[name] = Path(tmp, f"case{i}.py")
            # os._exit right after the first response: an FC instance stays up, so interpreter
            # teardown (tens of ms once pydantic is loaded) is no part of its cold start.
            paths[name].write_text(prelude + CASES[name] + "import os\nos._exit(0)\n")
        failed = set()
        for name in names:  # once each first: bytecode caches written, failures shown early
            if not run_once(paths[name])[3]:
                failed.add(name)
        for _ in range(args.runs):  # interleaved: A B C ... A B C ...
            for name in names:
                if name not in failed:
                    samples[name].append(run_once(paths[name])[:3])
    print(f"Python {sys.version.split()[0]}, {args.runs} fresh `python -I` processes per case")
    if args.fc_preload:
        print("every case first imports what FC's built-in runtime has loaded (--fc-preload)")
    print(
        "Medians of CPU time (user+sys: what a fraction of a vCPU pays; ratios use it), wall\n"
        "time and peak RSS, for start, imports, model, decoration and the first call.\n"
    )
    print(f"  {'case':36s} {'CPU':>8s} {'wall':>8s} {'RSS':>9s}")
    cpu = {n: statistics.median(s[1] for s in v) * 1000 for n, v in samples.items() if v}
    floor = cpu.get("python -I (empty)")
    for name in names:
        if name not in cpu:
            print(f"  {name:36s}   failed (see above)")
            continue
        wall = statistics.median(s[0] for s in samples[name]) * 1000
        rss = statistics.median(s[2] for s in samples[name]) / 1024
        line = f"  {name:36s} {cpu[name]:5.1f} ms {wall:5.1f} ms {rss:5.1f} MiB"
        anchor, target = ANCHORS.get(name, (None, None))
        if anchor is not None and anchor in cpu:
            if name in NET and floor is not None:
                ratio = (cpu[name] - floor) / max(cpu[anchor] - floor, 1e-9)
                line += f"  {ratio:5.2f}x {anchor} (imports only)"
            else:
                ratio = cpu[name] / cpu[anchor]
                line += f"  {ratio:5.2f}x {anchor}"
            if target is not None:
                line += f" (target <= {target:.2f}x)"
        print(line)


if __name__ == "__main__":
    main()
