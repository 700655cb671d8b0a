"""Pages of events on the wire: the 1 MB cap, and the events' JSON joined without a copy per event.

The scans that serve GetLogEvents and FilterLogEvents project each event to its JSON text (ending
with a comma) and its counted size inside DuckDB. A page is then a slice of that column: its
values lie back to back in one buffer, so the JSON array is that byte range, bracketed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from owl.services.logs.limits import EVENT_OVERHEAD, MAX_PAGE_BYTES

SIZE_SQL = f"strlen(e.message) + {EVENT_OVERHEAD}"


def rows_within_cap(table: pa.Table) -> int:
    """How many leading rows fit in one page of MAX_PAGE_BYTES (always at least one)."""
    if table.num_rows == 0:
        return 0
    fits = pc.less_equal(pc.cumulative_sum(table.column("size")), MAX_PAGE_BYTES)
    return max(1, int(pc.sum(fits).as_py() or 0))


def reversed_rows(table: pa.Table) -> pa.Table:
    return table.take(pa.array(np.arange(table.num_rows - 1, -1, -1, dtype=np.int64)))


def json_events(table: pa.Table) -> Any:
    """The `json` column (each value ends with ',') as one pre-serialised JSON array."""
    if table.num_rows == 0:
        return []
    pieces: list[bytes | memoryview] = [b"["]
    for chunk in table.column("json").chunks:
        if len(chunk) == 0:
            continue
        width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
        offsets = np.frombuffer(chunk.buffers()[1], dtype=width)
        first, last = int(offsets[chunk.offset]), int(offsets[chunk.offset + len(chunk)])
        pieces.append(memoryview(chunk.buffers()[2])[first:last])
    pieces[-1] = pieces[-1][:-1]  # the last event's comma gives way to the bracket
    pieces.append(b"]")
    return orjson.Fragment(b"".join(pieces))
