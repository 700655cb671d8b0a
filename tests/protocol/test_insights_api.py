"""Logs Insights through boto3, spec §1 (API behaviour) and §10 (output shape).

One small group (edge timestamps around one second, JSON and plain messages in two streams), a
group of 10,001 events for the row caps and paging, and a group whose query runs until it is
stopped (three `unnest` of a 2,000-element list multiply each event into 8 billion rows), which
keeps queries Scheduled or Running for as long as a test needs.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import OwlServer
from tests.protocol.support import account_of, error_of, lenient
from tests.protocol.test_insights_support import (
    T0,
    WINDOW,
    Event,
    as_dicts,
    load,
    malformed,
    rows,
    run,
    start,
    wait,
)

S = T0 // 1000  # the second T0 starts (T0 is a whole minute)
EVENTS = [
    Event("s1", T0 + 999, "edge before"),
    Event("s1", T0 + 1_000, "edge first"),
    Event("s2", T0 + 1_999, "edge last naïve"),
    Event("s2", T0 + 2_000, "edge after"),
    Event("s1", T0 + 60_000, '{"level":"info","n":1}'),
    Event("s2", T0 + 61_000, '{"level":"error","n":2,"extra":"x"}'),
    Event("s1", T0 + 62_000, '{"level":"info","n":3}'),
]
BIG = 10_001
SLOW = "fields jsonParse(@message) as a | unnest a into x | unnest a into y | unnest a into z"
SLOW_QUERY = SLOW + " | stats count(*) as n"
SETTLE_S = 0.5


@pytest.fixture(scope="module")
def group(owl_server: OwlServer) -> str:
    return load(owl_server.client("logs"), f"/owl-test/insights-api/{uuid.uuid4()}", EVENTS)


@pytest.fixture(scope="module")
def big(owl_server: OwlServer) -> str:
    events = [Event("big", T0 + i, f"line {i}") for i in range(BIG)]
    return load(owl_server.client("logs"), f"/owl-test/insights-big/{uuid.uuid4()}", events)


@pytest.fixture(scope="module")
def slow(owl_server: OwlServer) -> str:
    events = [Event("slow", T0 + i, json.dumps(list(range(2_000)))) for i in range(3)]
    return load(owl_server.client("logs"), f"/owl-test/insights-slow/{uuid.uuid4()}", events)


def running(logs: Any, query_ids: list[str]) -> None:
    """Wait until the queries are Running, and then until DuckDB surely executes them.

    owl marks a query Running before its statement starts; a StopQuery in between finds
    nothing to interrupt, and the query runs to its end (here: for ages) before it reports
    Cancelled. The pause keeps these tests clear of that window.
    """
    deadline = time.monotonic() + 10
    while any(logs.get_query_results(queryId=q)["status"] != "Running" for q in query_ids):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    time.sleep(SETTLE_S)


@pytest.fixture
def busy(logs: Any, slow: str) -> Iterator[list[str]]:
    """Both query workers held by queries that never finish on their own (stopped at the end)."""
    ids = [start(logs, slow, SLOW_QUERY) for _ in range(2)]
    running(logs, ids)
    try:
        yield ids
    finally:
        for q in ids:
            stop_if_running(logs, q)


def stop_if_running(logs: Any, query_id: str) -> None:
    try:
        logs.stop_query(queryId=query_id)
    except ClientError as e:
        assert error_of_response(e)[0] == "InvalidParameterException"


def error_of_response(e: ClientError) -> tuple[str, str]:
    return e.response["Error"]["Code"], e.response["Error"]["Message"]


def messages(found: list[dict[str, str]]) -> list[str]:
    return [r["@message"] for r in found]


# -- §1.1 which log groups --------------------------------------------------------------------


@pytest.mark.parametrize(
    "groups",
    [
        {"logGroupName": "G", "logGroupNames": ["G"]},
        {"logGroupNames": ["G"], "logGroupIdentifiers": ["G"]},
        {},
        {"logGroupNames": []},
        {"logGroupNames": ["G"] * 51},
        {"logGroupIdentifiers": ["G*"]},
    ],
    ids=["name+names", "names+identifiers", "none", "empty", "51", "trailing-star"],
)
def test_1_1_exactly_one_group_parameter_up_to_50(
    logs: Any, group: str, groups: dict[str, Any]
) -> None:
    named = {
        k: group if v == "G" else [x.replace("G", group) for x in v] for k, v in groups.items()
    }
    with pytest.raises(ClientError) as caught:
        lenient(logs).start_query(queryString="fields @message", **WINDOW, **named)
    assert error_of(caught)[0] == "InvalidParameterException"


def test_1_1_fifty_groups_names_and_identifiers(
    logs: Any, group: str, owl_server: OwlServer
) -> None:
    found = rows(logs, [group] * 50, "filter n = 2 | fields level")
    assert found == [{"level": "error"}]
    arn = f"arn:aws:logs:us-east-1:{account_of(owl_server)}:log-group:{group}"
    for ident in (arn, group):
        params = {
            **WINDOW,
            "logGroupIdentifiers": [ident],
            "queryString": "filter n = 2 | fields level",
        }
        response = wait(logs, logs.start_query(**params)["queryId"])
        assert as_dicts(response["results"]) == [{"level": "error"}]


def test_1_1_6_11_3_source_replaces_the_group_parameters(logs: Any, group: str) -> None:
    query = f"SOURCE logGroups(namePrefix: ['{group}']) | filter n = 2 | fields level"
    assert rows(logs, None, query) == [{"level": "error"}]
    with pytest.raises(ClientError) as caught:
        start(logs, group, query)
    assert error_of(caught)[0] == "InvalidParameterException"


# -- §1.2 time range --------------------------------------------------------------------------


def test_1_2_time_range_is_seconds_and_both_ends_inclusive(logs: Any, group: str) -> None:
    q = "fields @message | sort @timestamp asc"
    assert messages(rows(logs, group, q, startTime=S + 1, endTime=S + 1)) == [
        "edge first",
        "edge last naïve",
    ]
    assert messages(rows(logs, group, q, startTime=S, endTime=S + 1))[0] == "edge before"
    assert messages(rows(logs, group, q, startTime=S + 2, endTime=S + 2)) == ["edge after"]
    assert rows(logs, group, q, startTime=S + 3, endTime=S + 59) == []


def test_1_2_end_before_start_is_invalid(logs: Any, group: str) -> None:
    with pytest.raises(ClientError) as caught:
        logs.start_query(
            logGroupName=group, queryString="fields @message", startTime=S, endTime=S - 1
        )
    assert error_of(caught)[0] == "InvalidParameterException"


# -- §1.3, §1.4 query length and the limit parameter -------------------------------------------


def test_1_3_query_string_up_to_10000_characters(logs: Any, group: str) -> None:
    query = "filter n = 2 | fields level"
    padded = query + " " * (10_000 - len(query))
    assert rows(logs, group, padded) == [{"level": "error"}]
    with pytest.raises(ClientError) as caught:
        lenient(logs).start_query(logGroupName=group, queryString=padded + " ", **WINDOW)
    assert error_of(caught)[0] == "InvalidParameterException"


@pytest.mark.parametrize("limit", [0, -1, 100_001])
def test_1_4_limit_parameter_outside_1_to_100000_is_invalid(
    logs: Any, group: str, limit: int
) -> None:
    with pytest.raises(ClientError) as caught:
        lenient(logs).start_query(
            logGroupName=group, queryString="fields @message", limit=limit, **WINDOW
        )
    assert error_of(caught)[0] == "InvalidParameterException"


def test_1_4_10_limit_parameter_caps_the_rows(logs: Any, group: str) -> None:
    q = "fields @message | sort @timestamp asc"
    assert messages(rows(logs, group, q, limit=2)) == ["edge before", "edge first"]
    assert len(rows(logs, group, q, limit=100_000)) == len(EVENTS)
    # Both a limit command and the parameter: the smaller one (§10).
    assert len(rows(logs, group, q + " | limit 3", limit=5)) == 3
    assert len(rows(logs, group, q + " | limit 5", limit=3)) == 3


def test_6_7_2_10_14_15_no_limit_anywhere_gives_10000_rows(logs: Any, big: str) -> None:
    found, response = run(logs, big, "fields @message")
    assert len(found) == 10_000
    assert "nextToken" not in response
    assert found[0] == {"@message": f"line {BIG - 1}"}  # newest first (§6.7.3)
    assert response["statistics"]["recordsMatched"] == BIG


def test_1_4_1_14_10_rows_past_10000_come_through_next_token(logs: Any, big: str) -> None:
    query_id = start(logs, big, "fields @message | sort @timestamp asc", limit=BIG)
    first = wait(logs, query_id)
    assert len(first["results"]) == 10_000
    assert first["nextToken"]
    rest = logs.get_query_results(queryId=query_id, nextToken=first["nextToken"])
    assert as_dicts(rest["results"]) == [{"@message": f"line {BIG - 1}"}]
    assert "nextToken" not in rest
    assert as_dicts(first["results"])[:2] == [{"@message": "line 0"}, {"@message": "line 1"}]


def test_1_14_max_items_and_next_token_page_through_results(logs: Any, group: str) -> None:
    query_id = start(logs, group, "fields @message | sort @timestamp asc")
    whole = as_dicts(wait(logs, query_id)["results"])
    pages: list[list[dict[str, str]]] = []
    token: str | None = None
    while True:
        kw = {"nextToken": token} if token else {}
        page = logs.get_query_results(queryId=query_id, maxItems=3, **kw)
        pages.append(as_dicts(page["results"]))
        token = page.get("nextToken")
        if not token:
            break
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [r for p in pages for r in p] == whole


# -- §1.5, §1.6, §1.7 errors and the query id --------------------------------------------------


def test_1_5_unknown_group_is_resource_not_found(logs: Any, group: str) -> None:
    with pytest.raises(ClientError) as caught:
        start(logs, [group, group + "-missing"], "fields @message")
    assert error_of(caught)[0] == "ResourceNotFoundException"


def test_1_6_malformed_query_fails_start_query_with_location(logs: Any, group: str) -> None:
    query = "fields @message | nosuch x"
    with pytest.raises(ClientError) as caught:
        start(logs, group, query)
    response = caught.value.response
    assert response["Error"]["Code"] == "MalformedQueryException"
    error = response["queryCompileError"]
    assert error["location"] == {"startCharOffset": 18, "endCharOffset": 24}
    assert error["message"] == response["Error"]["Message"]
    assert malformed(logs, group, "filter n = 2 |")[1] == "|"


def test_1_7_start_query_returns_a_uuid(logs: Any, group: str) -> None:
    response = logs.start_query(logGroupName=group, queryString="fields @message", **WINDOW)
    assert set(response) - {"ResponseMetadata"} == {"queryId"}
    assert str(uuid.UUID(response["queryId"])) == response["queryId"]
    wait(logs, response["queryId"])


def test_1_ppl_and_sql_are_rejected(logs: Any, group: str) -> None:
    for language, query in (("SQL", "SELECT * FROM x"), ("PPL", "fields @message")):
        with pytest.raises(ClientError) as caught:
            logs.start_query(
                logGroupName=group, queryString=query, queryLanguage=language, **WINDOW
            )
        assert error_of(caught)[0] == "InvalidParameterException"


# -- §1.8–§1.12 result rows ---------------------------------------------------------------------


def test_1_8_status_goes_from_scheduled_or_running_to_complete(
    logs: Any, group: str, busy: list[str]
) -> None:
    assert logs.get_query_results(queryId=busy[0])["status"] == "Running"
    query_id = start(logs, group, "fields @message")
    pending = logs.get_query_results(queryId=query_id)
    assert pending["status"] == "Scheduled"
    assert pending["results"] == []
    for q in busy:
        logs.stop_query(queryId=q)
    assert wait(logs, query_id)["status"] == "Complete"
    assert [wait(logs, q)["status"] for q in busy] == ["Cancelled", "Cancelled"]


def test_1_9_every_value_is_a_string(logs: Any, group: str) -> None:
    _, response = run(
        logs, group, "filter n = 2 | fields n, n * 2 as d, @timestamp, ispresent(n) as p"
    )
    (row,) = response["results"]
    assert all(set(f) == {"field", "value"} and isinstance(f["value"], str) for f in row)
    assert {f["field"]: f["value"] for f in row}["d"] == "4.0"
    _, response = run(logs, group, "stats count(*) as c, sum(n) as s")
    assert response["results"] == [[{"field": "c", "value": "7"}, {"field": "s", "value": "6.0"}]]


def test_1_10_event_rows_end_with_ptr_and_stats_rows_have_none(logs: Any, group: str) -> None:
    _, response = run(logs, group, "fields @message | limit 3")
    for row in response["results"]:
        assert [f["field"] for f in row] == ["@message", "@ptr"]
        assert row[-1]["value"]
    _, response = run(logs, group, "stats count(*) by level")
    assert all("@ptr" not in [f["field"] for f in row] for row in response["results"])


def test_1_11_14_1_missing_fields_are_left_out_of_the_row(logs: Any, group: str) -> None:
    found = rows(logs, group, "filter ispresent(n) | fields n, extra | sort n asc")
    assert found == [{"n": "1"}, {"n": "2", "extra": "x"}, {"n": "3"}]


def test_1_12_fields_in_declared_order_then_ptr(logs: Any, group: str) -> None:
    _, response = run(logs, group, "filter n = 2 | fields n, level, @logStream, extra")
    assert [f["field"] for f in response["results"][0]] == [
        "n",
        "level",
        "@logStream",
        "extra",
        "@ptr",
    ]
    _, response = run(
        logs, group, "filter ispresent(n) | stats sum(n) as s, count(*) as c by level"
    )
    assert [[f["field"] for f in row] for row in response["results"]] == [["level", "s", "c"]] * 2


# -- §1.13 statistics -------------------------------------------------------------------------


def test_1_13_statistics_count_scanned_matched_and_bytes(logs: Any, group: str) -> None:
    nbytes = float(sum(len(e.message.encode()) for e in EVENTS))
    _, response = run(logs, group, "filter level = 'info' | limit 1")
    assert response["statistics"] == {
        "recordsMatched": 2.0,
        "recordsScanned": 7.0,
        "bytesScanned": nbytes,
    }
    _, response = run(logs, group, "filter level = 'info' | limit 1 | filter level = 'none'")
    assert response["statistics"]["recordsMatched"] == 2.0  # counted though no row is left
    _, response = run(logs, group, "fields @message", startTime=S + 1, endTime=S + 1)
    first_second = float(len(b"edge first") + len("edge last naïve".encode()))
    assert response["statistics"] == {
        "recordsMatched": 2.0,
        "recordsScanned": 2.0,
        "bytesScanned": first_second,
    }
    _, response = run(logs, group, "filter ispresent(n) | stats count(*) by level")
    assert response["statistics"]["recordsMatched"] == 3.0
    query = "filter ispresent(n) | stats count(*) as c by level | filter c > 9"
    _, response = run(logs, group, query)
    assert response["statistics"]["recordsMatched"] == 3.0  # counted though no group is left
    for key in ("level", "extra"):  # events missing a dedup key are kept, and counted once
        _, response = run(logs, group, f"filter ispresent(n) | dedup {key}")
        assert response["statistics"]["recordsMatched"] == 3.0


# -- §1.15 StopQuery and DescribeQueries -------------------------------------------------------


def test_1_15_stop_query_cancels_a_running_query_and_not_a_finished_one(
    logs: Any, slow: str
) -> None:
    query_id = start(logs, slow, SLOW_QUERY)
    running(logs, [query_id])
    assert logs.stop_query(queryId=query_id)["success"] is True
    assert wait(logs, query_id)["status"] == "Cancelled"
    with pytest.raises(ClientError) as caught:
        logs.stop_query(queryId=query_id)
    assert error_of(caught)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as caught:
        logs.stop_query(queryId=str(uuid.uuid4()))
    assert error_of(caught)[0] == "ResourceNotFoundException"


def test_1_15_describe_queries_lists_id_string_status_time_and_group(
    logs: Any, owl_server: OwlServer
) -> None:
    group = load(logs, f"/owl-test/insights-describe/{uuid.uuid4()}", [Event("s", T0, "x")])
    before = int(time.time() * 1000)
    first = start(logs, group, "fields @message")
    second = start(logs, group, "stats count(*)")
    wait(logs, first), wait(logs, second)
    after = int(time.time() * 1000)
    queries = logs.describe_queries(logGroupName=group)["queries"]
    assert [q["queryId"] for q in queries] == [second, first]
    assert [q["queryString"] for q in queries] == ["stats count(*)", "fields @message"]
    for q in queries:
        assert q["status"] == "Complete"
        assert q["logGroupName"] == group
        assert before - 1000 <= q["createTime"] <= after + 1000
    assert logs.describe_queries(logGroupName=group, status="Running")["queries"] == []
    complete = logs.describe_queries(logGroupName=group, status="Complete")["queries"]
    assert len(complete) == 2


# -- §1.16 GetLogRecord -----------------------------------------------------------------------


def test_1_16_ptr_reads_the_whole_record(logs: Any, group: str, owl_server: OwlServer) -> None:
    before = int(time.time() * 1000)
    _, response = run(logs, group, "filter n = 2 | fields level")
    ptr = response["results"][0][-1]
    assert ptr["field"] == "@ptr"
    record = logs.get_log_record(logRecordPointer=ptr["value"])["logRecord"]
    ingestion = record.pop("@ingestionTime")
    assert re.fullmatch(r"\d{13}", ingestion) and int(ingestion) <= before
    assert record == {
        "@timestamp": str(T0 + 61_000),
        "@message": '{"level":"error","n":2,"extra":"x"}',
        "@logStream": "s2",
        "@log": f"{account_of(owl_server)}:{group}",
        "level": "error",
        "n": "2",
        "extra": "x",
    }
    with pytest.raises(ClientError) as caught:
        logs.get_log_record(logRecordPointer="not-a-pointer")
    assert error_of(caught)[0] == "InvalidParameterException"


# -- §1.17 concurrency, §1.18 the data set is fixed at StartQuery -------------------------------


def test_1_17_at_most_100_concurrent_queries(logs: Any, group: str, busy: list[str]) -> None:
    # In parallel: StartQuery waits up to half a second for a query to finish.
    with ThreadPoolExecutor(max_workers=49) as pool:
        queued = list(pool.map(lambda _: start(logs, group, "fields @message"), range(98)))
    try:
        with pytest.raises(ClientError) as caught:
            start(logs, group, "fields @message")
        assert error_of(caught)[0] == "LimitExceededException"
    finally:
        for q in queued:
            stop_if_running(logs, q)
    assert {logs.get_query_results(queryId=q)["status"] for q in queued} == {"Cancelled"}


def test_1_18_events_put_after_start_query_are_not_seen(
    logs: Any, unique_name: str, busy: list[str]
) -> None:
    group = load(logs, unique_name, [Event("s", T0, "before")])
    query_id = start(logs, group, "fields @message")
    assert logs.get_query_results(queryId=query_id)["status"] == "Scheduled"
    logs.put_log_events(
        logGroupName=group, logStreamName="s", logEvents=[{"timestamp": T0 + 1, "message": "after"}]
    )
    for q in busy:
        logs.stop_query(queryId=q)
    assert as_dicts(wait(logs, query_id)["results"]) == [{"@message": "before"}]
    assert messages(rows(logs, group, "fields @message")) == ["after", "before"]


# -- §10 output shape ------------------------------------------------------------------------


def test_10_default_columns_order_and_stats_shape(logs: Any, group: str) -> None:
    found = rows(logs, group, "filter @message like 'edge'")
    assert [set(r) for r in found] == [{"@timestamp", "@message"}] * 4
    assert messages(found) == ["edge after", "edge last naïve", "edge first", "edge before"]
    found = rows(logs, group, "filter ispresent(level) | stats count(*) as c by level")
    assert found == [{"level": "error", "c": "1"}, {"level": "info", "c": "2"}]
