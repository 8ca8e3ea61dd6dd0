"""Transforms of fetched values: ``"json"``, ``"binary"`` (base64) or any type pydantic validates.

No error raised here carries the value or chains an exception that does (pydantic's
``ValidationError`` and ``json.JSONDecodeError`` both hold the input).
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
from collections.abc import Hashable
from typing import Any

from ..errors import ConfigurationError
from ._errors import ParameterValidationError

__all__ = ["TRANSFORMS", "apply", "check"]

#: The transforms named by a string.
TRANSFORMS = ("json", "binary")

_adapters: dict[Any, Any] = {}
_adapters_lock = threading.Lock()


def check(transform: Any, model: Any) -> Any:
    """The transform to apply (None, ``"json"``, ``"binary"`` or a type), or ConfigurationError.

    Example:
        >>> check(None, dict)
        <class 'dict'>
        >>> check("json", None)
        'json'
    """
    if model is not None:
        if transform is not None:
            raise ConfigurationError(
                "pass either transform= or model=, not both (model=X is transform=X)"
            )
        transform = model
    if transform is None or (isinstance(transform, str) and transform in TRANSFORMS):
        return transform
    if isinstance(transform, str) or not isinstance(transform, Hashable):
        raise ConfigurationError(
            f"unknown transform {transform!r}: use 'json', 'binary', a pydantic model or a type"
        )
    _adapter(transform)  # a type pydantic cannot handle is a configuration error, raised now
    return transform


def _adapter(model: Any) -> Any:
    adapter = _adapters.get(model)
    if adapter is None:
        from pydantic import PydanticSchemaGenerationError, TypeAdapter

        try:
            adapter = TypeAdapter(model)
        except (PydanticSchemaGenerationError, TypeError) as exc:
            raise ConfigurationError(
                f"cannot validate parameters into {_type_name(model)}: {exc.__class__.__name__}; "
                "use a pydantic model, a dataclass or a type such as dict[str, int]"
            ) from None
        with _adapters_lock:
            adapter = _adapters.setdefault(model, adapter)
    return adapter


def _type_name(model: Any) -> str:
    name = getattr(model, "__name__", None)
    if name and not getattr(model, "__args__", None):
        return str(name)
    return repr(model).replace("typing.", "")


def apply(value: str, transform: Any, what: str, name: str = "") -> Any:
    """``value`` transformed; ``what`` names it in errors (``KMS secret 'db'``).

    Example:
        >>> apply('{"a": 1}', "json", "env parameter 'X'")
        {'a': 1}
        >>> apply("aGk=", "binary", "env parameter 'X'")
        b'hi'
    """
    if transform is None:
        return value
    # Errors are built inside ``except`` and raised outside it: no ``__context__`` either, since
    # json's and pydantic's exceptions hold the input.
    error: ParameterValidationError
    if transform == "json":
        try:
            return json.loads(value)
        except RecursionError:
            error = ParameterValidationError(
                f"{what} is not JSON fcsdk can read: nested too deeply (transform='json')",
                name=name,
            )
        except ValueError as exc:
            msg = getattr(exc, "msg", "invalid JSON")
            pos = getattr(exc, "lineno", None), getattr(exc, "colno", None)
            where = f" at line {pos[0]} column {pos[1]}" if pos[0] is not None else ""
            error = ParameterValidationError(
                f"{what} is not valid JSON: {msg}{where} (transform='json')", name=name
            )
    elif transform == "binary":
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            error = ParameterValidationError(
                f"{what} is not valid base64 (transform='binary'): store the value base64-encoded",
                name=name,
            )
    else:
        from pydantic import ValidationError

        adapter = _adapter(transform)
        try:
            return adapter.validate_json(value)
        except ValidationError as exc:
            error = ParameterValidationError.from_pydantic(
                exc, f"{what} as {_type_name(transform)}"
            )
            error.name = name
    raise error
