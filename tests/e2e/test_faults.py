"""Injected faults and damaged files: what a client was told must match what is stored.

- a failed WAL fsync or a full disk refuses the batch (ServiceUnavailableException, HTTP 500);
  the refused batch never shows up, neither right away nor after a restart, and the server
  keeps serving: later writes succeed once the fault is gone;
- a torn tail of the newest WAL file (written while the server is down) is dropped on restart,
  without losing earlier records and without crashing;
- a stream (or group) deleted and created again under the same name starts empty, also after a
  flush and a restart, and the old events do not come back into segments either.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from botocore.exceptions import ClientError

from owl.store.wal import HEADER, KIND_BATCH, MAGIC, decode_batch, file_name, list_files
from tests.at_rest import open_wal_record, query_segments
from tests.e2e import Node, messages, now_ms

GROUP = "/e2e/faults"
STREAM = "s"


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    n = Node(tmp_path / "data")
    n.start()
    try:
        yield n
    finally:
        n.close()


class Batches:
    """Batches with distinct, increasing timestamps, so the expected read order is known."""

    def __init__(self) -> None:
        self.base = now_ms() - 30 * 60 * 1000
        self.ts: dict[str, int] = {}  # first message of a batch → its first timestamp

    def make(self, label: str, size: int = 3) -> list[str]:
        n = len(self.ts)
        msgs = [f"{label}-{n}-{i}" for i in range(size)]
        self.ts[msgs[0]] = self.base + 1000 * n
        return msgs

    def put(self, logs: Any, msgs: list[str], group: str = GROUP, stream: str = STREAM) -> None:
        first = self.ts[msgs[0]]
        logs.put_log_events(
            logGroupName=group,
            logStreamName=stream,
            logEvents=[{"timestamp": first + i, "message": m} for i, m in enumerate(msgs)],
        )


def setup_stream(logs: Any, group: str = GROUP, stream: str = STREAM) -> None:
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=stream)


def assert_unavailable(error: ClientError) -> None:
    assert error.response["Error"]["Code"] == "ServiceUnavailableException", error.response
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 500


def refused(logs: Any, batches: Batches, msgs: list[str]) -> None:
    with pytest.raises(ClientError) as info:
        batches.put(logs, msgs)
    assert_unavailable(info.value)


def flat(*groups: list[str]) -> list[str]:
    return [m for g in groups for m in g]


# --- fsync failure ----------------------------------------------------------------------------


@pytest.mark.timeout(120)
def test_failed_fsync_refuses_the_batch_for_good(node: Node) -> None:
    logs = node.client()
    setup_stream(logs)
    b = Batches()
    a = b.make("a")
    b.put(logs, a)

    node.faults(fsync_failures=1)
    refused_1 = b.make("refused1")
    refused(logs, b, refused_1)
    assert messages(logs, GROUP, STREAM) == a
    # The fault was used up: the server writes again at once.
    c = b.make("c")
    b.put(logs, c)
    assert messages(logs, GROUP, STREAM) == flat(a, c)

    # Refused, then the server dies before it writes anything else: still refused after restart.
    node.faults(fsync_failures=1)
    refused_2 = b.make("refused2")
    refused(logs, b, refused_2)
    node.restart()
    logs = node.client()
    assert messages(logs, GROUP, STREAM) == flat(a, c)
    d = b.make("d")
    b.put(logs, d)
    assert messages(logs, GROUP, STREAM) == flat(a, c, d)

    # Requests that share the failing group commit all fail; the others all succeed.
    node.faults(fsync_failures=1)
    concurrent = [b.make(f"conc{i}") for i in range(8)]
    outcome: dict[int, str] = {}

    def send(i: int) -> None:
        client = node.client()
        try:
            b.put(client, concurrent[i])
            outcome[i] = "ok"
        except ClientError as e:
            outcome[i] = e.response["Error"]["Code"]

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(concurrent))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(outcome) == len(concurrent)
    assert set(outcome.values()) <= {"ok", "ServiceUnavailableException"}, outcome
    assert "ServiceUnavailableException" in outcome.values(), outcome
    accepted = [concurrent[i] for i in sorted(outcome) if outcome[i] == "ok"]
    e = b.make("e")
    b.put(logs, e)
    expected = flat(a, c, d, *accepted, e)
    assert messages(logs, GROUP, STREAM) == expected

    node.flush()
    assert messages(logs, GROUP, STREAM) == expected
    node.restart()
    logs = node.client()
    assert messages(logs, GROUP, STREAM) == expected
    f = b.make("f")
    b.put(logs, f)
    node.restart()
    assert messages(node.client(), GROUP, STREAM) == flat(expected, f)
    assert "Traceback" not in node.log_text()


@pytest.mark.timeout(120)
def test_fsync_failures_in_a_row_then_recovery(node: Node) -> None:
    """Several failures in a row (each write of the discard marker may fail too)."""
    logs = node.client()
    setup_stream(logs)
    b = Batches()
    a = b.make("a")
    b.put(logs, a)
    node.faults(fsync_failures=5)
    refused_batches = []
    for _ in range(5):
        r = b.make("refused")
        try:
            b.put(logs, r)
        except ClientError as e:
            assert_unavailable(e)
            refused_batches.append(r)
            continue
        a += r  # the failures may have been used up by internal writes: accepted is fine
    assert refused_batches, "no write was refused with 5 fsync failures armed"
    node.restart()
    logs = node.client()
    assert messages(logs, GROUP, STREAM) == a
    c = b.make("c")
    b.put(logs, c)
    node.restart()
    assert messages(node.client(), GROUP, STREAM) == flat(a, c)


# --- full disk --------------------------------------------------------------------------------


@pytest.mark.timeout(120)
def test_full_disk_refuses_writes_and_recovers(node: Node) -> None:
    logs = node.client()
    setup_stream(logs)
    b = Batches()
    a = b.make("a")
    b.put(logs, a)

    node.faults(disk_full=True)
    refused_batches = [b.make("full") for _ in range(3)]
    for r in refused_batches:
        refused(logs, b, r)
    # Reads keep working while the disk is full.
    assert messages(logs, GROUP, STREAM) == a
    names = [
        s["logStreamName"] for s in logs.describe_log_streams(logGroupName=GROUP)["logStreams"]
    ]
    assert names == [STREAM]

    node.faults(disk_full=False)
    c = b.make("c")
    b.put(logs, c)
    assert messages(logs, GROUP, STREAM) == flat(a, c)
    node.restart()
    logs = node.client()
    assert messages(logs, GROUP, STREAM) == flat(a, c)

    # Full again, killed while full: nothing refused comes back after the restart.
    node.faults(disk_full=True)
    refused(logs, b, b.make("full"))
    node.restart()
    logs = node.client()
    d = b.make("d")
    b.put(logs, d)
    node.flush()
    node.restart()
    assert messages(node.client(), GROUP, STREAM) == flat(a, c, d)
    assert "Traceback" not in node.log_text()


# --- torn WAL tail ----------------------------------------------------------------------------


def wal_records(path: Path) -> list[tuple[int, int, int]]:
    """(offset, kind, payload length) of each record, read the way owl frames them."""
    data = path.read_bytes()
    out = []
    pos = 0
    while pos + HEADER.size <= len(data):
        magic, length, crc, _key, kind, _flags, _ = HEADER.unpack_from(data, pos)
        if magic != MAGIC:
            break
        end = pos + HEADER.size + length
        assert end <= len(data) and zlib.crc32(data[pos + HEADER.size : end]) == crc
        out.append((pos, kind, length))
        pos = end
    return out


def damage(path: Path, mode: str, offset: int, length: int) -> None:
    """Damage the record at `offset` (header + `length` bytes of payload) as a crash would."""
    end = offset + HEADER.size + length
    if mode == "bad_checksum":  # a sector of the record never reached the disk
        with open(path, "r+b") as f:
            f.seek(offset + HEADER.size + length // 2)
            byte = f.read(1)
            f.seek(-1, os.SEEK_CUR)
            f.write(bytes([byte[0] ^ 0xFF]))
    elif mode == "zeroed_half":  # preallocated file: the second half was never written
        with open(path, "r+b") as f:
            half = offset + HEADER.size + length // 2
            f.seek(half)
            f.write(b"\0" * (end - half))
    elif mode == "truncated":  # the file ends in the middle of the record
        os.truncate(path, offset + HEADER.size + length // 2)
    elif mode == "truncated_header":  # … or in the middle of its header
        os.truncate(path, offset + HEADER.size // 2)
    elif mode == "garbage_after":  # the record is intact, junk follows it
        junk = HEADER.pack(MAGIC, 4096, 0xDEADBEEF, 0, KIND_BATCH, 0, 0) + os.urandom(300)
        with open(path, "r+b") as f:
            f.seek(end)
            f.write(junk)
    else:  # pragma: no cover
        raise AssertionError(mode)


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    "mode", ["bad_checksum", "zeroed_half", "truncated", "truncated_header", "garbage_after"]
)
def test_torn_wal_tail_is_dropped_on_restart(node: Node, mode: str) -> None:
    logs = node.client()
    setup_stream(logs)
    b = Batches()
    flushed = [b.make("flushed") for _ in range(2)]
    for m in flushed:
        b.put(logs, m)
    node.flush()  # these are in a segment; the WAL file still holds their records
    in_wal = [b.make("wal") for _ in range(3)]
    for m in in_wal:
        b.put(logs, m)
    last = b.make("last", size=50)
    b.put(logs, last)
    node.kill()

    wal_dir = node.data_dir / "store" / "wal"
    newest = wal_dir / file_name(list_files(wal_dir)[-1])
    records = wal_records(newest)
    offset, kind, length = records[-1]
    assert kind == KIND_BATCH
    record = newest.read_bytes()[offset : offset + HEADER.size + length]
    payload = open_wal_record(node.data_dir, record)
    assert decode_batch(payload).messages.to_pylist() == last, "the newest record is not `last`"
    damage(newest, mode, offset, length)

    survivors = flat(*flushed, *in_wal) + (last if mode == "garbage_after" else [])
    node.start()
    logs = node.client()
    assert messages(logs, GROUP, STREAM) == survivors
    after = b.make("after")
    b.put(logs, after)
    assert messages(logs, GROUP, STREAM) == flat(survivors, after)
    if mode in ("bad_checksum", "truncated"):  # the other modes end the same way
        # Killed again: the damaged file is replayed once more, then the newer ones.
        node.restart()
        logs = node.client()
        assert messages(logs, GROUP, STREAM) == flat(survivors, after)
        node.flush()
        node.restart(signal.SIGTERM)
        assert messages(node.client(), GROUP, STREAM) == flat(survivors, after)
    assert "Traceback" not in node.log_text()


# --- delete and create again ------------------------------------------------------------------


def segment_messages(data_dir: Path) -> set[str]:
    out: set[str] = set()
    for p in (data_dir / "store" / "segments").glob("*.parquet"):
        try:
            out.update(r[0] for r in query_segments(data_dir, [p], "SELECT message FROM seg"))
        except (FileNotFoundError, duckdb.IOException):
            continue  # removed by a merge while we looked
    return out


@pytest.mark.timeout(120)
@pytest.mark.parametrize("what", ["stream", "group"])
@pytest.mark.parametrize("old_flushed", [True, False], ids=["old_in_segment", "old_in_wal"])
def test_recreated_stream_starts_empty(node: Node, what: str, old_flushed: bool) -> None:
    logs = node.client()
    setup_stream(logs)
    b = Batches()
    old = [b.make("old") for _ in range(3)]
    for m in old:
        b.put(logs, m)
    if old_flushed:
        node.flush()
    last = b.make("old-memtable")
    b.put(logs, last)
    old_all = set(flat(*old, last))
    assert set(messages(logs, GROUP, STREAM)) == old_all

    if what == "stream":
        logs.delete_log_stream(logGroupName=GROUP, logStreamName=STREAM)
        logs.create_log_stream(logGroupName=GROUP, logStreamName=STREAM)
    else:
        logs.delete_log_group(logGroupName=GROUP)
        setup_stream(logs)
    time.sleep(1.5)  # background maintenance rewrites the segments that held the old events

    def check(expected: list[str]) -> None:
        assert messages(logs, GROUP, STREAM) == expected
        (desc,) = logs.describe_log_streams(logGroupName=GROUP)["logStreams"]
        if not expected:
            assert "firstEventTimestamp" not in desc and "lastEventTimestamp" not in desc, desc

    check([])
    node.flush()
    check([])
    node.restart()
    logs = node.client()
    check([])
    new = b.make("new")
    b.put(logs, new)
    check(new)
    node.flush()
    check(new)
    node.restart()
    logs = node.client()
    check(new)
    node.flush()
    # The old incarnation's events are rewritten out of the segments (by the background merge)
    # and must never come back into them.
    deadline = time.monotonic() + 15
    while (leaked := segment_messages(node.data_dir) & old_all) and time.monotonic() < deadline:
        time.sleep(0.25)
    assert not leaked, f"{len(leaked)} events of the deleted {what} are still in segments"
    check(new)


@pytest.mark.timeout(120)
def test_deleted_stream_does_not_come_back_from_the_wal(node: Node) -> None:
    """Deletion is remembered as long as a WAL file still holds the deleted stream's batches."""
    logs = node.client()
    setup_stream(logs)
    logs.create_log_stream(logGroupName=GROUP, logStreamName="sibling")
    b = Batches()
    old = b.make("old")
    b.put(logs, old)
    sibling = b.make("sibling")
    b.put(logs, sibling, stream="sibling")
    logs.delete_log_stream(logGroupName=GROUP, logStreamName=STREAM)
    logs.create_log_stream(logGroupName=GROUP, logStreamName=STREAM)
    time.sleep(2)  # several background maintenance rounds
    # Another deletion rewrites the store's manifest; then the server dies.
    logs.delete_log_stream(logGroupName=GROUP, logStreamName="sibling")
    node.restart()
    logs = node.client()
    assert messages(logs, GROUP, STREAM) == []
    node.flush()
    time.sleep(2)
    assert messages(logs, GROUP, STREAM) == []
    leaked = segment_messages(node.data_dir) & set(old + sibling)
    assert not leaked, f"deleted events were written into segments again: {sorted(leaked)}"
