"""owl.protocol.validate: the messages, paths and printing of AWS's model validation.

Texts marked "captured" were seen in real AWS responses (research-errors.md and the sources
cited in validate.py); the rest follow the same Coral conventions.
"""

from __future__ import annotations

from typing import Any

import pytest

from owl.protocol.errors import AwsError
from owl.protocol.java import java_hash, java_regex, java_repr
from owl.protocol.validate import ValidationFailed, validate

GROUP_PATTERN = r"[\.\-_/#A-Za-z0-9]+"
STREAM_PATTERN = "[^:*]*"
TAG_KEY_RULES = (
    "[Member must have length less than or equal to 128, "
    "Member must have length greater than or equal to 1, "
    r"Member must satisfy regular expression pattern: ^([\p{L}\p{Z}\p{N}_.:/=+\-@]+)$]"
)
TAG_VALUE_RULES = (
    "[Member must have length less than or equal to 256, "
    r"Member must satisfy regular expression pattern: ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$]"
)


def messages(operation: str, params: Any) -> list[str]:
    """The per-member phrases validate() collects; [] when the input is valid."""
    try:
        validate("logs", operation, params)
    except ValidationFailed as failed:
        return failed.messages
    return []


def serialization_message(operation: str, params: Any) -> str | None:
    with pytest.raises(AwsError) as exc:
        validate("logs", operation, params)
    assert exc.value.code == "SerializationException"
    assert exc.value.status == 400
    return exc.value.message


def value_at(value: str, path: str, rule: str) -> str:
    return f"Value '{value}' at '{path}' failed to satisfy constraint: {rule}"


def null_at(path: str) -> str:
    return f"Value null at '{path}' failed to satisfy constraint: Member must not be null"


# -- the summary line ---------------------------------------------------------------------


def test_summary_one_error() -> None:
    failed = ValidationFailed(["A"])
    assert failed.summary() == "1 validation error detected: A"


def test_summary_joins_with_semicolons() -> None:
    failed = ValidationFailed(["A", "B", "C"])
    assert failed.summary() == "3 validation errors detected: A; B; C"
    assert str(failed) == "A; B; C"


def test_valid_input_raises_nothing() -> None:
    validate("logs", "CreateLogGroup", {"logGroupName": "/ok/name_1-2.3#"})
    validate("logs", "DescribeLogGroups", {})
    validate(
        "logs",
        "PutLogEvents",
        {
            "logGroupName": "g",
            "logStreamName": "s",
            "logEvents": [{"timestamp": 0, "message": "m"}],
        },
    )


def test_unknown_members_and_nulls_count_as_absent() -> None:
    # A null optional member is the same as a missing one; unknown keys are ignored.
    assert messages("DescribeLogGroups", {"limit": None, "nextToken": None, "foo": [1]}) == []


# -- required members ---------------------------------------------------------------------


def test_missing_required_member() -> None:
    assert messages("CreateLogGroup", {}) == [null_at("logGroupName")]  # captured on Logs


def test_explicit_null_is_missing() -> None:
    assert messages("CreateLogGroup", {"logGroupName": None}) == [null_at("logGroupName")]


def test_several_missing_members() -> None:
    assert messages("PutRetentionPolicy", {}) == [
        null_at("logGroupName"),
        null_at("retentionInDays"),
    ]


# -- strings --------------------------------------------------------------------------------


def test_pattern() -> None:
    assert messages("CreateLogGroup", {"logGroupName": "bad name"}) == [
        value_at(
            "bad name",
            "logGroupName",
            f"Member must satisfy regular expression pattern: {GROUP_PATTERN}",
        )
    ]


def test_pattern_is_a_full_match() -> None:
    # Java's matches(): "ok*" contains a valid run but is not valid as a whole.
    assert len(messages("CreateLogStream", {"logGroupName": "g", "logStreamName": "ok*"})) == 1


def test_empty_name_reports_pattern_then_length() -> None:
    # Captured on Logs (fluent-plugin-cloudwatch-logs#223): the pattern comes first.
    assert messages("DescribeLogGroups", {"logGroupNamePrefix": ""}) == [
        value_at(
            "",
            "logGroupNamePrefix",
            f"Member must satisfy regular expression pattern: {GROUP_PATTERN}",
        ),
        value_at("", "logGroupNamePrefix", "Member must have length greater than or equal to 1"),
    ]


