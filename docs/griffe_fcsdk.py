"""A griffe extension for the API reference: fcsdk's docstrings head their doctests with
``Example:`` (singular), which griffe's Google-style parser reads as an admonition of markdown,
so ``>>>`` lines would render as block quotes. Renamed to ``Examples:`` here, they render as code.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_EXAMPLE = re.compile(r"(?m)^(\s*)Example:\s*$")


class ExamplesSection(griffe.Extension):
    """Read ``Example:`` sections as griffe's examples section."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = _EXAMPLE.sub(r"\1Examples:", obj.docstring.value)
