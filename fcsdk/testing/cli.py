"""``fcsdk events`` and ``fcsdk schema``: sample trigger events and a handler's JSON Schema.

- ``fcsdk events list``: every trigger with a sample, and the options of its factory;
- ``fcsdk events show NAME [--OPTION VALUE ...]``: print the event FC would send, e.g.
  ``fcsdk events show oss --bucket b --key k`` (``--raw`` writes the exact bytes;
  ``fcsdk events show NAME --help`` lists that trigger's options);
- ``fcsdk schema module.func [--code-dir DIR]``: the JSON Schema of a decorated handler's input
  (and output when it has a ``response_model``); the handler is loaded as FC loads it
  (:func:`fcsdk.runtime.loader.load_handler`).
"""

from __future__ import annotations

import argparse
import base64
import inspect
import json
import sys
from typing import Any, Callable, Dict, List, Optional, Sequence

__all__ = ["add_parser", "parse_options"]


def add_parser(subparsers: Any) -> None:
    """Register ``events`` (``list`` / ``show``) and ``schema`` on the ``fcsdk`` parser."""
    events = subparsers.add_parser(
        "events",
        help="list or print sample trigger events (like sam local generate-event)",
        description="List the triggers fcsdk has a sample event of, or print one: "
        "'fcsdk events list', 'fcsdk events show NAME [--OPTION VALUE ...]'.",
    )
    events_sub = events.add_subparsers(dest="events_command", metavar="ACTION")
    lst = events_sub.add_parser(
        "list",
        help="list the triggers that have a sample event",
        description="List every trigger with a sample event, and the options of each.",
    )
    lst.set_defaults(func=_cmd_list)
    show = events_sub.add_parser(
        "show",
        help="print a sample event",
        description="Print the event a trigger sends. Options are the factory's keyword "
        "arguments, e.g. --bucket b --key k (see 'fcsdk events list'); repeat an option "
        "for list arguments (--values a --values b).",
    )
    show.add_argument("name", nargs="?", help="trigger name, e.g. oss, timer, kafka")
    show.add_argument("--raw", action="store_true", help="write the exact event bytes")
    show.add_argument("options", nargs=argparse.REMAINDER, help="--option value pairs")
    show.set_defaults(func=_cmd_show)
    events.set_defaults(func=lambda args: _usage(events))

    schema = subparsers.add_parser(
        "schema",
        help="print the JSON Schema of a decorated handler's input (and output)",
        description="Load HANDLER (module.function) as FC loads it and print the JSON Schema "
        "of its event model (and of its response_model, if any).",
    )
    schema.add_argument("handler", help="module.function, e.g. index.handler")
    schema.add_argument(
        "--code-dir", default=".", help="directory the module is imported from (default: .)"
    )
    schema.set_defaults(func=_cmd_schema)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _factory_options(factory: Callable[..., Any]) -> Dict[str, inspect.Parameter]:
    return {
        name: p
        for name, p in inspect.signature(factory).parameters.items()
        if p.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    }


def _cmd_list(args: argparse.Namespace) -> int:
    from . import events

    for name in events.names():
        factory = events.factory(name)
        doc = _summary(factory)
        opts = " ".join(f"--{o.replace('_', '-')}" for o in _factory_options(factory))
        print(f"{name:<20} {doc}")
        if opts:
            print(f"{'':<20}   options: {opts}")
    return 0


_JSON_OPTIONS = ("headers", "query", "path_parameters", "parameter", "attributes")


def _kind(param: inspect.Parameter) -> str:
    """How an option's value is read: ``list``, ``bool``, ``int``, ``json`` or ``str``."""
    default = param.default
    if isinstance(default, (list, tuple)) or param.name in ("keys", "values", "bodies", "items"):
        return "list"
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, int):
        return "int"
    if param.name in _JSON_OPTIONS:
        return "json"
    return "str"


