"""``fcsdk invoke``: FC's built-in Python runtime, emulated, for one call (see
:mod:`fcsdk.runtime.cli` for the command's description)."""

from __future__ import annotations

import argparse
import contextlib
import inspect
import json
import os
import sys
import time
import uuid
from typing import IO, Any, Iterator, Optional

from ._cmd import (
    EXIT_FUNCTION_ERROR,
    _bad_seconds,
    _end_process_after,
    _error,
    _setup_logging,
)

__all__ = ["run_invoke"]


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
        if "headers" in inspect.signature(factory).parameters:
            kwargs = _json_content_type(kwargs)
        data = factory(**kwargs)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"--trigger {name}: {exc}") from None
    except ImportError as exc:  # MissingDependencyError: cbor2 for tablestore
        raise LookupError(f"--trigger {name}: {exc}") from None
    return data if isinstance(data, bytes) else str(data).encode()


def _json_content_type(kwargs: dict[str, Any]) -> dict[str, Any]:
    """An HTTP-like trigger's ``body`` given as JSON text gets ``Content-Type:
    application/json`` unless a content type is given (what a JSON client sends; without it
    FastAPI answers 422)."""
    body = kwargs.get("body")
    if not isinstance(body, (str, bytes)):
        return kwargs
    headers = dict(kwargs.get("headers") or {})
    if any(str(k).lower() == "content-type" for k in headers):
        return kwargs
    try:
        value = json.loads(body)
    except ValueError:
        return kwargs
    if not isinstance(value, (dict, list)):
        return kwargs
    headers["content-type"] = "application/json"
    return {**kwargs, "headers": headers}


def _read_event(args: argparse.Namespace) -> bytes:
    if args.trigger_option and not args.trigger:
        raise ValueError("--trigger-option goes with --trigger NAME")
    if args.trigger:
        return _trigger_event(args.trigger, list(args.trigger_option))
    if args.event_file:
        try:
            with open(args.event_file, "rb") as f:
                return f.read()
        except OSError as exc:
            raise ValueError(
                f"--event-file {args.event_file}: {exc.strerror or exc} (the path is relative to "
                "the current folder, not to --code-dir)"
            ) from None
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
    from ._async_cmd import check_async_arguments
    from .errors import HandlerLoadError, ImportModuleError, UserCodeError
    from .hooks import module_hooks
    from .invoke import TimedOut, call_handler, error_body, run_timed, timeout_error
    from .loader import load_handler
    from .native import native_context, shape_of

    bad = (
        _bad_seconds("--timeout", args.timeout)
        or _bad_seconds("--initialization-timeout", args.initialization_timeout)
        or check_async_arguments(args)
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
    if shape_of(args.runtime) in ("B", "C") and creds is not None:  # FC 3.0: creds in env
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
            hook = module_hooks(args.handler).get("initializer")  # named by the handler string
        return func, hook

    with _environ(env), _stdout_to_stderr() as out:
        started = time.monotonic()
        try:
            # On FC the module is imported within the invocation (or the initialization): its
            # import counts against the timeout.
            loaded = run_timed(load, timeout, "fc-load")
        except HandlerLoadError as exc:
            cause = exc.__cause__
            log.error(
                "cannot load %s: %s: %s",
                args.handler,
                exc.error_type,
                exc,
                # the traceback into the user's module (FC's body only has the cause's line)
                exc_info=cause if isinstance(exc, (UserCodeError, ImportModuleError)) else None,
            )
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
            init_rid = str(uuid.uuid4())
            init_native = native_context(args.runtime, request_id=init_rid, **ctx_args)
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

        def attempt(retry_count: Optional[int]) -> Any:
            retry = None if retry_count is None else str(retry_count)
            native = native_context(args.runtime, request_id=rid, retry_count=retry, **ctx_args)
            print(f"FC Invoke Start RequestId: {rid}", file=sys.stderr)
            result = call_handler(
                func,
                event,
                native,
                timeout=max(timeout - (load_seconds if not retry_count else 0.0), 0.0),
                on_timeout=on_timeout,
                reported_timeout=timeout,
            )
            print(f"FC Invoke End RequestId: {rid}", file=sys.stderr)
            return result

        # --async: FC's retries and the destination record (see _async_cmd)
        if getattr(args, "async_invoke", False):
            from ._async_cmd import run_attempts

            arn = f"acs:fc:{region or ''}:{args.account_id or ''}:functions/{name}"
            result = run_attempts(args, attempt, event, request_id=rid, function_arn=arn)
        else:
            result = attempt(None)
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
