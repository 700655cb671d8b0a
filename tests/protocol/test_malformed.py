"""Malformed requests, sent as raw signed HTTP, each answered with AWS's exact error shape.

Every case checks the status, `__type` in the body and the `x-amzn-ErrorType` header, the
message (or its absence), the request id header and the content type, and then that the server
still answers a good request. Requests are signed with the server's root key by botocore's
SigV4Auth and sent by http.client, so nothing between the test and the server repairs them.

Where AWS's text is known from captures (research-errors.md) the case says so; other texts are
owl's recorded choice in the same Coral conventions (see the report on doubts).
"""

from __future__ import annotations

import base64
import http.client
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from owl.protocol.model import service_model
from owl.services.logs import LOGS
from tests.conftest import OwlServer
from tests.signing import JSON_11, RawResponse, send, signed_request

TARGET = "Logs_20140328"
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
RETENTION = (
    "[1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, "
    "2922, 3288, 3653]"
)
CLASS_ENUM = (
    "Member must satisfy enum value set: [STANDARD, INFREQUENT_ACCESS, DELIVERY, ESSENTIALS]"
)
BAD_TOKEN = "The specified nextToken is invalid."
NAME_TOO_LONG = "Invalid LogGroup or LogStream, both must have length less than or equal to 512."
ARN = "arn:aws:logs:us-east-1:123456789012:log-group:/owl-malformed/none"
MAX_BODY = 8 * 1024 * 1024
ABSENT = None  # the body has no "message" member at all


def value_at(value: str, path: str, rule: str) -> str:
    return f"Value '{value}' at '{path}' failed to satisfy constraint: {rule}"


def null_at(path: str) -> str:
    return f"Value null at '{path}' failed to satisfy constraint: Member must not be null"


def one(message: str) -> str:
    return f"1 validation error detected: {message}"


def several(*messages: str) -> str:
    return f"{len(messages)} validation errors detected: " + "; ".join(messages)


# -- sending -------------------------------------------------------------------------------------


