"""GetLogEvents: pages of one stream, forwards and backwards, with signed position tokens.

A token is `f/<56 digits>/<mac>` or `b/<56 digits>/<mac>`: the digits are the position
(timestamp, sequence) of an event, the mac binds them to the group and stream incarnation. The
same position always gives the same token, so a client that sends the token of the end of the
stream gets the very same token back, which is how clients know they are done.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from owl.errors import InvalidInputError
from owl.services.base import Call, Params, Result
from owl.services.logs import LOGS
from owl.services.logs.limits import DEFAULT_PAGE_EVENTS, EVENT_OVERHEAD, MAX_PAGE_BYTES
from owl.services.logs.streams import group_of
from owl.store.scan import Position, empty_page, read_stream_page

_TOKEN = re.compile(r"([fb])/(\d{56})/([0-9a-f]{16})")


def event_digits(ts: int, seq: int) -> str:
    """56 decimal digits that sort like (timestamp, sequence): the basis of ids and tokens."""
    return f"{ts:019d}{seq:019d}{0:018d}"


def _mac(key: bytes, group_id: int, stream_id: int, kind: str, digits: str) -> str:
    msg = f"{group_id}/{stream_id}/{kind}/{digits}".encode()
    return hmac.new(key, msg, hashlib.sha256).hexdigest()[:16]


def _token(key: bytes, group_id: int, stream_id: int, kind: str, pos: Position) -> str:
    digits = event_digits(pos.ts, pos.seq)
    return f"{kind}/{digits}/{_mac(key, group_id, stream_id, kind, digits)}"


def _parse_token(key: bytes, group_id: int, stream_id: int, token: str) -> tuple[str, Position]:
    m = _TOKEN.fullmatch(token)
    if m is None or not hmac.compare_digest(m[3], _mac(key, group_id, stream_id, m[1], m[2])):
        raise InvalidInputError("The specified nextToken is invalid.", reason="invalid_token")
    digits = m[2]
    return m[1], Position(int(digits[:19]), int(digits[19:38]))


def _cap_bytes(table: pa.Table, forward: bool) -> pa.Table:
    """Keep as many events as fit in 1 MB: the head of a forward page, the tail of a backward."""
    if table.num_rows == 0:
        return table
    sizes = pc.add(pc.binary_length(table.column("message")), EVENT_OVERHEAD)
    if not forward:
        sizes = sizes.take(pa.array(range(table.num_rows - 1, -1, -1)))
    fits = pc.less_equal(pc.cumulative_sum(sizes), MAX_PAGE_BYTES)
    keep = max(1, int(pc.sum(fits).as_py() or 0))
    return table.slice(0, keep) if forward else table.slice(table.num_rows - keep, keep)


def _events_json(call: Call, table: pa.Table) -> Any:
    """The events as one pre-serialised JSON array, built by DuckDB rather than per event."""
    if table.num_rows == 0:
        return []
    con = call.backends.store.cursor()
    try:
        con.register("page", table)
        row = con.execute(
            "SELECT string_agg(json_object('timestamp', ts, 'message', message, "
            "'ingestionTime', ingest)::VARCHAR, ',' ORDER BY ts, seq) FROM page"
        ).fetchone()
    finally:
        con.close()
    assert row is not None
    return orjson.Fragment("[" + row[0] + "]")


# DuckDB answers ORDER BY … LIMIT n with a top-N heap for small n, but past ~8k rows it sorts
# everything after the position: a page is read in chunks well under that.
CHUNK_ROWS = 4_096


def _read(
    call: Call,
    group_id: int,
    stream_id: int,
    start: int | None,
    end: int | None,
    after: Position | None,
    before: Position | None,
    limit: int | None,
    forward: bool,
) -> pa.Table:
    """One page, oldest first: up to `limit` events, or without a limit as many as fit in 1 MB
    (at most 10,000), read chunk by chunk from the position onwards."""
    want = limit or DEFAULT_PAGE_EVENTS
    chunks: list[pa.Table] = []
    have = size = 0
    while have < want:
        n = min(CHUNK_ROWS, want - have)
        chunk = read_stream_page(
            call.backends.store,
            group_id,
            stream_id,
            start=start,
            # GetLogEvents excludes endTime itself (FilterLogEvents includes it).
            end=None if end is None else end - 1,
            after=after,
            before=before,
            limit=n,
            forward=forward,
        )
        if chunk.num_rows == 0:
            break
        chunks.append(chunk)
        have += chunk.num_rows
        size += int(pc.sum(pc.binary_length(chunk.column("message"))).as_py() or 0)
        size += EVENT_OVERHEAD * chunk.num_rows
        if chunk.num_rows < n or (limit is None and size >= MAX_PAGE_BYTES):
            break
        edge = 0 if not forward else chunk.num_rows - 1
        pos = Position(chunk.column("ts")[edge].as_py(), chunk.column("seq")[edge].as_py())
        after, before = (pos, None) if forward else (None, pos)
    if not chunks:
        return empty_page()
    ordered = chunks if forward else chunks[::-1]
    table = pa.concat_tables(ordered)
    return _cap_bytes(table, forward) if limit is None else table


@LOGS.operation("GetLogEvents")
def get_log_events(call: Call, p: Params) -> Result:
    group = group_of(call, p)
    stream = call.backends.streams.get(group, p["logStreamName"])
    key = call.backends.token_key
    limit = p.get("limit")
    start, end = p.get("startTime"), p.get("endTime")
    token = p.get("nextToken")
    after = before = None
    if token:
        kind, pos = _parse_token(key, group.id, stream.id, token)
        forward = kind == "f"
        after, before = (pos, None) if forward else (None, pos)
    else:
        forward = bool(p.get("startFromHead", False))
        pos = Position(0, 0)
    table = _read(call, group.id, stream.id, start, end, after, before, limit, forward)
    if table.num_rows:
        first = Position(table.column("ts")[0].as_py(), table.column("seq")[0].as_py())
        last = Position(table.column("ts")[-1].as_py(), table.column("seq")[-1].as_py())
    else:
        first = last = pos
    return {
        "events": _events_json(call, table),
        "nextForwardToken": _token(key, group.id, stream.id, "f", last),
        "nextBackwardToken": _token(key, group.id, stream.id, "b", first),
    }
