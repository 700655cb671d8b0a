"""The write-ahead log: fixed-size files of checksummed records, fsynced with group commit.

Record = 20-byte header (magic, payload length, CRC-32 of the payload, key id, kind, flags)
followed by the payload. A batch of a group is sealed with the group's data key (AES-GCM, see
owl.store.crypto) whose id the header names; 0 means plaintext (discard markers, and stores
opened without a key ring). A batch record carries one PutLogEvents batch with its sequence
numbers, which were assigned before the record was queued, so replay reproduces them.

One writer thread drains the queue: every record queued while the previous fsync ran is written
and made durable by one fdatasync (group commit). Only then are the batches handed to `apply`
(the memtable) and their futures resolved, so an acknowledged event is always on disk. A failed
write or fsync fails every batch of that group, abandons the file (it is never written again)
and records a discard marker in the next file, durable before the refusal is answered (or, if
that fails too, first in the next commit), so replay never resurrects a failed batch.
"""

from __future__ import annotations

import logging
import os
import struct
import threading
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from owl.store.crypto import DataKey, KeyUnavailableError, open_sealed, seal
from owl.store.faults import Faults

log = logging.getLogger("owl.store.wal")

MAGIC = 0x314C574F  # b"OWL1" little-endian
HEADER = struct.Struct("<IIIIBBH")
KIND_BATCH = 1
KIND_DISCARD = 2
_BATCH_HEAD = struct.Struct("<qqqqI")
_DISCARD = struct.Struct("<IQ")


class WalWriteError(Exception):
    """The batch is not durable; the client must be told so (and may retry)."""


@dataclass
class WalBatch:
    """One PutLogEvents batch on its way into the store."""

    group_id: int
    stream_id: int
    seq_start: int
    ingest_ms: int
    ts: pa.Array  # int64
    messages: pa.Array  # string
    file_no: int = 0  # the WAL file that holds it, set once written
    key: DataKey | None = None  # the data key its record is sealed with

    @property
    def key_id(self) -> int | None:
        return self.key.id if self.key is not None else None

    @property
    def count(self) -> int:
        return len(self.ts)


def _string_buffers(messages: pa.Array) -> tuple[np.ndarray, memoryview]:
    """Offsets rebased to 0 and the data bytes of a (possibly sliced) string array."""
    bufs = messages.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int32)[
        messages.offset : messages.offset + len(messages) + 1
    ]
    start, end = int(offsets[0]), int(offsets[-1])
    data = memoryview(bufs[2])[start:end] if bufs[2] is not None else memoryview(b"")
    return (offsets - start).astype(np.int32, copy=False), data


def encode_batch(batch: WalBatch) -> bytes:
    ts = batch.ts.to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    offsets, data = _string_buffers(batch.messages)
    head = _BATCH_HEAD.pack(
        batch.group_id, batch.stream_id, batch.seq_start, batch.ingest_ms, batch.count
    )
    return b"".join((head, ts.tobytes(), offsets.tobytes(), data))


def decode_batch(payload: memoryview) -> WalBatch:
    group_id, stream_id, seq_start, ingest_ms, n = _BATCH_HEAD.unpack_from(payload, 0)
    pos = _BATCH_HEAD.size
    ts = np.frombuffer(payload, dtype=np.int64, count=n, offset=pos).copy()
    pos += 8 * n
    offsets = np.frombuffer(payload, dtype=np.int32, count=n + 1, offset=pos).copy()
    pos += 4 * (n + 1)
    data = bytes(payload[pos : pos + int(offsets[-1])])
    messages = pa.Array.from_buffers(
        pa.string(), n, [None, pa.py_buffer(offsets.tobytes()), pa.py_buffer(data)]
    )
    return WalBatch(group_id, stream_id, seq_start, ingest_ms, pa.array(ts), messages)


def _aad(kind: int, key_id: int) -> bytes:
    return struct.pack("<IBI", MAGIC, kind, key_id)


def frame(kind: int, payload: bytes, key: DataKey | None = None) -> bytes:
    key_id = 0
    if key is not None:
        key_id = key.id
        payload = seal(key.material, _aad(kind, key_id), payload)
    crc = zlib.crc32(payload)
    return HEADER.pack(MAGIC, len(payload), crc, key_id, kind, 0, 0) + payload


def file_name(no: int) -> str:
    return f"wal-{no:08d}.log"


def list_files(directory: Path) -> list[int]:
    out = []
    for p in directory.glob("wal-*.log"):
        try:
            out.append(int(p.stem.split("-")[1]))
        except (IndexError, ValueError):
            continue
    return sorted(out)


