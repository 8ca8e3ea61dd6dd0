"""``build_package``: the function's code plus its dependencies for FC, as one deterministic zip."""

from __future__ import annotations

import importlib.metadata
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Union

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from . import _pip
from ._requirements import RequirementsFile, index_options, pip_line, read_requirements
from ._wheels import Distribution, closure, parse_metadata, read_wheel, wheel_files
from ._zip import Entry, check_writable, write_zip
from .errors import (
    DependencyResolutionError,
    HandlerModuleNotFoundError,
    PackagingError,
    RequirementNotFoundError,
)
from .fcignore import IgnoreRules, collect_files
from .report import DistSize, PackageReport, size_warnings
from .runtimes import Target, resolve_target

__all__ = ["build_package"]

PathLike = Union[str, "os.PathLike[str]"]

#: What of fcsdk's own folder is not shipped.
_PACKAGE_RULES = IgnoreRules.parse("__pycache__/\n*.py[cod]\n")


def _handler_module(handler: str) -> str:
    module, sep, func = handler.strip().rpartition(".")
    if not sep or not module or not func or not func.isidentifier():
        raise HandlerModuleNotFoundError(
            f"handler {handler!r} must look like module.function, e.g. index.handler"
        )
    return module


def _check_handler(src: Path, handler: str, files: Sequence[tuple[str, Path]]) -> None:
    """The handler's module must be among the packaged files, as FC imports it from /code."""
    module = _handler_module(handler)
    # FC: "src/index.handler" is index.py in folder src; dots are packages.
    folder, _, dotted = module.rpartition("/")
    base = (folder + "/" if folder else "") + dotted.replace(".", "/")
    candidates = {f"{base}.py", f"{base}/__init__.py"}
    names = {rel for rel, _ in files}
    if names & candidates or any(n.startswith(base + ".") and n.endswith(".so") for n in names):
        return
    on_disk = [c for c in sorted(candidates) if (src / c).is_file()]
    if on_disk:
        raise HandlerModuleNotFoundError(
            f"{on_disk[0]} (module of handler {handler!r}) is excluded by .fcignore or fcsdk's "
            "default rules; re-include it with a '!' line in .fcignore"
        )
    raise HandlerModuleNotFoundError(
        f"{str(src)!r} has no {base}.py (module of handler {handler!r}); pass the folder that "
        "holds it as SRC, or the right --handler"
    )


def _fcsdk_distribution(prefix: str) -> tuple[Distribution, list[Entry]]:
    """fcsdk itself, from this installation (fcsdk is not fetched from any index)."""
    import fcsdk

    try:
        installed = importlib.metadata.distribution("fcsdk")
    except importlib.metadata.PackageNotFoundError as exc:  # pragma: no cover - source checkout
        raise PackagingError("fcsdk is not installed as a distribution: pip install fcsdk") from exc
    text = installed.read_text("METADATA") or ""
    name, version, requires = parse_metadata(text)
    dist = Distribution("fcsdk", name or "fcsdk", version or fcsdk.__version__, requires)
    dist.metadata_text = text
    package = Path(fcsdk.__file__).parent
    entries = [
        Entry(f"{prefix}fcsdk/{rel}", path, owner="fcsdk")
        for rel, path in collect_files(package, _PACKAGE_RULES)
    ]
    info = f"{prefix}fcsdk-{dist.version}.dist-info/METADATA"
    entries.append(Entry(info, package, owner="fcsdk", data=text.encode("utf-8")))
    return dist, entries


@dataclass
class _Deps:
    dists: dict[str, Distribution] = field(default_factory=dict)
    kept: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)


