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

from owl.errors import InvalidInputError
from owl.services.base import Call, Params, Result
from owl.services.logs import LOGS
from owl.services.logs.limits import DEFAULT_PAGE_EVENTS
from owl.services.logs.pages import SIZE_SQL, json_events, reversed_rows, rows_within_cap
from owl.services.logs.streams import group_of
from owl.store.scan import MAX_INT64, Position, ScanSpec, WindowedScan

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


# Each event's JSON (with a trailing comma) and counted size are made inside the scan query.
EVENT_COLUMNS = (
    f"e.ts, e.seq, {SIZE_SQL} AS size, "
    """concat('{"timestamp":', e.ts, ',"message":', to_json(e.message), """
    """',"ingestionTime":', e.ingest, '},') AS json"""
)
PAGE_BUDGET_S = 2.0


@LOGS.operation("GetLogEvents")
def get_log_events(call: Call, p: Params) -> Result:
    group = group_of(call, p)
    call.backends.data_keys.check_readable(group)
    stream = call.backends.streams.get(group, p["logStreamName"])
    key = call.backends.token_key
    limit = p.get("limit")
    want = limit or DEFAULT_PAGE_EVENTS
    start, end = p.get("startTime"), p.get("endTime")
    token = p.get("nextToken")
    after: Position | None = None
    if token:
        kind, pos = _parse_token(key, group.id, stream.id, token)
        forward, after = kind == "f", pos
    else:
        forward = bool(p.get("startFromHead", False))
        pos = Position(0, 0)
    cursors = call.backends.cursors
    scope = f"get/{group.id}/{stream.id}/{start}/{end}/"
    scan = cursors.pop(scope + token) if token else None
    if scan is None:
        spec = ScanSpec(
            group.id,
            frozenset((stream.id,)),
            lo=max(start or 0, group.retention_floor(call.backends.clock.now_ms())),
            # GetLogEvents excludes endTime itself (FilterLogEvents includes it).
            hi=end - 1 if end is not None else MAX_INT64,
            columns=EVENT_COLUMNS,
            forward=forward,
        )
        scan = WindowedScan(call.backends.store, spec, after, first_rows=want)
    # An empty page would read as "end of stream" (its token comes back unchanged).
    page = scan.take(want, PAGE_BUDGET_S, allow_empty=False)
    if limit is None:
        keep = rows_within_cap(page)
        if keep < page.num_rows:
            scan.push_back(page.slice(keep))
            page = page.slice(0, keep)
    if not forward:
        page = reversed_rows(page)  # pages read backwards are still served oldest first
    if page.num_rows:
        first = Position(page.column("ts")[0].as_py(), page.column("seq")[0].as_py())
        last = Position(page.column("ts")[-1].as_py(), page.column("seq")[-1].as_py())
    else:
        first = last = pos
    out = {
        "events": json_events(page),
        "nextForwardToken": _token(key, group.id, stream.id, "f", last),
        "nextBackwardToken": _token(key, group.id, stream.id, "b", first),
    }
    if scan.exhausted:
        scan.close()
    else:
        cursors.put(scope + out["nextForwardToken" if forward else "nextBackwardToken"], scan)
    return out
