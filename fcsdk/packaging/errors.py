"""Errors of ``fcsdk package``: a branch of the fcsdk error tree.

::

    FCError
    └── PackagingError                  "packaging"
        ├── HandlerModuleNotFoundError  "handler_module_not_found"  SRC lacks the handler's module
        ├── UnknownRuntimeError         "unknown_runtime"           not an FC runtime fcsdk can target
        ├── RequirementNotFoundError    "requirement_not_found"     no such project on the index
        ├── NoCompatibleWheelError      "no_compatible_wheel"       no wheel for FC's platform
        ├── DependencyResolutionError   "dependency_resolution"     pip could not resolve the set
        └── OutputPathError             "output_path"               the zip cannot be written there

Every one of them leaves no zip behind: the zip is written to a temporary file beside the output
and renamed into place only when complete.

Example:
    >>> import fcsdk as fc
    >>> from fcsdk.packaging import NoCompatibleWheelError
    >>> issubclass(NoCompatibleWheelError, fc.FCError), NoCompatibleWheelError.code
    (True, 'no_compatible_wheel')
"""

from __future__ import annotations

from ..errors import FCError

__all__ = [
    "DependencyResolutionError",
    "HandlerModuleNotFoundError",
    "NoCompatibleWheelError",
    "OutputPathError",
    "PackagingError",
    "RequirementNotFoundError",
    "UnknownRuntimeError",
]


class PackagingError(FCError):
    """Base class of every ``fcsdk package`` failure.

    Example:
        >>> from fcsdk.packaging import PackagingError, OutputPathError
        >>> issubclass(OutputPathError, PackagingError)
        True
    """

    code = "packaging"


class HandlerModuleNotFoundError(PackagingError):
    """SRC does not contain the module the handler names (``index.handler`` needs ``index.py``).

    Example:
        >>> from fcsdk.packaging import HandlerModuleNotFoundError
        >>> HandlerModuleNotFoundError("no index.py").code
        'handler_module_not_found'
    """

    code = "handler_module_not_found"


class UnknownRuntimeError(PackagingError):
    """The runtime name is not one fcsdk can build for, or ``--python`` does not fit it.

    Example:
        >>> from fcsdk.packaging import UnknownRuntimeError
        >>> UnknownRuntimeError("unknown runtime 'python2.7'").code
        'unknown_runtime'
    """

    code = "unknown_runtime"


class RequirementNotFoundError(PackagingError):
    """A requirement names a project the package index does not have (or is not valid).

    Example:
        >>> from fcsdk.packaging import RequirementNotFoundError
        >>> RequirementNotFoundError("no such project: 'pydantc'").code
        'requirement_not_found'
    """

    code = "requirement_not_found"


class NoCompatibleWheelError(PackagingError):
    """A dependency exists but has no wheel that FC's platform (Linux x86_64, the runtime's
    CPython) can load. ``package`` names it.

    Example:
        >>> from fcsdk.packaging import NoCompatibleWheelError
        >>> NoCompatibleWheelError("no wheel", package="crcmod").package
        'crcmod'
    """

    code = "no_compatible_wheel"

    def __init__(self, message: str, *, package: str = "") -> None:
        super().__init__(message)
        self.package = package


class DependencyResolutionError(PackagingError):
    """pip could not resolve the dependencies (conflicting versions, no network, pip missing).

    Example:
        >>> from fcsdk.packaging import DependencyResolutionError
        >>> DependencyResolutionError("conflict").code
        'dependency_resolution'
    """

    code = "dependency_resolution"


class OutputPathError(PackagingError):
    """The output zip cannot be written: something other than a regular file is there (a
    directory, device, FIFO or socket, never replaced), or its folder cannot be made or written.

    Example:
        >>> from fcsdk.packaging import OutputPathError
        >>> OutputPathError("cannot write /root.zip").code
        'output_path'
    """

    code = "output_path"
