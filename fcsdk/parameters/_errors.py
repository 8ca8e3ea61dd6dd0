"""The errors of :mod:`fcsdk.parameters`: every one an :class:`fcsdk.FCError` with a stable code.

::

    FCError
    └── ParameterError                  "parameter"
        ├── ParameterNotFoundError      "parameter_not_found"   the service has no such name
        ├── ParameterValidationError    "parameter_validation"  the value does not fit the transform
        └── ParameterFetchError         "parameter_fetch"       denied, throttled, timed out, ...

Messages and attributes name the parameter, the provider and the service's error code and request
id; never the value, and never the SDK's own exception (which carries the signed request, STS
token included): it is not chained as ``__cause__``.
"""

from __future__ import annotations

from typing import Any, Optional

from ..errors import FCError, _FromPydantic

__all__ = [
    "ParameterError",
    "ParameterFetchError",
    "ParameterNotFoundError",
    "ParameterValidationError",
]


class ParameterError(FCError):
    """Base class of the errors of :mod:`fcsdk.parameters`.

    Attributes:
        name: the parameter or secret name (or the prefix, for ``get_many``).
        provider: ``"kms"``, ``"oos"`` or ``"env"``.
        service_code: the service's error code (``Forbidden.ResourceNotFound``...), or None.
        status: the HTTP status of the service's answer, or None.
        request_id: the service's request id, for a support ticket, or None.

    Example:
        >>> from fcsdk.parameters import ParameterError, ParameterFetchError
        >>> issubclass(ParameterFetchError, ParameterError)
        True
    """

    code = "parameter"

    def __init__(
        self,
        message: str,
        *,
        name: str = "",
        provider: str = "",
        service_code: Optional[str] = None,
        status: Optional[int] = None,
        request_id: Optional[str] = None,
        errors: Optional[list[dict[str, Any]]] = None,
    ) -> None:
        super().__init__(message, errors=errors)
        self.name = name
        self.provider = provider
        self.service_code = service_code
        self.status = status
        self.request_id = request_id


class ParameterNotFoundError(ParameterError, LookupError):
    """The service answered that the name does not exist (or the role may not see it).

    Example:
        >>> from fcsdk.parameters import EnvironmentParameters, ParameterNotFoundError
        >>> try:
        ...     EnvironmentParameters(environ={}).get("DB_HOST")
        ... except ParameterNotFoundError as exc:
        ...     print(exc.code, exc.name)
        parameter_not_found DB_HOST
    """

    code = "parameter_not_found"


class ParameterValidationError(_FromPydantic, ParameterError, ValueError):
    """The value could not be transformed (not JSON, not base64, not the model). The message
    lists field paths and pydantic's messages, never the value.

    Example:
        >>> from fcsdk.parameters import EnvironmentParameters, ParameterValidationError
        >>> env = EnvironmentParameters(environ={"LIMITS": '{"rate": "fast"}'})
        >>> try:
        ...     env.get("LIMITS", transform=dict[str, int])
        ... except ParameterValidationError as exc:
        ...     print(exc)
        1 validation error for env parameter 'LIMITS' as dict[str, int]: rate: Input should be a valid integer, unable to parse string as an integer
    """

    code = "parameter_validation"


class ParameterFetchError(ParameterError):
    """The value could not be fetched: access denied, throttled after the retries, a timeout, a
    bad answer. ``service_code`` and ``status`` say which.

    Attributes:
        attempts: how many requests were sent.

    Example:
        >>> from fcsdk.parameters import ParameterFetchError
        >>> exc = ParameterFetchError("denied", name="db", provider="kms", service_code="Forbidden.NoPermission")
        >>> exc.code, exc.service_code
        ('parameter_fetch', 'Forbidden.NoPermission')
    """

    code = "parameter_fetch"

    def __init__(self, message: str, *, attempts: int = 1, **fields: object) -> None:
        super().__init__(message, **fields)  # type: ignore[arg-type]
        self.attempts = attempts
