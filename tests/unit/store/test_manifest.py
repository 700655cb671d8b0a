"""The manifest: a faithful JSON round trip, written atomically."""

from __future__ import annotations

import json
from pathlib import Path

from owl.store import manifest as manifest_io
from owl.store.manifest import Manifest, Segment


def full() -> Manifest:
    return Manifest(
        next_segment=12,
        next_seq=99_999_999_999,
        segments=[
            Segment(3, 1, "g1-s3.parquet", 10, 2048, 5, 90, 1, 10),
            Segment(11, 2, "g2-s11.parquet", 7, 999, 0, 2**62, 11, 17, level=2),
        ],
        flushed_seq={1: 10, 2: 17},
        dropped_groups={4, 9},
        deleted_streams={1: {5, 6}, 2: {8}},
    )


def test_round_trip() -> None:
    m = full()
    assert Manifest.from_json(m.to_json()) == m
    assert Manifest.from_json(Manifest().to_json()) == Manifest()


def test_json_document() -> None:
    doc = json.loads(full().to_json())
    assert doc["format"] == 1
    assert doc["segments"][1] == {
        "id": 11,
        "group_id": 2,
        "file": "g2-s11.parquet",
        "rows": 7,
        "bytes": 999,
        "min_ts": 0,
        "max_ts": 2**62,
        "min_seq": 11,
        "max_seq": 17,
        "level": 2,
        "message_bytes": None,
        "key_id": None,
    }
    assert doc["dropped_groups"] == [4, 9]
    assert doc["deleted_streams"] == {"1": [5, 6], "2": [8]}


def test_save_then_load(tmp_path: Path) -> None:
    path = tmp_path / "MANIFEST.json"
    assert manifest_io.load(path) == Manifest()
    manifest_io.save(path, full())
    assert manifest_io.load(path) == full()
    m = full()
    m.segments.pop()
    m.next_seq += 1
    manifest_io.save(path, m)
    assert manifest_io.load(path) == m
    assert sorted(p.name for p in tmp_path.iterdir()) == ["MANIFEST.json"]  # no temporary left
