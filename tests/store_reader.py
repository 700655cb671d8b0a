"""A reference reader for store tests: every event of a stream in one plain DuckDB query.

Deliberately naive (no windows, no positions, no caching), so that the store's own scans can be
checked against it.
"""

from __future__ import annotations

import pyarrow as pa

from owl.store.engine import Store
from owl.store.events import SCHEMA


def stream_events(store: Store, group_id: int, stream_id: int) -> pa.Table:
    """Columns ts, seq, message of the stream's events in (ts, seq) order."""
    with store.view(group_id) as view:
        con = store.cursor()
        try:
            mem = view.mem.for_stream(stream_id)
            con.register("mem", pa.Table.from_batches(mem, schema=SCHEMA))
            sources = ["SELECT * FROM mem"]
            sources += [f"SELECT * FROM {src}" for src in store.sources(view.segments)]
            sql = (
                f"SELECT ts, seq, message FROM ({' UNION ALL '.join(sources)}) "
                "WHERE stream_id = $sid ORDER BY ts, seq"
            )
            return con.execute(sql, {"sid": stream_id}).to_arrow_table()
        finally:
            con.close()
