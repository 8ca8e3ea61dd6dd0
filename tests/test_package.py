"""`fcsdk package` without the registry: code-only zips, determinism, errors, graph, reports."""

import hashlib
import os
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

import fcsdk as fc
from fcsdk.cli import main
from fcsdk.packaging import (
    HandlerModuleNotFoundError,
    OutputPathError,
    PackagingError,
    RequirementNotFoundError,
    UnknownRuntimeError,
    build_package,
    resolve_target,
    size_warnings,
)
from fcsdk.packaging._requirements import index_options, read_requirements
from fcsdk.packaging._wheels import Distribution, closure

HANDLER = "def handler(event, context):\n    return event\n"


@pytest.fixture
def app(tmp_path):
    src = tmp_path / "app"
    (src / "lib").mkdir(parents=True)
    (src / "index.py").write_text(HANDLER)
    (src / "lib" / "__init__.py").write_text("")
    (src / "run.sh").write_text("#!/bin/sh\n")
    os.chmod(src / "run.sh", 0o755)
    return src


def _sha(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_code_only_zip_is_deterministic(app, tmp_path):
    first = build_package(app, output=tmp_path / "one.zip", no_deps=True)
    os.utime(app / "index.py", (1_000_000_000, 1_000_000_000))  # a new mtime changes nothing
    second = build_package(app, output=tmp_path / "two.zip", no_deps=True)
    assert _sha(first.output) == _sha(second.output)
    with zipfile.ZipFile(first.output) as zf:
        infos = zf.infolist()
    assert [i.filename for i in infos] == ["index.py", "lib/__init__.py", "run.sh"]
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in infos}
    assert modes == {"index.py": 0o644, "lib/__init__.py": 0o644, "run.sh": 0o755}
    assert first.code_files == 3
    assert first.distributions == []


def test_cli_writes_zip_and_summary(app, tmp_path, capsys):
    out = tmp_path / "dist" / "code.zip"
    assert main(["package", str(app), "--runtime", "python3.12", "--no-deps", "-o", str(out)]) == 0
    assert "code package for python3.12" in capsys.readouterr().out
    assert zipfile.ZipFile(out).namelist() == ["index.py", "lib/__init__.py", "run.sh"]


@pytest.mark.parametrize(
    ("handler", "message"),
    [
        ("main.handler", "has no main.py"),
        ("pkg.mod.handler", "has no pkg/mod.py"),
        ("handler", "must look like module.function"),
    ],
)
def test_missing_handler_module(app, tmp_path, handler, message, capsys):
    out = tmp_path / "code.zip"
    with pytest.raises(HandlerModuleNotFoundError, match=message):
        build_package(app, handler=handler, output=out, no_deps=True)
    rc = main(["package", str(app), "--handler", handler, "--no-deps", "-o", str(out)])
    assert rc == 1
    assert "HandlerModuleNotFoundError" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == [app]  # no zip, no temporary file


def test_handler_in_subfolder_and_package(tmp_path):
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    (tmp_path / "src" / "index.py").write_text(HANDLER)
    (tmp_path / "src" / "pkg" / "__init__.py").write_text(HANDLER)
    for handler in ("src/index.handler", "src.pkg.handler"):
        build_package(tmp_path, handler=handler, output=tmp_path / "o" / "c.zip", no_deps=True)


def test_handler_module_excluded_by_fcignore(app, tmp_path):
    (app / ".fcignore").write_text("index.py\n")
    with pytest.raises(HandlerModuleNotFoundError, match=r"excluded by \.fcignore"):
        build_package(app, output=tmp_path / "c.zip", no_deps=True)


@pytest.mark.parametrize(
    ("runtime", "python", "message"),
    [
        ("python4", None, "unknown runtime 'python4'"),
        ("python3", None, "Python 3.6"),
        ("custom.debian12", None, "pass --python"),
        ("python3.10", "3.12", "runs Python 3.10, not 3.12"),
        ("custom", "3.8", "3.9 or newer"),
        ("custom", "three", "must look like 3.12"),
    ],
)
def test_unknown_runtime(app, tmp_path, runtime, python, message, capsys):
    with pytest.raises(UnknownRuntimeError, match=message):
        build_package(app, runtime=runtime, python=python, output=tmp_path / "c.zip", no_deps=True)
    argv = ["package", str(app), "--runtime", runtime, "--no-deps", "-o", str(tmp_path / "c.zip")]
    assert (
        main(argv + (["--python", python] if python else [])) == 2
    )  # a usage error, as in every command
    assert "UnknownRuntimeError" in capsys.readouterr().err
    assert not (tmp_path / "c.zip").exists()


def test_targets():
    t = resolve_target("python3.12")
    assert t.abi == "cp312"
    assert "manylinux_2_31_x86_64" in t.platforms
    assert "manylinux_2_32_x86_64" not in t.platforms
    assert "manylinux2014_x86_64" in t.platforms
    custom = resolve_target("custom.debian12", python="python3.13")
    assert custom.python == "3.13"
    assert custom.preinstalled == {}
    assert resolve_target("python3.10").marker_environment()["python_version"] == "3.10"


