"""fcsdk.runtime.loader: module.function loaded like FC, with FC's load errorTypes."""

from __future__ import annotations

import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fcsdk as fc
from fcsdk.runtime.errors import (
    HandlerLoadError,
    HandlerNotFoundError,
    ImportModuleError,
    InvalidHandlerNameError,
    UserCodeError,
    UserCodeSyntaxError,
)
from fcsdk.runtime.loader import HandlerName, load_handler, parse_handler_name
from tests.runtime_support import write_code


@pytest.fixture(autouse=True)
def _restore_imports():
    path, modules = list(sys.path), set(sys.modules)
    yield
    sys.path[:] = path
    for name in set(sys.modules) - modules:
        del sys.modules[name]


def test_loads_module_function_and_puts_code_dir_first(tmp_path):
    write_code(tmp_path, {"index.py": "def handler(event, context):\n    return event[::-1]\n"})
    func = load_handler("index.handler", str(tmp_path))
    assert func(b"abc", None) == b"cba"
    assert sys.path[0] == str(tmp_path)


def test_sub_folder_module_imports_its_siblings(tmp_path):
    write_code(
        tmp_path,
        {
            "src/index.py": "import helper\ndef handler(event, context):\n    return helper.X\n",
            "src/helper.py": "X = 'sibling'\n",
        },
    )
    assert load_handler("src/index.handler", str(tmp_path))(b"", None) == "sibling"


def test_dotted_package_module(tmp_path):
    write_code(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/api.py": "from . import util\ndef main(event, context):\n    return util.V\n",
            "pkg/util.py": "V = 7\n",
        },
    )
    assert load_handler("pkg.api.main", str(tmp_path))(b"", None) == 7


def test_same_module_name_from_another_code_dir_is_reloaded(tmp_path):
    one = write_code(tmp_path / "one", {"index.py": "def handler(e, c):\n    return 1\n"})
    two = write_code(tmp_path / "two", {"index.py": "def handler(e, c):\n    return 2\n"})
    assert load_handler("index.handler", str(one))(b"", None) == 1
    assert load_handler("index.handler", str(two))(b"", None) == 2
    assert load_handler("index.handler", str(two))(b"", None) == 2  # cached now


@pytest.mark.parametrize("name", ["logging", "json", "http"])
def test_imported_stdlib_module_is_never_replaced(tmp_path, name):
    """FC's runtime has imported these already: a user file of that name does not replace them."""
    import importlib

    stdlib = importlib.import_module(name)
    write_code(tmp_path, {f"{name}.py": "def handler(event, context):\n    return 'mine'\n"})
    with pytest.raises(HandlerNotFoundError, match=r"already imported from .*rename your module"):
        load_handler(f"{name}.handler", str(tmp_path))
    assert sys.modules[name] is stdlib


def test_decorated_handler_loads_as_is(tmp_path):
    write_code(
        tmp_path,
        {
            "index.py": """
            import fcsdk as fc

            @fc.handler
            def handler(event: dict, context: fc.Context) -> dict:
                return {"n": len(event)}
            """
        },
    )
    func = load_handler("index.handler", str(tmp_path))
    assert hasattr(func, "__fcsdk__")
    assert func(b'{"a": 1}', None) == '{\n    "n": 1\n}'


@pytest.mark.parametrize(
    "name",
    [
        "",
        "   ",
        "index",
        ".handler",
        "index.",
        "index.1handler",
        "a-b.handler",
        "../x.handler",
        "/abs/index.handler",
        "src//index.handler",
        "index.handler()",
        "in dex.handler",
    ],
)
def test_invalid_handler_names(name):
    with pytest.raises(InvalidHandlerNameError) as info:
        load_handler(name)
    assert info.value.error_type == "InvalidHandleName"
    assert "module>.<function>" in str(info.value)


@given(st.text(max_size=40))
@settings(max_examples=200, deadline=None)
def test_parse_handler_name_never_fails_otherwise(text):
    try:
        parsed = parse_handler_name(text)
    except InvalidHandlerNameError:
        return
    assert isinstance(parsed, HandlerName)
    assert parsed.function.isidentifier()
    assert all(p.isidentifier() for p in parsed.module.split("."))


def test_missing_module(tmp_path):
    with pytest.raises(ImportModuleError) as info:
        load_handler("nosuchmodule_xyz.handler", str(tmp_path))
    err = info.value.to_dict()
    assert err["errorType"] == "ImportModuleError"
    assert "nosuchmodule_xyz" in err["errorMessage"]
    assert isinstance(info.value, fc.FCError)


def test_missing_dependency_of_the_module(tmp_path):
    write_code(tmp_path, {"index.py": "import not_installed_dep_abc\ndef handler(e, c): pass\n"})
    with pytest.raises(ImportModuleError) as info:
        load_handler("index.handler", str(tmp_path))
    assert "not_installed_dep_abc" in str(info.value)
    # FC's stackTrace for a load failure: the cause's format_exception_only line(s)
    assert info.value.stack_trace == [
        "ModuleNotFoundError: No module named 'not_installed_dep_abc'"
    ]


def test_syntax_error(tmp_path):
    write_code(tmp_path, {"index.py": "def handler(event, context)\n    return 1\n"})
    with pytest.raises(UserCodeSyntaxError) as info:
        load_handler("index.handler", str(tmp_path))
    assert info.value.error_type == "UserCodeSyntaxError"
    assert "line 1" in str(info.value)
    trace = info.value.stack_trace
    assert trace[:2] == [f'File "{tmp_path / "index.py"}"', "line 1"]  # split at the comma
    assert trace[2] == "def handler(event, context)"
    assert trace[-1].startswith("SyntaxError: ")
    assert all("^" not in t for t in trace)


def test_module_raising_at_import(tmp_path):
    write_code(tmp_path, {"index.py": "CONFIG = {}\nURL = CONFIG['url']\n"})
    with pytest.raises(UserCodeError) as info:
        load_handler("index.handler", str(tmp_path))
    d = info.value.to_dict()
    assert d["errorType"] == "UserCodeError"
    assert "KeyError" in d["errorMessage"]
    assert d["stackTrace"] == ["KeyError: 'url'"]


def test_module_calling_sys_exit_is_a_user_code_error(tmp_path):
    write_code(tmp_path, {"index.py": "import sys\nsys.exit(3)\n"})
    with pytest.raises(UserCodeError, match="SystemExit"):
        load_handler("index.handler", str(tmp_path))


def test_handler_not_found_and_not_callable(tmp_path):
    write_code(tmp_path, {"index.py": "handler = 42\n"})
    with pytest.raises(HandlerNotFoundError, match="not a function"):
        load_handler("index.handler", str(tmp_path))
    with pytest.raises(HandlerNotFoundError) as info:
        load_handler("index.other", str(tmp_path))
    assert info.value.to_dict() == {
        "errorMessage": "module 'index' has no function 'other' (handler 'index.other')",
        "errorType": "HandlerNotFound",
        "stackTrace": ["AttributeError: module 'index' has no attribute 'other'"],
    }


def test_error_tree():
    for cls in (
        InvalidHandlerNameError,
        ImportModuleError,
        UserCodeSyntaxError,
        UserCodeError,
        HandlerNotFoundError,
    ):
        assert issubclass(cls, HandlerLoadError)
        assert issubclass(cls, fc.FCError)
        assert cls("m").code == "handler_load"
