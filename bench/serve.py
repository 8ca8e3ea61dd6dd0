"""Benchmark `fcsdk serve` against a bare uvicorn ASGI app (the physical limit) and Google's
functions-framework (the peer), on loopback.

A hello handler is served by each; every request is `POST /invoke` carrying FC's x-fc-* header
set, as FC sends it (x-fc-function-timeout included), and `fcsdk serve` also runs once without
those headers. The bare app answers the same request from uvicorn with the same parser and loop
(httptools, uvloop) and no handler thread. The load client (wrk when installed, else the bounded
asyncio HTTP/1.1 keep-alive client below) runs at concurrency 1, 16 and 64 for a few seconds
each, and prints requests/s and p50/p99 latency. Targets (issue 15): fcsdk serve with FC's
headers >= 0.6x bare uvicorn at concurrency 16, p50 overhead over bare uvicorn < 0.15 ms at 1.

Run:  python bench/serve.py [--duration 3] [--client auto|wrk|asyncio]
Needs: pip install -e '.[server]'; functions-framework (the `bench` extra) for its row, skipped
when absent; optionally wrk (apt-get install wrk).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
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
BARE_CODE = """
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": [
        (b"content-type", b"application/octet-stream"), (b"content-length", b"5"),
        (b"x-fc-status", b"200")]})
    await send({"type": "http.response.body", "body": b"hello"})
