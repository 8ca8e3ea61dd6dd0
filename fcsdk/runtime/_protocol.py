"""The wire side of ``fcsdk serve``'s custom-runtime protocol: headers, bodies, answers, and
how a call's outcome is awaited (timeouts, the end of the grace period)."""

from __future__ import annotations

import asyncio
import json
import logging
import math
from typing import Any, Awaitable, Callable, Optional

from ..context import Context
from ._pool import Job

log = logging.getLogger("fcsdk.runtime")

Send = Callable[[dict[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[dict[str, Any]]]

_TIMED_OUT = object()
_GONE = {
    "errorMessage": "Process exited unexpectedly before completing request "
    "(fcsdk serve stopped after its --graceful-timeout)",
    "errorType": "UnhandledInvocationError",
    "stackTrace": [],
}


def _header_text(value: bytes) -> str:
    """A header value as text: UTF-8 when it is, else latin-1 (every byte kept)."""
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def _seconds(ctx: Context, header: str) -> Optional[float]:
    """A timeout header as seconds; None when absent or not a finite positive number. The
    headers may be text (the ``/invoke`` path) or bytes (web functions: the ASGI scope's)."""
    headers = ctx.raw or {}
    raw = headers.get(header)
    if raw is None:
        raw = headers.get(header.encode())
    if isinstance(raw, bytes):
        raw = raw.decode("latin-1")
    try:
        value = float(str(raw).strip()) if raw is not None else math.nan
    except ValueError:
        return None
    return value if math.isfinite(value) and value > 0 else None


def _fc_headers(ctx: Context, ok: bool, sent: Optional[bytes]) -> tuple[tuple[bytes, bytes], ...]:
    """``x-fc-request-id`` (the bytes the request ``sent``, when they are its id) and
    ``x-fc-status``."""
    rid = ctx.request_id
    data = sent if sent is not None and _header_text(sent) == rid else rid.encode("utf-8")
    return ((b"x-fc-request-id", data), (b"x-fc-status", b"200" if ok else b"404"))


def _http_error(status: int, error_type: str, message: str) -> tuple[int, bytes]:
    body = json.dumps({"errorMessage": message, "errorType": error_type}).encode()
    return status, body


def _exc_error(exc: BaseException) -> dict[str, Any]:
    return {"errorMessage": str(exc), "errorType": type(exc).__name__, "stackTrace": []}


def _expire(future: asyncio.Future[Any]) -> None:
    if not future.done():
        future.set_result(_TIMED_OUT)


def expire_job(job: Job) -> None:
    """The call's timeout: its waiter gets ``_TIMED_OUT`` (whichever future it waits on)."""
    _expire(job.future)


async def read_body(
    headers: dict[str, str], receive: Receive, send: Send, limit: int
) -> Optional[bytes]:
    """The whole body; None after answering 413 (above ``limit``) or on a disconnect."""
    declared = headers.get("content-length", "").strip()
    if declared.isdigit() and int(declared) > limit:
        await too_large(send, limit)
        return None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            await too_large(send, limit)
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def too_large(send: Send, limit: int) -> None:
    status, body = _http_error(
        413,
        "PayloadTooLarge",
        f"the event is larger than {limit} bytes (fcsdk serve --max-body-size)",
    )
    # The rest of the body stays unread: close the connection rather than keep the client
    # waiting to send it.
    await respond(send, status, body, json_body=True, extra=((b"connection", b"close"),))


async def outcome(job: Job, timer: asyncio.TimerHandle, rid: str) -> Any:
    """What the job's future settles to (or ``_TIMED_OUT``). When the server cancels the wait
    (its ``--graceful-timeout`` is over), a job that has not started is withdrawn and one that
    runs is waited for while the lifespan shutdown and PreStop run: its answer is still the
    truth. Cancelled again (the process ends), it raises unless the answer has just come.

    The first wait is on the job's future itself, not a shield around it (a shield costs a
    future, two callbacks and a turn of the loop per call): a cancellation cancels that
    future too, and the job hands its outcome to the new future :meth:`Job.rewait` makes."""
    try:
        return await job.future
    except asyncio.CancelledError:
        if job.returned():  # it returned just as the wait was cancelled
            return job.result()
        if job.withdraw():
            raise
        log.warning(
            "fcsdk serve: grace period over, still waiting for RequestId: %s while PreStop runs",
            rid,
            extra={"request_id": rid},
        )
        try:
            return await asyncio.shield(job.rewait())
        except asyncio.CancelledError:
            if job.returned():
                return job.result()
            raise
    finally:
        timer.cancel()


async def respond(
    send: Send,
    status: int,
    body: bytes,
    *,
    json_body: bool,
    extra: tuple[tuple[bytes, bytes], ...] = (),
    started: bool = False,
) -> None:
    headers = [
        (b"content-type", b"application/json" if json_body else b"application/octet-stream"),
        (b"content-length", str(len(body)).encode()),
        *extra,
    ]
    try:
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
    except Exception:  # the client went away, or the response had already started
        if not started:
            raise
