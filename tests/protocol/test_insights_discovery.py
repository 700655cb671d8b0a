"""Logs Insights through boto3, spec §5: the fields a query finds in events without `parse`.

Three groups: a generic one (JSON documents, Lambda platform lines outside a Lambda group, VPC
flow records, Route 53 query logs, a CloudTrail record), a `/aws/lambda/...` group (platform
lines and function output with embedded JSON) and nothing else; GetLogRecord is checked
against the same rules where it shows the fields of one event.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

import pytest

from tests.conftest import OwlServer
from tests.protocol.support import account_of
from tests.protocol.test_insights_support import T0, Event, load, rows, run, timestamp

NESTED = {
    "user": {"id": "u1", "geo": {"city": "Oslo"}},
    "items": [{"sku": "A", "qty": 2}, {"sku": "B"}],
    "tags": ["x", "y"],
    "@example.com": "at",
    "cluster.name": "blue",
    "inner": json.dumps({"x": 1}),
    "num": 12.5,
    "str": "12.5",
    "yes": True,
    "nul": None,
}
DOTTED_FIRST = {"a.b": "dotted", "a": {"b": "nested"}}
NESTED_FIRST = {"a": {"b": "nested"}, "a.b": "dotted"}
WIDE = {f"k{i:03d}": i for i in range(201)}
CLOUDTRAIL = {
    "eventVersion": "1.08",
    "userIdentity": {"type": "IAMUser", "userName": "alice"},
    "eventSource": "s3.amazonaws.com",
    "eventName": "GetObject",
    "requestParameters": {"bucketName": "logs-bucket"},
}
REPORT = (
    "REPORT RequestId: r1\tDuration: 102.25 ms\tBilled Duration: 103 ms\tMemory Size: 128 MB\t"
    "Max Memory Used: 70 MB\tInit Duration: 180.12 ms\tXRAY TraceId: 1-5e1b4151-5ac6c58f\t"
    "SegmentId: 6f1c4a1c2d3e\tSampled: true\t"
)
VPC_OK = (
    "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 "
    "1418530010 1418530070 ACCEPT OK"
)
VPC_NODATA = "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA"
VPC_LIKE = "2 123456789010 eni-1 a b c d e f g h i ACCEPT MAYBE"  # 14 tokens, bad status
ROUTE53 = (
    "1.0 2017-12-13T08:16:02.130Z Z123412341234 example.com A NOERROR UDP FRA6 "
    "2001:db8::1234 2001:db8:abcd::/48"
)

GENERIC = [
    Event("json", T0 + 1_000, json.dumps(NESTED)),
    Event("json", T0 + 2_000, json.dumps(DOTTED_FIRST)),
    Event("json", T0 + 3_000, json.dumps(NESTED_FIRST)),
    Event("json", T0 + 4_000, json.dumps(WIDE)),
    Event("json", T0 + 5_000, 'prefix {"p": 1}'),
    Event("json", T0 + 6_000, json.dumps(CLOUDTRAIL)),
    Event("platform", T0 + 7_000, "START RequestId: r1 Version: $LATEST"),
    Event("platform", T0 + 8_000, REPORT),
    Event("vpc", T0 + 9_000, VPC_OK),
    Event("vpc", T0 + 10_000, VPC_NODATA),
    Event("vpc", T0 + 11_000, VPC_LIKE),
    Event("r53", T0 + 12_000, ROUTE53),
    Event("json", T0 + 13_000, '{"price": 12.50, "big": 1E3, "s": "12.50", "xs": [0.10, 2]}'),
    Event("json", T0 + 14_000, r'{"d\u0073t": "esc", "o": {"n\u0061me": "n"}}'),
]
LAMBDA = [
    Event("2024/01/01/[$LATEST]abc", T0 + 1_000, "START RequestId: r1 Version: $LATEST"),
    Event("2024/01/01/[$LATEST]abc", T0 + 2_000, "2024-01-01T00:00:00.000Z\tr1\tINFO\thello"),
    Event(
        "2024/01/01/[$LATEST]abc",
        T0 + 3_000,
        '2024-01-01T00:00:00.000Z\tr1\tINFO\t{"order": {"id": 7}, "ok": true}',
    ),
    Event(
        "2024/01/01/[$LATEST]abc",
        T0 + 4_000,
        '2024-01-01T00:00:00.000Z\tr1\tINFO\t{"first": 1} then {"second": 2}',
    ),
    Event("2024/01/01/[$LATEST]abc", T0 + 5_000, "END RequestId: r1"),
    Event("2024/01/01/[$LATEST]abc", T0 + 6_000, REPORT),
]


@pytest.fixture(scope="module")
def loaded(owl_server: OwlServer) -> dict[str, Any]:
    logs = owl_server.client("logs")
    before = int(time.time() * 1000)
    generic = load(logs, f"/owl-test/insights-discovery/{uuid.uuid4()}", GENERIC)
    lam = load(logs, f"/aws/lambda/owl-test-{uuid.uuid4()}", LAMBDA)
    return {"generic": generic, "lambda": lam, "before": before, "after": time.time() * 1000}


@pytest.fixture
def generic(loaded: dict[str, Any]) -> str:
    return str(loaded["generic"])


@pytest.fixture
def lam(loaded: dict[str, Any]) -> str:
    return str(loaded["lambda"])


def at(logs: Any, group: str, offset_ms: int, fields: str) -> list[dict[str, str]]:
    """The fields of the one event at T0 + offset_ms."""
    return rows(logs, group, f"filter toMillis(@timestamp) = {T0 + offset_ms} | fields {fields}")


def record_of(logs: Any, group: str, offset_ms: int) -> dict[str, str]:
    _, response = run(logs, group, f"filter toMillis(@timestamp) = {T0 + offset_ms}")
    (row,) = response["results"]
    ptr = {f["field"]: f["value"] for f in row}["@ptr"]
    return dict(logs.get_log_record(logRecordPointer=ptr)["logRecord"])


# -- §5.1 system fields ----------------------------------------------------------------------


def test_5_1_1_5_1_2_5_1_3_5_1_4_5_1_5_system_fields(
    logs: Any, loaded: dict[str, Any], owl_server: OwlServer
) -> None:
    group = loaded["generic"]
    (row,) = at(logs, group, 12_000, "@message, @timestamp, @ingestionTime, @logStream, @log")
    ingestion = row.pop("@ingestionTime")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}", ingestion)
    assert timestamp(loaded["before"]) <= ingestion <= timestamp(int(loaded["after"]))
    assert row == {
        "@message": ROUTE53,
        "@timestamp": timestamp(T0 + 12_000),
        "@logStream": "r53",
        "@log": f"{account_of(owl_server)}:{group}",
    }


def test_5_1_6_ptr_on_every_event_row(logs: Any, generic: str) -> None:
    _, response = run(logs, generic, "fields @timestamp")
    assert len(response["results"]) == len(GENERIC)
    assert all(row[-1]["field"] == "@ptr" and row[-1]["value"] for row in response["results"])
    assert len({row[-1]["value"] for row in response["results"]}) == len(GENERIC)


def test_5_1_7_optional_system_fields_are_simply_missing(logs: Any, generic: str) -> None:
    query = "@entity.KeyAttributes.Type as e, @aws.tag.team as t, @data_source_name as d"
    assert at(logs, generic, 1_000, query + ", @logStream") == [{"@logStream": "json"}]


# -- §5.2 JSON -------------------------------------------------------------------------------


def test_5_2_1_nested_objects_and_array_indexes(logs: Any, generic: str) -> None:
    found = at(
        logs,
        generic,
        1_000,
        "user.id, user.geo.city, items.0.sku, items.0.qty, items.1.sku, tags.1, tags.2",
    )
    assert found == [
        {
            "user.id": "u1",
            "user.geo.city": "Oslo",
            "items.0.sku": "A",
            "items.0.qty": "2",
            "items.1.sku": "B",
            "tags.1": "y",
        }
    ]


def test_5_2_1_keys_written_with_escapes(logs: Any, generic: str) -> None:
    # A key's text need not appear in the message: `\u0073` is `s`.
    assert at(logs, generic, 14_000, "dst, o.name") == [{"dst": "esc", "o.name": "n"}]
    assert rows(logs, generic, "filter ispresent(dst) | stats count(*) as n by dst") == [
        {"dst": "esc", "n": "1"}
    ]


def test_5_2_2_14_12_json_after_a_prefix_is_not_discovered_outside_lambda(
    logs: Any, generic: str
) -> None:
    assert at(logs, generic, 5_000, "p, @message") == [{"@message": 'prefix {"p": 1}'}]


def test_5_2_2_lambda_function_output_json_is_discovered(logs: Any, lam: str) -> None:
    assert at(logs, lam, 3_000, "order.id, ok, @type") == [{"order.id": "7", "ok": "true"}]


def test_5_2_2_lambda_first_of_several_json_fragments(logs: Any, lam: str) -> None:
    assert at(logs, lam, 4_000, "first, second") == [{"first": "1"}]
    record = record_of(logs, lam, 4_000)
    assert record["first"] == "1" and "second" not in record


def test_5_2_3_keys_starting_with_at_get_another_at(logs: Any, generic: str) -> None:
    assert at(logs, generic, 1_000, "`@@example.com`, @`@example.com` as again") == [
        {"@@example.com": "at", "again": "at"}
    ]
    assert record_of(logs, generic, 1_000)["@@example.com"] == "at"


def test_5_2_4_dotted_keys_by_their_literal_name(logs: Any, generic: str) -> None:
    assert at(logs, generic, 1_000, "cluster.name, `cluster.name` as quoted") == [
        {"cluster.name": "blue", "quoted": "blue"}
    ]
    assert at(logs, generic, 3_000, "a.b") == [{"a.b": "nested"}]
    assert record_of(logs, generic, 2_000)["a.b"] == "dotted"
    assert record_of(logs, generic, 3_000)["a.b"] == "nested"


def test_5_2_4_dotted_key_first_in_document_wins_in_queries(logs: Any, generic: str) -> None:
    assert at(logs, generic, 2_000, "a.b") == [{"a.b": "dotted"}]


def test_5_2_5_json_inside_a_string_stays_a_string(logs: Any, generic: str) -> None:
    query = "inner, inner.x, jsonParse(inner) as j | fields j.x as parsed | display inner, parsed"
    assert at(logs, generic, 1_000, query) == [{"inner": '{"x": 1}', "parsed": "1"}]


def test_5_2_6_get_log_record_shows_the_first_200_fields(logs: Any, generic: str) -> None:
    record = record_of(logs, generic, 4_000)
    assert sorted(k for k in record if not k.startswith("@")) == [f"k{i:03d}" for i in range(200)]


def test_5_2_6_queries_see_only_the_first_200_fields(logs: Any, generic: str) -> None:
    assert at(logs, generic, 4_000, "k000, k199, k200") == [{"k000": "0", "k199": "199"}]


def test_5_2_7_json_types_are_kept(logs: Any, generic: str) -> None:
    assert at(logs, generic, 1_000, "num, str, yes, nul, num * 2 as n2") == [
        {"num": "12.5", "str": "12.5", "yes": "true", "n2": "25.0"}
    ]
    assert at(logs, generic, 1_000, "num > 9 as big, yes = 'x' as eq") == [{"big": "1", "eq": "0"}]


def test_4_5_json_numbers_keep_the_text_of_the_document(logs: Any, generic: str) -> None:
    """DuckDB's JSON reader re-renders doubles (12.50 as 12.5); results, and GetLogRecord,
    show what the message says, while the value still acts as a number (an array is no
    value: `xs` is missing)."""
    fields = "price, big, s, xs, xs.0, xs.1, price * 2 as twice, big > 999 as large"
    assert at(logs, generic, 13_000, fields) == [
        {"price": "12.50", "big": "1E3", "s": "12.50", "xs.0": "0.10", "xs.1": "2"}
        | {"twice": "25.0", "large": "1"}
    ]
    record = record_of(logs, generic, 13_000)
    assert {k: record[k] for k in ("price", "big", "s", "xs.0", "xs.1")} == {
        "price": "12.50",
        "big": "1E3",
        "s": "12.50",
        "xs.0": "0.10",
        "xs.1": "2",
    }


# -- §5.3 Lambda -----------------------------------------------------------------------------

LAMBDA_FIELDS = (
    "@type, @requestId, @duration, @billedDuration, @memorySize, @maxMemoryUsed, "
    "@initDuration, @xrayTraceId, @xraySegmentId"
)
REPORT_FIELDS = {
    "@type": "REPORT",
    "@requestId": "r1",
    "@duration": "102.25",
    "@billedDuration": "103.0",
    "@memorySize": "1.28E8",
    "@maxMemoryUsed": "7.0E7",
    "@initDuration": "180.12",
    "@xrayTraceId": "1-5e1b4151-5ac6c58f",
    "@xraySegmentId": "6f1c4a1c2d3e",
}


def test_5_3_2_start_end_report_type_and_request_id(logs: Any, lam: str) -> None:
    found = rows(logs, lam, f"fields {LAMBDA_FIELDS} | sort @timestamp asc")
    assert found == [
        {"@type": "START", "@requestId": "r1"},
        {},
        {},
        {},
        {"@type": "END", "@requestId": "r1"},
        REPORT_FIELDS,
    ]


def test_5_3_3_14_10_report_numbers_and_memory_in_bytes(logs: Any, lam: str) -> None:
    assert at(logs, lam, 6_000, LAMBDA_FIELDS) == [REPORT_FIELDS]
    query = (
        "filter @type = 'REPORT' | stats max(@memorySize / 1000 / 1000) as provisonedMemoryMB, "
        "min(@maxMemoryUsed / 1000 / 1000) as smallestMemoryRequestMB, "
        "avg(@maxMemoryUsed / 1000 / 1000) as avgMemoryUsedMB, "
        "max(@maxMemoryUsed / 1000 / 1000) as maxMemoryUsedMB, "
        "provisonedMemoryMB - maxMemoryUsedMB as overProvisionedMB"
    )
    assert rows(logs, lam, query) == [
        {
            "provisonedMemoryMB": "128.0",
            "smallestMemoryRequestMB": "70.0",
            "avgMemoryUsedMB": "70.0",
            "maxMemoryUsedMB": "70.0",
            "overProvisionedMB": "58.0",
        }
    ]
    record = record_of(logs, lam, 6_000)
    assert {k: record[k] for k in REPORT_FIELDS} == REPORT_FIELDS


def test_5_3_1_14_11_platform_lines_are_recognised_in_any_group(logs: Any, generic: str) -> None:
    assert at(logs, generic, 7_000, "@type, @requestId") == [{"@type": "START", "@requestId": "r1"}]
    assert at(logs, generic, 8_000, LAMBDA_FIELDS) == [REPORT_FIELDS]


def test_5_3_4_function_output_has_no_type(logs: Any, lam: str) -> None:
    assert at(logs, lam, 2_000, "@type, @requestId, @message") == [
        {"@message": "2024-01-01T00:00:00.000Z\tr1\tINFO\thello"}
    ]


# -- §5.4 VPC flow logs, §5.5 Route 53 and CloudTrail ----------------------------------------

VPC_NAMES = (
    "version, accountId, interfaceId, srcAddr, dstAddr, srcPort, dstPort, protocol, packets, "
    "bytes, startTime, endTime, action, logStatus"
)


def test_5_4_1_flow_record_columns(logs: Any, generic: str) -> None:
    values = VPC_OK.split(" ")
    names = VPC_NAMES.split(", ")
    assert at(logs, generic, 9_000, VPC_NAMES) == [dict(zip(names, values, strict=True))]


def test_5_4_2_dash_is_missing_and_numbers_are_numbers(logs: Any, generic: str) -> None:
    assert at(logs, generic, 10_000, VPC_NAMES) == [
        {
            "version": "2",
            "accountId": "123456789010",
            "interfaceId": "eni-1235b8ca123456789",
            "startTime": "1431280876",
            "endTime": "1431280934",
            "logStatus": "NODATA",
        }
    ]
    query = "filter ispresent(logStatus) | stats sum(bytes) as b, sum(packets) as p, count(*) as n"
    assert rows(logs, generic, query) == [{"b": "4249.0", "p": "20.0", "n": "2"}]
    assert rows(logs, generic, "filter dstPort = 22 and srcPort > 9999 | fields action") == [
        {"action": "ACCEPT"}
    ]


def test_5_4_3_14_11_only_v2_shaped_records_are_flow_records(logs: Any, generic: str) -> None:
    assert at(logs, generic, 11_000, "version, action, srcAddr") == [{}]
    assert rows(logs, generic, "filter ispresent(action) | fields @logStream") == [
        {"@logStream": "vpc"}
    ]


def test_5_5_1_route53_query_log_columns(logs: Any, generic: str) -> None:
    names = (
        "version queryTimestamp hostZoneId queryName queryType responseCode protocol "
        "edgeLocation resolverIp ednsClientSubnet"
    ).split()
    found = at(logs, generic, 12_000, ", ".join(names))
    assert found == [dict(zip(names, ROUTE53.split(" "), strict=True))]


def test_5_5_2_cloudtrail_uses_generic_json_discovery(logs: Any, generic: str) -> None:
    query = (
        "filter eventSource = 's3.amazonaws.com' "
        "| fields eventName, userIdentity.userName, requestParameters.bucketName"
    )
    assert rows(logs, generic, query) == [
        {
            "eventName": "GetObject",
            "userIdentity.userName": "alice",
            "requestParameters.bucketName": "logs-bucket",
        }
    ]
