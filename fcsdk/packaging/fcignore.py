"""``.fcignore``: which files of SRC go into the code package (gitignore syntax).

A small matcher of our own rather than a dependency (pathspec): the rules fit in one screen,
the tests check them against ``git`` itself, and ``fcsdk package`` stays dependency-light.

Supported, as in gitignore: ``#`` comments, ``!`` negation, a trailing ``/`` for directories,
a ``/`` at the start or in the middle anchoring the pattern to SRC, ``*``, ``?``, ``[a-z]``,
``[!a-z]``, ``**/``, ``/**``, ``/**/`` and ``\\`` escapes. As in git, a file inside an ignored
directory cannot be re-included. The last matching rule wins; :data:`DEFAULT_RULES` come first,
so a ``.fcignore`` can undo them (``!tests/``).

Example:
    >>> from fcsdk.packaging import IgnoreRules
    >>> rules = IgnoreRules.parse("*.log\\n!keep.log\\nbuild/\\n")
    >>> rules.ignored("a/b.log"), rules.ignored("keep.log"), rules.ignored("build", is_dir=True)
    (True, False, True)
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional

from .errors import PackagingError

__all__ = ["DEFAULT_RULES", "IgnoreRules", "collect_files"]

#: Always left out unless a ``.fcignore`` re-includes them with ``!``.
DEFAULT_RULES = """\
__pycache__/
*.py[cod]
.git/
.hg/
.svn/
.venv/
.tox/
.nox/
.pytest_cache/
.mypy_cache/
.ruff_cache/
.hypothesis/
.DS_Store
.env
.env.*
.fcignore
/dist/
tests/
test/
conftest.py
test_*.py
*_test.py
"""


@dataclass(frozen=True)
class _Rule:
    regex: re.Pattern[str]
    negate: bool
    dir_only: bool


def _class(pattern: str, i: int) -> tuple[Optional[str], int]:
    """Translate the ``[...]`` starting at ``pattern[i]``; (None, i) if it does not close."""
    n = len(pattern)
    j = i + 1
    negate = j < n and pattern[j] in "!^"
    if negate:
        j += 1
    start = j
    body: list[str] = []
    while j < n and (pattern[j] != "]" or j == start):
        ch = pattern[j]
        if ch == "\\" and j + 1 < n:
            j += 1
            ch = pattern[j]
            body.append("\\" + ch if not ch.isalnum() else ch)
        else:
            double_dash = ch == "-" and body[-1:] == ["-"]
            body.append("\\" + ch if ch in "\\[]^&~|" or double_dash else ch)
        j += 1
    if j >= n:
        return None, i
    inner = "".join(body)
    # A bracket expression never matches "/" in a path.
    return (f"[^/{inner}]" if negate else f"(?!/)[{inner}]"), j + 1


def _translate(pattern: str) -> str:
    """A gitignore glob (without anchoring slash) as a regular expression body."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        if pattern.startswith("**/", i) and (i == 0 or pattern[i - 1] == "/"):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("/**", i) and i + 3 == n:
            out.append("/.*")
            i += 3
            continue
        if pattern.startswith("**", i) and i + 2 == n and (i == 0 or pattern[i - 1] == "/"):
            out.append(".*")  # a whole-segment "**" at the end (e.g. "/**"): everything below
            i += 2
            continue
        ch = pattern[i]
        if ch == "*":
            while i < n and pattern[i] == "*":
                i += 1
            out.append("[^/]*")
            continue
        if ch == "?":
            out.append("[^/]")
        elif ch == "[":
            translated, end = _class(pattern, i)
            if translated is not None:
                out.append(translated)
                i = end
                continue
            out.append(re.escape(ch))
        elif ch == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(ch))
        i += 1
    return "".join(out)


def _parse_line(line: str) -> Optional[_Rule]:
    line = line.rstrip("\n").rstrip("\r")
    # Trailing spaces are dropped unless escaped with a backslash.
    stripped = line.rstrip(" ")
    if stripped.endswith("\\") and len(stripped) < len(line):
        stripped += " "
    line = stripped
    if not line or line.startswith("#"):
        return None
    negate = line.startswith("!")
    if negate:
        line = line[1:]
    dir_only = line.endswith("/") and not line.endswith("\\/")
    if dir_only:
        line = line.rstrip("/")
    if not line:
        return None
    anchored = "/" in line
    line = line.lstrip("/") if anchored else line
    body = _translate(line)
    prefix = "" if anchored else "(?:.*/)?"
    try:
        regex = re.compile(f"^{prefix}{body}$", re.DOTALL)
    except re.error:  # e.g. a reversed range "[z-a]": git matches nothing with it either
        return None
    return _Rule(regex, negate, dir_only)


class IgnoreRules:
    """An ordered list of gitignore rules; the last one that matches a path decides.

    Example:
        >>> from fcsdk.packaging import IgnoreRules
        >>> IgnoreRules.parse("/docs\\n").ignored("docs", is_dir=True)
        True
        >>> IgnoreRules.parse("/docs\\n").ignored("src/docs", is_dir=True)
        False
    """

    def __init__(self, rules: Iterable[_Rule] = ()) -> None:
        self._rules = list(rules)

    @classmethod
    def parse(cls, text: str) -> IgnoreRules:
        """Rules from the text of a ``.gitignore``/``.fcignore`` file."""
        return cls(r for r in map(_parse_line, text.splitlines()) if r is not None)

    def __add__(self, other: IgnoreRules) -> IgnoreRules:
        return IgnoreRules([*self._rules, *other._rules])

    def ignored(self, path: str, *, is_dir: bool = False) -> bool:
        """Whether ``path`` (relative, ``/``-separated) is ignored by these rules alone.

        Parent directories are not consulted: :func:`collect_files` prunes them while walking.
        """
        result = False
        for rule in self._rules:
            if rule.dir_only and not is_dir:
                continue
            if rule.regex.match(path):
                result = not rule.negate
        return result


