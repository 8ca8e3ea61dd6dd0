"""Benchmark: fcsdk's HTTP router and ASGI bridge against Mangum (the anchor).

Per-request time (in process, warm) and cold start (a fresh interpreter: imports, building the
app, and the first request) for

- ``router``: fcsdk.http.Router with a pydantic body model, on the FC 3.0 HTTP event (bytes);
- ``router-no-pydantic``: the same API reading the JSON body itself (no pydantic imported);
- ``fc-asgi``: the same API in FastAPI, through ``fc.http.asgi``, on the FC event (bytes);
- ``mangum``: the same FastAPI app through Mangum on the equivalent API Gateway HTTP API (v2)
  event, with Mangum's default ``lifespan="auto"`` (it runs the lifespan on every call) and
  with ``lifespan="off"``;
- ``fc-asgi-async`` and ``mangum-lifespan-off-async``: the same requests to ``async def``
  endpoints of that app (per request only), where FastAPI has no threadpool hop of its own.

Targets: the bridge's per-request time no worse than Mangum's; the router's cold start under a
third of FastAPI's. Run: ``python bench/http_triggers.py [--requests N] [--cold-runs N]``.
"""

from __future__ import annotations

import os
import sys

# This file is named like the stdlib's http package: keep its folder off sys.path.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from typing import Any, Callable  # noqa: E402

ROUTER_APP = """
from pydantic import BaseModel
import fcsdk as fc
app = fc.http.Router()
class Item(BaseModel):
    name: str
    qty: int
@app.get("/items/{item_id}")
def get_item(item_id: int, q: str = "") -> dict:
    return {"id": item_id, "q": q}
@app.post("/items")
def create(item: Item) -> Item:
    return item
handler = app
"""

ROUTER_PLAIN_APP = """
import fcsdk as fc
app = fc.http.Router()
@app.get("/items/{item_id}")
def get_item(item_id: int, q: str = "") -> dict:
    return {"id": item_id, "q": q}
@app.post("/items")
def create(request: fc.http.Request) -> dict:
    data = request.json()
    return {"name": str(data["name"]), "qty": int(data["qty"])}
handler = app
"""

FASTAPI_APP = """
from fastapi import FastAPI
from pydantic import BaseModel
api = FastAPI()
class Item(BaseModel):
    name: str
    qty: int
@api.get("/items/{item_id}")
def get_item(item_id: int, q: str = "") -> dict:
    return {"id": item_id, "q": q}
@api.post("/items")
def create(item: Item) -> Item:
    return item
@api.get("/async/items/{item_id}")
async def aget_item(item_id: int, q: str = "") -> dict:
    return {"id": item_id, "q": q}
@api.post("/async/items")
async def acreate(item: Item) -> Item:
    return item
"""

SETUPS = {
    "router": ROUTER_APP,
    "router-no-pydantic": ROUTER_PLAIN_APP,
    "fc-asgi": FASTAPI_APP + "import fcsdk as fc\nhandler = fc.http.asgi(api)\n",
    "mangum": FASTAPI_APP + "from mangum import Mangum\nhandler = Mangum(api)\n",
    "mangum-lifespan-off": FASTAPI_APP
    + "from mangum import Mangum\nhandler = Mangum(api, lifespan='off')\n",
}
# The same two requests to ``async def`` endpoints: no threadpool hop inside FastAPI, so the
# bridge's own hop to fcsdk's loop thread shows (Mangum runs the loop in the calling thread).
ASYNC_KINDS = {"fc-asgi-async": "fc-asgi", "mangum-lifespan-off-async": "mangum-lifespan-off"}


def fc_event(method: str, path: str, query: str, body: str) -> bytes:
    from fcsdk.http.testing import make_event

    headers = {"Content-Type": "application/json", "User-Agent": "bench"} if body else {}
    return make_event(
        method, f"{path}?{query}" if query else path, body=body or None, headers=headers
    )


def apigw_v2_event(method: str, path: str, query: str, body: str) -> dict[str, Any]:
    headers = {"host": "api.example.com", "user-agent": "bench"}
    if body:
        headers["content-type"] = "application/json"
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api",
            "domainName": "api.example.com",
            "domainPrefix": "api",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "bench",
            },
            "requestId": "r-1",
            "routeKey": "$default",
            "stage": "$default",
            "time": "05/Oct/2024:04:40:08 +0000",
            "timeEpoch": 1728103208000,
        },
        "body": body,
        "isBase64Encoded": False,
    }


