"""The fcsdk exception tree.

Every failure fcsdk raises is an :class:`FCError`; each stage of an invocation has its own
subclass and each class a stable machine-readable ``code``::

    FCError                                 code
    ├── ConfigurationError                  "configuration"        a mistake in the decoration itself
    ├── MissingDependencyError              "missing_dependency"   an optional extra is not installed
    ├── CredentialsUnavailableError         "credentials_unavailable"
    ├── EventError                          "event"                the event could not be used
    │   ├── EventDecodeError                "event_decode"         not UTF-8, not JSON, empty, too deep
    │   └── EventValidationError            "event_validation"     valid JSON, wrong shape
    └── ResponseError                       "response"             the handler's return is unusable
        ├── ResponseValidationError         "response_validation"  fails ``response_model``
        └── ResponseEncodeError             "response_encode"      cannot be serialized for FC

FC reports a failed invocation as ``{"errorMessage": str(exc), "errorType": type(exc).__name__}``,
so the class names and the messages are the user interface: they are short, name the field path
and never contain input values (which may be secrets or personal data) unless the handler was
decorated with ``include_input=True``.

Example:
    >>> import fcsdk as fc
    >>> try:
    ...     raise fc.EventDecodeError("event is empty, but the handler expects Order")
    ... except fc.FCError as exc:
    ...     exc.to_dict()["errorType"], exc.code
    ('EventDecodeError', 'event_decode')
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Optional, TypeVar

if TYPE_CHECKING:
    from pydantic import ValidationError

__all__ = [
    "ConfigurationError",
    "CredentialsUnavailableError",
    "EventDecodeError",
    "EventError",
    "EventValidationError",
    "FCError",
    "MissingDependencyError",
    "ResponseEncodeError",
    "ResponseError",
    "ResponseValidationError",
    "format_loc",
]

#: How many validation errors a message lists before "and N more".
MAX_LISTED_ERRORS = 10


class FCError(Exception):
    """Base class of every error fcsdk raises.

    Attributes:
        code: a stable, machine-readable identifier of the error class.

    Example:
        >>> import fcsdk as fc
        >>> issubclass(fc.EventValidationError, fc.FCError)
        True
    """

    code: ClassVar[str] = "fcsdk_error"

    def __init__(self, message: str, *, errors: Optional[list[dict[str, Any]]] = None) -> None:
        super().__init__(message)
        self.message = message
        self._errors: list[dict[str, Any]] = list(errors or [])

    def __str__(self) -> str:
        return self.message

    def errors(self) -> list[dict[str, Any]]:
        """Structured details: a list of ``{"loc": tuple, "msg": str, "type": str}``.

        Example:
            >>> import fcsdk as fc
            >>> fc.FCError("boom").errors()
            []
        """
        return [dict(e) for e in self._errors]

    def to_dict(self) -> dict[str, Any]:
        """This error in FC's error JSON shape, plus ``code`` (and ``errors`` when there are any).

        Example:
            >>> import fcsdk as fc
            >>> fc.FCError("boom").to_dict()
            {'errorMessage': 'boom', 'errorType': 'FCError', 'code': 'fcsdk_error'}
        """
        out: dict[str, Any] = {
            "errorMessage": self.message,
            "errorType": type(self).__name__,
            "code": self.code,
        }
        if self._errors:
            out["errors"] = [{**e, "loc": list(e.get("loc", ()))} for e in self._errors]
        return out


class _FromPydantic:
    """``from_pydantic`` for the error classes that wrap a pydantic ``ValidationError``."""

    @classmethod
    def from_pydantic(
        cls: type[_V],
        exc: ValidationError,
        title: str,
        *,
        include_input: bool = False,
        prefix: str | tuple[Any, ...] = "",
        note: str = "",
    ) -> _V:
        """Build from a pydantic ``ValidationError`` (kept as ``__cause__`` by the caller):
        the message lists the field paths and pydantic's messages, never input values unless
        ``include_input``; ``prefix`` is prepended to every path; ``note`` follows the title.
        At most 20 errors are kept (``errors()``) and their text is clipped; the message
        gives the full count.

        Example:
            >>> import fcsdk as fc
            >>> from pydantic import TypeAdapter, ValidationError
            >>> try:
            ...     TypeAdapter(dict[str, int]).validate_python({"qty": "two"})
            ... except ValidationError as exc:
            ...     print(fc.EventValidationError.from_pydantic(exc, "Order", prefix="payload"))
            1 validation error for Order: payload.qty: Input should be a valid integer, unable to parse string as an integer
        """
        return _from_pydantic(  # type: ignore[type-var]
            cls, exc, title, include_input=include_input, prefix=prefix, note=note
        )


_V = TypeVar("_V", bound="_FromPydantic")


class ConfigurationError(FCError, TypeError):
    """The decoration itself is wrong (a model pydantic cannot handle, a handler with the wrong
    arity). Raised at import time, never on a request.

    Example:
        >>> import fcsdk as fc
        >>> try:
        ...     fc.handler(lambda a, b, c: None)
        ... except fc.ConfigurationError as exc:
        ...     print(exc.code)
        configuration
    """

    code = "configuration"


class MissingDependencyError(FCError, ImportError):
    """An optional dependency is missing; the message names the extra to install.

    The hint is ``pip install "fcsdk[extra]"``; when this fcsdk was not installed from a
    package index (a clone, an editable or local install), the clone form too.

    Example:
        >>> import fcsdk as fc
        >>> print(fc.MissingDependencyError.for_extra("oss2", "oss"))  # here: from a clone
        oss2 is not installed: pip install "fcsdk[oss]" (from a clone of fcsdk: pip install -e '.[oss]')
    """

    code = "missing_dependency"

    @classmethod
    def for_extra(cls, module: str, extra: str) -> MissingDependencyError:
        """Build the error for a missing ``module`` provided by fcsdk's ``extra``."""
        hint = f'{module} is not installed: pip install "fcsdk[{extra}]"'
        if not installed_from_index():
            hint += f" (from a clone of fcsdk: pip install -e '.[{extra}]')"
        return cls(hint)


