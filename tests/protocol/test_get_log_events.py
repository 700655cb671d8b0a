"""GetLogEvents through boto3: 100,000 events in 10 streams read back exactly, both ways.

Paging as clients do it (formats 0.1): forward from the head following nextForwardToken until
it equals the token sent; backward from the tail following nextBackwardToken until it repeats.
Without `limit` a page holds as many events as fit in 1 MB (message bytes + 26 each), at most
10,000.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import OwlServer
from tests.protocol.support import error_of

HOUR = 3600 * 1000
MAX_EVENTS = 10_000
MAX_BATCH_BYTES = 1_048_576
MAX_PAGE_BYTES = 1_048_576
EVENT_OVERHEAD = 26
STREAMS = 10
EVENTS_PER_STREAM = 10_000
TOKEN = re.compile(r"[fb]/\d{56}/\S+")
BAD_TOKEN = "The specified nextToken is invalid."

Event = tuple[int, str]  # (timestamp, message)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def size_of(message: str) -> int:
    return len(message.encode()) + EVENT_OVERHEAD


def batches(events: list[Event]) -> Iterator[list[Event]]:
    """Consecutive batches obeying PutLogEvents' limits: 10,000 events and 1 MiB."""
    batch: list[Event] = []
    size = 0
    for e in events:
        if len(batch) == MAX_EVENTS or size + size_of(e[1]) > MAX_BATCH_BYTES:
            yield batch
            batch, size = [], 0
        batch.append(e)
        size += size_of(e[1])
    if batch:
        yield batch


def put(logs: Any, group: str, stream: str, events: list[Event]) -> None:
    for batch in batches(events):
        logs.put_log_events(
            logGroupName=group,
            logStreamName=stream,
            logEvents=[{"timestamp": t, "message": m} for t, m in batch],
        )


def pairs(events: list[dict[str, Any]]) -> list[Event]:
    return [(e["timestamp"], e["message"]) for e in events]


@dataclass
class Pages:
    events: list[Event]
    sizes: list[int]  # events per page, in the order the pages came
    pages: list[list[Event]]
    tokens: list[str]


def read_forward(logs: Any, limit: int | None = None, **kw: Any) -> Pages:
    """From the head, following nextForwardToken until it comes back unchanged."""
    events: list[Event] = []
    pages: list[list[Event]] = []
    tokens: list[str] = []
    token: str | None = None
    for _ in range(10_000):
        args = dict(kw, startFromHead=True)
        if limit is not None:
            args["limit"] = limit
        if token is not None:
            args["nextToken"] = token
        page = logs.get_log_events(**args)
        assert TOKEN.fullmatch(page["nextForwardToken"])
        assert TOKEN.fullmatch(page["nextBackwardToken"])
        got = pairs(page["events"])
        if page["nextForwardToken"] == token:
            assert got == []
            return Pages(events, [len(p) for p in pages], pages, tokens)
        events += got
        pages.append(got)
        token = page["nextForwardToken"]
        tokens.append(token)
    raise AssertionError("forward paging never ended")


def read_backward(logs: Any, limit: int | None = None, **kw: Any) -> Pages:
    """From the tail (startFromHead defaults to false), following nextBackwardToken."""
    pages: list[list[Event]] = []
    tokens: list[str] = []
    token: str | None = None
    for _ in range(10_000):
        args = dict(kw)
        if limit is not None:
            args["limit"] = limit
        if token is not None:
            args["nextToken"] = token
        page = logs.get_log_events(**args)
        got = pairs(page["events"])
        if page["nextBackwardToken"] == token:
            assert got == []
            events = [e for p in reversed(pages) for e in p]
            return Pages(events, [len(p) for p in pages], pages, tokens)
        pages.append(got)
        token = page["nextBackwardToken"]
        tokens.append(token)
    raise AssertionError("backward paging never ended")


def message_for(stream: int, j: int) -> str:
    """Different sizes per stream, so that both the 1 MB and the 10,000 caps are met."""
    tag = f"s{stream}-{j:05d}"
    if stream == 0:
        return tag + " " + "x" * 490  # ~500 bytes: a default page is ~1,990 events
    if stream == 1:
        return tag + " " + "é" * 150 + "😀"  # multi-byte: 300+ bytes in ~160 characters
    if stream == 2:
        return tag + ' "quoted" \\ back\nslash\t' + "日本" * (j % 7)
    return tag + " " + "y" * (j % 40)