def _resolve(
    target: Target,
    extras: Iterable[str],
    requirements: Optional[Path],
    exclude_preinstalled: bool,
    fcsdk_dist: Distribution,
    work: Path,
) -> _Deps:
    env = target.marker_environment()
    stop: set[str] = (
        {canonicalize_name(n) for n in target.preinstalled} if exclude_preinstalled else set()
    )
    wanted = {e.strip() for e in extras if e.strip()}
    roots: list[Requirement] = []
    pip_lines: list[str] = []
    skipped: list[Requirement] = []
    if requirements is not None:
        parsed = read_requirements(requirements, skip=stop)
        _check_fcsdk_pins(parsed, fcsdk_dist.version, env)
        wanted |= parsed.fcsdk_extras
        roots += parsed.roots
        pip_lines += parsed.lines
        skipped += parsed.skipped
    provided = set(_provides_extra(fcsdk_dist.metadata_text))
    unknown = sorted(wanted - provided)
    if unknown:
        raise RequirementNotFoundError(
            f"fcsdk has no extra {unknown[0]!r}; choose from {', '.join(sorted(provided))}"
        )
    fcsdk_root = Requirement(f"fcsdk[{','.join(sorted(wanted))}]" if wanted else "fcsdk")
    deps = _Deps(dists={"fcsdk": fcsdk_dist})
    first = closure([fcsdk_root], deps.dists, env, stop=stop)
    requests = [pip_line(r) for r in first.missing]
    requests += [pip_line(r) for r in roots if r.marker is None or r.marker.evaluate(env)]
    wheels = work / "wheels"
    wheelhouse = work / "wheelhouse"
    wheels.mkdir()
    wheelhouse.mkdir()
    req_file = work / "requirements.txt"
    req_file.write_text("\n".join([*pip_lines, *requests]) + "\n", encoding="utf-8")
    index_args = index_options(pip_lines)
    built = _pip.download(
        [],
        wheels,
        target,
        requirement_files=[req_file],
        wheelhouse=wheelhouse,
        index_args=index_args,
    )
    all_roots = [fcsdk_root, *roots]
    for _ in range(3):  # pip evaluates markers for this machine: fetch what the target needs too
        for wheel in sorted(wheels.glob("*.whl")):
            dist = read_wheel(wheel)
            deps.dists.setdefault(dist.name, dist)
        missing = closure(all_roots, deps.dists, env, stop=stop).missing
        if not missing:
            break
        pins = work / "pins.txt"
        pins.write_text(
            "".join(f"{d.display}=={d.version}\n" for n, d in deps.dists.items() if n != "fcsdk"),
            encoding="utf-8",
        )
        built += _pip.download(
            [pip_line(r) for r in missing],
            wheels,
            target,
            constraints=pins,
            wheelhouse=wheelhouse,
            index_args=index_args,
        )
    # Wheels nothing asks for on the target: pip pulled them for this machine's markers, or they
    # are direct requirements fcsdk could not parse (URLs, paths): keep the latter as roots.
    every = closure(all_roots, deps.dists, env)
    required_names = {canonicalize_name(r.name) for d in deps.dists.values() for r in d.requires}
    extra_roots = [
        Requirement(d.display)
        for n, d in deps.dists.items()
        if n not in every.reached and n not in required_names
    ]
    final = closure([*all_roots, *extra_roots], deps.dists, env, stop=stop)
    deps.kept = final.reached
    for name in built:
        deps.warnings.append(
            f"{name} was built from its source distribution on this machine (pip ran its build "
            "code here); pin a version that publishes a wheel to avoid that"
        )
    deps.excluded = sorted(set(deps.dists) - final.reached)
    for requirer, req in [*final.stopped, *(("requirements", r) for r in skipped)]:
        have = target.preinstalled.get(canonicalize_name(req.name))
        if have and req.specifier and not req.specifier.contains(have, prereleases=True):
            deps.warnings.append(
                f"{target.runtime} ships {req.name} {have}, but {requirer or 'fcsdk'} asks for "
                f"{req}; drop --exclude-preinstalled to ship a matching {req.name}"
            )
    return deps


def _check_fcsdk_pins(parsed: RequirementsFile, version: str, env: dict[str, str]) -> None:
    """fcsdk ships from this installation: a requirement on another version is an error."""
    for req in parsed.fcsdk_pins:
        if req.marker is not None and not req.marker.evaluate(env):
            continue
        if req.specifier and not req.specifier.contains(version, prereleases=True):
            raise DependencyResolutionError(
                f"your requirements ask for {req}, but fcsdk packages itself from this "
                f"installation, which is fcsdk {version}; install a matching fcsdk here "
                f"(pip install '{req}') or change the requirement"
            )


def _provides_extra(metadata_text: str) -> list[str]:
    import email.parser

    msg = email.parser.Parser().parsestr(metadata_text, headersonly=True)
    return [str(v) for v in msg.get_all("Provides-Extra") or []]


