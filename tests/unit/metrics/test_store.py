"""The metric store: what goes in comes back folded, whichever way a read folds it."""

from __future__ import annotations

import math
import secrets
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from owl.metrics.datum import MAX_DISTINCT, Datum, compact
from owl.metrics.query import buckets
from owl.metrics.statistics import parse_stat
from owl.metrics.store import MetricStore

BASE_S = 1_700_000_000 // 3600 * 3600
VALUE = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
SAMPLE = st.tuples(st.integers(0, 3 * 3600 - 1), VALUE, st.sampled_from(["Count", "Bytes"]))


def _store() -> MetricStore:
    return MetricStore(Path(tempfile.mkdtemp()) / "metrics.db", secrets.token_bytes(32))


def _datum(offset_s: int, value: float, unit: str, resolution: int = 60) -> Datum:
    return Datum(
        "NS",
        "m",
        (("Host", "a"),),
        (BASE_S + offset_s) * 1000,
        1.0,
        value,
        value,
        value,
        unit=unit,
        values=(value,),
        counts=(1.0,),
        storage_resolution=resolution,
    )


@settings(max_examples=60, deadline=None)
@given(
    samples=st.lists(SAMPLE, min_size=1, max_size=60),
    period=st.sampled_from([60, 300, 3600]),
    unit=st.sampled_from([None, "Count"]),
)
def test_basic_folding_in_sqlite_equals_folding_points(
    samples: list[tuple[int, float, str]], period: int, unit: str | None
) -> None:
    store = _store()
    for i in range(0, len(samples), 7):  # several puts land on the same points
        store.put("1", "r", [_datum(o, v, u) for o, v, u in samples[i : i + 7]])
    found = store.find("1", "r", "NS", "m", (("Host", "a"),))
    assert found is not None
    end = BASE_S + 3 * 3600
    full = buckets(store, found.id, BASE_S, end, period, unit)
    basic = buckets(store, found.id, BASE_S, end, period, unit, basic=True)
    assert [(p.ts, p.unit, p.n, p.min, p.max) for p in full] == [
        (p.ts, p.unit, p.n, p.min, p.max) for p in basic
    ]
    for a, b in zip(full, basic, strict=True):
        assert math.isclose(a.sum, b.sum, rel_tol=1e-9, abs_tol=1e-6)
    # The naive computation agrees too.
    kept = [(o, v) for o, v, u in samples if unit is None or u == unit]
    assert sum(p.n for p in basic) == len(kept)
    total = sum(v for _, v in kept)
    assert math.isclose(sum(p.sum for p in basic), total, rel_tol=1e-9, abs_tol=1e-3)


@given(st.lists(VALUE, min_size=1, max_size=2000))
def test_compact_keeps_counts_and_bounds_the_size(values: list[float]) -> None:
    keys, counts = compact(values, [1.0] * len(values))
    assert sum(counts) == len(values)
    assert list(keys) == sorted(set(keys))
    if len(set(values)) <= MAX_DISTINCT:
        assert sorted(set(values)) == list(keys)  # exact while small
    else:
        # Each value is represented by a key within about 1 % of it (0 by 0).
        for v in values:
            nearest = min(keys, key=lambda k: abs(k - v))
            assert abs(nearest - v) <= 0.0101 * abs(v) + 1e-12, (v, nearest)


def test_percentiles_survive_compaction_within_one_percent() -> None:
    store = _store()
    values = [float(v) for v in range(1, 5001)]  # 5,000 distinct values in one minute
    store.put("1", "r", [_datum(0, v, "None") for v in values])
    found = store.find("1", "r", "NS", "m", (("Host", "a"),))
    assert found is not None
    (point,) = buckets(store, found.id, BASE_S, BASE_S + 60, 60)
    # Log buckets 2 % wide: about 117 per decade of values, whatever the number of events.
    assert point.dist is not None and len(point.dist[0]) <= 117 * math.log10(5000) + 2
    for q, want in (("p50", 2500.0), ("p90", 4500.0), ("p99", 4950.0)):
        stat = parse_stat(q)
        assert stat is not None
        got = stat(point)
        assert got is not None and abs(got - want) / want < 0.015, (q, got)


def test_high_resolution_points_and_purge() -> None:
    store = _store()
    store.put("1", "r", [_datum(s, 1.0, "Count", resolution=1) for s in range(0, 10)])
    found = store.find("1", "r", "NS", "m", (("Host", "a"),))
    assert found is not None
    assert len(store.points(found.id, BASE_S, BASE_S + 60, 1)) == 10
    assert len(store.points(found.id, BASE_S, BASE_S + 60, 60)) == 1
    assert store.purge((BASE_S + 4 * 3600) * 1000) == 10  # seconds go after three hours
    assert len(store.points(found.id, BASE_S, BASE_S + 60, 60)) == 1