def installed_from_index(path: Optional[list[str]] = None) -> bool:
    """True when the fcsdk distribution found (on ``path``, default ``sys.path``) came from a
    package index: installed, without the ``direct_url.json`` that pip writes (PEP 610) for
    installs from a folder, a clone (editable) or a URL.

    Example:
        >>> installed_from_index(path=[])  # no fcsdk there: not from an index
        False
    """
    import sys
    from importlib import metadata

    for dist in metadata.distributions(name="fcsdk", path=sys.path if path is None else path):
        return dist.read_text("direct_url.json") is None
    return False


class CredentialsUnavailableError(FCError):
    """No credentials were found where the handler needs them.

    Example:
        >>> import fcsdk as fc
        >>> fc.CredentialsUnavailableError("no credentials").code
        'credentials_unavailable'
    """

    code = "credentials_unavailable"


class EventError(FCError, ValueError):
    """The event could not be turned into what the handler declared. A client's mistake.

    Example:
        >>> import fcsdk as fc
        >>> issubclass(fc.EventDecodeError, fc.EventError)
        True
    """

    code = "event"


class EventDecodeError(EventError):
    """The event bytes are not usable at all: not UTF-8, not JSON, empty, nested too deep.

    Example:
        >>> import fcsdk as fc
        >>> fc.EventDecodeError("event is not valid JSON: line 1 column 2").code
        'event_decode'
    """

    code = "event_decode"


