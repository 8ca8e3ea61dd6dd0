"""Load a handler named ``module.function`` from a code directory, the way FC does.

FC's handler setting is ``<module>.<function>``: ``index.handler`` (``index.py`` in the code
directory), ``src/index.handler`` (``src/index.py``, with ``src`` also put on ``sys.path`` so its
sibling modules import) or ``pkg.mod.handler`` (a package). Failures raise the
:class:`~fcsdk.runtime.errors.HandlerLoadError` whose ``error_type`` is FC's name for them.

Example:
    >>> import os, tempfile
    >>> d = tempfile.mkdtemp()
    >>> with open(os.path.join(d, "loader_doc_mod.py"), "w") as f:
    ...     _ = f.write("def handler(event, context):\\n    return 'hi'\\n")
    >>> load_handler("loader_doc_mod.handler", d)(b"", None)
    'hi'
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
from typing import Any, Callable, NamedTuple, Optional

from .errors import (
    HandlerNotFoundError,
    ImportModuleError,
    InvalidHandlerNameError,
    UserCodeError,
    UserCodeSyntaxError,
    fault_trace,
)

__all__ = ["HandlerName", "load_handler", "parse_handler_name"]

_RUNTIME_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_lock = threading.RLock()


class HandlerName(NamedTuple):
    """A parsed handler setting: sub-folder (or ""), dotted module name, function name."""

    folder: str
    module: str
    function: str


def parse_handler_name(name: str) -> HandlerName:
    """Split ``[folder/]module.function`` into its parts.

    Raises:
        InvalidHandlerNameError: when ``name`` is not of that form.

    Example:
        >>> parse_handler_name("src/index.handler")
        HandlerName(folder='src', module='index', function='handler')
        >>> parse_handler_name("pkg.mod.main").module
        'pkg.mod'
    """
    if not isinstance(name, str) or not name.strip():
        raise InvalidHandlerNameError(
            "the handler is empty: set it to <module>.<function>, e.g. index.handler"
        )
    text = name.strip()
    folder, _, dotted = text.rpartition("/")
    module, dot, function = dotted.rpartition(".")
    parts = module.split(".") if module else []
    folders = folder.split("/") if folder else []
    bad_folder = folder.startswith("/") or any(p in ("", ".", "..") for p in folders)
    if not dot or not parts or bad_folder or not all(p.isidentifier() for p in [*parts, function]):
        raise InvalidHandlerNameError(
            f"invalid handler name {text!r}: it must be <module>.<function> (e.g. index.handler), "
            "<folder>/<module>.<function> or <package>.<module>.<function>, with Python "
            "identifiers for the module and function names"
        )
    return HandlerName(folder, module, function)


def _under(path: Optional[str], directory: str) -> bool:
    return bool(path) and os.path.abspath(str(path)).startswith(directory + os.sep)


#: Top-level modules this loader imported, by name: the only ones it may replace later.
_imported: dict[str, Any] = {}


def _forget_foreign(module: str, directory: str) -> None:
    """Drop ``module`` (and its package) from ``sys.modules`` when this loader imported it
    earlier from another code directory, so that loading ``index`` from one code directory after
    another gets the right file. Modules imported otherwise (the standard library's ``http`` or
    ``logging``, site-packages, the runtime's own) stay: a handler module of the same name then
    resolves to them, as it does on FC, whose runtime has imported them already."""
    top = module.split(".")[0]
    existing = sys.modules.get(top)
    if existing is None or _imported.get(top) is not existing:
        return
    file = getattr(existing, "__file__", None)
    paths = list(getattr(existing, "__path__", None) or [])
    if _under(file, directory) or any(_under(os.path.join(p, "x"), directory) for p in paths):
        return
    for key in [k for k in sys.modules if k == top or k.startswith(top + ".")]:
        del sys.modules[key]
    del _imported[top]


def _origin(module: Any) -> str:
    file = getattr(module, "__file__", None)
    return str(file) if file else "built-in"


def _put_first(path: str) -> None:
    if sys.path[:1] != [path]:
        if path in sys.path:
            sys.path.remove(path)
        sys.path.insert(0, path)


def _import(module: str, search_dir: str, where: str) -> Any:
    try:
        return importlib.import_module(module)
    except SyntaxError as exc:
        raise UserCodeSyntaxError(
            f"syntax error in module {module!r} ({where}): {exc.msg} "
            f"({os.path.basename(str(exc.filename or '?'))}, line {exc.lineno})",
            stack_trace=fault_trace(exc),
        ) from exc
    except ImportError as exc:
        missing = getattr(exc, "name", None) or ""
        own = missing and (module == missing or module.startswith(missing + "."))
        if isinstance(exc, ModuleNotFoundError) and own:
            raise ImportModuleError(
                f"cannot import module {module!r}: no {module.replace('.', '/')}.py in {where}",
                # FC finds the module segment by segment with imp.find_module, whose error is
                # a plain ImportError naming the missing segment
                stack_trace=[f"ImportError: No module named {missing.rsplit('.', 1)[-1]!r}"],
            ) from exc
        raise ImportModuleError(
            f"module {module!r} failed to import: {type(exc).__name__}: {exc}",
            stack_trace=fault_trace(exc),
        ) from exc
    except BaseException as exc:
        if isinstance(exc, (KeyboardInterrupt, GeneratorExit)):
            raise
        raise UserCodeError(
            f"module {module!r} raised while being imported: {type(exc).__name__}: {exc}",
            stack_trace=fault_trace(exc),
        ) from exc


def _suggest(module: Any, parsed: HandlerName) -> str:
    """``use 'index.handler'`` (the module's ``handler``, else its first function)."""
    prefix = f"{parsed.folder}/{parsed.module}" if parsed.folder else parsed.module
    names = [
        n
        for n, v in vars(module).items()
        if callable(v)
        and not n.startswith("_")
        and getattr(v, "__module__", None) == module.__name__
    ]
    functions = [n for n in names if not isinstance(vars(module)[n], type)]  # not Order(...)
    best = "handler" if "handler" in names else (functions or names or ["handler"])[0]
    return f"use '{prefix}.{best}'"


def load_handler(name: str, code_dir: str = ".") -> Callable[..., Any]:
    """Import ``name`` (``module.function``) from ``code_dir`` and return the function.

    ``code_dir`` (and a sub-folder named in ``name``) is put first on ``sys.path``, as FC puts its
    code directory. A module of the same name that this function imported earlier from another
    directory is replaced; any other module already imported under that name (the standard
    library's ``logging``, say) is used as it is, as on FC.

    Raises:
        InvalidHandlerNameError: ``name`` is not ``module.function``.
        ImportModuleError: the module, or something it imports, is not found.
        UserCodeSyntaxError: the module does not compile.
        UserCodeError: the module raised while being imported.
        HandlerNotFoundError: the module has no callable attribute ``function``.

    Example:
        >>> from fcsdk.runtime.errors import HandlerLoadError
        >>> try:
        ...     load_handler("index")
        ... except HandlerLoadError as exc:
        ...     print(exc.error_type)
        InvalidHandleName
    """
    parsed = parse_handler_name(name)
    base = os.path.abspath(code_dir)
    search_dir = os.path.join(base, *parsed.folder.split("/")) if parsed.folder else base
    where = search_dir if os.path.isdir(search_dir) else f"{search_dir} (no such directory)"
    with _lock:
        _put_first(base)
        if search_dir != base:
            _put_first(search_dir)
        importlib.invalidate_caches()
        _forget_foreign(parsed.module, search_dir)
        top = parsed.module.split(".")[0]
        preloaded = sys.modules.get(top)
        module = _import(parsed.module, search_dir, where)
        if preloaded is None and top in sys.modules:
            _imported[top] = sys.modules[top]
    # A module of that name imported before (e.g. the standard library's): FC's runtime would
    # resolve the handler to it too. Say so when it is not the user's file.
    foreign = "" if _under(getattr(module, "__file__", None), base) else _origin(module)
    try:
        func = getattr(module, parsed.function)
    except AttributeError as exc:
        trace = fault_trace(exc)  # FC's stackTrace: the AttributeError's line
        clash = (
            f"; {parsed.module!r} is the module already imported from {foreign}, not a file of "
            "the code directory: rename your module"
            if foreign
            else ""
        )
        if parsed.function == "py" and not foreign:  # `fcsdk invoke index.py`: a file name
            raise HandlerNotFoundError(
                f"{name.strip()!r} is a file name; the handler is <module>.<function>: "
                f"{_suggest(module, parsed)}",
                stack_trace=trace,
            ) from None
        raise HandlerNotFoundError(
            f"module {parsed.module!r} has no function {parsed.function!r} "
            f"(handler {name.strip()!r}){clash}",
            stack_trace=trace,
        ) from None
    if not callable(func):
        raise HandlerNotFoundError(
            f"{parsed.module}.{parsed.function} is a {type(func).__name__}, not a function"
        )
    return func  # type: ignore[no-any-return]
