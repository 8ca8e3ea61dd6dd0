"""The ``fcsdk package`` sub-command.

Example:
    >>> import pathlib, tempfile
    >>> from fcsdk.cli import main
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "index.py").write_text("def handler(event, context):\\n    return event\\n")
    >>> main(["package", str(d), "--runtime", "python3.12", "--no-deps", "-o", str(d / "c.zip")])  # doctest: +ELLIPSIS
    wrote ...
    0
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["add_parser", "run"]

_EPILOG = """\
examples:
  fcsdk package . --runtime python3.10 --requirements requirements.txt -o dist/code.zip
  fcsdk package --runtime python3.12 --extras oss --exclude-preinstalled
  fcsdk package --layer --runtime python3.12 -o dist/layer.zip
  fcsdk package . --runtime custom.debian12 --python 3.13
then point s.yaml's `code:` at the zip and run `s deploy`.
"""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``package`` on the ``fcsdk`` command's sub-parsers."""
    from .._runtimes import DEFAULT_RUNTIME, RUNTIMES

    parser: argparse.ArgumentParser = subparsers.add_parser(
        "package",
        help="build the code package (zip) FC's runtime loads",
        description=(
            "Zip SRC with fcsdk and your requirements installed from wheels for FC's platform "
            "(Linux x86_64, the runtime's CPython). The same input gives the same bytes."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("src", nargs="?", default=".", help="the function's folder (default: .)")
    parser.add_argument(
        "--runtime",
        default=DEFAULT_RUNTIME,
        help=f"FC runtime: {', '.join(RUNTIMES)} (default: {DEFAULT_RUNTIME})",
    )
    parser.add_argument("--python", help="Python X.Y for the custom runtimes, e.g. 3.13")
    parser.add_argument("--handler", default="index.handler", help="default: index.handler")
    parser.add_argument("-r", "--requirements", help="a requirements.txt to install")
    parser.add_argument(
        "--extras", default="", help="fcsdk extras to ship, comma-separated (e.g. oss,tablestore)"
    )
    parser.add_argument(
        "-o", "--output", default=None, help="default: dist/code.zip (dist/layer.zip with --layer)"
    )
    parser.add_argument(
        "--layer",
        action="store_true",
        help="build an FC layer (python/ prefix) of the dependencies only",
    )
    parser.add_argument(
        "--exclude-preinstalled",
        action="store_true",
        help="leave out what the runtime already has (oss2 and its dependencies)",
    )
    parser.add_argument(
        "--no-deps", action="store_true", help="only your code (dependencies in a layer)"
    )
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Build the package described by ``args``; 0 on success, 1 on a packaging error, 2 on a
    usage error or a missing extra."""
    from ..errors import FCError

    output = args.output or ("dist/layer.zip" if args.layer else "dist/code.zip")
    try:
        from . import build_package  # needs the `package` extra: a clear error without it

        report = build_package(
            args.src,
            runtime=args.runtime,
            python=args.python,
            handler=args.handler,
            requirements=args.requirements,
            extras=[e for e in args.extras.split(",") if e.strip()],
            output=output,
            layer=args.layer,
            exclude_preinstalled=args.exclude_preinstalled,
            no_deps=args.no_deps,
        )
    except FCError as exc:
        from ..errors import MissingDependencyError
        from .errors import UnknownRuntimeError

        print(f"fcsdk package: error: {exc} [{type(exc).__name__}]", file=sys.stderr)
        # a usage error (an unknown --runtime) or a missing extra: 2, as every command
        return 2 if isinstance(exc, (MissingDependencyError, UnknownRuntimeError)) else 1
    print(report.summary())
    for warning in report.warnings:
        print(f"fcsdk package: warning: {warning}", file=sys.stderr)
    return 0
