"""Store-specific behaviour: Tablestore credentials, signatures, tokens and takeovers against the
loopback server; Redis expiry and foreign keys on the real redis-server."""

from __future__ import annotations

from typing import Any

import pytest
import redis

import fcsdk as fc
from fcsdk.idempotency import (
    Idempotency,
    IdempotencyStoreError,
    RedisStore,
    TablestoreStore,
)
from fcsdk.idempotency._store import COMPLETED, IN_PROGRESS, Record
from tests.idempotency_support import prefix


def handler_for(store: Any) -> Any:
    @fc.handler(idempotency=Idempotency(store, key="id", prefix=prefix()))
    def handler(event: dict) -> str:  # type: ignore[type-arg]
        return f"ok {event['id']}"

    return handler


def test_tablestore_uses_the_invocations_credentials_by_default(
    tablestore_server: Any, no_cloud_env: None
) -> None:
    store = TablestoreStore(tablestore_server.endpoint, tablestore_server.instance)
    handler = handler_for(store)
    headers = tablestore_server.headers()
    assert handler(b'{"id": "1"}', headers) == handler(b'{"id": "1"}', headers) == "ok 1"
    with pytest.raises(
        IdempotencyStoreError, match=r"^TablestoreStore\(.*has no credentials"
    ) as info:
        handler(b'{"id": "2"}', {})
    assert isinstance(info.value.__cause__, fc.CredentialsUnavailableError)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"x-fc-security-token": "retired-token"}, "STS token"),
        ({"x-fc-access-key-secret": "wrong-secret"}, "Signature mismatch"),
        ({"x-fc-access-key-id": "other-id"}, "AccessKeyID"),
    ],
)
def test_tablestore_checks_token_and_signature(
    tablestore_server: Any, change: Any, reason: str
) -> None:
    store = TablestoreStore(tablestore_server.endpoint, tablestore_server.instance)
    handler = handler_for(store)
    with pytest.raises(IdempotencyStoreError) as info:
        handler(b'{"id": "1"}', {**tablestore_server.headers(), **change})
    message = str(info.value)
    assert message.startswith("TablestoreStore(http://127.0.0.1:") and "OTSAuthFailed" in message
    assert reason in message
    assert all(value not in message for value in change.values() if "id" not in value)


def test_tablestore_v4_signatures_and_unknown_tables(tablestore_server: Any) -> None:
    handler = handler_for(tablestore_server.store(region="cn-hangzhou"))
    assert handler(b'{"id": "v4"}') == handler(b'{"id": "v4"}') == "ok v4"
    missing = handler_for(tablestore_server.store(table_name="nope"))
    with pytest.raises(IdempotencyStoreError, match="OTSObjectNotExist"):
        missing(b'{"id": "x"}')


def test_tablestore_takes_over_an_expired_row_once(tablestore_server: Any) -> None:
    store, ctx = tablestore_server.store(), fc.Context.of(None)
    key = prefix()
    assert store.claim(key, Record(IN_PROGRESS, 1, "a" * 32, ""), ctx) is None  # long expired
    assert store.claim(key, Record(IN_PROGRESS, 2**60, "b" * 32, ""), ctx) is None  # takeover
    found = store.claim(key, Record(IN_PROGRESS, 2**60, "c" * 32, ""), ctx)
    assert found is not None and found.token == "b" * 32
    assert not store.complete(key, Record(COMPLETED, 2**60, "a" * 32, "", "s", b"late"), ctx)
    store.release(key, "a" * 32, ctx)  # not the owner: nothing happens
    row = tablestore_server.tables["fcsdk_idempotency"][key]
    assert row["token"][0] == "b" * 32 and row["status"][0] == IN_PROGRESS


def test_tablestore_store_failure_is_named(tablestore_server: Any) -> None:
    from tests.tablestore_server import OTSFailure

    handler = handler_for(tablestore_server.store())
    tablestore_server.fail_with = OTSFailure(503, "OTSServerUnavailable", "Server is busy.")
    try:
        with pytest.raises(IdempotencyStoreError, match=r"failed to claim.*OTSServerUnavailable"):
            handler(b'{"id": "busy"}')
    finally:
        tablestore_server.fail_with = None


def test_redis_records_expire_with_px(redis_server: Any) -> None:
    client = redis.Redis.from_url(redis_server.url)
    idem = Idempotency(RedisStore(redis_server.url), key="id", expires_after=120, prefix=prefix())
    seen: list[int] = []

    @fc.handler(idempotency=idem)
    def handler(event: dict, context: fc.Context) -> str:  # type: ignore[type-arg]
        [key] = client.keys(f"{idem.prefix}:*")
        seen.append(client.pttl(key))
        return "done"

    handler(b'{"id": "1"}', {"x-fc-function-timeout": "30"})
    [key] = client.keys(f"{idem.prefix}:*")
    assert 28_000 < seen[0] <= 30_000  # the lock lapses at the invocation deadline
    assert 118_000 < client.pttl(key) <= 120_000  # the result lives expires_after
    assert Record.decode(client.get(key)).body == b"done"
    client.close()


def test_redis_key_holding_something_else_is_a_store_error(redis_server: Any) -> None:
    client = redis.Redis.from_url(redis_server.url)
    idem = Idempotency(RedisStore(redis_server.url), key="id", prefix=prefix())
    handler = handler_for(RedisStore(redis_server.url))
    handler.__fcsdk__.steps[-1].idem = idem  # same handler, this prefix
    handler(b'{"id": "1"}')
    [key] = client.keys(f"{idem.prefix}:*")
    client.set(key, b"another program's value")
    with pytest.raises(IdempotencyStoreError, match="not an fcsdk idempotency record"):
        handler(b'{"id": "1"}')
    client.close()


def test_import_fcsdk_stays_light_and_stores_import_their_sdk_late() -> None:
    import subprocess
    import sys

    code = (
        "import sys, fcsdk; assert 'fcsdk.idempotency' not in sys.modules\n"
        "import fcsdk.idempotency\n"
        "bad = [m for m in ('redis', 'tablestore') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize(
    ("module", "extra"), [("redis", "redis"), ("tablestore", "tablestore-store")]
)
def test_a_missing_sdk_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, module: str, extra: str
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, module, None)  # the import fails
    if module == "redis":
        store: Any = RedisStore("redis://127.0.0.1:1/0")
    else:
        store = TablestoreStore("http://127.0.0.1:1", "i")
    handler = handler_for(store)
    with pytest.raises(fc.MissingDependencyError, match=rf"fcsdk\[{extra}\]"):
        handler(b'{"id": "1"}', {"x-fc-access-key-id": "a", "x-fc-access-key-secret": "b"})
