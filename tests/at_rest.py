"""Reading a server's segment files from outside, as an operator with the master key could.

Tests that check what the files hold (a deleted stream purged, merges done) read them here:
the data keys come from the catalog, opened with owl's own unwrapping code, and DuckDB gets
them before reading each file.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import duckdb
import sqlalchemy as sa

from owl.domain.clock import SystemClock
from owl.domain.data_keys import open_data_key
from owl.domain.keys import Keys
from owl.domain.master_key import load_master_key


def _material(data_dir: Path, key_id: int) -> bytes:
    engine = sa.create_engine(f"sqlite:///{data_dir / 'catalog.db'}")
    try:
        master = load_master_key(data_dir)
        return open_data_key(engine, Keys(engine, SystemClock(), master), master, key_id)
    finally:
        engine.dispose()


def segment_keys(data_dir: Path) -> dict[str, int | None]:
    """File name → data key id, from the store's manifest."""
    doc = json.loads((data_dir / "store" / "MANIFEST.json").read_bytes())
    return {s["file"]: s.get("key_id") for s in doc["segments"]}


def query_segments(data_dir: Path, files: list[Path], sql: str) -> list[tuple[Any, ...]]:
    """`sql` over the rows of the segment `files`, exposed as the view `seg`."""
    if not files:
        return []
    keys = segment_keys(data_dir)
    con = duckdb.connect()
    try:
        parts = []
        for f in files:
            if f.name not in keys:  # left the manifest: a merge is removing it
                raise FileNotFoundError(f)
            kid = keys[f.name]
            if kid is None:
                parts.append(f"SELECT * FROM read_parquet('{f}')")
                continue
            b64 = base64.b64encode(_material(data_dir, kid)).decode()
            con.execute(f"PRAGMA add_parquet_key('k{kid}', '{b64}')")
            parts.append(
                f"SELECT * FROM read_parquet('{f}', encryption_config = {{footer_key: 'k{kid}'}})"
            )
        con.execute("CREATE VIEW seg AS " + " UNION ALL ".join(parts))
        return con.execute(sql).fetchall()
    finally:
        con.close()


def open_wal_record(data_dir: Path, record: bytes) -> memoryview:
    """The plaintext payload of one WAL record (header included in `record`)."""
    from owl.store import wal

    _magic, length, _crc, key_id, kind, _flags, _ = wal.HEADER.unpack_from(record, 0)
    body = record[wal.HEADER.size : wal.HEADER.size + length]
    if key_id == 0:
        return memoryview(body)
    aad = wal._aad(kind, key_id)
    return memoryview(wal.open_sealed(_material(data_dir, key_id), aad, body))
