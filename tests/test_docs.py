"""Every code block of the documentation site runs, so the site cannot rot.

Convention (the README's, see tests/test_readme.py), by a ``python`` block's first line:

- a plain block runs and must not raise; its asserts are the documented results. The blocks of
  one page run in one fresh interpreter, each in a fresh namespace (a page's blocks stand alone,
  as the README's do) and in order;
- ``# pytest``: the block is written to a test file and run with pytest; it must pass;
- ``# not run: <reason>``: the block is only compiled;
- a block that only includes files (``--8<-- "examples/..."``, pymdownx.snippets) shows a whole
  file that ``tests/test_examples.py`` runs; here the included files must exist.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_readme import _env  # the README's clean environment, the same for the site

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
FENCE = re.compile(r"^( *)```(\w*)[^\n]*\n(.*?)^\1```[ \t]*$", re.MULTILINE | re.DOTALL)
SNIPPET = re.compile(r'^--8<-- "([^"]+)"$')
TIMEOUT = 180

RUNNER = r"""
import sys, traceback, types
page, blocks = sys.argv[1], __import__("json").loads(sys.stdin.read())
for line, source in blocks:
    module = sys.modules["__docs__"] = types.ModuleType("__docs__")  # pydantic looks it up
    try:
        exec(compile("\n" * (line - 1) + source, page, "exec"), module.__dict__)
    except BaseException:
        traceback.print_exc()
        print(f"FAILED: {page}:{line}", file=sys.stderr)
        sys.exit(1)
"""


def _pages() -> list[Path]:
    return sorted(p for p in DOCS.rglob("*.md"))


def blocks(page: Path) -> list[tuple[str, int, str]]:
    """(language, line, source) of every fenced block of ``page``, indentation removed."""
    text = page.read_text(encoding="utf-8")
    out = []
    for m in FENCE.finditer(text):
        indent = len(m.group(1))
        source = "".join(line[indent:] for line in m.group(3).splitlines(keepends=True))
        out.append((m.group(2), text.count("\n", 0, m.start()) + 2, source))
    return out


def _included(source: str) -> list[str]:
    lines = [line.strip() for line in source.strip().splitlines()]
    found = [SNIPPET.match(line) for line in lines]
    return [m.group(1) for m in found if m] if lines and all(found) else []


PAGES = _pages()
IDS = [str(p.relative_to(ROOT)) for p in PAGES]


def test_the_site_has_runnable_blocks():
    runnable = [
        src
        for page in PAGES
        for lang, _, src in blocks(page)
        if lang == "python" and not src.startswith("# not run") and not _included(src)
    ]
    assert len(runnable) >= 30, f"the docs lost their runnable examples ({len(runnable)})"


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_page(page: Path, tmp_path: Path) -> None:
    name = str(page.relative_to(ROOT))
    plain: list[tuple[int, str]] = []
    for lang, line, source in blocks(page):
        included = _included(source)
        if included:
            missing = [p for p in included if not (ROOT / p).is_file()]
            assert not missing, f"{name}:{line} includes missing files {missing}"
            continue
        if lang != "python":
            continue
        compile(source, f"{name}:{line}", "exec")  # every block at least parses
        first = source.split("\n", 1)[0].strip()
        if first.startswith("# not run"):
            assert first.startswith("# not run: "), f"{name}:{line}: say why it is not run"
        elif first == "# pytest":
            test_file = tmp_path / f"test_docs_block_{line}.py"
            test_file.write_text(source, encoding="utf-8")
            cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error"]
            proc = subprocess.run(
                [*cmd, test_file.name],
                cwd=tmp_path,
                env=_env(),
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
            )
            assert proc.returncode == 0, f"{name}:{line}\n{proc.stdout}\n{proc.stderr}"
            assert " passed" in proc.stdout and "skipped" not in proc.stdout
        else:
            plain.append((line, source))
    if not plain:
        return
    proc = subprocess.run(
        [sys.executable, "-c", RUNNER, name],
        input=json.dumps(plain),
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert proc.returncode == 0, f"{name}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
