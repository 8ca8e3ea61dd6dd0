"""``fcsdk package``: build the code package (or layer) FC's Python runtime can load.

Dependencies are installed from wheels for FC's platform (Linux x86_64, manylinux, the
runtime's CPython), chosen by pip's own cross-platform options, whatever machine builds the zip.
The zip is deterministic: the same input gives the same bytes.

Needs ``packaging`` (``pip install "fcsdk[package]"``) and pip; ``import fcsdk`` never imports
this package.

Example:
    >>> import pathlib, tempfile, zipfile
    >>> from fcsdk.packaging import build_package
    >>> src = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (src / "index.py").write_text("def handler(event, context):\\n    return event\\n")
    >>> report = build_package(src, runtime="python3.10", output=src / "code.zip", no_deps=True)
    >>> zipfile.ZipFile(report.output).namelist()
    ['index.py']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import MissingDependencyError
from .errors import (
    DependencyResolutionError,
    HandlerModuleNotFoundError,
    NoCompatibleWheelError,
    OutputPathError,
    PackagingError,
    RequirementNotFoundError,
    UnknownRuntimeError,
)
from .fcignore import DEFAULT_RULES, IgnoreRules, collect_files
from .report import DistSize, PackageReport, size_warnings
from .runtimes import RUNTIMES, Target, resolve_target

if TYPE_CHECKING:
    from .builder import build_package

__all__ = [
    "DEFAULT_RULES",
    "RUNTIMES",
    "DependencyResolutionError",
    "DistSize",
    "HandlerModuleNotFoundError",
    "IgnoreRules",
    "NoCompatibleWheelError",
    "OutputPathError",
    "PackageReport",
    "PackagingError",
    "RequirementNotFoundError",
    "Target",
    "UnknownRuntimeError",
    "build_package",
    "collect_files",
    "resolve_target",
    "size_warnings",
]


def __getattr__(name: str) -> Any:
    # The builder needs ``packaging``: import it on first use, so that ``fcsdk --help`` works
    # without it and the error names the extra to install.
    if name != "build_package":
        raise AttributeError(f"module 'fcsdk.packaging' has no attribute {name!r}")
    try:
        import packaging.requirements  # noqa: F401
    except ImportError as exc:  # pragma: no cover - only without the extra
        raise MissingDependencyError.for_extra("packaging", "package") from exc
    from .builder import build_package

    return build_package
