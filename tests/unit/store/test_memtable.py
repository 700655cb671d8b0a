"""Memtables: append-only lists whose snapshots never change, whatever happens afterwards."""

from __future__ import annotations

import pyarrow as pa

from owl.store.events import make_batch
from owl.store.memtable import GroupMemtable


def rb(stream: int, seq: int, *messages: str) -> pa.RecordBatch:
    return make_batch(
        stream,
        seq,
        1_700_000_000_000,
        pa.array([100 + i for i in range(len(messages))], pa.int64()),
        pa.array(list(messages), pa.string()),
    )


def messages(batches: list[pa.RecordBatch]) -> list[str]:
    return [m for b in batches for m in b.column("message").to_pylist()]


def filled() -> GroupMemtable:
    mem = GroupMemtable()
    mem.append(rb(1, 1, "a1", "a2"), 1, wal_file=3, max_seq=2)
    mem.append(rb(2, 3, "b1"), 2, wal_file=3, max_seq=3)
    mem.append(rb(1, 4, "a3"), 1, wal_file=4, max_seq=4)
    return mem


def test_make_batch_columns() -> None:
    b = rb(7, 10, "x", "y", "z")
    assert b.column("stream_id").to_pylist() == [7, 7, 7]
    assert b.column("seq").to_pylist() == [10, 11, 12]
    assert b.column("ts").to_pylist() == [100, 101, 102]
    assert b.column("ingest").to_pylist() == [1_700_000_000_000] * 3


def test_snapshot_ignores_later_appends() -> None:
    mem = filled()
    snap = mem.snapshot()
    mem.append(rb(1, 5, "late"), 1, wal_file=5, max_seq=5)
    assert messages(snap.all()) == ["a1", "a2", "b1", "a3"]
    assert messages(snap.for_stream(1)) == ["a1", "a2", "a3"]
    assert messages(snap.for_stream(2)) == ["b1"]
    assert snap.for_stream(99) == []
    assert messages(mem.snapshot().for_stream(1)) == ["a1", "a2", "a3", "late"]


def test_snapshot_survives_a_flush_and_a_drop() -> None:
    mem = filled()
    snap = mem.snapshot()
    rest = mem.rest_after(2)
    kept = mem.without_stream(1)
    rest.append(rb(2, 9, "after"), 2, wal_file=6, max_seq=9)
    assert messages(snap.all()) == ["a1", "a2", "b1", "a3"]
    assert messages(rest.snapshot().all()) == ["a3", "after"]
    assert messages(kept.snapshot().all()) == ["b1"]


def test_rest_after_keeps_metadata() -> None:
    rest = filled().rest_after(1)
    assert rest.streams == [2, 1]
    assert rest.wal_files == [3, 4]
    assert rest.max_seqs == [3, 4]
    assert rest.nbytes == sum(b.nbytes for b in rest.batches)
    assert rest.oldest_wal_file() == 3
    assert filled().rest_after(3).batches == []
    assert filled().rest_after(3).oldest_wal_file() is None


def test_without_stream() -> None:
    mem = filled()
    kept = mem.without_stream(1)
    assert kept.streams == [2] and kept.wal_files == [3] and kept.max_seqs == [3]
    assert kept.nbytes == kept.batches[0].nbytes
    assert mem.without_stream(42).streams == mem.streams
    assert messages(mem.batches) == ["a1", "a2", "b1", "a3"]  # the original is untouched


def test_bytes_and_age() -> None:
    mem = GroupMemtable()
    assert mem.nbytes == 0 and mem.oldest_wal_file() is None
    first = rb(1, 1, "x" * 1000)
    mem.append(first, 1, wal_file=8, max_seq=1)
    since = mem.since
    mem.append(rb(1, 2, "y"), 1, wal_file=7, max_seq=2)
    assert mem.since == since  # the age is that of the oldest batch
    assert mem.nbytes == first.nbytes + mem.batches[1].nbytes
    assert mem.oldest_wal_file() == 7