def test_max_length() -> None:
    name = "a" * 513
    assert messages("DeleteLogGroup", {"logGroupName": name}) == [
        value_at(name, "logGroupName", "Member must have length less than or equal to 512")
    ]
    assert messages("DeleteLogGroup", {"logGroupName": "a" * 512}) == []


def test_length_counts_characters() -> None:
    # 512 two-byte characters are 1024 bytes but 512 characters: allowed.
    assert messages("DeleteLogStream", {"logGroupName": "g", "logStreamName": "é" * 512}) == []


def test_enum() -> None:
    assert messages("DescribeLogStreams", {"logGroupName": "g", "orderBy": "Size"}) == [
        value_at(
            "Size",
            "orderBy",
            "Member must satisfy enum value set: [LogStreamName, LastEventTime]",
        )
    ]


def test_enum_is_case_sensitive() -> None:
    assert len(messages("CreateLogGroup", {"logGroupName": "g", "logGroupClass": "standard"})) == 1


@pytest.mark.parametrize("identifier", ["/app/é", "/app/²", "/app/٣", "/app/Ω"])
def test_word_class_is_ascii_as_in_java(identifier: str) -> None:
    # Found by the property tests: Java's \w is [A-Za-z0-9_]; the regex module's is Unicode.
    assert messages("DescribeLogStreams", {"logGroupIdentifier": identifier}) == [
        value_at(
            identifier,
            "logGroupIdentifier",
            r"Member must satisfy regular expression pattern: [\w#+=/:,.@-]*",
        )
    ]
    assert messages("DescribeLogStreams", {"logGroupIdentifier": "/app/A_z-9"}) == []


@pytest.mark.parametrize(
    ("pattern", "java"),
    [
        (r"[\w#+=/:,.@-]*", r"[A-Za-z0-9_#+=/:,.@-]*"),
        (r"[\w-_]*", r"[A-Za-z0-9_\-_]*"),  # Java: "-" after a class escape is a literal
        (r"[\w-]*", r"[A-Za-z0-9_-]*"),
        (r"^\d{12}$", r"^[0-9]{12}$"),
        (r"\S{36,128}", r"[^ \t\n\x0B\f\r]{36,128}"),
        (r"\W\D\s", r"[^A-Za-z0-9_][^0-9][ \t\n\x0B\f\r]"),
        (r"(/.*)?", r"(/[^\n\r\u0085\u2028\u2029]*)?"),
        (r"[\.\-_/#A-Za-z0-9]+", r"[\.\-_/#A-Za-z0-9]+"),
        (r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]+)$", r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]+)$"),
    ],
)
def test_java_regex(pattern: str, java: str) -> None:
    assert java_regex(pattern) == java


def test_unicode_pattern_classes() -> None:
    # \p{L} and \p{Z} are Java/regex-module classes: letters of any script and spaces pass.
    assert messages("TagLogGroup", {"logGroupName": "g", "tags": {"clé ünï": "värde 値"}}) == []


# -- numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("limit", "rule"),
    [
        (0, "Member must have value greater than or equal to 1"),
        (-5, "Member must have value greater than or equal to 1"),
        (51, "Member must have value less than or equal to 50"),
        (2**40, "Member must have value less than or equal to 50"),
    ],
)
def test_integer_range(limit: int, rule: str) -> None:
    assert messages("DescribeLogGroups", {"limit": limit}) == [value_at(str(limit), "limit", rule)]


@pytest.mark.parametrize("limit", [1, 50])
def test_integer_bounds_are_inclusive(limit: int) -> None:
    assert messages("DescribeLogGroups", {"limit": limit}) == []


def test_integer_without_bounds_takes_any_64_bit_value() -> None:
    # retentionInDays is a bare integer in the model; its allowed set is the service's check.
    for days in (-(2**63), 2, 2**63 - 1):
        assert messages("PutRetentionPolicy", {"logGroupName": "g", "retentionInDays": days}) == []


