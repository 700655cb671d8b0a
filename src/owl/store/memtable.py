"""The in-memory part of a group: durable batches not yet in a segment.

Append-only until a flush: a reader's snapshot is (the list, its length then), which later
appends never change. A flush replaces the list by a new one holding what arrived meanwhile.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pyarrow as pa


@dataclass
class GroupMemtable:
    batches: list[pa.RecordBatch] = field(default_factory=list)
    streams: list[int] = field(default_factory=list)  # stream id of each batch
    wal_files: list[int] = field(default_factory=list)  # WAL file of each batch
    max_seqs: list[int] = field(default_factory=list)  # last seq of each batch
    nbytes: int = 0
    since: float = field(default_factory=time.monotonic)  # when the oldest batch arrived

    def append(self, batch: pa.RecordBatch, stream_id: int, wal_file: int, max_seq: int) -> None:
        if not self.batches:
            self.since = time.monotonic()
        self.batches.append(batch)
        self.streams.append(stream_id)
        self.wal_files.append(wal_file)
        self.max_seqs.append(max_seq)
        self.nbytes += batch.nbytes

    def snapshot(self) -> MemSnapshot:
        return MemSnapshot(self.batches, self.streams, len(self.batches))

    def oldest_wal_file(self) -> int | None:
        return min(self.wal_files) if self.wal_files else None

    def rest_after(self, n: int) -> GroupMemtable:
        """A new memtable with the batches appended after the first `n` (after a flush)."""
        rest = GroupMemtable()
        for i in range(n, len(self.batches)):
            rest.append(self.batches[i], self.streams[i], self.wal_files[i], self.max_seqs[i])
        return rest

    def without_stream(self, stream_id: int) -> GroupMemtable:
        kept = GroupMemtable()
        for b, s, w, m in zip(
            self.batches, self.streams, self.wal_files, self.max_seqs, strict=True
        ):
            if s != stream_id:
                kept.append(b, s, w, m)
        return kept


@dataclass(frozen=True)
class MemSnapshot:
    """An immutable view of a memtable: the first `n` batches of a list that only grows."""

    batches: list[pa.RecordBatch]
    streams: list[int]
    n: int

    def for_stream(self, stream_id: int) -> list[pa.RecordBatch]:
        return [self.batches[i] for i in range(self.n) if self.streams[i] == stream_id]

    def all(self) -> list[pa.RecordBatch]:
        return self.batches[: self.n]
