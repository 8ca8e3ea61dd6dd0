"""The FC runtimes fcsdk supports: ONE list, used by every command and helper that takes a
runtime (``fcsdk invoke``/``serve``/``package``, ``fcsdk.testing.fake_context``).

Reference section 8: the built-in runtimes python3.9 and python3.10 pass context shape A,
python3.12 shape B; the custom runtimes (Debian 10/11/12, any Python) have no context object:
every field arrives as an ``x-fc-*`` request header (shape C).

Example:
    >>> from fcsdk._runtimes import RUNTIMES, context_shape
    >>> RUNTIMES[:3], context_shape("custom.debian12")
    (('python3.9', 'python3.10', 'python3.12'), 'C')
"""

from __future__ import annotations

__all__ = ["DEFAULT_RUNTIME", "RUNTIMES", "context_shape", "unknown_runtime"]

#: Every runtime id fcsdk accepts, in the order help texts list them.
RUNTIMES = (
    "python3.9",
    "python3.10",
    "python3.12",
    "custom.debian10",
    "custom.debian11",
    "custom.debian12",
)
#: The runtime commands assume when none is given.
DEFAULT_RUNTIME = "python3.10"

_SHAPES = {"python3.9": "A", "python3.10": "A", "python3.12": "B"}


def context_shape(runtime: str) -> str:
    """``"A"``, ``"B"`` or ``"C"`` (headers, custom runtimes) for a runtime of :data:`RUNTIMES`.

    Raises:
        ValueError: for a runtime not in :data:`RUNTIMES`.

    Example:
        >>> context_shape("python3.12")
        'B'
    """
    if runtime not in RUNTIMES:
        raise ValueError(unknown_runtime(runtime))
    return _SHAPES.get(runtime, "C")


def unknown_runtime(runtime: str) -> str:
    """The message for a runtime id fcsdk does not know.

    Example:
        >>> unknown_runtime("python3.8")[:36]
        "unknown runtime 'python3.8': use one"
    """
    return f"unknown runtime {runtime!r}: use one of {', '.join(RUNTIMES)}"
