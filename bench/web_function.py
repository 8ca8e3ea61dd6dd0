"""Benchmark a FastAPI app as an FC 3.0 web function: under `fcsdk serve` against the same app
under plain uvicorn (the anchor), on loopback, in one run.

Both servers are uvicorn with the same parser and loop (httptools and uvloop when installed) and
no access log; every request carries FC's x-fc-* header set, as FC adds it to each request of an
HTTP trigger. The load client (wrk when installed, else a bounded asyncio HTTP/1.1 keep-alive
client) runs GET /hello/{name} (an `async def` endpoint) at concurrency 1 and 16, and a `def`
endpoint (FastAPI's thread pool) at 16, a few seconds each, the two servers interleaved (medians
of --rounds runs). Target: fcsdk serve >= 0.9x uvicorn.

Run:  python bench/web_function.py [--duration 2] [--client auto|wrk|asyncio]
Needs: pip install -e '.[server]' fastapi; optionally wrk (apt-get install wrk).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from serve import free_port, wait_port  # bench/serve.py, beside this script

ROOT = Path(__file__).resolve().parent.parent

APP = """
from fastapi import FastAPI
import fcsdk as fc

api = FastAPI()

@api.get("/hello/{name}")
async def hello(name: str) -> dict:
    return {"hello": name}

@api.get("/sync/{name}")
def hello_sync(name: str) -> dict:
    return {"hello": name}

handler = fc.http.asgi(api)
"""

#: What FC adds to each request of a web function (values as FC sends them).
FC_HEADERS = {
    "x-fc-request-id": "1-6789abcd-0123456789abcdef01234567",
    "x-fc-access-key-id": "STS.NUexampleAccessKeyId",
    "x-fc-access-key-secret": "exampleAccessKeySecret0123456789",
    "x-fc-security-token": "CAIS" + "x" * 400,
    "x-fc-function-name": "web-function",
    "x-fc-function-handler": "index.handler",
    "x-fc-function-memory": "512",
    "x-fc-function-timeout": "30",
    "x-fc-region": "cn-hangzhou",
    "x-fc-account-id": "1234567890123456",
    "x-fc-qualifier": "LATEST",
    "x-fc-version-id": "",
    "x-fc-retry-count": "0",
}


def run_wrk(url: str, conns: int, seconds: float) -> tuple[float, float, float]:
    cmd = ["wrk", f"-t{min(conns, 2)}", f"-c{conns}", f"-d{max(1, round(seconds))}s", "--latency"]
    for name, value in FC_HEADERS.items():
        cmd += ["-H", f"{name}: {value}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    if re.search(r"Non-2xx", out):
        raise RuntimeError(f"non-2xx answers:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def pct(p: str) -> float:
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)\b", out)
        assert m, out
        return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]

    return rps, pct("50"), pct("99")


async def _worker(port: int, path: str, until: float, lat: list[float]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    extra = "".join(f"{k}: {v}\r\n" for k, v in FC_HEADERS.items())
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}\r\n".encode()
    try:
        while time.perf_counter() < until:
            start = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            m = re.search(rb"(?i)content-length:\s*(\d+)", head)
            await reader.readexactly(int(m.group(1)) if m else 0)
            if not head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(head.decode("latin-1"))
            lat.append((time.perf_counter() - start) * 1000)
    finally:
        writer.close()
        await writer.wait_closed()


def run_asyncio(url: str, conns: int, seconds: float) -> tuple[float, float, float]:
    m = re.match(r"http://[^:/]+:(\d+)(/.*)", url)
    assert m
    port, path = int(m.group(1)), m.group(2)
    lat: list[float] = []

    async def main() -> float:
        start = time.perf_counter()
        await asyncio.gather(*(_worker(port, path, start + seconds, lat) for _ in range(conns)))
        return time.perf_counter() - start

    elapsed = asyncio.run(main())
    qs = statistics.quantiles(lat, n=100)
    return len(lat) / elapsed, qs[49], qs[98]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=2.0, help="seconds per run (bounded)")
    parser.add_argument("--client", choices=("auto", "wrk", "asyncio"), default="auto")
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds per run; medians are printed (default 3)"
    )
    args = parser.parse_args()
    duration = min(max(args.duration, 0.5), 30.0)
    rounds = min(max(args.rounds, 1), 9)
    use_wrk = args.client == "wrk" or (args.client == "auto" and shutil.which("wrk"))
    client = run_wrk if use_wrk else run_asyncio
    tmp = Path(tempfile.mkdtemp(prefix="fcsdk-web-bench-"))
    (tmp / "webapp.py").write_text(APP)
    env = dict(os.environ, PYTHONPATH=f"{ROOT}{os.pathsep}{tmp}")
    env = {k: v for k, v in env.items() if not k.startswith("FC_")}
    host = ["--host", "127.0.0.1"]
    servers = {
        "uvicorn": [sys.executable, "-m", "uvicorn", "webapp:api", *host, "--no-access-log"],
        "fcsdk serve": [sys.executable, "-m", "fcsdk", "serve", "webapp.handler", *host],
    }
    runs = [("/hello/bench", 1), ("/hello/bench", 16), ("/sync/bench", 16)]
    print(
        f"client: {'wrk' if use_wrk else 'asyncio keep-alive client'}, {duration:g}s per run, "
        f"loopback, {os.cpu_count()} CPUs, FC's x-fc-* headers on every request, servers "
        "interleaved, medians of --rounds runs"
    )
    print(f"{'server':<14}{'endpoint':<14}{'conc':>6}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    results: dict[tuple[str, str, int], float] = {}
    procs: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
    logs = []
    try:
        for name, cmd in servers.items():
            port = free_port()
            log = open(tmp / f"{name.split()[0]}.log", "wb")  # noqa: SIM115 - closed below
            logs.append(log)
            proc = subprocess.Popen(
                [*cmd, "--port", str(port)], cwd=tmp, stdout=log, stderr=log, env=env
            )
            procs[name] = (proc, port)
            wait_port(port, proc)
            client(f"http://127.0.0.1:{port}/hello/warm", 4, 1)  # warm-up
        for path, conc in runs:
            samples: dict[str, list[tuple[float, float, float]]] = {n: [] for n in servers}
            for _ in range(rounds):  # interleaved: a shared machine's load hits both servers
                for name in servers:
                    url = f"http://127.0.0.1:{procs[name][1]}{path}"
                    samples[name].append(client(url, conc, duration))
            endpoint = "async def" if path.startswith("/hello") else "def"
            for name in servers:
                rps, p50, p99 = (statistics.median(x) for x in zip(*samples[name]))
                results[name, path, conc] = rps
                print(
                    f"{name:<14}{endpoint:<14}{conc:>6}{rps:>10.0f}{p50:>10.3f}{p99:>10.3f}",
                    flush=True,
                )
    finally:
        for proc, _port in procs.values():
            proc.terminate()
            proc.wait(30)
        for log in logs:
            log.close()
        shutil.rmtree(tmp, ignore_errors=True)
    for path, conc in runs:
        ratio = results["fcsdk serve", path, conc] / results["uvicorn", path, conc]
        endpoint = "async def" if path.startswith("/hello") else "def"
        print(f"req/s ratio fcsdk serve / uvicorn, {endpoint}, concurrency {conc}: {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