@dataclass
class BigGroup:
    name: str
    arn: str
    streams: list[str]
    events: dict[str, list[Event]]
    put_started: int
    put_ended: int


@pytest.fixture(scope="module")
def big(owl_server: OwlServer) -> BigGroup:
    logs = owl_server.client("logs")
    name = f"/owl-test/get-log-events/{time.monotonic_ns()}"
    logs.create_log_group(logGroupName=name)
    streams = [f"stream-{i}" for i in range(STREAMS)]
    base = now_ms() - 3 * HOUR
    events: dict[str, list[Event]] = {}
    for i, s in enumerate(streams):
        logs.create_log_stream(logGroupName=name, logStreamName=s)
        # Three events share each timestamp: their put order must survive.
        events[s] = [(base + j // 3, message_for(i, j)) for j in range(EVENTS_PER_STREAM)]
    started = now_ms()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda s: put(logs, name, s, events[s]), streams))
    ended = now_ms()
    arn = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"][0]["logGroupArn"]
    return BigGroup(name, arn, streams, events, started, ended)


def each_stream(fn: Any, streams: list[str]) -> list[Any]:
    with ThreadPoolExecutor(5) as pool:
        return list(pool.map(fn, streams))


def page_bytes(page: list[Event]) -> int:
    return sum(size_of(m) for _, m in page)


def check_pages(
    pages: Pages, expected: list[Event], forward: bool, limit: int | None = None
) -> None:
    """The events, exactly; each page but the last full: `limit` (default 10,000) events, or
    one more would pass 1 MB. Without a limit no page passes 1 MB; with one, whether the 1 MB
    cap still applies is left open (the docs do not say)."""
    assert pages.events == expected
    max_events = limit or MAX_EVENTS
    position = 0 if forward else len(expected)
    for n, page in enumerate(pages.pages):
        assert page, "an empty page before the end"
        assert len(page) <= max_events
        if limit is None:
            assert page_bytes(page) <= MAX_PAGE_BYTES
        if forward:
            position += len(page)
            following = expected[position] if position < len(expected) else None
        else:
            position -= len(page)
            following = expected[position - 1] if position > 0 else None
        if n < len(pages.pages) - 1:
            assert following is not None
            assert len(page) == max_events or (
                page_bytes(page) + size_of(following[1]) > MAX_PAGE_BYTES
            )


# --- the 100,000 events ----------------------------------------------------------------------


def test_forward_from_head_without_limit(owl_server: OwlServer, big: BigGroup) -> None:
    logs = owl_server.client("logs")

    def check(s: str) -> None:
        pages = read_forward(logs, logGroupName=big.name, logStreamName=s)
        check_pages(pages, big.events[s], forward=True)

    each_stream(check, big.streams)


def test_backward_from_tail_without_limit(owl_server: OwlServer, big: BigGroup) -> None:
    logs = owl_server.client("logs")

    def check(s: str) -> None:
        pages = read_backward(logs, logGroupName=big.name, logStreamName=s)
        check_pages(pages, big.events[s], forward=False)

    each_stream(check, big.streams)


def test_the_one_megabyte_cap_is_what_ends_big_pages(owl_server: OwlServer, big: BigGroup) -> None:
    logs = owl_server.client("logs")
    page = logs.get_log_events(logGroupName=big.name, logStreamName="stream-0", startFromHead=True)
    got = pairs(page["events"])
    assert 1000 < len(got) < MAX_EVENTS
    assert got == big.events["stream-0"][: len(got)]
    assert page_bytes(got) <= MAX_PAGE_BYTES < page_bytes(big.events["stream-0"][: len(got) + 1])
    page = logs.get_log_events(logGroupName=big.name, logStreamName="stream-5", startFromHead=True)
    assert len(page["events"]) == MAX_EVENTS


@pytest.mark.parametrize("limit", [997, 10_000])
def test_forward_with_limit(owl_server: OwlServer, big: BigGroup, limit: int) -> None:
    logs = owl_server.client("logs")

    def check(s: str) -> None:
        pages = read_forward(logs, limit, logGroupName=big.name, logStreamName=s)
        check_pages(pages, big.events[s], forward=True, limit=limit)

    each_stream(check, big.streams)


