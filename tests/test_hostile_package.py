"""`fcsdk package` with crafted input: zip-slip wheels, unsafe source names, symlink loops,
non-UTF-8 names, unreadable folders, and a large file that must stream into the zip."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from fcsdk.packaging import PackagingError, build_package, collect_files
from fcsdk.packaging._wheels import wheel_files
from fcsdk.packaging._zip import Entry, write_zip

HANDLER = "def handler(event, context):\n    return event\n"


@pytest.fixture
def app(tmp_path: Path) -> Path:
    src = tmp_path / "app"
    src.mkdir()
    (src / "index.py").write_text(HANDLER)
    return src


def _wheel(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("evil-1.0.dist-info/METADATA", "Name: evil\nVersion: 1.0\n")
        for name, data in members.items():
            info = zipfile.ZipInfo("placeholder")
            info.filename = (
                name  # ZipInfo() would normalise some of these; a crafted wheel does not
            )
            zf.writestr(info, data)
    return path


@pytest.mark.parametrize(
    "member",
    [
        "../escape.py",
        "evil/../../escape.py",
        "/etc/cron.d/evil",
        "evil\\..\\..\\escape.py",
        "C:/Windows/evil.py",
        "c:evil.py",
        "evil-1.0.data/purelib/../../escape.py",
    ],
)
def test_zip_slip_wheel_members_are_refused_naming_the_wheel(tmp_path: Path, member: str) -> None:
    wheel = _wheel(tmp_path / "evil-1.0-py3-none-any.whl", {"evil/__init__.py": b"", member: b"x"})
    with pytest.raises(PackagingError) as info:
        wheel_files(wheel)
    assert "evil-1.0-py3-none-any.whl" in str(info.value)
    assert repr(member) in str(info.value)


def test_a_safe_wheel_still_packages(tmp_path: Path) -> None:
    wheel = _wheel(
        tmp_path / "ok-1.0-py3-none-any.whl",
        {"ok/__init__.py": b"", "ok-1.0.data/purelib/ok/x.py": b"x", "ok-1.0.data/scripts/s": b""},
    )
    assert sorted(wheel_files(wheel)) == [
        ("evil-1.0.dist-info/METADATA", "evil-1.0.dist-info/METADATA"),
        ("ok/__init__.py", "ok/__init__.py"),
        ("ok/x.py", "ok-1.0.data/purelib/ok/x.py"),
    ]


@pytest.mark.parametrize("name", ["a\\..\\..\\evil.py", "C:evil.py"])
def test_unsafe_source_file_names_are_refused(app: Path, tmp_path: Path, name: str) -> None:
    (app / name).write_text("x")
    with pytest.raises(PackagingError, match=r"rename it, or add it to \.fcignore") as info:
        build_package(app, runtime="python3.12", output=tmp_path / "code.zip", no_deps=True)
    assert f"file '{name}'" in str(info.value)
    assert not (tmp_path / "code.zip").exists()


def test_a_non_utf8_file_name_is_reported(app: Path, tmp_path: Path) -> None:
    try:
        fd = os.open(os.path.join(os.fsencode(app), b"caf\xe9.py"), os.O_CREAT | os.O_WRONLY)
    except OSError:
        pytest.skip("this file system refuses non-UTF-8 names")
    os.close(fd)
    with pytest.raises(PackagingError, match="is not valid UTF-8") as info:
        build_package(app, runtime="python3.12", output=tmp_path / "code.zip", no_deps=True)
    assert "file 'caf\\xe9.py'" in str(info.value)
    (app / ".fcignore").write_text("caf*.py\n")  # the way out the message gives
    build_package(app, runtime="python3.12", output=tmp_path / "code.zip", no_deps=True)


def test_symlink_loops_are_reported_not_crashing(app: Path) -> None:
    (app / "loop_a.py").symlink_to(app / "loop_b.py")
    (app / "loop_b.py").symlink_to(app / "loop_a.py")
    (app / "self_dir").symlink_to(app / "self_dir")
    warnings: list[str] = []
    files = collect_files(app, warnings=warnings)
    assert [rel for rel, _ in files] == ["index.py"]
    assert sorted(w.split(" ")[0] for w in warnings) == ["loop_a.py", "loop_b.py", "self_dir"]
    assert all("symlink loop" in w for w in warnings)


UNREADABLE = """
import os, sys, encodings.idna, pathlib, fnmatch
from fcsdk.packaging import PackagingError, collect_files
collect_files(sys.argv[1] + "/..")  # imports what it needs while root can still read them
if os.geteuid() == 0:
    os.setgid(65534)
    os.setuid(65534)  # root reads every folder: drop to nobody to see what users see
try:
    collect_files(sys.argv[1])
except PackagingError as exc:
    print("REFUSED", exc)
else:
    print("PACKAGED")
"""


def test_an_unreadable_folder_is_reported(tmp_path: Path) -> None:
    if not hasattr(os, "geteuid"):
        pytest.skip("POSIX permissions")
    base = Path(tempfile.mkdtemp(prefix="fcsdk-unreadable-", dir="/tmp"))
    os.chmod(base, 0o755)  # nobody can reach it (pytest's tmp_path is root's alone)
    src = base / "app"
    (src / "secret_stuff").mkdir(parents=True)
    (src / "index.py").write_text(HANDLER)
    (src / "secret_stuff" / "mod.py").write_text("x = 1\n")
    os.chmod(src, 0o755)
    os.chmod(src / "index.py", 0o644)
    os.chmod(src / "secret_stuff", 0o000)
    try:
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        out = subprocess.run(
            [sys.executable, "-c", UNREADABLE, str(src)],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
            cwd="/",
        )
    finally:
        os.chmod(src / "secret_stuff", 0o755)
        shutil.rmtree(base)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("REFUSED cannot read folder 'secret_stuff'"), out.stdout


def test_large_files_stream_into_the_zip(tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    with open(big, "wb") as f:
        f.truncate(64 << 20)  # 64 MiB, sparse: cheap to create
    tracemalloc.start()
    try:
        sizes = write_zip(tmp_path / "out.zip", [Entry("big.bin", big)])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert sizes["big.bin"][1] == 64 << 20
    assert peak < 16 << 20  # fcsdk 0.1.0 read the whole file: > 64 MiB
    with zipfile.ZipFile(tmp_path / "out.zip") as zf:
        assert zf.getinfo("big.bin").file_size == 64 << 20
        assert zf.testzip() is None
