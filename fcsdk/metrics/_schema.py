"""Metric units, validation and the one-line-per-invocation JSON schema of :mod:`fcsdk.metrics`."""

from __future__ import annotations

import math
import re
from enum import Enum
from typing import Any, Union

from ..errors import FCError

__all__ = [
    "LINE_FIELDS",
    "SAMPLE_FIELDS",
    "MetricResolution",
    "MetricUnit",
    "MetricsError",
]

#: The top-level fields of a metrics line, in order (``metadata`` only when set).
LINE_FIELDS = (
    "_fcsdk",
    "namespace",
    "time",
    "request_id",
    "dimensions",
    "metrics",
    "metadata",
    "samples",
)
#: The fields of each element of ``samples``: MetricStore's own time-series columns.
SAMPLE_FIELDS = ("__name__", "__labels__", "__time_nano__", "__value__")

MAX_METRICS = 100
MAX_VALUES = 100  # values of one name in one line; more are written in further lines
MAX_VALUES_PER_INVOCATION = 10_000  # of one name in one invocation (100 lines at most)
MAX_DIMENSIONS = 30
MAX_NAME = 255
MAX_DIMENSION_VALUE = 1024
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")  # MetricStore (Prometheus) metric/label names


class MetricsError(FCError, ValueError):
    """A metric, dimension or unit that cannot be recorded (raised at the call that adds it).

    Example:
        >>> from fcsdk.metrics import MetricsError
        >>> MetricsError("bad").code
        'metrics'
    """

    code = "metrics"


class MetricUnit(str, Enum):
    """The units a metric may have (CloudWatch's set, so Powertools code ports as is).

    Example:
        >>> from fcsdk.metrics import MetricUnit
        >>> MetricUnit("Count") is MetricUnit.Count
        True
    """

    Seconds = "Seconds"
    Microseconds = "Microseconds"
    Milliseconds = "Milliseconds"
    Bytes = "Bytes"
    Kilobytes = "Kilobytes"
    Megabytes = "Megabytes"
    Gigabytes = "Gigabytes"
    Terabytes = "Terabytes"
    Bits = "Bits"
    Kilobits = "Kilobits"
    Megabits = "Megabits"
    Gigabits = "Gigabits"
    Terabits = "Terabits"
    Percent = "Percent"
    Count = "Count"
    BytesPerSecond = "Bytes/Second"
    KilobytesPerSecond = "Kilobytes/Second"
    MegabytesPerSecond = "Megabytes/Second"
    GigabytesPerSecond = "Gigabytes/Second"
    TerabytesPerSecond = "Terabytes/Second"
    BitsPerSecond = "Bits/Second"
    KilobitsPerSecond = "Kilobits/Second"
    MegabitsPerSecond = "Megabits/Second"
    GigabitsPerSecond = "Gigabits/Second"
    TerabitsPerSecond = "Terabits/Second"
    CountPerSecond = "Count/Second"
    NoUnit = "None"


class MetricResolution(int, Enum):
    """Storage resolution in seconds: 60 (standard) or 1 (high resolution).

    Example:
        >>> from fcsdk.metrics import MetricResolution
        >>> int(MetricResolution.High)
        1
    """

    Standard = 60
    High = 1


_UNITS = {u.value: u for u in MetricUnit}
_UNITS.update({u.name: u for u in MetricUnit})


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_name(name: object, what: str) -> str:
    if not isinstance(name, str):
        raise MetricsError(f"{what} must be a str, got {type(name).__name__}")
    if not name or len(name) > MAX_NAME or not _NAME.match(name):
        raise MetricsError(
            f"{what} {_show(name)} is invalid: use 1 to {MAX_NAME} letters, digits or '_', "
            "not starting with a digit (MetricStore's rule for metric and label names)"
        )
    if what == "dimension name" and (name.startswith("__") or name == "namespace"):
        # '__name__', '__labels__'... are MetricStore's own columns; 'namespace' is the label
        # every sample already carries: either would silently rewrite the series.
        raise MetricsError(
            f"dimension name {_show(name)} is reserved (MetricStore's '__' names and the "
            "'namespace' label): choose another name"
        )
    return name


