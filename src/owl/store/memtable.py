"""The in-memory part of a group: durable batches not yet in a segment.

Append-only until a flush: a reader's snapshot is (the list, its length then), which later
appends never change. A flush replaces the list by a new one holding what arrived meanwhile.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pyarrow as pa


@dataclass
class GroupMemtable:
    batches: list[pa.RecordBatch] = field(default_factory=list)
    streams: list[int] = field(default_factory=list)  # stream id of each batch
    wal_files: list[int] = field(default_factory=list)  # WAL file of each batch
    max_seqs: list[int] = field(default_factory=list)  # last seq of each batch
    bounds: list[tuple[int, int]] = field(default_factory=list)  # (first ts, last ts) of each
    keys: list[int | None] = field(default_factory=list)  # data key of each batch's WAL record
    nbytes: int = 0
    since: float = field(default_factory=time.monotonic)  # when the oldest batch arrived

    def append(
        self,
        batch: pa.RecordBatch,
        stream_id: int,
        wal_file: int,
        max_seq: int,
        key_id: int | None = None,
    ) -> None:
        if not self.batches:
            self.since = time.monotonic()
        self.batches.append(batch)
        self.streams.append(stream_id)
        self.wal_files.append(wal_file)
        self.max_seqs.append(max_seq)
        self.keys.append(key_id)
        ts = batch.column(1)  # a batch is in time order (PutLogEvents' rule)
        self.bounds.append((ts[0].as_py(), ts[-1].as_py()) if len(ts) else (0, -1))
        self.nbytes += batch.nbytes

    def snapshot(self) -> MemSnapshot:
        return MemSnapshot(self.batches, self.streams, len(self.batches), self.bounds, self.keys)

    def oldest_wal_file(self) -> int | None:
        return min(self.wal_files) if self.wal_files else None

    def rest_after(self, n: int) -> GroupMemtable:
        """A new memtable with the batches appended after the first `n` (after a flush)."""
        rest = GroupMemtable()
        for i in range(n, len(self.batches)):
            rest.append(
                self.batches[i], self.streams[i], self.wal_files[i], self.max_seqs[i], self.keys[i]
            )
        return rest

    def kept(self, keep: Callable[[int], bool]) -> GroupMemtable:
        """A new memtable with the batches whose index passes `keep`."""
        out = GroupMemtable()
        for i in range(len(self.batches)):
            if keep(i):
                out.append(
                    self.batches[i],
                    self.streams[i],
                    self.wal_files[i],
                    self.max_seqs[i],
                    self.keys[i],
                )
        return out

    def without_stream(self, stream_id: int) -> GroupMemtable:
        return self.kept(lambda i: self.streams[i] != stream_id)


@dataclass(frozen=True)
class MemSnapshot:
    """An immutable view of a memtable: the first `n` batches of a list that only grows."""

    batches: list[pa.RecordBatch]
    streams: list[int]
    n: int
    bounds: list[tuple[int, int]] = field(default_factory=list)
    keys: list[int | None] = field(default_factory=list)

    def for_stream(self, stream_id: int) -> list[pa.RecordBatch]:
        return [self.batches[i] for i in range(self.n) if self.streams[i] == stream_id]

    def all(self) -> list[pa.RecordBatch]:
        return self.batches[: self.n]

    def select(self, streams: frozenset[int] | None, lo: int, hi: int) -> list[pa.RecordBatch]:
        """The batches that may hold events of `streams` (None: any) with lo <= ts <= hi."""
        return [
            self.batches[i]
            for i in range(self.n)
            if (streams is None or self.streams[i] in streams)
            and self.bounds[i][0] <= hi
            and self.bounds[i][1] >= lo
        ]

    def ts_range(self, streams: frozenset[int] | None) -> tuple[int, int] | None:
        """(min, max) timestamp of the batches of `streams` (None: all), None when empty."""
        spans = [
            self.bounds[i] for i in range(self.n) if streams is None or self.streams[i] in streams
        ]
        spans = [b for b in spans if b[0] <= b[1]]
        if not spans:
            return None
        return min(b[0] for b in spans), max(b[1] for b in spans)
