"""The ``fcsdk invoke`` and ``fcsdk serve`` commands.

``fcsdk invoke index.handler --event '{"key": "value"}'`` runs the handler once as FC's built-in
runtime would and prints the body alone on stdout (pipe it to ``jq``); logs, the
``FC Invoke Start/End RequestId`` markers and a duration summary go to stderr. A function error
prints FC's error JSON and exits 1; a usage error (bad option, setting or event source) prints
one line and exits 2. ``--timeout`` covers loading the handler's module and the call, as on FC
(the initializer has its own ``--initialization-timeout``); a late call is FC's timeout error,
exit code 1, and since Python cannot stop the late thread the process then ends at once
(``os._exit``), as FC ends the instance. ``--trigger oss --trigger-option bucket=b`` sends
fcsdk's sample event of a trigger instead of ``--event`` (``fcsdk events list`` shows the
options).

``fcsdk serve index.handler`` serves FC's custom-runtime protocol on ``--port``, else
``FC_CUSTOM_LISTEN_PORT``, else 9000. A valid ``x-fc-function-timeout`` header bounds each
call. On SIGTERM it waits for in-flight invocations (at most ``--graceful-timeout`` seconds),
runs PreStop and exits; invocations still running after the grace period are abandoned and the
process ends at once.

Example:
    >>> import argparse
    >>> parser = argparse.ArgumentParser()
    >>> add_parser(parser.add_subparsers())
    >>> parser.parse_args(["invoke", "index.handler", "--event", "{}"]).runtime
    'python3.10'
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
import time
import uuid
from typing import IO, Any, Iterator, Optional

from .native import RUNTIMES

__all__ = ["add_parser", "run_invoke", "run_serve"]

EXIT_FUNCTION_ERROR = 1
EXIT_USAGE = 2


def add_parser(subparsers: Any) -> None:
    """Register ``invoke`` and ``serve`` on the ``fcsdk`` command's sub-parsers."""
    inv = subparsers.add_parser(
        "invoke",
        help="run a handler once, as FC's built-in Python runtime does",
        description=(
            "Run HANDLER (module.function) once with an event, as FC's built-in Python runtime "
            "does. The result body alone goes to stdout; logs go to stderr."
        ),
    )
    inv.add_argument("handler", help="module.function, e.g. index.handler or src/index.handler")
    src = inv.add_mutually_exclusive_group()
    src.add_argument("--event", help="the event text; '-' reads it from stdin (default: empty)")
    src.add_argument("--event-file", metavar="PATH", help="read the event bytes from PATH")
    src.add_argument(
        "--trigger",
        metavar="NAME",
        help="use fcsdk's sample event of a trigger (oss, timer, http, ...: 'fcsdk events list')",
    )
    inv.add_argument(
        "--trigger-option",
        metavar="OPTION=VALUE",
        action="append",
        default=[],
        help="with --trigger: an option of the trigger's sample, e.g. --trigger-option "
        "bucket=b --trigger-option key=in/a.png (repeat an option for lists)",
    )
    _common(inv)
    inv.add_argument(
        "--runtime",
        default="python3.10",
        choices=sorted(RUNTIMES),
        help="context shape: python3.12 has no context.credentials (default: python3.10)",
    )
    inv.add_argument("--region", default=None, help="context.region (default: $FC_REGION)")
    inv.add_argument("--function-name", default=None, help="context.function.name")
    inv.add_argument("--memory", type=int, default=512, help="memory size in MB (default 512)")
    inv.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        help="seconds for loading the module and the call (default 60)",
    )
    inv.add_argument(
        "--initialization-timeout",
        type=float,
        default=None,
        help="seconds for the initializer (FC's initializationTimeout; default: --timeout)",
    )
    inv.add_argument("--account-id", default=None, help="context.account_id")
    inv.add_argument("--request-id", default=None, help="the request id (default: a new UUID)")
    inv.add_argument(
        "--initializer",
        metavar="MODULE.FUNC",
        help="run this hook once first (default: the handler module's @fc.initializer, if any)",
    )
    inv.add_argument(
        "--no-initializer", action="store_true", help="do not run the module's @fc.initializer"
    )
    inv.set_defaults(func=run_invoke)

    srv = subparsers.add_parser(
        "serve",
        help="serve a handler over FC's custom-runtime HTTP protocol",
        description=(
            "Serve HANDLER (module.function) over FC's custom-runtime protocol: POST /invoke, "
            "POST /initialize, GET /pre-stop, GET /pre-freeze. Needs fcsdk[server]."
        ),
    )
    srv.add_argument("handler", help="module.function, e.g. index.handler")
    _common(srv)
    srv.add_argument("--host", default="0.0.0.0", help="listen address (default 0.0.0.0)")
    srv.add_argument(
        "--port", type=int, default=None, help="default $FC_CUSTOM_LISTEN_PORT or 9000"
    )
    srv.add_argument("--workers", type=int, default=64, help="handler threads (default 64)")
    srv.add_argument(
        "--max-body-size",
        type=int,
        default=32 * 1024 * 1024,
        help="largest event in bytes, 413 above (default 32 MB, FC's sync limit)",
    )
    srv.add_argument(
        "--runtime",
        default="python3.10",
        choices=sorted(RUNTIMES),
        help="context shape given to undecorated handlers (default: python3.10)",
    )
    srv.add_argument("--initializer", metavar="MODULE.FUNC", help="the Initializer hook")
    srv.add_argument("--pre-stop", metavar="MODULE.FUNC", help="the PreStop hook")
    srv.add_argument("--pre-freeze", metavar="MODULE.FUNC", help="the PreFreeze hook")
    srv.add_argument(
        "--graceful-timeout",
        type=float,
        default=None,
        help="on SIGTERM, wait at most this many seconds for in-flight invocations",
    )
    srv.add_argument("--access-log", action="store_true", help="log every HTTP request")
    srv.add_argument(
        "--invoke-log",
        action="store_true",
        help="log FC Invoke Start/End RequestId around each invocation",
    )
    srv.set_defaults(func=run_serve)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--code-dir", default=".", help="the code directory (default: .)")
    parser.add_argument(
        "--log-format",
        choices=("fc", "json"),
        default=None,
        help="log line format (default: $FCSDK_LOG_FORMAT or fc)",
    )