class EventValidationError(_FromPydantic, EventError):
    """The event is well-formed but does not match the handler's model.

    ``str(exc)`` lists the field paths, e.g.
    ``2 validation errors for Order: items[2].qty: Input should be a valid integer; customer: Field required``.

    Example:
        >>> import fcsdk as fc
        >>> @fc.handler
        ... def h(event: dict[str, int]) -> str:
        ...     return "ok"
        >>> try:
        ...     h(b'{"a": "x"}', None)
        ... except fc.EventValidationError as exc:
        ...     print(exc)
        1 validation error for dict[str, int]: a: Input should be a valid integer, unable to parse string as an integer
    """

    code = "event_validation"


class ResponseError(FCError):
    """The handler returned something fcsdk cannot send. A bug in the handler, not the client.

    Example:
        >>> import fcsdk as fc
        >>> issubclass(fc.ResponseValidationError, fc.ResponseError)
        True
    """

    code = "response"


class ResponseValidationError(_FromPydantic, ResponseError):
    """The return value does not match ``response_model``.

    Example:
        >>> import fcsdk as fc
        >>> @fc.handler(response_model=int)
        ... def h(event: bytes) -> object:
        ...     return "many"
        >>> try:
        ...     h(b"", None)
        ... except fc.ResponseValidationError as exc:
        ...     print(exc)
        1 validation error for response int: Input should be a valid integer, unable to parse string as an integer
    """

    code = "response_validation"


class ResponseEncodeError(ResponseError, TypeError):
    """The return value cannot be serialized the way FC's runtime sends results.

    Example:
        >>> import fcsdk as fc
        >>> @fc.handler
        ... def h(event: bytes) -> object:
        ...     return {"f": object()}
        >>> try:
        ...     h(b"", None)
        ... except fc.ResponseEncodeError as exc:
        ...     print(exc)
        cannot serialize the handler's return value (dict) for FC: f: object of type object is not JSON serializable
    """

    code = "response_encode"


def format_loc(loc: tuple[Any, ...] | list[Any]) -> str:
    """Render a pydantic ``loc`` as a path: ``("items", 2, "qty")`` -> ``items[2].qty``.

    Example:
        >>> format_loc(("items", 2, "qty"))
        'items[2].qty'
        >>> format_loc((3, "data", "body"))
        '[3].data.body'
    """
    out = []
    for part in loc:
        if isinstance(part, int):
            out.append(f"[{part}]")
        else:
            out.append(f".{part}" if out else str(part))
    return "".join(out) or "(root)"


_E = TypeVar("_E", bound=FCError)


def _without_input(error: Any) -> str:
    """pydantic's message, minus the input value for the error types that quote it."""
    ctx = error.get("ctx") or {}
    if error["type"] == "union_tag_invalid":  # "Input tag 'x' found using 'kind' does not ..."
        return (
            f"Input tag found using {ctx.get('discriminator', 'the discriminator')} does not "
            f"match any of the expected tags: {ctx.get('expected_tags', '')}"
        )
    return str(error["msg"])


def _from_pydantic(
    cls: type[_E],
    exc: Any,
    title: str,
    *,
    include_input: bool,
    prefix: str | tuple[Any, ...],
    note: str = "",
) -> _E:
    from ._limits import clip, clip_loc, error_list

    raw, n = error_list(exc, include_input=include_input)
    pre: tuple[Any, ...] = prefix if isinstance(prefix, tuple) else ((prefix,) if prefix else ())
    errors: list[dict[str, Any]] = []
    for e in raw:
        item: dict[str, Any] = {
            "loc": clip_loc(pre + tuple(e["loc"])),
            "msg": clip(str(e["msg"] if include_input else _without_input(e))),
            "type": e["type"],
        }
        if include_input and "input" in e:
            item["input"] = e["input"]
        errors.append(item)
    del raw
    parts = [
        f"{format_loc(e['loc'])}: {e['msg']}" if e["loc"] else str(e["msg"])
        for e in errors[:MAX_LISTED_ERRORS]
    ]
    listed = "; ".join(parts)
    if n > len(parts):
        listed += f"; and {n - len(parts)} more"
    noun = "error" if n == 1 else "errors"
    return cls(f"{n} validation {noun} for {title}{note}: {listed}", errors=errors)