def check_unit(unit: Union[MetricUnit, str]) -> MetricUnit:
    key = unit.value if isinstance(unit, MetricUnit) else unit
    found = _UNITS.get(key) if isinstance(key, str) else None  # a list is not a TypeError
    if found is None:
        raise MetricsError(
            f"unit {_show(unit)} is unknown: use a MetricUnit such as 'Count', 'Milliseconds', "
            "'Bytes' or 'Percent'"
        )
    return found


def check_value(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise MetricsError(f"value of metric {name!r} must be a number, got {type(value).__name__}")
    number = float(value)
    if not math.isfinite(number):
        raise MetricsError(f"value of metric {name!r} must be finite, got {number!r}")
    return number


def check_resolution(resolution: object) -> MetricResolution:
    if isinstance(resolution, bool) or resolution not in (1, 60):
        raise MetricsError(
            f"resolution {_show(resolution)} is invalid: use 60 (standard) or 1 (high, "
            "MetricResolution.High)"
        )
    return MetricResolution.High if resolution == 1 else MetricResolution.Standard


def check_dimension_value(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise MetricsError(f"dimension {name!r} must be a str, got {type(value).__name__}")
    if not value or len(value) > MAX_DIMENSION_VALUE or "|" in value or "#$#" in value:
        raise MetricsError(
            f"dimension {name!r} has an invalid value: use 1 to {MAX_DIMENSION_VALUE} "
            "characters without '|' or '#$#' (MetricStore's label separators)"
        )
    return value


def labels(dimensions: dict[str, str]) -> str:
    """MetricStore's ``__labels__``: ``name#$#value`` pairs sorted by name, joined by ``|``.

    Example:
        >>> labels({"service": "orders", "channel": "web"})
        'channel#$#web|service#$#orders'
    """
    return "|".join(f"{k}#$#{dimensions[k]}" for k in sorted(dimensions))


def build_line(
    *,
    namespace: str,
    time_ms: int,
    request_id: Any,
    dimensions: dict[str, str],
    metrics: dict[str, tuple[MetricUnit, MetricResolution, list[float]]],
    metadata: dict[str, Any],
    cold_start_dimensions: Union[dict[str, str], None],
    first_index: int = 0,
) -> dict[str, Any]:
    """The JSON object written for one invocation, or for one part of it when a name has more
    than ``MAX_VALUES`` values: ``first_index`` is the index of this part's first value of
    each name, so points of all parts have distinct timestamps (see
    ``docs/notes/observability.md``)."""
    base = {"namespace": namespace, **dimensions}
    label_text = labels(base)
    nano = time_ms * 1_000_000
    samples: list[dict[str, Any]] = []
    shown: dict[str, Any] = {}
    for name, (unit, resolution, values) in metrics.items():
        shown[name] = {"unit": unit.value, "resolution": int(resolution), "values": values}
        for i, v in enumerate(values):  # one point per value, 1 ns apart, so none overwrites
            samples.append(
                {
                    "__name__": name,
                    "__labels__": label_text,
                    "__time_nano__": nano + first_index + i,
                    "__value__": v,
                }
            )
    if cold_start_dimensions is not None:
        shown["ColdStart"] = {"unit": "Count", "resolution": 60, "values": [1.0]}
        samples.append(
            {
                "__name__": "ColdStart",
                "__labels__": labels({"namespace": namespace, **cold_start_dimensions}),
                "__time_nano__": nano,
                "__value__": 1.0,
            }
        )
    line: dict[str, Any] = {
        "_fcsdk": "metrics",
        "namespace": namespace,
        "time": time_ms,
        "request_id": request_id,
        "dimensions": dimensions,
        "metrics": shown,
    }
    if metadata:
        line["metadata"] = metadata
    line["samples"] = samples
    return line
