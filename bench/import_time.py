"""Fresh-process import time: ``import fcsdk`` against ``from pydantic import BaseModel``.

Each figure is the median of many fresh interpreters (``python -c ...``), minus the median of a
bare interpreter start, so that only the import itself is measured. Also prints the cost of the
lazily imported parts that a handler may pull in on first use.

Run: ``python bench/import_time.py [runs]`` (default 40 runs each, about 30 s).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

CASES = {
    "python (no import)": "pass",
    "from pydantic import BaseModel": "from pydantic import BaseModel",
    "import fcsdk": "import fcsdk",
    "import fcsdk + one model + @fc.handler": (
        "import fcsdk as fc\n"
        "from pydantic import BaseModel\n"
        "class M(BaseModel):\n    a: int\n"
        "h = fc.handler(model=M)(lambda e: 'ok')"
    ),
    "import fcsdk.events (names only)": "import fcsdk.events",
    "import fcsdk.http": "import fcsdk.http",
}


def one_run(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-S", "-c", "import site; site.main()\n" + code], check=True)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "runs", nargs="?", type=int, default=40, help="fresh processes per case (default 40)"
    )
    runs = parser.parse_args(argv).runs
    samples: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(runs):  # interleaved, so that machine load hits every case alike
        for name, code in CASES.items():
            samples[name].append(one_run(code))
    base = statistics.median(samples["python (no import)"])
    pyd = statistics.median(samples["from pydantic import BaseModel"]) - base
    print(f"Python {sys.version.split()[0]}; median of {runs} fresh processes, interpreter start")
    print(f"({base * 1000:.1f} ms) subtracted\n")
    for name, values in samples.items():
        if name == "python (no import)":
            continue
        ms = (statistics.median(values) - base) * 1000
        print(f"  {name:42s} {ms:7.1f} ms   {ms / (pyd * 1000):5.2f}x pydantic BaseModel")


if __name__ == "__main__":
    main()
