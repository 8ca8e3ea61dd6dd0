"""Test FC handlers without deploying them: fake contexts, FC-exact events, ``invoke``.

Example:
    >>> import fcsdk as fc
    >>> from fcsdk.testing import events, invoke
    >>> @fc.handler
    ... def handler(event: fc.events.TimerEvent, context: fc.Context) -> dict:
    ...     return {"payload": event.payload, "fn": context.function.name}
    >>> invoke(handler, events.timer(payload="hi")).json()
    {'fn': 'fcsdk-test', 'payload': 'hi'}

With pytest, the ``fc_context`` and ``fc_invoke`` fixtures are registered automatically
(plugin ``fcsdk.testing.pytest_plugin``).
"""

from __future__ import annotations

from . import events
from ._context import FakeContext, fake_context
from ._invoke import InvokeResult, encode_event, invoke

__all__ = ["FakeContext", "InvokeResult", "encode_event", "events", "fake_context", "invoke"]
