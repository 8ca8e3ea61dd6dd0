"""PEP 562 lazy attributes for packages whose public names live in sub-modules.

Example:
    >>> getattr_, dir_ = lazy_attributes("fcsdk.events", {"TimerEvent": "timer"})
    >>> getattr_("TimerEvent").__name__
    'TimerEvent'
"""

from __future__ import annotations

import importlib
import sys
from typing import Any, Callable

__all__ = ["lazy_attributes"]


def lazy_attributes(
    package: str, modules: dict[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: ``name`` is imported from
    ``package.modules[name]`` on first access and cached in the package's namespace."""

    def __getattr__(name: str) -> Any:
        try:
            module_name = modules[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(f"{package}.{module_name}"), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(modules))

    return __getattr__, __dir__