def test_numbers_beyond_64_bits_are_serialization_errors() -> None:
    params: dict[str, Any] = {"logGroupName": "g", "logStreamName": "s", "startTime": 2**63}
    assert serialization_message("GetLogEvents", params) == (
        "NUMBER_VALUE can not be converted to a Long"
    )
    params = {"logGroupName": "g", "retentionInDays": -(2**63) - 1}
    assert serialization_message("PutRetentionPolicy", params) == (
        "NUMBER_VALUE can not be converted to an Integer"
    )
    params = {"logGroupName": "g", "logStreamName": "s", "startTime": 2**63 - 1}
    assert messages("GetLogEvents", params) == []


# -- lists: elements are numbered from 1, as 'name.N.member' ---------------------------------


def test_list_of_structures_paths() -> None:
    params = {
        "logGroupName": "g",
        "logStreamName": "s",
        "logEvents": [
            {"timestamp": 1, "message": "ok"},
            {"timestamp": -1, "message": ""},
            {"message": "no time"},
        ],
    }
    assert messages("PutLogEvents", params) == [
        value_at(
            "-1",
            "logEvents.2.member.timestamp",
            "Member must have value greater than or equal to 0",
        ),
        value_at(
            "", "logEvents.2.member.message", "Member must have length greater than or equal to 1"
        ),
        null_at(
            "logEvents.3.member.timestamp"
        ),  # captured on Logs (cloudwatch-logs-centralize-logs#5)
    ]


def test_empty_list_below_min() -> None:
    # Captured on Logs (winston-cloudwatch#136).
    assert messages(
        "PutLogEvents", {"logGroupName": "g", "logStreamName": "s", "logEvents": []}
    ) == [value_at("[]", "logEvents", "Member must have length greater than or equal to 1")]


def test_list_of_strings_reports_once_with_every_member_rule() -> None:
    # One error for the list, naming all the member's constraints (captured on ACM and Lambda).
    assert messages("UntagResource", {"resourceArn": "a", "tagKeys": ["ok", "", "b*"]}) == [
        value_at("[ok, , b*]", "tagKeys", f"Member must satisfy constraint: {TAG_KEY_RULES}")
    ]


def test_list_too_long_and_bad_members() -> None:
    keys = [f"k{i}" for i in range(50)] + [""]
    got = messages("UntagResource", {"resourceArn": "a", "tagKeys": keys})
    shown = "[" + ", ".join(keys) + "]"
    assert got == [
        value_at(shown, "tagKeys", "Member must have length less than or equal to 50"),
        value_at(shown, "tagKeys", f"Member must satisfy constraint: {TAG_KEY_RULES}"),
    ]


def test_list_of_patterned_strings() -> None:
    got = messages("DescribeLogGroups", {"logGroupIdentifiers": ["ok", "bad id!"]})
    assert got == [
        value_at(
            "[ok, bad id!]",
            "logGroupIdentifiers",
            "Member must satisfy constraint: [Member must have length less than or equal to 2048, "
            "Member must have length greater than or equal to 1, "
            r"Member must satisfy regular expression pattern: [\w#+=/:,.@-]*]",
        )
    ]


# -- maps: keys and values are reported once per map ----------------------------------------


def test_map_keys() -> None:
    assert messages("TagResource", {"resourceArn": "a", "tags": {"bad*key": "v"}}) == [
        value_at("{bad*key=v}", "tags", f"Map keys must satisfy constraint: {TAG_KEY_RULES}")
    ]


def test_map_values() -> None:
    assert messages("TagResource", {"resourceArn": "a", "tags": {"k": "v*", "k2": "w*"}}) == [
        # HashMap order: "k2" hashes to an earlier bucket than "k".
        value_at("{k2=w*, k=v*}", "tags", f"Map value must satisfy constraint: {TAG_VALUE_RULES}")
    ]


def test_map_keys_then_values() -> None:
    got = messages("TagResource", {"resourceArn": "a", "tags": {"": "v*"}})
    assert [m.split("constraint: ")[1][:14] for m in got] == ["Map keys must ", "Map value must"]


def test_map_size_limits() -> None:
    assert messages("TagResource", {"resourceArn": "a", "tags": {}}) == [
        value_at("{}", "tags", "Member must have length greater than or equal to 1")
    ]
    tags = {f"k{i}": "v" for i in range(51)}
    (message,) = messages("TagResource", {"resourceArn": "a", "tags": tags})
    assert message.startswith("Value '{")
    assert message.endswith(
        "}' at 'tags' failed to satisfy constraint: "
        "Member must have length less than or equal to 50"
    )
    assert (
        messages("TagResource", {"resourceArn": "a", "tags": dict(list(tags.items())[:50])}) == []
    )


