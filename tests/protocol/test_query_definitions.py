"""Saved Logs Insights queries through boto3: PutQueryDefinition, DescribeQueryDefinitions,
DeleteQueryDefinition.

The server is shared, so every test names its definitions under a prefix of its own and lists
by that prefix. Where AWS's message text is not known (ResourceNotFoundException), only the
error code is asserted; validation messages are the model validator's.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import OwlServer, start_server
from tests.protocol.support import error_of, lenient
from tests.protocol.test_auth import client_of, new_key

QUERY = "fields @timestamp, @message | sort @timestamp desc | limit 20"


@pytest.fixture
def prefix() -> str:
    """A definition-name prefix no other test uses (names are at most 255 characters)."""
    return f"owl-test-{uuid.uuid4().hex}/"


def listed(logs: Any, prefix: str, **kw: Any) -> list[dict[str, Any]]:
    out = logs.describe_query_definitions(queryDefinitionNamePrefix=prefix, **kw)
    assert "nextToken" not in out
    return list(out["queryDefinitions"])


def now_ms() -> int:
    return int(time.time() * 1000)


# -- PutQueryDefinition / DescribeQueryDefinitions ------------------------------------------


def test_create_then_describe_shows_every_member(logs: Any, prefix: str) -> None:
    before = now_ms()
    resp = logs.put_query_definition(
        name=prefix + "errors",
        queryString="fields @message | filter level = {{level}}",
        logGroupNames=["/app/a", "/app/b"],
        parameters=[
            {"name": "level", "defaultValue": "ERROR", "description": "severity"},
            {"name": "_bare"},
        ],
    )
    after = now_ms()
    definition_id = resp["queryDefinitionId"]
    assert set(resp) == {"queryDefinitionId", "ResponseMetadata"}
    assert str(uuid.UUID(definition_id)) == definition_id
    [found] = listed(logs, prefix)
    assert before <= found.pop("lastModified") <= after
    assert found == {
        "queryLanguage": "CWLI",
        "queryDefinitionId": definition_id,
        "name": prefix + "errors",
        "queryString": "fields @message | filter level = {{level}}",
        "logGroupNames": ["/app/a", "/app/b"],
        "parameters": [
            {"name": "level", "defaultValue": "ERROR", "description": "severity"},
            {"name": "_bare"},
        ],
    }


def test_members_never_set_are_left_out(logs: Any, prefix: str) -> None:
    logs.put_query_definition(name=prefix + "plain", queryString=QUERY, queryLanguage="PPL")
    [found] = listed(logs, prefix)
    assert set(found) == {
        "queryLanguage",
        "queryDefinitionId",
        "name",
        "queryString",
        "lastModified",
    }
    assert found["queryLanguage"] == "PPL"


def test_each_create_gets_a_new_id(logs: Any, prefix: str) -> None:
    # botocore sends a fresh clientToken each call: two creates are two definitions.
    first = logs.put_query_definition(name=prefix + "same", queryString=QUERY)
    second = logs.put_query_definition(name=prefix + "same", queryString=QUERY)
    assert first["queryDefinitionId"] != second["queryDefinitionId"]
    assert len(listed(logs, prefix)) == 2


def test_a_repeated_client_token_returns_the_first_id(logs: Any, prefix: str) -> None:
    token = str(uuid.uuid4())
    first = logs.put_query_definition(name=prefix + "q", queryString=QUERY, clientToken=token)
    again = logs.put_query_definition(name=prefix + "q", queryString=QUERY, clientToken=token)
    assert again["queryDefinitionId"] == first["queryDefinitionId"]
    assert [d["queryDefinitionId"] for d in listed(logs, prefix)] == [first["queryDefinitionId"]]


def test_prefix_is_case_sensitive_and_anchored(logs: Any, prefix: str) -> None:
    for name in ("Alpha", "alpha-2", "alpha", "beta-alpha"):
        logs.put_query_definition(name=prefix + name, queryString=QUERY)
    names = [d["name"] for d in listed(logs, prefix + "alpha")]
    assert names == [prefix + "alpha", prefix + "alpha-2"]
    assert [d["name"] for d in listed(logs, prefix + "A")] == [prefix + "Alpha"]
    assert listed(logs, prefix + "zzz") == []


def test_describe_filters_by_language(logs: Any, prefix: str) -> None:
    for language in ("CWLI", "SQL", "PPL"):
        logs.put_query_definition(name=prefix + language, queryString=QUERY, queryLanguage=language)
    found = listed(logs, prefix, queryLanguage="SQL")
    assert [(d["name"], d["queryLanguage"]) for d in found] == [(prefix + "SQL", "SQL")]


def test_pages_follow_name_then_id_order(logs: Any, prefix: str) -> None:
    names = ["c", "a", "b", "b", "e", "d", "b"]
    ids = [logs.put_query_definition(name=prefix + n, queryString=QUERY) for n in names]
    expected = sorted((prefix + n, r["queryDefinitionId"]) for n, r in zip(names, ids, strict=True))
    pages: list[list[tuple[str, str]]] = []
    kw: dict[str, Any] = {}
    while True:
        out = logs.describe_query_definitions(queryDefinitionNamePrefix=prefix, maxResults=3, **kw)
        pages.append([(d["name"], d["queryDefinitionId"]) for d in out["queryDefinitions"]])
        if "nextToken" not in out:
            break
        kw["nextToken"] = out["nextToken"]
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [item for page in pages for item in page] == expected


def test_an_exact_last_page_has_no_token(logs: Any, prefix: str) -> None:
    for n in range(2):
        logs.put_query_definition(name=f"{prefix}{n}", queryString=QUERY)
    out = logs.describe_query_definitions(queryDefinitionNamePrefix=prefix, maxResults=2)
    assert len(out["queryDefinitions"]) == 2
    assert "nextToken" not in out


def test_forged_and_foreign_tokens_are_refused(logs: Any, prefix: str) -> None:
    for n in range(3):
        logs.put_query_definition(name=f"{prefix}{n}", queryString=QUERY)
    token = logs.describe_query_definitions(queryDefinitionNamePrefix=prefix, maxResults=1)[
        "nextToken"
    ]
    forged = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    for bad, kw in (
        (forged, {"queryDefinitionNamePrefix": prefix}),
        ("not-a-token", {"queryDefinitionNamePrefix": prefix}),
        (token, {"queryDefinitionNamePrefix": prefix + "0"}),  # another listing's token
        (token, {"queryDefinitionNamePrefix": prefix, "queryLanguage": "SQL"}),
    ):
        with pytest.raises(ClientError) as exc:
            logs.describe_query_definitions(nextToken=bad, **kw)
        assert error_of(exc) == ("InvalidParameterException", "The specified nextToken is invalid.")


# -- replace and delete ---------------------------------------------------------------------


def test_put_with_an_id_replaces_the_whole_definition(logs: Any, prefix: str) -> None:
    created = logs.put_query_definition(
        name=prefix + "old",
        queryString=QUERY,
        queryLanguage="SQL",
        logGroupNames=["/app/a"],
        parameters=[{"name": "p", "defaultValue": "1"}],
    )["queryDefinitionId"]
    [before] = listed(logs, prefix)
    time.sleep(0.01)
    resp = logs.put_query_definition(
        queryDefinitionId=created, name=prefix + "new", queryString="fields @message"
    )
    assert resp["queryDefinitionId"] == created
    [after] = listed(logs, prefix)
    assert after["lastModified"] > before["lastModified"]
    del after["lastModified"]
    assert after == {
        "queryLanguage": "CWLI",
        "queryDefinitionId": created,
        "name": prefix + "new",
        "queryString": "fields @message",
    }


def test_put_with_an_unknown_id_is_not_found(logs: Any, prefix: str) -> None:
    with pytest.raises(ClientError) as exc:
        logs.put_query_definition(
            queryDefinitionId=str(uuid.uuid4()), name=prefix + "x", queryString=QUERY
        )
    assert error_of(exc)[0] == "ResourceNotFoundException"
    assert listed(logs, prefix) == []  # nothing was created under that id


def test_delete_removes_only_that_definition(logs: Any, prefix: str) -> None:
    keep = logs.put_query_definition(name=prefix + "keep", queryString=QUERY)
    drop = logs.put_query_definition(name=prefix + "drop", queryString=QUERY)
    resp = logs.delete_query_definition(queryDefinitionId=drop["queryDefinitionId"])
    assert resp["success"] is True
    assert [d["queryDefinitionId"] for d in listed(logs, prefix)] == [keep["queryDefinitionId"]]
    with pytest.raises(ClientError) as exc:
        logs.delete_query_definition(queryDefinitionId=drop["queryDefinitionId"])
    assert error_of(exc)[0] == "ResourceNotFoundException"


def test_delete_of_an_unknown_id_is_not_found(logs: Any) -> None:
    with pytest.raises(ClientError) as exc:
        logs.delete_query_definition(queryDefinitionId=str(uuid.uuid4()))
    assert error_of(exc)[0] == "ResourceNotFoundException"


# -- validation -----------------------------------------------------------------------------


def test_empty_name_is_a_validation_error(logs: Any) -> None:
    with pytest.raises(ClientError) as exc:
        lenient(logs).put_query_definition(name="", queryString=QUERY)
    assert error_of(exc) == (
        "InvalidParameterException",
        "1 validation error detected: Value '' at 'name' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1",
    )


def test_more_than_20_parameters_is_a_validation_error(logs: Any, prefix: str) -> None:
    params = [{"name": f"p{n}"} for n in range(21)]
    with pytest.raises(ClientError) as exc:
        lenient(logs).put_query_definition(name=prefix + "x", queryString=QUERY, parameters=params)
    code, message = error_of(exc)
    assert code == "InvalidParameterException"
    assert message.startswith("1 validation error detected: Value '[")
    assert message.endswith(
        "' at 'parameters' failed to satisfy constraint: "
        "Member must have length less than or equal to 20"
    )
    logs.put_query_definition(name=prefix + "x", queryString=QUERY, parameters=params[:20])
    [found] = listed(logs, prefix)
    assert len(found["parameters"]) == 20


def test_parameter_name_must_match_the_pattern(logs: Any, prefix: str) -> None:
    with pytest.raises(ClientError) as exc:
        logs.put_query_definition(
            name=prefix + "x",
            queryString=QUERY,
            parameters=[{"name": "ok"}, {"name": "1bad"}],
        )
    assert error_of(exc) == (
        "InvalidParameterException",
        "1 validation error detected: Value '1bad' at 'parameters.2.member.name' failed to "
        "satisfy constraint: Member must satisfy regular expression pattern: "
        "^[a-zA-Z_][a-zA-Z0-9_]*",
    )
    assert listed(logs, prefix) == []


def test_max_results_out_of_range(logs: Any) -> None:
    with pytest.raises(ClientError) as exc:
        lenient(logs).describe_query_definitions(maxResults=1001)
    assert error_of(exc) == (
        "InvalidParameterException",
        "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy "
        "constraint: Member must have value less than or equal to 1000",
    )


# -- scope and durability -------------------------------------------------------------------


def test_definitions_belong_to_one_account_and_region(tmp_path: Path, prefix: str) -> None:
    server = start_server(tmp_path / "data")  # its own: the test adds an account
    try:
        check_isolation(server, prefix)
    finally:
        server.stop()


def check_isolation(server: OwlServer, prefix: str) -> None:
    theirs = client_of(server, new_key(server, "--new-account"))
    mine = server.client()
    elsewhere = server.client(region="eu-west-1")
    token = str(uuid.uuid4())
    my_id = mine.put_query_definition(name=prefix + "q", queryString=QUERY, clientToken=token)[
        "queryDefinitionId"
    ]

    assert listed(theirs, prefix) == []
    assert listed(elsewhere, prefix) == []
    for other in (theirs, elsewhere):
        with pytest.raises(ClientError) as exc:
            other.put_query_definition(
                queryDefinitionId=my_id, name=prefix + "stolen", queryString=QUERY
            )
        assert error_of(exc)[0] == "ResourceNotFoundException"
        with pytest.raises(ClientError) as exc:
            other.delete_query_definition(queryDefinitionId=my_id)
        assert error_of(exc)[0] == "ResourceNotFoundException"
        # The same clientToken elsewhere is a different request: a definition of its own.
        their_id = other.put_query_definition(
            name=prefix + "q", queryString=QUERY, clientToken=token
        )["queryDefinitionId"]
        assert their_id != my_id
        assert [d["queryDefinitionId"] for d in listed(other, prefix)] == [their_id]
    [mine_after] = listed(mine, prefix)
    assert (mine_after["queryDefinitionId"], mine_after["name"]) == (my_id, prefix + "q")


def test_definitions_survive_a_restart(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = start_server(data_dir)
    try:
        logs = first.client()
        created = logs.put_query_definition(
            name="kept",
            queryString=QUERY,
            logGroupNames=["/app/a"],
            parameters=[{"name": "level", "defaultValue": "ERROR"}],
        )["queryDefinitionId"]
        logs.put_query_definition(name="kept-too", queryString=QUERY)
        token = logs.describe_query_definitions(maxResults=1)["nextToken"]
        before = logs.describe_query_definitions()["queryDefinitions"]
    finally:
        assert first.stop() == 0
    second = start_server(data_dir)
    try:
        logs = second.client()
        assert logs.describe_query_definitions()["queryDefinitions"] == before
        assert before[0]["queryDefinitionId"] == created
        assert before[0]["logGroupNames"] == ["/app/a"]
        # A token handed out before the restart still names its position.
        rest = logs.describe_query_definitions(maxResults=1, nextToken=token)
        assert [d["name"] for d in rest["queryDefinitions"]] == ["kept-too"]
    finally:
        assert second.stop() == 0