def _convert(raw: List[str], param: inspect.Parameter) -> Any:
    kind = _kind(param)
    if kind == "list":
        return list(raw)
    value = raw[-1]
    if kind == "bool":
        if value.lower() in ("1", "true", "yes", "on"):
            return True
        if value.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"--{param.name.replace('_', '-')} expects true or false, not {value!r}")
    if kind == "int":
        try:
            return int(value)
        except ValueError:
            raise ValueError(
                f"--{param.name.replace('_', '-')} expects an integer, not {value!r}"
            ) from None
    if kind == "json":
        parsed = json.loads(value)
        if not isinstance(parsed, dict):
            raise ValueError(f"--{param.name.replace('_', '-')} expects a JSON object")
        return parsed
    return value


_METAVAR = {"list": "VALUE", "bool": "true|false", "int": "N", "json": "JSON", "str": "VALUE"}


def _wants_help(argv: Sequence[str]) -> bool:
    """Whether ``-h``/``--help`` stands where an option name is expected in ``argv``."""
    i = 0
    while i < len(argv):
        token = argv[i]
        if token in ("-h", "--help"):
            return True
        i += 1 if "=" in token or not token.startswith("--") else 2
    return False


def _summary(factory: Callable[..., Any]) -> str:
    """The first sentence of a factory's docstring, as plain text (no reST roles or quotes)."""
    import re

    doc = inspect.cleandoc(factory.__doc__ or "").split("\n\n")[0].replace("``", "")
    doc = " ".join(re.sub(r":\w+:`~?([^`]+)`", r"\1", doc).split())
    end = re.search(r"\.(\s|$)", doc)
    return doc[: end.start() + 1] if end else doc


def _show_help(name: str, factory: Callable[..., Any]) -> str:
    """The ``fcsdk events show NAME --help`` text: the factory's description and options."""
    import re
    import textwrap

    doc = inspect.cleandoc(factory.__doc__ or "").split("\n\n")[0].replace("``", "")
    doc = re.sub(r":\w+:`~?([^`]+)`", r"\1", doc)  # :func:`x` -> x
    lines = [
        f"usage: fcsdk events show {name} [--raw] [--OPTION VALUE ...]",
        "",
        *textwrap.wrap(" ".join(doc.split()), 88),
        "",
        "options:",
    ]
    for opt, param in _factory_options(factory).items():
        kind = _kind(param)
        flag = f"--{opt.replace('_', '-')} {_METAVAR[kind]}"
        notes = []
        if kind == "list":
            notes.append("repeat for several")
        elif kind == "json":
            notes.append("a JSON object")
        if param.default is not None and param.default is not inspect.Parameter.empty:
            default = list(param.default) if isinstance(param.default, tuple) else param.default
            notes.append(f"default: {default!r}")
        lines.append(f"  {flag:<28} {'; '.join(notes)}".rstrip())
    lines.append(f"  {'--raw':<28} write the exact event bytes")
    return "\n".join(lines)


def parse_options(factory: Callable[..., Any], argv: Sequence[str]) -> Dict[str, Any]:
    """Turn ``--option value`` pairs into keyword arguments for an event factory.

    Raises:
        ValueError: unknown option, missing value, or a value of the wrong kind.

    Example:
        >>> from fcsdk.testing import events
        >>> parse_options(events.oss, ["--bucket", "b", "--size", "3"])
        {'bucket': 'b', 'size': 3}
    """
    params = _factory_options(factory)
    collected: Dict[str, List[str]] = {}
    items = list(argv)
    i = 0
    while i < len(items):
        token = items[i]
        if not token.startswith("--") or token == "--":
            raise ValueError(f"expected an --option, got {token!r}")
        name, _, inline = token[2:].partition("=")
        key = name.replace("-", "_")
        if key not in params:
            known = ", ".join(f"--{p.replace('_', '-')}" for p in params) or "none"
            raise ValueError(f"unknown option --{name}; options: {known}")
        if inline or "=" in token:
            value = inline
        elif i + 1 < len(items):
            i += 1
            value = items[i]
        else:
            raise ValueError(f"option --{name} needs a value")
        collected.setdefault(key, []).append(value)
        i += 1
    return {key: _convert(values, params[key]) for key, values in collected.items()}