@pytest.mark.parametrize("limit", [997, 10_000])
def test_backward_with_limit(owl_server: OwlServer, big: BigGroup, limit: int) -> None:
    logs = owl_server.client("logs")

    def check(s: str) -> None:
        pages = read_backward(logs, limit, logGroupName=big.name, logStreamName=s)
        check_pages(pages, big.events[s], forward=False, limit=limit)

    each_stream(check, big.streams)


def test_limit_one_steps_through_equal_timestamps(owl_server: OwlServer, big: BigGroup) -> None:
    """One event per page: tokens tell apart events that share a timestamp."""
    logs = owl_server.client("logs")
    events = big.events["stream-3"]
    t0 = events[0][0]
    kw = {"logGroupName": big.name, "logStreamName": "stream-3"}
    kw |= {"startTime": t0 + 50, "endTime": t0 + 60}
    expected = events[150:180]
    forward = read_forward(logs, 1, **kw)
    assert forward.events == expected and forward.sizes == [1] * 30
    assert len(set(forward.tokens)) == 30
    backward = read_backward(logs, 1, **kw)
    assert backward.events == expected and backward.sizes == [1] * 30


def test_same_position_same_token(owl_server: OwlServer, big: BigGroup) -> None:
    logs = owl_server.client("logs")
    kw = {"logGroupName": big.name, "logStreamName": "stream-4", "limit": 100}
    first = logs.get_log_events(startFromHead=True, **kw)
    again = logs.get_log_events(startFromHead=True, **kw)
    assert first["nextForwardToken"] == again["nextForwardToken"]
    assert first["nextBackwardToken"] == again["nextBackwardToken"]
    assert first["events"] == again["events"]
    second = logs.get_log_events(startFromHead=True, nextToken=first["nextForwardToken"], **kw)
    second2 = logs.get_log_events(startFromHead=True, nextToken=first["nextForwardToken"], **kw)
    assert second["nextForwardToken"] == second2["nextForwardToken"]
    assert second["events"] == second2["events"]
    # Going back from the second page lands on the first page again, with its tokens.
    back = logs.get_log_events(nextToken=second["nextBackwardToken"], **kw)
    assert back["events"] == first["events"]
    assert back["nextBackwardToken"] == first["nextBackwardToken"]
    # The same position reached with another page size gives the same token.
    ten = logs.get_log_events(
        logGroupName=big.name, logStreamName="stream-4", startFromHead=True, limit=10
    )
    for _ in range(9):
        ten = logs.get_log_events(
            logGroupName=big.name,
            logStreamName="stream-4",
            startFromHead=True,
            limit=10,
            nextToken=ten["nextForwardToken"],
        )
    assert ten["nextForwardToken"] == first["nextForwardToken"]


def test_events_carry_ingestion_time(owl_server: OwlServer, big: BigGroup) -> None:
    logs = owl_server.client("logs")
    page = logs.get_log_events(logGroupName=big.name, logStreamName="stream-7", limit=50)
    assert len(page["events"]) == 50
    for e in page["events"]:
        assert set(e) == {"timestamp", "message", "ingestionTime"}
        assert big.put_started - 1000 <= e["ingestionTime"] <= big.put_ended + 1000


# --- time windows -----------------------------------------------------------------------------


def window(events: list[Event], start: int | None, end: int | None) -> list[Event]:
    return [e for e in events if (start is None or e[0] >= start) and (end is None or e[0] < end)]


