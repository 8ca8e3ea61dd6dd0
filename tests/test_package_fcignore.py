"""`.fcignore` rules: unit cases, the default exclusions, and a property test against git itself."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from fcsdk.packaging import IgnoreRules, collect_files


@pytest.mark.parametrize(
    ("rules", "path", "is_dir", "expected"),
    [
        ("*.log", "a/b/c.log", False, True),
        ("*.log\n!keep.log", "keep.log", False, False),
        ("/build", "build", True, True),
        ("/build", "src/build", True, False),
        ("build/", "build", False, False),
        ("build/", "x/build", True, True),
        ("docs/*.md", "docs/a.md", False, True),
        ("docs/*.md", "docs/sub/a.md", False, False),
        ("docs/*.md", "x/docs/a.md", False, False),
        ("**/cache", "a/b/cache", True, True),
        ("a/**/b", "a/b", False, True),
        ("a/**/b", "a/x/y/b", False, True),
        ("a/**", "a/x/y", False, True),
        ("a/**", "a", True, False),
        ("[abc].txt", "b.txt", False, True),
        ("[!abc].txt", "b.txt", False, False),
        ("[!abc].txt", "d.txt", False, True),
        ("?.py", "ab.py", False, False),
        ("\\#x", "#x", False, True),
        ("# comment", "# comment", False, False),
        ("\\!bang", "!bang", False, True),
        ("trailing   ", "trailing", False, True),
        ("[z-a]", "z", False, False),
        ("*", "a/b", False, True),
        ("/**", "a/b/c", False, True),  # a whole-segment ** at the end: everything below
        ("a\n!/**", "a/b/a", False, False),
        ("x/**", "x", True, False),
        ("a**", "a/b", False, False),
    ],
)
def test_rules(rules, path, is_dir, expected):
    assert IgnoreRules.parse(rules).ignored(path, is_dir=is_dir) is expected


def _tree(root: Path, files):
    for rel in files:
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(rel)


def test_defaults_leave_out_caches_tests_and_vcs(tmp_path):
    _tree(
        tmp_path,
        [
            "index.py",
            "lib/util.py",
            "lib/__pycache__/util.cpython-310.pyc",
            ".venv/lib/site.py",
            ".git/HEAD",
            "tests/test_index.py",
            "test_smoke.py",
            "conftest.py",
            "dist/code.zip",
            "lib/dist/keep.txt",
            "data/config.json",
        ],
    )
    assert [rel for rel, _ in collect_files(tmp_path)] == [
        "data/config.json",
        "index.py",
        "lib/dist/keep.txt",
        "lib/util.py",
    ]


def test_fcignore_adds_and_undoes_rules(tmp_path):
    _tree(tmp_path, ["index.py", "notes.md", "tests/fixture.json", "big/blob.bin"])
    (tmp_path / ".fcignore").write_text("*.md\nbig/\n!tests/\n")
    assert [rel for rel, _ in collect_files(tmp_path)] == ["index.py", "tests/fixture.json"]


def test_file_in_ignored_dir_cannot_be_reincluded(tmp_path):
    _tree(tmp_path, ["index.py", "assets/a.txt", "assets/keep.txt"])
    (tmp_path / ".fcignore").write_text("assets/\n!assets/keep.txt\n")
    assert [rel for rel, _ in collect_files(tmp_path)] == ["index.py"]


def test_skip_leaves_out_the_output(tmp_path):
    _tree(tmp_path, ["index.py", "out/code.zip"])
    got = collect_files(tmp_path, skip=[tmp_path / "out" / "code.zip"])
    assert [rel for rel, _ in got] == ["index.py"]


# --- the same answers as git --------------------------------------------------------------------

_FILES = [
    "b.txt", "a/b.txt", "a/a.txt", "a/b/c", "a/b/a.txt", "b/a/b", "b/c.txt", "d/a",
    "c/a.txt/b", "c/a/b/a.txt", "ab/b", "x[1]/a", ".hidden/a",
]  # fmt: skip
_SEGMENTS = ["a", "b", "c", "*", "?", "**", "[ab]", "a*", "*.txt", "x[1]", "\\[1]", ".*"]


@st.composite
def _patterns(draw):
    lines = []
    for _ in range(draw(st.integers(1, 4))):
        segs = draw(st.lists(st.sampled_from(_SEGMENTS), min_size=1, max_size=3))
        line = "/".join(segs)
        if draw(st.booleans()):
            line = "/" + line
        if draw(st.booleans()):
            line += "/"
        if draw(st.integers(0, 3)) == 0:
            line = "!" + line
        lines.append(line)
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def git_tree(tmp_path_factory):
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    root = tmp_path_factory.mktemp("gitignore")
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run([git, "init", "-q", str(root)], check=True, env=env)
    _tree(root, _FILES)
    return git, root, env


@settings(max_examples=120, deadline=None)
@given(text=_patterns())
@example(text="/**\n!a\n")  # found by hypothesis: "**" alone matches across slashes
@example(text="**\n!a/\n")
def test_matches_git(git_tree, text):
    git, root, env = git_tree
    (root / ".gitignore").write_text(text)
    listed = subprocess.run(
        [git, "-c", "core.quotePath=false", "ls-files", "--others", "--exclude-standard"],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\n")
    expected = sorted(p for p in listed if p and p != ".gitignore")
    rules = IgnoreRules.parse(text)
    ours = [
        rel for rel, _ in collect_files(root, rules) if not rel.startswith((".git/", ".gitignore"))
    ]
    assert ours == expected, text
