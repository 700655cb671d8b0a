"""Ordered reads of a group's events through DuckDB: segments of a version plus its memtable.

Positions are (ts, seq) pairs. A scan runs as bounded time windows whose ts bounds DuckDB pushes
into the Parquet scan, skipping row groups by their statistics: a page costs work in proportion
to the page, and reading a whole result reads each event about once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pyarrow as pa

from owl.store.engine import GroupView, Store
from owl.store.events import SCHEMA

MAX_INT64 = 2**63 - 1


@dataclass(frozen=True, order=True)
class Position:
    ts: int
    seq: int


@dataclass(frozen=True)
class ScanSpec:
    """What an ordered scan reads: a group's events (of some streams) in an inclusive time range,
    matching `predicate`, projected to `columns` (SQL over the events `e` and `joins` on
    `tables`; they must include `ts` and `seq`, the scan's position). Work done in the
    projection runs inside DuckDB, in parallel, once per event."""

    group_id: int
    streams: frozenset[int] | None = None
    lo: int = 0
    hi: int = MAX_INT64
    predicate: str = "TRUE"
    params: dict[str, object] = field(default_factory=dict)
    columns: str = "e.*"
    joins: str = ""
    tables: dict[str, pa.Table] = field(default_factory=dict)
    forward: bool = True


class WindowedScan:
    """An ordered scan by (ts, seq) run as a series of bounded time windows.

    Each window is one DuckDB query over the files and memtable batches whose time range
    overlaps it, with both ts bounds pushed into the Parquet scan, so a window costs work in
    proportion to the rows it covers and the first page never waits for the whole result.
    Windows start small (a fast first page) and double up to `max_rows` (fewer, cheaper
    queries for a long read); their width in time follows the density seen so far, and never
    spans more than `max_scan_rows` stored events (a rare predicate cannot make one window
    read everything). Nothing is held between windows (no pin, no connection): a cached scan
    costs only the rows it read but has not served, and each window reads the version current
    then, strictly after the scan's position.
    """

    def __init__(
        self,
        store: Store,
        spec: ScanSpec,
        after: Position | None = None,
        *,
        first_rows: int = 8_192,
        max_rows: int = 131_072,
        max_scan_rows: int = 2_000_000,
    ) -> None:
        self.store = store
        self.spec = spec
        self.first_rows = first_rows
        self.max_rows = max_rows
        self.max_scan_rows = max_scan_rows
        self.after = after  # rows up to here (in scan order) were read from the store
        self._next: int | None = None  # first ts of the next window (its last, backwards)
        self._density: float | None = None  # matching rows per ms, as seen so far
        self._windows = 0
        self._carry: pa.Table | None = None
        self._done = False
        self.last_used = time.monotonic()

    @property
    def buffered_bytes(self) -> int:
        return 0 if self._carry is None else int(self._carry.nbytes)

    @property
    def exhausted(self) -> bool:
        return self._done and (self._carry is None or self._carry.num_rows == 0)

    def take(self, limit: int, budget_s: float, *, allow_empty: bool = True) -> pa.Table:
        """Up to `limit` rows in scan order; fewer at the end or once `budget_s` has passed
        (with at least one row unless `allow_empty`)."""
        self.last_used = time.monotonic()
        deadline = self.last_used + budget_s
        parts: list[pa.Table] = []
        have = 0
        if self._carry is not None and self._carry.num_rows:
            parts.append(self._carry)
            have = self._carry.num_rows
        self._carry = None
        while have < limit and not self._done:
            window = self._read_window()
            if window.num_rows:
                parts.append(window)
                have += window.num_rows
            if time.monotonic() > deadline and (have or allow_empty):
                break
        if not parts:
            return self._empty()
        table = pa.concat_tables(parts) if len(parts) > 1 else parts[0]
        if table.num_rows > limit:
            self._carry = table.slice(limit)
            table = table.slice(0, limit)
        return table

    def push_back(self, rows: pa.Table) -> None:
        """Return unserved rows (the tail of the last `take`) to the front of the scan."""
        if rows.num_rows:
            self._carry = rows if self._carry is None else pa.concat_tables([rows, self._carry])

    def close(self) -> None:
        """Drop the rows read but not served (windows pin their version only while they run)."""
        self._carry = None

    # -- windows ---------------------------------------------------------------------------

    def _read_window(self) -> pa.Table:
        spec = self.spec
        forward = spec.forward
        with self.store.view(spec.group_id) as view:
            bounds = _data_bounds(view, spec.streams)
            lo = max(spec.lo, bounds[0]) if bounds else spec.lo
            hi = min(spec.hi, bounds[1]) if bounds else spec.hi
            if self.after is not None:
                lo, hi = (max(lo, self.after.ts), hi) if forward else (lo, min(hi, self.after.ts))
            if self._next is not None:
                lo, hi = (max(lo, self._next), hi) if forward else (lo, min(hi, self._next))
            if bounds is None or lo > hi:
                self._done = True
                return self._empty()
            stored = _stored_density(view)
            density = self._density or stored
            target = min(self.max_rows, self.first_rows << min(self._windows, 20))
            span = max(1, int(min(target / density, self.max_scan_rows / stored)))
            a, b = (lo, min(hi, lo + span - 1)) if forward else (max(lo, hi - span + 1), hi)
            table = self._query(view, a, b)
        rows = table.num_rows
        self._windows += 1
        # Follow the density seen; through empty stretches, widen eightfold each time.
        self._density = rows / span if rows else density / 8
        self._next = b + 1 if forward else a - 1
        if (forward and b >= hi) or (not forward and a <= lo):
            self._done = True
        if rows:
            ts, seq = table.column("ts"), table.column("seq")
            self.after = Position(ts[-1].as_py(), seq[-1].as_py())
        return table

    def _query(self, view: GroupView, a: int, b: int) -> pa.Table:
        spec = self.spec
        conds = ["ts >= $lo", "ts <= $hi", spec.predicate]
        params: dict[str, object] = {"lo": a, "hi": b, **spec.params}
        if spec.streams is not None:
            conds.append("stream_id IN (SELECT unnest($sids))")
            params["sids"] = sorted(spec.streams)
        if self.after is not None:
            if spec.forward:
                conds.append("(ts > $pts OR seq > $pseq)")
            else:
                conds.append("(ts < $pts OR seq < $pseq)")
            params.update(pts=self.after.ts, pseq=self.after.seq)
        where = " AND ".join(conds)
        con = self.store.cursor()
        try:
            parts = []
            mem = view.mem.select(spec.streams, a, b)
            if mem:
                con.register("mem", pa.Table.from_batches(mem, schema=SCHEMA))
                parts.append(f"SELECT * FROM mem WHERE {where}")
            segments = [s for s in view.segments if s.min_ts <= b and s.max_ts >= a]
            for source in self.store.sources(segments):
                parts.append(f"SELECT * FROM {source} WHERE {where}")
            if not parts:
                return self._empty()
            for name, table in spec.tables.items():
                con.register(name, table)
            direction = "ASC" if spec.forward else "DESC"
            sources = " UNION ALL ".join(parts)
            sql = (
                f"SELECT {spec.columns} FROM ({sources}) AS e {spec.joins} "
                f"ORDER BY e.ts {direction}, e.seq {direction}"
            )
            used = {k: v for k, v in params.items() if f"${k}" in sql}
            # execute, not sql(): DuckDB 1.5's relation API converts a parameterised result
            # to Arrow about ten times slower (4.4 s against 0.4 s for 1M events).
            return con.execute(sql, used).to_arrow_table()
        finally:
            con.close()

    def _empty(self) -> pa.Table:
        con = self.store.cursor()
        try:
            con.register("e", SCHEMA.empty_table())
            for name, table in self.spec.tables.items():
                con.register(name, table)
            sql = f"SELECT {self.spec.columns} FROM e {self.spec.joins} LIMIT 0"
            return con.sql(sql).to_arrow_table()
        finally:
            con.close()


def _stored_density(view: GroupView) -> float:
    """Stored events of the group per ms of its time span (at least one per span)."""
    rows = sum(s.rows for s in view.segments)
    rows += sum(int(b.num_rows) for b in view.mem.batches[: view.mem.n])
    bounds = _data_bounds(view, None)
    span = 1 if bounds is None else max(1, bounds[1] - bounds[0] + 1)
    return max(1, rows) / span


def _data_bounds(view: GroupView, streams: frozenset[int] | None) -> tuple[int, int] | None:
    """The smallest and largest timestamp the version may hold (of `streams`, in memory)."""
    spans = [(s.min_ts, s.max_ts) for s in view.segments if s.rows]
    mem = view.mem.ts_range(streams)
    if mem is not None:
        spans.append(mem)
    if not spans:
        return None
    return min(x[0] for x in spans), max(x[1] for x in spans)
