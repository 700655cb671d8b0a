"""CursorCache: scans kept by token, bounded by count, by the bytes they read ahead, and by age."""

from __future__ import annotations

import time
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


def scan_with_rows_ahead(store: Store, window: int = 5_000) -> WindowedScan:
    """A scan that has served one event and holds the rest of its first window (by default
    the whole stream, so that reading ahead adds nothing and its size holds still)."""
    spec = ScanSpec(G, frozenset((S,)), columns="e.ts, e.seq, e.message")
    scan = WindowedScan(store, spec, first_rows=window, max_rows=window)
    assert scan.take(1, 10.0).num_rows == 1
    assert scan.buffered_bytes > 0
    return scan


def test_a_scan_comes_back_once_under_its_token(store: Store) -> None:
    cache = CursorCache()
    try:
        scan = scan_with_rows_ahead(store)
        cache.put("t1", scan)
        assert cache.pop("t1") is scan
        assert cache.pop("t1") is None  # a token serves one request
    finally:
        cache.close()


def test_the_oldest_scans_go_when_count_or_bytes_run_over(store: Store) -> None:
    size = scan_with_rows_ahead(store).buffered_bytes
    by_count = CursorCache(max_cursors=2)
    by_bytes = CursorCache(max_bytes=size * 2 + 1)
    try:
        for cache in (by_count, by_bytes):
            scans = [scan_with_rows_ahead(store) for _ in range(3)]
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
        cache.put("t", scan_with_rows_ahead(store))
        cache.sweep()
        assert cache.pop("t") is None
    finally:
        cache.close()


def test_a_cached_scan_reads_its_next_window_ahead(store: Store) -> None:
    cache = CursorCache()
    try:
        scan = scan_with_rows_ahead(store, window=500)
        before = scan.buffered_bytes
        cache.put("t", scan)
        deadline = time.monotonic() + 10
        while scan.buffered_bytes <= before and time.monotonic() < deadline:
            time.sleep(0.01)
        assert scan.buffered_bytes > before
        assert cache.pop("t") is scan
        assert scan.take(10_000, 10.0).num_rows > 499  # served from what was read ahead
    finally:
        cache.close()
