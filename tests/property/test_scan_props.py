"""WindowedScan against a plain sort: every event once, in (ts, seq) order, whatever the windows.

Events of several streams go partly to segments (flushed, some merged) and partly stay in the
memtable; a scan with random bounds, streams, direction, start position and tiny windows is
drained with random page sizes, and must equal the reference order of the same events.
"""

from __future__ import annotations

from pathlib import Path
from tempfile import TemporaryDirectory

import pyarrow as pa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from owl.store.engine import Store, StoreConfig
from owl.store.scan import Position, ScanSpec, WindowedScan
from tests.store_reader import stream_events

G = 1
STREAMS = (1, 2, 3)

batch = st.tuples(
    st.sampled_from(STREAMS),
    st.lists(st.integers(0, 400), min_size=1, max_size=12).map(sorted),
    st.booleans(),  # flush after this batch
)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# One stream in one flushed file: the window needs no sort (both directions).
@example(
    batches=[(1, [1, 2, 3, 4, 5], True)],
    streams=frozenset({1}),
    lo=0,
    span=500,
    forward=True,
    after_index=None,
    first_rows=8,
    max_rows=8,
    pages=[3],
)
@example(
    batches=[(1, [1, 2, 3, 4, 5], True)],
    streams=frozenset({1}),
    lo=0,
    span=500,
    forward=False,
    after_index=None,
    first_rows=8,
    max_rows=8,
    pages=[3],
)
@given(
    batches=st.lists(batch, min_size=0, max_size=10),
    streams=st.none() | st.frozensets(st.sampled_from(STREAMS), min_size=1),
    lo=st.integers(0, 100),
    span=st.integers(0, 500),
    forward=st.booleans(),
    after_index=st.none() | st.integers(0, 200),
    first_rows=st.integers(1, 8),
    max_rows=st.integers(1, 32),
    pages=st.lists(st.integers(1, 7), min_size=1, max_size=4),
)
def test_windowed_scan_matches_a_plain_sort(
    batches: list[tuple[int, list[int], bool]],
    streams: frozenset[int] | None,
    lo: int,
    span: int,
    forward: bool,
    after_index: int | None,
    first_rows: int,
    max_rows: int,
    pages: list[int],
) -> None:
    with TemporaryDirectory() as tmp:
        store = Store(Path(tmp), StoreConfig(fsync=False, flush_age_s=3600, merge_fanin=2))
        store.open(background=False)
        try:
            events: list[tuple[int, int, int]] = []  # (ts, seq, stream)
            for stream, ts, flush in batches:
                msgs = [f"s{stream}-{t}" for t in ts]
                store.append(
                    G, stream, pa.array(ts, pa.int64()), pa.array(msgs, pa.string()), 5
                ).result(timeout=10)
                if flush:
                    store.flush()
                    store.maintain()
            seqs = _all_seqs(store)
            events = sorted(seqs)
            hi = lo + span
            wanted = [
                e for e in events if lo <= e[0] <= hi and (streams is None or e[2] in streams)
            ]
            wanted.sort(reverse=not forward)
            after = None
            if after_index is not None and wanted:
                pivot = wanted[after_index % len(wanted)]
                after = Position(pivot[0], pivot[1])
                wanted = wanted[wanted.index(pivot) + 1 :]
            columns = "e.ts, e.seq, e.stream_id"
            spec = ScanSpec(G, streams, lo=lo, hi=hi, columns=columns, forward=forward)
            scan = WindowedScan(store, spec, after, first_rows=first_rows, max_rows=max_rows)
            got: list[tuple[int, int, int]] = []
            i = 0
            while not scan.exhausted:
                page = scan.take(pages[i % len(pages)], 10.0)
                assert page.num_rows <= pages[i % len(pages)]
                got += list(
                    zip(
                        page.column("ts").to_pylist(),
                        page.column("seq").to_pylist(),
                        page.column("stream_id").to_pylist(),
                        strict=True,
                    )
                )
                i += 1
                assert i < 10_000
            assert got == wanted
        finally:
            store.close()


def _all_seqs(store: Store) -> list[tuple[int, int, int]]:
    """Every stored event, read stream by stream with the naive reference reader."""
    out = []
    for stream in STREAMS:
        t = stream_events(store, G, stream)
        pairs = zip(t["ts"].to_pylist(), t["seq"].to_pylist(), strict=True)
        out += [(ts, seq, stream) for ts, seq in pairs]
    return out
