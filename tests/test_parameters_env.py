"""EnvironmentParameters, the cache and the transforms (no network), with Hypothesis for the
open-ended part: whatever the value, an error never carries it."""

from __future__ import annotations

import base64
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

import fcsdk as fc
from fcsdk.parameters import (
    BaseProvider,
    EnvironmentParameters,
    ParameterError,
    ParameterNotFoundError,
    ParameterValidationError,
)


class Limits(BaseModel):
    rate: int
    burst: Optional[int] = None


@dataclass
class Point:
    x: int
    y: int


class Counting(BaseProvider):
    """Counts fetches; the value is the fetch number."""

    provider, label, needs_credentials = "test", "test value", False

    def __init__(self, delay: float = 0.0, **kw: Any) -> None:
        super().__init__(**kw)
        self.calls = 0
        self.delay = delay
        self.lock = threading.Lock()

    def _fetch(self, name: str, credentials: Optional[fc.Credentials]) -> str:
        import time

        with self.lock:
            self.calls += 1
            n = self.calls
        time.sleep(self.delay)
        return str(n)


def test_env_reads_at_fetch_time_with_a_prefix() -> None:
    environ = {"APP_RATE": "5"}
    env = EnvironmentParameters(prefix="APP_", environ=environ)
    assert env.get("RATE") == "5"
    environ["APP_RATE"] = "6"
    assert env.get("RATE") == "5"  # cached
    assert env.get("RATE", force_fetch=True) == "6"
    assert repr(env) == "EnvironmentParameters(prefix='APP_', max_age=300.0, cached=1)"


def test_env_not_found_names_the_variable() -> None:
    with pytest.raises(ParameterNotFoundError, match="APP_DB is not set") as info:
        EnvironmentParameters(prefix="APP_", environ={}).get("DB")
    assert info.value.provider == "env" and info.value.to_dict()["code"] == "parameter_not_found"


def test_env_needs_no_credentials_outside_an_invocation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FCSDK_TEST_PARAM", "x")
    assert EnvironmentParameters().get("FCSDK_TEST_PARAM") == "x"


def test_transforms_to_models_dataclasses_and_generic_types() -> None:
    env = EnvironmentParameters(
        environ={"L": '{"rate": "7"}', "P": '{"x": 1, "y": 2}', "N": "[1, 2]"}
    )
    assert env.get("L", model=Limits) == Limits(rate=7)
    assert env.get("P", transform=Point) == Point(1, 2)
    assert env.get("N", transform=list[int]) == [1, 2]


def test_max_age_and_the_clock() -> None:
    p = Counting(max_age=1000)
    assert [p.get("a"), p.get("a"), p.get("a", max_age=0), p.get("b")] == ["1", "1", "2", "3"]
    p.clear_cache("a")
    assert p.get("a") == "4" and p.get("b") == "3"


def test_one_fetch_in_flight_per_name_and_one_per_name_only() -> None:
    p = Counting(delay=0.1)
    barrier = threading.Barrier(16)

    def one(i: int) -> str:
        barrier.wait()
        return p.get("even" if i % 2 else "odd")

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(one, range(16)))
    assert p.calls == 2 and set(results) == {"1", "2"}


def test_force_fetch_under_concurrency_joins_the_fetch_under_way() -> None:
    p = Counting(delay=0.1)
    barrier = threading.Barrier(16)

    def one(i: int) -> str:
        barrier.wait()
        return p.get("a", force_fetch=True)

    with ThreadPoolExecutor(16) as pool:
        assert set(pool.map(one, range(16))) == {"1"}
    assert p.calls == 1


def test_a_failing_fetch_is_not_cached() -> None:
    class Flaky(Counting):
        def _fetch(self, name: str, credentials: Optional[fc.Credentials]) -> str:
            n = super()._fetch(name, credentials)
            if n == "1":
                raise ParameterError("first fails", name=name, provider="test")
            return n

    p = Flaky()
    with pytest.raises(ParameterError):
        p.get("a")
    assert p.get("a") == "2"


def test_a_custom_provider_needs_credentials_by_default() -> None:
    class Needs(BaseProvider):
        def _fetch(self, name: str, credentials: Optional[fc.Credentials]) -> str:
            assert credentials is not None
            return credentials.access_key_id

    with pytest.raises(fc.CredentialsUnavailableError):
        Needs().get("a")
    assert Needs(credentials=fc.Credentials("id", "s")).get("a") == "id"

    @fc.handler
    def handler(event: bytes, context: fc.Context) -> str:
        return Needs().get("a")

    assert handler(b"", {"x-fc-access-key-id": "STS.x", "x-fc-access-key-secret": "s"}) == "STS.x"


# Marked so that a value can never be mistaken for words of the message itself.
text_values = st.text(max_size=60).map(lambda s: f"\u00ab{s}\u00bb")


@settings(max_examples=150, deadline=None)
@given(value=text_values)
def test_validation_errors_never_carry_the_value(value: str) -> None:
    env = EnvironmentParameters(
        environ={"V": value, "J": json.dumps({"rate": value, "burst": [value]})}
    )
    for transform in ("json", "binary", Limits):
        try:
            env.get("V", transform=transform)
        except ParameterValidationError as exc:
            assert value not in str(exc) and value not in repr(exc.to_dict())
    with pytest.raises(ParameterValidationError) as info:
        env.get("J", model=Limits)
    assert value not in str(info.value) and value not in repr(info.value.to_dict())
    assert info.value.__cause__ is None


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=200))
def test_binary_round_trips(data: bytes) -> None:
    env = EnvironmentParameters(environ={"B": base64.b64encode(data).decode()})
    assert env.get("B", transform="binary") == data


@settings(max_examples=100, deadline=None)
@given(
    values=st.dictionaries(
        st.text("abcdefgh_", min_size=1, max_size=8),
        st.integers(-(10**9), 10**9),
        max_size=8,
    )
)
def test_get_many_returns_the_names_under_the_prefix(values: dict[str, int]) -> None:
    environ = {f"P_{k}": str(v) for k, v in values.items()} | {"Q_other": "x"}
    assert EnvironmentParameters(environ=environ).get_many("P_", transform=int) == values


def test_the_cached_path_checks_arguments_like_the_full_one() -> None:
    env = EnvironmentParameters(environ={"L": '{"rate": 1}'})
    assert env.get("L", model=Limits) == Limits(rate=1)
    with pytest.raises(fc.ConfigurationError, match="either"):
        env.get("L", transform="json", model=Limits)  # type: ignore[call-overload]
    with pytest.raises(fc.ConfigurationError, match="transform"):
        env.get("L", transform=["json"])  # type: ignore[call-overload]
    with pytest.raises(fc.ConfigurationError, match="non-empty"):
        env.get(["L"])  # type: ignore[call-overload]
