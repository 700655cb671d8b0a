"""The unit that producers (PutMetricData, metric filters, embedded metric format) hand to
the metric store.

A datum is already an aggregate: metric filters fold a whole ingested batch per metric,
dimensions and period before anything reaches Python, so the store never sees one object per
log event. `values`/`counts` keep the distribution when the producer knows it (percentiles
need it); a statistic set alone leaves them empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

Dimensions = tuple[tuple[str, str], ...]  # (name, value) pairs sorted by name


@dataclass(frozen=True, slots=True)
class Datum:
    namespace: str
    name: str
    dimensions: Dimensions
    timestamp_ms: int
    sample_count: float
    sum: float
    minimum: float
    maximum: float
    unit: str = "None"
    values: tuple[float, ...] = ()
    counts: tuple[float, ...] = ()
    storage_resolution: int = 60  # 1 for high-resolution metrics


class MetricSink(Protocol):
    """Where datums go; the metric store implements it."""

    def put(self, account_id: str, region: str, datums: Sequence[Datum]) -> None: ...


# Past this many distinct values a distribution is kept as log-spaced buckets 2 % wide (each
# value stands for its bucket within 1 %), as CloudWatch keeps percentiles approximately.
MAX_DISTINCT = 256
_STEP = float(np.log(1.02))


def compact(
    values: Sequence[float] | np.ndarray, counts: Sequence[float] | np.ndarray
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """A distribution kept small (sorted), vectorised: past MAX_DISTINCT distinct values it
    becomes log buckets (about 117 per decade of magnitude), as metric filters may hand over
    a distinct value per event."""
    v = np.asarray(values, dtype=np.float64)
    c = np.asarray(counts, dtype=np.float64)
    if len(v) > MAX_DISTINCT:
        mag = np.abs(v)
        safe = np.where(mag > 0, mag, 1.0)
        bucket = np.where(mag > 0, np.exp(np.round(np.log(safe) / _STEP) * _STEP), 0.0)
        v = np.copysign(bucket, v)
    keys, inverse = np.unique(v, return_inverse=True)
    sums = np.bincount(inverse, weights=c, minlength=len(keys))
    return tuple(keys.tolist()), tuple(sums.tolist())
