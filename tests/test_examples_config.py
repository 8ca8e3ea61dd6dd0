"""Every examples/*/s.yaml is a Serverless Devs FC 3.0 config that deploys what `fcsdk package`
builds for that folder, and every example ships the requirements its code imports."""

from __future__ import annotations

import ast
import importlib.util
import re
import shlex
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml

from fcsdk.cli import build_parser
from fcsdk.packaging.runtimes import RUNTIMES
from fcsdk.runtime.loader import parse_handler_name

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p.parent for p in (ROOT / "examples").glob("*/s.yaml"))
CODE = "./dist/code.zip"  # the convention: `fcsdk package . ... -o dist/code.zip`


def _functions(folder):
    doc = yaml.safe_load((folder / "s.yaml").read_text(encoding="utf-8"))
    assert doc["edition"] == "3.0.0"
    assert isinstance(doc.get("name"), str)
    resources = doc["resources"]
    assert resources, "no resources"
    return list(resources.values())


def _package_args(resource):
    runs = [a["run"] for a in resource.get("actions", {}).get("pre-deploy", [])]
    commands = [shlex.split(r) for r in runs if r.split()[:2] == ["fcsdk", "package"]]
    assert len(commands) == 1, f"one `fcsdk package` pre-deploy action expected, got {runs}"
    return build_parser().parse_args(commands[0][1:])


def test_every_example_folder_has_an_s_yaml():
    folders = {p for p in (ROOT / "examples").iterdir() if p.is_dir() and p.name[0] not in "._"}
    assert folders == set(EXAMPLES)


@pytest.mark.parametrize("folder", EXAMPLES, ids=lambda p: p.name)
def test_s_yaml_is_fc3_and_deploys_the_package(folder):
    for resource in _functions(folder):
        assert resource["component"] == "fc3"
        props = resource["props"]
        for key in ("region", "functionName", "runtime", "handler", "code"):
            assert props.get(key), f"props.{key} missing"
        assert props["runtime"] in RUNTIMES
        assert props["code"] == CODE
        args = _package_args(resource)
        assert Path(args.src) == Path(".")
        assert Path(args.output) == Path(CODE)
        assert args.runtime == props["runtime"]
        if args.runtime.startswith("custom"):
            assert re.fullmatch(r"3\.\d+", args.python or "")
        if args.requirements:
            assert (folder / args.requirements).is_file()
        requirements = folder / "requirements.txt"
        if requirements.is_file():
            assert Path(args.requirements or "") == Path("requirements.txt"), "-r unused"


@pytest.mark.parametrize("folder", EXAMPLES, ids=lambda p: p.name)
def test_handler_module_exists(folder):
    for resource in _functions(folder):
        props = resource["props"]
        name = parse_handler_name(props["handler"])
        base = folder.joinpath(*name.folder.split("/")) if name.folder else folder
        module = base.joinpath(*name.module.split("."))
        source = module.with_suffix(".py")
        if not source.is_file():
            source = module / "__init__.py"
        assert source.is_file(), f"{props['handler']}: no {source.relative_to(folder)}"
        tree = ast.parse(source.read_text(encoding="utf-8"))
        top = {
            n.name
            for n in tree.body
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        }
        top |= {
            t.id
            for n in tree.body
            if isinstance(n, ast.Assign)
            for t in n.targets
            if isinstance(t, ast.Name)
        }
        assert name.function in top, f"{props['handler']}: {source.name} defines no {name.function}"
        custom = props.get("customRuntimeConfig")
        if custom:  # the custom runtime's start command serves the same handler
            command = [*custom.get("command", []), *custom.get("args", [])]
            assert command[:4] == ["python3", "-m", "fcsdk", "serve"]
            assert command[4] == props["handler"]


_STDLIB = {Path(sysconfig.get_paths()[k]).resolve() for k in ("stdlib", "platstdlib")}


def _is_stdlib(name):
    if name in sys.builtin_module_names:
        return True
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin in (None, "built-in", "frozen"):
        return spec is not None
    origin = Path(spec.origin).resolve()
    return "site-packages" not in origin.parts and any(s in origin.parents for s in _STDLIB)


def _imports(folder):
    local = {p.stem for p in folder.glob("*.py")} | {p.name for p in folder.iterdir() if p.is_dir()}
    names = set()
    for source in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return {n for n in names - local - {"__future__"} if not _is_stdlib(n)}


def _requirement_names(folder):
    path = folder / "requirements.txt"
    if not path.is_file():
        return {}
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        m = re.match(r"([A-Za-z0-9._-]+)\s*(\[([^\]]*)\])?", line)
        if m:
            extras = {e.strip() for e in (m.group(3) or "").split(",") if e.strip()}
            out[m.group(1).lower().replace("_", "-")] = extras
    return out


@pytest.mark.parametrize("folder", EXAMPLES, ids=lambda p: p.name)
def test_requirements_cover_what_the_example_imports(folder):
    runtimes = {r["props"]["runtime"] for r in _functions(folder)}
    preinstalled = set.intersection(*(set(RUNTIMES[r].preinstalled) for r in runtimes))
    required = _requirement_names(folder)
    shipped = {"fcsdk", "pydantic"}  # fcsdk package always ships fcsdk and its dependencies
    missing = _imports(folder) - shipped - preinstalled - set(required)
    assert not missing, f"{folder.name}/requirements.txt should list {sorted(missing)}"
    if any(r["props"].get("customRuntimeConfig") for r in _functions(folder)):
        assert "server" in required.get("fcsdk", set()), "fcsdk serve needs fcsdk[server]"
