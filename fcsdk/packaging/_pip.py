"""Running pip (as ``python -m pip``) for a target runtime, and turning its failures into errors."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Optional

from packaging.requirements import InvalidRequirement, Requirement

from .errors import DependencyResolutionError, NoCompatibleWheelError, RequirementNotFoundError
from .runtimes import Target

__all__ = ["download"]

_NOT_FOUND = re.compile(r"No matching distribution found for (.+?)\s*$", re.MULTILINE)
_INVALID = re.compile(r"Invalid requirement: '?([^'\n]+)'?", re.MULTILINE)
#: What pip prints when it cannot reach an index (its retries warn with urllib3's words).
_UNREACHABLE = re.compile(
    r"NewConnectionError|ConnectTimeoutError|Max retries exceeded|Could not fetch URL"
    r"|Temporary failure in name resolution|Name or service not known"
)
#: When the resolver gives up (ResolutionImpossible), pip lists under this heading the projects
#: with no distribution at all for the target: typically an indirect dependency published as
#: source only (Alibaba Cloud's SDKs pull several), which the first message above never names.
_UNAVAILABLE = re.compile(
    r"no matching distributions available for your environment:\n((?:[ \t]+\S+[ \t]*\n?)+)"
)
#: pip's note on where a requirement came from: "foo<2 (from bar)".
_FROM = re.compile(r"\s*\(from [^)]*\)\s*$")
#: Platforms other than FC's, to tell "no wheel for FC" from "no such project".
_OTHER_PLATFORMS = ("win_amd64", "macosx_11_0_arm64", "macosx_10_9_x86_64", "any")


def _run(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "pip", *args]
    try:
        return subprocess.run(
            cmd, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL
        )
    except OSError as exc:  # pragma: no cover - the interpreter itself vanished
        raise DependencyResolutionError(f"cannot run pip: {exc}") from exc


def _target_args(target: Target) -> list[str]:
    args = ["--only-binary=:all:", "--implementation", "cp", "--python-version", target.python]
    for platform in target.platforms:
        args += ["--platform", platform]
    return args


def _tail(text: str, lines: int = 12) -> str:
    kept = [ln for ln in text.splitlines() if ln.strip() and "is ignored: it is neither" not in ln]
    return "\n".join(kept[-lines:])


def _project_exists(name: str, target: Target, index_args: Sequence[str]) -> bool:
    """Whether the index knows ``name`` at all (any file for any platform)."""
    if _run(["index", "versions", *index_args, name]).returncode == 0:
        return True
    other = ["index", "versions", *index_args, name, "--only-binary=:all:"]
    other += ["--python-version", target.python]
    for platform in _OTHER_PLATFORMS:
        other += ["--platform", platform]
    return _run(other).returncode == 0


def _build_pure_wheel(
    requirement: str, wheelhouse: Path, index_args: Sequence[str]
) -> Optional[Path]:
    """Build ``requirement`` from its source distribution; the wheel if it is pure Python."""
    with tempfile.TemporaryDirectory(prefix="fcsdk-sdist-") as tmp:
        args = ["wheel", "--no-deps", "--wheel-dir", tmp, *index_args, requirement]
        done = _run(args)
        built = sorted(Path(tmp).glob("*.whl"))
        if done.returncode != 0 or len(built) != 1 or not built[0].name.endswith("-none-any.whl"):
            return None
        dest = wheelhouse / built[0].name
        dest.write_bytes(built[0].read_bytes())
        return dest


def _unavailable(output: str) -> list[str]:
    """The projects pip's ResolutionImpossible report lists as having no distribution for the
    target, each as the requirement its first dependent states ("X 1.0 depends on NAME<2 and
    >=1" gives ``NAME<2,>=1``), else the bare name.

    Example:
        >>> _unavailable(
        ...     "    top 1.1 depends on dep<1.0.0 and >=0.0.3\\n"
        ...     "Additionally, some packages in these conflicts have no matching distributions "
        ...     "available for your environment:\\n    dep\\n    other\\n"
        ... )
        ['dep<1.0.0,>=0.0.3', 'other']
    """
    found = _UNAVAILABLE.search(output)
    if found is None:
        return []
    return [_stated(name, output) for name in found.group(1).split()]


def _stated(name: str, output: str) -> str:
    """The requirement on ``name`` as the first "X depends on NAME..." line of pip's conflict
    report states it (its "and" as commas), else the bare name."""
    stated = re.search(
        rf"depends on ({re.escape(name)}(?![\w.-])[^\s]*(?: and [^\s]+)*)", output, re.I
    )
    return stated.group(1).replace(" and ", ",") if stated else name


def _depended_on(output: str) -> list[str]:
    """Every project a "depends on" line of pip's conflict report names, once each."""
    names = re.findall(r"depends on ([A-Za-z0-9][A-Za-z0-9._-]*)", output)
    return list(dict.fromkeys(names))


def _has_distribution(
    requirement: str, target: Target, index_args: Sequence[str], wheelhouse: Path
) -> bool:
    """Whether pip finds a wheel of ``requirement`` for the target (its dependencies aside)."""
    with tempfile.TemporaryDirectory(prefix="fcsdk-probe-") as tmp:
        args = ["download", "--no-deps", "--no-input", "--dest", tmp, *_target_args(target)]
        args += ["--find-links", str(wheelhouse), *index_args, requirement]
        return _run(args).returncode == 0


def _source_only(
    output: str, target: Target, index_args: Sequence[str], wheelhouse: Path
) -> list[str]:
    """The requirements pip could not satisfy for the target for want of any wheel: those its
    report lists (pip 25 and later), else, for older pips that only print the conflict, each
    project a "depends on" line names that has no wheel for the target (one probe each)."""
    listed = _unavailable(output)
    if listed or "conflict is caused by" not in output:
        return listed
    wanted = [_stated(name, output) for name in _depended_on(output)]
    return [r for r in wanted if not _has_distribution(r, target, index_args, wheelhouse)]


def _name_of(requirement: str) -> str:
    try:
        return Requirement(requirement).name
    except InvalidRequirement:
        return re.split(r"[\s<>=!~;\[(]", requirement.strip(), maxsplit=1)[0]


def download(
    requirements: Sequence[str],
    dest: Path,
    target: Target,
    *,
    requirement_files: Sequence[Path] = (),
    constraints: Optional[Path] = None,
    wheelhouse: Path,
    index_args: Sequence[str] = (),
    max_source_builds: int = 10,
) -> list[str]:
    """``pip download`` wheels of ``requirements`` (and their dependencies) for ``target`` into
    ``dest``. A dependency published only as pure-Python source is built into a wheel in
    ``wheelhouse`` (running its build code on this machine) and offered to pip from there.
    ``index_args`` (the requirements file's ``--index-url`` and the like) go to every pip call.

    Returns:
        The names of the projects built from source.

    Raises:
        RequirementNotFoundError: a project the index does not have, or an invalid requirement.
        NoCompatibleWheelError: a project with no wheel for the target (named in the message).
        DependencyResolutionError: any other pip failure (conflicts, network), with pip's words.
    """
    args = ["download", "--dest", str(dest), "--no-input", *_target_args(target)]
    args += ["--find-links", str(wheelhouse), *index_args]
    if constraints is not None:
        args += ["--constraint", str(constraints)]
    for path in requirement_files:
        args += ["--requirement", str(path)]
    args += list(requirements)
    built: list[str] = []
    while len(built) <= max_source_builds:
        done = _run(args)
        if done.returncode == 0:
            return built
        output = done.stdout + "\n" + done.stderr
        invalid = _INVALID.search(output)
        if invalid:
            raise RequirementNotFoundError(f"invalid requirement {invalid.group(1).strip()!r}")
        missing = _NOT_FOUND.search(output)
        if missing:
            wanted = [_FROM.sub("", missing.group(1))]
        else:
            wanted = _source_only(output, target, index_args, wheelhouse)
        if not wanted:
            raise DependencyResolutionError(
                f"pip could not collect the dependencies for {target.describe()}:\n{_tail(output)}"
            )
        if _UNREACHABLE.search(output):
            raise DependencyResolutionError(
                f"pip could not reach a package index while looking for {wanted[0]!r}; check "
                f"the network and the index options of your requirements:\n{_tail(output)}"
            )
        for requirement in wanted:
            built.append(_build_or_fail(requirement, built, target, wheelhouse, index_args))
    raise DependencyResolutionError(  # pragma: no cover - more than max_source_builds sdists
        f"more than {max_source_builds} dependencies had to be built from source"
    )


def _build_or_fail(
    requirement: str,
    built: list[str],
    target: Target,
    wheelhouse: Path,
    index_args: Sequence[str],
) -> str:
    """Build ``requirement``'s pure-Python wheel into ``wheelhouse`` and return its name, or raise
    the error that says why it cannot be packaged."""
    name = _name_of(requirement)
    if not _project_exists(name, target, index_args):
        where = "the package indexes your requirements name" if index_args else "the package index"
        raise RequirementNotFoundError(
            f"no project named {name!r} on {where} (requirement {requirement!r}): "
            "check the spelling in your requirements"
        )
    if (
        name.lower() in {b.lower() for b in built}
        or _build_pure_wheel(requirement, wheelhouse, index_args) is None
    ):
        hint = ""
        if target.preinstalled:
            have = ", ".join(sorted(target.preinstalled))
            hint = (
                f" If it comes with a package {target.runtime} already has ({have}), "
                "add --exclude-preinstalled."
            )
        raise NoCompatibleWheelError(
            f"{name} has no wheel for {target.describe()} ({requirement!r}), and its source "
            f"does not build a pure-Python wheel; pin a version that publishes a manylinux "
            f"x86_64 {target.abi} wheel, or build it on Linux x86_64 with Python "
            f"{target.python}.{hint}",
            package=name,
        )
    return name