def build_package(
    src: PathLike = ".",
    *,
    runtime: str = "python3.10",
    python: Optional[str] = None,
    handler: str = "index.handler",
    requirements: Optional[PathLike] = None,
    extras: Iterable[str] = (),
    output: PathLike = "dist/code.zip",
    layer: bool = False,
    exclude_preinstalled: bool = False,
    no_deps: bool = False,
) -> PackageReport:
    """Build the code package (or, with ``layer``, the layer) FC's runtime loads.

    The zip holds SRC's files (``.fcignore`` applied) at its root, and fcsdk with ``extras`` plus
    ``requirements`` installed from wheels for the runtime's CPython on manylinux x86_64. With
    ``layer=True`` it holds only the dependencies, under ``python/`` (FC mounts layers at
    ``/opt/python``). Equal input gives a byte-equal zip.

    Raises:
        PackagingError: one of its subclasses ``UnknownRuntimeError``,
            ``HandlerModuleNotFoundError``, ``RequirementNotFoundError``,
            ``NoCompatibleWheelError``, ``DependencyResolutionError``, ``OutputPathError``;
            no zip is left behind.

    Example:
        >>> import pathlib, tempfile, zipfile
        >>> from fcsdk.packaging import build_package
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (d / "index.py").write_text("def handler(event, context):\\n    return event\\n")
        >>> report = build_package(d, runtime="python3.12", output=d / "out" / "code.zip", no_deps=True)
        >>> zipfile.ZipFile(report.output).namelist()
        ['index.py']
    """
    target = resolve_target(runtime, python)
    if layer and no_deps:
        raise PackagingError(
            "--layer with --no-deps (layer=True, no_deps=True) would build an empty layer: a "
            "layer holds only the dependencies; drop --no-deps for the layer, or --layer for "
            "a code package of your code alone"
        )
    out = check_writable(Path(output))
    root = Path(src).resolve()
    prefix = "python/" if layer else ""
    entries: list[Entry] = []
    src_warnings: list[str] = []
    if not layer:
        if not root.is_dir():
            raise HandlerModuleNotFoundError(f"SRC {str(src)!r} is not a folder")
        files = collect_files(root, skip=[out], warnings=src_warnings)
        _check_handler(root, handler, files)
        entries += [Entry(rel, path) for rel, path in files]
    deps = _Deps(warnings=src_warnings)
    if not no_deps:
        fcsdk_dist, fcsdk_entries = _fcsdk_distribution(prefix)
        req_path = Path(requirements).resolve() if requirements is not None else None
        with tempfile.TemporaryDirectory(prefix="fcsdk-package-") as work:
            deps = _resolve(target, extras, req_path, exclude_preinstalled, fcsdk_dist, Path(work))
            deps.warnings[:0] = src_warnings
            entries += fcsdk_entries
            entries += _dependency_entries(deps, prefix)
            entries = _dedupe(entries, deps.warnings)
            sizes = write_zip(out, entries)
    else:
        sizes = write_zip(out, _dedupe(entries, deps.warnings))
    return _report(out, target, layer, entries, sizes, deps)


def _dependency_entries(deps: _Deps, prefix: str) -> list[Entry]:
    entries = []
    for name in sorted(deps.kept):
        dist = deps.dists[name]
        if dist.wheel is None:
            continue
        entries += [
            Entry(prefix + arc, dist.wheel, member, owner=name)
            for arc, member in wheel_files(dist.wheel)
        ]
    return entries


def _dedupe(entries: list[Entry], warnings: list[str]) -> list[Entry]:
    """One entry per path: the function's code wins over dependencies, then the first dep."""
    chosen: dict[str, Entry] = {}
    for entry in sorted(entries, key=lambda e: (e.owner != "", e.owner)):
        other = chosen.get(entry.arcname)
        if other is None:
            chosen[entry.arcname] = entry
        elif not entry.arcname.endswith("/__init__.py") or other.owner == "":
            who = other.owner or "your code"
            warnings.append(f"{entry.arcname} of {entry.owner} is shadowed by {who}'s")
    return list(chosen.values())


def _report(
    out: Path,
    target: Target,
    layer: bool,
    entries: list[Entry],
    sizes: dict[str, tuple[int, int]],
    deps: _Deps,
) -> PackageReport:
    per: dict[str, list[int]] = {}
    for entry in entries:
        compressed, raw = sizes.get(entry.arcname, (0, 0))
        acc = per.setdefault(entry.owner, [0, 0, 0])
        acc[0] += compressed
        acc[1] += raw
        acc[2] += 1
    dists = [
        DistSize(deps.dists[n].display, deps.dists[n].version, c, r, f)
        for n, (c, r, f) in per.items()
        if n
    ]
    dists.sort(key=lambda d: (-d.compressed, d.name))
    code = per.get("", [0, 0, 0])
    zip_size = out.stat().st_size
    warnings = [*deps.warnings, *size_warnings(zip_size, layer=layer)]
    return PackageReport(
        output=out,
        target=target,
        layer=layer,
        zip_size=zip_size,
        unzipped_size=sum(raw for _, raw in sizes.values()),
        files=len(sizes),
        code_size=code[0],
        code_files=code[2],
        distributions=dists,
        excluded=[f"{deps.dists[n].display} {deps.dists[n].version}" for n in deps.excluded],
        warnings=warnings,
    )