def _error(message: str) -> int:
    print(f"fcsdk: {message}", file=sys.stderr)
    return EXIT_USAGE


def _bad_seconds(option: str, value: Optional[float], *, zero: bool = False) -> Optional[str]:
    """The usage error for a timeout option that is not a finite positive number (or 0)."""
    if value is None or (math.isfinite(value) and (value > 0 or (zero and value == 0))):
        return None
    return f"{option} must be a finite number of seconds above 0{' or 0' if zero else ''}"


def _setup_logging(fmt: Optional[str]) -> Optional[str]:
    """Configure fcsdk's log handler; the usage error for a bad format, else None."""
    from ..errors import ConfigurationError
    from ..logging import setup

    try:
        setup(fmt, stream=sys.stderr)
    except ConfigurationError as exc:
        return str(exc)
    return None


def _end_process_after(args: argparse.Namespace) -> None:
    """Ask :func:`fcsdk.cli.main` to end the process at once after the command: a thread that
    cannot be stopped (a late handler) would keep it alive."""
    args.hard_exit = True


def _write_body(out: IO[bytes], body: bytes) -> None:
    """Write the body to the real stdout; a reader that left (``| head -c 10``) is not an
    error of the command: the rest goes to /dev/null and the exit code stays the function's."""
    try:
        out.write(body)
        if os.isatty(out.fileno()):
            out.write(b"\n")
        out.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, out.fileno())
        os.close(devnull)


def _trigger_event(name: str, options: list[str]) -> bytes:
    """The sample event of trigger ``name`` built with ``OPTION=VALUE`` options."""
    try:
        from ..testing import events  # type: ignore[import-not-found,unused-ignore]
        from ..testing.cli import parse_options  # type: ignore[import-not-found,unused-ignore]
    except ImportError as exc:
        raise LookupError(
            "--trigger needs fcsdk.testing.events, which this fcsdk build does not have "
            f"({exc}); pass the event with --event or --event-file"
        ) from None
    bad = [o for o in options if "=" not in o or o.startswith("=")]
    if bad:
        raise ValueError(f"--trigger-option expects OPTION=VALUE, got {bad[0]!r}")
    try:
        factory = events.factory(name)
    except KeyError as exc:
        raise LookupError(f"--trigger: {exc.args[0]}") from None
    try:
        kwargs = parse_options(factory, [f"--{o}" for o in options])
        data = factory(**kwargs)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"--trigger {name}: {exc}") from None
    except ImportError as exc:  # MissingDependencyError: cbor2 for tablestore
        raise LookupError(f"--trigger {name}: {exc}") from None
    return data if isinstance(data, bytes) else str(data).encode()


