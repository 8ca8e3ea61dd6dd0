"""Reading a requirements.txt for ``fcsdk package``: roots of the graph, fcsdk lines taken out."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from .errors import RequirementNotFoundError

__all__ = ["RequirementsFile", "pip_line", "read_requirements"]

_COMMENT = re.compile(r"(^|\s)#.*$")
_NESTED = re.compile(r"^(-r|--requirement|-c|--constraint)(?:\s+|=)(.+)$")


@dataclass
class RequirementsFile:
    """What a requirements file asks for, as fcsdk sees it.

    ``lines`` keeps what fcsdk does not interpret (options, URLs, paths; nested constraint files
    made absolute); ``roots`` are the requirements themselves, whose markers the builder evaluates
    for the target runtime (pip would evaluate them for this machine). Lines naming fcsdk (which
    pip must not fetch: fcsdk comes from this installation) and ``skip`` names are taken out.
    """

    lines: list[str] = field(default_factory=list)
    roots: list[Requirement] = field(default_factory=list)
    fcsdk_extras: set[str] = field(default_factory=set)
    skipped: list[Requirement] = field(default_factory=list)


def _logical_lines(text: str) -> list[str]:
    out: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = _COMMENT.sub("", raw).rstrip()
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = (pending + line).strip()
        pending = ""
        if line:
            out.append(line)
    if pending.strip():
        out.append(pending.strip())
    return out


def read_requirements(path: Path, *, skip: set[str], _depth: int = 0) -> RequirementsFile:
    """Parse ``path`` (following ``-r``), keeping pip's syntax for everything fcsdk does not need
    to understand (options, URLs, local paths).

    Raises:
        RequirementNotFoundError: the file (or a nested one) does not exist, or nests too deep.
    """
    if _depth > 10:
        raise RequirementNotFoundError(f"requirements files nest too deep at {str(path)!r}")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RequirementNotFoundError(
            f"cannot read requirements file {str(path)!r}: {exc.strerror or exc}"
        ) from exc
    result = RequirementsFile()
    for line in _logical_lines(text):
        nested = _NESTED.match(line)
        if nested:
            flag, target = nested.group(1), nested.group(2).strip()
            full = (path.parent / target).resolve()
            if flag in ("-r", "--requirement"):
                inner = read_requirements(full, skip=skip, _depth=_depth + 1)
                result.lines += inner.lines
                result.roots += inner.roots
                result.fcsdk_extras |= inner.fcsdk_extras
                result.skipped += inner.skipped
            else:
                result.lines.append(f"{flag} {full}")
            continue
        if line.startswith("-"):
            result.lines.append(line)
            continue
        try:
            req = Requirement(line)
        except InvalidRequirement:
            result.lines.append(line)  # a URL or a path: pip knows what to do with it
            continue
        name = canonicalize_name(req.name)
        if name == "fcsdk":
            result.fcsdk_extras |= set(req.extras)
        elif name in skip:
            result.skipped.append(req)
        else:
            result.roots.append(req)
    return result


def pip_line(req: Requirement) -> str:
    """``req`` without its marker (already evaluated for the target), as pip reads it."""
    extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
    if req.url:
        return f"{req.name}{extras} @ {req.url}"
    return f"{req.name}{extras}{req.specifier}"
