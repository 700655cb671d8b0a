"""Reading events of one stream through DuckDB: segments of a pinned version plus its memtable.

Positions are (ts, seq) pairs; a page is the first (forward) or last (backward) `limit` events
strictly after / before a position, inside a time window, always returned oldest first. The
bounds are written so that DuckDB pushes `stream_id` and `ts` into the Parquet scan and skips
row groups by their statistics: a page costs work in proportion to the page.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa

from owl.store.cursor import ScanCursor
from owl.store.engine import GroupView, Store
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
            parts = _sources(con, view, view.mem.for_stream(stream_id), PAGE_COLUMNS, where)
            if not parts:
                return empty_page()
            sql = " UNION ALL ".join(parts) + f" ORDER BY ts {direction}, seq {direction} LIMIT $n"
            used = {k: v for k, v in params.items() if f"${k}" in sql}
            table = con.sql(sql, params=used).to_arrow_table()
        finally:
            con.close()
    if not forward:
        table = table.take(pa.array(range(table.num_rows - 1, -1, -1), pa.int64()))
    return table


def _sources(
    con: duckdb.DuckDBPyConnection,
    view: GroupView,
    mem: list[pa.RecordBatch],
    columns: str,
    where: str,
) -> list[str]:
    """One SELECT per source of a pinned version: its memtable batches and its segment files."""
    parts = []
    if mem:
        con.register("mem", pa.Table.from_batches(mem, schema=SCHEMA))
        parts.append(f"SELECT {columns} FROM mem WHERE {where}")
    paths = view.segment_paths()
    if paths:
        files = ", ".join(f"'{p}'" for p in paths)
        parts.append(f"SELECT {columns} FROM read_parquet([{files}]) WHERE {where}")
    return parts


def empty_page() -> pa.Table:
    return pa.table(
        {
            "ts": pa.array([], pa.int64()),
            "ingest": pa.array([], pa.int64()),
            "seq": pa.array([], pa.int64()),
            "message": pa.array([], pa.string()),
        }
    )


def open_group_scan(
    store: Store,
    group_id: int,
    *,
    stream_ids: list[int] | None,
    start: int | None,
    end: int | None,
    predicate: str = "TRUE",
    predicate_params: dict[str, object] | None = None,
    after: Position | None = None,
    forward: bool = True,
    batch_rows: int = 10_000,
    columns: str = "e.*",
    joins: str = "",
    tables: dict[str, pa.Table] | None = None,
) -> ScanCursor:
    """An open, ordered scan of a group's events across streams (by (ts, seq)), after `after`.

    The caller owns the cursor: serve pages with `take`, then `close` it (or hand it to a
    CursorCache). Rows are the events `e` (stream_id, ts, ingest, seq, message) unless the
    caller projects `columns` (SQL over `e` and its `joins` on `tables`): work done there runs
    once, in parallel, inside the one query instead of page by page.
    """
    lo = start if start is not None else 0
    hi = end if end is not None else MAX_INT64
    conds = ["ts >= $lo", "ts <= $hi", predicate]
    params: dict[str, object] = {"lo": lo, "hi": hi, **(predicate_params or {})}
    if stream_ids is not None:
        conds.append("stream_id IN (SELECT unnest($sids))")
        params["sids"] = stream_ids
    if after is not None:
        if forward:
            conds += ["ts >= $pts", "(ts > $pts OR seq > $pseq)"]
        else:
            conds += ["ts <= $pts", "(ts < $pts OR seq < $pseq)"]
        params.update(pts=after.ts, pseq=after.seq)
    where = " AND ".join(conds)
    direction = "ASC" if forward else "DESC"
    view = store.pin(group_id)
    con = store.cursor()
    try:
        parts = _sources(con, view, view.mem.all(), "*", where)
        if not parts:
            parts.append(f"SELECT * FROM (SELECT * FROM empty_events) WHERE {where}")
            con.register("empty_events", SCHEMA.empty_table())
        for name, table in (tables or {}).items():
            con.register(name, table)
        sql = (
            f"SELECT {columns} FROM ({' UNION ALL '.join(parts)}) AS e {joins} "
            f"ORDER BY e.ts {direction}, e.seq {direction}"
        )
        used = {k: v for k, v in params.items() if f"${k}" in sql}
        reader = con.sql(sql, params=used).to_arrow_reader(batch_rows)
    except BaseException:
        con.close()
        store.unpin(view)
        raise
    return ScanCursor(view, con, reader, store.unpin)