def _records(path: Path) -> Iterator[tuple[int, int, int, memoryview]]:
    """(offset, kind, key id, payload) of each intact record; stops at the first torn or empty one.

    Reads record by record, so the zero-filled, preallocated tail of a file costs nothing.
    """
    with path.open("rb") as f:
        pos = 0
        while True:
            head = f.read(HEADER.size)
            if len(head) < HEADER.size:
                return
            magic, length, crc, key_id, kind, _flags, _ = HEADER.unpack(head)
            if magic != MAGIC:
                return
            payload = f.read(length)
            if len(payload) < length:
                log.warning("Torn WAL record dropped file=%s offset=%d", path.name, pos)
                return
            if zlib.crc32(payload) != crc:
                log.warning(
                    "WAL record with a bad checksum dropped file=%s offset=%d", path.name, pos
                )
                return
            yield pos, kind, key_id, memoryview(payload)
            pos += HEADER.size + length


def replay(directory: Path, material: Callable[[int], bytes] | None = None) -> Iterator[WalBatch]:
    """Every durable, not discarded batch of the WAL, in write order.

    A sealed batch whose data key is gone (its KMS key was deleted) is skipped: its events
    were shredded with the key.
    """
    files = list_files(directory)
    discards: dict[int, int] = {}
    for no in files:
        for _, kind, _key, payload in _records(directory / file_name(no)):
            if kind == KIND_DISCARD:
                for i in range(0, len(payload), _DISCARD.size):
                    f, off = _DISCARD.unpack_from(payload, i)
                    discards[f] = min(off, discards.get(f, off))
    for no in files:
        cut = discards.get(no)
        for offset, kind, key_id, payload in _records(directory / file_name(no)):
            if cut is not None and offset >= cut:
                break
            if kind != KIND_BATCH:
                continue
            key = None
            if key_id:
                try:
                    if material is None:
                        raise KeyUnavailableError(key_id, "no key ring")
                    key = DataKey(key_id, material(key_id))
                    payload = memoryview(open_sealed(key.material, _aad(kind, key_id), payload))
                except KeyUnavailableError as e:
                    log.warning(
                        "WAL batch skipped: its data key is gone file=%s offset=%d reason=%s",
                        file_name(no),
                        offset,
                        e.reason,
                    )
                    continue
                except ValueError:
                    log.error(
                        "WAL batch does not open under its data key file=%s offset=%d",
                        file_name(no),
                        offset,
                    )
                    continue
            batch = decode_batch(payload)
            batch.file_no = no
            batch.key = key
            yield batch


@dataclass
class _Pending:
    batch: WalBatch
    record: bytes
    future: Future[None] = field(default_factory=Future)


