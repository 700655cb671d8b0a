"""Reading metrics back: buckets of a period from stored points, and a statistic per bucket.

CloudWatch rounds a request's start time down (to the minute within 15 days, to 5 minutes
within 63 days, to the hour before that; to a division of the minute for periods under 60 s)
and buckets data from that start, one bucket per period; the end time is exclusive.
"""

from __future__ import annotations

from collections.abc import Sequence

from owl.metrics.statistics import Stat
from owl.metrics.store import MetricStore, Point, fold

DAY_S = 86_400


def round_start(start_s: int, now_s: int, period: int) -> int:
    if period < 60:
        return start_s - start_s % period
    age = now_s - start_s
    step = 60 if age < 15 * DAY_S else 300 if age < 63 * DAY_S else 3600
    return start_s - start_s % step


def buckets(
    store: MetricStore,
    series_id: int,
    start_s: int,
    end_s: int,
    period: int,
    unit: str | None = None,
    *,
    basic: bool = False,
) -> list[Point]:
    """One folded point per non-empty bucket, oldest first, timestamped at the bucket start
    (`basic`: without distributions, folded by the store, for the five basic statistics)."""
    res = 1 if period < 60 else 60
    if basic:
        return store.aggregates(series_id, start_s, end_s, period, res, unit)
    by_bucket: dict[int, list[Point]] = {}
    for p in store.points(series_id, start_s, end_s, res, unit):
        b = start_s + (p.ts - start_s) // period * period
        by_bucket.setdefault(b, []).append(p)
    out: list[Point] = []
    for b in sorted(by_bucket):
        folded = fold(by_bucket[b])
        assert folded is not None
        out.append(Point(b, folded.unit, folded.n, folded.sum, folded.min, folded.max, folded.dist))
    return out


def series(points: Sequence[Point], stat: Stat) -> tuple[list[int], list[float]]:
    """Timestamps and values of a statistic over bucketed points (buckets without a value
    for it, such as percentiles of statistic sets, are left out)."""
    ts: list[int] = []
    values: list[float] = []
    for p in points:
        v = stat(p)
        if v is not None:
            ts.append(p.ts)
            values.append(v)
    return ts, values