def _cmd_show(args: argparse.Namespace) -> int:
    from . import events

    if not args.name:
        print(
            "fcsdk events show: name a trigger: " + ", ".join(events.names()),
            file=sys.stderr,
        )
        return 2
    options = list(args.options)
    raw = args.raw or "--raw" in options
    options = [o for o in options if o != "--raw"]
    try:
        factory = events.factory(args.name)
        if _wants_help(options):
            print(_show_help(args.name, factory))
            return 0
        kwargs = parse_options(factory, options)
        data = factory(**kwargs)
    except KeyError as exc:
        print(f"fcsdk events show: {exc.args[0]}", file=sys.stderr)
        return 2
    except (ValueError, TypeError) as exc:
        print(f"fcsdk events show {args.name}: {exc}", file=sys.stderr)
        return 2
    except ImportError as exc:  # MissingDependencyError (cbor2 for tablestore): exit 2
        print(f"fcsdk events show {args.name}: {exc}", file=sys.stderr)
        return 2
    if raw:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return 0
    print(_pretty(data, args.name))
    return 0


def _pretty(data: bytes, name: str) -> str:
    try:
        return json.dumps(json.loads(data), indent=2, ensure_ascii=False)
    except (ValueError, UnicodeDecodeError):
        pass
    if name.lower().startswith("tablestore"):
        from ..events.tablestore import _loads_cbor

        print(
            "# CBOR event shown decoded as JSON (bytes as base64); --raw for the bytes",
            file=sys.stderr,
        )
        return json.dumps(_loads_cbor(data), indent=2, ensure_ascii=False, default=_b64)
    return data.decode("utf-8", "replace")


def _b64(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(type(value).__name__)


def _schema_of(tp: Any, mode: str) -> Dict[str, Any]:
    from .._codec import build_adapter, uses_msgspec

    if tp is None or tp is Any or tp is object:
        return {}
    if tp is bytes:
        return {"type": "string", "format": "binary"}
    if uses_msgspec(tp):  # msgspec Structs: msgspec's own JSON Schema (same for both modes)
        import msgspec

        schema: Dict[str, Any] = msgspec.json.schema(tp)
        return schema
    result: Dict[str, Any] = build_adapter(tp).json_schema(mode=mode)  # type: ignore[arg-type]
    return result


def _cmd_schema(args: argparse.Namespace) -> int:
    from ..runtime.errors import HandlerLoadError
    from ..runtime.loader import load_handler

    try:
        func = load_handler(args.handler, args.code_dir)
    except HandlerLoadError as exc:  # FC's errorType: ImportModuleError, HandlerNotFound, ...
        print(f"fcsdk schema: cannot load {args.handler}: {exc.error_type}: {exc}", file=sys.stderr)
        return 2
    spec = getattr(func, "__fcsdk__", None)
    if spec is None:
        print(
            f"fcsdk schema: {args.handler} is not decorated with @fc.handler, so it declares "
            "no input type",
            file=sys.stderr,
        )
        return 2
    model = spec.model
    envelope = spec.envelope
    try:
        if envelope is not None and getattr(envelope, "batch", False):
            item = envelope.item_model(model) if hasattr(envelope, "item_model") else model
            input_schema = {"type": "array", "items": _schema_of(item, "validation")}
        else:
            input_schema = _schema_of(model, "validation")
        out: Dict[str, Any] = {"handler": args.handler, "input": input_schema}
        if envelope is not None:
            out["envelope"] = repr(envelope)
        if spec.response_model is not None:
            out["output"] = _schema_of(spec.response_model, "serialization")
    except Exception as exc:
        print(
            f"fcsdk schema: cannot build the schema: {type(exc).__name__}: {exc}", file=sys.stderr
        )
        return 1
    print(json.dumps(out, indent=2, ensure_ascii=False))
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:  # pragma: no cover - convenience
    """Run only these commands (``python -m fcsdk.testing.cli events list``)."""
    parser = argparse.ArgumentParser(prog="fcsdk")
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return int(args.func(args)) if hasattr(args, "func") else _usage(parser)
