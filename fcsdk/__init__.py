"""fcsdk: typed handlers for Alibaba Cloud Function Compute.

Example:
    >>> import fcsdk as fc
    >>> from pydantic import BaseModel
    >>> class Order(BaseModel):
    ...     order_id: str
    >>> @fc.handler
    ... def handler(event: Order, context: fc.Context) -> str:
    ...     return event.order_id
    >>> handler(b'{"order_id": "a-1"}', None)
    'a-1'

``import fcsdk`` stays cheap (cold starts are paid on every new FC instance): trigger models
(``fc.events``), envelopes, the HTTP layer, the runtime, the testing kit, ``fc.logger`` (the
standard library's :mod:`logging`) and the context's dataclasses are imported on first
attribute access. ``tests/test_import_cost.py`` holds the list of what it may import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._handler import FCHandler, handler
from .context import Context
from .credentials import Credentials
from .errors import (
    ConfigurationError,
    CredentialsUnavailableError,
    EventDecodeError,
    EventError,
    EventValidationError,
    FCError,
    MissingDependencyError,
    ResponseEncodeError,
    ResponseError,
    ResponseValidationError,
)

if TYPE_CHECKING:  # the lazily imported names, typed for mypy and pyright
    from . import logging as logging
    from ._meta import FunctionMeta as FunctionMeta
    from ._meta import ServiceMeta as ServiceMeta
    from ._meta import Tracing as Tracing
    from .lifecycle import initializer as initializer
    from .lifecycle import pre_freeze as pre_freeze
    from .lifecycle import pre_stop as pre_stop
    from .logging import logger as logger

__version__ = "0.1.0"

# Public names provided by sub-packages, imported on first access (PEP 562).
_LAZY: dict[str, tuple[str, str | None]] = {
    "events": ("fcsdk.events", None),
    "envelopes": ("fcsdk.envelopes", None),
    "http": ("fcsdk.http", None),
    "testing": ("fcsdk.testing", None),
    "http_handler": ("fcsdk.http", "http_handler"),
    "initializer": ("fcsdk.lifecycle", "initializer"),
    "pre_stop": ("fcsdk.lifecycle", "pre_stop"),
    "pre_freeze": ("fcsdk.lifecycle", "pre_freeze"),
    "logging": ("fcsdk.logging", None),  # fcsdk.logging, which imports the standard library's
    "logger": ("fcsdk.logging", "logger"),
    "FunctionMeta": ("fcsdk._meta", "FunctionMeta"),
    "ServiceMeta": ("fcsdk._meta", "ServiceMeta"),
    "Tracing": ("fcsdk._meta", "Tracing"),
}

__all__ = [
    "ConfigurationError",
    "Context",
    "Credentials",
    "CredentialsUnavailableError",
    "EventDecodeError",
    "EventError",
    "EventValidationError",
    "FCError",
    "FCHandler",
    "FunctionMeta",
    "MissingDependencyError",
    "ResponseEncodeError",
    "ResponseError",
    "ResponseValidationError",
    "ServiceMeta",
    "Tracing",
    "__version__",
    "handler",
    "logger",
]


def __getattr__(name: str) -> Any:
    try:
        module_name, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'fcsdk' has no attribute {name!r}") from None
    import importlib  # not at import time: a fresh interpreter may not have loaded it yet

    module = importlib.import_module(module_name)
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
