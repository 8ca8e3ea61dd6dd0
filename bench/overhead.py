"""Per-invocation cost of @fc.handler against the anchors of issue 2, in one run.

For a 3-field event and a 100-item event, prints microseconds per call and the ratio to bare
``Model.model_validate_json(event)``:

- raw ``json.loads(event)`` (no validation: what the seed examples do);
- ``json.loads`` + ``Model.model_validate`` (the idiom users write today);
- bare ``Model.model_validate_json(event)`` (the floor for validated input);
- the bare pydantic handler: the same handler written without fcsdk,
  ``def handler(event, context): order = Order.model_validate_json(event); return "ok"``, called
  as FC calls it. The anchor of the fixed cost ``@fc.handler`` adds (issue 15: at most 1.2x);
- the fcsdk-decorated handler, called as FC calls it: ``handler(event_bytes, native_context)``
  with a shape-A native context; the handler returns a short ``str`` (passed through as is);
- AWS Lambda Powertools' ``event_parser`` when installed (``pip install -e '.[bench]'``). It
  needs ``str``, not bytes, so its figure includes ``event.decode()``;
- the same fields as ``msgspec.Struct`` types: a bare cached ``msgspec.json.Decoder``, and the
  fcsdk handler with the Struct as its model (``pip install -e '.[msgspec]'``).

FC's own log handler is on the root logger, as FC's bootstrap installs it (rebuilt in
``tests/fc_logging_support.py``): fcsdk keeps its request ids right, which is part of the cost;
``--no-fc-logging`` measures without it (and without the standard library's logging loaded).

Candidates run interleaved, round after round, timed in CPU time (``time.thread_time``: other
processes on a shared machine do not count); each ratio is the median of the ratios measured
within one round, so that what load remains cancels out.

Run: ``python bench/overhead.py`` (about 20 s; ``--rounds N``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import timeit
from pathlib import Path
from typing import Any, Callable, List

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


try:
    import msgspec

    HAVE_MSGSPEC = True
except ImportError:  # the msgspec rows are skipped
    HAVE_MSGSPEC = False
if HAVE_MSGSPEC:

    class ItemS(msgspec.Struct):
        sku: str
        qty: int
        price: float
        tags: List[str]

    class SmallS(msgspec.Struct):
        order_id: str
        qty: int
        price: float

    class LargeS(msgspec.Struct):
        customer: str
        items: List[ItemS]


SMALL = json.dumps({"order_id": "o-1", "qty": 2, "price": 9.5}).encode()
LARGE = json.dumps(
    {
        "customer": "c-1",
        "items": [
            {"sku": f"sku-{i}", "qty": i, "price": i * 1.5, "tags": ["a", "b"]} for i in range(100)
        ],
    }
).encode()


def measure_all(
    fns: dict[str, Callable[[], Any]], number: int, rounds: int, bases: tuple[str, ...]
) -> dict[str, tuple[float, ...]]:
    """Per candidate: the median microseconds per call and, for each of ``bases``, the median
    of its ratio to that base measured in the same round. Rounds interleave the candidates
    (A B C ... A B C ...), so a change of machine load hits all alike, and the paired ratio
    cancels most of it."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            timer = timeit.Timer(fn, timer=time.thread_time)  # CPU time: steady under load
            times[name].append(timer.timeit(number=number) / number * 1e6)
    out = {}
    for name, values in times.items():
        ratios = [statistics.median(v / b for v, b in zip(values, times[base])) for base in bases]
        out[name] = (statistics.median(values), *ratios)
    return out


def candidates(model: type[BaseModel], event: bytes) -> dict[str, Callable[[], Any]]:
    native = ShapeA()

    @fc.handler(model=model)
    def handler(event: Any, context: fc.Context) -> str:
        return "ok"

    def bare_handler(event: bytes, context: Any) -> str:
        order = model.model_validate_json(event)  # noqa: F841 - what the handler would use
        return "ok"

    loads, validate, validate_json = json.loads, model.model_validate, model.model_validate_json
    out: dict[str, Callable[[], Any]] = {
        "json.loads": lambda: loads(event),
        "json.loads + model_validate": lambda: validate(loads(event)),
        "model_validate_json (bare)": lambda: validate_json(event),
        BARE_HANDLER: lambda: bare_handler(event, native),
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
    out.update(msgspec_candidates(model, event, native))
    return out


def msgspec_candidates(model: Any, event: bytes, native: Any) -> dict[str, Callable[[], Any]]:
    """The same event decoded into msgspec Structs: bare, and through ``@fc.handler``."""
    if not HAVE_MSGSPEC:
        print("  (msgspec not installed: pip install -e '.[msgspec]')")
        return {}
    struct = SmallS if model is Small else LargeS
    decode = msgspec.json.Decoder(struct).decode

    @fc.handler(model=struct)
    def handler(event: Any, context: fc.Context) -> str:
        return "ok"

    return {
        "msgspec Decoder (bare)": lambda: decode(event),
        "fcsdk @handler, msgspec Struct": lambda: handler(event, native),
    }


BARE_HANDLER = "bare pydantic handler"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="interleaved rounds (15)")
    parser.add_argument(
        "--no-fc-logging", action="store_true", help="without FC's root log handler"
    )
    args = parser.parse_args(argv)
    rounds = args.rounds
    if not args.no_fc_logging:
        from tests.fc_logging_support import FCBootstrapLogging

        FCBootstrapLogging().install()  # as FC's bootstrap does before loading the handler
    import pydantic

    print(f"Python {sys.version.split()[0]}, pydantic {pydantic.VERSION}, fcsdk {fc.__version__}")
    print("FC's root log handler: " + ("no (--no-fc-logging)" if args.no_fc_logging else "yes"))
    print(
        "median CPU µs per call; ratios: medians of the per-round ratios to bare "
        "model_validate_json and to the bare pydantic handler"
    )
    for title, model, event, number in (
        ("3-field event", Small, SMALL, 10000),
        ("100-item event", Large, LARGE, 200),
    ):
        print(f"\n{title} ({len(event)} bytes)")
        results = measure_all(
            candidates(model, event), number, rounds, ("model_validate_json (bare)", BARE_HANDLER)
        )
        for name, (us, ratio, per_handler) in results.items():
            print(
                f"  {name:32s} {us:9.2f} µs   {ratio:5.2f}x validate_json"
                f"   {per_handler:5.2f}x bare handler"
            )


if __name__ == "__main__":
    main()
