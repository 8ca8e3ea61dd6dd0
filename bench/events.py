"""Benchmark: validation time per sample event for each trigger, and import cost of fcsdk.events.

Run: ``python bench/events.py`` (add ``--quick`` for fewer repetitions; ``--help`` for options).

Measures, per trigger, the time ``@fc.handler(model=...)``'s decoder takes on the FC bytes of
the sample event (``fcsdk.testing.events.sample``), then the cold import time of
``fcsdk.events`` alone, of one model (``fcsdk.events.TimerEvent``) and of every model, each in
a fresh interpreter.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import timeit

MODELS = {
    "timer": "TimerEvent",
    "oss": "OSSEvent",
    "sls": "SLSEvent",
    "cdn": "CDNEvent",
    "tablestore": "TablestoreEvent",
    "mns-topic": "MNSTopicEvent",
    "mns-queue": "MNSQueueEvent",
    "rocketmq": "RocketMQEvent",
    "rabbitmq": "RabbitMQEvent",
    "kafka": "KafkaEvent",
    "dts": "DTSEvent",
    "rocketmq-selfhosted": "SelfHostedRocketMQEvent",
    "mqtt": "MQTTEvent",
    "apigateway": "APIGatewayEvent",
    "http": "HTTPTriggerEvent",
}


def bench_validation(number: int) -> None:
    import fcsdk as fc
    from fcsdk._codec import make_decoder
    from fcsdk.testing import events

    print(f"{'trigger':<22}{'bytes':>7}{'µs/event':>12}")
    for name, model_name in MODELS.items():
        data = events.sample(name)
        decode = make_decoder(getattr(fc.events, model_name))
        assert decode is not None
        decode(data)
        runs = timeit.repeat(lambda d=data, f=decode: f(d), number=number, repeat=5)
        print(f"{name:<22}{len(data):>7}{min(runs) / number * 1e6:>12.1f}")
    env = fc.envelopes.Kafka.make_decoder(dict, include_input=False)
    data = events.kafka(values=['{"qty": 1}'] * 10)
    runs = timeit.repeat(lambda: env(data), number=number // 10 or 1, repeat=5)
    print(f"{'kafka envelope x10':<22}{len(data):>7}{min(runs) / (number // 10 or 1) * 1e6:>12.1f}")


def _import_ms(stmt: str, repeat: int) -> float:
    code = (
        "import time; t=time.perf_counter(); import fcsdk; t1=time.perf_counter(); "
        f"{stmt}; print((time.perf_counter()-t1)*1000)"
    )
    samples = []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        samples.append(float(out.stdout))
    return statistics.median(samples)


def bench_imports(repeat: int) -> None:
    print(f"\n{'import (after import fcsdk), median of ' + str(repeat):<52}{'ms':>8}")
    for label, stmt in [
        (
            "baseline: pydantic + one trivial model",
            "from pydantic import BaseModel; type('M', (BaseModel,), {'__annotations__': {'a': int}})",
        ),
        ("import fcsdk.events", "import fcsdk.events"),
        ("fc.events.TimerEvent (one model)", "fcsdk.events.TimerEvent"),
        ("fc.events.KafkaEvent (CloudEvent generic)", "fcsdk.events.KafkaEvent"),
        (
            "every model in fc.events.__all__",
            "[getattr(fcsdk.events, n) for n in fcsdk.events.__all__]",
        ),
        ("fc.envelopes.Timer", "fcsdk.envelopes.Timer"),
    ]:
        print(f"{label:<52}{_import_ms(stmt, repeat):>8.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="fewer repetitions: 2000 decodes per trigger (default 10000), 3 fresh imports (7)",
    )
    args = parser.parse_args(argv)
    bench_validation(2000 if args.quick else 10000)
    bench_imports(3 if args.quick else 7)
    return 0


if __name__ == "__main__":
    sys.exit(main())
