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
``FC_CUSTOM_LISTEN_PORT``, else 9000; an HTTP app as an FC 3.0 web function (``--mode``). A
valid ``x-fc-function-timeout`` header bounds each call (without one: the function's timeout
FC sent before, else ``--timeout``). On SIGTERM it waits for in-flight invocations (at most
``--graceful-timeout`` seconds), then runs the ASGI lifespan shutdown and PreStop on their own
thread (at most ``--pre-stop-timeout``) while still waiting for them, and exits: invocations
still running then are answered as failed and the process ends at once (never answered failed
and left to complete).

Example:
    >>> import argparse
    >>> parser = argparse.ArgumentParser()
    >>> add_parser(parser.add_subparsers())
    >>> parser.parse_args(["invoke", "index.handler", "--event", "{}"]).runtime
    'python3.10'
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from typing import Any

from .._runtimes import DEFAULT_RUNTIME, RUNTIMES
from ._async_cmd import add_async_arguments
from ._cmd import (
    EXIT_FUNCTION_ERROR,
    EXIT_USAGE,
    _bad_seconds,
    _end_process_after,
    _error,
    _setup_logging,
)
from ._invoke_cmd import run_invoke

__all__ = ["add_parser", "run_invoke", "run_serve"]


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
        default=DEFAULT_RUNTIME,
        choices=RUNTIMES,
        metavar="RUNTIME",
        help=f"FC runtime: {', '.join(RUNTIMES)}; sets the context's shape: python3.12 has no "
        "context.credentials, the custom runtimes pass the x-fc-* headers "
        f"(default: {DEFAULT_RUNTIME})",
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
    add_async_arguments(inv)
    inv.set_defaults(func=run_invoke)

    srv = subparsers.add_parser(
        "serve",
        help="serve a handler over FC's custom-runtime HTTP protocol",
        description=(
            "Serve HANDLER (module.function) over FC's custom-runtime protocol: POST /invoke, "
            "POST /initialize, GET /pre-stop, GET /pre-freeze. An HTTP app (fc.http.asgi, "
            "fc.http.wsgi, a Router, an ASGI app) is served as an FC 3.0 web function: every "
            "other request goes to the app as it is. Needs fcsdk[server]."
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
        default=DEFAULT_RUNTIME,
        choices=RUNTIMES,
        metavar="RUNTIME",
        help=f"FC runtime: {', '.join(RUNTIMES)}; the context shape undecorated handlers get "
        f"(default: {DEFAULT_RUNTIME})",
    )
    srv.add_argument("--initializer", metavar="MODULE.FUNC", help="the Initializer hook")
    srv.add_argument("--pre-stop", metavar="MODULE.FUNC", help="the PreStop hook")
    srv.add_argument("--pre-freeze", metavar="MODULE.FUNC", help="the PreFreeze hook")
    srv.add_argument(
        "--graceful-timeout",
        type=float,
        default=None,
        help="on SIGTERM, wait at most this many seconds for in-flight invocations; those "
        "still running then are answered with their result if it comes while PreStop runs, "
        "else as failed, and the process ends at once",
    )
    srv.add_argument(
        "--pre-stop-timeout",
        type=float,
        default=10.0,
        help="seconds for the ASGI lifespan shutdown and the PreStop hook (default 10)",
    )
    srv.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        help="seconds a call may run when FC sent no x-fc-function-timeout yet (default 60)",
    )
    srv.add_argument(
        "--mode",
        choices=("auto", "web", "event"),
        default="auto",
        help="web: pass HTTP requests through to the app (FC 3.0 web function); event: the "
        "/invoke protocol; auto (default): web for fc.http.asgi/wsgi, a Router or an ASGI app",
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


def _bind(host: str, port: int) -> Any:
    """A socket bound to ``host:port`` (as uvicorn binds it), or the one-line error."""
    import errno
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            return (
                f"port {port} is already in use on {host}: stop what listens there or serve on "
                "another port with --port N"
            )
        return f"cannot listen on {host}:{port} ({exc.strerror or exc}): choose --host/--port"
    return sock


def _protocol_for(app: Any, access_log: bool) -> Any:
    """fcsdk's own protocol for an event function (``fcsdk.runtime._http1``: an invocation
    goes from the parser to a worker and back without a task); uvicorn's for a web function,
    with ``--access-log`` (uvicorn writes those lines), or without httptools."""
    if app.web is not None or access_log:
        return "auto"
    try:
        from ._http1 import EventProtocol
    except ImportError:  # httptools missing: uvicorn's h11 protocol
        return "auto"
    return EventProtocol


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
    bad = bad or _bad_seconds("--pre-stop-timeout", args.pre_stop_timeout)
    bad = bad or _bad_seconds("--timeout", args.timeout)
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
        mode=args.mode,
        timeout=args.timeout,
        pre_stop_timeout=args.pre_stop_timeout,
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
        http=_protocol_for(app, args.access_log),
    )
    sock = _bind(args.host, port)  # before anything starts: a port in use is a usage error
    if isinstance(sock, str):
        return _error(sock)
    server = uvicorn.Server(config)
    received: list[int] = []
    # uvicorn re-raises the signal it stopped on; record it instead of dying by it, so that a
    # graceful SIGTERM ends with exit code 0 as FC expects.
    previous = {
        sig: signal.signal(sig, lambda signum, _frame: received.append(signum))
        for sig in (signal.SIGTERM, signal.SIGINT)
    }
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
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
