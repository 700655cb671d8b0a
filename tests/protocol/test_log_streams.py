"""Log streams through boto3: create, delete, describe (by name or ARN, orders, pagination)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import REGION, OwlServer
from tests.protocol.support import error_of, lenient

GROUP_MISSING = "The specified log group does not exist."
STREAM_MISSING = "The specified log stream does not exist."
STREAM_EXISTS = "The specified log stream already exists"
STREAM_PATTERN = "[^:*]*"


def names_of(page: dict[str, Any]) -> list[str]:
    return [s["logStreamName"] for s in page["logStreams"]]


def group_arn(logs: Any, name: str) -> str:
    groups = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    return str(next(g["logGroupArn"] for g in groups if g["logGroupName"] == name))


@pytest.fixture
def group(logs: Any, unique_name: str) -> str:
    logs.create_log_group(logGroupName=unique_name)
    return unique_name


# -- CreateLogStream / DescribeLogStreams basics -------------------------------------------


def test_create_and_describe(logs: Any, group: str) -> None:
    before = int(time.time() * 1000)
    resp = logs.create_log_stream(logGroupName=group, logStreamName="app/1 [x]")
    after = int(time.time() * 1000)
    assert set(resp) == {"ResponseMetadata"}
    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert len(streams) == 1
    stream = dict(streams[0])
    assert before <= stream.pop("creationTime") <= after
    assert stream == {
        "logStreamName": "app/1 [x]",
        "arn": f"{group_arn(logs, group)}:log-stream:app/1 [x]",
        "storedBytes": 0,
    }
    assert stream["arn"].startswith(f"arn:aws:logs:{REGION}:")


def test_duplicate_stream_is_refused(logs: Any, group: str) -> None:
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    with pytest.raises(ClientError) as exc:
        logs.create_log_stream(logGroupName=group, logStreamName="s")
    assert error_of(exc) == ("ResourceAlreadyExistsException", STREAM_EXISTS)
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert names_of(logs.describe_log_streams(logGroupName=group)) == ["s"]


def test_same_stream_name_in_two_groups(logs: Any, unique_name: str) -> None:
    other = unique_name + "-2"
    for g in (unique_name, other):
        logs.create_log_group(logGroupName=g)
        logs.create_log_stream(logGroupName=g, logStreamName="shared")
    logs.delete_log_stream(logGroupName=unique_name, logStreamName="shared")
    assert names_of(logs.describe_log_streams(logGroupName=unique_name)) == []
    assert names_of(logs.describe_log_streams(logGroupName=other)) == ["shared"]


def test_create_stream_in_missing_group(logs: Any, unique_name: str) -> None:
    with pytest.raises(ClientError) as exc:
        logs.create_log_stream(logGroupName=unique_name, logStreamName="s")
    assert error_of(exc) == ("ResourceNotFoundException", GROUP_MISSING)


@pytest.mark.parametrize("bad", ["a:b", "a*b"])
def test_stream_name_with_forbidden_characters(logs: Any, group: str, bad: str) -> None:
    with pytest.raises(ClientError) as exc:
        logs.create_log_stream(logGroupName=group, logStreamName=bad)
    assert error_of(exc) == (
        "InvalidParameterException",
        f"1 validation error detected: Value '{bad}' at 'logStreamName' failed to satisfy "
        f"constraint: Member must satisfy regular expression pattern: {STREAM_PATTERN}",
    )


def test_stream_name_longer_than_512(logs: Any, group: str) -> None:
    with pytest.raises(ClientError) as exc:
        logs.create_log_stream(logGroupName=group, logStreamName="s" * 513)
    assert error_of(exc) == (
        "InvalidParameterException",
        "Invalid LogGroup or LogStream, both must have length less than or equal to 512.",
    )
    logs.create_log_stream(logGroupName=group, logStreamName="s" * 512)
    assert names_of(logs.describe_log_streams(logGroupName=group)) == ["s" * 512]


def test_empty_stream_name(logs: Any, group: str) -> None:
    with pytest.raises(ClientError) as exc:
        lenient(logs).create_log_stream(logGroupName=group, logStreamName="")
    assert error_of(exc) == (
        "InvalidParameterException",
        "1 validation error detected: Value '' at 'logStreamName' failed to satisfy "
        "constraint: Member must have length greater than or equal to 1",
    )


# -- DeleteLogStream ------------------------------------------------------------------------


def test_delete_stream(logs: Any, group: str) -> None:
    logs.create_log_stream(logGroupName=group, logStreamName="a")
    logs.create_log_stream(logGroupName=group, logStreamName="b")
    resp = logs.delete_log_stream(logGroupName=group, logStreamName="a")
    assert set(resp) == {"ResponseMetadata"}
    assert names_of(logs.describe_log_streams(logGroupName=group)) == ["b"]
    with pytest.raises(ClientError) as exc:
        logs.delete_log_stream(logGroupName=group, logStreamName="a")
    assert error_of(exc) == ("ResourceNotFoundException", STREAM_MISSING)


def test_delete_stream_in_missing_group(logs: Any, unique_name: str) -> None:
    with pytest.raises(ClientError) as exc:
        logs.delete_log_stream(logGroupName=unique_name, logStreamName="a")
    assert error_of(exc) == ("ResourceNotFoundException", GROUP_MISSING)


def test_recreated_stream_is_new(logs: Any, group: str) -> None:
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    first = logs.describe_log_streams(logGroupName=group)["logStreams"][0]
    logs.delete_log_stream(logGroupName=group, logStreamName="s")
    time.sleep(0.005)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    second = logs.describe_log_streams(logGroupName=group)["logStreams"][0]
    assert second["creationTime"] > first["creationTime"]
    assert second["arn"] == first["arn"]
    assert set(second) == {"logStreamName", "creationTime", "arn", "storedBytes"}


def test_streams_go_with_their_group(logs: Any, group: str) -> None:
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    logs.delete_log_group(logGroupName=group)
    with pytest.raises(ClientError) as exc:
        logs.describe_log_streams(logGroupName=group)
    assert error_of(exc) == ("ResourceNotFoundException", GROUP_MISSING)
    logs.create_log_group(logGroupName=group)
    assert logs.describe_log_streams(logGroupName=group)["logStreams"] == []
    # The name is free again in the new incarnation.
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    assert names_of(logs.describe_log_streams(logGroupName=group)) == ["s"]


# -- DescribeLogStreams: which group ------------------------------------------------------


def test_describe_by_identifier_name_and_arn(logs: Any, group: str) -> None:
    logs.create_log_stream(logGroupName=group, logStreamName="x")
    by_name = logs.describe_log_streams(logGroupName=group)["logStreams"]
    by_ident = logs.describe_log_streams(logGroupIdentifier=group)["logStreams"]
    by_arn = logs.describe_log_streams(logGroupIdentifier=group_arn(logs, group))["logStreams"]
    assert by_name == by_ident == by_arn
    assert [s["logStreamName"] for s in by_arn] == ["x"]


def test_describe_with_name_and_identifier(logs: Any, group: str) -> None:
    with pytest.raises(ClientError) as exc:
        logs.describe_log_streams(logGroupName=group, logGroupIdentifier=group)
    assert error_of(exc) == (
        "ValidationException",
        "LogGroup name and LogGroup ARN are mutually exclusive parameters.",
    )


def test_describe_without_a_group(logs: Any) -> None:
    with pytest.raises(ClientError) as exc:
        logs.describe_log_streams()
    assert error_of(exc)[0] == "InvalidParameterException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_describe_missing_group(logs: Any, owl_server: OwlServer, unique_name: str) -> None:
    for kwargs in (
        {"logGroupName": unique_name},
        {"logGroupIdentifier": unique_name},
    ):
        with pytest.raises(ClientError) as exc:
            logs.describe_log_streams(**kwargs)
        assert error_of(exc) == ("ResourceNotFoundException", GROUP_MISSING)


def test_describe_by_arn_of_other_region(
    logs: Any, owl_server: OwlServer, unique_name: str
) -> None:
    west = owl_server.client("logs", region="us-west-2")
    west.create_log_group(logGroupName=unique_name)
    west.create_log_stream(logGroupName=unique_name, logStreamName="w")
    arn = group_arn(west, unique_name)
    assert ":us-west-2:" in arn
    assert names_of(west.describe_log_streams(logGroupIdentifier=arn)) == ["w"]
    with pytest.raises(ClientError) as exc:
        logs.describe_log_streams(logGroupIdentifier=arn)
    assert error_of(exc) == ("ResourceNotFoundException", GROUP_MISSING)
    west.delete_log_group(logGroupName=unique_name)


# -- DescribeLogStreams: prefix, order, pagination -----------------------------------------


def test_prefix(logs: Any, group: str) -> None:
    for name in ["web-1", "web-2", "worker-1", "api", "web"]:
        logs.create_log_stream(logGroupName=group, logStreamName=name)
    assert names_of(logs.describe_log_streams(logGroupName=group, logStreamNamePrefix="web")) == [
        "web",
        "web-1",
        "web-2",
    ]
    assert names_of(
        logs.describe_log_streams(logGroupName=group, logStreamNamePrefix="w", descending=True)
    ) == ["worker-1", "web-2", "web-1", "web"]
    assert (
        logs.describe_log_streams(logGroupName=group, logStreamNamePrefix="x")["logStreams"] == []
    )
    # Case-sensitive.
    assert (
        logs.describe_log_streams(logGroupName=group, logStreamNamePrefix="WEB")["logStreams"] == []
    )


def test_order_by_name_default_and_descending(logs: Any, group: str) -> None:
    names = ["b", "B", "a", "A", "_", "9", "-", "."]
    for name in names:
        logs.create_log_stream(logGroupName=group, logStreamName=name)
    ascending = sorted(names)
    assert ascending == ["-", ".", "9", "A", "B", "_", "a", "b"]
    assert names_of(logs.describe_log_streams(logGroupName=group)) == ascending
    assert (
        names_of(logs.describe_log_streams(logGroupName=group, orderBy="LogStreamName"))
        == ascending
    )
    assert (
        names_of(logs.describe_log_streams(logGroupName=group, descending=True))
        == (ascending[::-1])
    )
    assert names_of(logs.describe_log_streams(logGroupName=group, descending=False)) == ascending


def test_last_event_time_with_prefix_is_refused(logs: Any, group: str) -> None:
    with pytest.raises(ClientError) as exc:
        logs.describe_log_streams(
            logGroupName=group, orderBy="LastEventTime", logStreamNamePrefix="a"
        )
    assert error_of(exc) == (
        "InvalidParameterException",
        "Cannot order by LastEventTime with a logStreamNamePrefix.",
    )


def test_unknown_order_by(logs: Any, group: str) -> None:
    with pytest.raises(ClientError) as exc:
        logs.describe_log_streams(logGroupName=group, orderBy="CreationTime")
    assert error_of(exc) == (
        "InvalidParameterException",
        "1 validation error detected: Value 'CreationTime' at 'orderBy' failed to satisfy "
        "constraint: Member must satisfy enum value set: [LogStreamName, LastEventTime]",
    )


def test_limit_bounds(logs: Any, group: str) -> None:
    with pytest.raises(ClientError) as exc:
        logs.describe_log_streams(logGroupName=group, limit=51)
    assert error_of(exc) == (
        "InvalidParameterException",
        "1 validation error detected: Value '51' at 'limit' failed to satisfy constraint: "
        "Member must have value less than or equal to 50",
    )
    with pytest.raises(ClientError) as exc:
        lenient(logs).describe_log_streams(logGroupName=group, limit=0)
    assert error_of(exc) == (
        "InvalidParameterException",
        "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1",
    )


def test_forged_token(logs: Any, group: str) -> None:
    with pytest.raises(ClientError) as exc:
        logs.describe_log_streams(logGroupName=group, nextToken="forged")
    assert error_of(exc) == ("InvalidParameterException", "The specified nextToken is invalid.")


@pytest.fixture(scope="module")
def many_streams(owl_server: OwlServer) -> Iterator[tuple[str, list[str]]]:
    """A group with 57 streams (more than one default page of 50)."""
    logs = owl_server.client("logs")
    group = f"/owl-many-streams/{time.monotonic_ns()}"
    logs.create_log_group(logGroupName=group)
    names = sorted(f"stream-{i:02d}" for i in range(57))
    for name in reversed(names):
        logs.create_log_stream(logGroupName=group, logStreamName=name)
    yield group, names
    logs.delete_log_group(logGroupName=group)


def pages_of(logs: Any, **kwargs: Any) -> list[list[str]]:
    """Names per page, following nextToken by hand until it is absent."""
    pages: list[list[str]] = []
    while True:
        page = logs.describe_log_streams(**kwargs)
        pages.append(names_of(page))
        if "nextToken" not in page:
            return pages
        kwargs["nextToken"] = page["nextToken"]


def test_default_page_is_50(logs: Any, many_streams: tuple[str, list[str]]) -> None:
    group, names = many_streams
    pages = pages_of(logs, logGroupName=group)
    assert [len(p) for p in pages] == [50, 7]
    assert sum(pages, []) == names


@pytest.mark.parametrize("order_by", ["LogStreamName", "LastEventTime"])
@pytest.mark.parametrize("descending", [False, True])
def test_pagination_with_limit(
    logs: Any, many_streams: tuple[str, list[str]], order_by: str, descending: bool
) -> None:
    group, names = many_streams
    pages = pages_of(logs, logGroupName=group, orderBy=order_by, descending=descending, limit=10)
    assert [len(p) for p in pages] == [10, 10, 10, 10, 10, 7]
    flat = sum(pages, [])
    assert sorted(flat) == names
    assert len(set(flat)) == 57
    if order_by == "LogStreamName":
        assert flat == (names[::-1] if descending else names)
    # Both directions of one order visit the same sequence, reversed.
    other = sum(
        pages_of(logs, logGroupName=group, orderBy=order_by, descending=not descending, limit=50),
        [],
    )
    assert other == flat[::-1]


def test_paginator(logs: Any, many_streams: tuple[str, list[str]]) -> None:
    group, names = many_streams
    pages = list(logs.get_paginator("describe_log_streams").paginate(logGroupName=group))
    assert [len(p["logStreams"]) for p in pages] == [50, 7]
    full = (
        logs.get_paginator("describe_log_streams")
        .paginate(
            logGroupIdentifier=group_arn(logs, group),
            descending=True,
            PaginationConfig={"PageSize": 8},
        )
        .build_full_result()
    )
    assert [s["logStreamName"] for s in full["logStreams"]] == names[::-1]


def test_prefix_pagination(logs: Any, many_streams: tuple[str, list[str]]) -> None:
    group, names = many_streams
    pages = pages_of(logs, logGroupName=group, logStreamNamePrefix="stream-1", limit=4)
    assert pages == [names[10:14], names[14:18], names[18:20]]


def test_token_belongs_to_its_request(logs: Any, many_streams: tuple[str, list[str]]) -> None:
    group, _ = many_streams
    token = logs.describe_log_streams(logGroupName=group, limit=5)["nextToken"]
    with pytest.raises(ClientError) as exc:
        logs.describe_log_streams(logGroupName=group, limit=5, descending=True, nextToken=token)
    assert error_of(exc) == ("InvalidParameterException", "The specified nextToken is invalid.")


def test_delete_stream_in_protected_group(logs: Any, group: str) -> None:
    # AWS: deletion protection "blocks all deletion operations until it is explicitly disabled".
    logs.create_log_stream(logGroupName=group, logStreamName="kept")
    logs.put_log_group_deletion_protection(logGroupIdentifier=group, deletionProtectionEnabled=True)
    with pytest.raises(ClientError) as exc:
        logs.delete_log_stream(logGroupName=group, logStreamName="kept")
    assert error_of(exc)[0] == "ValidationException"
    assert names_of(logs.describe_log_streams(logGroupName=group)) == ["kept"]
    logs.put_log_group_deletion_protection(
        logGroupIdentifier=group, deletionProtectionEnabled=False
    )
    logs.delete_log_stream(logGroupName=group, logStreamName="kept")
    assert names_of(logs.describe_log_streams(logGroupName=group)) == []


def test_order_by_last_event_time(logs: Any, group: str) -> None:
    now = int(time.time() * 1000)
    # Last event times deliberately out of name order.
    last = {"a": now - 60_000, "b": now - 180_000, "c": now - 120_000, "d": now - 240_000}
    for name, ts in last.items():
        logs.create_log_stream(logGroupName=group, logStreamName=name)
        logs.put_log_events(
            logGroupName=group,
            logStreamName=name,
            logEvents=[
                {"timestamp": ts - 1000, "message": "first"},
                {"timestamp": ts, "message": "x"},
            ],
        )
    # lastEventTimestamp is eventually consistent (AWS: typically within an hour; owl: seconds).
    deadline = time.monotonic() + 10
    while True:
        streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
        if all("lastEventTimestamp" in s for s in streams) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert {s["logStreamName"]: s["lastEventTimestamp"] for s in streams} == last
    assert {s["logStreamName"]: s["firstEventTimestamp"] for s in streams} == {
        k: v - 1000 for k, v in last.items()
    }
    by_time = sorted(last, key=last.__getitem__)
    assert by_time == ["d", "b", "c", "a"]
    assert names_of(logs.describe_log_streams(logGroupName=group, orderBy="LastEventTime")) == (
        by_time
    )
    newest_first = pages_of(
        logs, logGroupName=group, orderBy="LastEventTime", descending=True, limit=1
    )
    assert newest_first == [["a"], ["c"], ["b"], ["d"]]
