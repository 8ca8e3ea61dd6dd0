"""`fcsdk package` must not clobber what is not a zip, leak files from outside SRC, ship dotenv
secrets, ignore an fcsdk version pin, or leave folders behind. Everything stays in tmp_path."""

import os
import stat
import zipfile

import pytest

from fcsdk.cli import main
from fcsdk.packaging import (
    DependencyResolutionError,
    HandlerModuleNotFoundError,
    OutputPathError,
    PackagingError,
    build_package,
    collect_files,
)
from fcsdk.packaging._zip import Entry, write_zip

HANDLER = "def handler(event, context):\n    return event\n"


@pytest.fixture
def app(tmp_path):
    src = tmp_path / "app"
    src.mkdir()
    (src / "index.py").write_text(HANDLER)
    return src


def _package(app, out, *extra):
    return main(
        ["package", str(app), "--runtime", "python3.12", "--no-deps", "-o", str(out), *extra]
    )


# --- 1. the output path -------------------------------------------------------------------------


def test_fifo_at_output_is_refused_and_kept(app, tmp_path, capsys):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert _package(app, fifo) == 1
    err = capsys.readouterr().err
    assert "OutputPathError" in err
    assert "not a regular file" in err
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    with pytest.raises(OutputPathError, match="FIFO"):
        build_package(app, output=fifo, no_deps=True)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app", "pipe"]  # no temporary file


def test_symlink_to_fifo_is_refused_and_both_kept(app, tmp_path, capsys):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "code.zip"
    link.symlink_to(fifo)
    assert _package(app, link) == 1
    assert "OutputPathError" in capsys.readouterr().err
    assert os.path.islink(link)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_symlink_to_regular_file_replaces_the_target(app, tmp_path):
    """A link is resolved (documented): its target, a regular file, is replaced; the link stays."""
    target = tmp_path / "builds" / "v1.zip"
    target.parent.mkdir()
    target.write_bytes(b"old")
    link = tmp_path / "code.zip"
    link.symlink_to(target)
    assert _package(app, link) == 0
    assert os.path.islink(link)
    assert zipfile.ZipFile(target).namelist() == ["index.py"]


def test_existing_regular_file_is_replaced(app, tmp_path):
    out = tmp_path / "code.zip"
    out.write_bytes(b"old")
    assert _package(app, out) == 0
    assert zipfile.ZipFile(out).namelist() == ["index.py"]


# --- 4. symlinks out of SRC, dotenv files -------------------------------------------------------


def test_symlinks_out_of_src_are_skipped_with_a_warning(app, tmp_path, capsys):
    secret = tmp_path / "secret.txt"
    secret.write_text("password")
    outside = tmp_path / "shared"
    outside.mkdir()
    (outside / "util.py").write_text("X = 1\n")
    (app / "data.txt").write_text("ok")
    (app / "link_secret").symlink_to(secret)
    (app / "shared").symlink_to(outside, target_is_directory=True)
    (app / "link_data").symlink_to(app / "data.txt")  # inside SRC: shipped
    out = tmp_path / "code.zip"
    assert _package(app, out) == 0
    names = zipfile.ZipFile(out).namelist()
    assert names == ["data.txt", "index.py", "link_data"]
    assert zipfile.ZipFile(out).read("link_data") == b"ok"
    err = capsys.readouterr().err
    assert "warning: link_secret is a symlink to a path outside SRC" in err
    assert "warning: shared is a symlink to a path outside SRC" in err
    assert "password" not in err
    report = build_package(app, output=out, no_deps=True)
    assert len([w for w in report.warnings if "outside SRC" in w]) == 2


def test_ignored_symlink_out_of_src_gives_no_warning(app, tmp_path):
    (tmp_path / "secret.txt").write_text("x")
    (app / "link_secret").symlink_to(tmp_path / "secret.txt")
    (app / ".fcignore").write_text("link_secret\n")
    warnings = []
    assert [rel for rel, _ in collect_files(app, warnings=warnings)] == ["index.py"]
    assert warnings == []


def test_dotenv_files_are_left_out_unless_reincluded(app, tmp_path):
    for name in (".env", ".env.local", "conf/.env.production", ".env.example", ".envrc"):
        (app / name).parent.mkdir(parents=True, exist_ok=True)
        (app / name).write_text("ALIBABA_CLOUD_ACCESS_KEY_SECRET=s3cr3t\n")
    assert [rel for rel, _ in collect_files(app)] == [".envrc", "index.py"]
    (app / ".fcignore").write_text("!.env.example\n")
    assert [rel for rel, _ in collect_files(app)] == [".env.example", ".envrc", "index.py"]
    out = tmp_path / "code.zip"
    build_package(app, output=out, no_deps=True)
    assert ".env" not in zipfile.ZipFile(out).namelist()


# --- 3. a version pin on fcsdk ------------------------------------------------------------------


def test_fcsdk_version_pin_that_this_fcsdk_does_not_meet(app, tmp_path, capsys):
    import fcsdk

    req = tmp_path / "requirements.txt"
    req.write_text("fcsdk[oss]>=9.0\n")
    out = tmp_path / "out" / "code.zip"
    argv = ["package", str(app), "--runtime", "python3.12", "-r", str(req), "-o", str(out)]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "DependencyResolutionError" in err
    assert "fcsdk[oss]>=9.0" in err
    assert f"fcsdk {fcsdk.__version__}" in err
    assert not (tmp_path / "out").exists()
    req.write_text("fcsdk==0.0.1 ; python_version >= '3.12'\n")
    with pytest.raises(DependencyResolutionError, match=r"fcsdk==0\.0\.1"):
        build_package(app, runtime="python3.12", requirements=req, output=out)


# --- 5. --layer --no-deps, parent folders -------------------------------------------------------


def test_layer_without_deps_is_refused(app, tmp_path, capsys):
    out = tmp_path / "dist" / "layer.zip"
    argv = ["package", str(app), "--layer", "--no-deps", "-o", str(out)]
    assert main(argv) == 1
    assert "--layer" in capsys.readouterr().err
    with pytest.raises(PackagingError, match="empty"):
        build_package(app, layer=True, no_deps=True, output=out)
    assert not (tmp_path / "dist").exists()


def test_failed_build_leaves_no_folders(app, tmp_path, capsys):
    out = tmp_path / "new" / "deeper" / "code.zip"
    assert _package(app, out, "--handler", "main.handler") == 1
    assert "HandlerModuleNotFoundError" in capsys.readouterr().err
    with pytest.raises(HandlerModuleNotFoundError):
        build_package(app, handler="main.handler", output=out, no_deps=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app"]


def test_failed_write_removes_the_folders_it_made(tmp_path):
    gone = tmp_path / "gone.py"
    out = tmp_path / "new" / "deeper" / "code.zip"
    with pytest.raises(PackagingError, match="cannot read"):
        write_zip(out, [Entry("gone.py", gone)])
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "kept").mkdir()
    with pytest.raises(PackagingError):
        write_zip(tmp_path / "kept" / "sub" / "code.zip", [Entry("gone.py", gone)])
    assert [p.name for p in tmp_path.iterdir()] == ["kept"]
    assert list((tmp_path / "kept").iterdir()) == []