def test_map_of_structures_paths() -> None:
    # Entity.keyAttributes is a map of 2..4 entries; its size error sits at the nested path.
    params = {
        "logGroupName": "g",
        "logStreamName": "s",
        "logEvents": [{"timestamp": 1, "message": "m"}],
        "entity": {"keyAttributes": {"Type": "Service"}},
    }
    assert messages("PutLogEvents", params) == [
        value_at(
            "{Type=Service}",
            "entity.keyAttributes",
            "Member must have length greater than or equal to 2",
        )
    ]


def test_several_members_at_once() -> None:
    params = {"logGroupName": "bad name", "limit": 0, "orderBy": "Size"}
    assert messages("DescribeLogStreams", params) == [
        value_at(
            "bad name",
            "logGroupName",
            f"Member must satisfy regular expression pattern: {GROUP_PATTERN}",
        ),
        value_at(
            "Size", "orderBy", "Member must satisfy enum value set: [LogStreamName, LastEventTime]"
        ),
        value_at("0", "limit", "Member must have value greater than or equal to 1"),
    ]


# -- wrong JSON types: SerializationException at once, before any constraint -----------------


@pytest.mark.parametrize(
    ("operation", "params", "message"),
    [
        ("DescribeLogGroups", {"limit": "5"}, "STRING_VALUE can not be converted to an Integer"),
        ("DescribeLogGroups", {"limit": True}, "TRUE_VALUE can not be converted to an Integer"),
        ("DescribeLogGroups", {"limit": 2.5}, "DECIMAL_VALUE can not be converted to an Integer"),
        ("DescribeLogGroups", {"limit": 5.0}, "DECIMAL_VALUE can not be converted to an Integer"),
        ("DescribeLogGroups", {"limit": [1]}, "Start of list found where not expected"),
        (
            "DescribeLogGroups",
            {"limit": {"a": 1}},
            "Start of structure or map found where not expected.",
        ),
        ("CreateLogGroup", {"logGroupName": 5}, "NUMBER_VALUE can not be converted to a String"),
        ("CreateLogGroup", {"logGroupName": 1.5}, "DECIMAL_VALUE can not be converted to a String"),
        ("CreateLogGroup", {"logGroupName": False}, "FALSE_VALUE can not be converted to a String"),
        (
            "CreateLogGroup",
            {"logGroupName": "g", "deletionProtectionEnabled": "true"},
            "STRING_VALUE can not be converted to a Boolean",
        ),
        (
            "CreateLogGroup",
            {"logGroupName": "g", "deletionProtectionEnabled": 1},
            "NUMBER_VALUE can not be converted to a Boolean",
        ),
        (
            "GetLogEvents",
            {"logGroupName": "g", "logStreamName": "s", "startTime": "1"},
            "STRING_VALUE can not be converted to a Long",  # captured on Logs
        ),
        ("UntagResource", {"resourceArn": "a", "tagKeys": "k"}, "Expected list or null"),
        (
            "UntagResource",
            {"resourceArn": "a", "tagKeys": {"k": "v"}},
            "Start of structure or map found where not expected.",
        ),
        (
            "UntagResource",
            {"resourceArn": "a", "tagKeys": [1]},
            "NUMBER_VALUE can not be converted to a String",
        ),
        ("TagResource", {"resourceArn": "a", "tags": "k=v"}, "Expected map or null"),
        (
            "TagResource",
            {"resourceArn": "a", "tags": ["k"]},
            "Start of list found where not expected",
        ),
        (
            "TagResource",
            {"resourceArn": "a", "tags": {"k": 1}},
            "NUMBER_VALUE can not be converted to a String",
        ),
        (
            "PutLogEvents",
            {
                "logGroupName": "g",
                "logStreamName": "s",
                "logEvents": [{"timestamp": 1, "message": {}}],
            },
            "Start of structure or map found where not expected.",
        ),
        (
            "PutLogEvents",
            {"logGroupName": "g", "logStreamName": "s", "logEvents": ["m"]},
            "Expected null",
        ),
    ],
)
def test_wrong_type(operation: str, params: dict[str, Any], message: str) -> None:
    assert serialization_message(operation, params) == message