def _read_event(args: argparse.Namespace) -> bytes:
    if args.trigger_option and not args.trigger:
        raise ValueError("--trigger-option goes with --trigger NAME")
    if args.trigger:
        return _trigger_event(args.trigger, list(args.trigger_option))
    if args.event_file:
        with open(args.event_file, "rb") as f:
            return f.read()
    if args.event == "-":
        return sys.stdin.buffer.read()
    if args.event is not None:
        return str(args.event).encode("utf-8", "surrogateescape")
    return b""


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[IO[bytes]]:
    """Send everything written to stdout (print, C code, child processes) to stderr, and yield
    a writer to the real stdout for the body."""
    sys.stdout.flush()
    saved = os.dup(1)
    real_stdout = sys.stdout
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    out = os.fdopen(saved, "wb", closefd=True)
    try:
        yield out
    finally:
        sys.stdout.flush()
        sys.stdout = real_stdout
        out.flush()
        os.dup2(out.fileno(), 1)
        out.close()


@contextlib.contextmanager
def _environ(values: dict[str, Optional[str]]) -> Iterator[None]:
    """Set FC's environment variables for the emulated instance; restore them afterwards."""
    old = {k: os.environ.get(k) for k in values}
    try:
        for k, v in values.items():
            if v is not None:
                os.environ[k] = v
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _max_memory_mb() -> Optional[float]:
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return None
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / (1024 * 1024) if sys.platform == "darwin" else kb / 1024


def run_invoke(args: argparse.Namespace) -> int:
    """``fcsdk invoke``: returns 0 on success, 1 on a function error, 2 on a usage error."""
    from ..credentials import Credentials
    from ..lifecycle import find_hooks
    from .errors import HandlerLoadError
    from .invoke import TimedOut, call_handler, error_body, run_timed, timeout_error
    from .loader import load_handler
    from .native import native_context, shape_of

    bad = _bad_seconds("--timeout", args.timeout) or _bad_seconds(
        "--initialization-timeout", args.initialization_timeout
    )
    if bad:
        return _error(bad)
    try:
        event = _read_event(args)
    except (OSError, LookupError, ValueError) as exc:
        return _error(str(exc))
    bad = _setup_logging(args.log_format)
    if bad:
        return _error(bad)
    import logging

    log = logging.getLogger("fcsdk.runtime")
    code_dir = os.path.abspath(args.code_dir)
    creds = Credentials.from_env()
    region = args.region or os.environ.get("FC_REGION") or os.environ.get("ALIBABA_CLOUD_REGION")
    name = args.function_name or os.path.basename(code_dir) or "fcsdk-local"
    env: dict[str, Optional[str]] = {
        "FC_FUNC_CODE_PATH": code_dir,
        "FC_FUNCTION_NAME": name,
        "FC_FUNCTION_HANDLER": args.handler,
        "FC_FUNCTION_MEMORY_SIZE": str(args.memory),
        "FC_REGION": region,
        "FC_ACCOUNT_ID": args.account_id,
    }
    if shape_of(args.runtime) == "B" and creds is not None:  # python3.12: credentials in env
        env["ALIBABA_CLOUD_ACCESS_KEY_ID"] = creds.access_key_id
        env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] = creds.access_key_secret
        env["ALIBABA_CLOUD_SECURITY_TOKEN"] = creds.security_token
    rid = args.request_id or str(uuid.uuid4())
    timeout: float = args.timeout
    init_timeout: float = args.initialization_timeout or timeout
    ctx_args: dict[str, Any] = {
        "credentials": creds,
        "function_name": name,
        "handler": args.handler,
        "memory": args.memory,
        "timeout": int(timeout) if float(timeout).is_integer() else timeout,
        "initializer": args.initializer,
        "region": region,
        "account_id": args.account_id,
    }

    def on_timeout(stacks: str) -> None:
        log.error("Function time out after %gs; thread stacks:\n%s", timeout, stacks)

    def load() -> tuple[Any, Any]:
        func = load_handler(args.handler, code_dir)
        hook = load_handler(args.initializer, code_dir) if args.initializer else None
        if hook is None and not args.no_initializer:  # @fc.initializer in the module
            module = sys.modules.get(getattr(func, "__module__", None) or "")
            hook = find_hooks(module).get("initializer") if module is not None else None
        return func, hook

    with _environ(env), _stdout_to_stderr() as out:
        started = time.monotonic()
        try:
            # On FC the module is imported within the invocation (or the initialization): its
            # import counts against the timeout.
            loaded = run_timed(load, timeout, "fc-load")
        except HandlerLoadError as exc:
            log.error("cannot load %s: %s: %s", args.handler, exc.error_type, exc)
            _write_body(out, error_body(exc.to_dict()))
            return EXIT_FUNCTION_ERROR
        if isinstance(loaded, TimedOut):
            from .invoke import thread_stacks

            on_timeout(thread_stacks())
            _write_body(out, error_body(timeout_error(timeout)))
            _end_process_after(args)
            return EXIT_FUNCTION_ERROR
        func, hook = loaded
        load_seconds = time.monotonic() - started
        if hook is not None:
            init_native = native_context(args.runtime, request_id=str(uuid.uuid4()), **ctx_args)
            init_rid = init_native.request_id
            print(f"FC Initialize Start RequestId: {init_rid}", file=sys.stderr)
            init = call_handler(
                lambda _e, c: hook(c), b"", init_native, timeout=init_timeout, on_timeout=on_timeout
            )
            print(f"FC Initialize End RequestId: {init_rid}", file=sys.stderr)
            if init.error is not None:
                _write_body(out, init.body)
                if init.timed_out:
                    _end_process_after(args)
                return EXIT_FUNCTION_ERROR
        native = native_context(args.runtime, request_id=rid, **ctx_args)
        print(f"FC Invoke Start RequestId: {rid}", file=sys.stderr)
        result = call_handler(
            func,
            event,
            native,
            timeout=max(timeout - load_seconds, 0.0),
            on_timeout=on_timeout,
            reported_timeout=timeout,
        )
        print(f"FC Invoke End RequestId: {rid}", file=sys.stderr)
        memory = _max_memory_mb()
        used = f", Max Memory Used: {memory:.2f} MB" if memory is not None else ""
        print(
            f"Duration: {result.duration_ms:.2f} ms, Memory Size: {args.memory} MB{used}",
            file=sys.stderr,
        )
        _write_body(out, result.body)
        if result.timed_out:
            _end_process_after(args)
    return 0 if result.ok else EXIT_FUNCTION_ERROR


