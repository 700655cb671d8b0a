"""Scans that outlive a request, kept by the token that names their next page.

GetLogEvents and FilterLogEvents serve a result page by page from one ordered scan
(store.scan.WindowedScan), so paging through a large result reads each event about once. An
evicted scan costs nothing but a re-read: its token still works by position.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from owl.store.scan import WindowedScan


class CursorCache:
    """An LRU of scans keyed by the token of their next page, bounded in count, in the bytes
    they hold read but not yet served, and in idle time."""

    def __init__(
        self, max_cursors: int = 32, idle_s: float = 120.0, max_bytes: int = 256 * 2**20
    ) -> None:
        self._max = max_cursors
        self._idle_s = idle_s
        self._max_bytes = max_bytes
        self._lock = threading.Lock()
        self._cursors: OrderedDict[str, WindowedScan] = OrderedDict()

    def pop(self, key: str) -> WindowedScan | None:
        with self._lock:
            return self._cursors.pop(key, None)

    def sweep(self) -> None:
        """Drop the scans idle for longer than `idle_s`: abandoned reads hold memory."""
        now = time.monotonic()
        with self._lock:
            idle = [k for k, c in self._cursors.items() if now - c.last_used > self._idle_s]
            evicted = [self._cursors.pop(k) for k in idle]
        for c in evicted:
            c.close()

    def put(self, key: str, cursor: WindowedScan) -> None:
        evicted: list[WindowedScan] = []
        with self._lock:
            old = self._cursors.pop(key, None)
            if old is not None and old is not cursor:
                evicted.append(old)
            self._cursors[key] = cursor
            now = time.monotonic()
            held = sum(c.buffered_bytes for c in self._cursors.values())
            for k in list(self._cursors):
                c = self._cursors[k]
                over = len(self._cursors) > self._max or held > self._max_bytes
                if over or now - c.last_used > self._idle_s:
                    held -= c.buffered_bytes
                    evicted.append(self._cursors.pop(k))
        for c in evicted:
            c.close()

    def close(self) -> None:
        with self._lock:
            cursors, self._cursors = list(self._cursors.values()), OrderedDict()
        for c in cursors:
            c.close()
