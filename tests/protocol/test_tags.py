"""Tags through boto3: TagResource/UntagResource/ListTagsForResource and the deprecated trio."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import REGION, OwlServer
from tests.protocol.support import account_of, error_of, lenient

GROUP_MISSING = "The specified log group does not exist."


@pytest.fixture
def arn(logs: Any, owl_server: OwlServer, unique_name: str) -> str:
    """A fresh group; its ARN in the form the tagging APIs take (no trailing ``:*``)."""
    logs.create_log_group(logGroupName=unique_name)
    value = f"arn:aws:logs:{REGION}:{account_of(owl_server)}:log-group:{unique_name}"
    groups = logs.describe_log_groups(logGroupNamePrefix=unique_name)["logGroups"]
    assert groups[0]["logGroupArn"] == value
    return value


def test_new_group_has_no_tags(logs: Any, arn: str, unique_name: str) -> None:
    resp = logs.list_tags_for_resource(resourceArn=arn)
    assert resp["tags"] == {}
    assert logs.list_tags_log_group(logGroupName=unique_name)["tags"] == {}


def test_tags_given_at_creation(logs: Any, owl_server: OwlServer, unique_name: str) -> None:
    tags = {"team": "core", "empty": "", "Ünïcode key": "välue 1", "a:b/c=d+e-f@g_h.i": "x"}
    logs.create_log_group(logGroupName=unique_name, tags=tags)
    arn = f"arn:aws:logs:{REGION}:{account_of(owl_server)}:log-group:{unique_name}"
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == tags
    assert logs.list_tags_log_group(logGroupName=unique_name)["tags"] == tags


def test_tag_overwrite_and_untag(logs: Any, arn: str) -> None:
    resp = logs.tag_resource(resourceArn=arn, tags={"a": "1", "b": "2"})
    assert set(resp) == {"ResponseMetadata"}
    logs.tag_resource(resourceArn=arn, tags={"b": "20", "c": "3"})
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"a": "1", "b": "20", "c": "3"}
    resp = logs.untag_resource(resourceArn=arn, tagKeys=["a", "missing"])
    assert set(resp) == {"ResponseMetadata"}
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"b": "20", "c": "3"}
    logs.untag_resource(resourceArn=arn, tagKeys=[])
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"b": "20", "c": "3"}
    logs.untag_resource(resourceArn=arn, tagKeys=["b", "c"])
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {}


def test_tag_keys_are_case_sensitive(logs: Any, arn: str) -> None:
    logs.tag_resource(resourceArn=arn, tags={"Env": "prod", "env": "dev"})
    logs.untag_resource(resourceArn=arn, tagKeys=["ENV"])
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"Env": "prod", "env": "dev"}


def test_more_than_50_tags_in_all(logs: Any, arn: str) -> None:
    first = {f"k{i:02d}": "v" for i in range(30)}
    logs.tag_resource(resourceArn=arn, tags=first)
    with pytest.raises(ClientError) as exc:
        logs.tag_resource(resourceArn=arn, tags={f"n{i:02d}": "v" for i in range(21)})
    assert error_of(exc)[0] == "TooManyTagsException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # Nothing was applied.
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == first
    # Exactly 50 is fine, and overwriting keys that exist does not count twice.
    logs.tag_resource(resourceArn=arn, tags={f"n{i:02d}": "v" for i in range(20)})
    assert len(logs.list_tags_for_resource(resourceArn=arn)["tags"]) == 50
    logs.tag_resource(resourceArn=arn, tags={f"k{i:02d}": "w" for i in range(30)})
    tags = logs.list_tags_for_resource(resourceArn=arn)["tags"]
    assert len(tags) == 50
    assert tags["k00"] == "w"
    with pytest.raises(ClientError) as exc:
        logs.tag_resource(resourceArn=arn, tags={"one-more": "v"})
    assert error_of(exc)[0] == "TooManyTagsException"
    assert len(logs.list_tags_for_resource(resourceArn=arn)["tags"]) == 50


def test_more_than_50_tags_in_one_call(logs: Any, arn: str) -> None:
    # The model caps the map at 50 entries, so this fails validation before any count.
    with pytest.raises(ClientError) as exc:
        logs.tag_resource(resourceArn=arn, tags={f"k{i:02d}": "v" for i in range(51)})
    code, message = error_of(exc)
    assert code == "InvalidParameterException"
    assert message.startswith("1 validation error detected: Value '{")
    assert message.endswith(
        "at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50"
    )
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {}


def test_invalid_tag_key(logs: Any, arn: str) -> None:
    with pytest.raises(ClientError) as exc:
        logs.tag_resource(resourceArn=arn, tags={"bad!key": "v"})
    assert error_of(exc) == (
        "InvalidParameterException",
        "1 validation error detected: Value '{bad!key=v}' at 'tags' failed to satisfy "
        "constraint: Map keys must satisfy constraint: [Member must have length less than or "
        "equal to 128, Member must have length greater than or equal to 1, Member must satisfy "
        r"regular expression pattern: ^([\p{L}\p{Z}\p{N}_.:/=+\-@]+)$]",
    )
    with pytest.raises(ClientError) as exc:
        logs.tag_resource(resourceArn=arn, tags={"k" * 129: "v"})
    assert error_of(exc)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        logs.tag_resource(resourceArn=arn, tags={"k": "v" * 257})
    assert error_of(exc)[0] == "InvalidParameterException"
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {}


def test_tagging_a_missing_group(logs: Any, owl_server: OwlServer, unique_name: str) -> None:
    arn = f"arn:aws:logs:{REGION}:{account_of(owl_server)}:log-group:{unique_name}"
    calls = [
        lambda: logs.tag_resource(resourceArn=arn, tags={"a": "1"}),
        lambda: logs.untag_resource(resourceArn=arn, tagKeys=["a"]),
        lambda: logs.list_tags_for_resource(resourceArn=arn),
        lambda: logs.tag_log_group(logGroupName=unique_name, tags={"a": "1"}),
        lambda: logs.untag_log_group(logGroupName=unique_name, tags=["a"]),
        lambda: logs.list_tags_log_group(logGroupName=unique_name),
    ]
    for call in calls:
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == ("ResourceNotFoundException", GROUP_MISSING)


def test_arn_of_other_region_is_not_found(logs: Any, arn: str) -> None:
    other = arn.replace(f":{REGION}:", ":eu-west-1:")
    with pytest.raises(ClientError) as exc:
        logs.list_tags_for_resource(resourceArn=other)
    assert error_of(exc) == ("ResourceNotFoundException", GROUP_MISSING)


def test_malformed_arn(logs: Any) -> None:
    with pytest.raises(ClientError) as exc:
        logs.list_tags_for_resource(resourceArn="arn:aws:logs:us-east-1:123:nothing")
    assert error_of(exc)[0] == "InvalidParameterException"


def test_tags_do_not_survive_recreation(logs: Any, arn: str, unique_name: str) -> None:
    logs.tag_resource(resourceArn=arn, tags={"a": "1"})
    logs.delete_log_group(logGroupName=unique_name)
    with pytest.raises(ClientError) as exc:
        logs.list_tags_for_resource(resourceArn=arn)
    assert error_of(exc) == ("ResourceNotFoundException", GROUP_MISSING)
    logs.create_log_group(logGroupName=unique_name)
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {}


def test_tags_are_per_region(logs: Any, owl_server: OwlServer, arn: str, unique_name: str) -> None:
    west = owl_server.client("logs", region="us-west-2")
    west.create_log_group(logGroupName=unique_name, tags={"side": "west"})
    logs.tag_resource(resourceArn=arn, tags={"side": "east"})
    west_arn = arn.replace(f":{REGION}:", ":us-west-2:")
    assert west.list_tags_for_resource(resourceArn=west_arn)["tags"] == {"side": "west"}
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"side": "east"}
    west.delete_log_group(logGroupName=unique_name)


# -- The deprecated name-based operations --------------------------------------------------


def test_deprecated_trio(logs: Any, arn: str, unique_name: str) -> None:
    resp = logs.tag_log_group(logGroupName=unique_name, tags={"a": "1", "b": "2"})
    assert set(resp) == {"ResponseMetadata"}
    assert logs.list_tags_log_group(logGroupName=unique_name)["tags"] == {"a": "1", "b": "2"}
    # The same tags as the ARN-based operations see.
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"a": "1", "b": "2"}
    logs.tag_resource(resourceArn=arn, tags={"c": "3"})
    resp = logs.untag_log_group(logGroupName=unique_name, tags=["a", "zzz"])
    assert set(resp) == {"ResponseMetadata"}
    assert logs.list_tags_log_group(logGroupName=unique_name)["tags"] == {"b": "2", "c": "3"}


def test_untag_log_group_needs_a_key(logs: Any, arn: str, unique_name: str) -> None:
    with pytest.raises(ClientError) as exc:
        lenient(logs).untag_log_group(logGroupName=unique_name, tags=[])
    assert error_of(exc) == (
        "InvalidParameterException",
        "1 validation error detected: Value '[]' at 'tags' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1",
    )