def test_time_windows(owl_server: OwlServer, big: BigGroup) -> None:
    """startTime includes events at exactly that time; endTime excludes them (AWS's model
    documentation: "equal to or later than this time are not included")."""
    logs = owl_server.client("logs")
    events = big.events["stream-6"]
    t0 = events[0][0]
    cases = [
        (t0 + 100, t0 + 200),  # both bounds fall on three events with equal timestamps
        (t0 + 100, t0 + 101),  # a window of one millisecond: exactly three events
        (t0 + 100, t0 + 100),  # an empty window
        (t0, None),
        (None, t0 + 2000),
        (t0 + 3000, None),
        (t0 - 10_000, t0 - 1),  # before every event
        (events[-1][0] + 1, None),  # after every event
        (events[-1][0], events[-1][0] + 5),
    ]
    for start, end in cases:
        expected = window(events, start, end)
        kw: dict[str, Any] = {"logGroupName": big.name, "logStreamName": "stream-6"}
        if start is not None:
            kw["startTime"] = start
        if end is not None:
            kw["endTime"] = end
        assert read_forward(logs, **kw).events == expected, (start, end)
        assert read_backward(logs, 700, **kw).events == expected, (start, end)
    one = logs.get_log_events(
        logGroupName=big.name, logStreamName="stream-6", startTime=t0 + 100, endTime=t0 + 101
    )
    assert [m for _, m in pairs(one["events"])] == [m for _, m in events[300:303]]


# --- tokens that are not ours --------------------------------------------------------------


def test_forged_and_foreign_tokens(owl_server: OwlServer, big: BigGroup) -> None:
    logs = owl_server.client("logs")
    kw = {"logGroupName": big.name, "logStreamName": "stream-8", "limit": 10}
    page = logs.get_log_events(startFromHead=True, **kw)
    good = page["nextForwardToken"]
    kind, digits, mac = good.split("/")
    later = str(int(digits) + 10**20).zfill(56)
    other = logs.get_log_events(
        logGroupName=big.name, logStreamName="stream-9", startFromHead=True, limit=10
    )["nextForwardToken"]
    forged = [
        f"{kind}/{later}/{mac}",  # another position with the old signature
        f"b/{digits}/{mac}",  # direction flipped
        f"{kind}/{digits}/{mac[:-1]}{'0' if mac[-1] != '0' else '1'}",
        f"{kind}/{digits}",
        good + "x",
        "f/" + "0" * 56 + "/s",  # the shape AWS tokens have
        "garbage",
        "f/" + "9" * 56 + "/" + mac,
        other,  # a valid token of another stream of the same group
    ]
    for token in forged:
        with pytest.raises(ClientError) as exc:
            logs.get_log_events(startFromHead=True, nextToken=token, **kw)
        assert error_of(exc) == ("InvalidParameterException", BAD_TOKEN), token
    # The genuine token still works after all that.
    nxt = logs.get_log_events(startFromHead=True, nextToken=good, **kw)
    assert pairs(nxt["events"]) == big.events["stream-8"][10:20]


def test_token_of_a_deleted_and_recreated_stream(logs: Any, unique_name: str) -> None:
    logs.create_log_group(logGroupName=unique_name)
    logs.create_log_stream(logGroupName=unique_name, logStreamName="s")
    t = now_ms() - HOUR
    put(logs, unique_name, "s", [(t + i, f"old{i}") for i in range(5)])
    token = logs.get_log_events(
        logGroupName=unique_name, logStreamName="s", startFromHead=True, limit=2
    )["nextForwardToken"]
    logs.delete_log_stream(logGroupName=unique_name, logStreamName="s")
    logs.create_log_stream(logGroupName=unique_name, logStreamName="s")
    put(logs, unique_name, "s", [(t + i, f"new{i}") for i in range(5)])
    with pytest.raises(ClientError) as exc:
        logs.get_log_events(
            logGroupName=unique_name, logStreamName="s", startFromHead=True, nextToken=token
        )
    assert error_of(exc) == ("InvalidParameterException", BAD_TOKEN)
    got = read_forward(logs, logGroupName=unique_name, logStreamName="s").events
    assert got == [(t + i, f"new{i}") for i in range(5)]


# --- identifiers, stream statistics, errors ------------------------------------------------


def test_log_group_identifier_arn(owl_server: OwlServer, big: BigGroup) -> None:
    logs = owl_server.client("logs")
    by_arn = read_forward(logs, 5000, logGroupIdentifier=big.arn, logStreamName="stream-3")
    assert by_arn.events == big.events["stream-3"]
    by_name = read_forward(logs, 5000, logGroupIdentifier=big.name, logStreamName="stream-3")
    assert by_name.tokens == by_arn.tokens


