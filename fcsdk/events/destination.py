"""The record FC sends to an asynchronous invocation's destination (on success / on failure).

FC documents these fields: ``timestamp``, ``requestContext{requestId, functionArn, condition,
approximateInvokeCount}``, ``requestPayload`` (the original event, as a string),
``responseContext{statusCode, functionError}`` and ``responsePayload``. The exact timestamp
format, the ARN form and the ``condition`` values are not confirmed, so those fields take what
comes.

``DestinationRecord[Order, Receipt]`` reads ``requestPayload`` (JSON text) as ``Order`` and
``responsePayload`` as ``Receipt``; unparametrized, both stay as FC sent them. To give a
handler only the original request as its model, use ``envelope=fc.envelopes.Destination``.

Example:
    >>> from pydantic import BaseModel
    >>> from fcsdk.events import DestinationRecord
    >>> class Order(BaseModel):
    ...     order_id: str
    >>> rec = DestinationRecord[Order, dict].model_validate_json(
    ...     '{"requestContext": {"requestId": "r-1", "condition": "Success", '
    ...     '"approximateInvokeCount": 1}, "requestPayload": "{\\\\"order_id\\\\": \\\\"o-1\\\\"}", '
    ...     '"responseContext": {"statusCode": 200, "functionError": ""}, '
    ...     '"responsePayload": "{\\\\"ok\\\\": true}"}')
    >>> rec.request_payload.order_id, rec.response_payload, rec.succeeded
    ('o-1', {'ok': True}, True)
"""

from __future__ import annotations

import json
import typing
from typing import Any, Generic, Optional, TypeVar, Union

from pydantic import Field, field_validator

from ._base import FCModel, NullDefault

__all__ = ["DestinationRecord", "DestinationRequestContext", "DestinationResponseContext"]

E = TypeVar("E")
R = TypeVar("R")


class DestinationRequestContext(FCModel):
    """``requestContext``: which invocation this record is about.

    Attributes:
        request_id: the asynchronous invocation's request id.
        function_arn: the function (and qualifier) that ran.
        condition: why the record was sent (e.g. success, or the error type that exhausted
            the retries; values not confirmed).
        approximate_invoke_count: how many attempts ran (1 = no retry).

    Example:
        >>> DestinationRequestContext(requestId="r").approximate_invoke_count
        1
    """

    request_id: NullDefault[str] = ""
    function_arn: NullDefault[str] = ""
    condition: NullDefault[str] = ""
    approximate_invoke_count: NullDefault[int] = 1


class DestinationResponseContext(FCModel):
    """``responseContext``: how the last attempt ended.

    Attributes:
        status_code: the invocation's status (200 when the function returned).
        function_error: the error type when the function failed ("" or absent on success).

    Example:
        >>> DestinationResponseContext(statusCode=200).function_error
        ''
    """

    status_code: Optional[int] = None
    function_error: Optional[str] = ""


def _keeps_text(annotation: Any) -> bool:
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) is Union and len(args) == 1:
        annotation = args[0]
    return annotation in (str, Any, object) or isinstance(annotation, TypeVar)


class DestinationRecord(FCModel, Generic[E, R]):
    """One destination record; generic over the original event ``E`` and the response ``R``.

    Attributes:
        timestamp: when it happened, as FC sent it (format not confirmed).
        request_context: :class:`DestinationRequestContext`.
        request_payload: the original event: the JSON text read as ``E`` (text when ``E`` is
            ``str`` or not given).
        response_context: :class:`DestinationResponseContext`.
        response_payload: the function's response (or error JSON) read as ``R`` likewise.

    Example:
        >>> from fcsdk.events import DestinationRecord
        >>> rec = DestinationRecord.model_validate({"requestPayload": "{}"})
        >>> rec.request_payload, rec.succeeded
        ('{}', True)
    """

    timestamp: Union[str, int, float, None] = None
    request_context: NullDefault[DestinationRequestContext] = Field(
        default_factory=DestinationRequestContext
    )
    request_payload: E
    response_context: NullDefault[DestinationResponseContext] = Field(
        default_factory=DestinationResponseContext
    )
    response_payload: Optional[R] = None

    @field_validator("request_payload", "response_payload", mode="before")
    @classmethod
    def _json_text(cls, value: Any, info: Any) -> Any:
        """JSON text is read as the parameter's type (kept as text for ``str``)."""
        if not isinstance(value, (str, bytes)):
            return value
        if _keeps_text(cls.model_fields[info.field_name].annotation):
            return value
        try:
            return json.loads(value)
        except ValueError:
            return value  # not JSON: the model says what it thinks of the text

    @property
    def succeeded(self) -> bool:
        """True when the last attempt returned without a function error.

        Example:
            >>> from fcsdk.events import DestinationRecord
            >>> DestinationRecord.model_validate({"requestPayload": "",
            ...     "responseContext": {"functionError": "UnhandledInvocationError"}}).succeeded
            False
        """
        ctx = self.response_context
        return not ctx.function_error and (ctx.status_code is None or ctx.status_code < 300)