def test_type_error_beats_constraint_errors() -> None:
    # Even with other members missing or invalid (measured on a Coral front end, Athena).
    params = {"logGroupName": "bad name", "logStreamName": 7}
    assert serialization_message("CreateLogStream", params) == (
        "NUMBER_VALUE can not be converted to a String"
    )
    assert serialization_message("CreateLogStream", {"logStreamName": 7}) == (
        "NUMBER_VALUE can not be converted to a String"
    )


@pytest.mark.parametrize(
    ("operation", "params"),
    [
        ("DescribeLogGroups", {"logGroupIdentifiers": [None]}),
        ("UntagResource", {"resourceArn": "a", "tagKeys": ["k", None]}),
        ("TagResource", {"resourceArn": "a", "tags": {"k": None}}),
        ("PutLogEvents", {"logGroupName": "g", "logStreamName": "s", "logEvents": [None]}),
    ],
)
def test_null_inside_a_collection_is_refused(operation: str, params: dict[str, Any]) -> None:
    # Lists and maps are dense: a null element would reach the handlers as None.
    assert serialization_message(operation, params) is None


@pytest.mark.parametrize(
    ("params", "message"),
    [([], "Start of list found where not expected"), (None, None), ("x", None), (3, None)],
)
def test_top_level_must_be_an_object(params: Any, message: str | None) -> None:
    assert serialization_message("DescribeLogGroups", params) == message


def test_operation_without_input_members() -> None:
    assert messages("DescribeLogGroups", {}) == []


# -- java_repr --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("text", "text"),
        ("", ""),
        (0, "0"),
        (-12, "-12"),
        (True, "true"),
        (False, "false"),
        (None, "null"),
        ([], "[]"),
        (["a", "b"], "[a, b]"),
        ([1, [2, None]], "[1, [2, null]]"),
        ({}, "{}"),
        ({"k": "v"}, "{k=v}"),
        ({"k": ["a", True]}, "{k=[a, true]}"),
        (1.5, "1.5"),
        (100.0, "100.0"),
        (0.001, "0.001"),
        (1e7, "1.0E7"),
        (12345678.9, "1.23456789E7"),
        (1e-4, "1.0E-4"),
        (-2.5e-7, "-2.5E-7"),
        (1e20, "1.0E20"),
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (float("nan"), "NaN"),
        (float("-inf"), "-Infinity"),
    ],
)
def test_java_repr(value: Any, shown: str) -> None:
    assert java_repr(value) == shown


def test_java_hash_matches_string_hashcode() -> None:
    # Values of "".hashCode(), "a".hashCode(), "hello".hashCode() in Java (as unsigned ints).
    assert java_hash("") == 0
    assert java_hash("a") == 97
    assert java_hash("hello") == 99162322
    assert java_hash("polygenelubricants") == 2**32 - 2**31  # Integer.MIN_VALUE
    # Outside the BMP, Java hashes the two UTF-16 code units.
    assert java_hash("😀") == (31 * 0xD83D + 0xDE00)


def test_java_repr_orders_maps_like_a_hashmap() -> None:
    # Captured (EventBridge): keys sent as "Quem foi?", "o que?", "de onde?" were printed as
    # {de onde?=…, Quem foi?=…, o que?=…}.
    value = {"Quem foi?": "1", "o que?": "2", "de onde?": "3"}
    assert java_repr(value) == "{de onde?=3, Quem foi?=1, o que?=2}"


def test_java_repr_hashmap_grows_with_entries() -> None:
    # 13 entries exceed 3/4 of 16 buckets, so the table has 32 and the order changes.
    keys = [f"k{i}" for i in range(13)]
    shown = java_repr(dict.fromkeys(keys, "v"))
    order = [part.split("=")[0] for part in shown[1:-1].split(", ")]
    assert sorted(order) == sorted(keys)

    def bucket(key: str, size: int) -> int:
        h = java_hash(key)
        return (h ^ (h >> 16)) & (size - 1)

    assert [bucket(k, 32) for k in order] == sorted(bucket(k, 32) for k in keys)
