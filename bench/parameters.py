"""Benchmark: fcsdk.parameters' cached ``get`` and its first fetch on loopback, with anchors.

Run: ``python bench/parameters.py`` (``--quick`` for fewer repetitions; ``--help`` for options).
Needs the ``parameters`` extra; the Powertools anchor needs the ``bench`` extra (which brings
boto3: Powertools' parameters module imports it at load).

Prints, in one run:

- cached ``get`` in µs: ``KMSSecrets.get`` (plain, ``transform="json"``, ``model=``) inside an
  invocation, beside Powertools' ``BaseProvider.get`` (its cache path, a provider whose ``_get``
  returns a constant) and a bare dict lookup;
- first fetch in ms against the loopback KMS gateway of the tests (ACS3 signature checked):
  ``KMSSecrets.get(force_fetch=True)`` beside the bare SDK call it wraps, and the cold import of
  the KMS SDK that the first fetch of a process pays once.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
import timeit
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SECRET = "bench-secret-value"


def _us(fn: Callable[[], Any], number: int) -> float:
    runs = timeit.repeat(fn, number=number, repeat=5)
    return min(runs) / number * 1e6


def bench_cached(number: int) -> None:
    from pydantic import BaseModel

    import fcsdk as fc
    from fcsdk.logging import current_context
    from fcsdk.parameters import BaseProvider

    class DB(BaseModel):
        host: str
        port: int

    class Const(BaseProvider):
        provider, label, needs_credentials = "bench", "bench value", False

        def _fetch(self, name: str, credentials: Any) -> str:
            return '{"host": "db", "port": 5432}'

    token = current_context.set(fc.Context.of({"x-fc-request-id": "bench"}))
    try:
        p = Const()
        p.get("db"), p.get("db", transform="json"), p.get("db", model=DB)
        rows = [
            ("fcsdk get (cached)", _us(lambda: p.get("db"), number)),
            ("fcsdk get json (cached)", _us(lambda: p.get("db", transform="json"), number)),
            ("fcsdk get model= (cached)", _us(lambda: p.get("db", model=DB), number)),
        ]
    finally:
        current_context.reset(token)
    try:
        from aws_lambda_powertools.utilities.parameters.base import BaseProvider as PTBase

        class PTConst(PTBase):
            def _get(self, name: str, **kw: Any) -> str:
                return '{"host": "db", "port": 5432}'

            def _get_multiple(self, path: str, **kw: Any) -> dict[str, str]:
                return {}

        pt = PTConst()
        pt.get("db"), pt.get("db", transform="json")
        rows.append(("Powertools get (cached)", _us(lambda: pt.get("db"), number)))
        rows.append(
            ("Powertools get json (cached)", _us(lambda: pt.get("db", transform="json"), number))
        )
    except ImportError as exc:
        print(f"(Powertools anchor skipped: {exc}; pip install -e '.[bench]')")
    d = {"db": SECRET}
    rows.append(("dict lookup", _us(lambda: d["db"], number)))
    print(f"{'cached get':<32}{'µs/call':>10}")
    for name, us in rows:
        print(f"{name:<32}{us:>10.2f}")


def bench_first_fetch(repeat: int) -> None:
    import fcsdk as fc
    from fcsdk.parameters import KMSSecrets
    from tests.acs_server import ACSServer

    creds = fc.Credentials("STS.bench", "bench-secret", "bench-token")
    with ACSServer() as server:
        server.add_key(creds.access_key_id, creds.access_key_secret, creds.security_token)
        server.secrets["db-password"] = (SECRET, "text")
        secrets = KMSSecrets(endpoint=server.endpoint, protocol="http", credentials=creds)
        secrets.get("db-password")  # imports the SDK

        from alibabacloud_kms20160120 import models
        from alibabacloud_kms20160120.client import Client
        from alibabacloud_tea_openapi.utils_models import Config

        def bare() -> Any:
            config = Config(
                access_key_id=creds.access_key_id,
                access_key_secret=creds.access_key_secret,
                security_token=creds.security_token,
                endpoint=server.endpoint,
                protocol="http",
                region_id="cn-hangzhou",
            )
            request = models.GetSecretValueRequest(secret_name="db-password")
            return Client(config).get_secret_value(request)

        # Interleaved, so that the load of a shared machine weighs on both alike.
        samples: dict[str, list[float]] = {"ours": [], "sdk": []}
        calls = {"ours": lambda: secrets.get("db-password", force_fetch=True), "sdk": bare}
        for _ in range(repeat):
            for key, fn in calls.items():
                t = time.perf_counter()
                fn()
                samples[key].append((time.perf_counter() - t) * 1000)
        ours, sdk = (statistics.median(samples[k]) for k in ("ours", "sdk"))
    code = "import time; t=time.perf_counter(); import alibabacloud_kms20160120.client; print((time.perf_counter()-t)*1000)"
    imports = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(3)
    ]
    print(f"\n{'first fetch (loopback, median)':<32}{'ms':>10}")
    print(f"{'fcsdk KMSSecrets.get':<32}{ours:>10.2f}")
    print(f"{'bare SDK get_secret_value':<32}{sdk:>10.2f}")
    print(f"{'KMS SDK cold import (once)':<32}{min(imports):>10.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    bench_cached(20_000 if args.quick else 200_000)
    bench_first_fetch(20 if args.quick else 100)


if __name__ == "__main__":
    main()
