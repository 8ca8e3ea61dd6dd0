"""FC runtimes as build targets: Python version, glibc, what the runtime already ships.

Example:
    >>> from fcsdk.packaging import resolve_target
    >>> t = resolve_target("python3.10")
    >>> t.python, t.abi, t.platforms[-1]
    ('3.10', 'cp310', 'manylinux1_x86_64')
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from .._runtimes import RUNTIMES as _RUNTIME_IDS
from .errors import UnknownRuntimeError

__all__ = ["RUNTIMES", "Target", "resolve_target"]


@dataclass(frozen=True)
class _Runtime:
    python: Optional[str]  # None: the custom runtimes take --python
    glibc: int  # minor version of glibc 2.x on the runtime's Debian
    preinstalled: dict[str, Optional[str]] = field(default_factory=dict)


#: The runtimes ``fcsdk package`` builds for (reference, section 8). Built-in runtimes have a fixed
#: Python; the custom runtimes run whatever Python the function brings (``--python``).
RUNTIMES: dict[str, _Runtime] = {
    "python3.9": _Runtime("3.9", 28, {"oss2": "2.15.0"}),
    "python3.10": _Runtime("3.10", 28, {"oss2": "2.16.0", "tablestore": None, "aliyun-fc2": None}),
    "python3.12": _Runtime("3.12", 31, {"oss2": "2.18.6"}),
    "custom": _Runtime(None, 24),
    "custom.debian10": _Runtime(None, 28),
    "custom.debian11": _Runtime(None, 31),
    "custom.debian12": _Runtime(None, 36),
}

_UNSUPPORTED = {
    "python3": "python3 runs Python 3.6, which pydantic v2 (and so fcsdk) cannot run on",
    "python2.7": "python2.7 runs Python 2.7, which fcsdk cannot run on",
}

_MIN_PYTHON = (3, 9)


@dataclass(frozen=True)
class Target:
    """What a package is built for: an FC runtime and its CPython on manylinux x86_64.

    Attributes:
        runtime: the FC runtime id (``python3.10``, ``custom.debian12``).
        python: ``"X.Y"``.
        platforms: pip ``--platform`` tags, newest glibc first.
        preinstalled: distributions the runtime ships (name -> version, None when unknown).

    Example:
        >>> from fcsdk.packaging import resolve_target
        >>> resolve_target("custom.debian12", python="3.13").abi
        'cp313'
    """

    runtime: str
    python: str
    glibc: int
    preinstalled: dict[str, Optional[str]]

    @property
    def abi(self) -> str:
        """The CPython ABI tag, e.g. ``cp310``."""
        return "cp" + self.python.replace(".", "")

    @property
    def platforms(self) -> list[str]:
        """Every manylinux x86_64 tag this runtime's glibc can load, for pip's ``--platform``."""
        tags = [f"manylinux_2_{minor}_x86_64" for minor in range(self.glibc, 4, -1)]
        legacy = [("manylinux2014_x86_64", 17), ("manylinux2010_x86_64", 12)]
        tags += [tag for tag, minor in legacy if minor <= self.glibc]
        return [*tags, "manylinux1_x86_64"]

    def marker_environment(self) -> dict[str, str]:
        """PEP 508 marker values of this runtime (pip evaluates markers for the build machine)."""
        return {
            "implementation_name": "cpython",
            "implementation_version": f"{self.python}.0",
            "os_name": "posix",
            "platform_machine": "x86_64",
            "platform_python_implementation": "CPython",
            "platform_release": "",
            "platform_system": "Linux",
            "platform_version": "",
            "python_full_version": f"{self.python}.0",
            "python_version": self.python,
            "sys_platform": "linux",
        }

    def describe(self) -> str:
        """One line for humans: ``python3.10 (CPython 3.10, manylinux x86_64, glibc 2.28)``."""
        return f"{self.runtime} (CPython {self.python}, manylinux x86_64, glibc 2.{self.glibc})"


def resolve_target(runtime: str, python: Optional[str] = None) -> Target:
    """The :class:`Target` for an FC runtime id (and ``python`` "X.Y" for custom runtimes).

    Raises:
        UnknownRuntimeError: unknown id, a runtime fcsdk cannot run on, a custom runtime without
            ``python``, or a ``python`` that contradicts a built-in runtime.

    Example:
        >>> from fcsdk.packaging import resolve_target, UnknownRuntimeError
        >>> resolve_target("python3.12").preinstalled["oss2"]
        '2.18.6'
        >>> try:
        ...     resolve_target("python4")
        ... except UnknownRuntimeError as exc:
        ...     print(str(exc).split(";")[0])
        unknown runtime 'python4'
    """
    name = runtime.strip()
    spec = RUNTIMES.get(name)
    known = ", ".join(_RUNTIME_IDS)  # the one list (the legacy "custom" is accepted, not shown)
    if spec is None:
        reason = _UNSUPPORTED.get(name)
        if reason:
            raise UnknownRuntimeError(
                f"cannot build for runtime {name!r}: {reason}; use one of {known}"
            )
        raise UnknownRuntimeError(f"unknown runtime {name!r}; use one of {known}")
    version = python.strip() if python else None
    if version is not None:
        match = re.fullmatch(r"(?:python)?(\d+)\.(\d+)", version)
        if match is None:
            raise UnknownRuntimeError(f"--python must look like 3.12, not {python!r}")
        major, minor = int(match.group(1)), int(match.group(2))
        if (major, minor) < _MIN_PYTHON:
            raise UnknownRuntimeError(f"fcsdk needs Python 3.9 or newer, not {major}.{minor}")
        version = f"{major}.{minor}"
    if spec.python is None:
        if version is None:
            raise UnknownRuntimeError(
                f"runtime {name!r} runs the Python your function brings: pass --python (e.g. 3.12)"
            )
    elif version is not None and version != spec.python:
        raise UnknownRuntimeError(
            f"runtime {name!r} runs Python {spec.python}, not {version}: drop --python, or use a "
            "custom runtime (custom.debian12) with --python"
        )
    return Target(name, version or spec.python or "", spec.glibc, dict(spec.preinstalled))
