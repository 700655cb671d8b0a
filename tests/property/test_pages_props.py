"""A page's JSON: any message survives DuckDB's to_json and the zero-copy join of a slice."""

from __future__ import annotations

import duckdb
import orjson
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from owl.services.logs.events import EVENT_COLUMNS
from owl.services.logs.pages import json_events, reversed_rows, rows_within_cap

_CON = duckdb.connect()

messages = st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=30)


def _projected(msgs: list[str], chunk: int) -> pa.Table:
    """The messages as GetLogEvents' scan projects them, in chunks of `chunk` rows."""
    n = len(msgs)
    events = pa.table(
        {
            "stream_id": pa.array([1] * n, pa.int64()),
            "ts": pa.array(range(n), pa.int64()),
            "ingest": pa.array([7] * n, pa.int64()),
            "seq": pa.array(range(n), pa.int64()),
            "message": pa.array(msgs, pa.string()),
        }
    )
    _CON.register("e", events)
    table = _CON.sql(f"SELECT {EVENT_COLUMNS} FROM e ORDER BY ts").to_arrow_table()
    batches = [
        b for i in range(0, table.num_rows, chunk) for b in table.slice(i, chunk).to_batches()
    ]
    return pa.Table.from_batches(batches, schema=table.schema)


@settings(max_examples=150, deadline=None)
@given(msgs=messages, chunk=st.integers(1, 8), start=st.integers(0, 29), length=st.integers(0, 30))
def test_a_page_slice_is_the_json_of_exactly_its_events(
    msgs: list[str], chunk: int, start: int, length: int
) -> None:
    table = _projected(msgs, chunk)
    start = min(start, table.num_rows)
    page = table.slice(start, length)
    got = orjson.loads(orjson.dumps({"events": json_events(page)}))["events"]
    want = [{"timestamp": i, "message": m, "ingestionTime": 7} for i, m in enumerate(msgs)][
        start : start + length
    ]
    assert got == want


@given(msgs=messages)
def test_reversed_pages_keep_every_event(msgs: list[str]) -> None:
    table = reversed_rows(_projected(msgs, 3))
    got = orjson.loads(orjson.dumps(json_events(table)))
    assert [e["message"] for e in got] == msgs[::-1]


def test_the_cap_keeps_whole_events_under_one_megabyte() -> None:
    big = "x" * 300_000
    table = _projected([big, big, big, big], 2)
    assert rows_within_cap(table) == 3  # 3 * (300,000 + 26) fits in 1,048,576; 4 do not
    assert rows_within_cap(_projected(["y" * 2_000_000], 1)) == 1  # one event always goes