REQUESTS = [
    ("GET", "/items/7", "q=pen", ""),
    ("POST", "/items", "", '{"name": "pen", "qty": 2}'),
]


class _LambdaContext:
    function_name = "bench"
    aws_request_id = "r-1"


def _events(kind: str) -> list[Any]:
    make = apigw_v2_event if kind.startswith("mangum") else fc_event
    prefix = "/async" if kind in ASYNC_KINDS else ""
    return [make(m, prefix + path, q, body) for m, path, q, body in REQUESTS]


def _status(kind: str, result: Any) -> int:
    data = result if isinstance(result, dict) else json.loads(result)
    return int(data["statusCode"])


def per_request(kind: str, n: int) -> float:
    """Median microseconds per request over ``n`` requests (alternating GET and POST)."""
    ns: dict[str, Any] = {}
    exec(SETUPS[ASYNC_KINDS.get(kind, kind)], ns)
    handler: Callable[..., Any] = ns["handler"]
    context: Any = _LambdaContext() if kind.startswith("mangum") else None
    events = _events(kind)
    for ev in events:  # warm up, check it works
        assert _status(kind, handler(ev, context)) == 200, kind
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        for i in range(n):
            handler(events[i & 1], context)
        samples.append((time.perf_counter() - start) / n * 1e6)
    if hasattr(handler, "pre_stop"):
        handler.pre_stop(None)
    return statistics.median(samples)


def loop_hop(n: int = 2000) -> float:
    """Median microseconds of ``fcsdk._aio.run`` on a coroutine that does nothing."""
    from fcsdk import _aio

    async def noop() -> None:
        return None

    _aio.run(noop())
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(n):
            _aio.run(noop())
        samples.append((time.perf_counter() - start) / n * 1e6)
    return statistics.median(samples)


COLD = """
import time
t0 = time.perf_counter()
{setup}
import json
ev = {event!r}
ctx = {ctx}
result = handler(ev, ctx)
t1 = time.perf_counter()
status = (result if isinstance(result, dict) else json.loads(result))["statusCode"]
assert status == 200, status
print(json.dumps({{"in_process_ms": (t1 - t0) * 1000}}))
"""


def cold_start(kind: str, runs: int) -> tuple[float, float]:
    """Median (in-process imports + first request, whole process wall time) in ms."""
    event = _events(kind)[0]
    ctx = "type('C', (), {'aws_request_id': 'r'})()" if kind.startswith("mangum") else "None"
    code = COLD.format(setup=SETUPS[kind], event=event, ctx=ctx)
    inner, wall = [], []
    for _ in range(runs):
        start = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout
        wall.append((time.perf_counter() - start) * 1000)
        inner.append(json.loads(out.strip().splitlines()[-1])["in_process_ms"])
    return statistics.median(inner), statistics.median(wall)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--cold-runs", type=int, default=5)
    args = parser.parse_args(argv)
    kinds = list(SETUPS)
    print(
        f"python {sys.version.split()[0]}, {args.requests} requests x5, {args.cold_runs} cold runs"
    )
    print(
        f"{'handler':<22}{'per request (us)':>18}{'cold: imports+1st (ms)':>26}{'cold: process (ms)':>22}"
    )
    results = {}
    for kind in kinds:
        warm = per_request(kind, args.requests)
        inner, wall = cold_start(kind, args.cold_runs)
        results[kind] = (warm, inner, wall)
        print(f"{kind:<22}{warm:>18.1f}{inner:>26.1f}{wall:>22.1f}")
    for kind in ASYNC_KINDS:  # cold start is the same app's
        results[kind] = (per_request(kind, args.requests), 0.0, 0.0)
        print(f"{kind:<26}{results[kind][0]:>14.1f}{'-':>26}{'-':>22}")
    bridge, anchor = results["fc-asgi"][0], results["mangum-lifespan-off"][0]
    ratio = results["router"][1] / results["fc-asgi"][1]
    plain = results["router-no-pydantic"][1] / results["fc-asgi"][1]
    print(
        f"bridge vs Mangum (lifespan off) per request: {bridge / anchor:.2f}x "
        f"(target <= 1.0); vs Mangum default: {bridge / results['mangum'][0]:.2f}x; "
        f"async endpoints: {results['fc-asgi-async'][0] / results['mangum-lifespan-off-async'][0]:.2f}x"
    )
    print(
        f"router cold start / FastAPI cold start: {ratio:.2f} with a pydantic model, "
        f"{plain:.2f} without (target < 0.33)"
    )
    print(f"one hop to fcsdk's shared event loop (no-op coroutine): {loop_hop():.1f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
