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
