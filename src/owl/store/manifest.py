"""The store's manifest: which segments exist, what is flushed, what was dropped.

Written whole, atomically (temporary file, fsync, rename, fsync of the directory), after every
flush, merge or drop; the catalog of segments is small, so rewriting it is cheap and simple.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson


@dataclass(frozen=True)
class Segment:
    """An immutable Parquet file of one group's events, sorted by (stream_id, ts, seq)."""

    id: int
    group_id: int
    file: str  # relative to the segments directory
    rows: int
    bytes: int
    min_ts: int
    max_ts: int
    min_seq: int
    max_seq: int
    level: int = 0
    # UTF-8 bytes of the messages (Insights reports bytesScanned); None in older manifests.
    message_bytes: int | None = None
    # The data key the file is encrypted under; None: plaintext (older stores, store tests).
    key_id: int | None = None


@dataclass
class Manifest:
    next_segment: int = 1
    next_seq: int = 1
    segments: list[Segment] = field(default_factory=list)
    # Per group, the highest seq already in segments: replay skips batches at or below it.
    flushed_seq: dict[int, int] = field(default_factory=dict)
    dropped_groups: set[int] = field(default_factory=set)
    deleted_streams: dict[int, set[int]] = field(default_factory=dict)

    def to_json(self) -> bytes:
        doc: dict[str, Any] = {
            "format": 1,
            "next_segment": self.next_segment,
            "next_seq": self.next_seq,
            "segments": [asdict(s) for s in self.segments],
            "flushed_seq": {str(k): v for k, v in self.flushed_seq.items()},
            "dropped_groups": sorted(self.dropped_groups),
            "deleted_streams": {str(k): sorted(v) for k, v in self.deleted_streams.items()},
        }
        return orjson.dumps(doc)

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        doc = orjson.loads(raw)
        return cls(
            next_segment=doc["next_segment"],
            next_seq=doc["next_seq"],
            segments=[Segment(**s) for s in doc["segments"]],
            flushed_seq={int(k): v for k, v in doc["flushed_seq"].items()},
            dropped_groups=set(doc["dropped_groups"]),
            deleted_streams={int(k): set(v) for k, v in doc["deleted_streams"].items()},
        )


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def load(path: Path) -> Manifest:
    if not path.exists():
        return Manifest()
    return Manifest.from_json(path.read_bytes())


def save(path: Path, manifest: Manifest) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(manifest.to_json())
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)