class Raw:
    """Signs and sends raw bodies to one server."""

    def __init__(self, server: OwlServer) -> None:
        self.server = server

    def post(
        self,
        body: bytes,
        target: str | None,
        *,
        headers: dict[str, str] | None = None,
    ) -> RawResponse:
        request = signed_request(
            self.server.endpoint + "/",
            body,
            access_key_id=self.server.access_key_id,
            secret_access_key=self.server.secret_access_key,
            target=target,
            headers=headers,
        )
        return send(self.server.endpoint, dict(request.headers.items()), body)

    def call(self, operation: str, params: Any) -> RawResponse:
        return self.post(json.dumps(params).encode(), f"{TARGET}.{operation}")

    def ok(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        reply = self.call(operation, params)
        assert reply.status == 200, reply.body
        return reply.json() if reply.body else {}


@pytest.fixture(scope="module")
def raw(owl_server: OwlServer) -> Raw:
    return Raw(owl_server)


def assert_error(
    raw: Raw, reply: RawResponse, status: int, code: str, message: str | None
) -> dict[str, Any]:
    """The AWS JSON 1.1 error shape, exactly; then the server must still serve."""
    assert reply.status == status, reply.body
    assert reply.headers["content-type"] == JSON_11
    assert reply.headers.get("x-amzn-requestid"), reply.headers
    assert reply.headers["x-amzn-errortype"] == code
    body = reply.json()
    assert body["__type"] == code
    if message is ABSENT:
        assert set(body) == {"__type"}
    else:
        assert set(body) == {"__type", "message"}
        assert body["message"] == message
    # The server is still healthy and answers a well-formed request.
    assert raw.ok("DescribeLogGroups", {"limit": 1}).keys() >= {"logGroups"}
    return body


# -- the table: (operation, JSON params) → (status, code, message) -------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    operation: str
    params: Any
    code: str
    message: str | None
    status: int = 400


INVALID = "InvalidParameterException"
SERIAL = "SerializationException"

CASES = [
    # -- bad names
    Case(
        "group-name-pattern",  # captured text on Logs
        "CreateLogGroup",
        {"logGroupName": "/owl-malformed/bad name!"},
        INVALID,
        one(
            value_at(
                "/owl-malformed/bad name!",
                "logGroupName",
                f"Member must satisfy regular expression pattern: {GROUP_PATTERN}",
            )
        ),
    ),
    Case(
        "create-group-513",  # AWS's own text (LocalStack snapshot recorded against AWS)
        "CreateLogGroup",
        {"logGroupName": "a" * 513},
        INVALID,
        NAME_TOO_LONG,
    ),
    Case(
        "create-group-513-bad-chars-still-length-text",
        "CreateLogGroup",
        {"logGroupName": "*" * 513},
        INVALID,
        NAME_TOO_LONG,
    ),
    Case(
        "create-stream-513",
        "CreateLogStream",
        {"logGroupName": "/owl-malformed/g", "logStreamName": "s" * 513},
        INVALID,
        NAME_TOO_LONG,
    ),
    Case(
        "delete-group-513-generic-text",
        "DeleteLogGroup",
        {"logGroupName": "a" * 513},
        INVALID,
        one(
            value_at("a" * 513, "logGroupName", "Member must have length less than or equal to 512")
        ),
    ),
    Case(
        "empty-group-name-pattern-then-length",
        "CreateLogGroup",
        {"logGroupName": ""},
        INVALID,
        several(
            value_at(
                "",
                "logGroupName",
                f"Member must satisfy regular expression pattern: {GROUP_PATTERN}",
            ),
            value_at("", "logGroupName", "Member must have length greater than or equal to 1"),
        ),
    ),
    Case(
        "empty-prefix",  # captured text on Logs (fluent-plugin-cloudwatch-logs#223)
        "DescribeLogGroups",
        {"logGroupNamePrefix": ""},
        INVALID,
        several(
            value_at(
                "",
                "logGroupNamePrefix",
                f"Member must satisfy regular expression pattern: {GROUP_PATTERN}",
            ),
            value_at(
                "", "logGroupNamePrefix", "Member must have length greater than or equal to 1"
            ),
        ),
    ),
    Case(
        "prefix-513",
        "DescribeLogGroups",
        {"logGroupNamePrefix": "p" * 513},
        INVALID,
        one(
            value_at(
                "p" * 513, "logGroupNamePrefix", "Member must have length less than or equal to 512"
            )
        ),
    ),
    Case(
        "stream-name-pattern",  # captured text on Logs (cisagov/crossfeed#374)
        "CreateLogStream",
        {"logGroupName": "/owl-malformed/g", "logStreamName": "task:1"},
        INVALID,
        one(
            value_at(
                "task:1",
                "logStreamName",
                f"Member must satisfy regular expression pattern: {STREAM_PATTERN}",
            )
        ),
    ),
    Case(
        "stream-prefix-star",
        "DescribeLogStreams",
        {"logGroupName": "/owl-malformed/g", "logStreamNamePrefix": "a*"},
        INVALID,
        one(
            value_at(
                "a*",
                "logStreamNamePrefix",
                f"Member must satisfy regular expression pattern: {STREAM_PATTERN}",
            )
        ),
    ),
    Case(
        "group-identifier-pattern",
        "DescribeLogStreams",
        {"logGroupIdentifier": "bad id!"},
        INVALID,
        one(
            value_at(
                "bad id!",
                "logGroupIdentifier",
                r"Member must satisfy regular expression pattern: [\w#+=/:,.@-]*",
            )
        ),
    ),
    Case(
        "group-identifier-non-ascii-word",  # Java's \w is ASCII
        "DescribeLogStreams",
        {"logGroupIdentifier": "/owl-malformed/é"},
        INVALID,
        one(
            value_at(
                "/owl-malformed/é",
                "logGroupIdentifier",
                r"Member must satisfy regular expression pattern: [\w#+=/:,.@-]*",
            )
        ),
    ),
    # -- wrong JSON types (SerializationException, before any constraint)
    Case(
        "string-for-int",
        "DescribeLogGroups",
        {"limit": "5"},
        SERIAL,
        "STRING_VALUE can not be converted to an Integer",
    ),
    Case(
        "fraction-for-int",
        "DescribeLogGroups",
        {"limit": 1.5},
        SERIAL,
        "DECIMAL_VALUE can not be converted to an Integer",
    ),
    Case(
        "bool-for-int",
        "DescribeLogStreams",
        {"logGroupName": "g", "limit": True},
        SERIAL,
        "TRUE_VALUE can not be converted to an Integer",
    ),
    Case(
        "int-for-string",
        "CreateLogGroup",
        {"logGroupName": 5},
        SERIAL,
        "NUMBER_VALUE can not be converted to a String",
    ),
    Case(
        "bool-for-string",
        "CreateLogGroup",
        {"logGroupName": True},
        SERIAL,
        "TRUE_VALUE can not be converted to a String",
    ),
    Case(
        "object-for-string",
        "CreateLogGroup",
        {"logGroupName": {"name": "g"}},
        SERIAL,
        "Start of structure or map found where not expected.",
    ),
    Case(
        "string-for-bool",
        "CreateLogGroup",
        {"logGroupName": "/owl-malformed/g", "deletionProtectionEnabled": "yes"},
        SERIAL,
        "STRING_VALUE can not be converted to a Boolean",
    ),
    Case(
        "object-for-list",
        "UntagResource",
        {"resourceArn": ARN, "tagKeys": {"k": "v"}},
        SERIAL,
        "Start of structure or map found where not expected.",
    ),
    Case(
        "string-for-list",
        "UntagResource",
        {"resourceArn": ARN, "tagKeys": "k"},
        SERIAL,
        "Expected list or null",
    ),
    Case(
        "list-for-map",
        "CreateLogGroup",
        {"logGroupName": "/owl-malformed/g", "tags": ["k"]},
        SERIAL,
        "Start of list found where not expected",
    ),
    Case(
        "list-top-level",
        "CreateLogGroup",
        [{"logGroupName": "/owl-malformed/g"}],
        SERIAL,
        "Start of list found where not expected",
    ),
    Case(
        "null-in-identifier-list",
        "DescribeLogGroups",
        {"logGroupIdentifiers": [None]},
        SERIAL,
        ABSENT,
    ),
    Case(
        "null-tag-value", "TagResource", {"resourceArn": ARN, "tags": {"k": None}}, SERIAL, ABSENT
    ),
    Case(
        "null-tag-key-in-list",
        "UntagResource",
        {"resourceArn": ARN, "tagKeys": [None]},
        SERIAL,
        ABSENT,
    ),
    Case(
        "type-error-beats-missing-member",
        "CreateLogStream",
        {"logStreamName": 7},
        SERIAL,
        "NUMBER_VALUE can not be converted to a String",
    ),
    Case(
        "type-error-beats-name-length",
        "CreateLogGroup",
        {"logGroupName": "a" * 513, "tags": "x"},
        SERIAL,
        "Expected map or null",
    ),
    Case(
        "string-timestamp-in-event",
        "PutLogEvents",
        {
            "logGroupName": "g",
            "logStreamName": "s",
            "logEvents": [{"timestamp": "1", "message": "m"}],
        },
        SERIAL,
        "STRING_VALUE can not be converted to a Long",
    ),
    Case(
        "object-message-in-event",
        "PutLogEvents",  # code seen on Logs (fluent-bit#8449)
        {
            "logGroupName": "g",
            "logStreamName": "s",
            "logEvents": [{"timestamp": 1, "message": {"a": 1}}],
        },
        SERIAL,
        "Start of structure or map found where not expected.",
    ),
    Case(
        "timestamp-beyond-64-bits",
        "PutLogEvents",
        {
            "logGroupName": "g",
            "logStreamName": "s",
            "logEvents": [{"timestamp": 2**64 - 1, "message": "m"}],
        },
        SERIAL,
        "NUMBER_VALUE can not be converted to a Long",
    ),
    # -- missing required members
    Case(
        "missing-group-name",
        "CreateLogGroup",
        {},
        INVALID,  # captured text on Logs
        one(null_at("logGroupName")),
    ),
    Case(
        "null-group-name",
        "CreateLogGroup",
        {"logGroupName": None},
        INVALID,
        one(null_at("logGroupName")),
    ),
    Case(
        "missing-two",
        "CreateLogStream",
        {},
        INVALID,
        several(null_at("logGroupName"), null_at("logStreamName")),
    ),
    Case(
        "missing-retention",
        "PutRetentionPolicy",
        {"logGroupName": "/owl-malformed/g"},
        INVALID,
        one(null_at("retentionInDays")),
    ),
    Case(
        "missing-event-timestamp",
        "PutLogEvents",  # captured text on Logs
        {"logGroupName": "g", "logStreamName": "s", "logEvents": [{"message": "m"}]},
        INVALID,
        one(null_at("logEvents.1.member.timestamp")),
    ),
    Case(
        "empty-event-list",
        "PutLogEvents",  # captured text on Logs (winston-cloudwatch#136)
        {"logGroupName": "g", "logStreamName": "s", "logEvents": []},
        INVALID,
        one(value_at("[]", "logEvents", "Member must have length greater than or equal to 1")),
    ),
    Case(
        "missing-tags-and-arn",
        "TagResource",
        {},
        INVALID,
        several(null_at("resourceArn"), null_at("tags")),
    ),
    # -- several errors at once
    Case(
        "three-errors",
        "DescribeLogStreams",
        {"logGroupName": "bad name", "limit": 0, "orderBy": "Size"},
        INVALID,
        several(
            value_at(
                "bad name",
                "logGroupName",
                f"Member must satisfy regular expression pattern: {GROUP_PATTERN}",
            ),
            value_at(
                "Size",
                "orderBy",
                "Member must satisfy enum value set: [LogStreamName, LastEventTime]",
            ),
            value_at("0", "limit", "Member must have value greater than or equal to 1"),
        ),
    ),
    Case(
        "missing-and-invalid",
        "CreateLogStream",
        {"logGroupName": "a b"},
        INVALID,
        several(
            null_at("logStreamName"),
            value_at(
                "a b",
                "logGroupName",
                f"Member must satisfy regular expression pattern: {GROUP_PATTERN}",
            ),
        ),
    ),
    # -- values out of range
    Case(
        "limit-0",
        "DescribeLogGroups",
        {"limit": 0},
        INVALID,
        one(value_at("0", "limit", "Member must have value greater than or equal to 1")),
    ),
    Case(
        "limit-51",
        "DescribeLogGroups",
        {"limit": 51},
        INVALID,
        one(value_at("51", "limit", "Member must have value less than or equal to 50")),
    ),
    Case(
        "stream-limit-51",
        "DescribeLogStreams",
        {"logGroupName": "g", "limit": 51},
        INVALID,
        one(value_at("51", "limit", "Member must have value less than or equal to 50")),
    ),
    Case(
        "retention-2",
        "PutRetentionPolicy",
        {"logGroupName": "/owl-malformed/none", "retentionInDays": 2},
        INVALID,
        one(value_at("2", "retentionInDays", f"Member must satisfy enum value set: {RETENTION}")),
    ),
    Case(
        "tag-key-bad-chars",
        "CreateLogGroup",
        {"logGroupName": "/owl-malformed/g", "tags": {"bad*key": "v"}},
        INVALID,
        one(value_at("{bad*key=v}", "tags", f"Map keys must satisfy constraint: {TAG_KEY_RULES}")),
    ),
    Case(
        "tag-value-bad-chars",
        "TagResource",
        {"resourceArn": ARN, "tags": {"k": "v*"}},
        INVALID,
        one(value_at("{k=v*}", "tags", f"Map value must satisfy constraint: {TAG_VALUE_RULES}")),
    ),
    Case(
        "empty-tag-key-in-list",
        "UntagResource",
        {"resourceArn": ARN, "tagKeys": ["ok", ""]},
        INVALID,
        one(value_at("[ok, ]", "tagKeys", f"Member must satisfy constraint: {TAG_KEY_RULES}")),
    ),
    Case(
        "no-tags",
        "TagResource",
        {"resourceArn": ARN, "tags": {}},
        INVALID,
        one(value_at("{}", "tags", "Member must have length greater than or equal to 1")),
    ),
    Case(
        "negative-timestamp",
        "PutLogEvents",
        {
            "logGroupName": "g",
            "logStreamName": "s",
            "logEvents": [{"timestamp": -1, "message": "m"}],
        },
        INVALID,
        one(
            value_at(
                "-1",
                "logEvents.1.member.timestamp",
                "Member must have value greater than or equal to 0",
            )
        ),
    ),
    # -- enums
    Case(
        "order-by",
        "DescribeLogStreams",
        {"logGroupName": "g", "orderBy": "Size"},
        INVALID,
        one(
            value_at(
                "Size",
                "orderBy",
                "Member must satisfy enum value set: [LogStreamName, LastEventTime]",
            )
        ),
    ),
    Case(
        "group-class",
        "CreateLogGroup",
        {"logGroupName": "/owl-malformed/g", "logGroupClass": "GLACIER"},
        INVALID,
        one(
            value_at(
                "GLACIER",
                "logGroupClass",
                CLASS_ENUM,
            )
        ),
    ),
    Case(
        "group-class-case",
        "DescribeLogGroups",
        {"logGroupClass": "standard"},
        INVALID,
        one(
            value_at(
                "standard",
                "logGroupClass",
                CLASS_ENUM,
            )
        ),
    ),
    # -- tokens that are not tokens
    Case(
        "token-empty",
        "DescribeLogGroups",
        {"nextToken": ""},
        INVALID,
        one(value_at("", "nextToken", "Member must have length greater than or equal to 1")),
    ),
    Case(
        "token-number",
        "DescribeLogGroups",
        {"nextToken": 5},
        SERIAL,
        "NUMBER_VALUE can not be converted to a String",
    ),
    Case(
        "token-garbage-groups",
        "DescribeLogGroups",
        {"nextToken": "not-a-token"},
        INVALID,
        BAD_TOKEN,
    ),
    Case(
        "token-forged-groups",
        "DescribeLogGroups",
        {"nextToken": base64.urlsafe_b64encode(b"\0" * 16 + b'"/a"').decode().rstrip("=")},
        INVALID,
        BAD_TOKEN,
    ),
    Case("token-unicode", "DescribeLogGroups", {"nextToken": "é😀"}, INVALID, BAD_TOKEN),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_malformed_json_request(raw: Raw, case: Case) -> None:
    assert_error(raw, raw.call(case.operation, case.params), case.status, case.code, case.message)


def test_no_group_was_created_by_the_cases(raw: Raw) -> None:
    groups = raw.ok("DescribeLogGroups", {"logGroupNamePrefix": "/owl-malformed/"})["logGroups"]
    assert groups == []


def test_more_than_50_tags(raw: Raw) -> None:
    for operation, params in (
        ("CreateLogGroup", {"logGroupName": "/owl-malformed/tags"}),
        ("TagResource", {"resourceArn": ARN}),
    ):
        tags = {f"key{i}": "v" for i in range(51)}
        reply = raw.call(operation, {**params, "tags": tags})
        message = reply.json().get("message", "")
        assert_error(raw, reply, 400, INVALID, message)
        head = "1 validation error detected: Value '{"
        tail = (
            "}' at 'tags' failed to satisfy constraint: "
            "Member must have length less than or equal to 50"
        )
        assert message.startswith(head) and message.endswith(tail)
        # Every tag is printed once (in Java HashMap order, not as sent).
        shown = message[len(head) : -len(tail)].split(", ")
        assert sorted(shown) == sorted(f"{k}=v" for k in tags)
        assert shown != [f"{k}=v" for k in tags]


# -- framing: target, body, size ---------------------------------------------------------------


def unimplemented_operation() -> str:
    """An operation of the model that owl does not serve (StartQuery while it has no handler)."""
    missing = sorted(set(service_model("logs").operation_names) - LOGS.implemented())
    assert missing, "every logs operation is implemented"
    return "StartQuery" if "StartQuery" in missing else missing[0]


@pytest.mark.parametrize(
    "target",
    [
        f"{TARGET}.NoSuchOperation",
        f"{TARGET}.createLogGroup",  # names are case-sensitive
        f"{TARGET}.",
        TARGET,
        "Logs_20990101.CreateLogGroup",
        "AmazonSSM.GetParameter",  # a service owl does not serve (yet)
        "CreateLogGroup",
        None,  # no X-Amz-Target at all
    ],
)
def test_unknown_operation(raw: Raw, target: str | None) -> None:
    # Captured on Logs: 400 and the bare code (aws-sdk-net#1536).
    reply = raw.post(b'{"logGroupName": "/owl-malformed/g"}', target)
    assert_error(raw, reply, 400, "UnknownOperationException", ABSENT)


def test_operation_owl_does_not_implement(raw: Raw) -> None:
    operation = unimplemented_operation()
    reply = raw.call(operation, {})
    assert_error(
        raw,
        reply,
        501,
        "NotImplementedException",
        f"The operation {operation} of logs is not implemented by owl yet.",
    )


@pytest.mark.parametrize(
    "body",
    [
        b'{"logGroupName": ',
        b'{"logGroupName": "/owl-malformed/g",}',
        b"{'logGroupName': '/owl-malformed/g'}",
        b'{"logGroupName": "/owl-malformed/g"} {}',
        b'{"logGroupName": "\xff\xfe"}',  # not UTF-8
        b'{"logGroupName": NaN}',
        b"null",
        b'"/owl-malformed/g"',
        b"17",
        b"\x00",
    ],
    ids=[
        "truncated",
        "trailing-comma",
        "single-quotes",
        "two-documents",
        "not-utf8",
        "nan",
        "null",
        "string",
        "number",
        "nul-byte",
    ],
)
def test_body_that_is_not_a_json_object(raw: Raw, body: bytes) -> None:
    # AWS answers a body it cannot read with the bare code (research-errors.md §3).
    reply = raw.post(body, f"{TARGET}.CreateLogGroup")
    assert_error(raw, reply, 400, SERIAL, ABSENT)


def test_empty_body_counts_as_an_empty_object(raw: Raw) -> None:
    reply = raw.post(b"", f"{TARGET}.CreateLogGroup")
    assert_error(raw, reply, 400, INVALID, one(null_at("logGroupName")))
    # And an operation without required members just works.
    assert raw.post(b"", f"{TARGET}.DescribeLogGroups").status == 200


def test_body_over_the_limit_is_refused_by_its_length(raw: Raw, owl_server: OwlServer) -> None:
    # The declared Content-Length is enough: the server answers before the body arrives.
    body = b'{"logGroupName": "' + b"a" * (MAX_BODY - 19) + b'"}'
    assert len(body) == MAX_BODY + 1
    request = signed_request(
        owl_server.endpoint + "/",
        body,
        access_key_id=owl_server.access_key_id,
        secret_access_key=owl_server.secret_access_key,
        target=f"{TARGET}.CreateLogGroup",
    )
    conn = http.client.HTTPConnection("127.0.0.1", owl_server.port, timeout=30)
    try:
        conn.putrequest("POST", "/")
        for name, value in request.headers.items():
            conn.putheader(name, value)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders()
        conn.send(body[:65536])
        resp = conn.getresponse()
        reply = RawResponse(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
    finally:
        conn.close()
    assert_error(
        raw,
        reply,
        413,
        SERIAL,
        f"Request body exceeds the maximum allowed size of {MAX_BODY} bytes.",
    )


def test_chunked_body_over_the_limit_is_refused(raw: Raw, owl_server: OwlServer) -> None:
    # No Content-Length: the server counts while it reads, and stops at the limit.
    request = signed_request(
        owl_server.endpoint + "/",
        b"",
        access_key_id=owl_server.access_key_id,
        secret_access_key=owl_server.secret_access_key,
        target=f"{TARGET}.CreateLogGroup",
    )
    conn = http.client.HTTPConnection("127.0.0.1", owl_server.port, timeout=30)
    chunk = b"a" * (1024 * 1024)
    try:
        conn.putrequest("POST", "/")
        for name, value in request.headers.items():
            if name.lower() != "content-length":
                conn.putheader(name, value)
        conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        try:
            for _ in range(9):
                conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            conn.send(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before the rest is sent
        resp = conn.getresponse()
        reply = RawResponse(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
    finally:
        conn.close()
    assert_error(
        raw,
        reply,
        413,
        SERIAL,
        f"Request body exceeds the maximum allowed size of {MAX_BODY} bytes.",
    )


def test_body_at_the_limit_is_read(raw: Raw) -> None:
    # Exactly the limit is accepted as a body (and then refused by validation, not by size).
    body = b'{"logGroupName": "' + b"a" * (MAX_BODY - 20) + b'"}'
    assert len(body) == MAX_BODY
    reply = raw.post(body, f"{TARGET}.CreateLogGroup")
    assert_error(raw, reply, 400, INVALID, NAME_TOO_LONG)


# -- pagination tokens -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Listing:
    prefix: str  # three groups share it
    other_prefix: str  # two more groups share this one
    group: str  # the first group, with three streams
    second_group: str  # with three streams too
    groups_token: str  # DescribeLogGroups(prefix, limit=1)
    streams_token: str  # DescribeLogStreams(group, limit=1)


@pytest.fixture(scope="module")
def listing(raw: Raw) -> Iterator[Listing]:
    base = f"/owl-malformed-tokens/{time.monotonic_ns()}"
    prefix, other = f"{base}/a/", f"{base}/b/"
    groups = [f"{prefix}{i}" for i in range(3)] + [f"{other}{i}" for i in range(2)]
    for name in groups:
        raw.ok("CreateLogGroup", {"logGroupName": name})
    for name in groups[:2]:
        for s in ("s0", "s1", "s2"):
            raw.ok("CreateLogStream", {"logGroupName": name, "logStreamName": s})
    groups_token = raw.ok("DescribeLogGroups", {"logGroupNamePrefix": prefix, "limit": 1})[
        "nextToken"
    ]
    streams_token = raw.ok("DescribeLogStreams", {"logGroupName": groups[0], "limit": 1})[
        "nextToken"
    ]
    yield Listing(prefix, other, groups[0], groups[1], groups_token, streams_token)
    for name in groups:
        raw.ok("DeleteLogGroup", {"logGroupName": name})


def test_tokens_work_where_they_belong(raw: Raw, listing: Listing) -> None:
    page = raw.ok(
        "DescribeLogGroups",
        {"logGroupNamePrefix": listing.prefix, "limit": 1, "nextToken": listing.groups_token},
    )
    assert [g["logGroupName"] for g in page["logGroups"]] == [f"{listing.prefix}1"]
    page = raw.ok(
        "DescribeLogStreams",
        {"logGroupName": listing.group, "limit": 1, "nextToken": listing.streams_token},
    )
    assert [s["logStreamName"] for s in page["logStreams"]] == ["s1"]


def flip(token: str, i: int) -> str:
    c = token[i]
    return token[:i] + ("A" if c != "A" else "B") + token[i + 1 :]


def bad_token_cases(t: Listing) -> list[tuple[str, str, dict[str, Any]]]:
    groups = {"logGroupNamePrefix": t.prefix, "limit": 1}
    streams = {"logGroupName": t.group, "limit": 1}
    g, s = t.groups_token, t.streams_token
    return [
        ("groups-flipped-first", "DescribeLogGroups", {**groups, "nextToken": flip(g, 0)}),
        (
            "groups-flipped-middle",
            "DescribeLogGroups",
            {**groups, "nextToken": flip(g, len(g) // 2)},
        ),
        ("groups-flipped-last", "DescribeLogGroups", {**groups, "nextToken": flip(g, len(g) - 1)}),
        ("groups-truncated", "DescribeLogGroups", {**groups, "nextToken": g[:-2]}),
        ("groups-appended-padding", "DescribeLogGroups", {**groups, "nextToken": g + "="}),
        ("groups-appended-junk", "DescribeLogGroups", {**groups, "nextToken": g + "!"}),
        ("groups-with-space", "DescribeLogGroups", {**groups, "nextToken": " " + g}),
        (
            "groups-other-prefix",
            "DescribeLogGroups",
            {"logGroupNamePrefix": t.other_prefix, "limit": 1, "nextToken": g},
        ),
        ("groups-no-prefix", "DescribeLogGroups", {"limit": 1, "nextToken": g}),
        (
            "groups-pattern-instead",
            "DescribeLogGroups",
            {"logGroupNamePattern": "owl", "limit": 1, "nextToken": g},
        ),
        ("groups-token-on-streams", "DescribeLogStreams", {**streams, "nextToken": g}),
        ("groups-token-on-list", "ListLogGroups", {"limit": 1, "nextToken": g}),
        ("streams-token-on-groups", "DescribeLogGroups", {**groups, "nextToken": s}),
        ("streams-flipped", "DescribeLogStreams", {**streams, "nextToken": flip(s, len(s) // 3)}),
        (
            "streams-other-group",
            "DescribeLogStreams",
            {"logGroupName": t.second_group, "limit": 1, "nextToken": s},
        ),
        (
            "streams-descending",
            "DescribeLogStreams",
            {**streams, "descending": True, "nextToken": s},
        ),
        (
            "streams-other-order",
            "DescribeLogStreams",
            {**streams, "orderBy": "LastEventTime", "nextToken": s},
        ),
        (
            "streams-with-prefix",
            "DescribeLogStreams",
            {**streams, "logStreamNamePrefix": "s", "nextToken": s},
        ),
        ("streams-garbage", "DescribeLogStreams", {**streams, "nextToken": "garbage"}),
    ]


BAD_TOKEN_IDS = [
    "groups-flipped-first",
    "groups-flipped-middle",
    "groups-flipped-last",
    "groups-truncated",
    "groups-appended-padding",
    "groups-appended-junk",
    "groups-with-space",
    "groups-other-prefix",
    "groups-no-prefix",
    "groups-pattern-instead",
    "groups-token-on-streams",
    "groups-token-on-list",
    "streams-token-on-groups",
    "streams-flipped",
    "streams-other-group",
    "streams-descending",
    "streams-other-order",
    "streams-with-prefix",
    "streams-garbage",
]


@pytest.mark.parametrize("case_id", BAD_TOKEN_IDS)
def test_foreign_or_forged_token(raw: Raw, listing: Listing, case_id: str) -> None:
    cases = {cid: (op, params) for cid, op, params in bad_token_cases(listing)}
    assert list(cases) == BAD_TOKEN_IDS
    operation, params = cases[case_id]
    assert_error(raw, raw.call(operation, params), 400, INVALID, BAD_TOKEN)
