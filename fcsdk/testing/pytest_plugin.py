"""pytest plugin (entry point ``pytest11: fcsdk``): the ``fc_context`` and ``fc_invoke`` fixtures.

Imported by every pytest run once fcsdk is installed, so it imports nothing but pytest at
module level and never fails.

Example (in a test file)::

    def test_handler(fc_invoke):
        from fcsdk.testing import events
        assert fc_invoke(index.handler, events.timer(payload="x")).ok
"""

from __future__ import annotations

from typing import Any, Callable

import pytest


@pytest.fixture
def fc_context() -> Any:
    """A fresh native-like FC context (``python3.10`` shape); see ``fcsdk.testing.fake_context``."""
    from fcsdk.testing import fake_context

    return fake_context()


@pytest.fixture
def fc_invoke(fc_context: Any) -> Callable[..., Any]:
    """``fc_invoke(handler, event, context=None, raise_errors=True)``: ``fcsdk.testing.invoke``
    with this test's ``fc_context`` as the default context."""
    from fcsdk.testing import invoke

    def call(handler: Any, event: Any = b"", context: Any = None, **kwargs: Any) -> Any:
        return invoke(handler, event, fc_context if context is None else context, **kwargs)

    return call