class WalWriter:
    """Appends batch records with group commit; see the module docstring for the guarantees."""

    def __init__(
        self,
        directory: Path,
        *,
        file_size: int,
        faults: Faults,
        apply: Callable[[list[WalBatch]], None],
        fsync: bool = True,
    ) -> None:
        self.directory = directory
        self.file_size = file_size
        self.faults = faults
        self.apply = apply
        self.fsync = fsync
        directory.mkdir(parents=True, exist_ok=True)
        existing = list_files(directory)
        # Never append to a file written before a restart: its tail may be torn.
        self._file_no = (existing[-1] if existing else 0) + 1
        self._fd = -1
        self._offset = 0
        self._sizes: dict[int, int] = {
            no: (directory / file_name(no)).stat().st_size for no in existing
        }
        self._discards: list[tuple[int, int]] = []
        # First file holding records of the group being committed: durable records are not
        # in the memtable until applied, so retirement must not reach them before that.
        self._committing_from: int | None = None
        self._queue: list[_Pending] = []
        self._cond = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="owl-wal", daemon=True)
        self._thread.start()

    # -- public ----------------------------------------------------------------------------

    def submit(self, batch: WalBatch) -> Future[None]:
        """Queue a batch; the future resolves once it is durable and applied."""
        pending = _Pending(batch, frame(KIND_BATCH, encode_batch(batch), batch.key))
        with self._cond:
            if self._closed:
                raise WalWriteError("The write-ahead log is closed.")
            self._queue.append(pending)
            self._cond.notify()
        return pending.future

    @property
    def active_file(self) -> int:
        return self._file_no

    def oldest_unapplied(self) -> int | None:
        """First file of the group being committed (durable soon, not yet in the memtable)."""
        with self._cond:
            return self._committing_from

    def oldest_file(self) -> int:
        """The oldest WAL file still on disk (the next one to be written when there is none)."""
        with self._cond:
            if self._sizes:
                return min(self._sizes)
        return self.first_future_file()

    def first_future_file(self) -> int:
        """The oldest file that a write from now on can go to."""
        with self._cond:
            sealed = self._fd < 0 and self._file_no in self._sizes
            return self._file_no + 1 if sealed else self._file_no

    def seal(self) -> bool:
        """Close the current file when idle, so that it can be retired once flushed (the next
        write opens a new one). True when sealed."""
        with self._cond:
            if self._queue or self._committing_from is not None or self._fd < 0:
                return False
            os.close(self._fd)
            self._fd = -1
            return True

    def total_bytes(self) -> int:
        with self._cond:
            return sum(self._sizes.values())

    def retire_before(self, file_no: int) -> None:
        """Delete WAL files older than `file_no` (their batches are all in segments)."""
        with self._cond:
            if self._committing_from is not None:
                file_no = min(file_no, self._committing_from)
            open_file = self._file_no if self._fd >= 0 else None
            doomed = [n for n in self._sizes if n < file_no and n != open_file]
            for n in doomed:
                del self._sizes[n]
        for n in doomed:
            try:
                (self.directory / file_name(n)).unlink()
            except FileNotFoundError:
                pass

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join()
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    # -- writer thread ---------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if not self._queue and self._closed:
                    return
                group, self._queue = self._queue, []
                # Set with the take, so `seal` and retirement never see a taken, unmarked group.
                self._committing_from = self._file_no
            self._commit(group)

    def _open_next(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        self._file_no += 1 if self._sizes.get(self._file_no) is not None else 0
        path = self.directory / file_name(self._file_no)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            self.faults.before_write()
            os.posix_fallocate(fd, 0, self.file_size)
            dir_fd = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError:
            os.close(fd)
            path.unlink(missing_ok=True)
            raise
        self._fd = fd
        self._offset = 0
        with self._cond:
            self._sizes[self._file_no] = 0

    def _write(self, record: bytes, written: list[tuple[int, int]]) -> None:
        if self._fd < 0 or self._offset + len(record) > self.file_size:
            if self._fd >= 0:
                self._sync()
            self._open_next()
        if not written or written[-1][0] != self._file_no:
            written.append((self._file_no, self._offset))
        self.faults.before_write()
        view = memoryview(record)
        while view:
            n = os.pwrite(self._fd, view, self._offset)
            self._offset += n
            view = view[n:]
        with self._cond:
            self._sizes[self._file_no] = self._offset

    def _sync(self) -> None:
        if not self.fsync:
            return
        self.faults.before_fsync()
        os.fdatasync(self._fd)

    def _commit(self, group: list[_Pending]) -> None:
        try:
            self._commit_group(group)
        finally:
            with self._cond:
                self._committing_from = None

    def _commit_group(self, group: list[_Pending]) -> None:
        written: list[tuple[int, int]] = []
        try:
            if self._discards:
                payload = b"".join(_DISCARD.pack(f, off) for f, off in self._discards)
                self._write(frame(KIND_DISCARD, payload), written)
            for p in group:
                self._write(p.record, written)
                p.batch.file_no = self._file_no
            self._sync()
        except OSError as e:
            log.error(
                "WAL write failed; batches refused and file abandoned file=%d errno=%s",
                self._file_no,
                e.errno,
            )
            self._discards.extend(written)
            self._abandon()
            self._persist_discards()
            err = WalWriteError(f"The write-ahead log could not persist the batch: {e.strerror}")
            for p in group:
                p.future.set_exception(err)
            return
        self._discards.clear()
        try:
            self.apply([p.batch for p in group])
        except Exception as e:  # pragma: no cover - apply must not fail; never hang clients
            log.exception("Applying durable batches failed")
            for p in group:
                p.future.set_exception(e)
            return
        for p in group:
            p.future.set_result(None)

    def _persist_discards(self) -> None:
        """Make the discard marker durable before the refusal is answered.

        The refused records may be in the abandoned file already (in the page cache at least),
        so a crash before the next successful commit would replay them. If this fails too, the
        marker stays pending and goes first into the next commit.
        """
        if not self._discards:
            return
        payload = b"".join(_DISCARD.pack(f, off) for f, off in self._discards)
        try:
            self._write(frame(KIND_DISCARD, payload), [])
            self._sync()
        except OSError as e:
            log.error(
                "WAL discard marker not persisted; kept for the next write file=%d errno=%s",
                self._file_no,
                e.errno,
            )
            self._abandon()
            return
        self._discards.clear()

    def _abandon(self) -> None:
        """Stop using the current file; the next write opens a new one."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        self._file_no += 1
