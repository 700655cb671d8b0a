"""The write-ahead log: record encoding, replay up to the first torn or corrupt record, discard
markers, and the writer's group commit with injected fsync failures."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pyarrow as pa
import pytest

from owl.store import wal
from owl.store.faults import Faults
from owl.store.wal import (
    HEADER,
    KIND_BATCH,
    KIND_DISCARD,
    WalBatch,
    WalWriteError,
    WalWriter,
    decode_batch,
    encode_batch,
    file_name,
    frame,
    replay,
)

MESSAGES = ["a", "", "é😀", 'q"\\\n\x00', "x" * 1000]


def batch(
    n: int = 3, *, group: int = 1, stream: int = 10, seq: int = 1, tag: str = "m"
) -> WalBatch:
    return WalBatch(
        group_id=group,
        stream_id=stream,
        seq_start=seq,
        ingest_ms=1_700_000_000_000 + seq,
        ts=pa.array([1_000 + i for i in range(n)], pa.int64()),
        messages=pa.array([f"{tag}{i}-" + "p" * 40 for i in range(n)], pa.string()),
    )


def same(a: WalBatch, b: WalBatch) -> bool:
    return (
        (a.group_id, a.stream_id, a.seq_start, a.ingest_ms)
        == (b.group_id, b.stream_id, b.seq_start, b.ingest_ms)
        and a.ts.to_pylist() == b.ts.to_pylist()
        and a.messages.to_pylist() == b.messages.to_pylist()
    )


def record(b: WalBatch) -> bytes:
    return frame(KIND_BATCH, encode_batch(b))


def discard(*marks: tuple[int, int]) -> bytes:
    return frame(KIND_DISCARD, b"".join(wal._DISCARD.pack(f, off) for f, off in marks))


def write_file(directory: Path, no: int, *records: bytes, zeros: int = 0) -> Path:
    path = directory / file_name(no)
    path.write_bytes(b"".join(records) + b"\x00" * zeros)
    return path


def seqs(directory: Path) -> list[int]:
    return [b.seq_start for b in replay(directory)]


# --- encoding ---------------------------------------------------------------------------------


def test_encode_decode_round_trip() -> None:
    b = WalBatch(
        7,
        99,
        12345,
        1_700_000_000_123,
        pa.array([0, 5, 5, 2**62], pa.int64()),
        pa.array(MESSAGES[:4], pa.string()),
    )
    out = decode_batch(memoryview(encode_batch(b)))
    assert same(out, b)
    assert out.messages.type == pa.string() and out.ts.type == pa.int64()
    out.messages.validate(full=True)


def test_encode_of_sliced_arrays_keeps_only_the_slice() -> None:
    """PutLogEvents stores a slice of the batch (rejected events cut off at both ends)."""
    ts = pa.array(range(100, 110), pa.int64())
    messages = pa.array([f"msg-{i}-{'é' * i}" for i in range(10)], pa.string())
    b = WalBatch(1, 2, 3, 4, ts.slice(3, 4), messages.slice(3, 4))
    out = decode_batch(memoryview(encode_batch(b)))
    assert out.ts.to_pylist() == [103, 104, 105, 106]
    assert out.messages.to_pylist() == messages.to_pylist()[3:7]
    assert len(encode_batch(b)) < len(encode_batch(WalBatch(1, 2, 3, 4, ts, messages)))


def test_frame_header() -> None:
    payload = encode_batch(batch())
    raw = frame(KIND_BATCH, payload)
    magic, length, _crc, key, kind, flags, _ = HEADER.unpack_from(raw)
    assert (magic, length, key, kind, flags) == (wal.MAGIC, len(payload), 0, KIND_BATCH, 0)
    assert raw[HEADER.size :] == payload


# --- replay -----------------------------------------------------------------------------------


def test_replay_in_file_then_record_order(tmp_path: Path) -> None:
    write_file(tmp_path, 2, record(batch(seq=4)), zeros=100)
    write_file(tmp_path, 1, record(batch(seq=1)), record(batch(seq=2)), zeros=4096)
    out = list(replay(tmp_path))
    assert [(b.seq_start, b.file_no) for b in out] == [(1, 1), (2, 1), (4, 2)]
    assert same(out[0], batch(seq=1))


def test_replay_of_an_empty_directory(tmp_path: Path) -> None:
    assert list(replay(tmp_path)) == []
    (tmp_path / "not-a-wal.log").write_bytes(record(batch()))
    (tmp_path / "wal-xyz.log").write_bytes(record(batch()))
    assert list(replay(tmp_path)) == []


@pytest.mark.parametrize("cut", [1, HEADER.size - 1, HEADER.size, HEADER.size + 5, -1])
def test_replay_stops_at_a_torn_record(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, cut: int
) -> None:
    torn = record(batch(seq=3))
    torn = torn[:cut] if cut > 0 else torn[:cut]
    write_file(tmp_path, 1, record(batch(seq=1)), record(batch(seq=2)), torn)
    write_file(tmp_path, 2, record(batch(seq=9)))
    with caplog.at_level(logging.WARNING, "owl.store.wal"):
        assert seqs(tmp_path) == [1, 2, 9]
    if cut > HEADER.size:
        assert "Torn WAL record" in caplog.text


def test_replay_stops_at_a_corrupt_record(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    bad = bytearray(record(batch(seq=2)))
    bad[HEADER.size + 10] ^= 0x40  # one bit of the payload
    write_file(tmp_path, 1, record(batch(seq=1)), bytes(bad), record(batch(seq=3)))
    write_file(tmp_path, 2, record(batch(seq=5)))
    with caplog.at_level(logging.WARNING, "owl.store.wal"):
        # Nothing after the bad record in its file is trusted; the next file is.
        assert seqs(tmp_path) == [1, 5]
    assert "bad checksum" in caplog.text


def test_replay_stops_at_a_bad_magic(tmp_path: Path) -> None:
    bad = bytearray(record(batch(seq=2)))
    bad[0] ^= 0xFF
    write_file(tmp_path, 1, record(batch(seq=1)), bytes(bad), record(batch(seq=3)))
    assert seqs(tmp_path) == [1]


def test_discard_marker_cuts_its_file_from_the_offset(tmp_path: Path) -> None:
    first = record(batch(seq=1))
    write_file(tmp_path, 1, first, record(batch(seq=2)), record(batch(seq=3)))
    write_file(tmp_path, 2, discard((1, len(first))), record(batch(seq=4)))
    assert seqs(tmp_path) == [1, 4]


def test_discard_markers_lowest_offset_wins_and_apply_to_any_file(tmp_path: Path) -> None:
    a, b, c = record(batch(seq=1)), record(batch(seq=2)), record(batch(seq=3))
    write_file(tmp_path, 1, a, b, c)
    write_file(tmp_path, 2, record(batch(seq=4)), record(batch(seq=5)))
    write_file(tmp_path, 3, discard((1, len(a) + len(b))), discard((2, 0)))
    write_file(tmp_path, 4, discard((1, len(a))), record(batch(seq=6)))
    assert seqs(tmp_path) == [1, 6]


def test_discard_marker_itself_is_never_a_batch(tmp_path: Path) -> None:
    write_file(tmp_path, 1, discard((7, 0)), record(batch(seq=1)))
    assert seqs(tmp_path) == [1]


# --- the writer -------------------------------------------------------------------------------


class Applied:
    def __init__(self) -> None:
        self.batches: list[WalBatch] = []
        self.lock = threading.Lock()

    def __call__(self, batches: list[WalBatch]) -> None:
        with self.lock:
            self.batches += batches


def test_writer_applies_then_resolves_and_replays(tmp_path: Path) -> None:
    applied = Applied()
    writer = WalWriter(tmp_path, file_size=2048, faults=Faults(), apply=applied, fsync=True)
    futures = [writer.submit(batch(5, seq=1 + 5 * i, tag=f"b{i}-")) for i in range(20)]
    for f in futures:
        f.result(timeout=10)
    writer.close()
    assert [b.seq_start for b in applied.batches] == [1 + 5 * i for i in range(20)]
    replayed = list(replay(tmp_path))
    assert [b.seq_start for b in replayed] == [1 + 5 * i for i in range(20)]
    assert all(same(x, y) for x, y in zip(replayed, applied.batches, strict=True))
    # A 2 KiB file holds six records: the log went on in new files.
    assert len(wal.list_files(tmp_path)) > 2
    assert [b.file_no for b in replayed] == [b.file_no for b in applied.batches]


def test_writer_never_appends_to_a_file_from_before_a_restart(tmp_path: Path) -> None:
    first = WalWriter(tmp_path, file_size=1 << 16, faults=Faults(), apply=Applied())
    first.submit(batch(seq=1)).result(timeout=10)
    first.close()
    second = WalWriter(tmp_path, file_size=1 << 16, faults=Faults(), apply=Applied())
    second.submit(batch(seq=4)).result(timeout=10)
    second.close()
    assert [(b.seq_start, b.file_no) for b in replay(tmp_path)] == [(1, 1), (4, 2)]


def test_failed_fsync_refuses_the_batch_and_replay_skips_it(tmp_path: Path) -> None:
    faults = Faults()
    applied = Applied()
    writer = WalWriter(tmp_path, file_size=1 << 16, faults=faults, apply=applied)
    writer.submit(batch(seq=1)).result(timeout=10)
    faults.set(fsync_failures=1)
    with pytest.raises(WalWriteError):
        writer.submit(batch(seq=4)).result(timeout=10)
    writer.submit(batch(seq=7)).result(timeout=10)
    writer.close()
    assert [b.seq_start for b in applied.batches] == [1, 7]
    # The refused record reached the file (only its fsync failed): the marker hides it.
    assert seqs(tmp_path) == [1, 7]


def test_disk_full_refuses_and_recovers(tmp_path: Path) -> None:
    faults = Faults()
    writer = WalWriter(tmp_path, file_size=1 << 16, faults=faults, apply=Applied())
    writer.submit(batch(seq=1)).result(timeout=10)
    faults.set(disk_full=True)
    with pytest.raises(WalWriteError):
        writer.submit(batch(seq=4)).result(timeout=10)
    faults.set(disk_full=False)
    writer.submit(batch(seq=7)).result(timeout=10)
    writer.close()
    assert seqs(tmp_path) == [1, 7]


def test_closed_writer_refuses(tmp_path: Path) -> None:
    writer = WalWriter(tmp_path, file_size=1 << 16, faults=Faults(), apply=Applied())
    writer.close()
    with pytest.raises(WalWriteError):
        writer.submit(batch())


def test_retire_before_deletes_older_files_only(tmp_path: Path) -> None:
    writer = WalWriter(tmp_path, file_size=2048, faults=Faults(), apply=Applied())
    for i in range(20):
        writer.submit(batch(5, seq=1 + 5 * i)).result(timeout=10)
    files = wal.list_files(tmp_path)
    assert len(files) >= 3
    writer.retire_before(files[2])
    assert wal.list_files(tmp_path) == files[2:]
    writer.retire_before(10**6)  # never the active file
    assert wal.list_files(tmp_path) == [writer.active_file]
    writer.close()
