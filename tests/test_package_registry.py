"""Proof that `fcsdk package` output deploys: built from PyPI wheels for FC's platform, unzipped
into an empty folder and run by pyenv's CPython of the runtime in an isolated interpreter.

Needs the package registry (marker `registry`) and pyenv's Python 3.10 / 3.12 (else skipped).
"""

import contextlib
import glob
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from fcsdk.cli import main
from fcsdk.packaging import NoCompatibleWheelError, RequirementNotFoundError, build_package

pytestmark = pytest.mark.registry

ROOT = Path(__file__).resolve().parent.parent
PARSE_JSON = ROOT / "examples" / "parse_json"

CREDS_APP = """\
import fcsdk as fc
from pydantic import BaseModel


class Order(BaseModel):
    order_id: str
    qty: int


@fc.handler
def handler(event: Order, context: fc.Context) -> dict:
    creds = context.require_credentials()
    return {"order": event.order_id, "double": event.qty * 2, "key_id": creds.access_key_id}
"""

# `fcsdk invoke` (FC's loading, native context of the runtime's shape, FC's body encoding) run
# from the unzipped folder only, then a check that fcsdk and pydantic were imported from there.
_BOOTSTRAP = r"""
import sys
code_dir, handler, runtime = sys.argv[1:4]
sys.path.insert(0, code_dir)
from fcsdk.cli import main
rc = main(["invoke", handler, "--code-dir", code_dir, "--runtime", runtime, "--event", "-"])
for name in ("fcsdk", "pydantic", "pydantic_core"):
    origin = sys.modules[name].__file__
    assert origin.startswith(code_dir), f"{name} from {origin}, not from the package"
sys.exit(rc)
"""


def pyenv_python(version):
    """pyenv's CPython `version` (X.Y), or skip the test saying why."""
    root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        root = subprocess.run(
            ["pyenv", "root"], capture_output=True, text=True, check=True
        ).stdout.strip()
    found = sorted(glob.glob(f"{root}/versions/{version}.*/bin/python"))
    if not found:
        reason = f"pyenv's Python {version} is not installed under {root}/versions"
        print(f"SKIP: {reason}", file=sys.stderr)
        pytest.skip(reason)
    return found[-1]


