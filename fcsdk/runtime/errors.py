"""Handler load errors, named after the ``errorType`` FC reports for each.

::

    FCError
    └── HandlerLoadError            code "handler_load"      errorType
        ├── InvalidHandlerNameError   "InvalidHandleName"    not ``module.function``
        ├── ImportModuleError         "ImportModuleError"    module not found / an import failed
        ├── UserCodeSyntaxError       "UserCodeSyntaxError"  the module does not compile
        ├── UserCodeError             "UserCodeError"        the module raised while importing
        └── HandlerNotFoundError      "HandlerNotFound"      no such (callable) attribute

``to_dict()`` gives FC's error JSON: ``errorType`` is :attr:`HandlerLoadError.error_type`
(FC's name), not the Python class name.

Example:
    >>> from fcsdk.runtime.errors import ImportModuleError
    >>> ImportModuleError("No module named 'index'").to_dict()["errorType"]
    'ImportModuleError'
"""

from __future__ import annotations

import importlib
import os
from typing import Any, ClassVar, Optional

from ..errors import FCError

#: Frames of files under these folders are left out of FC's ``stackTrace``: fcsdk's own and
#: importlib's, which only say how the handler was reached.
_HIDDEN_DIRS = (
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep,
    os.path.dirname(os.path.abspath(importlib.__file__ or "importlib")) + os.sep,
)

__all__ = [
    "HandlerLoadError",
    "HandlerNotFoundError",
    "ImportModuleError",
    "InvalidHandlerNameError",
    "UserCodeError",
    "UserCodeSyntaxError",
    "fault_trace",
    "stack_trace",
]


class HandlerLoadError(FCError):
    """The handler named ``module.function`` could not be loaded.

    Attributes:
        error_type: the ``errorType`` FC reports for this failure.
        stack_trace: FC's ``stackTrace`` for a load failure: the lines of the cause's
            ``traceback.format_exception_only``, split as FC splits them (:func:`fault_trace`).

    Example:
        >>> from fcsdk.runtime.errors import HandlerLoadError, UserCodeError
        >>> issubclass(UserCodeError, HandlerLoadError)
        True
    """

    code: ClassVar[str] = "handler_load"
    error_type: ClassVar[str] = "UserCodeError"

    def __init__(self, message: str, *, stack_trace: Optional[list[Any]] = None) -> None:
        super().__init__(message)
        self.stack_trace: list[Any] = list(stack_trace or [])

    def to_dict(self) -> dict[str, Any]:
        """FC's error JSON for this load failure (``stackTrace`` only when there is one, as FC
        leaves it out when empty).

        Example:
            >>> from fcsdk.runtime.errors import HandlerNotFoundError
            >>> HandlerNotFoundError("x").to_dict()
            {'errorMessage': 'x', 'errorType': 'HandlerNotFound'}
        """
        out: dict[str, Any] = {"errorMessage": self.message, "errorType": self.error_type}
        if self.stack_trace:
            out["stackTrace"] = self.stack_trace
        return out


class InvalidHandlerNameError(HandlerLoadError):
    """The handler setting is not of the form ``module.function`` (FC: ``InvalidHandleName``).

    Example:
        >>> from fcsdk.runtime.errors import InvalidHandlerNameError
        >>> InvalidHandlerNameError("bad").error_type
        'InvalidHandleName'
    """

    error_type = "InvalidHandleName"


class ImportModuleError(HandlerLoadError):
    """The handler's module, or something it imports, cannot be found (FC: ``ImportModuleError``).

    Example:
        >>> from fcsdk.runtime.errors import ImportModuleError
        >>> ImportModuleError("x").code
        'handler_load'
    """

    error_type = "ImportModuleError"


class UserCodeSyntaxError(HandlerLoadError):
    """The handler's module has a syntax error (FC: ``UserCodeSyntaxError``).

    Example:
        >>> from fcsdk.runtime.errors import UserCodeSyntaxError
        >>> UserCodeSyntaxError("x").error_type
        'UserCodeSyntaxError'
    """

    error_type = "UserCodeSyntaxError"


class UserCodeError(HandlerLoadError):
    """The handler's module raised while being imported (FC: ``UserCodeError``).

    Example:
        >>> from fcsdk.runtime.errors import UserCodeError
        >>> UserCodeError("x").error_type
        'UserCodeError'
    """

    error_type = "UserCodeError"


class HandlerNotFoundError(HandlerLoadError):
    """The module has no callable of the handler's name (FC: ``HandlerNotFound``).

    Example:
        >>> from fcsdk.runtime.errors import HandlerNotFoundError
        >>> HandlerNotFoundError("x").error_type
        'HandlerNotFound'
    """

    error_type = "HandlerNotFound"


def _fc_frame(entry: str) -> list[str]:
    """One ``traceback.format_tb`` entry split as FC's runtime splits it: the first line's
    comma-separated parts (``File "path"``, ``line N``, ``in func``), then the source line."""
    lines = entry.split("\n")
    return [part.strip() for part in lines[0].split(",")] + [lines[1].strip()]


def stack_trace(tb: Any, *, skip: tuple[str, ...] = ()) -> list[list[str]]:
    """FC's ``stackTrace`` for a traceback: each ``traceback.format_tb`` entry split as FC's
    runtime splits it, ``['File "path"', "line N", "in func", source]``, leaving out fcsdk's
    and importlib's frames (frozen ones too) and frames whose file starts with a prefix in
    ``skip``.

    Example:
        >>> import sys
        >>> try:
        ...     1 / 0
        ... except ZeroDivisionError:
        ...     frames = stack_trace(sys.exc_info()[2])
        >>> frames[0][1:]
        ['line 2', 'in <module>', '1 / 0']
    """
    import traceback

    kept = [
        frame
        for frame in traceback.extract_tb(tb)
        if not frame.filename.startswith(("<frozen ", *_HIDDEN_DIRS, *skip))
    ]
    return [_fc_frame(entry) for entry in traceback.StackSummary.from_list(kept).format()]


def fault_trace(exc: BaseException) -> list[str]:
    """FC's ``stackTrace`` for a handler that failed to load: the lines of
    ``traceback.format_exception_only(exc)``, carets dropped, the first one split at commas.

    Example:
        >>> fault_trace(ModuleNotFoundError("No module named 'index'"))
        ["ModuleNotFoundError: No module named 'index'"]
    """
    import traceback

    out: list[str] = []
    for idx, chunk in enumerate(traceback.format_exception_only(type(exc), exc)):
        for item in chunk.split("\n"):
            text = item.replace("^", "").strip()
            if not text:
                continue
            if idx:
                out.append(text)
            else:
                out.extend(part.strip() for part in text.split(",") if part.strip())
    return out
