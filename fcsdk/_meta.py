"""The records :class:`fcsdk.Context` returns for ``function``, ``service`` and ``tracing``.

Frozen dataclasses in their own module, imported on first use (``ctx.function``, or
``fc.FunctionMeta``), so that ``import fcsdk`` does not load :mod:`dataclasses` (and the
:mod:`inspect` it imports): cold start is paid on every new FC instance.

Example:
    >>> from fcsdk._meta import FunctionMeta
    >>> FunctionMeta(name="f").name
    'f'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

__all__ = ["FunctionMeta", "ServiceMeta", "Tracing"]


@dataclass(frozen=True)
class FunctionMeta:
    """The function being invoked.

    Example:
        >>> import fcsdk as fc
        >>> fc.FunctionMeta(name="orders", memory=512).memory
        512
    """

    name: Optional[str] = None
    handler: Optional[str] = None
    #: Memory size in MB.
    memory: Optional[int] = None
    #: Timeout in seconds.
    timeout: Optional[int] = None
    initializer: Optional[str] = None
    version_id: Optional[str] = None
    qualifier: Optional[str] = None


@dataclass(frozen=True)
class ServiceMeta:
    """The FC 2.0 service (FC 3.0 has none; fields are then None).

    Example:
        >>> import fcsdk as fc
        >>> fc.ServiceMeta(name="svc").log_project is None
        True
    """

    name: Optional[str] = None
    log_project: Optional[str] = None
    log_store: Optional[str] = None
    qualifier: Optional[str] = None
    version_id: Optional[str] = None


@dataclass(frozen=True)
class Tracing:
    """Tracing headers (FC 2.0 OpenTracing / Jaeger).

    Example:
        >>> import fcsdk as fc
        >>> fc.Tracing().span_baggages
        {}
    """

    span_context: Optional[str] = None
    jaeger_endpoint: Optional[str] = None
    span_baggages: dict[str, Any] = field(default_factory=dict)
