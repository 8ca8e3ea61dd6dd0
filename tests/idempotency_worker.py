"""One of the racing processes of tests/test_idempotency_load.py: invokes an idempotent handler
for every key until each has an answer, appending a line to RUNS for every handler body run."""

from __future__ import annotations

import json
import os
import sys
import time

import fcsdk as fc
from fcsdk.idempotency import Idempotency, IdempotencyInProgressError, RedisStore, TablestoreStore


def main() -> None:
    cfg = json.loads(sys.argv[1])
    if cfg["store"] == "redis":
        store: object = RedisStore(cfg["url"])
    else:
        store = TablestoreStore(cfg["endpoint"], cfg["instance"])
    idem = Idempotency(store, key="id", prefix=cfg["prefix"])  # type: ignore[arg-type]

    @fc.handler(idempotency=idem)
    def handler(event: dict) -> str:  # type: ignore[type-arg]
        with open(cfg["runs"], "a") as f:
            f.write(event["id"] + "\n")
        time.sleep(0.01)
        return f"{event['id']} by {os.getpid()}"

    answers = {}
    for _ in range(2000):
        todo = [k for k in cfg["keys"] if k not in answers]
        if not todo:
            break
        for key in todo:
            try:
                answers[key] = handler(json.dumps({"id": key}).encode(), cfg["headers"])
            except IdempotencyInProgressError:
                time.sleep(0.005)
    print(json.dumps(answers))


if __name__ == "__main__":
    main()
