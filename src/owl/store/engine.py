"""The Store: appends through the WAL, versions of memtable + segments, flush, merge, drop.

Threads: request threads call `append` (which only queues) and the read methods; the WAL
writer thread applies durable batches; one maintenance thread flushes, merges and retires WAL
files. One lock guards the in-memory state; file writing happens outside it.

Versions: a reader pins a group's version (its memtable snapshot and segment list) for the
whole read. Flush, merge and drop install new versions; a segment file that left the current
version is deleted only when no pinned version still lists it.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from owl.errors import ThrottledError, UnavailableError
from owl.store import crypto
from owl.store import manifest as manifest_io
from owl.store.crypto import DataKey, KeyRing, KeyUnavailableError
from owl.store.events import SCHEMA, make_batch
from owl.store.faults import Faults
from owl.store.manifest import Manifest, Segment
from owl.store.memtable import GroupMemtable, MemSnapshot
from owl.store.segment import merge_segments, write_segment
from owl.store.wal import WalBatch, WalWriteError, WalWriter, replay

log = logging.getLogger("owl.store")


@dataclass(frozen=True)
class StoreConfig:
    wal_file_bytes: int = 64 * 1024 * 1024
    fsync: bool = True
    flush_bytes: int = 32 * 1024 * 1024  # flush a group's memtable past this size
    flush_age_s: float = 300.0  # … or when its oldest batch is this old
    wal_budget_bytes: int = 512 * 1024 * 1024  # flush the oldest WAL's groups past this
    memtable_budget_bytes: int = 2 * 1024 * 1024 * 1024  # throttle writes past this
    min_free_disk_bytes: int = 64 * 1024 * 1024  # refuse writes below this
    merge_fanin: int = 4  # merge this many segments of one level
    maintenance_interval_s: float = 0.5
    # DuckDB's memory for reads, merges and queries; past it, sorts and aggregations spill to
    # `tmp/` inside the data directory. Default: a quarter of the machine's memory.
    duckdb_memory_bytes: int | None = None


@dataclass(frozen=True)
class StreamStats:
    first_ts: int
    last_ts: int
    last_ingest: int

    def merge(self, other: StreamStats) -> StreamStats:
        return StreamStats(
            min(self.first_ts, other.first_ts),
            max(self.last_ts, other.last_ts),
            max(self.last_ingest, other.last_ingest),
        )


@dataclass(frozen=True)
class GroupView:
    """What a reader of one group sees: a memtable snapshot and the segment files."""

    mem: MemSnapshot
    segments: tuple[Segment, ...]
    segment_dir: Path


@dataclass
class _Group:
    mem: GroupMemtable = field(default_factory=GroupMemtable)
    segments: tuple[Segment, ...] = ()
    flushing: bool = False


class Store:
    def __init__(
        self,
        root: Path,
        config: StoreConfig | None = None,
        *,
        faults: Faults | None = None,
        now_ms: Callable[[], int] | None = None,
        keyring: KeyRing | None = None,
    ) -> None:
        self.root = root
        # Data keys to encrypt under (None: plaintext, for store tests that need no keys).
        self.keyring = keyring
        self.config = config or StoreConfig()
        self.faults = faults or Faults()
        self.now_ms = now_ms or (lambda: time.time_ns() // 1_000_000)
        self.segment_dir = root / "segments"
        self.wal_dir = root / "wal"
        self.manifest_path = root / "MANIFEST.json"
        for d in (root, self.segment_dir, self.wal_dir, root / "tmp"):
            d.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._groups: dict[int, _Group] = {}
        self._manifest = Manifest()
        self._next_seq = 1
        self._pins: dict[int, int] = {}  # segment id → readers holding a version with it
        self._obsolete: dict[int, Segment] = {}  # left the current version, file not deleted
        self._stats: dict[int, StreamStats] = {}
        self._dirty_stats: dict[int, StreamStats] = {}
        # Deleted streams no segment holds any more. Their entry stays in the manifest (replay
        # skips them) until no WAL file older than `_deleted_wal` (newest one that may hold a
        # batch of a deleted stream) is left.
        self._rewritten: set[tuple[int, int]] = set()
        self._deleted_wal = 0
        self._disk_checked = 0.0
        self._mem_checked = 0.0
        self._mem_over = False
        self._disk_ok = True
        # Segments never change once written (a new version gets a new file), so their Parquet
        # footers can be cached: a read of one time window then skips re-parsing them.
        self._key_lock = threading.Lock()
        self._registered: set[int] = set()  # data keys DuckDB holds
        self._db = self._connect()
        self._flush_lock = threading.Lock()  # one flush or merge at a time
        self.before_retire: Callable[[], None] = lambda: None
        self._wal: WalWriter | None = None
        self._stop = threading.Event()
        self._maintenance: threading.Thread | None = None

    def _connect(self) -> duckdb.DuckDBPyConnection:
        memory = self.config.duckdb_memory_bytes or _physical_memory() // 4
        con = crypto.connect(
            {
                "temp_directory": str(self.root / "tmp"),
                "threads": 2,
                "memory_limit": f"{max(memory, 64 * 2**20) // 2**20}MiB",
            }
        )
        con.execute("SET parquet_metadata_cache = true")
        return con

    # -- keys ------------------------------------------------------------------------------

    def _material(self, key_id: int) -> bytes:
        if self.keyring is None:
            raise KeyUnavailableError(key_id, "the store has no key ring")
        return self.keyring.material(key_id)

    def _register(self, key_ids: Iterable[int | None]) -> None:
        """Give DuckDB the data keys of files about to be read or written."""
        with self._key_lock:
            for kid in key_ids:
                if kid is not None and kid not in self._registered:
                    crypto.register_key(self._db, kid, self._material(kid))
                    self._registered.add(kid)

    def sources(self, segments: Iterable[Segment]) -> list[str]:
        """`read_parquet(...)` expressions over `segments`, one per data key (DuckDB reads one
        key per call); KeyUnavailableError when a key is gone."""
        by_key: dict[int | None, list[str]] = {}
        for s in segments:
            by_key.setdefault(s.key_id, []).append(str(self.segment_dir / s.file))
        self._register(by_key)
        return [crypto.read_parquet(files, kid) for kid, files in by_key.items()]

    def shred(self, key_ids: Iterable[int]) -> int:
        """Forget every event under `key_ids` (their KMS key was deleted): segments leave the
        versions (files go once unpinned), memtable batches are dropped, and DuckDB is
        rebuilt so that it no longer holds the keys. Returns the number of segments dropped."""
        gone_keys = set(key_ids)
        dropped = 0
        with self._flush_lock, self._lock:
            for g in self._groups.values():
                old = [s for s in g.segments if s.key_id in gone_keys]
                if old:
                    g.segments = tuple(s for s in g.segments if s.key_id not in gone_keys)
                    for s in old:
                        self._obsolete[s.id] = s
                    dropped += len(old)
                if any(k in gone_keys for k in g.mem.keys):
                    mem = g.mem
                    g.mem = mem.kept(lambda i, m=mem: m.keys[i] not in gone_keys)  # type: ignore[misc]
            self._manifest.segments = [
                s for s in self._manifest.segments if s.key_id not in gone_keys
            ]
            self._save_manifest()
            self._collect_garbage()
            self.forget(gone_keys)
        if dropped:
            log.info("Shredded data keys=%d segments=%d", len(gone_keys), dropped)
        return dropped

    def forget(self, key_ids: Iterable[int]) -> None:
        """Rebuild DuckDB if it holds any of `key_ids` (their KMS key was disabled or
        deleted): old cursors keep the old instance until they finish, new reads get one that
        never saw the keys, and register them again only once they are usable."""
        with self._key_lock:
            if set(key_ids) & self._registered:
                self._db = self._connect()
                self._registered = set()

    # -- lifecycle -------------------------------------------------------------------------

    def open(self, *, background: bool = True) -> None:
        """Load the manifest, replay the WAL, then accept writes."""
        self._manifest = manifest_io.load(self.manifest_path)
        m = self._manifest
        self._next_seq = m.next_seq
        for seg in m.segments:
            self._groups.setdefault(seg.group_id, _Group()).segments += (seg,)
        self._remove_orphans()
        replayed = 0
        for batch in replay(self.wal_dir, self._material if self.keyring else None):
            self._next_seq = max(self._next_seq, batch.seq_start + batch.count)
            if batch.group_id in m.dropped_groups:
                continue
            if batch.stream_id in m.deleted_streams.get(batch.group_id, set()):
                continue
            self._note_stats(batch)
            if batch.seq_start + batch.count - 1 <= m.flushed_seq.get(batch.group_id, 0):
                continue  # already in a segment
            self._apply_one(batch)
            replayed += batch.count
        self._wal = WalWriter(
            self.wal_dir,
            file_size=self.config.wal_file_bytes,
            faults=self.faults,
            apply=self._apply,
            fsync=self.config.fsync,
        )
        self._deleted_wal = self._wal.active_file - 1  # new writes go to new files only
        log.info(
            "Store opened segments=%d replayed_events=%d next_seq=%d",
            len(m.segments),
            replayed,
            self._next_seq,
        )
        if background:
            self._maintenance = threading.Thread(
                target=self._maintain_loop, name="owl-store-maintenance", daemon=True
            )
            self._maintenance.start()

    def close(self) -> None:
        """Stop maintenance and the WAL; memtables stay in the WAL for the next start."""
        self._stop.set()
        if self._maintenance is not None:
            self._maintenance.join()
        if self._wal is not None:
            self._wal.close()
        self._db.close()

    def _remove_orphans(self) -> None:
        """Segment files not in the manifest are leftovers of an interrupted flush or merge."""
        known = {s.file for s in self._manifest.segments}
        for p in self.segment_dir.iterdir():
            if p.name not in known:
                p.unlink()

    # -- writes ----------------------------------------------------------------------------

    def append(
        self, group_id: int, stream_id: int, ts: pa.Array, messages: pa.Array, ingest_ms: int
    ) -> Future[None]:
        """Queue one batch (already validated, sorted by time); resolves once durable."""
        self._admit()
        assert self._wal is not None
        key: DataKey | None = None
        if self.keyring is not None:
            key = self.keyring.for_write(group_id)  # KeyUnavailableError: refused, not stored
        with self._lock:
            seq = self._next_seq
            self._next_seq += len(ts)
            batch = WalBatch(group_id, stream_id, seq, ingest_ms, ts, messages, key=key)
            try:
                return self._wal.submit(batch)
            except WalWriteError as e:
                raise UnavailableError(str(e), reason="wal_closed") from None

    def _admit(self) -> None:
        """Back-pressure: refuse rather than grow without bound."""
        now = time.monotonic()
        if now - self._mem_checked > 0.1:  # a sum over every group: not once per request
            self._mem_checked = now
            self._mem_over = self.memtable_bytes() > self.config.memtable_budget_bytes
        if self._mem_over:
            raise ThrottledError(
                "Rate exceeded: the in-memory table is full.", reason="memtable_full"
            )
        assert self._wal is not None
        if self._wal.total_bytes() > 2 * self.config.wal_budget_bytes:
            raise ThrottledError("Rate exceeded: the write-ahead log is full.", reason="wal_full")
        if now - self._disk_checked > 1.0:
            self._disk_checked = now
            self._disk_ok = shutil.disk_usage(self.root).free >= self.config.min_free_disk_bytes
        if not self._disk_ok or self.faults.disk_full:
            raise UnavailableError(
                "The service cannot store events now: the disk is full.", reason="disk_full"
            )

    def _apply(self, batches: list[WalBatch]) -> None:
        with self._lock:
            for b in batches:
                if b.group_id in self._manifest.dropped_groups:
                    continue
                if b.stream_id in self._manifest.deleted_streams.get(b.group_id, ()):
                    continue  # appended while the stream was being deleted
                self._note_stats(b)
                self._apply_one(b)

    def _apply_one(self, b: WalBatch) -> None:
        rb = make_batch(b.stream_id, b.seq_start, b.ingest_ms, b.ts, b.messages)
        group = self._groups.setdefault(b.group_id, _Group())
        group.mem.append(rb, b.stream_id, b.file_no, b.seq_start + b.count - 1, b.key_id)

    def _note_stats(self, b: WalBatch) -> None:
        if b.count == 0:
            return
        ts = b.ts
        new = StreamStats(int(ts[0].as_py()), int(ts[-1].as_py()), b.ingest_ms)
        old = self._stats.get(b.stream_id)
        merged = new if old is None else old.merge(new)
        self._stats[b.stream_id] = merged
        self._dirty_stats[b.stream_id] = merged

    # -- stream statistics -----------------------------------------------------------------

    def stream_stats(self, stream_id: int) -> StreamStats | None:
        return self._stats.get(stream_id)

    def take_dirty_stats(self) -> dict[int, StreamStats]:
        """Stats changed since the last call (the server persists them in the catalog)."""
        with self._lock:
            dirty, self._dirty_stats = self._dirty_stats, {}
        return dirty

    def mark_dirty(self, stats: dict[int, StreamStats]) -> None:
        with self._lock:
            for sid, st in stats.items():
                cur = self._dirty_stats.get(sid)
                self._dirty_stats[sid] = st if cur is None else cur.merge(st)

    def seed_stats(self, stats: dict[int, StreamStats]) -> None:
        """Stats persisted before a restart, merged under what the WAL replay found."""
        with self._lock:
            for sid, s in stats.items():
                cur = self._stats.get(sid)
                self._stats[sid] = s if cur is None else cur.merge(s)

    # -- reads -----------------------------------------------------------------------------

    def pin(self, group_id: int) -> GroupView:
        """The group's current version, pinned until `unpin`: its files stay on disk."""
        with self._lock:
            group = self._groups.get(group_id)
            if group is None:
                view = GroupView(MemSnapshot([], [], 0), (), self.segment_dir)
            else:
                view = GroupView(group.mem.snapshot(), group.segments, self.segment_dir)
            for s in view.segments:
                self._pins[s.id] = self._pins.get(s.id, 0) + 1
        return view

    def unpin(self, view: GroupView) -> None:
        with self._lock:
            for s in view.segments:
                self._pins[s.id] -= 1
                if self._pins[s.id] == 0:
                    del self._pins[s.id]
            self._collect_garbage()

    @contextmanager
    def view(self, group_id: int) -> Iterator[GroupView]:
        """Pin the group's current version for the duration of a read."""
        view = self.pin(group_id)
        try:
            yield view
        finally:
            self.unpin(view)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A DuckDB connection for one thread's read."""
        return self._db.cursor()

    # -- drop ------------------------------------------------------------------------------

    def drop_group(self, group_id: int) -> None:
        """Forget every event of a group incarnation (memtable now, files once unpinned)."""
        with self._lock:
            self._manifest.dropped_groups.add(group_id)
            group = self._groups.pop(group_id, None)
            if group is not None:
                for s in group.segments:
                    self._obsolete[s.id] = s
                self._manifest.segments = [
                    s for s in self._manifest.segments if s.group_id != group_id
                ]
            self._manifest.flushed_seq.pop(group_id, None)
            self._manifest.deleted_streams.pop(group_id, None)
            self._save_manifest()
            self._collect_garbage()

    def drop_stream(self, group_id: int, stream_id: int) -> None:
        """Forget a stream incarnation's events; segments holding it are rewritten later."""
        with self._lock:
            self._stats.pop(stream_id, None)
            self._dirty_stats.pop(stream_id, None)
            group = self._groups.get(group_id)
            if group is None:
                return
            group.mem = group.mem.without_stream(stream_id)
            # Segments (present, or being written by a flush now) are rewritten without it.
            self._manifest.deleted_streams.setdefault(group_id, set()).add(stream_id)
            if self._wal is not None:
                self._deleted_wal = self._wal.active_file
            self._save_manifest()

    # -- flush, merge, WAL retirement ------------------------------------------------------

    def flush(self, group_id: int | None = None) -> None:
        """Flush one group's memtable (or all) to segments now."""
        ids = [group_id] if group_id is not None else list(self._groups)
        for gid in ids:
            self._flush_group(gid)
        assert self._wal is not None
        if group_id is None and self.memtable_bytes() == 0:
            self._wal.seal()  # everything is in segments: the WAL file can go too
        self._retire_wal()

    def maintain(self) -> None:
        """One round of background work: due flushes, merges, stream rewrites, WAL retirement."""
        cfg = self.config
        now = time.monotonic()
        assert self._wal is not None
        with self._lock:
            due = [
                gid
                for gid, g in self._groups.items()
                if g.mem.batches
                and (g.mem.nbytes >= cfg.flush_bytes or now - g.mem.since >= cfg.flush_age_s)
            ]
            if self._wal.total_bytes() > cfg.wal_budget_bytes:
                oldest = min(
                    (
                        f
                        for g in self._groups.values()
                        if (f := g.mem.oldest_wal_file()) is not None
                    ),
                    default=None,
                )
                due += [
                    gid
                    for gid, g in self._groups.items()
                    if oldest is not None and g.mem.oldest_wal_file() == oldest and gid not in due
                ]
        for gid in due:
            self._flush_group(gid)
        self._retire_wal()
        self._merge_round()

    def _maintain_loop(self) -> None:
        while not self._stop.wait(self.config.maintenance_interval_s):
            try:
                self.maintain()
            except Exception:
                log.exception("Store maintenance failed; will retry")

    def _flush_group(self, group_id: int) -> None:
        with self._flush_lock:
            with self._lock:
                group = self._groups.get(group_id)
                if group is None or not group.mem.batches:
                    return
                snap = group.mem.snapshot()
                max_seq = max(group.mem.max_seqs[: snap.n])
                # One segment per data key (a day, or a KMS key change, splits a memtable).
                keys = list(dict.fromkeys(snap.keys[: snap.n]))
                seg_ids = list(
                    range(self._manifest.next_segment, self._manifest.next_segment + len(keys))
                )
                self._manifest.next_segment += len(keys)
            self._register(keys)
            segs = []
            for kid, seg_id in zip(keys, seg_ids, strict=True):
                batches = [b for b, k in zip(snap.all(), snap.keys, strict=False) if k == kid]
                table = pa.Table.from_batches(batches, schema=SCHEMA)
                segs.append(
                    write_segment(
                        self.cursor(), self.segment_dir, seg_id, group_id, table, key_id=kid
                    )
                )
            with self._lock:
                group2 = self._groups.get(group_id)
                if group2 is not group or group_id in self._manifest.dropped_groups:
                    for seg in segs:
                        (self.segment_dir / seg.file).unlink(missing_ok=True)
                    return
                group.segments += tuple(segs)
                if group.mem.batches is snap.batches:
                    group.mem = group.mem.rest_after(snap.n)
                else:  # a stream was dropped meanwhile; the merge round rewrites the segment
                    group.mem = _drop_flushed(group.mem, max_seq)
                self._manifest.segments.extend(segs)
                self._manifest.flushed_seq[group_id] = max(
                    max_seq, self._manifest.flushed_seq.get(group_id, 0)
                )
                self._save_manifest()
            log.debug(
                "Flushed group=%d segments=%d rows=%d",
                group_id,
                len(segs),
                sum(s.rows for s in segs),
            )

    def _merge_round(self) -> None:
        """Size-tiered: merge `merge_fanin` segments of one level, or rewrite to drop streams."""
        with self._flush_lock, self._lock:
            work: list[tuple[int, tuple[Segment, ...], list[int]]] = []
            for gid, sids in self._manifest.deleted_streams.items():
                if not self._groups.get(gid, _Group()).segments:
                    self._rewritten.update((gid, sid) for sid in sids)  # no segment holds them
            self._forget_deletions()
            for gid, g in self._groups.items():
                deleted = sorted(
                    sid
                    for sid in self._manifest.deleted_streams.get(gid, set())
                    if (gid, sid) not in self._rewritten
                )
                if deleted:
                    by_key: dict[int | None, list[Segment]] = {}
                    for s in g.segments:
                        by_key.setdefault(s.key_id, []).append(s)
                    work.extend((gid, tuple(segs), deleted) for segs in by_key.values())
                    continue
                by_level: dict[tuple[int, int | None], list[Segment]] = {}
                for s in g.segments:
                    by_level.setdefault((s.level, s.key_id), []).append(s)
                for segs in by_level.values():
                    if len(segs) >= self.config.merge_fanin:
                        work.append((gid, tuple(segs[: self.config.merge_fanin * 2]), []))
                        break
        for gid, inputs, deleted in work:
            self._merge(gid, inputs, deleted)

    def expire(self, group_id: int, cutoff_ms: int) -> tuple[int, int]:
        """Retention: delete the group's events before `cutoff_ms` from disk. Segments wholly
        older leave the version (their files go once no reader pins them); a segment that
        straddles the cutoff is rewritten without its old rows. Expired rows still in the
        memtable are hidden by readers and go with the segment they are flushed to.
        Returns (segments dropped, segments rewritten)."""
        with self._flush_lock:
            with self._lock:
                group = self._groups.get(group_id)
                if group is None:
                    return 0, 0
                old = tuple(s for s in group.segments if s.max_ts < cutoff_ms)
                edge = [s for s in group.segments if s.min_ts < cutoff_ms <= s.max_ts]
                if old:
                    gone = {s.id for s in old}
                    group.segments = tuple(s for s in group.segments if s.id not in gone)
                    self._manifest.segments = [
                        s for s in self._manifest.segments if s.id not in gone
                    ]
                    for s in old:
                        self._obsolete[s.id] = s
                    self._save_manifest()
                    self._collect_garbage()
        for seg in edge:
            self._merge(group_id, (seg,), [], min_ts=cutoff_ms)
        if old or edge:
            log.info("Retention group=%d dropped=%d rewritten=%d", group_id, len(old), len(edge))
        return len(old), len(edge)

    def _merge(
        self,
        group_id: int,
        inputs: tuple[Segment, ...],
        deleted: list[int],
        min_ts: int | None = None,
    ) -> None:
        with self._flush_lock:
            with self._lock:
                if group_id not in self._groups:
                    return
                seg_id = self._manifest.next_segment
                self._manifest.next_segment += 1
            self._register({s.key_id for s in inputs})
            out = merge_segments(
                self.cursor(),
                self.segment_dir,
                seg_id,
                group_id,
                inputs,
                drop_streams=deleted,
                min_ts=min_ts,
            )
            with self._lock:
                group = self._groups.get(group_id)
                current = {s.id for s in group.segments} if group is not None else set()
                if group is None or any(s.id not in current for s in inputs):
                    if out is not None:
                        (self.segment_dir / out.file).unlink(missing_ok=True)
                    return
                gone = {s.id for s in inputs}
                kept = tuple(s for s in group.segments if s.id not in gone)
                group.segments = kept + ((out,) if out is not None else ())
                self._manifest.segments = [
                    s for s in self._manifest.segments if s.id not in gone
                ] + ([out] if out is not None else [])
                self._rewritten.update((group_id, sid) for sid in deleted)
                for s in inputs:
                    self._obsolete[s.id] = s
                self._save_manifest()
                self._collect_garbage()
            log.debug("Merged group=%d inputs=%d", group_id, len(inputs))

    def _forget_deletions(self) -> None:
        """Drop deleted streams from the manifest once neither a segment nor the WAL holds them.

        Until then replay must keep skipping them: the WAL still holds their batches, and
        those past the group's flushed sequence would come back.
        """
        assert self._wal is not None
        if not self._rewritten or self._wal.oldest_file() <= self._deleted_wal:
            return
        for gid, sid in self._rewritten:
            sids = self._manifest.deleted_streams.get(gid)
            if sids is not None:
                sids.discard(sid)
                if not sids:
                    del self._manifest.deleted_streams[gid]
        self._rewritten.clear()
        self._save_manifest()

    def _retire_wal(self) -> None:
        """Delete WAL files whose every batch is in a segment.

        The bound is computed under the store lock, which `apply` needs too: a batch is then
        either in a memtable already or still being committed, and both are counted.
        """
        assert self._wal is not None
        with self._lock:
            needed = [
                f for g in self._groups.values() if (f := g.mem.oldest_wal_file()) is not None
            ]
            committing = self._wal.oldest_unapplied()
            if committing is not None:
                needed.append(committing)
            keep_from = min(needed) if needed else self._wal.first_future_file()
        self.before_retire()  # persist stream statistics before the WAL that holds them goes
        self._wal.retire_before(keep_from)

    # -- bookkeeping -----------------------------------------------------------------------

    def _save_manifest(self) -> None:
        self._manifest.next_seq = self._next_seq
        manifest_io.save(self.manifest_path, self._manifest)

    def _collect_garbage(self) -> None:
        for sid in [sid for sid in self._obsolete if sid not in self._pins]:
            seg = self._obsolete.pop(sid)
            (self.segment_dir / seg.file).unlink(missing_ok=True)

    def wal_bytes(self) -> int:
        return self._wal.total_bytes() if self._wal is not None else 0

    def memtable_bytes(self) -> int:
        with self._lock:
            return sum(g.mem.nbytes for g in self._groups.values())

    def merge_pending(self) -> bool:
        """Whether a flush or merge is running, or a merge is due: benchmarks that measure the
        settled size of the data wait for this to turn false."""
        if self._flush_lock.locked():
            return True
        with self._lock:
            for g in self._groups.values():
                levels: dict[tuple[int, int | None], int] = {}
                for seg in g.segments:
                    at = (seg.level, seg.key_id)
                    levels[at] = levels.get(at, 0) + 1
                if any(n >= self.config.merge_fanin for n in levels.values()):
                    return True
        return False

    def segment_count(self) -> int:
        with self._lock:
            return sum(len(g.segments) for g in self._groups.values())


def _physical_memory() -> int:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return 4 * 2**30


def _drop_flushed(mem: GroupMemtable, max_seq: int) -> GroupMemtable:
    """Keep the batches of `mem` that the flush did not cover (seq above `max_seq`)."""
    return mem.kept(lambda i: mem.max_seqs[i] > max_seq)
