"""``import fcsdk`` stays cheap: a cold start is paid on every new FC instance, so the core
imports nothing outside a short allow-list. Each check runs in a fresh ``python -I`` process
(``sys.modules`` before and after), so what this test process already imported hides nothing."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

# fcsdk's own core, imported by `import fcsdk`; everything else of fcsdk comes on first use.
CORE = {
    "fcsdk",
    "fcsdk._codec",
    "fcsdk._current",
    "fcsdk._fcbody",
    "fcsdk._handler",
    "fcsdk._limits",
    "fcsdk.context",
    "fcsdk.credentials",
    "fcsdk.errors",
    "fcsdk.steps",
}
# Besides what `import typing` loads (measured below, it differs between Python versions).
STDLIB = {"__future__", "contextvars", "_contextvars"}
# typing.ParamSpec is 3.10+; 3.9 takes typing_extensions' (which imports inspect there).
BASELINE = "import typing" if sys.version_info >= (3, 10) else "import typing, typing_extensions"
# Modules that a cheap import must not load, named so that a failure says what went wrong.
HEAVY = {
    "pydantic",
    "pydantic_core",
    "msgspec",
    "logging",
    "inspect",
    "dataclasses",
    "json",
    "uuid",
    "platform",
    "decimal",
    "datetime",
    "asyncio",
    "threading",
    "base64",
}


def new_modules(code: str, before: str = "") -> set[str]:
    """The modules that ``code`` imports in a fresh ``python -I`` (after running ``before``)."""
    script = "\n".join(
        [
            "import sys",
            before,
            "_before = set(sys.modules)",
            code,
            "print(repr(sorted(set(sys.modules) - _before)))",  # repr: json would be imported
        ]
    )
    out = subprocess.run(
        [sys.executable, "-I", "-c", script], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return set(ast.literal_eval(out.stdout.splitlines()[-1]))


@pytest.fixture(scope="module")
def typing_modules() -> set[str]:
    return new_modules(BASELINE)


def test_import_fcsdk_loads_only_the_allow_list(typing_modules: set[str]) -> None:
    extra = new_modules("import fcsdk") - CORE - STDLIB - typing_modules
    assert not extra, f"`import fcsdk` now imports {sorted(extra)}: import them where used"


def test_import_fcsdk_loads_no_heavy_module(typing_modules: set[str]) -> None:
    loaded = new_modules("import fcsdk")
    assert not loaded & (HEAVY - typing_modules)
    assert loaded >= CORE  # the test sees the imports it means to see


def test_lazy_names_still_resolve() -> None:
    loaded = new_modules(
        "import fcsdk as fc\n"
        "assert fc.logger.name == 'fcsdk.user'\n"
        "assert callable(fc.logging.setup)\n"
        "assert fc.FunctionMeta(name='f').name == 'f'\n"
        "from fcsdk.context import Tracing\n"
        "assert Tracing().span_baggages == {}"
    )
    assert {"logging", "dataclasses", "fcsdk.logging", "fcsdk._meta"} <= loaded


def test_a_bytes_handler_called_once_needs_no_pydantic() -> None:
    loaded = new_modules(
        "import fcsdk as fc\n"
        "@fc.handler\n"
        "def handler(event: bytes, context: fc.Context) -> bytes:\n"
        "    return event\n"
        "assert handler(b'x', {'x-fc-request-id': 'r'}) == b'x'"
    )
    assert not loaded & {"pydantic", "pydantic_core", "logging", "json", "dataclasses"}


def test_first_call_with_a_native_context_stays_in_the_core() -> None:
    """The context variable, the native context and a str reply: no logging, no uuid."""
    loaded = new_modules(
        "import fcsdk as fc\n"
        "class Native:\n"
        "    request_id = 'r-1'\n"
        "@fc.handler\n"
        "def handler(event: str, context: fc.Context) -> str:\n"
        "    return context.request_id\n"
        "assert handler(b'{}', Native()) == 'r-1'",
        before="import fcsdk",
    )
    assert not loaded & {"logging", "uuid", "json", "dataclasses", "pydantic"}


def test_the_wrapper_sets_every_field_of_the_context_it_builds() -> None:
    """``_make_wrapper`` builds the Context inline (``Context._make`` without the call): a slot
    added to Context must be set there too."""
    import fcsdk as fc
    from fcsdk.context import Context
    from tests.natives import ShapeA

    seen: list[Context] = []

    @fc.handler
    def handler(event: bytes, context: fc.Context) -> str:
        seen.append(context)
        return context.request_id

    assert handler(b"", ShapeA("r-1")) == "r-1"
    reference = Context._make(ShapeA(), 0, None)
    for name in Context.__slots__:
        assert type(getattr(seen[0], name)) is type(getattr(reference, name)), name


def test_a_trigger_model_imports_only_its_module_beyond_pydantic() -> None:
    """``fc.events.OSSEvent`` costs building its models, not importing json and friends."""
    loaded = new_modules(
        "import fcsdk as fc\nassert fc.events.OSSEvent.__name__ == 'OSSEvent'",
        before=(
            "import fcsdk\nfrom pydantic import BaseModel\n"
            "class Warm(BaseModel):\n    a: int"  # pydantic's own first-model imports
        ),
    )
    extra = {m for m in loaded if not m.startswith("fcsdk.")}
    assert extra <= {"pydantic.alias_generators"}, sorted(extra)
    assert {"fcsdk.events", "fcsdk.events._base", "fcsdk.events.oss"} <= loaded
