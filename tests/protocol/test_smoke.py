"""The quick start of README, through boto3: create, describe, delete."""

from __future__ import annotations

from typing import Any


def test_create_describe_delete(logs: Any, unique_name: str) -> None:
    logs.create_log_group(logGroupName=unique_name)
    logs.create_log_stream(logGroupName=unique_name, logStreamName="app")
    groups = logs.describe_log_groups(logGroupNamePrefix=unique_name)["logGroups"]
    assert [g["logGroupName"] for g in groups] == [unique_name]
    streams = logs.describe_log_streams(logGroupName=unique_name)["logStreams"]
    assert [s["logStreamName"] for s in streams] == ["app"]
    logs.delete_log_group(logGroupName=unique_name)
    assert logs.describe_log_groups(logGroupNamePrefix=unique_name)["logGroups"] == []
