"""Stores for the idempotency tests: the same behaviours run against each real store."""

from __future__ import annotations

import uuid
from typing import Any

from fcsdk.idempotency import MemoryStore, RedisStore

STORES = ["memory", "redis", "tablestore"]


def make_store(kind: str, request: Any) -> Any:
    if kind == "memory":
        return MemoryStore()
    if kind == "redis":
        server = request.getfixturevalue("redis_server")
        return RedisStore(server.url)
    server = request.getfixturevalue("tablestore_server")
    return server.store()


def prefix() -> str:
    """A fresh record-key prefix: tests sharing one server never see each other's records."""
    return f"t-{uuid.uuid4().hex[:12]}"
