"""Wheels as distributions: metadata, files, and the dependency graph for a target runtime."""

from __future__ import annotations

import email.parser
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from packaging.markers import Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from .errors import PackagingError
from .fcignore import unsafe_path

__all__ = ["Closure", "Distribution", "closure", "parse_metadata", "read_wheel", "wheel_files"]

_METADATA = re.compile(r"^[^/]+\.dist-info/METADATA$")


@dataclass
class Distribution:
    """One distribution to ship: its name, version, requirements and where its files are."""

    name: str  # canonical
    display: str
    version: str
    requires: list[Requirement]
    wheel: Optional[Path] = None
    extra_files: dict[str, Path] = field(default_factory=dict)  # arcname -> file on disk
    metadata_text: str = ""


def parse_metadata(text: str) -> tuple[str, str, list[Requirement]]:
    """(name, version, requirements) from the text of a METADATA file."""
    msg = email.parser.Parser().parsestr(text, headersonly=True)
    requires: list[Requirement] = []
    for line in msg.get_all("Requires-Dist") or []:
        try:
            requires.append(Requirement(str(line)))
        except InvalidRequirement:  # pragma: no cover - a broken wheel; pip would have refused it
            continue
    return str(msg.get("Name", "")), str(msg.get("Version", "")), requires


def read_wheel(path: Path) -> Distribution:
    """The :class:`Distribution` of a wheel file."""
    with zipfile.ZipFile(path) as zf:
        member = next((n for n in zf.namelist() if _METADATA.match(n)), None)
        text = zf.read(member).decode("utf-8", "replace") if member else ""
    name, version, requires = parse_metadata(text)
    if not name:  # fall back to the file name: name-version-...
        name, version = path.name.split("-")[:2]
    return Distribution(canonicalize_name(name), name, version, requires, wheel=path)


def wheel_files(path: Path) -> list[tuple[str, str]]:
    """``(arcname in the package, member in the wheel)`` for every file a wheel installs into
    site-packages: purelib/platlib data folded into the root; scripts, headers and data left out.

    Raises:
        PackagingError: a member's path could escape the package folder when unzipped
            (zip-slip: ``..``, absolute, backslashes, drive letters); the message names the
            wheel and the member.
    """
    out = []
    with zipfile.ZipFile(path) as zf:
        for member in zf.namelist():
            why = unsafe_path(member)
            if why is not None:
                raise PackagingError(
                    f"wheel {path.name} is unsafe: its member {member!r} {why}, so unzipping "
                    "the package could write outside its folder; refusing to package it (use "
                    "another version of that distribution, or report it to its authors)"
                )
            if member.endswith("/"):
                continue
            first, _, rest = member.partition("/")
            if first.endswith(".data"):
                kind, _, inner = rest.partition("/")
                if kind in ("purelib", "platlib") and inner:
                    out.append((inner, member))
                continue
            out.append((member, member))
    return out


@dataclass
class Closure:
    """What a set of roots needs on the target: reached names, requirements nobody provides
    (``missing``), and edges into the stop set (``stopped``: requirer, requirement)."""

    reached: set[str] = field(default_factory=set)
    missing: list[Requirement] = field(default_factory=list)
    stopped: list[tuple[str, Requirement]] = field(default_factory=list)


def _applies(req: Requirement, env: Mapping[str, str], extras: Iterable[str]) -> bool:
    marker: Optional[Marker] = req.marker
    if marker is None:
        return True
    return any(marker.evaluate({**env, "extra": extra}) for extra in ("", *extras))


def closure(
    roots: Iterable[Requirement],
    dists: Mapping[str, Distribution],
    env: Mapping[str, str],
    *,
    stop: Iterable[str] = (),
) -> Closure:
    """Walk requirements from ``roots`` through ``dists`` with markers evaluated for ``env``
    (the target runtime, not this machine), not entering names in ``stop``."""
    stop_names = {canonicalize_name(s) for s in stop}
    result = Closure()
    seen: set[tuple[str, frozenset[str]]] = set()
    todo: list[tuple[str, Requirement]] = [("", r) for r in roots]
    while todo:
        requirer, req = todo.pop()
        if not requirer and not _applies(req, env, ()):
            continue  # a root whose marker excludes the target
        name = canonicalize_name(req.name)
        if name in stop_names:
            result.stopped.append((requirer, req))
            continue
        dist = dists.get(name)
        if dist is None:
            result.missing.append(req)
            continue
        key = (name, frozenset(canonicalize_name(e) for e in req.extras))
        if key in seen:
            continue
        seen.add(key)
        result.reached.add(name)
        for sub in dist.requires:
            if _applies(sub, env, key[1]):
                todo.append((name, sub))
    return result
