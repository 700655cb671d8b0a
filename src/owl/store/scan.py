"""Reading events of one stream through DuckDB: segments of a pinned version plus its memtable.

Positions are (ts, seq) pairs; a page is the first (forward) or last (backward) `limit` events
strictly after / before a position, inside a time window, always returned oldest first. The
bounds are written so that DuckDB pushes `stream_id` and `ts` into the Parquet scan and skips
row groups by their statistics: a page costs work in proportion to the page.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from owl.store.engine import Store
from owl.store.events import SCHEMA

PAGE_COLUMNS = "ts, ingest, seq, message"
MAX_INT64 = 2**63 - 1


@dataclass(frozen=True, order=True)
class Position:
    ts: int
    seq: int


def read_stream_page(
    store: Store,
    group_id: int,
    stream_id: int,
    *,
    start: int | None,
    end: int | None,
    after: Position | None = None,
    before: Position | None = None,
    limit: int,
    forward: bool,
) -> pa.Table:
    """One page of a stream's events, oldest first (see the module docstring)."""
    lo = start if start is not None else 0
    hi = end if end is not None else MAX_INT64
    conds = ["stream_id = $sid", "ts >= $lo", "ts <= $hi"]
    params: dict[str, object] = {"sid": stream_id, "lo": lo, "hi": hi, "n": limit}
    if after is not None:
        conds += ["ts >= $ats", "(ts > $ats OR seq > $aseq)"]
        params.update(ats=after.ts, aseq=after.seq)
    if before is not None:
        conds += ["ts <= $bts", "(ts < $bts OR seq < $bseq)"]
        params.update(bts=before.ts, bseq=before.seq)
    where = " AND ".join(conds)
    direction = "ASC" if forward else "DESC"
    with store.view(group_id) as view:
        con = store.cursor()
        try:
            parts = []
            mem = view.mem.for_stream(stream_id)
            if mem:
                con.register("mem", pa.Table.from_batches(mem, schema=SCHEMA))
                parts.append(f"SELECT {PAGE_COLUMNS} FROM mem WHERE {where}")
            paths = view.segment_paths()
            if paths:
                files = ", ".join(f"'{p}'" for p in paths)
                parts.append(f"SELECT {PAGE_COLUMNS} FROM read_parquet([{files}]) WHERE {where}")
            if not parts:
                return _empty()
            sql = " UNION ALL ".join(parts) + f" ORDER BY ts {direction}, seq {direction} LIMIT $n"
            used = {k: v for k, v in params.items() if f"${k}" in sql}
            table = con.sql(sql, params=used).to_arrow_table()
        finally:
            con.close()
    if not forward:
        table = table.take(pa.array(range(table.num_rows - 1, -1, -1), pa.int64()))
    return table


def _empty() -> pa.Table:
    return pa.table(
        {
            "ts": pa.array([], pa.int64()),
            "ingest": pa.array([], pa.int64()),
            "seq": pa.array([], pa.int64()),
            "message": pa.array([], pa.string()),
        }
    )
