"""Which lifecycle hooks go with a handler: those of the module the handler string names.

``fcsdk invoke`` and ``fcsdk serve`` run the ``@fc.initializer``, ``@fc.pre_stop`` and
``@fc.pre_freeze`` hooks defined in the handler's module by themselves. The module is the one
named in the handler setting (``index`` for ``index.handler`` or ``src/index.handler``), never
the module of the handler object's class: ``handler = fc.http.asgi(app)`` is an object made in
``fcsdk.http.asgi``, but its hooks are those of ``index.py``.

Example:
    >>> import os, sys, tempfile
    >>> d = tempfile.mkdtemp()
    >>> with open(os.path.join(d, "hooks_doc_mod.py"), "w") as f:
    ...     _ = f.write(
    ...         "import fcsdk as fc\\n"
    ...         "class App:\\n"
    ...         "    def __call__(self, event, context):\\n"
    ...         "        return 'hi'\\n"
    ...         "handler = App()\\n"
    ...         "@fc.initializer\\n"
    ...         "def init(context):\\n"
    ...         "    pass\\n"
    ...     )
    >>> from fcsdk.runtime.loader import load_handler
    >>> _ = load_handler("hooks_doc_mod.handler", d)
    >>> sorted(module_hooks("hooks_doc_mod.handler"))
    ['initializer']
    >>> del sys.modules["hooks_doc_mod"]
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any, Callable, Optional

from ..lifecycle import find_hooks
from .errors import HandlerLoadError
from .loader import parse_handler_name

__all__ = ["handler_module", "module_hooks"]


def handler_module(handler: str) -> Optional[ModuleType]:
    """The imported module that the handler setting ``handler`` names (None when it is not
    imported, or the name is not ``[folder/]module.function``).

    Example:
        >>> handler_module("json.dumps").__name__
        'json'
        >>> handler_module("not a handler") is None
        True
    """
    try:
        parsed = parse_handler_name(handler)
    except HandlerLoadError:
        return None
    module = sys.modules.get(parsed.module)
    return module if isinstance(module, ModuleType) else None


def module_hooks(handler: str) -> dict[str, Callable[..., Any]]:
    """The ``@fc.initializer`` / ``@fc.pre_stop`` / ``@fc.pre_freeze`` hooks of the module
    named in ``handler``, by kind (empty when the module is not imported).

    Example:
        >>> module_hooks("json.dumps")
        {}
    """
    module = handler_module(handler)
    return find_hooks(module) if module is not None else {}
