"""Open scans that outlive a request: a pinned version, a DuckDB result, the rows not yet served.

FilterLogEvents runs its query once and serves the pages of the ordered result from the open
reader; the cache keeps recent cursors by the token that names their next page, so paging a
large result costs about one scan. Evicted cursors unpin their version; the token still works
by position (the caller re-queries from there).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

import duckdb
import pyarrow as pa

from owl.store.engine import GroupView


class ScanCursor:
    """Serves one ordered result page by page; owns its pin and its DuckDB connection."""

    def __init__(
        self,
        view: GroupView,
        con: duckdb.DuckDBPyConnection,
        reader: pa.RecordBatchReader,
        release: Callable[[GroupView], None],
    ) -> None:
        self._view = view
        self._con = con
        self._reader = reader
        self._release = release
        self._carry: pa.Table | None = None
        self._done = False
        self._closed = False
        self.last_used = time.monotonic()

    @property
    def exhausted(self) -> bool:
        return self._done and (self._carry is None or self._carry.num_rows == 0)

    def take(self, limit: int, budget_s: float) -> pa.Table:
        """Up to `limit` rows; fewer when the result ends or reading exceeds `budget_s`."""
        self.last_used = time.monotonic()
        deadline = self.last_used + budget_s
        parts: list[pa.Table] = []
        have = 0
        if self._carry is not None and self._carry.num_rows:
            parts.append(self._carry)
            have = self._carry.num_rows
            self._carry = None
        while have < limit and not self._done:
            try:
                batch = self._reader.read_next_batch()
            except StopIteration:
                self._done = True
                break
            parts.append(pa.Table.from_batches([batch]))
            have += batch.num_rows
            if time.monotonic() > deadline:
                break
        if not parts:
            return self._reader.schema.empty_table()
        table = pa.concat_tables(parts)
        if table.num_rows > limit:
            self._carry = table.slice(limit)
            table = table.slice(0, limit)
        return table

    def push_back(self, rows: pa.Table) -> None:
        """Return unserved rows (the tail of the last `take`) to the front of the cursor."""
        if rows.num_rows:
            self._carry = rows if self._carry is None else pa.concat_tables([rows, self._carry])

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._con.close()
        finally:
            self._release(self._view)


class CursorCache:
    """A bounded LRU of open cursors keyed by the token of their next page."""

    def __init__(self, max_cursors: int = 32, idle_s: float = 120.0) -> None:
        self._max = max_cursors
        self._idle_s = idle_s
        self._lock = threading.Lock()
        self._cursors: OrderedDict[str, ScanCursor] = OrderedDict()

    def pop(self, key: str) -> ScanCursor | None:
        with self._lock:
            return self._cursors.pop(key, None)

    def sweep(self) -> None:
        """Close the cursors idle for longer than `idle_s`: abandoned results pin a version."""
        now = time.monotonic()
        with self._lock:
            idle = [k for k, c in self._cursors.items() if now - c.last_used > self._idle_s]
            evicted = [self._cursors.pop(k) for k in idle]
        for c in evicted:
            c.close()

    def put(self, key: str, cursor: ScanCursor) -> None:
        evicted: list[ScanCursor] = []
        with self._lock:
            old = self._cursors.pop(key, None)
            if old is not None and old is not cursor:
                evicted.append(old)
            self._cursors[key] = cursor
            now = time.monotonic()
            for k in list(self._cursors):
                c = self._cursors[k]
                if len(self._cursors) > self._max or now - c.last_used > self._idle_s:
                    evicted.append(self._cursors.pop(k))
        for c in evicted:
            c.close()

    def close(self) -> None:
        with self._lock:
            cursors, self._cursors = list(self._cursors.values()), OrderedDict()
        for c in cursors:
            c.close()
