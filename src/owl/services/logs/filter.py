"""FilterLogEvents: events of many streams of one group, in time order, page by page.

The first request opens an ordered scan (store.scan.WindowedScan, a series of bounded time
windows); the cursor cache keeps it under the token of the next page, so paging through a
result reads each event once. The token
itself names a position, (timestamp, sequence) of the last event served, signed and bound to the
request parameters, so it still works after the cursor was evicted or the server restarted.
"""

from __future__ import annotations

from typing import Any

import orjson
import pyarrow as pa

from owl.domain.models import LogGroup
from owl.domain.streams import stream_not_found
from owl.errors import InvalidInputError
from owl.patterns import PatternError, compile_pattern
from owl.patterns.sql import inline_params
from owl.services.base import Call, Params, Result
from owl.services.logs import LOGS
from owl.services.logs.limits import DEFAULT_PAGE_EVENTS
from owl.services.logs.pages import SIZE_SQL, json_events, rows_within_cap
from owl.services.logs.streams import group_of
from owl.store.scan import MAX_INT64, Position, ScanSpec, WindowedScan

PAGE_BUDGET_S = 2.0  # one call reads at most this long, then returns a partial page
NEWEST_FIRST_MIN_START = 1_704_067_200_000  # 2024-01-01T00:00:00Z
_PURPOSE = "filter_log_events"

# 56 digits that sort like (timestamp, sequence): the same as GetLogEvents' token positions.
EVENT_ID_SQL = "printf('%019d%019d000000000000000000', e.ts, e.seq)"


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


def _names_table(call: Call, group: LogGroup, streams: dict[int, str] | None) -> pa.Table:
    """Stream ids and their names, already JSON-encoded (once per query, not per event)."""
    names = streams if streams is not None else call.backends.streams.select(group)
    return pa.table(
        {
            "sid": pa.array(list(names), pa.int64()),
            "name_json": pa.array([orjson.dumps(n).decode() for n in names.values()]),
        }
    )


# Each event's JSON (with a trailing comma) and counted size are made inside the scan query.
_PROJECTION = (
    f"e.ts, e.seq, {SIZE_SQL} AS size, "
    """concat('{"logStreamName":', n.name_json, ',"timestamp":', e.ts, """
    """',"message":', to_json(e.message), ',"ingestionTime":', e.ingest, """
    f"""',"eventId":"', {EVENT_ID_SQL}, '"}},') AS json"""
)
_JOIN = "JOIN names n ON n.sid = e.stream_id"


@LOGS.operation("FilterLogEvents")
def filter_log_events(call: Call, p: Params) -> Result:
    group = group_of(call, p)
    call.backends.data_keys.check_readable(group)
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
    want = limit or DEFAULT_PAGE_EVENTS
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
    scan: WindowedScan | None = None
    after: Position | None = None
    if token:
        position = signer.decode(_PURPOSE, scope, token)
        after = Position(*position) if position else None
        scan = cursors.pop(token)
    if scan is None:
        predicate, params = inline_params(pattern.sql, pattern.params)
        spec = ScanSpec(
            group.id,
            None if streams is None else frozenset(streams),
            lo=max(start or 0, group.retention_floor(call.backends.clock.now_ms())),
            hi=end if end is not None else MAX_INT64,
            predicate=predicate,
            params=dict(params),
            columns=_PROJECTION,
            joins=_JOIN,
            tables={"names": _names_table(call, group, streams)},
            forward=forward,
        )
        scan = WindowedScan(call.backends.store, spec, after, first_rows=want)
    page = scan.take(want, PAGE_BUDGET_S)
    if limit is None:
        keep = rows_within_cap(page)
        if keep < page.num_rows:
            scan.push_back(page.slice(keep))
            page = page.slice(0, keep)
    out: dict[str, Any] = {"events": json_events(page), "searchedLogStreams": []}
    if scan.exhausted:
        scan.close()
        return out
    if page.num_rows:
        after = Position(page.column("ts")[-1].as_py(), page.column("seq")[-1].as_py())
    next_token = signer.encode(_PURPOSE, scope, [after.ts, after.seq] if after else None)
    cursors.put(next_token, scan)
    out["nextToken"] = next_token
    return out
