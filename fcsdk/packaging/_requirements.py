"""Reading a requirements.txt for ``fcsdk package``: roots of the graph, fcsdk lines taken out."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from .errors import RequirementNotFoundError

__all__ = ["RequirementsFile", "index_options", "pip_line", "read_requirements"]

_COMMENT = re.compile(r"(^|\s)#.*$")
_NESTED = re.compile(r"^(-r|--requirement|-c|--constraint)(?:\s+|=)(.+)$")
_FIND_LINKS = re.compile(r"^(-f|--find-links)(?:\s+|=)(.+)$")
#: pip options of a requirements file that say where packages come from: (short, long, takes a value).
_INDEX_OPTIONS = (
    ("-i", "--index-url", True),
    ("", "--extra-index-url", True),
    ("", "--no-index", False),
    ("-f", "--find-links", True),
    ("", "--trusted-host", True),
    ("", "--pre", False),
)


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
    fcsdk_pins: list[Requirement] = field(default_factory=list)
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
                result.fcsdk_pins += inner.fcsdk_pins
                result.skipped += inner.skipped
            else:
                result.lines.append(f"{flag} {full}")
            continue
        links = _FIND_LINKS.match(line)
        if links:  # pip reads a relative folder from the requirements file's folder
            folder = path.parent / links.group(2).strip()
            result.lines.append(f"--find-links {folder.resolve()}" if folder.exists() else line)
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
            result.fcsdk_pins.append(req)
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


def index_options(lines: list[str]) -> list[str]:
    """The options among ``lines`` (of a :class:`RequirementsFile`) that tell pip where to find
    packages (``--index-url``, ``-i``, ``--extra-index-url``, ``--no-index``, ``--find-links``,
    ``--trusted-host``, ``--pre``), as pip command-line arguments in their long form.

    Example:
        >>> index_options(["-i https://mirror.example/simple", "--no-binary :all:", "--pre"])
        ['--index-url', 'https://mirror.example/simple', '--pre']
    """
    out: list[str] = []
    for line in lines:
        try:
            tokens = shlex.split(line)
        except ValueError:
            continue
        i = 0
        while i < len(tokens):
            token = tokens[i]
            i += 1
            for short, long, takes_value in _INDEX_OPTIONS:
                if token == long or (short and token == short):
                    if not takes_value:
                        out.append(long)
                    elif i < len(tokens):
                        out += [long, tokens[i]]
                        i += 1
                    break
                if takes_value and token.startswith(long + "="):
                    out += [long, token[len(long) + 1 :]]
                    break
                if takes_value and short and token.startswith(short) and len(token) > 2:
                    out += [long, token[2:]]
                    break
    return out
