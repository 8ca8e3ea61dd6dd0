"""Helpers shared by the runtime tests: code directories, free ports, `fcsdk serve` servers."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def write_code(directory: Path, files: dict[str, str]) -> Path:
    """Write dedented source files (paths may contain folders) into ``directory``."""
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return directory


def invoke_cli(capfd, code: Path, *args: str) -> tuple[int, str, str]:
    """`fcsdk invoke ARGS --code-dir CODE` in this process: (exit code, stdout, stderr)."""
    from fcsdk.cli import main

    rc = main(["invoke", *args, "--code-dir", str(code)])
    out, err = capfd.readouterr()
    return rc, out, err


def drop_fcsdk_log_handlers() -> None:
    """Remove the root handlers fc.logging.setup() added (fcsdk invoke/serve, examples)."""
    root = logging.getLogger()
    for h in [h for h in root.handlers if getattr(h, "_fcsdk", False)]:
        root.removeHandler(h)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen | None = None, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on port {port}")


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FC_", "ALIBABA_CLOUD_"))}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


class ServeProcess:
    """``python -m fcsdk serve`` in a subprocess on a free loopback port; stderr to a file."""

    def __init__(self, code_dir: Path, handler: str, *args: str, env: dict | None = None):
        self.port = free_port()
        self.log_path = code_dir / f"serve-{self.port}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        cmd = [sys.executable, "-m", "fcsdk", "serve", handler, "--code-dir", str(code_dir)]
        cmd += ["--host", "127.0.0.1", "--port", str(self.port), *args]
        self.proc = subprocess.Popen(
            cmd, stdout=self._log, stderr=subprocess.STDOUT, env=env or child_env()
        )
        try:
            wait_for_port(self.port, self.proc)
        except Exception:
            self.stop()
            raise
        self.url = f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def terminate(self, timeout: float = 20.0) -> int:
        self.proc.terminate()
        return self.proc.wait(timeout)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._log.close()


class ThreadServer:
    """A real uvicorn serving a ``CustomRuntimeApp`` in a thread of the test process."""

    def __init__(self, app, http="auto", **options):
        import uvicorn

        self.app = app
        self.port = free_port()
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            lifespan="on",
            log_config=None,
            http=http,
            **options,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        wait_for_port(self.port)
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
