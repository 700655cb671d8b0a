"""CursorCache: scans kept by token, bounded by count, by the rows they hold, and by age."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

from owl.store.cursor import CursorCache
from owl.store.engine import Store, StoreConfig
from owl.store.scan import ScanSpec, WindowedScan

G, S = 1, 10


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "store", StoreConfig(fsync=False, flush_age_s=3600))
    s.open(background=False)
    ts = list(range(1_000, 3_000))
    s.append(G, S, pa.array(ts, pa.int64()), pa.array(["m" * 100] * len(ts)), 5).result(10)
    yield s
    s.close()


def scan_holding_rows(store: Store) -> WindowedScan:
    """A scan that has served one event and holds the rest of the stream, read in one window."""
    spec = ScanSpec(G, frozenset((S,)), columns="e.ts, e.seq, e.message")
    scan = WindowedScan(store, spec, first_rows=5_000, max_rows=5_000)
    assert scan.take(1, 10.0).num_rows == 1
    assert scan.buffered_bytes > 0
    return scan


def test_a_scan_comes_back_once_under_its_token(store: Store) -> None:
    cache = CursorCache()
    try:
        scan = scan_holding_rows(store)
        cache.put("t1", scan)
        assert cache.pop("t1") is scan
        assert cache.pop("t1") is None  # a token serves one request
    finally:
        cache.close()


def test_the_oldest_scans_go_when_count_or_bytes_run_over(store: Store) -> None:
    size = scan_holding_rows(store).buffered_bytes
    by_count = CursorCache(max_cursors=2)
    by_bytes = CursorCache(max_bytes=size * 2 + 1)
    try:
        for cache in (by_count, by_bytes):
            scans = [scan_holding_rows(store) for _ in range(3)]
            for i, scan in enumerate(scans):
                cache.put(f"t{i}", scan)
            assert cache.pop("t0") is None  # evicted: its token will re-read by position
            assert cache.pop("t1") is scans[1] and cache.pop("t2") is scans[2]
    finally:
        by_count.close()
        by_bytes.close()


def test_idle_scans_are_swept(store: Store) -> None:
    cache = CursorCache(idle_s=0.0)
    try:
        cache.put("t", scan_holding_rows(store))
        cache.sweep()
        assert cache.pop("t") is None
    finally:
        cache.close()
