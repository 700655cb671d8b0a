"""FilterLogEvents: events of many streams of one group, in time order, page by page.

The first request opens one ordered scan (store.scan.open_group_scan); its pages are served
from the open result, which the cursor cache keeps under the token of the next page. The token
itself names a position, (timestamp, sequence) of the last event served, signed and bound to the
request parameters, so it still works after the cursor was evicted or the server restarted.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from owl.domain.models import LogGroup
from owl.domain.streams import stream_not_found
from owl.errors import InvalidInputError
from owl.patterns import PatternError, compile_pattern
from owl.services.base import Call, Params, Result
from owl.services.logs import LOGS
from owl.services.logs.streams import group_of
from owl.store.cursor import ScanCursor
from owl.store.scan import Position, open_group_scan

DEFAULT_LIMIT = 10_000
MAX_PAGE_BYTES = 1_048_576
EVENT_OVERHEAD = 26
PAGE_BUDGET_S = 2.0  # one call reads at most this long, then returns a partial page
NEWEST_FIRST_MIN_START = 1_704_067_200_000  # 2024-01-01T00:00:00Z
_PURPOSE = "filter_log_events"

EVENT_ID_SQL = "lpad(ts::VARCHAR, 19, '0') || lpad(seq::VARCHAR, 19, '0') || repeat('0', 18)"


def _stream_filter(call: Call, group: LogGroup, p: Params) -> dict[int, str] | None:
    names = p.get("logStreamNames")
    prefix = p.get("logStreamNamePrefix")
    if names is not None and prefix is not None:
        raise InvalidInputError(
            "logStreamNames and logStreamNamePrefix are mutually exclusive parameters."
        )
    if names is None and prefix is None:
        return None
    selected = call.backends.streams.select(group, names=names, prefix=prefix)
    if names is not None and len(selected) < len(set(names)):
        # AWS fails the whole request when one named stream does not exist.
        raise stream_not_found()
    return selected


def _cap_bytes(table: pa.Table) -> int:
    """How many leading rows fit in one 1 MB response."""
    if table.num_rows == 0:
        return 0
    sizes = pc.add(pc.binary_length(table.column("message")), EVENT_OVERHEAD)
    fits = pc.less_equal(pc.cumulative_sum(sizes), MAX_PAGE_BYTES)
    return max(1, int(pc.sum(fits).as_py() or 0))


def _events_json(call: Call, group: LogGroup, page: pa.Table) -> Any:
    """The page as one JSON array, serialised by DuckDB, with stream names joined in."""
    if page.num_rows == 0:
        return []
    ids = pc.unique(page.column("stream_id")).to_pylist()
    names = call.backends.streams.select_ids(group, ids)
    name_table = pa.table(
        {"sid": pa.array(list(names), pa.int64()), "name": pa.array(list(names.values()))}
    )
    con = call.backends.store.cursor()
    try:
        order = pa.array(np.arange(page.num_rows, dtype=np.int64))
        con.register("page", page.append_column("page_order", order))
        con.register("names", name_table)
        row = con.execute(
            "SELECT string_agg(json_object('logStreamName', names.name, 'timestamp', ts, "
            f"'message', message, 'ingestionTime', ingest, 'eventId', {EVENT_ID_SQL})::VARCHAR, "
            "',' ORDER BY page_order) FROM page JOIN names ON names.sid = page.stream_id"
        ).fetchone()
    finally:
        con.close()
    assert row is not None and row[0] is not None
    return orjson.Fragment("[" + row[0] + "]")


@LOGS.operation("FilterLogEvents")
def filter_log_events(call: Call, p: Params) -> Result:
    group = group_of(call, p)
    streams = _stream_filter(call, group, p)
    start, end = p.get("startTime"), p.get("endTime")
    forward = bool(p.get("startFromHead", True))
    if not forward and (start is None or start < NEWEST_FIRST_MIN_START):
        raise InvalidInputError(
            "startFromHead can be false only when startTime is on or after 2024-01-01 "
            "(1704067200000)."
        )
    pattern_text = p.get("filterPattern")
    try:
        pattern = compile_pattern(pattern_text)
    except PatternError as e:
        raise InvalidInputError(e.message) from None
    limit = p.get("limit")
    signer = call.backends.signer
    scope = {
        "g": group.id,
        "n": sorted(p["logStreamNames"]) if p.get("logStreamNames") else None,
        "p": p.get("logStreamNamePrefix"),
        "s": start,
        "e": end,
        "f": pattern_text,
        "h": forward,
    }
    token = p.get("nextToken")
    cursors = call.backends.cursors
    cursor: ScanCursor | None = None
    after: Position | None = None
    if token:
        position = signer.decode(_PURPOSE, scope, token)
        after = Position(*position) if position else None
        cursor = cursors.pop(token)
    if cursor is None:
        cursor = open_group_scan(
            call.backends.store,
            group.id,
            stream_ids=None if streams is None else list(streams),
            start=start,
            end=end,
            predicate=pattern.sql,
            predicate_params=dict(pattern.params),
            after=after,
            forward=forward,
        )
    try:
        page = cursor.take(limit or DEFAULT_LIMIT, PAGE_BUDGET_S)
        if limit is None:
            keep = _cap_bytes(page)
            if keep < page.num_rows:
                cursor.push_back(page.slice(keep))
                page = page.slice(0, keep)
        events = _events_json(call, group, page)
    except BaseException:
        cursor.close()
        raise
    out: dict[str, Any] = {"events": events, "searchedLogStreams": []}
    if cursor.exhausted:
        cursor.close()
        return out
    if page.num_rows:
        after = Position(page.column("ts")[-1].as_py(), page.column("seq")[-1].as_py())
    next_token = signer.encode(_PURPOSE, scope, [after.ts, after.seq] if after else None)
    cursors.put(next_token, cursor)
    out["nextToken"] = next_token
    return out
