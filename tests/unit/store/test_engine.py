"""The Store on its own: flush, merge, drops, reopen and replay, pinned versions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from owl.store.engine import Store, StoreConfig
from tests.store_reader import stream_events

CONFIG = StoreConfig(fsync=False, flush_age_s=3600, merge_fanin=4)
G, A, B = 1, 10, 11  # one group, two streams


def open_store(root: Path) -> Store:
    store = Store(root, CONFIG)
    store.open(background=False)
    return store


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture
def store(root: Path) -> Iterator[Store]:
    s = open_store(root)
    yield s
    s.close()


def put(store: Store, stream: int, ts: list[int], tag: str, group: int = G) -> None:
    messages = [f"{tag}{i}" for i in range(len(ts))]
    store.append(
        group, stream, pa.array(ts, pa.int64()), pa.array(messages, pa.string()), 7
    ).result(timeout=10)


def read(store: Store, stream: int, group: int = G) -> list[tuple[int, str]]:
    t = stream_events(store, group, stream)
    return list(zip(t.column("ts").to_pylist(), t.column("message").to_pylist(), strict=True))


def rows_on_disk(store: Store, where: str = "TRUE") -> int:
    files = sorted(store.segment_dir.glob("*.parquet"))
    if not files:
        return 0
    listing = ", ".join(f"'{f}'" for f in files)
    con = duckdb.connect()
    try:
        row = con.execute(f"SELECT count(*) FROM read_parquet([{listing}]) WHERE {where}")
        return int(row.fetchone()[0])  # type: ignore[index]
    finally:
        con.close()


def test_reads_merge_memtable_and_segments_in_put_order(store: Store) -> None:
    put(store, A, [5, 5, 9], "first")
    store.flush(G)
    put(store, A, [1, 5, 9], "second")
    assert read(store, A) == [
        (1, "second0"),
        (5, "first0"),
        (5, "first1"),
        (5, "second1"),
        (9, "first2"),
        (9, "second2"),
    ]
    assert read(store, B) == []


def test_replay_after_a_flush_does_not_duplicate(root: Path) -> None:
    store = open_store(root)
    put(store, A, [1, 2], "flushed")
    store.flush()
    put(store, A, [3], "wal")
    store.close()
    store = open_store(root)
    try:
        assert read(store, A) == [(1, "flushed0"), (2, "flushed1"), (3, "wal0")]
        store.flush()
        assert rows_on_disk(store) == 3
    finally:
        store.close()


def test_merge_after_fanin_flushes(store: Store) -> None:
    expected = []
    for i in range(4):
        put(store, A, [i, i], f"r{i}-")
        expected += [(i, f"r{i}-0"), (i, f"r{i}-1")]
        store.flush(G)
    assert store.segment_count() == 4
    store.maintain()
    assert store.segment_count() == 1
    assert len(list(store.segment_dir.glob("*.parquet"))) == 1
    assert read(store, A) == expected


def test_a_pinned_version_keeps_its_files(store: Store) -> None:
    for i in range(4):
        put(store, A, [i], f"r{i}-")
        store.flush(G)
    with store.view(G) as view:
        store.maintain()  # merges the four into one while a reader holds the old version
        assert all(Path(p).exists() for p in [view.segment_dir / s.file for s in view.segments])
        assert len(list(store.segment_dir.glob("*.parquet"))) == 5
    assert len(list(store.segment_dir.glob("*.parquet"))) == 1


def test_dropped_stream_is_purged_and_never_replayed(root: Path) -> None:
    """Flushed rows leave with the next merge round; unflushed ones must not come back from
    the WAL on a reopen (the manifest forgetting the deletion too early let them)."""
    store = open_store(root)
    put(store, A, [1, 2], "flushed")
    put(store, B, [1], "keep")
    store.flush()
    put(store, A, [3], "unflushed")  # only in the memtable and the WAL
    store.drop_stream(G, A)
    with store.view(G) as view:
        assert view.mem.for_stream(A) == []
    store.maintain()  # rewrites the segment without A
    assert rows_on_disk(store, f"stream_id = {A}") == 0
    assert read(store, A) == []
    store.close()
    store = open_store(root)
    try:
        with store.view(G) as view:
            assert view.mem.for_stream(A) == []
        assert read(store, A) == []
        store.flush()
        store.maintain()
        assert rows_on_disk(store, f"stream_id = {A}") == 0
        assert read(store, B) == [(1, "keep0")]
    finally:
        store.close()


def test_dropped_group_loses_files_and_wal(root: Path) -> None:
    store = open_store(root)
    put(store, A, [1], "gone", group=G)
    put(store, B, [1], "kept", group=2)
    store.flush()
    put(store, A, [2], "gone-wal", group=G)
    assert len(list(store.segment_dir.glob(f"g{G}-*.parquet"))) == 1
    store.drop_group(G)
    assert list(store.segment_dir.glob(f"g{G}-*.parquet")) == []
    assert read(store, A, group=G) == []
    store.close()
    store = open_store(root)
    try:
        assert read(store, A, group=G) == []
        assert read(store, B, group=2) == [(1, "kept0")]
        store.flush()
        assert rows_on_disk(store, "starts_with(message, 'gone')") == 0
    finally:
        store.close()


def test_stream_stats(store: Store) -> None:
    put(store, A, [5, 9], "x")
    put(store, A, [2], "y")
    stats = store.stream_stats(A)
    assert stats is not None and (stats.first_ts, stats.last_ts, stats.last_ingest) == (2, 9, 7)
    store.drop_stream(G, A)
    assert store.stream_stats(A) is None


def test_expire_drops_old_segments_and_trims_the_edge_under_a_reader(store: Store) -> None:
    put(store, A, [10, 20], "old")
    store.flush(G)
    put(store, A, [30, 40], "edge")
    store.flush(G)
    put(store, A, [50], "new")
    store.flush(G)
    assert len(list(store.segment_dir.glob("*.parquet"))) == 3
    with store.view(G) as view:
        assert store.expire(G, 35) == (1, 1)  # [10, 20] dropped, [30, 40] rewritten
        # the reader's version still finds every file it lists
        assert all((view.segment_dir / s.file).exists() for s in view.segments)
    files = list(store.segment_dir.glob("*.parquet"))
    assert len(files) == 2
    assert rows_on_disk(store) == 2
    assert rows_on_disk(store, "ts < 35") == 0
    assert read(store, A) == [(40, "edge1"), (50, "new0")]
    assert store.expire(G, 35) == (0, 0)  # nothing left to do


def test_expire_survives_a_reopen(root: Path) -> None:
    store = open_store(root)
    put(store, A, [10, 20, 30], "x")
    store.flush()
    store.expire(G, 25)
    store.close()
    store = open_store(root)
    assert read(store, A) == [(30, "x2")]
    assert rows_on_disk(store) == 1
    store.close()
