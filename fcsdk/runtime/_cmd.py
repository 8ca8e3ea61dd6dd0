"""What ``fcsdk invoke`` and ``fcsdk serve`` share: exit codes, usage errors, log set-up."""

from __future__ import annotations

import argparse
import math
import sys
from typing import Optional

__all__ = ["EXIT_FUNCTION_ERROR", "EXIT_USAGE"]

#: A function error (FC's error JSON was printed or answered).
EXIT_FUNCTION_ERROR = 1
#: A usage error: a bad option, setting or event source.
EXIT_USAGE = 2


def _error(message: str) -> int:
    print(f"fcsdk: {message}", file=sys.stderr)
    return EXIT_USAGE


def _bad_seconds(option: str, value: Optional[float], *, zero: bool = False) -> Optional[str]:
    """The usage error for a timeout option that is not a finite positive number (or 0)."""
    if value is None or (math.isfinite(value) and (value > 0 or (zero and value == 0))):
        return None
    return f"{option} must be a finite number of seconds above 0{' or 0' if zero else ''}"


def _setup_logging(fmt: Optional[str]) -> Optional[str]:
    """Configure fcsdk's log handler; the usage error for a bad format, else None."""
    from ..errors import ConfigurationError
    from ..logging import setup

    try:
        setup(fmt, stream=sys.stderr)
    except ConfigurationError as exc:
        return str(exc)
    return None


def _end_process_after(args: argparse.Namespace) -> None:
    """Ask :func:`fcsdk.cli.main` to end the process at once after the command: a thread that
    cannot be stopped (a late handler) would keep it alive."""
    args.hard_exit = True
