"""Correctness under load: 64 concurrent duplicates in threads, 8 processes racing on the same
keys, 16 overlapping invocations (threads and asyncio) keeping their own state, and a property
test over random interleavings of start / complete / fail / expire."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fcsdk as fc
from fcsdk.idempotency import Idempotency, IdempotencyInProgressError, MemoryStore
from fcsdk.idempotency._store import Record
from tests.idempotency_support import prefix

ROOT = Path(__file__).resolve().parent.parent


def test_64_concurrent_duplicates_run_the_body_once(store: Any) -> None:
    runs: list[str] = []
    barrier = threading.Barrier(64)
    idem = Idempotency(store, key="id", prefix=prefix())

    @fc.handler(idempotency=idem)
    def handler(event: dict, context: fc.Context) -> str:  # type: ignore[type-arg]
        runs.append(context.request_id)
        return f"charged by {context.request_id}"

    def one(i: int) -> Optional[Any]:
        barrier.wait(timeout=30)
        try:
            return handler(
                b'{"id": "dup"}', {"x-fc-request-id": f"r{i}", "x-fc-function-timeout": "60"}
            )
        except IdempotencyInProgressError:
            return None

    with ThreadPoolExecutor(64) as pool:
        results = list(pool.map(one, range(64)))
    assert len(runs) == 1
    assert {r for r in results if r is not None} == {f"charged by {runs[0]}"}
    assert handler(b'{"id": "dup"}', {"x-fc-request-id": "late"}) == f"charged by {runs[0]}"


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["redis", "tablestore"])
def test_8_processes_racing_on_the_same_keys_run_each_body_once(
    kind: str, request: Any, tmp_path: Path
) -> None:
    keys = [f"k{i}" for i in range(12)]
    cfg: dict[str, Any] = {"store": kind, "prefix": prefix(), "keys": keys}
    cfg["runs"] = str(tmp_path / "runs.txt")
    cfg["headers"] = {"x-fc-function-timeout": "60", "x-fc-function-name": "race"}
    if kind == "redis":
        cfg["url"] = request.getfixturevalue("redis_server").url
    else:
        server = request.getfixturevalue("tablestore_server")
        cfg.update(endpoint=server.endpoint, instance=server.instance)
        cfg["headers"].update(server.headers())
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-W",
                "ignore::ImportWarning",
                str(ROOT / "tests/idempotency_worker.py"),
                json.dumps(cfg),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        for _ in range(8)
    ]
    answers = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
        answers.append(json.loads(out.decode().strip().splitlines()[-1]))
    ran = (tmp_path / "runs.txt").read_text().split()
    assert sorted(ran) == sorted(keys)  # each body exactly once
    for key in keys:
        assert len({a[key] for a in answers}) == 1  # every process got the same body


def test_16_overlapping_invocations_keep_their_own_keys_in_threads(store: Any) -> None:
    barrier = threading.Barrier(16)
    idem = Idempotency(store, key="id", prefix=prefix())

    @fc.handler(idempotency=idem)
    def handler(event: dict, context: fc.Context) -> str:  # type: ignore[type-arg]
        barrier.wait(timeout=30)
        return f"{event['id']}:{context.request_id}"

    def one(i: int) -> Any:
        return handler(json.dumps({"id": f"o{i}"}).encode(), {"x-fc-request-id": f"r{i}"})

    with ThreadPoolExecutor(16) as pool:
        assert list(pool.map(one, range(16))) == [f"o{i}:r{i}" for i in range(16)]
    assert [one(i) for i in range(16)] == [f"o{i}:r{i}" for i in range(16)]  # replays


def test_16_overlapping_idempotent_tasks_in_asyncio(store: Any) -> None:
    idem = Idempotency(store, key="id", prefix=prefix())
    runs: list[str] = []

    @idem.function()
    async def work(record: dict) -> str:  # type: ignore[type-arg]
        await asyncio.sleep(0.01)
        runs.append(record["id"])
        return f"done {record['id']}"

    async def main() -> list[str]:
        first = await asyncio.gather(*(work({"id": f"t{i}"}) for i in range(16)))
        again = await asyncio.gather(*(work({"id": f"t{i}"}) for i in range(16)))
        assert first == again
        return list(first)

    assert asyncio.run(main()) == [f"done t{i}" for i in range(16)]
    assert sorted(runs) == sorted(f"t{i}" for i in range(16))


# -- random interleavings -------------------------------------------------------------------

LOCK_MS = 1_000
KEEP_MS = 5_000
ops = st.lists(
    st.one_of(
        st.tuples(st.just("start"), st.integers(0, 5), st.sampled_from("ab")),
        st.tuples(st.just("complete"), st.integers(0, 5)),
        st.tuples(st.just("fail"), st.integers(0, 5)),
        st.tuples(st.just("expire"), st.sampled_from([400, 1_000, 6_000])),
    ),
    max_size=40,
)


def check_against_model(idem: Idempotency, steps: list[Any], now: Optional[list[int]]) -> None:
    """Run ``steps`` on ``idem`` and compare every outcome with the model. ``now`` is the fake
    clock of a MemoryStore; for real stores (wall clock) "expire" steps are skipped and nothing
    lapses during an example."""
    ctx = fc.Context.of(None)  # no deadline known: the lock lasts in_progress_expiry
    lock_ms, keep_ms = int(idem.in_progress_expiry * 1000), int(idem.expires_after * 1000)
    model: dict[str, Any] = {}  # key -> (status, owner, expiry, body)
    held: dict[int, tuple[str, Any]] = {}  # actor -> (key, begun)
    for step in steps:
        clock = now[0] if now is not None else 0
        if step[0] == "expire":
            if now is not None:
                now[0] += step[1]
            continue
        if step[0] == "start":
            _, actor, key = step
            if actor in held:
                continue
            state = model.get(key)
            live = state is not None and state[2] > clock
            try:
                got = idem._begin(ctx, "", "k", key, None)
            except IdempotencyInProgressError:
                assert live and state[0] == "P"
                continue
            if isinstance(got, Record):
                assert live and state[0] == "C" and got.body == state[3]
                continue
            assert not live
            held[actor] = (key, got)
            model[key] = ("P", actor, clock + lock_ms, None)
            continue
        _, actor = step
        if actor not in held:
            continue
        key, begun = held.pop(actor)
        state = model.get(key)
        owner = state is not None and state[1] == actor and state[0] == "P"
        if step[0] == "complete":
            body = f"body of {actor}".encode()
            idem._finish(begun, "b", body, ctx, "k")
            if owner:
                model[key] = ("C", actor, clock + keep_ms, body)
        else:
            idem._release(begun, ctx, "k")
            if owner:
                model.pop(key)


@settings(max_examples=300, deadline=None)
@given(ops)
def test_random_interleavings_match_the_model(steps: list[Any]) -> None:
    """The store agrees with a model of the protocol after any interleaving: a key has at most
    one live owner, a completed result replays until it expires, a failure frees the key, a
    lapsed lock can be taken over and the lapsed owner can no longer complete."""
    now = [10_000_000]
    store = MemoryStore(clock=lambda: now[0])
    idem = Idempotency(
        store, key="k", expires_after=KEEP_MS / 1000, in_progress_expiry=LOCK_MS / 1000
    )
    check_against_model(idem, steps, now)


@pytest.mark.parametrize("kind", ["redis", "tablestore"])
def test_random_interleavings_on_the_real_stores(kind: str, request: Any) -> None:
    """The same model on Redis and the Tablestore server (no expiry: their clocks are real)."""
    from tests.idempotency_support import make_store

    store = make_store(kind, request)

    @settings(max_examples=25, deadline=None)
    @given(ops)
    def run(steps: list[Any]) -> None:
        idem = Idempotency(
            store, key="k", expires_after=600, in_progress_expiry=600, prefix=prefix()
        )
        check_against_model(idem, steps, None)

    run()
