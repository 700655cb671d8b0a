"""Helpers the Logs Insights protocol tests share (this module holds no tests).

`load` puts a small data set into a fresh log group (events sorted by time per stream, all in
the past hour unless a test says otherwise); `run` starts a query over it, polls
GetQueryResults until the query has finished and returns the rows as dicts without `@ptr`,
plus the full last response. `malformed` returns the MalformedQueryException a query raises
and the text its queryCompileError location points at.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

HOUR_MS = 3_600_000
QUARTER_MS = 900_000
# A quarter hour 45 to 60 minutes ago: events up to T0 + 40 min fall in the past hour, and
# bins of 5 and 15 minutes start at T0.
T0 = (int(time.time() * 1000) - 45 * 60_000) // QUARTER_MS * QUARTER_MS
WINDOW = {"startTime": T0 // 1000 - 3600, "endTime": T0 // 1000 + 3600}
POLL_S = 0.02


@dataclass(frozen=True)
class Event:
    stream: str
    ts: int  # epoch ms
    message: str


def load(logs: Any, group: str, events: Iterable[Event]) -> str:
    """Create `group` and its streams and put `events` (sorted by time within each stream)."""
    logs.create_log_group(logGroupName=group)
    by_stream: dict[str, list[Event]] = {}
    for e in events:
        by_stream.setdefault(e.stream, []).append(e)
    for stream, items in by_stream.items():
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
        items.sort(key=lambda e: e.ts)
        for i in range(0, len(items), 5_000):
            logs.put_log_events(
                logGroupName=group,
                logStreamName=stream,
                logEvents=[{"timestamp": e.ts, "message": e.message} for e in items[i : i + 5_000]],
            )
    return group


def wait(logs: Any, query_id: str, **kw: Any) -> dict[str, Any]:
    """GetQueryResults once the query is neither Scheduled nor Running."""
    deadline = time.monotonic() + 30
    while True:
        response: dict[str, Any] = logs.get_query_results(queryId=query_id, **kw)
        if response["status"] not in ("Scheduled", "Running"):
            return response
        assert time.monotonic() < deadline, f"query {query_id} still {response['status']}"
        time.sleep(POLL_S)


def start(logs: Any, groups: str | Sequence[str] | None, query: str, **kw: Any) -> str:
    params: dict[str, Any] = {**WINDOW, **kw, "queryString": query}
    if isinstance(groups, str):
        params["logGroupName"] = groups
    elif groups is not None:
        params["logGroupNames"] = list(groups)
    return str(logs.start_query(**params)["queryId"])


def as_dicts(results: list[list[dict[str, str]]]) -> list[dict[str, str]]:
    return [{f["field"]: f["value"] for f in row if f["field"] != "@ptr"} for row in results]


def run(
    logs: Any, groups: str | Sequence[str] | None, query: str, **kw: Any
) -> tuple[list[dict[str, str]], dict[str, Any]]:
    """Run `query` to completion: (rows as dicts without @ptr, the last GetQueryResults)."""
    response = wait(logs, start(logs, groups, query, **kw))
    assert response["status"] == "Complete", response
    return as_dicts(response["results"]), response


def rows(logs: Any, groups: str | Sequence[str] | None, query: str, **kw: Any) -> list[Any]:
    """Just the rows of `run`."""
    return run(logs, groups, query, **kw)[0]


def column(found: list[dict[str, str]], name: str) -> list[str | None]:
    return [r.get(name) for r in found]


def timestamp(ms: int) -> str:
    """An epoch-ms instant as results render it (§4.5): `YYYY-MM-DD HH:MM:SS.mmm`, UTC."""
    at = datetime.fromtimestamp(ms / 1000, UTC)
    return at.strftime("%Y-%m-%d %H:%M:%S.") + f"{ms % 1000:03d}"


def malformed(logs: Any, group: str, query: str) -> tuple[str, str]:
    """The MalformedQueryException of `query`: (its message, the text its location spans)."""
    with pytest.raises(ClientError) as caught:
        start(logs, group, query)
    response = caught.value.response
    assert response["Error"]["Code"] == "MalformedQueryException", response["Error"]
    error = response["queryCompileError"]
    where = error["location"]
    a, b = where["startCharOffset"], where["endCharOffset"]
    assert 0 <= a <= b <= len(query), where
    assert error["message"]
    return error["message"], query[a:b]