def run_like_fc(python, code_dir, handler, event, *, runtime="python3.10", env=None):
    """`fcsdk invoke handler` from `code_dir` under `python` in an isolated interpreter (-I -S: no
    site-packages, nothing but the package); returns the response body (bytes)."""
    done = subprocess.run(
        [python, "-I", "-S", "-c", _BOOTSTRAP, str(code_dir), handler, runtime],
        input=event,
        capture_output=True,
        env={"PATH": os.environ.get("PATH", ""), **(env or {})},
        cwd=code_dir,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert b"FC Invoke End RequestId" in done.stderr
    return done.stdout


@pytest.fixture(scope="session")
def builds(tmp_path_factory):
    """One package per runtime: parse_json for python3.10 (through the CLI), an app that needs
    credentials for python3.12 (through the API, with oss2 left to the runtime)."""
    base = tmp_path_factory.mktemp("packages")
    req = base / "requirements.txt"
    req.write_text("tomli ; python_version < '3.11'\nfcsdk>=0.1\n")  # this fcsdk meets the pin
    out310 = base / "py310" / "code.zip"
    argv = [
        "package",
        str(PARSE_JSON),
        "--runtime",
        "python3.10",
        "-r",
        str(req),
        "-o",
        str(out310),
    ]
    assert main(argv) == 0
    app = base / "creds_app"
    app.mkdir()
    (app / "index.py").write_text(CREDS_APP)
    report312 = build_package(
        app,
        runtime="python3.12",
        requirements=req,
        extras=["oss"],
        exclude_preinstalled=True,
        output=base / "py312" / "code.zip",
    )
    return {"3.10": out310, "3.12": report312.output, "report312": report312, "base": base}


def _unzip(zip_path, dest):
    dest.mkdir()
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(dest)
    return dest


def test_python310_package_runs_on_cpython310(builds, tmp_path):
    python = pyenv_python("3.10")
    code = _unzip(builds["3.10"], tmp_path / "code")
    assert (code / "tomli").is_dir()  # the marker was evaluated for 3.10, not this machine
    event = (PARSE_JSON / "event.json").read_bytes()
    assert run_like_fc(python, code, "index.handler", event) == b"value"


def test_python312_package_runs_with_shape_b_credentials(builds, tmp_path):
    python = pyenv_python("3.12")
    code = _unzip(builds["3.12"], tmp_path / "code")
    env = {
        "ALIBABA_CLOUD_ACCESS_KEY_ID": "AK-from-env",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "secret",
        "ALIBABA_CLOUD_SECURITY_TOKEN": "token",
    }
    body = run_like_fc(
        python,
        code,
        "index.handler",
        b'{"order_id": "o-1", "qty": 4}',
        runtime="python3.12",
        env=env,
    )
    assert json.loads(body) == {"order": "o-1", "double": 8, "key_id": "AK-from-env"}
    assert not (code / "tomli").exists()
    assert not (code / "oss2").exists()  # python3.12 has oss2: left out on request


def _binaries(zip_path):
    return [n for n in zipfile.ZipFile(zip_path).namelist() if n.endswith(".so")]


def test_no_foreign_cpython_binaries(builds):
    bin310, bin312 = _binaries(builds["3.10"]), _binaries(builds["3.12"])
    assert any("cpython-310-x86_64-linux-gnu" in n for n in bin310)
    assert any("cpython-312-x86_64-linux-gnu" in n for n in bin312)
    assert not [n for n in bin310 if "cpython-3" in n and "cpython-310" not in n]
    assert not [n for n in bin312 if "cpython-3" in n and "cpython-312" not in n]
    tags = zipfile.ZipFile(builds["3.12"]).read(
        next(
            n
            for n in zipfile.ZipFile(builds["3.12"]).namelist()
            if n.startswith("pydantic_core") and n.endswith("/WHEEL")
        )
    )
    assert b"cp312-cp312-manylinux" in tags


def test_report_lists_largest_dependencies(builds):
    report = builds["report312"]
    assert report.largest(1)[0].name.replace("-", "_") == "pydantic_core"
    names = {d.name.lower().replace("_", "-") for d in report.distributions}
    assert {"fcsdk", "pydantic", "pydantic-core", "typing-extensions"} <= names
    assert "oss2" not in names
    assert "fcsdk" in report.summary()


def test_same_input_same_bytes(builds, tmp_path):
    again = tmp_path / "again.zip"
    assert (
        main(
            [
                "package",
                str(PARSE_JSON),
                "--runtime",
                "python3.10",
                "-r",
                str(builds["base"] / "requirements.txt"),
                "-o",
                str(again),
            ]
        )
        == 0
    )
    assert again.read_bytes() == builds["3.10"].read_bytes()


def test_layer_has_python_prefix_and_no_code(tmp_path):
    report = build_package(runtime="python3.12", layer=True, output=tmp_path / "layer.zip")
    names = zipfile.ZipFile(report.output).namelist()
    assert all(n.startswith("python/") for n in names)
    assert "python/fcsdk/__init__.py" in names
    assert "python/pydantic/__init__.py" in names


def test_requirement_that_does_not_exist(tmp_path):
    req = tmp_path / "req.txt"
    req.write_text("fcsdk-no-such-project-zzq==1.0\n")
    (tmp_path / "index.py").write_text("def handler(event, context):\n    return event\n")
    with pytest.raises(RequirementNotFoundError, match="fcsdk-no-such-project-zzq"):
        build_package(tmp_path, requirements=req, output=tmp_path / "out" / "code.zip")
    assert not (tmp_path / "out").exists()  # no zip, no folder made for it


def test_requirement_without_wheel_for_fc(tmp_path, capsys):
    req = tmp_path / "req.txt"
    req.write_text("pywin32\n")  # wheels for Windows only, no source
    (tmp_path / "index.py").write_text("def handler(event, context):\n    return event\n")
    with pytest.raises(NoCompatibleWheelError, match="pywin32") as info:
        build_package(tmp_path, requirements=req, output=tmp_path / "out" / "code.zip")
    assert info.value.package == "pywin32"
    assert (
        main(["package", str(tmp_path), "-r", str(req), "-o", str(tmp_path / "out" / "c.zip")]) == 1
    )
    assert "NoCompatibleWheelError" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


# --- a private index named in requirements.txt ----------------------------------------------------

_BACKEND = """\
import zipfile

NAME, VERSION = "fcsdk_private_zq7", "1.0"


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    wheel = f"{NAME}-{VERSION}-py3-none-any.whl"
    info = f"{NAME}-{VERSION}.dist-info"
    files = {
        f"{NAME}.py": open(f"{NAME}.py").read(),
        f"{info}/METADATA": f"Metadata-Version: 2.1\\nName: {NAME}\\nVersion: {VERSION}\\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
    }
    files[f"{info}/RECORD"] = "".join(f"{n},,\\n" for n in files) + f"{info}/RECORD,,\\n"
    with zipfile.ZipFile(f"{wheel_directory}/{wheel}", "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return wheel
"""


def _private_index(root):
    """A PEP 503 index holding one pure-Python sdist whose build backend ships in the sdist."""
    import io
    import tarfile

    files = {
        "pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "backend"\n'
        'backend-path = ["."]\n',
        "backend.py": _BACKEND,
        "fcsdk_private_zq7.py": "ANSWER = 42\n",
        "PKG-INFO": "Metadata-Version: 2.1\nName: fcsdk-private-zq7\nVersion: 1.0\n",
    }
    (root / "files").mkdir(parents=True)
    with tarfile.open(root / "files" / "fcsdk_private_zq7-1.0.tar.gz", "w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"fcsdk_private_zq7-1.0/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    page = root / "simple" / "fcsdk-private-zq7"
    page.mkdir(parents=True)
    (page / "index.html").write_text(
        '<a href="../../files/fcsdk_private_zq7-1.0.tar.gz">fcsdk_private_zq7-1.0.tar.gz</a>\n'
    )
    # A wheel-only project in two versions, each depending on the source-only one: pip's
    # resolver backtracks through both and reports ResolutionImpossible, naming the source-only
    # project only under "no matching distributions available" (the Alibaba SDKs' case).
    links = []
    for version in ("1.0", "1.1"):
        info = f"fcsdk_top_zq7-{version}.dist-info"
        wheel_files = {
            "fcsdk_top_zq7.py": "from fcsdk_private_zq7 import ANSWER\n",
            f"{info}/METADATA": (
                f"Metadata-Version: 2.1\nName: fcsdk-top-zq7\nVersion: {version}\n"
                "Requires-Dist: fcsdk-private-zq7<2,>=1.0\n"
            ),
            f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
            "Tag: py3-none-any\n",
        }
        wheel_files[f"{info}/RECORD"] = (
            "".join(f"{n},,\n" for n in wheel_files) + f"{info}/RECORD,,\n"
        )
        wheel = root / "files" / f"fcsdk_top_zq7-{version}-py3-none-any.whl"
        with zipfile.ZipFile(wheel, "w") as zf:
            for name, text in wheel_files.items():
                zf.writestr(name, text)
        links.append(f'<a href="../../files/{wheel.name}">{wheel.name}</a>')
    top = root / "simple" / "fcsdk-top-zq7"
    top.mkdir(parents=True)
    (top / "index.html").write_text("\n".join(links) + "\n")


@pytest.fixture
def private_index(tmp_path):
    import functools
    import http.server
    import threading

    root = tmp_path / "index"
    _private_index(root)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(root))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/simple"
    server.shutdown()
    server.server_close()
    thread.join()


def test_requirement_from_private_index_is_built_from_its_sdist(private_index, tmp_path, capsys):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "index.py").write_text("def handler(event, context):\n    return event\n")
    req = tmp_path / "requirements.txt"
    req.write_text(
        f"--extra-index-url {private_index}\n--trusted-host 127.0.0.1\nfcsdk-private-zq7\n"
    )
    out = tmp_path / "code.zip"
    argv = ["package", str(tmp_path / "app"), "--runtime", "python3.12", "-r", str(req)]
    assert main([*argv, "-o", str(out)]) == 0, capsys.readouterr().err
    assert "fcsdk_private_zq7.py" in zipfile.ZipFile(out).namelist()
    err = capsys.readouterr().err
    assert "warning: fcsdk-private-zq7 was built from its source distribution" in err


def test_an_indirect_source_only_dependency_is_built_too(private_index, tmp_path, capsys):
    """pip names a source-only project that only a dependency requires in its conflict report,
    not as "No matching distribution": `fcsdk package` builds it as well (it failed before)."""
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "index.py").write_text("def handler(event, context):\n    return event\n")
    req = tmp_path / "requirements.txt"
    req.write_text(f"--extra-index-url {private_index}\n--trusted-host 127.0.0.1\nfcsdk-top-zq7\n")
    out = tmp_path / "code.zip"
    argv = ["package", str(tmp_path / "app"), "--runtime", "python3.10", "-r", str(req)]
    assert main([*argv, "-o", str(out)]) == 0, capsys.readouterr().err
    names = zipfile.ZipFile(out).namelist()
    assert {"fcsdk_top_zq7.py", "fcsdk_private_zq7.py"} <= set(names)
    assert "fcsdk_top_zq7-1.1.dist-info/METADATA" in names  # the newest, as pip would pick
    assert "fcsdk-private-zq7 was built from its source distribution" in capsys.readouterr().err
