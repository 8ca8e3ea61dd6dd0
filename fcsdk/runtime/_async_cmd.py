"""``fcsdk invoke --async``: FC's asynchronous invocation, emulated. A failing (or timed-out)
attempt is invoked again, up to ``--max-retries`` times, with the same request id and
``retry_count`` counting up (0 for the first attempt); ``--destination-file F`` writes the
record FC would send to the on-success or on-failure destination.

FC waits between retries (with backoff) and may run a retry while a timed-out attempt still
runs elsewhere; here retries follow at once, and a timed-out attempt's thread keeps running
beside the retry, as it would on FC. Unconfirmed details of the service (the timestamp format,
the ARN form, the ``condition`` of a failure record, whether the default 3 counts the first
attempt) are chosen as documented in docs/notes/idempotency.md.

Example:
    >>> record = destination_record(b'{"id": 1}', 200, b'"ok"', None, request_id="r",
    ...     function_arn="acs:fc:cn-hangzhou:123:functions/f", attempts=2)
    >>> record["requestContext"]["condition"], record["requestPayload"]
    ('Success', '{"id": 1}')
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from typing import Any, Callable, Optional

__all__ = ["add_async_arguments", "check_async_arguments", "destination_record", "run_attempts"]

#: FC's default and largest number of retries of an asynchronous invocation.
DEFAULT_MAX_RETRIES, MAX_RETRIES = 3, 8


def add_async_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--async``, ``--max-retries`` and ``--destination-file`` to ``fcsdk invoke``.

    Example:
        >>> p = argparse.ArgumentParser(); add_async_arguments(p)
        >>> p.parse_args(["--async", "--max-retries", "2"]).max_retries
        2
    """
    group = parser.add_argument_group("asynchronous invocation (FC's retries, emulated)")
    group.add_argument(
        "--async",
        dest="async_invoke",
        action="store_true",
        help="invoke asynchronously: retry a failing attempt with retry_count counting up",
    )
    group.add_argument(
        "--max-retries",
        type=int,
        default=None,
        metavar="N",
        help=f"retries after the first attempt, 0-{MAX_RETRIES} (default {DEFAULT_MAX_RETRIES})",
    )
    group.add_argument(
        "--destination-file",
        metavar="PATH",
        default=None,
        help="write the destination record FC would send (JSON) to PATH",
    )


def check_async_arguments(args: argparse.Namespace) -> Optional[str]:
    """A usage error message, or None.

    Example:
        >>> check_async_arguments(argparse.Namespace(async_invoke=False, max_retries=1,
        ...     destination_file=None))
        '--max-retries and --destination-file go with --async'
    """
    if not getattr(args, "async_invoke", False):
        if getattr(args, "max_retries", None) is not None or getattr(
            args, "destination_file", None
        ):
            return "--max-retries and --destination-file go with --async"
        return None
    n = args.max_retries
    if n is not None and not 0 <= n <= MAX_RETRIES:
        return f"--max-retries must be between 0 and {MAX_RETRIES} (FC's range), got {n}"
    return None


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def destination_record(
    event: bytes,
    status: int,
    body: bytes,
    error: Optional[dict[str, Any]],
    *,
    request_id: str,
    function_arn: str,
    attempts: int,
) -> dict[str, Any]:
    """The destination record of an asynchronous invocation (see
    :class:`fcsdk.events.DestinationRecord`).

    Example:
        >>> destination_record(b"", 200, b"{}", {"errorType": "ValueError"}, request_id="r",
        ...     function_arn="f", attempts=4)["responseContext"]
        {'statusCode': 200, 'functionError': 'UnhandledInvocationError'}
    """
    now = datetime.datetime.now(datetime.timezone.utc)
    return {
        "timestamp": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
        "requestContext": {
            "requestId": request_id,
            "functionArn": function_arn,
            "condition": "Success" if error is None else "RetriesExhausted",
            "approximateInvokeCount": attempts,
        },
        "requestPayload": _text(event),
        "responseContext": {
            "statusCode": status,
            "functionError": "" if error is None else "UnhandledInvocationError",
        },
        "responsePayload": _text(body),
    }


def run_attempts(
    args: argparse.Namespace,
    attempt: Callable[[int], Any],
    event: bytes,
    *,
    request_id: str,
    function_arn: str,
) -> Any:
    """Call ``attempt(retry_count)`` until it succeeds or the retries are spent; write the
    destination record when asked; return the last attempt's result."""
    retries = DEFAULT_MAX_RETRIES if args.max_retries is None else args.max_retries
    result: Any = None
    count = 0
    for count in range(retries + 1):
        result = attempt(count)
        if result.error is None:
            break
        if count < retries:
            kind = "timed out" if result.timed_out else "failed"
            print(
                f"FC Async: attempt {count + 1} {kind} ({result.error.get('errorType')}); "
                f"retrying with retry_count={count + 1}",
                file=sys.stderr,
            )
    if args.destination_file:
        record = destination_record(
            event,
            200,
            result.body,
            result.error,
            request_id=request_id,
            function_arn=function_arn,
            attempts=count + 1,
        )
        with open(args.destination_file, "w", encoding="utf-8") as f:
            json.dump(record, f, indent=2, ensure_ascii=False)
            f.write("\n")
    return result
