"""`fcsdk serve --graceful-timeout` keeps its word, with real processes and SIGTERM: what is
answered failed never completes afterwards, what completes is answered with its result, PreStop
runs on its own thread within its own timeout, and a call without x-fc-function-timeout is
bounded all the same."""

from __future__ import annotations

import asyncio
import json
import os
import time

import httpx

from tests.runtime_support import ServeProcess, write_code

CODE = {
    "index.py": """
    import json, pathlib, time
    HERE = pathlib.Path(__file__).parent

    def handler(event, context):
        evt = json.loads(event or b"{}")
        (HERE / f"started-{evt['name']}").write_text("")
        time.sleep(evt.get("s", 0))
        (HERE / f"done-{evt['name']}").write_text("")
        return {"name": evt["name"], "rid": context.request_id}
    """,
    "hooks.py": """
    import pathlib, time
    import fcsdk as fc
    HERE = pathlib.Path(__file__).parent

    @fc.pre_stop
    def stop(context: fc.Context) -> None:
        (HERE / "pre-stop-started").write_text(str(time.time()))
        time.sleep(float((HERE / "pre-stop-seconds").read_text()))
        (HERE / "pre-stop-done").write_text(str(time.time()))
    """,
}


def _server(tmp_path, *args, pre_stop_seconds=0.0):
    code = write_code(tmp_path, CODE)
    (code / "pre-stop-seconds").write_text(str(pre_stop_seconds))
    return ServeProcess(code, "index.handler", "--pre-stop", "hooks.stop", *args), code


