"""Per-invocation cost of @fc.handler against the anchors of issue 2, in one run.

For a 3-field event and a 100-item event, prints microseconds per call and the ratio to bare
``Model.model_validate_json(event)``:

- raw ``json.loads(event)`` (no validation: what the seed examples do);
- ``json.loads`` + ``Model.model_validate`` (the idiom users write today);
- bare ``Model.model_validate_json(event)`` (the floor for validated input);
- the fcsdk-decorated handler, called as FC calls it: ``handler(event_bytes, native_context)``
  with a shape-A native context; the handler returns a short ``str`` (passed through as is);
- AWS Lambda Powertools' ``event_parser`` when installed (``pip install -e '.[bench]'``). It
  needs ``str``, not bytes, so its figure includes ``event.decode()``.

Run: ``python bench/overhead.py`` (about 20 s).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import timeit
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pydantic import BaseModel

import fcsdk as fc
from tests.natives import ShapeA


class Small(BaseModel):
    order_id: str
    qty: int
    price: float


class Item(BaseModel):
    sku: str
    qty: int
    price: float
    tags: list[str]


class Large(BaseModel):
    customer: str
    items: list[Item]


SMALL = json.dumps({"order_id": "o-1", "qty": 2, "price": 9.5}).encode()
LARGE = json.dumps(
    {
        "customer": "c-1",
        "items": [
            {"sku": f"sku-{i}", "qty": i, "price": i * 1.5, "tags": ["a", "b"]} for i in range(100)
        ],
    }
).encode()


def measure(fn: Callable[[], Any], number: int) -> float:
    """Median of 7 repeats, in microseconds per call."""
    runs = timeit.repeat(fn, number=number, repeat=7)
    return statistics.median(runs) / number * 1e6


def candidates(model: type[BaseModel], event: bytes) -> dict[str, Callable[[], Any]]:
    native = ShapeA()

    @fc.handler(model=model)
    def handler(event: Any, context: fc.Context) -> str:
        return "ok"

    loads, validate, validate_json = json.loads, model.model_validate, model.model_validate_json
    out: dict[str, Callable[[], Any]] = {
        "json.loads": lambda: loads(event),
        "json.loads + model_validate": lambda: validate(loads(event)),
        "model_validate_json (bare)": lambda: validate_json(event),
        "fcsdk @handler": lambda: handler(event, native),
    }
    try:
        from aws_lambda_powertools.utilities.parser import event_parser
    except ImportError:
        print("  (aws-lambda-powertools not installed: pip install -e '.[bench]')")
    else:

        @event_parser(model=model)
        def pt_handler(event: Any, context: Any) -> str:
            return "ok"

        out["powertools event_parser (str)"] = lambda: pt_handler(event.decode(), native)
    return out


def main(argv: list[str] | None = None) -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    import pydantic

    print(f"Python {sys.version.split()[0]}, pydantic {pydantic.VERSION}, fcsdk {fc.__version__}")
    for title, model, event, number in (
        ("3-field event", Small, SMALL, 20000),
        ("100-item event", Large, LARGE, 500),
    ):
        print(f"\n{title} ({len(event)} bytes)")
        results = {name: measure(fn, number) for name, fn in candidates(model, event).items()}
        base = results["model_validate_json (bare)"]
        for name, us in results.items():
            print(f"  {name:32s} {us:9.2f} µs   {us / base:5.2f}x bare")


if __name__ == "__main__":
    main()
