"""HTTP errors: exceptions that become HTTP responses.

Raise one from a route (or let fcsdk raise it for a bad request) and the router answers with its
status and a JSON body in fcsdk's error shape::

    FCError
    └── HTTPError                     code "http"                any status you choose
        ├── BadRequestError           "bad_request"          400  body is not valid JSON, ...
        ├── NotFoundError             "not_found"            404  no route matches the path
        ├── MethodNotAllowedError     "method_not_allowed"   405  the path exists, not the method
        ├── UnsupportedMediaTypeError "unsupported_media_type" 415
        └── RequestValidationError    "request_validation"   422  field paths, never input values

Example:
    >>> from fcsdk.http import HTTPError
    >>> err = HTTPError(403, "not your order")
    >>> err.status_code, err.to_dict()["errorMessage"]
    (403, 'not your order')
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any, ClassVar, Optional

from ..errors import FCError

__all__ = [
    "BadRequestError",
    "HTTPError",
    "MethodNotAllowedError",
    "NotFoundError",
    "RequestValidationError",
    "UnsupportedMediaTypeError",
]


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class HTTPError(FCError):
    """An error with an HTTP status; the router turns it into a JSON response.

    Parameters:
        status_code: the HTTP status to answer with.
        message: what the client reads in ``errorMessage`` (default: the status phrase).
        headers: extra response headers (e.g. ``WWW-Authenticate``).
        errors: structured details (``{"loc": [...], "msg": ..., "type": ...}``).

    Example:
        >>> from fcsdk.http import HTTPError
        >>> HTTPError(404).message
        'Not Found'
    """

    code: ClassVar[str] = "http"
    default_status: ClassVar[int] = 500

    def __init__(
        self,
        status_code: Optional[int] = None,
        message: Optional[str] = None,
        *,
        headers: Optional[Mapping[str, str]] = None,
        errors: Optional[list[dict[str, Any]]] = None,
    ) -> None:
        status = int(status_code if status_code is not None else self.default_status)
        if not 100 <= status <= 599:
            raise ValueError(f"HTTP status must be between 100 and 599, got {status}")
        super().__init__(message or _phrase(status), errors=errors)
        self.status_code = status
        self.headers: dict[str, str] = dict(headers or {})


class BadRequestError(HTTPError):
    """400: the request cannot be read (invalid JSON, bad encoding).

    Example:
        >>> from fcsdk.http import BadRequestError
        >>> BadRequestError(message="body is not valid JSON").status_code
        400
    """

    code = "bad_request"
    default_status = 400


class NotFoundError(HTTPError):
    """404: no route matches the path.

    Example:
        >>> from fcsdk.http import NotFoundError
        >>> NotFoundError().status_code
        404
    """

    code = "not_found"
    default_status = 404


class MethodNotAllowedError(HTTPError):
    """405: the path exists but not for this method; ``Allow`` lists the methods that do.

    Example:
        >>> from fcsdk.http import MethodNotAllowedError
        >>> MethodNotAllowedError(allow=["GET", "POST"]).headers
        {'Allow': 'GET, POST'}
    """

    code = "method_not_allowed"
    default_status = 405

    def __init__(self, message: Optional[str] = None, *, allow: list[str]) -> None:
        super().__init__(None, message, headers={"Allow": ", ".join(allow)})


class UnsupportedMediaTypeError(HTTPError):
    """415: the body's ``Content-Type`` is not one the route accepts.

    Example:
        >>> from fcsdk.http import UnsupportedMediaTypeError
        >>> UnsupportedMediaTypeError().status_code
        415
    """

    code = "unsupported_media_type"
    default_status = 415


class RequestValidationError(HTTPError):
    """422: the request is well-formed but its path, query or body fails validation.

    ``errors()`` lists ``{"loc": ("body", "items", 0, "qty"), "msg": ..., "type": ...}``; input
    values are never included (they may be secrets or personal data).

    Example:
        >>> from fcsdk.http import RequestValidationError
        >>> err = RequestValidationError.single(("query", "limit"), "Field required", "missing")
        >>> err.status_code, str(err)
        (422, '1 validation error for request: query.limit: Field required')
    """

    code = "request_validation"
    default_status = 422

    def __init__(self, message: str, *, errors: list[dict[str, Any]]) -> None:
        super().__init__(None, message, errors=errors)
        #: How many errors were found (``errors()`` keeps at most 20 of them).
        self.count = len(errors)

    @classmethod
    def single(cls, loc: tuple[Any, ...], msg: str, type_: str) -> RequestValidationError:
        """One error at ``loc``."""
        return cls.from_errors([{"loc": loc, "msg": msg, "type": type_}])

    #: The ``type`` of a placeholder in ``from_errors``'s list: ``count`` more errors not kept.
    MORE: ClassVar[str] = "fcsdk_more_errors"

    @classmethod
    def from_errors(
        cls, errors: list[dict[str, Any]], *, count: Optional[int] = None
    ) -> RequestValidationError:
        """Build the message (``N validation errors for request: path: msg; ...``) from errors.

        At most 20 errors are kept, with clipped text (the 422 body stays small); ``count``
        is how many there were when more were found than ``errors`` lists.
        """
        from .._limits import MAX_ERRORS, clip, clip_loc
        from ..errors import MAX_LISTED_ERRORS, format_loc

        n = 0 if count is None else count - len(errors)
        kept: list[dict[str, Any]] = []
        for e in errors:
            if e.get("type") == cls.MORE:
                n += int(e.get("count", 0))
                continue
            n += 1
            if len(kept) < MAX_ERRORS:
                kept.append({**e, "loc": clip_loc(tuple(e["loc"])), "msg": clip(str(e["msg"]))})
        parts = [f"{format_loc(tuple(e['loc']))}: {e['msg']}" for e in kept[:MAX_LISTED_ERRORS]]
        listed = "; ".join(parts)
        if n > len(parts):
            listed += f"; and {n - len(parts)} more"
        noun = "error" if n == 1 else "errors"
        err = cls(f"{n} validation {noun} for request: {listed}", errors=kept)
        err.count = n
        return err
