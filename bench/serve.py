"""Benchmark `fcsdk serve` against Google's functions-framework (the anchor), on loopback.

A hello handler is served by each; the load client (wrk when installed, else the bounded
asyncio HTTP/1.1 keep-alive client below) runs at concurrency 1, 16 and 64 for a few seconds
each, and prints requests/s and p50/p99 latency. The in-process call of the same handler is timed
too, to report the server's p50 overhead at concurrency 1.

Run:  python bench/serve.py [--duration 3] [--client auto|wrk|asyncio]
Needs: pip install -e '.[server,bench]' (functions-framework), optionally wrk (apt-get install wrk).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BODY = b'{"name": "bench"}'

FCSDK_CODE = """
def handler(event, context):
    return "hello"
"""
FF_CODE = """
import functions_framework

@functions_framework.http
def hello(request):
    return "hello"
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(port)


# -- load clients -----------------------------------------------------------------------------


def run_wrk(url: str, conns: int, seconds: float, tmp: Path) -> tuple[float, float, float]:
    script = tmp / "post.lua"
    script.write_text(
        'wrk.method = "POST"\nwrk.body = \'{"name": "bench"}\'\n'
        'wrk.headers["Content-Type"] = "application/octet-stream"\n'
        'wrk.headers["x-fc-request-id"] = "bench"\n'
    )
    out = subprocess.run(
        [
            "wrk",
            f"-t{min(conns, 2)}",
            f"-c{conns}",
            f"-d{max(1, round(seconds))}s",
            "-s",
            str(script),
            "--latency",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def pct(p: str) -> float:
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)\b", out)
        assert m, out
        return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]

    if re.search(r"Non-2xx", out):
        raise RuntimeError(f"non-2xx answers:\n{out}")
    return rps, pct("50"), pct("99")


async def _worker(host: str, port: int, path: str, until: float, lat: list[float]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    request = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {len(BODY)}\r\n"
        "Content-Type: application/octet-stream\r\nx-fc-request-id: bench\r\n\r\n"
    ).encode() + BODY
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


def run_asyncio(url: str, conns: int, seconds: float, _tmp: Path) -> tuple[float, float, float]:
    m = re.match(r"http://([^:/]+):(\d+)(/.*)", url)
    assert m
    host, port, path = m.group(1), int(m.group(2)), m.group(3)
    lat: list[float] = []

    async def main() -> float:
        start = time.perf_counter()
        until = start + seconds
        await asyncio.gather(*(_worker(host, port, path, until, lat) for _ in range(conns)))
        return time.perf_counter() - start

    elapsed = asyncio.run(main())
    qs = statistics.quantiles(lat, n=100)
    return len(lat) / elapsed, qs[49], qs[98]


# -- servers ----------------------------------------------------------------------------------


def start(cmd: list[str], port: int, tmp: Path, name: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    log = open(tmp / f"{name}.log", "wb")  # noqa: SIM115 - lives as long as the server
    proc = subprocess.Popen(cmd, cwd=tmp, stdout=log, stderr=subprocess.STDOUT, env=env)
    wait_port(port, proc)
    return proc


def in_process_p50() -> float:
    sys.path.insert(0, str(TMP))
    from fcsdk.runtime.invoke import call_handler
    from fcsdk.runtime.loader import load_handler
    from fcsdk.runtime.native import native_context

    func = load_handler("index.handler", str(TMP))
    times = []
    for _ in range(20000):
        native = native_context(request_id="bench")
        start = time.perf_counter()
        call_handler(func, BODY, native)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


TMP = Path(tempfile.mkdtemp(prefix="fcsdk-bench-"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per run (bounded)")
    parser.add_argument("--client", choices=("auto", "wrk", "asyncio"), default="auto")
    parser.add_argument("--concurrency", default="1,16,64")
    args = parser.parse_args()
    use_wrk = args.client == "wrk" or (args.client == "auto" and shutil.which("wrk"))
    client = run_wrk if use_wrk else run_asyncio
    (TMP / "index.py").write_text(textwrap.dedent(FCSDK_CODE))
    (TMP / "main.py").write_text(textwrap.dedent(FF_CODE))
    p1, p2 = free_port(), free_port()
    servers = {
        "fcsdk serve": (
            [
                sys.executable,
                "-m",
                "fcsdk",
                "serve",
                "index.handler",
                "--host",
                "127.0.0.1",
                "--port",
                str(p1),
            ],
            f"http://127.0.0.1:{p1}/invoke",
            p1,
        ),
        "functions-framework": (
            [
                sys.executable,
                "-m",
                "functions_framework",
                "--target",
                "hello",
                "--source",
                "main.py",
                "--host",
                "127.0.0.1",
                "--port",
                str(p2),
            ],
            f"http://127.0.0.1:{p2}/",
            p2,
        ),
    }
    levels = [int(c) for c in args.concurrency.split(",")]
    print(
        f"client: {'wrk' if use_wrk else 'asyncio keep-alive client'}, "
        f"{args.duration:g}s per run, loopback, {os.cpu_count()} CPUs"
    )
    print(f"{'server':<22}{'conc':>6}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    results: dict[tuple[str, int], tuple[float, float, float]] = {}
    for name, (cmd, url, port) in servers.items():
        proc = start(cmd, port, TMP, name.split()[0])
        try:
            client(url, 4, 1, TMP)  # warm-up
            for c in levels:
                rps, p50, p99 = results[name, c] = client(url, c, args.duration, TMP)
                print(f"{name:<22}{c:>6}{rps:>10.0f}{p50:>10.3f}{p99:>10.3f}", flush=True)
        finally:
            proc.terminate()
            proc.wait(30)
    base = in_process_p50()
    shutil.rmtree(TMP, ignore_errors=True)
    print(f"in-process call p50: {base * 1000:.1f} us")
    if ("fcsdk serve", 1) in results:
        print(
            f"fcsdk serve p50 overhead at concurrency 1: "
            f"{results['fcsdk serve', 1][1] - base:.3f} ms"
        )
    if ("fcsdk serve", 16) in results and ("functions-framework", 16) in results:
        ratio = results["fcsdk serve", 16][0] / results["functions-framework", 16][0]
        print(f"req/s ratio at concurrency 16 (fcsdk / functions-framework): {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
