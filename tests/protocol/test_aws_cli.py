"""The aws CLI (v1, from PyPI) against a live owl: log groups, streams, retention, tags, errors."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REGION, OwlServer

AWS = str(Path(sys.executable).with_name("aws"))
# aws CLI v1 exits with 255 on a service error (v2 would exit with 254).
SERVICE_ERROR_EXIT = 255


def aws(server: OwlServer, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `aws logs …` with JSON output against the server; never raises on failure."""
    return subprocess.run(
        [AWS, "logs", *args, "--output", "json"],
        env=server.aws_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )


def aws_json(server: OwlServer, *args: str) -> Any:
    """Run `aws logs …`, expect success, and parse its output (None when it prints nothing)."""
    done = aws(server, *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else None


@pytest.fixture
def name() -> str:
    return f"/owl-cli/{uuid.uuid4().hex}"


def test_group_stream_retention_tags_and_delete(
    owl_server: OwlServer, logs: Any, name: str
) -> None:
    assert (
        aws_json(
            owl_server,
            "create-log-group",
            "--log-group-name",
            name,
            "--tags",
            "team=core,env=test",
            "--log-group-class",
            "INFREQUENT_ACCESS",
        )
        is None
    )
    out = aws_json(owl_server, "describe-log-groups", "--log-group-name-prefix", name)
    assert list(out) == ["logGroups"]
    (group,) = out["logGroups"]
    arn = group["logGroupArn"]
    assert arn.startswith(f"arn:aws:logs:{REGION}:")
    assert arn.endswith(f":log-group:{name}")
    assert group["arn"] == arn + ":*"
    assert group["logGroupName"] == name
    assert group["logGroupClass"] == "INFREQUENT_ACCESS"
    assert group["storedBytes"] == 0
    assert group["deletionProtectionEnabled"] is False
    assert "retentionInDays" not in group

    aws_json(owl_server, "create-log-stream", "--log-group-name", name, "--log-stream-name", "s1")
    aws_json(owl_server, "create-log-stream", "--log-group-name", name, "--log-stream-name", "s0")
    out = aws_json(owl_server, "describe-log-streams", "--log-group-name", name)
    assert [s["logStreamName"] for s in out["logStreams"]] == ["s0", "s1"]
    assert out["logStreams"][1]["arn"] == f"{arn}:log-stream:s1"
    out = aws_json(
        owl_server, "describe-log-streams", "--log-group-identifier", arn, "--descending"
    )
    assert [s["logStreamName"] for s in out["logStreams"]] == ["s1", "s0"]

    aws_json(
        owl_server, "put-retention-policy", "--log-group-name", name, "--retention-in-days", "90"
    )
    out = aws_json(owl_server, "describe-log-groups", "--log-group-name-prefix", name)
    assert out["logGroups"][0]["retentionInDays"] == 90

    aws_json(owl_server, "tag-resource", "--resource-arn", arn, "--tags", "env=prod,owner=me")
    out = aws_json(owl_server, "list-tags-for-resource", "--resource-arn", arn)
    assert out == {"tags": {"team": "core", "env": "prod", "owner": "me"}}

    assert aws_json(owl_server, "delete-log-group", "--log-group-name", name) is None
    assert logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"] == []


def test_describe_log_groups_paginates_automatically(
    owl_server: OwlServer, logs: Any, name: str
) -> None:
    names = sorted(f"{name}/g{i:02d}" for i in range(53))
    for n in names:
        logs.create_log_group(logGroupName=n)
    # The CLI follows nextToken itself and prints one merged list.
    out = aws_json(owl_server, "describe-log-groups", "--log-group-name-prefix", name)
    assert [g["logGroupName"] for g in out["logGroups"]] == names
    assert "nextToken" not in out
    # Smaller pages, same result.
    out = aws_json(
        owl_server, "describe-log-groups", "--log-group-name-prefix", name, "--page-size", "10"
    )
    assert [g["logGroupName"] for g in out["logGroups"]] == names
    # --max-items stops early and hands back a CLI token to resume from.
    out = aws_json(
        owl_server, "describe-log-groups", "--log-group-name-pattern", name[9:], "--max-items", "7"
    )
    assert [g["logGroupName"] for g in out["logGroups"]] == names[:7]
    rest = aws_json(
        owl_server,
        "describe-log-groups",
        "--log-group-name-pattern",
        name[9:],
        "--starting-token",
        out["NextToken"],
    )
    assert [g["logGroupName"] for g in rest["logGroups"]] == names[7:]
    for n in names:
        logs.delete_log_group(logGroupName=n)


def test_error_exit_code_and_message(owl_server: OwlServer, logs: Any, name: str) -> None:
    logs.create_log_group(logGroupName=name)
    done = aws(owl_server, "create-log-group", "--log-group-name", name)
    assert done.returncode == SERVICE_ERROR_EXIT
    assert done.stdout == ""
    assert (
        "An error occurred (ResourceAlreadyExistsException) when calling the CreateLogGroup "
        "operation: The specified log group already exists"
    ) in done.stderr

    done = aws(owl_server, "delete-log-group", "--log-group-name", name + "-missing")
    assert done.returncode == SERVICE_ERROR_EXIT
    assert (
        "An error occurred (ResourceNotFoundException) when calling the DeleteLogGroup "
        "operation: The specified log group does not exist."
    ) in done.stderr

    done = aws(
        owl_server, "put-retention-policy", "--log-group-name", name, "--retention-in-days", "2"
    )
    assert done.returncode == SERVICE_ERROR_EXIT
    assert "(InvalidParameterException) when calling the PutRetentionPolicy" in done.stderr
    logs.delete_log_group(logGroupName=name)
