"""The ``fcsdk`` command line (also ``python -m fcsdk``).

Each sub-command lives in its own module, imported only when that command runs, so that
``fcsdk --help`` and every command start fast. A command module provides
``add_parser(subparsers) -> argparse.ArgumentParser`` and sets ``func`` (``args -> int``)
on the parser with ``set_defaults``.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
from typing import Optional, Sequence

__all__ = ["COMMANDS", "main"]

#: Sub-command name -> module providing ``add_parser``.
COMMANDS: dict[str, str] = {
    "invoke": "fcsdk.runtime.cli",
    "serve": "fcsdk.runtime.cli",
    "events": "fcsdk.testing.cli",
    "schema": "fcsdk.testing.cli",
    "package": "fcsdk.packaging.cli",
}


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every registered sub-command."""
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="fcsdk", description="Run, serve and package Alibaba Cloud Function Compute handlers."
    )
    parser.add_argument("--version", action="version", version=f"fcsdk {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in dict.fromkeys(COMMANDS.values()):
        importlib.import_module(module_name).add_parser(sub)
    return parser


#: Commands that only print (a listing, a schema): a reader leaving early (``| head``) is no
#: failure of theirs, so they exit 0. Others exit with their own code, or 1 if it is unknown.
_PRINT_ONLY = frozenset({"events", "schema"})


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point: parse ``argv`` and run the chosen command; returns the exit code.

    Run as the program (``argv`` None: the ``fcsdk`` command, ``python -m fcsdk``), a command
    that leaves a thread it cannot stop (``fcsdk invoke`` after a timeout, ``fcsdk serve`` after
    its grace period) ends the process at once with its exit code, as FC ends the instance.

    Example:
        >>> main(["--version"])  # doctest: +SKIP
        fcsdk 0.1.0
    """
    import os

    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        code = int(func(args))
    except BrokenPipeError:  # `fcsdk events list | head`: the reader left
        # Point stdout at devnull so that the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0 if args.command in _PRINT_ONLY else 1
    if argv is None and getattr(args, "hard_exit", False):
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(code)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
