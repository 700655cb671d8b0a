"""FilterLogEvents through boto3 and the aws CLI v1 against live servers.

One module-wide data set of 100,000 events in 10 streams of one group, with heavy timestamp ties
(about 25 events share each millisecond, two or three of them in the same stream) and streams
ingested in an order unrelated to their names, so that the expected order, (timestamp, ingestion
order), differs from any per-stream or per-name order. Every read is checked against that oracle:
complete, each event once, in order. Private servers (with --test-hooks) cover flush, merge and
restart.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import OwlServer, start_server

AWS_V1 = str(Path(sys.executable).with_name("aws"))
SERVICE_ERROR_EXIT = 255  # aws CLI v1 on a service error

N_STREAMS = 10
PER_STREAM = 10_000
TOTAL = N_STREAMS * PER_STREAM
TIE = 25  # consecutive events (over all streams) that share one timestamp
CHUNK = 2_500  # events of one stream per PutLogEvents call
STREAMS = [f"web/{k}" for k in range(5)] + [f"worker/{k}" for k in range(5)]
PAD = "." * 120  # ~150-byte messages: a page of 10,000 would pass 1 MiB
MIB = 1_048_576
NEWEST_FIRST_MIN_START = 1_704_067_200_000  # 2024-01-01T00:00:00Z


@dataclass(frozen=True)
class Event:
    stream: str
    ts: int
    message: str
    order: int  # rank in ingestion order, which is the server's sequence order


@dataclass
class Dataset:
    group: str
    base: int
    events: list[Event]  # expected order: (timestamp, ingestion order)
    ingested: tuple[int, int]  # wall-clock ms before the first and after the last PutLogEvents

    def expect(
        self,
        keep: Callable[[Event], bool] = lambda e: True,
        start: int | None = None,
        end: int | None = None,
    ) -> list[str]:
        return [
            e.message
            for e in self.events
            if (start is None or e.ts >= start) and (end is None or e.ts <= end) and keep(e)
        ]


def message_of(k: int, i: int) -> str:
    """Deterministic text with the words the pattern tests look for."""
    level = "ERROR" if i % 7 == 0 else "WARN" if i % 5 == 0 else "INFO"
    extra = ""
    if i % 11 == 0:
        extra += " disk full"
    if i % 13 == 0:
        extra += " full disk"
    if i % 17 == 0:
        extra += " ReadTimeoutError"
    return f"{STREAMS[k]} i={i:05d} {level}{extra} {PAD}"


def ts_of(base: int, k: int, i: int) -> int:
    return base + (N_STREAMS * i + k) // TIE


def put(client: Any, group: str, stream: str, events: list[tuple[int, str]]) -> None:
    response = client.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": t, "message": m} for t, m in events],
    )
    assert "rejectedLogEventsInfo" not in response


def page_all(
    client: Any, *, max_pages: int = 20_000, **kwargs: Any
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every event of a query by a raw nextToken loop: (events, responses)."""
    events: list[dict[str, Any]] = []
    pages: list[dict[str, Any]] = []
    args = dict(kwargs)
    for _ in range(max_pages):
        response = client.filter_log_events(**args)
        pages.append(response)
        events.extend(response["events"])
        token = response.get("nextToken")
        if token is None:
            return events, pages
        args["nextToken"] = token
    raise AssertionError(f"FilterLogEvents did not end within {max_pages} pages")


def messages(events: list[dict[str, Any]]) -> list[str]:
    return [e["message"] for e in events]


def assert_ordered(events: list[dict[str, Any]], *, newest_first: bool = False) -> None:
    """Ids are 56 digits, unique, and sort (as text) like (timestamp, sequence)."""
    ids = [e["eventId"] for e in events]
    assert all(len(i) == 56 and i.isdigit() for i in ids)
    keys = [(e["timestamp"], e["eventId"]) for e in events]
    if newest_first:
        keys.reverse()
        ids = ids[::-1]
    assert all(a < b for a, b in zip(keys, keys[1:], strict=False)), "not in (ts, eventId) order"
    assert all(a < b for a, b in zip(ids, ids[1:], strict=False)), "ids do not sort like events"