def test_describe_log_streams_statistics(owl_server: OwlServer, big: BigGroup) -> None:
    logs = owl_server.client("logs")
    streams = logs.describe_log_streams(logGroupName=big.name)["logStreams"]
    assert [s["logStreamName"] for s in streams] == big.streams
    for s in streams:
        events = big.events[s["logStreamName"]]
        assert s["firstEventTimestamp"] == events[0][0]
        assert s["lastEventTimestamp"] == events[-1][0]
        assert big.put_started - 1000 <= s["lastIngestionTime"] <= big.put_ended + 1000


def test_statistics_follow_new_puts(logs: Any, unique_name: str) -> None:
    logs.create_log_group(logGroupName=unique_name)
    logs.create_log_stream(logGroupName=unique_name, logStreamName="s")
    fresh = logs.describe_log_streams(logGroupName=unique_name)["logStreams"][0]
    for key in ("firstEventTimestamp", "lastEventTimestamp", "lastIngestionTime"):
        assert key not in fresh
    t = now_ms() - HOUR
    before = now_ms()
    put(logs, unique_name, "s", [(t, "a"), (t + 10, "b")])
    put(logs, unique_name, "s", [(t - 50, "c")])  # older than what is there: allowed
    after = now_ms()
    s = logs.describe_log_streams(logGroupName=unique_name)["logStreams"][0]
    assert (s["firstEventTimestamp"], s["lastEventTimestamp"]) == (t - 50, t + 10)
    assert before - 1000 <= s["lastIngestionTime"] <= after + 1000
    assert read_forward(logs, logGroupName=unique_name, logStreamName="s").events == [
        (t - 50, "c"),
        (t, "a"),
        (t + 10, "b"),
    ]


def test_following_the_tail_sees_new_events(logs: Any, unique_name: str) -> None:
    """The forward token of the end of the stream returns events put after it was issued."""
    logs.create_log_group(logGroupName=unique_name)
    logs.create_log_stream(logGroupName=unique_name, logStreamName="s")
    kw = {"logGroupName": unique_name, "logStreamName": "s", "startFromHead": True}
    empty = logs.get_log_events(**kw)
    assert empty["events"] == []
    token = empty["nextForwardToken"]
    assert logs.get_log_events(nextToken=token, **kw)["nextForwardToken"] == token
    t = now_ms() - HOUR
    put(logs, unique_name, "s", [(t, "one"), (t, "two")])
    page = logs.get_log_events(nextToken=token, **kw)
    assert pairs(page["events"]) == [(t, "one"), (t, "two")]
    token = page["nextForwardToken"]
    put(logs, unique_name, "s", [(t, "three"), (t + 1, "four")])
    page = logs.get_log_events(nextToken=token, **kw)
    assert pairs(page["events"]) == [(t, "three"), (t + 1, "four")]
    token = page["nextForwardToken"]
    assert logs.get_log_events(nextToken=token, **kw)["nextForwardToken"] == token


def test_missing_group_and_stream(logs: Any, unique_name: str) -> None:
    with pytest.raises(ClientError) as exc:
        logs.get_log_events(logGroupName=unique_name, logStreamName="s")
    assert error_of(exc) == (
        "ResourceNotFoundException",
        "The specified log group does not exist.",
    )
    logs.create_log_group(logGroupName=unique_name)
    with pytest.raises(ClientError) as exc:
        logs.get_log_events(logGroupName=unique_name, logStreamName="s")
    assert error_of(exc) == (
        "ResourceNotFoundException",
        "The specified log stream does not exist.",
    )


@pytest.mark.parametrize("limit", [0, 10_001, -1])
def test_limit_out_of_range(owl_server: OwlServer, unique_name: str, limit: int) -> None:
    logs = owl_server.client("logs")
    logs.create_log_group(logGroupName=unique_name)
    logs.create_log_stream(logGroupName=unique_name, logStreamName="s")
    lenient = boto3.client(
        "logs",
        endpoint_url=owl_server.endpoint,
        region_name="us-east-1",
        aws_access_key_id=owl_server.access_key_id,
        aws_secret_access_key=owl_server.secret_access_key,
        config=Config(retries={"max_attempts": 1}, parameter_validation=False),
    )
    with pytest.raises(ClientError) as exc:
        lenient.get_log_events(logGroupName=unique_name, logStreamName="s", limit=limit)
    code, message = error_of(exc)
    assert code == "InvalidParameterException"
    assert f"Value '{limit}' at 'limit' failed to satisfy constraint" in message
