"""Parameters and secrets: KMS secrets and OOS parameters fetched with the function's own
credentials, cached per process.

``import fcsdk.parameters`` is cheap: the Alibaba Cloud SDKs (``pip install "fcsdk[parameters]"``)
are imported on the first fetch.

::

    from fcsdk.parameters import KMSSecrets, OOSParameters

    secrets = KMSSecrets()          # KMS of the invocation's region, https

    @fc.handler
    def handler(event: Order, context: fc.Context) -> dict:
        password = secrets.get("db-password")               # str, cached for 300 s
        cfg = secrets.get("db-config", model=DBConfig)      # JSON validated into a model
        rate = OOSParameters().get("rate-limit", transform="json")

In ``async def`` handlers use ``await secrets.aget(...)`` / ``aget_many``: the fetch runs in a
worker thread. A sync ``get`` that fetches on a running event loop blocks it, and warns once per
provider (``RuntimeWarning``).

Every fetch signs with the current invocation's ``context.credentials`` (FC's STS keys) unless
``credentials=`` is given. At most one fetch per name is in flight; a value is served from the
cache while younger than ``max_age``. Errors name the parameter and the service's error code and
never carry the value.

Example:
    >>> from fcsdk.parameters import EnvironmentParameters
    >>> EnvironmentParameters(environ={"RATE": "5"}).get("RATE", transform="json")
    5
"""

from __future__ import annotations

from ._base import DEFAULT_MAX_AGE
from ._errors import (
    ParameterError,
    ParameterFetchError,
    ParameterNotFoundError,
    ParameterValidationError,
)
from ._provider import BaseProvider
from .env import EnvironmentParameters
from .kms import KMSSecrets
from .oos import OOSParameters

__all__ = [
    "DEFAULT_MAX_AGE",
    "BaseProvider",
    "EnvironmentParameters",
    "KMSSecrets",
    "OOSParameters",
    "ParameterError",
    "ParameterFetchError",
    "ParameterNotFoundError",
    "ParameterValidationError",
]
