"""FilterLogEvents: events of many streams of one group, in time order, page by page.

The first request opens one ordered scan (store.scan.open_group_scan); its pages are served
from the open result, which the cursor cache keeps under the token of the next page. The token
itself names a position, (timestamp, sequence) of the last event served, signed and bound to the
request parameters, so it still works after the cursor was evicted or the server restarted.
"""

from __future__ import annotations

from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from owl.domain.models import LogGroup
from owl.domain.streams import stream_not_found
from owl.errors import InvalidInputError
from owl.patterns import PatternError, compile_pattern
from owl.services.base import Call, Params, Result
from owl.services.logs import LOGS
from owl.services.logs.limits import DEFAULT_PAGE_EVENTS, EVENT_OVERHEAD, MAX_PAGE_BYTES
from owl.services.logs.streams import group_of
from owl.store.cursor import ScanCursor
from owl.store.scan import Position, open_group_scan

PAGE_BUDGET_S = 2.0  # one call reads at most this long, then returns a partial page
NEWEST_FIRST_MIN_START = 1_704_067_200_000  # 2024-01-01T00:00:00Z
_PURPOSE = "filter_log_events"

# 56 digits that sort like (timestamp, sequence): the same as GetLogEvents' token positions.
EVENT_ID_SQL = (
    "lpad(e.ts::VARCHAR, 19, '0') || lpad(e.seq::VARCHAR, 19, '0') || '000000000000000000'"
)


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
    fits = pc.less_equal(pc.cumulative_sum(table.column("size")), MAX_PAGE_BYTES)
    return max(1, int(pc.sum(fits).as_py() or 0))


def _names_table(call: Call, group: LogGroup, streams: dict[int, str] | None) -> pa.Table:
    names = streams if streams is not None else call.backends.streams.select(group)
    return pa.table(
        {"sid": pa.array(list(names), pa.int64()), "name": pa.array(list(names.values()))}
    )


# Each event's JSON is made inside the scan query (in parallel, once); a page only joins them.
_PROJECTION = (
    f"e.ts, e.seq, strlen(e.message) + {EVENT_OVERHEAD} AS size, "
    "json_object('logStreamName', n.name, 'timestamp', e.ts, 'message', e.message, "
    f"'ingestionTime', e.ingest, 'eventId', {EVENT_ID_SQL})::VARCHAR AS json"
)
_JOIN = "JOIN names n ON n.sid = e.stream_id"


def _events_json(page: pa.Table) -> Any:
    if page.num_rows == 0:
        return []
    return orjson.Fragment("[" + ",".join(page.column("json").to_pylist()) + "]")


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
    cursors.sweep()  # put() alone leaves abandoned cursors open while no one pages
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
            columns=_PROJECTION,
            joins=_JOIN,
            tables={"names": _names_table(call, group, streams)},
        )
    try:
        page = cursor.take(limit or DEFAULT_PAGE_EVENTS, PAGE_BUDGET_S)
        if limit is None:
            keep = _cap_bytes(page)
            if keep < page.num_rows:
                cursor.push_back(page.slice(keep))
                page = page.slice(0, keep)
        events = _events_json(page)
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