def test_unwritable_output(app, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    for bad in (tmp_path, blocker / "code.zip"):  # a directory; a folder that is a file
        with pytest.raises(OutputPathError):
            build_package(app, output=bad, no_deps=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app", "file"]


def test_errors_are_fcsdk_errors():
    for cls in (HandlerModuleNotFoundError, OutputPathError, UnknownRuntimeError):
        assert issubclass(cls, PackagingError)
        assert issubclass(cls, fc.FCError)
    assert OutputPathError("x").to_dict()["code"] == "output_path"


def test_previous_zip_in_src_is_not_packaged(app):
    out = app / "dist" / "code.zip"
    build_package(app, output=out, no_deps=True)
    build_package(app, output=out, no_deps=True)
    assert "dist/code.zip" not in zipfile.ZipFile(out).namelist()


def test_size_warnings():
    mb = 1024 * 1024
    assert size_warnings(10 * mb) == []
    assert "SDK/OpenAPI" in size_warnings(70 * mb)[0]
    assert "near FC's 500.0 MB" in size_warnings(460 * mb)[0]
    assert "over FC's 500.0 MB layer limit" in size_warnings(600 * mb, layer=True)[0]


def test_requirements_file(tmp_path):
    (tmp_path / "base.txt").write_text("six>=1.16  # comment\n-c pins.txt\n")
    (tmp_path / "req.txt").write_text(
        "-r base.txt\nfcsdk[oss]>=0.1\noss2>=2.17\n"
        "tomli ; python_version < '3.11'\n--index-url https://example.invalid/simple\n"
        "pydantic \\\n  >=2.5\n"
    )
    parsed = read_requirements(tmp_path / "req.txt", skip={"oss2"})
    assert parsed.fcsdk_extras == {"oss"}
    assert [str(r) for r in parsed.roots] == [
        "six>=1.16",
        'tomli; python_version < "3.11"',
        "pydantic>=2.5",
    ]
    assert [str(r) for r in parsed.skipped] == ["oss2>=2.17"]
    assert parsed.lines == [
        f"-c {tmp_path / 'pins.txt'}",
        "--index-url https://example.invalid/simple",
    ]
    with pytest.raises(RequirementNotFoundError, match="cannot read"):
        read_requirements(tmp_path / "nope.txt", skip=set())


def test_requirements_index_options(tmp_path):
    (tmp_path / "wheels").mkdir()
    (tmp_path / "req.txt").write_text(
        "-i https://mirror.example/simple\n--extra-index-url=https://more.example/simple\n"
        "-f wheels\n--find-links https://links.example/\n--no-binary :all:\n--pre\nsix\n"
        "fcsdk[oss]>=0.1 ; python_version >= '3.10'\n"
    )
    parsed = read_requirements(tmp_path / "req.txt", skip=set())
    assert f"--find-links {tmp_path / 'wheels'}" in parsed.lines  # relative to the file, as pip
    assert [str(r) for r in parsed.fcsdk_pins] == ['fcsdk[oss]>=0.1; python_version >= "3.10"']
    assert index_options(parsed.lines) == [
        "--index-url",
        "https://mirror.example/simple",
        "--extra-index-url",
        "https://more.example/simple",
        "--find-links",
        str(tmp_path / "wheels"),
        "--find-links",
        "https://links.example/",
        "--pre",
    ]


def _dist(name, *requires):
    return Distribution(name, name, "1.0", [Requirement(r) for r in requires])


def test_closure_uses_target_markers_and_extras():
    dists = {
        "app": _dist("app", "lib[fast]", "old; python_version < '3.11'", "oss2"),
        "lib": _dist("lib", "speedup; extra == 'fast'", "docs; extra == 'docs'"),
        "speedup": _dist("speedup"),
        "old": _dist("old"),
        "oss2": _dist("oss2", "requests"),
        "requests": _dist("requests"),
    }
    py310 = resolve_target("python3.10").marker_environment()
    py312 = resolve_target("python3.12").marker_environment()
    roots = [Requirement("app")]
    assert closure(roots, dists, py310).reached == {
        "app",
        "lib",
        "speedup",
        "old",
        "oss2",
        "requests",
    }
    assert "old" not in closure(roots, dists, py312).reached
    stopped = closure(roots, dists, py312, stop=["oss2"])
    assert stopped.reached == {"app", "lib", "speedup"}
    assert [(who, str(r)) for who, r in stopped.stopped] == [("app", "oss2")]
    del dists["speedup"]
    assert [str(r) for r in closure(roots, dists, py312).missing] == ['speedup; extra == "fast"']


def test_missing_packaging_extra_is_a_one_line_error(tmp_path, capsys, monkeypatch):
    import builtins
    import sys

    from fcsdk.cli import main

    (tmp_path / "index.py").write_text("def handler(event, context):\n    return event\n")
    real_import = builtins.__import__

    def no_packaging(name, *args, **kwargs):
        if name == "packaging" or name.startswith("packaging."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_packaging)
    for mod in [m for m in sys.modules if m == "fcsdk.packaging.builder"]:
        monkeypatch.delitem(sys.modules, mod)
    rc = main(["package", str(tmp_path), "-o", str(tmp_path / "out.zip")])
    err = capsys.readouterr().err
    assert rc == 2  # a missing extra exits 2, as in every command
    assert 'pip install "fcsdk[package]"' in err
    assert "Traceback" not in err
    assert not (tmp_path / "out.zip").exists()