"""
#: FC's headers on every invocation of a custom runtime (values as FC sends them).
FC_HEADERS = {
    "x-fc-request-id": "1-6789abcd-0123456789abcdef01234567",
    "x-fc-access-key-id": "STS.NUexampleAccessKeyId",
    "x-fc-access-key-secret": "exampleAccessKeySecret0123456789",
    "x-fc-security-token": "CAIS" + "x" * 400,
    "x-fc-function-name": "hello",
    "x-fc-function-handler": "index.handler",
    "x-fc-function-memory": "512",
    "x-fc-function-timeout": "30",
    "x-fc-function-initializer": "",
    "x-fc-initialization-timeout": "30",
    "x-fc-region": "cn-hangzhou",
    "x-fc-account-id": "1234567890123456",
    "x-fc-qualifier": "LATEST",
    "x-fc-version-id": "",
    "x-fc-retry-count": "0",
}
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


def _headers(fc: bool) -> dict[str, str]:
    return FC_HEADERS if fc else {"x-fc-request-id": "bench"}


def run_wrk(
    url: str, conns: int, seconds: float, tmp: Path, fc: bool = True
) -> tuple[float, float, float]:
    script = tmp / "post.lua"
    lines = ['wrk.method = "POST"', 'wrk.body = \'{"name": "bench"}\'']
    lines.append('wrk.headers["Content-Type"] = "application/octet-stream"')
    lines += [f'wrk.headers["{k}"] = "{v}"' for k, v in _headers(fc).items()]
    script.write_text("\n".join(lines) + "\n")
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


async def _worker(
    host: str, port: int, path: str, until: float, lat: list[float], fc: bool
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    extra = "".join(f"{k}: {v}\r\n" for k, v in _headers(fc).items())
    request = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {len(BODY)}\r\n"
        f"Content-Type: application/octet-stream\r\n{extra}\r\n"
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


def run_asyncio(
    url: str, conns: int, seconds: float, _tmp: Path, fc: bool = True
) -> tuple[float, float, float]:
    m = re.match(r"http://([^:/]+):(\d+)(/.*)", url)
    assert m
    host, port, path = m.group(1), int(m.group(2)), m.group(3)
    lat: list[float] = []

    async def main() -> float:
        start = time.perf_counter()
        until = start + seconds
        await asyncio.gather(*(_worker(host, port, path, until, lat, fc) for _ in range(conns)))
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
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds per level; medians are printed (default 3)"
    )
    args = parser.parse_args()
    duration = min(max(args.duration, 0.5), 30.0)
    use_wrk = args.client == "wrk" or (args.client == "auto" and shutil.which("wrk"))
    client = run_wrk if use_wrk else run_asyncio
    (TMP / "index.py").write_text(textwrap.dedent(FCSDK_CODE))
    (TMP / "bare.py").write_text(textwrap.dedent(BARE_CODE))
    (TMP / "main.py").write_text(textwrap.dedent(FF_CODE))
    py, host = sys.executable, ["--host", "127.0.0.1"]
    commands = {
        "bare uvicorn": [py, "-m", "uvicorn", "bare:app", *host, "--no-access-log"],
        "fcsdk serve": [py, "-m", "fcsdk", "serve", "index.handler", *host],
    }
    if importlib.util.find_spec("functions_framework") is not None:
        ff = ["--target", "hello", "--source", "main.py", *host]
        commands["functions-framework"] = [py, "-m", "functions_framework", *ff]
    else:
        print("functions-framework is not installed (pip install -e '.[bench]'): row skipped")
    # Each row: (label, server, FC's header set on the requests?)
    rows = [("bare uvicorn", "bare uvicorn", True), ("fcsdk serve", "fcsdk serve", True)]
    rows.append(("fcsdk serve, no x-fc-*", "fcsdk serve", False))
    if "functions-framework" in commands:
        rows.append(("functions-framework", "functions-framework", True))
    levels = [int(c) for c in args.concurrency.split(",")]
    print(
        f"client: {'wrk' if use_wrk else 'asyncio keep-alive client'}, {duration:g}s per run, "
        f"loopback, {os.cpu_count()} CPUs; servers interleaved, medians of --rounds runs"
    )
    print(f"{'server':<26}{'conc':>6}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    results: dict[tuple[str, int], tuple[float, float, float]] = {}
    procs: dict[str, tuple[subprocess.Popen[bytes], str]] = {}
    try:
        for name, cmd in commands.items():
            port = free_port()
            path = "/" if name == "functions-framework" else "/invoke"
            proc = start([*cmd, "--port", str(port)], port, TMP, name.split()[0])
            procs[name] = (proc, f"http://127.0.0.1:{port}{path}")
            client(procs[name][1], 4, 1, TMP)  # warm-up
        rounds = min(max(args.rounds, 1), 9)
        for c in levels:
            runs: dict[str, list[tuple[float, float, float]]] = {label: [] for label, _, _ in rows}
            for _ in range(rounds):  # interleaved: a shared machine's load hits every row
                for label, server, fc in rows:
                    runs[label].append(client(procs[server][1], c, duration, TMP, fc))
            for label, _server, _fc in rows:
                rps, p50, p99 = (statistics.median(x) for x in zip(*runs[label]))
                results[label, c] = rps, p50, p99
                print(f"{label:<26}{c:>6}{rps:>10.0f}{p50:>10.3f}{p99:>10.3f}", flush=True)
    finally:
        for proc, _url in procs.values():
            proc.terminate()
            proc.wait(30)
    base = in_process_p50()
    shutil.rmtree(TMP, ignore_errors=True)
    print(f"in-process call p50: {base * 1000:.1f} us")
    if ("fcsdk serve", 1) in results:
        over = results["fcsdk serve", 1][1] - results["bare uvicorn", 1][1]
        print(f"fcsdk serve p50 overhead over bare uvicorn at concurrency 1: {over:.3f} ms")
    if ("fcsdk serve", 16) in results:
        ratio = results["fcsdk serve", 16][0] / results["bare uvicorn", 16][0]
        print(f"req/s ratio at concurrency 16, FC's headers (fcsdk / bare uvicorn): {ratio:.2f}x")
        if ("functions-framework", 16) in results:
            ratio = results["fcsdk serve", 16][0] / results["functions-framework", 16][0]
            print(f"req/s ratio at concurrency 16 (fcsdk / functions-framework): {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
