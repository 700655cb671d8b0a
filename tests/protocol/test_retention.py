"""Retention that really deletes: hidden from every read at once, gone from disk after the job.

A private server with `--test-hooks`: its clock can be moved forward (`POST /_owl/clock`) and
the retention job run now (`POST /_owl/retention`) instead of waiting a minute.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import OwlServer
from tests.protocol.support import hooked_server, owl_hook

DAY = 86_400_000
GROUP, STREAM = "/retention/app", "web"


def segment_files(server: OwlServer) -> int:
    return len(list(Path(server.data_dir, "store", "segments").glob("*.parquet")))


@pytest.fixture
def server(tmp_path: Path) -> Iterator[OwlServer]:
    yield from hooked_server(tmp_path)


def messages(logs: Any, **kw: Any) -> list[str]:
    out: list[str] = []
    token = None
    while True:
        page = logs.filter_log_events(
            logGroupName=GROUP, **kw, **({"nextToken": token} if token else {})
        )
        out += [e["message"] for e in page["events"]]
        token = page.get("nextToken")
        if not token:
            return out


def insights(logs: Any, query: str, now_ms: int) -> list[dict[str, str]]:
    qid = logs.start_query(
        logGroupName=GROUP,
        startTime=(now_ms - 30 * DAY) // 1000,
        endTime=now_ms // 1000 + 60,
        queryString=query,
    )["queryId"]
    for _ in range(200):
        r = logs.get_query_results(queryId=qid)
        if r["status"] not in ("Scheduled", "Running"):
            assert r["status"] == "Complete"
            return [{f["field"]: f["value"] for f in row} for row in r["results"]]
        time.sleep(0.05)
    raise AssertionError("query did not finish")


def test_retention_hides_at_once_and_deletes_from_disk(server: OwlServer) -> None:
    logs = server.client()
    logs.create_log_group(logGroupName=GROUP)
    logs.create_log_stream(logGroupName=GROUP, logStreamName=STREAM)
    now = int(time.time() * 1000)
    days = {"d5": now - 5 * DAY, "d4": now - 4 * DAY, "d2": now - 2 * DAY, "h1": now - 3_600_000}
    for tag in ("d5", "d4"):  # one segment each
        logs.put_log_events(
            logGroupName=GROUP,
            logStreamName=STREAM,
            logEvents=[{"timestamp": days[tag] + i, "message": f"{tag}-{i}"} for i in range(3)],
        )
        owl_hook(server, "flush")
    for tag in ("d2", "h1"):  # together in a third
        logs.put_log_events(
            logGroupName=GROUP,
            logStreamName=STREAM,
            logEvents=[{"timestamp": days[tag] + i, "message": f"{tag}-{i}"} for i in range(3)],
        )
    owl_hook(server, "flush")
    assert segment_files(server) == 3
    assert len(messages(logs)) == 12
    old_ptr = next(
        row["@ptr"]
        for row in insights(logs, "fields @message | sort @timestamp asc | limit 1", now)
    )

    logs.put_retention_policy(logGroupName=GROUP, retentionInDays=3)
    # Hidden from every read before the job has touched the disk.
    kept = [f"{t}-{i}" for t in ("d2", "h1") for i in range(3)]
    assert messages(logs) == kept
    got = logs.get_log_events(logGroupName=GROUP, logStreamName=STREAM, startFromHead=True)
    assert [e["message"] for e in got["events"]] == kept
    assert insights(logs, "stats count(*) as n", now) == [{"n": "6"}]
    with pytest.raises(ClientError) as exc:
        logs.get_log_record(logRecordPointer=old_ptr)
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert segment_files(server) == 3

    # A paging read that started before the deletion goes on across it.
    first = logs.filter_log_events(logGroupName=GROUP, limit=2)
    result = owl_hook(server, "retention")
    assert result["dropped"] == 2 and result["segments"] == 1
    assert segment_files(server) == 1
    token = first.get("nextToken")
    assert token
    seen = [e["message"] for e in first["events"]]
    while token:
        page = logs.filter_log_events(logGroupName=GROUP, limit=2, nextToken=token)
        seen += [e["message"] for e in page["events"]]
        token = page.get("nextToken")
    assert seen == kept

    # Two days later the d2 events are past retention too: the edge segment is rewritten.
    owl_hook(server, "clock", {"advance_ms": 2 * DAY})
    assert messages(logs) == kept[3:]
    result = owl_hook(server, "retention")
    assert result["rewritten"] == 1 and result["segments"] == 1
    assert messages(logs) == kept[3:]
    assert insights(logs, "stats count(*) as n", now + 2 * DAY) == [{"n": "3"}]

    # Deleting the policy keeps what is left and stops hiding anything.
    logs.delete_retention_policy(logGroupName=GROUP)
    assert messages(logs) == kept[3:]


def test_put_log_events_reports_events_older_than_retention(server: OwlServer) -> None:
    logs = server.client()
    logs.create_log_group(logGroupName=GROUP)
    logs.create_log_stream(logGroupName=GROUP, logStreamName=STREAM)
    logs.put_retention_policy(logGroupName=GROUP, retentionInDays=1)
    now = int(time.time() * 1000)
    out = logs.put_log_events(
        logGroupName=GROUP,
        logStreamName=STREAM,
        logEvents=[
            {"timestamp": now - DAY - 3_600_000, "message": "expired"},
            {"timestamp": now - DAY - 3_599_000, "message": "expired too"},
            {"timestamp": now - DAY + 3_600_000, "message": "kept"},
        ],
    )
    assert out["rejectedLogEventsInfo"] == {"expiredLogEventEndIndex": 2}
    assert messages(logs) == ["kept"]
