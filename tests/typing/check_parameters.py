"""Checked by ``mypy --strict`` in CI (not run by pytest): fcsdk.parameters' get() types follow
the transform."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from typing_extensions import assert_type

from fcsdk.parameters import EnvironmentParameters, KMSSecrets, OOSParameters


class DBConfig(BaseModel):
    host: str


def checks() -> None:
    """Never called: mypy checks the types below."""
    secrets = KMSSecrets()
    assert_type(secrets.get("db-password"), str)
    assert_type(secrets.get("db-config", model=DBConfig), DBConfig)
    assert_type(secrets.get("db-config", transform=DBConfig), DBConfig)
    assert_type(secrets.get("blob", transform="binary"), bytes)
    assert_type(OOSParameters().get("rate", transform="json"), Any)
    assert_type(EnvironmentParameters().get_many("APP_"), dict[str, Any])


async def async_checks() -> None:
    """Never called: mypy checks the types below."""
    secrets = KMSSecrets()
    assert_type(await secrets.aget("db-password"), str)
    assert_type(await secrets.aget("db-config", model=DBConfig), DBConfig)
    assert_type(await secrets.aget("blob", transform="binary"), bytes)