def error_code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def lenient(client: Any) -> Any:
    """A client of the same server without botocore's parameter validation."""
    creds = client._request_signer._credentials
    return boto3.client(
        "logs",
        endpoint_url=client.meta.endpoint_url,
        region_name=client.meta.region_name,
        aws_access_key_id=creds.access_key,
        aws_secret_access_key=creds.secret_key,
        config=Config(retries={"max_attempts": 1}, parameter_validation=False),
    )


def flush(server: OwlServer) -> int:
    """POST /_owl/flush (needs --test-hooks); the number of segments afterwards."""
    request = urllib.request.Request(f"{server.endpoint}/_owl/flush", data=b"{}", method="POST")
    with urllib.request.urlopen(request, timeout=120) as r:
        return int(json.loads(r.read())["segments"])


@pytest.fixture(scope="module")
def data(owl_server: OwlServer) -> Dataset:
    """The 100,000 events, ingested chunk by chunk with the streams in reverse name order."""
    client = owl_server.client("logs")
    group = f"/owl-test/filter/{uuid.uuid4().hex}"
    client.create_log_group(logGroupName=group)
    for name in STREAMS:
        client.create_log_stream(logGroupName=group, logStreamName=name)
    base = (int(time.time() * 1000) - 86_400_000) // 1000 * 1000
    events: list[Event] = []
    before = int(time.time() * 1000)
    for c in range(PER_STREAM // CHUNK):
        for k in reversed(range(N_STREAMS)):
            rows = [
                (ts_of(base, k, i), message_of(k, i)) for i in range(c * CHUNK, (c + 1) * CHUNK)
            ]
            put(client, group, STREAMS[k], rows)
            events += [Event(STREAMS[k], t, m, len(events) + n) for n, (t, m) in enumerate(rows)]
    after = int(time.time() * 1000)
    events.sort(key=lambda e: (e.ts, e.order))
    return Dataset(group, base, events, (before, after))


@pytest.fixture(scope="module")
def reference(owl_server: OwlServer, data: Dataset) -> dict[str, str]:
    """message → eventId from one complete read (every other read must give the same ids)."""
    events, _ = page_all(owl_server.client("logs"), logGroupName=data.group, limit=10_000)
    assert messages(events) == data.expect()
    return {e["message"]: e["eventId"] for e in events}


# -- complete reads ----------------------------------------------------------------------------


@pytest.mark.parametrize("page_size", [None, 10_000, 3_333, 997])
def test_paginator_reads_all_in_order(
    logs: Any, data: Dataset, reference: dict[str, str], page_size: int | None
) -> None:
    config: dict[str, Any] = {} if page_size is None else {"PageSize": page_size}
    paginator = logs.get_paginator("filter_log_events")
    events: list[dict[str, Any]] = []
    pages = 0
    for page in paginator.paginate(logGroupName=data.group, PaginationConfig=config):
        pages += 1
        assert page["searchedLogStreams"] == []
        assert len(page["events"]) <= (page_size or 10_000)
        events += page["events"]
    assert len(events) == TOTAL
    assert messages(events) == data.expect()
    assert_ordered(events)
    assert {e["message"]: e["eventId"] for e in events} == reference
    assert pages >= TOTAL // (page_size or 10_000)
    streams = {e["message"]: e["logStreamName"] for e in events}
    assert all(streams[e.message] == e.stream for e in data.events)


def test_raw_token_loop_default_pages_fit_one_mib(logs: Any, data: Dataset) -> None:
    """Without a limit a page holds at most 10,000 events and 1 MiB (message bytes + 26 each)."""
    events, pages = page_all(logs, logGroupName=data.group)
    assert messages(events) == data.expect()
    sizes = [sum(len(e["message"].encode()) + 26 for e in p["events"]) for p in pages]
    assert max(sizes) <= MIB
    assert max(len(p["events"]) for p in pages) < 10_000  # the byte cap, not the count, binds
    assert max(sizes) > MIB * 9 // 10  # and pages are not needlessly small
    assert all(p["searchedLogStreams"] == [] for p in pages)


def test_ingestion_time_and_stream_names(logs: Any, data: Dataset) -> None:
    page = logs.filter_log_events(logGroupName=data.group, limit=50)
    for e in page["events"]:
        assert set(e) == {"logStreamName", "timestamp", "message", "ingestionTime", "eventId"}
        assert e["message"].startswith(e["logStreamName"] + " ")
        assert data.ingested[0] <= e["ingestionTime"] <= data.ingested[1]
    assert page["nextToken"]


def test_equal_timestamps_limit_one(logs: Any, data: Dataset) -> None:
    """Pages of one event through a run of events that all share one timestamp."""
    ts = data.base + 1_000
    expected = data.expect(start=ts, end=ts)
    assert len(expected) == TIE
    assert len({e.stream for e in data.events if e.ts == ts}) < TIE  # in-stream ties too
    events, pages = page_all(logs, logGroupName=data.group, startTime=ts, endTime=ts, limit=1)
    assert messages(events) == expected
    assert all(len(p["events"]) <= 1 for p in pages)
    assert len({e["eventId"] for e in events}) == TIE


@pytest.mark.parametrize("limit", [1, 7, 24, 26])
def test_small_limits_across_ties(logs: Any, data: Dataset, limit: int) -> None:
    start, end = data.base + 2_000, data.base + 2_011
    events, pages = page_all(
        logs, logGroupName=data.group, startTime=start, endTime=end, limit=limit
    )
    assert messages(events) == data.expect(start=start, end=end)
    assert all(len(p["events"]) <= limit for p in pages)
    assert_ordered(events)


def test_limit_bounds(logs: Any, data: Dataset) -> None:
    page = logs.filter_log_events(logGroupName=data.group, limit=10_000)
    assert len(page["events"]) <= 10_000 and "nextToken" in page
    with pytest.raises(ClientError) as exc:
        lenient(logs).filter_log_events(logGroupName=data.group, limit=10_001)
    assert error_code(exc) == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        lenient(logs).filter_log_events(logGroupName=data.group, limit=0)
    assert error_code(exc) == "InvalidParameterException"


def test_group_identifier_and_interleaved(logs: Any, data: Dataset) -> None:
    arn = next(
        g["logGroupArn"]
        for g in logs.describe_log_groups(logGroupNamePrefix=data.group)["logGroups"]
        if g["logGroupName"] == data.group
    )
    start, end = data.base + 500, data.base + 520
    by_name = logs.filter_log_events(logGroupName=data.group, startTime=start, endTime=end)
    by_arn = logs.filter_log_events(
        logGroupIdentifier=arn, startTime=start, endTime=end, interleaved=True
    )
    assert by_arn["events"] == by_name["events"]
    assert messages(by_name["events"]) == data.expect(start=start, end=end)
    # a token issued for the name is good for the ARN (same group, same parameters)
    first = logs.filter_log_events(logGroupName=data.group, startTime=start, endTime=end, limit=9)
    rest, _ = page_all(
        logs, logGroupIdentifier=arn, startTime=start, endTime=end, nextToken=first["nextToken"]
    )
    assert messages(first["events"] + rest) == data.expect(start=start, end=end)


def test_missing_group(logs: Any, data: Dataset) -> None:
    with pytest.raises(ClientError) as exc:
        logs.filter_log_events(logGroupName=data.group + "-missing")
    assert error_code(exc) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        logs.filter_log_events()
    assert error_code(exc) == "InvalidParameterException"


# -- streams -----------------------------------------------------------------------------------


def test_stream_name_subset(logs: Any, data: Dataset) -> None:
    names = ["worker/3", "web/1"]
    events, _ = page_all(logs, logGroupName=data.group, logStreamNames=names, limit=1_500)
    assert messages(events) == data.expect(lambda e: e.stream in names)
    assert len(events) == 2 * PER_STREAM
    assert_ordered(events)
    (event,) = logs.filter_log_events(logGroupName=data.group, logStreamNames=["web/4"], limit=1)[
        "events"
    ]
    assert event["logStreamName"] == "web/4"


def test_stream_names_must_exist(logs: Any, data: Dataset) -> None:
    """AWS rejects the whole request when a named stream does not exist (clients such as
    percona/rds_exporter rely on it to find missing streams)."""
    for names in (["nope"], ["web/2", "nope"], ["web/2", "web/"]):
        with pytest.raises(ClientError) as exc:
            logs.filter_log_events(logGroupName=data.group, logStreamNames=names)
        assert error_code(exc) == "ResourceNotFoundException"
        assert exc.value.response["Error"]["Message"] == "The specified log stream does not exist."


def test_stream_name_prefix(logs: Any, data: Dataset) -> None:
    for prefix, streams in [("web/", STREAMS[:5]), ("worker/3", ["worker/3"]), ("w", STREAMS)]:
        start, end = data.base, data.base + 1_499
        events, _ = page_all(
            logs, logGroupName=data.group, logStreamNamePrefix=prefix, startTime=start, endTime=end
        )
        assert messages(events) == data.expect(lambda e, ss=streams: e.stream in ss, start, end)
        assert {e["logStreamName"] for e in events} == set(streams)
    page = logs.filter_log_events(logGroupName=data.group, logStreamNamePrefix="zzz")
    assert page["events"] == [] and "nextToken" not in page


def test_names_and_prefix_together(logs: Any, data: Dataset) -> None:
    with pytest.raises(ClientError) as exc:
        logs.filter_log_events(
            logGroupName=data.group, logStreamNames=["web/1"], logStreamNamePrefix="web/"
        )
    assert error_code(exc) == "InvalidParameterException"


# -- time windows and direction ----------------------------------------------------------------


def test_time_windows_are_inclusive(logs: Any, data: Dataset) -> None:
    last = data.events[-1].ts
    cases = [
        (data.base + 100, data.base + 200),  # both bounds fall on runs of ties
        (data.base + 3_999, None),
        (None, data.base + 3),
        (data.base + 777, data.base + 777),
        (data.base, last),
        (last + 1, None),
        (None, data.base - 1),
    ]
    for start, end in cases:
        kwargs: dict[str, Any] = {"logGroupName": data.group, "limit": 2_000}
        if start is not None:
            kwargs["startTime"] = start
        if end is not None:
            kwargs["endTime"] = end
        events, _ = page_all(logs, **kwargs)
        expected = data.expect(start=start, end=end)
        assert messages(events) == expected, (start, end)
        if start is not None and expected:
            assert events[0]["timestamp"] == start  # the start is inclusive
        if end is not None and start is not None and expected:
            assert events[-1]["timestamp"] == end  # the end is inclusive too


def test_newest_first(logs: Any, data: Dataset) -> None:
    start, end = data.base + 1_200, data.base + 1_600
    events, pages = page_all(
        logs,
        logGroupName=data.group,
        startTime=start,
        endTime=end,
        startFromHead=False,
        limit=1_234,
    )
    assert messages(events) == data.expect(start=start, end=end)[::-1]
    assert len(pages) > 1
    assert_ordered(events, newest_first=True)
    everything, _ = page_all(
        logs, logGroupName=data.group, startTime=data.base, startFromHead=False
    )
    assert messages(everything) == data.expect()[::-1]


def test_newest_first_needs_a_start_from_2024(logs: Any, data: Dataset) -> None:
    for kwargs in ({}, {"startTime": NEWEST_FIRST_MIN_START - 1}, {"startTime": 0}):
        with pytest.raises(ClientError) as exc:
            logs.filter_log_events(logGroupName=data.group, startFromHead=False, **kwargs)
        assert error_code(exc) == "InvalidParameterException", kwargs
    page = logs.filter_log_events(
        logGroupName=data.group, startFromHead=False, startTime=NEWEST_FIRST_MIN_START, limit=3
    )
    assert messages(page["events"]) == data.expect()[::-1][:3]
    # startFromHead=True (the default) takes any start time
    page = logs.filter_log_events(logGroupName=data.group, startFromHead=True, startTime=0, limit=3)
    assert messages(page["events"]) == data.expect()[:3]


# -- patterns ----------------------------------------------------------------------------------


def _has(word: str) -> Callable[[Event], bool]:
    return lambda e: word in e.message


PATTERNS: list[tuple[str, Callable[[Event], bool]]] = [
    ("ERROR", _has("ERROR")),
    ("Timeout", _has("Timeout")),  # a substring, not a word
    ("error", lambda e: False),  # case-sensitive
    ('"disk full"', _has("disk full")),
    ('"full disk"', _has("full disk")),
    ("ERROR -disk", lambda e: "ERROR" in e.message and "disk" not in e.message),
    ('-"disk full"', lambda e: "disk full" not in e.message),
    ("?WARN ?ReadTimeoutError", lambda e: "WARN" in e.message or "ReadTimeoutError" in e.message),
    ("?WARN ERROR", _has("ERROR")),  # ? terms mixed with plain terms are ignored
    (
        'ERROR "disk full" "worker/2"',
        lambda e: all(w in e.message for w in ("ERROR", "disk full", "worker/2")),
    ),
    ('" "', lambda e: True),
]


@pytest.mark.parametrize(("pattern", "keep"), PATTERNS, ids=[p for p, _ in PATTERNS])
def test_term_patterns(
    logs: Any, data: Dataset, reference: dict[str, str], pattern: str, keep: Callable[[Event], bool]
) -> None:
    start, end = data.base + 400, data.base + 2_400
    events, pages = page_all(
        logs, logGroupName=data.group, filterPattern=pattern, startTime=start, endTime=end
    )
    assert messages(events) == data.expect(keep, start, end)
    assert all(reference[e["message"]] == e["eventId"] for e in events)


def test_pattern_over_everything_with_small_pages(logs: Any, data: Dataset) -> None:
    events, _ = page_all(logs, logGroupName=data.group, filterPattern='"disk full"', limit=333)
    assert messages(events) == data.expect(_has("disk full"))
    assert len(events) == N_STREAMS * len(range(0, PER_STREAM, 11))


def test_invalid_pattern(logs: Any, data: Dataset) -> None:
    with pytest.raises(ClientError) as exc:
        logs.filter_log_events(logGroupName=data.group, filterPattern='"disk full')
    assert error_code(exc) == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        lenient(logs).filter_log_events(logGroupName=data.group, filterPattern="x" * 1025)
    assert error_code(exc) == "InvalidParameterException"


# -- event ids and tokens ----------------------------------------------------------------------


def test_event_ids_identical_across_calls(
    logs: Any, data: Dataset, reference: dict[str, str]
) -> None:
    start, end = data.base + 3_000, data.base + 3_100
    for kwargs in (
        {},
        {"limit": 13},
        {"startFromHead": False},
        {"logStreamNames": ["web/0", "worker/4"]},
        {"logStreamNamePrefix": "worker/"},
    ):
        events, _ = page_all(logs, logGroupName=data.group, startTime=start, endTime=end, **kwargs)
        assert events
        assert all(reference[e["message"]] == e["eventId"] for e in events), kwargs


def _first_token(logs: Any, **kwargs: Any) -> str:
    token = logs.filter_log_events(limit=5, **kwargs)["nextToken"]
    assert isinstance(token, str) and token
    return token


def test_forged_tokens(logs: Any, data: Dataset) -> None:
    kwargs: dict[str, Any] = {"logGroupName": data.group, "startTime": data.base}
    token = _first_token(logs, **kwargs)
    forged = [
        token[:-1] + ("A" if token[-1] != "A" else "B"),
        ("A" if token[0] != "A" else "B") + token[1:],
        token[: len(token) // 2],
        token + "A",
        "garbage",
        "f/" + "0" * 56 + "/0123456789abcdef",
        token.replace("-", "+").replace("_", "/") + "==",
    ]
    for bad in forged:
        if bad == token:
            continue
        with pytest.raises(ClientError) as exc:
            logs.filter_log_events(nextToken=bad, **kwargs)
        assert error_code(exc) == "InvalidParameterException", bad
    # the genuine token still works afterwards
    assert logs.filter_log_events(nextToken=token, **kwargs)["events"]


def test_tokens_bound_to_their_parameters(logs: Any, data: Dataset, unique_name: str) -> None:
    base: dict[str, Any] = {"logGroupName": data.group, "startTime": data.base + 10}
    token = _first_token(logs, **base)
    other_group = unique_name
    logs.create_log_group(logGroupName=other_group)
    logs.create_log_stream(logGroupName=other_group, logStreamName="web/0")
    put(logs, other_group, "web/0", [(data.base + 10 + i, f"other {i}") for i in range(20)])
    other_token = _first_token(logs, logGroupName=other_group, startTime=data.base + 10)
    mismatched: list[tuple[str, dict[str, Any]]] = [
        (token, {**base, "logGroupName": other_group}),
        (other_token, base),
        (token, {**base, "startTime": data.base + 11}),
        (token, {**base, "endTime": data.base + 3_000}),
        (token, {**base, "filterPattern": "ERROR"}),
        (token, {**base, "logStreamNames": ["web/0"]}),
        (token, {**base, "logStreamNamePrefix": "web/"}),
        (token, {**base, "startFromHead": False}),
    ]
    for bad_token, kwargs in mismatched:
        with pytest.raises(ClientError) as exc:
            logs.filter_log_events(nextToken=bad_token, **kwargs)
        assert error_code(exc) == "InvalidParameterException", kwargs
    # a GetLogEvents token is not a FilterLogEvents token
    forward = logs.get_log_events(
        logGroupName=data.group, logStreamName="web/0", startFromHead=True, limit=3
    )["nextForwardToken"]
    with pytest.raises(ClientError) as exc:
        logs.filter_log_events(nextToken=forward, **base)
    assert error_code(exc) == "InvalidParameterException"
    # the same parameters, and another limit, are fine
    assert logs.filter_log_events(nextToken=token, limit=2, **base)["events"]


def test_token_of_a_deleted_and_recreated_group(logs: Any, unique_name: str) -> None:
    base = int(time.time() * 1000) - 60_000
    logs.create_log_group(logGroupName=unique_name)
    logs.create_log_stream(logGroupName=unique_name, logStreamName="s")
    put(logs, unique_name, "s", [(base + i, f"m{i}") for i in range(10)])
    token = _first_token(logs, logGroupName=unique_name)
    logs.delete_log_group(logGroupName=unique_name)
    logs.create_log_group(logGroupName=unique_name)
    logs.create_log_stream(logGroupName=unique_name, logStreamName="s")
    put(logs, unique_name, "s", [(base + i, f"m{i}") for i in range(10)])
    with pytest.raises(ClientError) as exc:
        logs.filter_log_events(logGroupName=unique_name, nextToken=token)
    assert error_code(exc) == "InvalidParameterException"


def test_token_after_cursor_eviction(logs: Any, data: Dataset) -> None:
    """Many other open results push the first out of the cursor cache; its token still works."""
    start, end = data.base + 3_500, data.base + 3_700
    kwargs: dict[str, Any] = {"logGroupName": data.group, "startTime": start, "endTime": end}
    first = logs.filter_log_events(limit=37, **kwargs)
    for n in range(80):  # each leaves an open cursor behind
        page = logs.filter_log_events(
            logGroupName=data.group,
            startTime=data.base + 10 * n,
            endTime=data.base + 10 * n + 2,
            limit=1,
        )
        assert "nextToken" in page
    rest, _ = page_all(logs, nextToken=first["nextToken"], **kwargs)
    assert messages(first["events"] + rest) == data.expect(start=start, end=end)


def test_repeated_token_gives_the_same_page(logs: Any, data: Dataset) -> None:
    """A client retrying a page (lost response) gets the same events and the same next token."""
    kwargs: dict[str, Any] = {"logGroupName": data.group, "startTime": data.base + 50, "limit": 40}
    first = logs.filter_log_events(**kwargs)
    second = logs.filter_log_events(nextToken=first["nextToken"], **kwargs)
    again = logs.filter_log_events(nextToken=first["nextToken"], **kwargs)
    assert again["events"] == second["events"]
    assert again["nextToken"] == second["nextToken"]
    third = logs.filter_log_events(nextToken=again["nextToken"], **kwargs)
    assert (
        messages(first["events"] + second["events"] + third["events"])
        == data.expect(start=data.base + 50)[:120]
    )


# -- writes while paging -----------------------------------------------------------------------


def test_events_ingested_between_pages(logs: Any, unique_name: str) -> None:
    group = unique_name
    base = (int(time.time() * 1000) - 3_600_000) // 1000 * 1000
    logs.create_log_group(logGroupName=group)
    for s in ("a", "b", "late"):
        logs.create_log_stream(logGroupName=group, logStreamName=s)
    original: list[str] = []
    for s in ("a", "b"):
        rows = [(base + i // 3, f"{s} {i}") for i in range(3_000)]
        put(logs, group, s, rows)
        original += [m for _, m in rows]
    args: dict[str, Any] = {"logGroupName": group, "limit": 250}
    seen: list[dict[str, Any]] = []
    late: list[str] = []
    for n in range(1_000):
        page = logs.filter_log_events(**args)
        seen += page["events"]
        if "nextToken" not in page:
            break
        args["nextToken"] = page["nextToken"]
        pos = seen[-1]["timestamp"] if seen else base
        rows = [(pos - 7, f"late past {n}"), (pos, f"late tie {n}"), (pos + 3, f"late next {n}")]
        rows += [(base + 5_000 + n, f"late future {n}")]
        put(logs, group, "late", rows)
        late += [m for _, m in rows]
    else:
        raise AssertionError("paging did not end")
    counts = Counter(messages(seen))
    assert all(counts[m] == 1 for m in original), "an original event was lost or repeated"
    assert max(counts.values()) == 1, "an event appeared twice"
    assert set(counts) <= set(original) | set(late)
    assert_ordered(seen)
    # a new query sees everything, once
    everything, _ = page_all(logs, logGroupName=group)
    assert sorted(messages(everything)) == sorted(original + late)
    assert_ordered(everything)


# -- flush, merge, restart (private servers) ---------------------------------------------------


def _ids(client: Any, group: str) -> dict[str, str]:
    events, _ = page_all(client, logGroupName=group, limit=997)
    assert_ordered(events)
    ids = {e["message"]: e["eventId"] for e in events}
    assert len(ids) == len(events)
    return ids


@pytest.fixture
def private(tmp_path: Path) -> Iterator[OwlServer]:
    server = start_server(tmp_path / "data", "--test-hooks")
    try:
        yield server
    finally:
        server.stop()


def test_ids_stable_across_flush_merge_and_restart(private: OwlServer, tmp_path: Path) -> None:
    client = private.client("logs")
    group = "/owl-test/filter/stable"
    client.create_log_group(logGroupName=group)
    streams = ["s0", "s1", "s2"]
    for s in streams:
        client.create_log_stream(logGroupName=group, logStreamName=s)
    base = (int(time.time() * 1000) - 7_200_000) // 1000 * 1000
    known: dict[str, str] = {}
    expected: list[tuple[int, int, str]] = []  # (ts, ingestion rank, message)

    def ingest(round_no: int) -> None:
        for s in reversed(streams):
            rows = [(base + round_no * 100 + i // 7, f"r{round_no} {s} {i}") for i in range(700)]
            put(client, group, s, rows)
            expected.extend((t, len(expected) + j, m) for j, (t, m) in enumerate(rows))

    def check() -> dict[str, str]:
        ids = _ids(client, group)
        assert list(ids) == [m for _, _, m in sorted(expected)]
        assert all(ids[m] == i for m, i in known.items()), "an event id changed"
        known.update(ids)
        return ids

    ingest(0)
    check()  # memtable only
    segments = 0
    for round_no in range(1, 5):
        segments = flush(private)
        check()  # the previous rounds are now in segments
        ingest(round_no)
        check()  # segments + memtable
    segments = flush(private)  # the fifth flush: without a merge there would be 5 segments
    deadline = time.monotonic() + 60
    while segments >= 4 and time.monotonic() < deadline:  # background merge of level 0
        time.sleep(0.5)
        segments = flush(private)
    assert segments < 4, "the segments were not merged"
    check()

    # unflushed events (WAL + memtable), a token in the middle of a run of ties, a hard kill
    ingest(5)
    ids = check()
    order = list(ids)
    first = client.filter_log_events(logGroupName=group, limit=1_003)
    newest = client.filter_log_events(
        logGroupName=group, startTime=base, startFromHead=False, limit=1_001
    )
    private.stop(signal.SIGKILL)
    restarted = start_server(private.data_dir, "--test-hooks", port=private.port)
    try:
        client = restarted.client("logs")
        assert check() == ids
        rest, _ = page_all(client, logGroupName=group, limit=1_003, nextToken=first["nextToken"])
        assert messages(first["events"] + rest) == order
        assert rest[0]["timestamp"] == first["events"][-1]["timestamp"]  # resumed inside a tie
        back, _ = page_all(
            client,
            logGroupName=group,
            startTime=base,
            startFromHead=False,
            limit=1_001,
            nextToken=newest["nextToken"],
        )
        assert messages(newest["events"] + back) == order[::-1]
        flush(restarted)
        assert check() == ids
    finally:
        restarted.stop()


# -- the aws CLI v1 ----------------------------------------------------------------------------


def aws(server: OwlServer, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [AWS_V1, "logs", *args, "--output", "json"],
        env=server.aws_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def aws_json(server: OwlServer, *args: str) -> Any:
    done = aws(server, *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_cli_reads_everything(
    owl_server: OwlServer, data: Dataset, reference: dict[str, str]
) -> None:
    out = aws_json(
        owl_server,
        "filter-log-events",
        "--log-group-name",
        data.group,
        "--page-size",
        "7000",
        "--query",
        "events[].[eventId, message]",
    )
    assert [m for _, m in out] == data.expect()
    assert all(reference[m] == i for i, m in out)


def test_cli_windows_streams_patterns_and_resume(owl_server: OwlServer, data: Dataset) -> None:
    start, end = data.base + 100, data.base + 300
    common = ["--log-group-name", data.group, "--start-time", str(start), "--end-time", str(end)]
    out = aws_json(
        owl_server,
        "filter-log-events",
        *common,
        "--log-stream-names",
        "web/3",
        "worker/0",
        "--filter-pattern",
        '"disk full"',
    )
    keep = lambda e: e.stream in ("web/3", "worker/0") and "disk full" in e.message  # noqa: E731
    assert messages(out["events"]) == data.expect(keep, start, end)
    assert out["searchedLogStreams"] == []
    # --max-items / --starting-token: the CLI's own resumable paging
    first = aws_json(owl_server, "filter-log-events", *common, "--max-items", "17")
    assert len(first["events"]) == 17
    rest = aws_json(
        owl_server, "filter-log-events", *common, "--starting-token", first["NextToken"]
    )
    assert messages(first["events"] + rest["events"]) == data.expect(start=start, end=end)
    # raw tokens with --no-paginate
    page = aws_json(owl_server, "filter-log-events", *common, "--limit", "5", "--no-paginate")
    page2 = aws_json(
        owl_server,
        "filter-log-events",
        *common,
        "--limit",
        "5",
        "--no-paginate",
        "--next-token",
        page["nextToken"],
    )
    assert messages(page["events"] + page2["events"]) == data.expect(start=start, end=end)[:10]


def test_cli_errors(owl_server: OwlServer, data: Dataset) -> None:
    done = aws(
        owl_server,
        "filter-log-events",
        "--log-group-name",
        data.group,
        "--log-stream-names",
        "web/1",
        "--log-stream-name-prefix",
        "web/",
    )
    assert done.returncode == SERVICE_ERROR_EXIT
    assert "InvalidParameterException" in done.stderr
    done = aws(
        owl_server,
        "filter-log-events",
        "--log-group-name",
        data.group,
        "--no-start-from-head",
        "--start-time",
        "1000",
    )
    assert done.returncode == SERVICE_ERROR_EXIT
    assert "InvalidParameterException" in done.stderr
