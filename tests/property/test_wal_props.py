"""Properties of the store: WAL records round-trip any batch; a Store behaves like a dict of lists.

The state machine drives a real Store in a temporary directory (appends, flushes, maintenance
rounds that merge and purge, stream and group drops, close-and-reopen) and after every step
compares each stream (read by a naive reference query, and its tail by a backward scan) with a
plain Python model: events sorted by (timestamp, put order); dropped streams and groups empty for
good.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pyarrow as pa
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from owl.store.engine import Store, StoreConfig
from owl.store.scan import ScanSpec, WindowedScan
from owl.store.wal import WalBatch, decode_batch, encode_batch
from tests.store_reader import stream_events

INT64 = st.integers(-(2**63), 2**63 - 1)
TIMESTAMPS = st.integers(0, 2**62)
# Any Unicode text (no lone surrogates: they are not UTF-8), control characters included.
MESSAGES = st.text(st.characters(exclude_categories=["Cs"]), max_size=60)


@st.composite
def wal_batches(draw: st.DrawFn) -> WalBatch:
    events = draw(st.lists(st.tuples(TIMESTAMPS, MESSAGES), min_size=0, max_size=40))
    ts = pa.array([t for t, _ in events], pa.int64())
    messages = pa.array([m for _, m in events], pa.string())
    # PutLogEvents stores slices of what it parsed: offsets must not leak into the record.
    lo = draw(st.integers(0, len(events)))
    hi = draw(st.integers(lo, len(events)))
    return WalBatch(
        draw(INT64),
        draw(INT64),
        draw(INT64),
        draw(INT64),
        ts.slice(lo, hi - lo),
        messages.slice(lo, hi - lo),
    )


@settings(max_examples=300, deadline=None)
@given(wal_batches())
def test_batch_round_trips(batch: WalBatch) -> None:
    out = decode_batch(memoryview(encode_batch(batch)))
    assert (out.group_id, out.stream_id, out.seq_start, out.ingest_ms) == (
        batch.group_id,
        batch.stream_id,
        batch.seq_start,
        batch.ingest_ms,
    )
    assert out.ts.to_pylist() == batch.ts.to_pylist()
    assert out.messages.to_pylist() == batch.messages.to_pylist()
    out.messages.validate(full=True)


@settings(max_examples=100, deadline=None)
@given(st.lists(MESSAGES.filter(bool), min_size=1, max_size=20))
def test_non_empty_messages_round_trip(messages: list[str]) -> None:
    """What PutLogEvents actually stores: 1..n non-empty messages, sorted timestamps."""
    ts = pa.array(sorted(range(len(messages))), pa.int64())
    batch = WalBatch(1, 2, 3, 4, ts, pa.array(messages, pa.string()))
    out = decode_batch(memoryview(encode_batch(batch)))
    assert out.messages.to_pylist() == messages


# --- the Store against a model ---------------------------------------------------------------

Event = tuple[int, int, str]  # (timestamp, put order, message)
CONFIG = StoreConfig(
    wal_file_bytes=48 * 1024,  # small: appends roll over files now and then
    fsync=False,
    flush_age_s=3600,
    merge_fanin=2,  # merges happen after two flushes of a group
)


class StoreMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix="owl-store-props-"))
        self.store = Store(self.root, CONFIG)
        self.store.open(background=False)
        self.model: dict[tuple[int, int], list[Event]] = {}
        self.live: dict[int, list[int]] = {}  # group → its live streams
        self.dead: set[tuple[int, int]] = set()
        self.settled: set[tuple[int, int]] = set()  # dead, and flushed + maintained since
        self.next_id = 1
        self.order = 0
        # Groups a step may have changed (None: all of them); the read invariant checks those.
        self.dirty: set[int] | None = None

    def _new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    @initialize()
    def two_groups(self) -> None:
        for _ in range(2):
            self.add_group()

    def add_group(self) -> None:
        gid = self._new_id()
        self.live[gid] = []
        for _ in range(2):
            self._add_stream(gid)

    def _add_stream(self, gid: int) -> None:
        sid = self._new_id()
        self.live[gid].append(sid)
        self.model[(gid, sid)] = []

    @rule(
        data=st.data(),
        events=st.lists(
            st.tuples(st.integers(0, 30), MESSAGES.filter(bool)), min_size=1, max_size=25
        ),
    )
    def append(self, data: st.DataObject, events: list[tuple[int, str]]) -> None:
        gid = data.draw(st.sampled_from(sorted(self.live)))
        sid = data.draw(st.sampled_from(self.live[gid]))
        events = sorted(events, key=lambda e: e[0])  # a batch is sorted by time
        ts = pa.array([1_000 + t for t, _ in events], pa.int64())
        messages = pa.array([m for _, m in events], pa.string())
        self.store.append(gid, sid, ts, messages, 42).result(timeout=30)
        self._touch(gid)
        for t, m in events:
            self.order += 1
            self.model[(gid, sid)].append((1_000 + t, self.order, m))

    def _touch(self, gid: int | None) -> None:
        if gid is None:
            self.dirty = None
        elif self.dirty is not None:
            self.dirty.add(gid)

    @rule(data=st.data(), everything=st.booleans())
    def flush(self, data: st.DataObject, everything: bool) -> None:
        if everything:
            self.store.flush()
            self._touch(None)
        else:
            gid = data.draw(st.sampled_from(sorted(self.live)))
            self.store.flush(gid)
            self._touch(gid)

    @rule()
    def maintain(self) -> None:
        self.store.maintain()
        self._touch(None)

    @rule()
    def settle(self) -> None:
        """Flush everything, then one maintenance round: deleted streams leave the segments."""
        self.store.flush()
        self.store.maintain()
        self.settled |= self.dead
        self._touch(None)

    @rule(data=st.data(), then_restart=st.booleans())
    def drop_stream(self, data: st.DataObject, then_restart: bool) -> None:
        gid = data.draw(st.sampled_from(sorted(self.live)))
        sid = data.draw(st.sampled_from(self.live[gid]))
        self.store.drop_stream(gid, sid)
        self.live[gid].remove(sid)
        self.model[(gid, sid)] = []
        self.dead.add((gid, sid))
        self._add_stream(gid)  # stream ids are never reused: a re-created name is a new id
        self._touch(gid)
        if then_restart:
            # What a server does next on its own: a maintenance round (the merge that purges
            # the stream from segments), and later perhaps a restart that replays the WAL.
            self.store.maintain()
            self.reopen()

    @precondition(lambda self: len(self.live) > 1)
    @rule(data=st.data())
    def drop_group(self, data: st.DataObject) -> None:
        gid = data.draw(st.sampled_from(sorted(self.live)))
        self.store.drop_group(gid)
        for sid in self.live.pop(gid):
            self.model[(gid, sid)] = []
            self.dead.add((gid, sid))
        self.add_group()
        self._touch(None)

    @rule()
    def reopen(self) -> None:
        self.store.close()
        self.store = Store(self.root, CONFIG)
        self.store.open(background=False)
        self._touch(None)

    @invariant()
    def dropped_streams_never_come_back(self) -> None:
        """Gone from memory at once, whatever happens next (appends, reopen and replay)."""
        for gid, sid in self.dead:
            with self.store.view(gid) as view:
                assert view.mem.for_stream(sid) == [], ("resurrected", gid, sid)

    @invariant()
    def streams_match_the_model(self) -> None:
        """Every stream of each group the last step touched (all after flushes, merges and
        reopens) reads exactly as the model says, forwards and from the tail."""
        dirty, self.dirty = self.dirty, set()
        for (gid, sid), events in self.model.items():
            if dirty is not None and gid not in dirty:
                continue
            if (gid, sid) in self.dead and (gid, sid) not in self.settled:
                continue  # its rows may still sit in a segment until the next merge round
            expected = [(t, m) for t, _, m in sorted(events)]
            table = stream_events(self.store, gid, sid)
            got = list(
                zip(
                    table.column("ts").to_pylist(),
                    table.column("message").to_pylist(),
                    strict=True,
                )
            )
            assert got == expected, ("dead" if (gid, sid) in self.dead else "live", gid, sid)
            if expected:
                cols = "e.ts, e.seq, e.message"
                spec = ScanSpec(gid, frozenset((sid,)), columns=cols, forward=False)
                tail = WindowedScan(self.store, spec).take(3, 10.0)
                assert tail.column("message").to_pylist() == [m for _, m in expected[-3:]][::-1]

    def teardown(self) -> None:
        self.store.close()
        shutil.rmtree(self.root, ignore_errors=True)


# No shrinking: every step costs real I/O (Parquet files, fsyncs of directories), so shrinking
# a failure takes minutes; the unshrunk trace of at most 30 steps is readable as it is.
StoreMachine.TestCase.settings = settings(
    max_examples=40,
    stateful_step_count=30,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestStoreMachine = StoreMachine.TestCase
