"""Read a database configuration from KMS and a rate limit from OOS, with the function's own
STS credentials, cached across invocations (fcsdk.parameters).

The providers live at module level: their cache (5 minutes by default) outlives one invocation
and is shared by the invocations an instance runs at once, which cause one fetch per name. The
endpoints default to the invocation's region; ``KMS_ENDPOINT`` / ``OOS_ENDPOINT`` (s.yaml's
``environmentVariables``) choose VPC or KMS instance endpoints, or a local server.

Example:
    >>> Query.model_validate({"table": "orders"}).table
    'orders'
"""

from __future__ import annotations

import os
from typing import Any

from pydantic import BaseModel

import fcsdk as fc
from fcsdk.parameters import KMSSecrets, OOSParameters

PROTOCOL = os.environ.get("PARAMETERS_PROTOCOL", "https")  # "http" only for a local test server
secrets = KMSSecrets(endpoint=os.environ.get("KMS_ENDPOINT") or None, protocol=PROTOCOL)
settings = OOSParameters(endpoint=os.environ.get("OOS_ENDPOINT") or None, protocol=PROTOCOL)


class DBConfig(BaseModel):
    """The JSON stored in the KMS secret ``fcsdk-example/db-config``."""

    host: str
    port: int
    user: str


class Query(BaseModel):
    """The event."""

    table: str


@fc.handler
def handler(event: Query, context: fc.Context) -> dict[str, Any]:
    """Describe where ``event.table`` would be read from; never return the password itself."""
    db = secrets.get("fcsdk-example/db-config", model=DBConfig)
    password = secrets.get("fcsdk-example/db-password")
    limit = settings.get("fcsdk-example-rate-limit", transform="json")
    context.logger.info("reading %s from %s:%s", event.table, db.host, db.port)
    return {
        "table": event.table,
        "dsn": f"postgresql://{db.user}@{db.host}:{db.port}/app",
        "password_set": bool(password),
        "rate_limit": limit,
    }