def run_serve(args: argparse.Namespace) -> int:
    """``fcsdk serve``: runs until SIGTERM/SIGINT; returns 0 after a graceful shutdown."""
    try:
        import uvicorn
    except ImportError:
        from ..errors import MissingDependencyError

        print(f"fcsdk: {MissingDependencyError.for_extra('uvicorn', 'server')}", file=sys.stderr)
        return EXIT_USAGE
    import signal

    from .server import CustomRuntimeApp

    port = args.port
    if port is None:
        raw = os.environ.get("FC_CUSTOM_LISTEN_PORT", "").strip()
        if raw and not raw.isdigit():
            return _error(f"FC_CUSTOM_LISTEN_PORT={raw!r} is not a port number")
        port = int(raw) if raw else 9000
    if args.workers < 1 or args.max_body_size < 0:
        return _error("--workers must be at least 1 and --max-body-size not negative")
    bad = _bad_seconds("--graceful-timeout", args.graceful_timeout, zero=True)
    bad = bad or _setup_logging(args.log_format)
    if bad:
        return _error(bad)
    app = CustomRuntimeApp(
        args.handler,
        os.path.abspath(args.code_dir),
        initializer=args.initializer,
        pre_stop=args.pre_stop,
        pre_freeze=args.pre_freeze,
        workers=args.workers,
        max_body_size=args.max_body_size,
        runtime=args.runtime,
        invoke_log=args.invoke_log,
    )
    config = uvicorn.Config(
        app,
        host=args.host,
        port=port,
        lifespan="on",
        log_config=None,
        access_log=args.access_log,
        timeout_graceful_shutdown=(
            math.ceil(args.graceful_timeout) if args.graceful_timeout is not None else None
        ),
        server_header=False,
    )
    server = uvicorn.Server(config)
    received: list[int] = []
    # uvicorn re-raises the signal it stopped on; record it instead of dying by it, so that a
    # graceful SIGTERM ends with exit code 0 as FC expects.
    previous = {
        sig: signal.signal(sig, lambda signum, _frame: received.append(signum))
        for sig in (signal.SIGTERM, signal.SIGINT)
    }
    try:
        server.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        app.close()
    busy = app.busy
    if busy:
        # Past the grace period: FC ends the instance. Python cannot stop the handler threads,
        # which would keep the process alive, so fcsdk.cli ends it at once.
        import logging

        logging.getLogger("fcsdk.runtime").warning(
            "fcsdk serve: exiting with %d invocation(s) still running after --graceful-timeout",
            busy,
        )
        _end_process_after(args)
    if not server.started:
        return EXIT_FUNCTION_ERROR
    return 130 if signal.SIGINT in received else 0
