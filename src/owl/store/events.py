"""The columns of a stored event and the Arrow schema every layer of the store shares."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

SCHEMA = pa.schema(
    [
        ("stream_id", pa.int64()),
        ("ts", pa.int64()),  # event timestamp, ms since the epoch
        ("ingest", pa.int64()),  # ingestion time, ms since the epoch
        ("seq", pa.int64()),  # global, assigned before the WAL; (ts, seq) orders events
        ("message", pa.string()),
    ]
)


def make_batch(
    stream_id: int, seq_start: int, ingest_ms: int, ts: pa.Array, messages: pa.Array
) -> pa.RecordBatch:
    """One PutLogEvents batch as stored: rows of one stream with consecutive seqs."""
    n = len(ts)
    return pa.RecordBatch.from_arrays(
        [
            pa.array(np.full(n, stream_id, dtype=np.int64)),
            ts,
            pa.array(np.full(n, ingest_ms, dtype=np.int64)),
            pa.array(np.arange(seq_start, seq_start + n, dtype=np.int64)),
            messages,
        ],
        schema=SCHEMA,
    )
