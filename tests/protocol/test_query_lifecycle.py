"""Insights queries as records: the groups a query covered (ListLogGroupsForQuery)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import OwlServer
from tests.protocol.support import account_of


def test_list_log_groups_for_query_pages_the_groups_as_arns(
    logs: Any, owl_server: OwlServer, unique_name: str
) -> None:
    names = [f"{unique_name}/{i:02d}" for i in range(60)]
    for name in names:
        logs.create_log_group(logGroupName=name)
    now = int(time.time())
    qid = logs.start_query(
        logGroupNames=names[:50], startTime=now - 60, endTime=now, queryString="fields @message"
    )["queryId"]
    account = account_of(owl_server)
    first = logs.list_log_groups_for_query(queryId=qid, maxResults=50)
    assert first["logGroupIdentifiers"] == [
        f"arn:aws:logs:us-east-1:{account}:log-group:{n}" for n in names[:50]
    ]
    assert "nextToken" not in first
    with pytest.raises(ClientError) as exc:
        logs.list_log_groups_for_query(queryId="00000000-0000-0000-0000-000000000000")
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"
