"""Log groups through boto3: create, delete, describe, list, retention, deletion protection.

Every name is unique to its test (the server is shared). Expected messages are AWS's own, as
recorded in research-errors.md; where AWS's text is not known, only the error code is asserted.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import REGION, OwlServer
from tests.protocol.support import account_of, error_of, lenient, logs_key

GROUP_MISSING = "The specified log group does not exist."
GROUP_EXISTS = "The specified log group already exists"
PROTECTED = (
    "Cannot delete log group with deletion protection enabled. Disable deletion protection first."
)
RETENTION_DAYS = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
]  # fmt: skip
NAME_PATTERN = r"[\.\-_/#A-Za-z0-9]+"
FULL_KEYS = {
    "logGroupName",
    "creationTime",
    "metricFilterCount",
    "arn",
    "logGroupClass",
    "logGroupArn",
    "storedBytes",
    "deletionProtectionEnabled",
}
BRIEF_KEYS = {
    "logGroupName",
    "creationTime",
    "metricFilterCount",
    "arn",
    "logGroupClass",
    "logGroupArn",
}


def token() -> str:
    return uuid.uuid4().hex[:12]


def describe_one(logs: Any, name: str) -> dict[str, Any]:
    groups = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    matching = [g for g in groups if g["logGroupName"] == name]
    assert len(matching) == 1, groups
    return dict(matching[0])


def now_ms() -> int:
    return int(time.time() * 1000)


# -- CreateLogGroup -------------------------------------------------------------------------


def test_create_defaults_shown_in_describe(
    logs: Any, owl_server: OwlServer, unique_name: str
) -> None:
    before = now_ms()
    resp = logs.create_log_group(logGroupName=unique_name)
    after = now_ms()
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert set(resp) == {"ResponseMetadata"}
    group = describe_one(logs, unique_name)
    account = account_of(owl_server)
    arn = f"arn:aws:logs:{REGION}:{account}:log-group:{unique_name}"
    assert before <= group.pop("creationTime") <= after
    assert group == {
        "logGroupName": unique_name,
        "metricFilterCount": 0,
        "arn": arn + ":*",
        "logGroupClass": "STANDARD",
        "logGroupArn": arn,
        "storedBytes": 0,
        "deletionProtectionEnabled": False,
    }


def test_create_with_every_option(logs: Any, owl_server: OwlServer, unique_name: str) -> None:
    kms_key = logs_key(owl_server)
    logs.create_log_group(
        logGroupName=unique_name,
        kmsKeyId=kms_key,
        logGroupClass="INFREQUENT_ACCESS",
        deletionProtectionEnabled=True,
        tags={"team": "core", "env": ""},
    )
    group = describe_one(logs, unique_name)
    assert set(group) == FULL_KEYS | {"kmsKeyId"}
    assert group["kmsKeyId"] == kms_key
    assert group["logGroupClass"] == "INFREQUENT_ACCESS"
    assert group["deletionProtectionEnabled"] is True
    assert logs.list_tags_log_group(logGroupName=unique_name)["tags"] == {
        "team": "core",
        "env": "",
    }
    logs.put_log_group_deletion_protection(
        logGroupIdentifier=unique_name, deletionProtectionEnabled=False
    )
    logs.delete_log_group(logGroupName=unique_name)


@pytest.mark.parametrize("cls", ["STANDARD", "INFREQUENT_ACCESS", "DELIVERY", "ESSENTIALS"])
def test_every_log_group_class_is_accepted(logs: Any, unique_name: str, cls: str) -> None:
    logs.create_log_group(logGroupName=unique_name, logGroupClass=cls)
    assert describe_one(logs, unique_name)["logGroupClass"] == cls


def test_unknown_log_group_class_is_rejected(logs: Any, unique_name: str) -> None:
    with pytest.raises(ClientError) as exc:
        logs.create_log_group(logGroupName=unique_name, logGroupClass="COLD")
    assert error_of(exc) == (
        "InvalidParameterException",
        "1 validation error detected: Value 'COLD' at 'logGroupClass' failed to satisfy "
        "constraint: Member must satisfy enum value set: "
        "[STANDARD, INFREQUENT_ACCESS, DELIVERY, ESSENTIALS]",
    )
    assert logs.describe_log_groups(logGroupNamePrefix=unique_name)["logGroups"] == []


def test_duplicate_group_is_refused(logs: Any, unique_name: str) -> None:
    logs.create_log_group(logGroupName=unique_name)
    created = describe_one(logs, unique_name)["creationTime"]
    with pytest.raises(ClientError) as exc:
        logs.create_log_group(logGroupName=unique_name, logGroupClass="INFREQUENT_ACCESS")
    assert error_of(exc) == ("ResourceAlreadyExistsException", GROUP_EXISTS)
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # The first group is untouched.
    group = describe_one(logs, unique_name)
    assert (group["creationTime"], group["logGroupClass"]) == (created, "STANDARD")


@pytest.mark.parametrize("prefix", ["aws/", "AWS/", "Aws/"])
def test_reserved_aws_prefix(logs: Any, prefix: str) -> None:
    name = f"{prefix}owl-test/{token()}"
    with pytest.raises(ClientError) as exc:
        logs.create_log_group(logGroupName=name)
    assert error_of(exc) == (
        "InvalidParameterException",
        "Log groups starting with AWS/ are reserved for AWS.",
    )


def test_slash_aws_prefix_is_allowed(logs: Any) -> None:
    name = f"/aws/lambda/owl-test-{token()}"
    logs.create_log_group(logGroupName=name)
    assert describe_one(logs, name)["logGroupName"] == name
    logs.delete_log_group(logGroupName=name)


def test_name_longer_than_512_is_refused(logs: Any) -> None:
    name = "/owl-test/" + "x" * 503
    assert len(name) == 513
    with pytest.raises(ClientError) as exc:
        logs.create_log_group(logGroupName=name)
    assert error_of(exc) == (
        "InvalidParameterException",
        "Invalid LogGroup or LogStream, both must have length less than or equal to 512.",
    )
    # 512 characters are fine.
    logs.create_log_group(logGroupName=name[:512])
    logs.delete_log_group(logGroupName=name[:512])


def test_name_with_forbidden_characters_is_refused(logs: Any) -> None:
    with pytest.raises(ClientError) as exc:
        logs.create_log_group(logGroupName="/owl-test/bad name")
    assert error_of(exc) == (
        "InvalidParameterException",
        "1 validation error detected: Value '/owl-test/bad name' at 'logGroupName' failed to "
        f"satisfy constraint: Member must satisfy regular expression pattern: {NAME_PATTERN}",
    )


def test_create_with_more_than_50_tags_is_refused(logs: Any, unique_name: str) -> None:
    tags = {f"k{i}": "v" for i in range(51)}
    with pytest.raises(ClientError) as exc:
        logs.create_log_group(logGroupName=unique_name, tags=tags)
    code, message = error_of(exc)
    assert code == "InvalidParameterException"
    assert message.startswith("1 validation error detected: Value '{")
    assert message.endswith(
        "at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50"
    )
    assert logs.describe_log_groups(logGroupNamePrefix=unique_name)["logGroups"] == []


# -- DeleteLogGroup and deletion protection -------------------------------------------------


def test_delete_group(logs: Any, unique_name: str) -> None:
    logs.create_log_group(logGroupName=unique_name)
    resp = logs.delete_log_group(logGroupName=unique_name)
    assert set(resp) == {"ResponseMetadata"}
    assert logs.describe_log_groups(logGroupNamePrefix=unique_name)["logGroups"] == []
    with pytest.raises(ClientError) as exc:
        logs.delete_log_group(logGroupName=unique_name)
    assert error_of(exc) == ("ResourceNotFoundException", GROUP_MISSING)


def test_delete_missing_group(logs: Any, unique_name: str) -> None:
    with pytest.raises(ClientError) as exc:
        logs.delete_log_group(logGroupName=unique_name)
    assert error_of(exc) == ("ResourceNotFoundException", GROUP_MISSING)
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_deletion_protection_from_creation(logs: Any, unique_name: str) -> None:
    logs.create_log_group(logGroupName=unique_name, deletionProtectionEnabled=True)
    with pytest.raises(ClientError) as exc:
        logs.delete_log_group(logGroupName=unique_name)
    assert error_of(exc) == ("ValidationException", PROTECTED)
    assert describe_one(logs, unique_name)["deletionProtectionEnabled"] is True
    logs.put_log_group_deletion_protection(
        logGroupIdentifier=unique_name, deletionProtectionEnabled=False
    )
    assert describe_one(logs, unique_name)["deletionProtectionEnabled"] is False
    logs.delete_log_group(logGroupName=unique_name)
    assert logs.describe_log_groups(logGroupNamePrefix=unique_name)["logGroups"] == []


def test_deletion_protection_by_arn(logs: Any, unique_name: str) -> None:
    logs.create_log_group(logGroupName=unique_name)
    arn = describe_one(logs, unique_name)["logGroupArn"]
    resp = logs.put_log_group_deletion_protection(
        logGroupIdentifier=arn, deletionProtectionEnabled=True
    )
    assert set(resp) == {"ResponseMetadata"}
    assert describe_one(logs, unique_name)["deletionProtectionEnabled"] is True
    with pytest.raises(ClientError) as exc:
        logs.delete_log_group(logGroupName=unique_name)
    assert error_of(exc) == ("ValidationException", PROTECTED)
    logs.put_log_group_deletion_protection(logGroupIdentifier=arn, deletionProtectionEnabled=False)
    logs.delete_log_group(logGroupName=unique_name)


def test_deletion_protection_on_missing_group(logs: Any, unique_name: str) -> None:
    with pytest.raises(ClientError) as exc:
        logs.put_log_group_deletion_protection(
            logGroupIdentifier=unique_name, deletionProtectionEnabled=True
        )
    assert error_of(exc) == ("ResourceNotFoundException", GROUP_MISSING)


def test_deletion_protection_requires_the_flag(logs: Any, unique_name: str) -> None:
    with pytest.raises(ClientError) as exc:
        lenient(logs).put_log_group_deletion_protection(logGroupIdentifier=unique_name)
    assert error_of(exc) == (
        "InvalidParameterException",
        "1 validation error detected: Value null at 'deletionProtectionEnabled' "
        "failed to satisfy constraint: Member must not be null",
    )


# -- Retention ------------------------------------------------------------------------------


def test_every_allowed_retention_value(logs: Any, unique_name: str) -> None:
    logs.create_log_group(logGroupName=unique_name)
    assert "retentionInDays" not in describe_one(logs, unique_name)
    for days in RETENTION_DAYS:
        resp = logs.put_retention_policy(logGroupName=unique_name, retentionInDays=days)
        assert set(resp) == {"ResponseMetadata"}
        assert describe_one(logs, unique_name)["retentionInDays"] == days


@pytest.mark.parametrize("days", [0, 2, 4, 13, 366, 1095, 3654, -1])
def test_other_retention_values_are_rejected(logs: Any, unique_name: str, days: int) -> None:
    logs.create_log_group(logGroupName=unique_name)
    logs.put_retention_policy(logGroupName=unique_name, retentionInDays=30)
    with pytest.raises(ClientError) as exc:
        logs.put_retention_policy(logGroupName=unique_name, retentionInDays=days)
    assert error_of(exc) == (
        "InvalidParameterException",
        f"1 validation error detected: Value '{days}' at 'retentionInDays' failed to satisfy "
        "constraint: Member must satisfy enum value set: "
        f"[{', '.join(map(str, RETENTION_DAYS))}]",
    )
    assert describe_one(logs, unique_name)["retentionInDays"] == 30


def test_invalid_retention_is_checked_before_the_group(logs: Any, unique_name: str) -> None:
    # A value outside the allowed set is a validation error, found before any lookup.
    with pytest.raises(ClientError) as exc:
        logs.put_retention_policy(logGroupName=unique_name, retentionInDays=2)
    assert error_of(exc)[0] == "InvalidParameterException"


def test_delete_retention_policy(logs: Any, unique_name: str) -> None:
    logs.create_log_group(logGroupName=unique_name)
    logs.put_retention_policy(logGroupName=unique_name, retentionInDays=7)
    assert describe_one(logs, unique_name)["retentionInDays"] == 7
    resp = logs.delete_retention_policy(logGroupName=unique_name)
    assert set(resp) == {"ResponseMetadata"}
    group = describe_one(logs, unique_name)
    assert "retentionInDays" not in group
    assert set(group) == FULL_KEYS
    # Deleting it again is not an error.
    logs.delete_retention_policy(logGroupName=unique_name)


def test_retention_on_missing_group(logs: Any, unique_name: str) -> None:
    with pytest.raises(ClientError) as exc:
        logs.put_retention_policy(logGroupName=unique_name, retentionInDays=1)
    assert error_of(exc) == ("ResourceNotFoundException", GROUP_MISSING)
    with pytest.raises(ClientError) as exc:
        logs.delete_retention_policy(logGroupName=unique_name)
    assert error_of(exc) == ("ResourceNotFoundException", GROUP_MISSING)


# -- Incarnations -------------------------------------------------------------------------


def test_recreated_group_is_new_and_empty(
    logs: Any, owl_server: OwlServer, unique_name: str
) -> None:
    logs.create_log_group(
        logGroupName=unique_name,
        tags={"a": "1"},
        kmsKeyId=logs_key(owl_server),
        logGroupClass="INFREQUENT_ACCESS",
    )
    logs.put_retention_policy(logGroupName=unique_name, retentionInDays=14)
    logs.create_log_stream(logGroupName=unique_name, logStreamName="s1")
    first = describe_one(logs, unique_name)
    logs.delete_log_group(logGroupName=unique_name)
    time.sleep(0.005)

    logs.create_log_group(logGroupName=unique_name)
    second = describe_one(logs, unique_name)
    assert second["creationTime"] > first["creationTime"]
    assert second["logGroupArn"] == first["logGroupArn"]
    assert set(second) == FULL_KEYS
    assert second["logGroupClass"] == "STANDARD"
    assert logs.describe_log_streams(logGroupName=unique_name)["logStreams"] == []
    assert logs.list_tags_log_group(logGroupName=unique_name)["tags"] == {}
    assert logs.list_tags_for_resource(resourceArn=second["logGroupArn"])["tags"] == {}


# -- Region isolation ---------------------------------------------------------------------


def test_same_name_in_two_regions(logs: Any, owl_server: OwlServer, unique_name: str) -> None:
    west = owl_server.client("logs", region="us-west-2")
    account = account_of(owl_server)
    logs.create_log_group(logGroupName=unique_name, tags={"region": "east"})
    west.create_log_group(logGroupName=unique_name, logGroupClass="INFREQUENT_ACCESS")
    logs.put_retention_policy(logGroupName=unique_name, retentionInDays=3)
    west.create_log_stream(logGroupName=unique_name, logStreamName="only-west")

    east_group = describe_one(logs, unique_name)
    west_group = describe_one(west, unique_name)
    assert east_group["logGroupArn"] == f"arn:aws:logs:us-east-1:{account}:log-group:{unique_name}"
    assert west_group["logGroupArn"] == f"arn:aws:logs:us-west-2:{account}:log-group:{unique_name}"
    assert west_group["arn"] == west_group["logGroupArn"] + ":*"
    assert (east_group["logGroupClass"], east_group["retentionInDays"]) == ("STANDARD", 3)
    assert west_group["logGroupClass"] == "INFREQUENT_ACCESS"
    assert "retentionInDays" not in west_group
    assert logs.describe_log_streams(logGroupName=unique_name)["logStreams"] == []
    west_streams = west.describe_log_streams(logGroupName=unique_name)["logStreams"]
    assert [s["logStreamName"] for s in west_streams] == ["only-west"]
    assert west_streams[0]["arn"] == (
        f"arn:aws:logs:us-west-2:{account}:log-group:{unique_name}:log-stream:only-west"
    )
    assert west.list_tags_log_group(logGroupName=unique_name)["tags"] == {}

    # An ARN of the other region does not reach across.
    with pytest.raises(ClientError) as exc:
        logs.put_log_group_deletion_protection(
            logGroupIdentifier=west_group["logGroupArn"], deletionProtectionEnabled=True
        )
    assert error_of(exc) == ("ResourceNotFoundException", GROUP_MISSING)

    logs.delete_log_group(logGroupName=unique_name)
    assert logs.describe_log_groups(logGroupNamePrefix=unique_name)["logGroups"] == []
    assert describe_one(west, unique_name)["creationTime"] == west_group["creationTime"]
    west.delete_log_group(logGroupName=unique_name)


# -- DescribeLogGroups --------------------------------------------------------------------


@pytest.fixture(scope="module")
def many_groups(owl_server: OwlServer) -> Iterator[tuple[str, list[str]]]:
    """55 groups under one unique prefix (more than one default page of 50)."""
    logs = owl_server.client("logs")
    tok = token()
    prefix = f"/owl-many/{tok}/"
    names = sorted(f"{prefix}g{i:03d}" for i in range(55))
    for i, name in enumerate(names):
        logs.create_log_group(
            logGroupName=name,
            logGroupClass="INFREQUENT_ACCESS" if i % 5 == 0 else "STANDARD",
            tags={"parity": "even" if i % 2 == 0 else "odd"},
        )
    yield prefix, names
    for name in names:
        logs.delete_log_group(logGroupName=name)


def test_describe_default_page_is_50(logs: Any, many_groups: tuple[str, list[str]]) -> None:
    prefix, names = many_groups
    first = logs.describe_log_groups(logGroupNamePrefix=prefix)
    assert [g["logGroupName"] for g in first["logGroups"]] == names[:50]
    assert isinstance(first["nextToken"], str)
    second = logs.describe_log_groups(logGroupNamePrefix=prefix, nextToken=first["nextToken"])
    assert [g["logGroupName"] for g in second["logGroups"]] == names[50:]
    assert "nextToken" not in second


def test_describe_with_limit_and_next_token(logs: Any, many_groups: tuple[str, list[str]]) -> None:
    prefix, names = many_groups
    seen: list[str] = []
    sizes: list[int] = []
    kwargs: dict[str, Any] = {"logGroupNamePrefix": prefix, "limit": 20}
    while True:
        page = logs.describe_log_groups(**kwargs)
        sizes.append(len(page["logGroups"]))
        seen += [g["logGroupName"] for g in page["logGroups"]]
        if "nextToken" not in page:
            break
        kwargs["nextToken"] = page["nextToken"]
    assert sizes == [20, 20, 15]
    assert seen == names


def test_describe_paginator(logs: Any, many_groups: tuple[str, list[str]]) -> None:
    prefix, names = many_groups
    pages = list(logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=prefix))
    assert [len(p["logGroups"]) for p in pages] == [50, 5]
    assert [g["logGroupName"] for p in pages for g in p["logGroups"]] == names
    built = (
        logs.get_paginator("describe_log_groups")
        .paginate(logGroupNamePrefix=prefix, PaginationConfig={"PageSize": 7})
        .build_full_result()
    )
    assert [g["logGroupName"] for g in built["logGroups"]] == names


def test_describe_pattern_paginates(logs: Any, many_groups: tuple[str, list[str]]) -> None:
    prefix, names = many_groups
    tok = prefix.split("/")[2]
    pages = list(
        logs.get_paginator("describe_log_groups").paginate(
            logGroupNamePattern=tok, PaginationConfig={"PageSize": 25}
        )
    )
    got = [g for p in pages for g in p["logGroups"]]
    assert [g["logGroupName"] for g in got] == names
    assert all(set(g) == BRIEF_KEYS for g in got)


def test_describe_by_class(logs: Any, many_groups: tuple[str, list[str]]) -> None:
    prefix, names = many_groups
    infrequent = logs.describe_log_groups(
        logGroupNamePrefix=prefix, logGroupClass="INFREQUENT_ACCESS"
    )["logGroups"]
    assert [g["logGroupName"] for g in infrequent] == names[::5]
    assert {g["logGroupClass"] for g in infrequent} == {"INFREQUENT_ACCESS"}
    standard = (
        logs.get_paginator("describe_log_groups")
        .paginate(logGroupNamePrefix=prefix, logGroupClass="STANDARD")
        .build_full_result()["logGroups"]
    )
    assert [g["logGroupName"] for g in standard] == [n for i, n in enumerate(names) if i % 5]


def test_describe_limit_bounds(logs: Any) -> None:
    with pytest.raises(ClientError) as exc:
        logs.describe_log_groups(limit=51)
    assert error_of(exc) == (
        "InvalidParameterException",
        "1 validation error detected: Value '51' at 'limit' failed to satisfy constraint: "
        "Member must have value less than or equal to 50",
    )
    with pytest.raises(ClientError) as exc:
        lenient(logs).describe_log_groups(limit=0)
    assert error_of(exc) == (
        "InvalidParameterException",
        "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1",
    )


def test_describe_prefix(logs: Any) -> None:
    tok = token()
    names = [f"/owl-prefix/{tok}/a", f"/owl-prefix/{tok}/a/b", f"/owl-prefix/{tok}/b"]
    for name in names:
        logs.create_log_group(logGroupName=name)
    got = logs.describe_log_groups(logGroupNamePrefix=f"/owl-prefix/{tok}/a")["logGroups"]
    assert [g["logGroupName"] for g in got] == names[:2]
    assert all(set(g) == FULL_KEYS for g in got)
    assert logs.describe_log_groups(logGroupNamePrefix=f"/owl-prefix/{tok}/c")["logGroups"] == []


def test_describe_is_ascii_sorted(logs: Any) -> None:
    tok = token()
    base = f"/owl-sort/{tok}/"
    names = [base + s for s in ["b", "B", "a", "A", "_", "9", "-", "."]]
    for name in names:
        logs.create_log_group(logGroupName=name)
    got = [
        g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix=base)["logGroups"]
    ]
    assert got == sorted(names)
    assert got == [base + s for s in ["-", ".", "9", "A", "B", "_", "a", "b"]]


def test_describe_pattern_is_case_sensitive_substring(logs: Any) -> None:
    tok = token()
    names = [f"/owl-pat/{tok}/Alpha", f"/owl-pat/{tok}/alpha", f"/owl-pat/x{tok}alphabet"]
    for name in names:
        logs.create_log_group(logGroupName=name, tags={"t": "v"})
    logs.put_retention_policy(logGroupName=names[0], retentionInDays=5)
    got = logs.describe_log_groups(logGroupNamePattern=f"{tok}/alpha")["logGroups"]
    assert [g["logGroupName"] for g in got] == [names[1]]
    got = logs.describe_log_groups(logGroupNamePattern=f"{tok}/Alpha")["logGroups"]
    assert [g["logGroupName"] for g in got] == [names[0]]
    # Brief output: no retention, storedBytes or deletion protection.
    assert set(got[0]) == BRIEF_KEYS
    got = logs.describe_log_groups(logGroupNamePattern=tok)["logGroups"]
    assert [g["logGroupName"] for g in got] == sorted(names)
    assert logs.describe_log_groups(logGroupNamePattern=f"{tok}ALPHA")["logGroups"] == []


def test_describe_prefix_and_pattern_exclude_each_other(logs: Any) -> None:
    with pytest.raises(ClientError) as exc:
        logs.describe_log_groups(logGroupNamePrefix="/owl", logGroupNamePattern="owl")
    assert error_of(exc) == (
        "InvalidParameterException",
        "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.",
    )


def test_describe_by_identifiers(logs: Any, owl_server: OwlServer) -> None:
    tok = token()
    names = [f"/owl-ids/{tok}/{c}" for c in "cab"]
    for name in names:
        logs.create_log_group(logGroupName=name)
    account = account_of(owl_server)
    arn_b = f"arn:aws:logs:{REGION}:{account}:log-group:{names[2]}"
    got = logs.describe_log_groups(
        logGroupIdentifiers=[names[0], arn_b, f"/owl-ids/{tok}/missing"]
    )["logGroups"]
    assert [g["logGroupName"] for g in got] == [names[2], names[0]]
    assert all(set(g) == FULL_KEYS for g in got)
    page = logs.describe_log_groups(logGroupIdentifiers=names, limit=2)
    assert [g["logGroupName"] for g in page["logGroups"]] == sorted(names)[:2]
    rest = logs.describe_log_groups(logGroupIdentifiers=names, limit=2, nextToken=page["nextToken"])
    assert [g["logGroupName"] for g in rest["logGroups"]] == sorted(names)[2:]
    assert "nextToken" not in rest


def test_describe_identifiers_with_prefix_is_refused(logs: Any) -> None:
    with pytest.raises(ClientError) as exc:
        logs.describe_log_groups(logGroupIdentifiers=["/owl-x"], logGroupNamePrefix="/owl")
    assert error_of(exc)[0] == "InvalidParameterException"


def test_describe_forged_token(logs: Any, unique_name: str) -> None:
    with pytest.raises(ClientError) as exc:
        logs.describe_log_groups(logGroupNamePrefix=unique_name, nextToken="not-a-token")
    assert error_of(exc) == ("InvalidParameterException", "The specified nextToken is invalid.")


def test_describe_empty_prefix_is_refused(logs: Any) -> None:
    with pytest.raises(ClientError) as exc:
        lenient(logs).describe_log_groups(logGroupNamePrefix="")
    assert error_of(exc) == (
        "InvalidParameterException",
        "2 validation errors detected: Value '' at 'logGroupNamePrefix' failed to satisfy "
        f"constraint: Member must satisfy regular expression pattern: {NAME_PATTERN}; "
        "Value '' at 'logGroupNamePrefix' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1",
    )


# -- ListLogGroups --------------------------------------------------------------------------


def list_all(logs: Any, **kwargs: Any) -> tuple[list[dict[str, Any]], list[int]]:
    """Every page of ListLogGroups (no botocore paginator exists for it)."""
    out: list[dict[str, Any]] = []
    sizes: list[int] = []
    while True:
        page = logs.list_log_groups(**kwargs)
        out += page["logGroups"]
        sizes.append(len(page["logGroups"]))
        if "nextToken" not in page:
            return out, sizes
        kwargs["nextToken"] = page["nextToken"]


def test_list_regex_alternatives_and_anchor(logs: Any, owl_server: OwlServer) -> None:
    a, b = token(), token()
    names = [f"/lg{a}/one", f"/lg{a}/two", f"x/lg{a}/three", f"/lg{b}/four"]
    for name in names:
        logs.create_log_group(logGroupName=name)
    account = account_of(owl_server)
    got, _ = list_all(logs, logGroupNamePattern=f"^/lg{a}")
    assert got == [
        {
            "logGroupName": n,
            "logGroupArn": f"arn:aws:logs:{REGION}:{account}:log-group:{n}",
            "logGroupClass": "STANDARD",
        }
        for n in names[:2]
    ]
    got, _ = list_all(logs, logGroupNamePattern=f"lg{a}")
    assert [g["logGroupName"] for g in got] == sorted(names[:3])
    got, _ = list_all(logs, logGroupNamePattern=f"^/lg{a}/one|{b}")
    assert [g["logGroupName"] for g in got] == sorted([names[0], names[3]])
    got, _ = list_all(logs, logGroupNamePattern=f"^x/lg{a}|^/lg{b}/f")
    assert [g["logGroupName"] for g in got] == [names[3], names[2]]  # "/" sorts before "x"
    # Case-sensitive.
    got, _ = list_all(logs, logGroupNamePattern=f"^/LG{a}")
    assert got == []


def test_list_pattern_outside_model_is_refused(logs: Any) -> None:
    with pytest.raises(ClientError) as exc:
        lenient(logs).list_log_groups(logGroupNamePattern="ab")
    code, message = error_of(exc)
    assert code == "InvalidParameterException"
    assert message.startswith(
        "2 validation errors detected: Value 'ab' at 'logGroupNamePattern' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: "
    )
    assert message.endswith("Member must have length greater than or equal to 3")
    with pytest.raises(ClientError) as exc:
        logs.list_log_groups(logGroupNamePattern="a|b|c")
    code, message = error_of(exc)
    assert code == "InvalidParameterException"
    assert message.startswith("1 validation error detected: Value 'a|b|c' at")


def test_list_by_class_and_tags(logs: Any, many_groups: tuple[str, list[str]]) -> None:
    prefix, names = many_groups
    pattern = "^" + prefix[:-1]
    got, _ = list_all(logs, logGroupNamePattern=pattern, logGroupClass="INFREQUENT_ACCESS")
    assert [g["logGroupName"] for g in got] == names[::5]
    assert {g["logGroupClass"] for g in got} == {"INFREQUENT_ACCESS"}
    got, _ = list_all(
        logs, logGroupNamePattern=pattern, logGroupTags=[{"key": "parity", "values": ["odd"]}]
    )
    assert [g["logGroupName"] for g in got] == names[1::2]
    got, _ = list_all(logs, logGroupNamePattern=pattern, logGroupTags=[{"key": "parity"}])
    assert [g["logGroupName"] for g in got] == names
    got, _ = list_all(
        logs,
        logGroupNamePattern=pattern,
        logGroupClass="INFREQUENT_ACCESS",
        logGroupTags=[{"key": "parity", "values": ["even"]}],
    )
    assert [g["logGroupName"] for g in got] == names[::10]
    got, _ = list_all(logs, logGroupNamePattern=pattern, logGroupTags=[{"key": "absent"}])
    assert got == []


def test_list_limit_and_pagination(logs: Any, many_groups: tuple[str, list[str]]) -> None:
    prefix, names = many_groups
    pattern = "^" + prefix[:-1]
    got, sizes = list_all(logs, logGroupNamePattern=pattern)
    assert sizes == [50, 5]
    assert [g["logGroupName"] for g in got] == names
    got, sizes = list_all(logs, logGroupNamePattern=pattern, limit=12)
    assert sizes == [12, 12, 12, 12, 7]
    assert [g["logGroupName"] for g in got] == names
    got, sizes = list_all(logs, logGroupNamePattern=pattern, limit=1000)
    assert sizes == [55]
    with pytest.raises(ClientError) as exc:
        logs.list_log_groups(limit=1001)
    assert error_of(exc) == (
        "InvalidParameterException",
        "1 validation error detected: Value '1001' at 'limit' failed to satisfy constraint: "
        "Member must have value less than or equal to 1000",
    )


def test_list_forged_token(logs: Any) -> None:
    with pytest.raises(ClientError) as exc:
        logs.list_log_groups(nextToken="AAAA")
    assert error_of(exc) == ("InvalidParameterException", "The specified nextToken is invalid.")
