"""Benchmark: what an invalid event costs, fcsdk against pydantic alone, in one run.

Run: ``python bench/hostile.py`` (``--items 1000000`` is the issue's 2 MB event
``[{}, {}, ...]`` against ``list[Order]``, the default; ``--quick`` uses 100,000 items).

Each measurement runs in a fresh interpreter with a memory limit (``RLIMIT_AS``) and a
timeout, so a regression cannot take the machine down: it reports wall time and the extra peak
resident memory (``ru_maxrss`` after the call minus before it) of

- ``pydantic``: ``TypeAdapter(list[Order]).validate_json(event)`` raising ``ValidationError``
  (the anchor: pydantic's own cost, errors not even turned into Python objects);
- ``pydantic+errors`` (with ``--naive``): the same, then ``exc.errors()`` (what a naive
  wrapper pays, fcsdk 0.1.0 twice over);
- ``fcsdk``: ``@fc.handler`` on ``list[Order]`` raising ``fc.EventValidationError``;
- ``router``: an :class:`fcsdk.http.Router` ``POST`` route with a ``list[Order]`` body,
  answering 422 (the size of the 422 body is printed too).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time
kind, items = sys.argv[1], int(sys.argv[2])
from pydantic import BaseModel, TypeAdapter, ValidationError
import fcsdk as fc
from fcsdk.http import Router, Request

class Order(BaseModel):
    id: str
    qty: int

event = b"[" + b"{}," * (items - 1) + b"{}]"
adapter = TypeAdapter(list[Order])

@fc.handler
def handler(orders: list[Order]) -> int:
    return len(orders)

router = Router()

@router.post("/orders")
def post(body: list[Order]) -> int:
    return len(body)

request = Request("POST", "/orders", headers={"content-type": "application/json"}, body=event)
adapter.validate_json(b'[{"id": "a", "qty": 1}]')  # warm up every path once
handler(b'[{"id": "a", "qty": 1}]', None)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
out = {"bytes": len(event)}
start, cpu_start = time.perf_counter(), time.process_time()
if kind.startswith("pydantic"):
    try:
        adapter.validate_json(event)
    except ValidationError as exc:
        out["errors"] = exc.error_count()
        if kind == "pydantic+errors":
            out["errors"] = len(exc.errors())
elif kind == "fcsdk":
    try:
        handler(event, None)
    except fc.EventValidationError as exc:
        out["errors"] = len(exc.errors())
        out["message"] = len(str(exc))
else:
    response = router.handle(request)
    out["status"] = response.status_code
    out["body"] = len(response.body)
out["seconds"] = time.perf_counter() - start
out["cpu_seconds"] = time.process_time() - cpu_start  # what the load of the machine moves least
out["extra_mb"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
print(json.dumps(out))
"""


def measure(kind: str, items: int, limit_mb: int, timeout: float) -> dict[str, object]:
    """Run one measurement in a child interpreter limited to ``limit_mb`` and ``timeout``."""
    import resource

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit_mb << 20, limit_mb << 20))

    try:
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, kind, str(items)],
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=limit,
        )
    except subprocess.TimeoutExpired:
        return {"failed": f"over {timeout:.0f} s"}
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        return {"failed": last[:100]}
    result: dict[str, object] = json.loads(proc.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000, help="invalid items (default 1M)")
    parser.add_argument("--quick", action="store_true", help="100,000 items")
    parser.add_argument("--limit-mb", type=int, default=4096, help="address-space limit per run")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per run")
    parser.add_argument("--naive", action="store_true", help="also pydantic + exc.errors()")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    items = 100_000 if args.quick else args.items
    kinds = (
        ("pydantic", "pydantic+errors", "fcsdk", "router")
        if args.naive
        else (
            "pydantic",
            "fcsdk",
            "router",
        )
    )
    results = {k: measure(k, items, args.limit_mb, args.timeout) for k in kinds}
    if args.json:
        print(json.dumps(results))
        return
    size = 3 * items
    print(f'event: b"[" + b"{{}},"*{items - 1} + b"{{}}]" ({size / 1e6:.1f} MB), list[Order]')
    print(f"{'':<17}{'seconds':>9}{'extra MB':>10}  detail")
    for kind, r in results.items():
        if "failed" in r:
            print(f"{kind:<17}  failed: {r['failed']}")
            continue
        detail = ", ".join(f"{k}={r[k]}" for k in ("errors", "message", "status", "body") if k in r)
        print(f"{kind:<17}{r['seconds']:>9.3f}{r['extra_mb']:>10.1f}  {detail}")


if __name__ == "__main__":
    main()