def collect_files(
    src: Path,
    rules: Optional[IgnoreRules] = None,
    *,
    skip: Iterable[Path] = (),
    warnings: Optional[list[str]] = None,
) -> list[tuple[str, Path]]:
    """Files of ``src`` to package, as sorted ``(relative posix path, absolute path)`` pairs.

    ``rules`` default to :data:`DEFAULT_RULES` plus ``src/.fcignore``; ``skip`` lists files never
    to include (the output zip itself when it lies inside ``src``). A symlink to a file inside
    ``src`` is packaged with the target's content; a symlink (to a file or a folder) that
    resolves outside ``src`` is skipped, and symlinked folders are never followed: each such
    link not ignored by the rules adds a line to ``warnings`` (when given).

    Example:
        >>> import tempfile, pathlib
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> for name in ("index.py", "tests/test_index.py", "notes.md", ".env", ".fcignore"):
        ...     (d / name).parent.mkdir(parents=True, exist_ok=True)
        ...     _ = (d / name).write_text("*.md\\n" if name == ".fcignore" else "")
        >>> [rel for rel, _ in collect_files(d)]
        ['index.py']
    """
    root = Path(src).resolve()
    if rules is None:
        rules = IgnoreRules.parse(DEFAULT_RULES)
        fcignore = root / ".fcignore"
        if fcignore.is_file():
            rules = rules + IgnoreRules.parse(fcignore.read_text(encoding="utf-8"))
    skipped = {Path(p).resolve() for p in skip}
    notes: list[str] = []
    found: list[tuple[str, Path]] = []
    unreadable: list[OSError] = []
    # os.walk does not descend into folder links; a folder it cannot list is reported below
    for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable.append):
        here = Path(dirpath)
        rel_dir = here.relative_to(root).as_posix()
        prefix = "" if rel_dir == "." else rel_dir + "/"
        kept_dirs = []
        for d in sorted(dirnames):
            if rules.ignored(prefix + d, is_dir=True):
                continue
            if (here / d).is_symlink():
                notes.append(_link_note(prefix + d, here / d, root, folder=True))
                continue
            kept_dirs.append(d)
        dirnames[:] = kept_dirs
        for name in filenames:
            path = here / name
            if rules.ignored(prefix + name):
                continue
            _check_name(prefix + name, root)
            try:
                target = path.resolve(strict=path.is_symlink())
            except (OSError, RuntimeError):  # a symlink loop, or a link to nothing
                notes.append(f"{prefix + name} is a broken symlink or a symlink loop: not packaged")
                continue
            if target in skipped or not path.is_file():
                continue
            if path.is_symlink() and not _inside(path, root):
                notes.append(_link_note(prefix + name, path, root, folder=False))
                continue
            found.append((prefix + name, path))
    for error in unreadable:
        where = Path(error.filename or root)
        rel = where.relative_to(root).as_posix() if _inside(where, root) else str(where)
        raise PackagingError(
            f"cannot read folder {rel!r} of SRC: {error.strerror or error}; fix its permissions "
            "or add it to .fcignore"
        )
    found.sort()
    if warnings is not None:
        warnings += sorted(notes)
    return found


def unsafe_path(name: str) -> Optional[str]:
    """Why ``name`` cannot be a path inside the package (None when it can): absolute, with a
    drive letter, a backslash or a ``..`` part would let unzipping write outside the folder
    (zip-slip); text that is not UTF-8 cannot be stored as the zip's UTF-8 name.

    Example:
        >>> unsafe_path("pkg/mod.py") is None
        True
        >>> unsafe_path("../../etc/cron.d/x")
        "has a '..' part"
    """
    if name.startswith("/"):
        return "is absolute"
    if len(name) >= 2 and name[1] == ":" and name[0].isalpha():
        return "starts with a drive letter"
    if "\\" in name:
        return "has a backslash"
    if ".." in name.split("/"):
        return "has a '..' part"
    if "\x00" in name:
        return "has a NUL character"
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid UTF-8"
    return None


def _check_name(rel: str, root: Path) -> None:
    """Refuse a file whose path cannot be stored safely in the zip (see ``unsafe_path``)."""
    why = unsafe_path(rel)
    if why is not None:
        shown = rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        raise PackagingError(
            f"file '{shown}' in SRC {str(root)!r}: its path {why}, which a zip cannot hold "
            "safely; rename it, or add it to .fcignore"
        )


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root)
    except (ValueError, OSError, RuntimeError):
        return False
    return True


def _link_note(rel: str, path: Path, root: Path, *, folder: bool) -> str:
    try:
        path.resolve(strict=True)
    except (OSError, RuntimeError):
        return f"{rel} is a broken symlink or a symlink loop: not packaged"
    if not _inside(path, root):
        return (
            f"{rel} is a symlink to a path outside SRC: not packaged (copy what the function "
            "needs into SRC, or ship it as a requirement)"
        )
    return (
        f"{rel} is a symlink to a folder inside SRC: not followed (its files are packaged under "
        f"{path.resolve().relative_to(root).as_posix()}/ unless ignored)"
    )