async def _until(what, check, timeout=60.0):
    """Wait for ``check()`` (a condition, never a fixed time: the CI machine is loaded)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


def _unread_bytes(server_port, client_port):
    """Bytes the server has not read yet on the connection from ``client_port`` (Linux's
    /proc/net/tcp; None while the connection is not listed)."""
    if not os.path.exists("/proc/net/tcp"):  # not Linux (CI is): assume it was read
        time.sleep(0.5)
        return 0
    with open("/proc/net/tcp") as f:
        for row in f.read().splitlines()[1:]:
            local, remote, _state, queues = row.split()[1:5]
            if int(local.split(":")[1], 16) == server_port and (
                int(remote.split(":")[1], 16) == client_port
            ):
                return int(queues.split(":")[1], 16)
    return None


async def _calls_then_sigterm(srv, calls, code, queued=()):
    """Send the calls (name -> seconds); once every call has started on a worker, send the
    ``queued`` ones (on raw connections) and wait until the server has read them; then SIGTERM:
    {name: response or error}, seconds from SIGTERM to exit, exit code."""
    async with httpx.AsyncClient(base_url=srv.url, timeout=60) as c:

        async def one(name, seconds):
            try:
                body = json.dumps({"name": name, "s": seconds}).encode()
                return await c.post("/invoke", content=body, headers={"x-fc-request-id": name})
            except httpx.HTTPError as exc:
                return exc

        tasks = {n: asyncio.ensure_future(one(n, s)) for n, s in calls.items()}
        for n in calls:
            await _until(f"call {n} to start", (code / f"started-{n}").exists)
        raw = {}
        for n in queued:
            body = json.dumps({"name": n, "s": 0}).encode()
            reader, writer = await asyncio.open_connection("127.0.0.1", srv.port)
            writer.write(
                b"POST /invoke HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                b"x-fc-request-id: %s\r\nContent-Length: %d\r\n\r\n%s"
                % (n.encode(), len(body), body)
            )
            await writer.drain()
            port = writer.get_extra_info("sockname")[1]
            await _until(f"server to read {n}", lambda p=port: _unread_bytes(srv.port, p) == 0)
            raw[n] = (reader, writer)
        srv.proc.terminate()
        sent = time.perf_counter()
        answers = {n: await t for n, t in tasks.items()}
        for n, (reader, writer) in raw.items():
            answers[n] = httpx.Response(200, headers=_raw_headers(await reader.read()))
            writer.close()
        rc = await asyncio.get_running_loop().run_in_executor(None, srv.proc.wait, 30)
        return answers, time.perf_counter() - sent, rc


def _raw_headers(response: bytes) -> dict:
    head = response.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")[1:]
    return dict(line.split(": ", 1) for line in head)


def test_busy_workers_within_the_grace_period_are_answered_truthfully(tmp_path):
    srv, code = _server(tmp_path, "--workers", "2", "--graceful-timeout", "10")
    try:
        answers, took, rc = asyncio.run(_calls_then_sigterm(srv, {"a": 1.5, "b": 1.5}, code))
    finally:
        srv.stop()
    assert rc == 0
    for name in "ab":
        assert answers[name].headers["x-fc-status"] == "200"
        assert answers[name].json() == {"name": name, "rid": name}
    assert (code / "pre-stop-done").exists()
    assert took < 8


def test_pre_stop_runs_on_its_own_thread_while_every_worker_is_busy(tmp_path):
    srv, code = _server(tmp_path, "--workers", "2", "--graceful-timeout", "1")
    try:
        answers, took, rc = asyncio.run(_calls_then_sigterm(srv, {"a": 30, "b": 30}, code))
    finally:
        srv.stop()
    assert rc == 0
    assert took < 8, took  # grace (1 s) + PreStop (0 s), not behind the 30 s handlers
    assert (code / "pre-stop-done").exists()
    for name in "ab":
        r = answers[name]
        assert (r.status_code, r.headers["x-fc-status"]) == (200, "404")
        assert "Process exited unexpectedly" in r.json()["errorMessage"]
        assert (code / f"started-{name}").exists()
    time.sleep(0.5)
    assert not any(code.glob("done-*"))  # answered failed: never completes afterwards


def test_a_call_ending_while_pre_stop_runs_gets_its_real_answer(tmp_path):
    # both have started at SIGTERM: "late" ends <= 2 s after it, PreStop ends 0.5 + 5 s after it
    srv, code = _server(tmp_path, "--graceful-timeout", "0.5", pre_stop_seconds=5)
    try:
        answers, took, rc = asyncio.run(_calls_then_sigterm(srv, {"late": 2.0, "stuck": 30}, code))
    finally:
        srv.stop()
    assert rc == 0
    late = answers["late"]
    assert late.headers["x-fc-status"] == "200"  # it completed: it is not reported failed
    assert late.json() == {"name": "late", "rid": "late"}
    assert (code / "done-late").exists()
    stuck = answers["stuck"]
    assert stuck.headers["x-fc-status"] == "404"
    assert not (code / "done-stuck").exists()
    assert took < 20


def test_calls_queued_behind_busy_workers_are_withdrawn_never_run(tmp_path):
    srv, code = _server(tmp_path, "--workers", "1", "--graceful-timeout", "0.5")
    try:
        answers, _took, rc = asyncio.run(
            _calls_then_sigterm(srv, {"running": 30}, code, queued=["queued"])
        )
    finally:
        srv.stop()
    assert rc == 0
    assert answers["queued"].headers["x-fc-status"] == "404"
    assert not (code / "started-queued").exists()  # answered failed: and it never ran
    assert answers["running"].headers["x-fc-status"] == "404"
    assert not (code / "done-running").exists()


def test_pre_stop_is_bounded_by_its_own_timeout(tmp_path):
    srv, code = _server(tmp_path, "--pre-stop-timeout", "1", pre_stop_seconds=60)
    try:
        assert httpx.post(srv.url + "/invoke", content=b'{"name": "x"}').status_code == 200
        started = time.perf_counter()
        rc = srv.terminate(timeout=30)
        log = srv.log()
    finally:
        srv.stop()
    assert rc == 0
    assert time.perf_counter() - started < 6
    assert (code / "pre-stop-started").exists() and not (code / "pre-stop-done").exists()
    assert "PreStop still running after 1s" in log


def test_a_call_without_timeout_header_gets_the_functions_bound(tmp_path):
    srv, _code = _server(tmp_path, "--workers", "1", "--timeout", "1")
    try:
        with httpx.Client(base_url=srv.url, timeout=30) as c:
            started = time.perf_counter()
            r = c.post("/invoke", content=b'{"name": "a", "s": 30}')
            assert time.perf_counter() - started < 5
            assert (r.headers["x-fc-status"], r.json()["errorType"]) == (
                "404",
                "FunctionTimeoutError",
            )
            assert r.json()["errorMessage"] == "Function time out after 1 seconds"
            # its worker is replaced: the next call does not wait behind the late thread
            r = c.post("/invoke", content=b'{"name": "b"}')
            assert r.headers["x-fc-status"] == "200"
            # FC's header sets the function's timeout; later calls without it keep that bound
            r = c.post(
                "/invoke",
                content=b'{"name": "c", "s": 4}',
                headers={"x-fc-function-timeout": "3"},
            )
            assert r.json()["errorMessage"] == "Function time out after 3 seconds"
            r = c.post("/invoke", content=b'{"name": "d", "s": 1.5}')
            assert r.headers["x-fc-status"] == "200", r.text  # 1.5 s < 3 s: not cut at 1 s
    finally:
        srv.stop()
