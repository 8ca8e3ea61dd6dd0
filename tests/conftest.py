"""Fixtures shared by test modules of several areas."""

from __future__ import annotations

import pytest

from fcsdk.credentials import ENV_SOURCES


@pytest.fixture
def no_cloud_env(monkeypatch):
    """No credentials (any of fcsdk's environment sources) or region from the developer's
    own environment."""
    for triple in ENV_SOURCES:
        for name in triple:
            monkeypatch.delenv(name, raising=False)
    for name in ("FC_REGION", "ALIBABA_CLOUD_REGION"):
        monkeypatch.delenv(name, raising=False)
