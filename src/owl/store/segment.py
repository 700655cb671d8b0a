"""Writing segments: Arrow batches or older segments → one sorted, zstd Parquet file via DuckDB.

A segment is encrypted (by DuckDB, see owl.store.crypto) under the data key of the batches it
holds; a merge combines only segments of one key, so deleting a KMS key shreds exactly the
files under its data keys.

Sorted by (stream_id, ts, seq) with small row groups, so a read of one stream's time range
touches only the row groups whose min/max statistics overlap it. Integer columns use Parquet v2
encodings (delta for the sorted timestamps and sequences).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from owl.store.crypto import encryption_option, read_parquet
from owl.store.manifest import Segment, fsync_dir

ROW_GROUP_ROWS = 16_384


def _copy_options(level: int, key_id: int | None) -> str:
    enc = encryption_option(key_id)
    return (
        "FORMAT parquet, COMPRESSION zstd, "
        f"COMPRESSION_LEVEL {level}, ROW_GROUP_SIZE {ROW_GROUP_ROWS}, PARQUET_VERSION V2"
        + (", " + enc if enc else "")
    )


def _publish(
    con: duckdb.DuckDBPyConnection,
    tmp: Path,
    final: Path,
    segment_id: int,
    group_id: int,
    level: int,
    key_id: int | None,
    message_bytes: int | None = None,
) -> Segment:
    """fsync and rename the written file into place; describe it as a Segment (reading the
    message bytes back only when the caller does not know them)."""
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, final)
    fsync_dir(final.parent)
    nbytes = "NULL" if message_bytes is not None else "sum(strlen(message))"
    rows = con.execute(
        "SELECT count(*), min(ts), max(ts), min(seq), max(seq), "
        f"{nbytes} FROM {read_parquet([str(final)], key_id)}"
    ).fetchall()
    row = rows[0]
    return Segment(
        id=segment_id,
        group_id=group_id,
        file=final.name,
        rows=int(row[0]),
        bytes=final.stat().st_size,
        min_ts=int(row[1] or 0),
        max_ts=int(row[2] or 0),
        min_seq=int(row[3] or 0),
        max_seq=int(row[4] or 0),
        level=level,
        message_bytes=message_bytes if message_bytes is not None else int(row[5] or 0),
        key_id=key_id,
    )


def write_segment(
    con: duckdb.DuckDBPyConnection,
    directory: Path,
    segment_id: int,
    group_id: int,
    table: pa.Table,
    *,
    level: int = 0,
    zstd_level: int = 3,
    key_id: int | None = None,
) -> Segment:
    """Write `table` (events of one group) as a new segment file, encrypted under `key_id`
    (registered with DuckDB by the caller)."""
    name = f"g{group_id}-s{segment_id}.parquet"
    tmp = directory / (name + ".tmp")
    con.register("flush_input", table)
    try:
        con.execute(
            f"COPY (SELECT * FROM flush_input ORDER BY stream_id, ts, seq) "
            f"TO '{tmp}' ({_copy_options(zstd_level, key_id)})"
        )
    finally:
        con.unregister("flush_input")
    nbytes = pc.sum(pc.binary_length(table.column("message"))).as_py() or 0
    return _publish(con, tmp, directory / name, segment_id, group_id, level, key_id, int(nbytes))


def merge_segments(
    con: duckdb.DuckDBPyConnection,
    directory: Path,
    segment_id: int,
    group_id: int,
    inputs: Sequence[Segment],
    *,
    drop_streams: Sequence[int] = (),
    min_ts: int | None = None,
    zstd_level: int = 9,
) -> Segment | None:
    """Merge `inputs` into one segment, leaving out `drop_streams` and events before `min_ts`
    (retention); None if nothing is left. A rewrite of one segment keeps its level. The
    inputs share one data key, which the output keeps."""
    keys = {s.key_id for s in inputs}
    if len(keys) != 1:
        raise ValueError(f"segments of several data keys cannot merge: {sorted(map(str, keys))}")
    key_id = keys.pop()
    name = f"g{group_id}-s{segment_id}.parquet"
    tmp = directory / (name + ".tmp")
    conds = []
    if drop_streams:
        conds.append("stream_id NOT IN (" + ",".join(str(int(s)) for s in drop_streams) + ")")
    if min_ts is not None:
        conds.append(f"ts >= {int(min_ts)}")
    where = "WHERE " + " AND ".join(conds) if conds else ""
    con.execute(
        f"COPY (SELECT * FROM {read_parquet([str(directory / s.file) for s in inputs], key_id)} "
        f"{where} ORDER BY stream_id, ts, seq) TO '{tmp}' ({_copy_options(zstd_level, key_id)})"
    )
    level = max(s.level for s in inputs) + (len(inputs) > 1)
    known = [s.message_bytes for s in inputs]
    nbytes = sum(b for b in known if b is not None) if not conds and None not in known else None
    segment = _publish(con, tmp, directory / name, segment_id, group_id, level, key_id, nbytes)
    if segment.rows == 0:
        (directory / name).unlink()
        return None
    return segment
