"""Spans around generators and async generators (``@tracer.capture_method`` on one).

Calling a generator function runs none of its body, so a span around the call would end before
the work starts. Here the span starts at the first ``next()`` (or ``send``/``__anext__``), ends
when the generator is exhausted, closed (``break`` out of the loop, ``close()``, collected) or
raises, and records that exception. The span is the current one only while the generator's own
code runs: spans its body starts are its children, and the consumer's code between two items is
not inside it.
"""

from __future__ import annotations

import functools
from typing import Any, AsyncGenerator, Callable, Generator, Optional

__all__ = ["trace_async_generator", "trace_generator"]


def _failed(span: Any, exc: BaseException) -> None:
    from opentelemetry.trace import Status, StatusCode

    span.record_exception(exc)
    span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))


def trace_generator(
    func: Callable[..., Generator[Any, Any, Any]], otel: Any, name: str, traced: Callable[[], bool]
) -> Callable[..., Generator[Any, Any, Any]]:
    """``func`` (a generator function) with a span over each generator's iteration, when
    ``traced()`` is true at the first ``next()``."""
    from opentelemetry import context as otel_context
    from opentelemetry import trace

    attach, detach, in_span = otel_context.attach, otel_context.detach, trace.set_span_in_context

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
        gen = func(*args, **kwargs)
        if not traced():
            return (yield from gen)
        span = otel.start_span(name)
        current = in_span(span)
        ended: Optional[BaseException] = None
        try:
            token = attach(current)
            try:
                value = next(gen)
            finally:
                detach(token)
            while True:
                try:
                    sent = yield value
                except GeneratorExit:
                    token = attach(current)
                    try:
                        gen.close()
                    finally:
                        detach(token)
                    raise
                except BaseException as exc:  # thrown in by the consumer: the body may handle it
                    token = attach(current)
                    try:
                        value = gen.throw(exc)
                    finally:
                        detach(token)
                else:
                    token = attach(current)
                    try:
                        value = gen.send(sent)
                    finally:
                        detach(token)
        except StopIteration as stop:
            return stop.value
        except GeneratorExit:
            raise
        except BaseException as exc:
            ended = exc
            raise
        finally:
            if ended is not None:
                _failed(span, ended)
            span.end()

    return wrapper


def trace_async_generator(
    func: Callable[..., AsyncGenerator[Any, Any]], otel: Any, name: str, traced: Callable[[], bool]
) -> Callable[..., AsyncGenerator[Any, Any]]:
    """``func`` (an async generator function) with a span over each async generator's
    iteration, when ``traced()`` is true at the first ``__anext__()``."""
    from opentelemetry import context as otel_context
    from opentelemetry import trace

    attach, detach, in_span = otel_context.attach, otel_context.detach, trace.set_span_in_context

    @functools.wraps(func)
    async def wrapper(*args: Any, **kwargs: Any) -> AsyncGenerator[Any, Any]:
        agen = func(*args, **kwargs)
        span = otel.start_span(name) if traced() else None
        current = in_span(span) if span is not None else None
        ended: Optional[BaseException] = None

        async def step(op: Any) -> Any:
            if current is None:
                return await op
            token = attach(current)
            try:
                return await op
            finally:
                detach(token)

        try:
            value = await step(agen.__anext__())
            while True:
                try:
                    sent = yield value
                except GeneratorExit:
                    await step(agen.aclose())
                    raise
                except BaseException as exc:
                    value = await step(agen.athrow(exc))
                else:
                    value = await step(agen.asend(sent))
        except StopAsyncIteration:
            return
        except GeneratorExit:
            raise
        except BaseException as exc:
            ended = exc
            raise
        finally:
            if span is not None:
                if ended is not None:
                    _failed(span, ended)
                span.end()

    return wrapper
