"""The query protocol against botocore's own serializer and parser, over CloudWatch's shapes.

The oracle for decoding is botocore's JSON serializer: whatever an SDK sends as a form must
decode into exactly the params the same call sends as JSON. The oracle for encoding is
botocore's JSON parser: our XML, read by botocore's QueryParser, must give what the same
output sent as JSON gives.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any
from urllib.parse import urlencode

import botocore.session
import orjson
import pytest
from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape
from botocore.parsers import JSONParser, QueryParser
from botocore.serialize import JSONSerializer, QuerySerializer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from owl.protocol import query
from owl.protocol.errors import AwsError, query_code, with_query_code

MODEL = botocore.session.get_session().get_service_model("cloudwatch")
OPERATIONS = sorted(MODEL.operation_names)
WITH_OUTPUT = [o for o in OPERATIONS if MODEL.operation_model(o).output_shape is not None]
NAMESPACE = "http://monitoring.amazonaws.com/doc/2010-08-01/"

# Text that survives XML 1.0 unchanged: no control characters (XML normalises \r), no surrogates.
TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=8)
UTC_TIMES = st.datetimes(
    min_value=dt.datetime(1970, 1, 2), max_value=dt.datetime(2100, 1, 1), timezones=st.just(dt.UTC)
)


def values(shape: Shape, *, wire: bool) -> st.SearchStrategy[Any]:
    """Values of `shape`: as a boto3 caller passes them (`wire=False`: datetimes, bytes), or as
    a handler returns them (`wire=True`: epoch seconds with ms, base64 text, JSON forms).

    Structures and maps are never empty: the query protocol has no way to send `{}`.
    """
    if isinstance(shape, StructureShape):
        members = {n: values(m, wire=wire) for n, m in shape.members.items()}
        if getattr(shape, "is_tagged_union", False):
            return st.one_of(*(s.map(lambda v, n=n: {n: v}) for n, s in members.items()))
        required = {n: members.pop(n) for n in shape.required_members}
        return st.fixed_dictionaries(required, optional=members).filter(bool)
    if isinstance(shape, ListShape):
        return st.lists(values(shape.member, wire=wire), max_size=3)
    if isinstance(shape, MapShape):
        return st.dictionaries(TEXT, values(shape.value, wire=wire), min_size=1, max_size=3)
    kind = shape.type_name
    if getattr(shape, "enum", None):
        return st.sampled_from(shape.enum)
    if kind == "string":
        return TEXT
    if kind == "integer":
        return st.integers(-(2**31), 2**31 - 1)
    if kind == "long":
        return st.integers(-(2**63), 2**63 - 1)
    if kind in ("double", "float"):
        finite = st.floats(allow_nan=False, allow_infinity=False)
        if wire:  # botocore's JSON parser leaves "Infinity" text as it is: tested apart
            return finite
        return finite | st.sampled_from([float("inf"), float("-inf")])
    if kind == "boolean":
        return st.booleans()
    if kind == "timestamp":
        if wire:  # XML carries milliseconds
            return st.integers(86_400_000, 4_102_444_800_000).map(lambda ms: ms / 1000)
        return UTC_TIMES
    if kind == "blob":
        blobs = st.binary(max_size=8)
        return blobs.map(lambda b: base64.b64encode(b).decode()) if wire else blobs
    raise AssertionError(f"no strategy for {kind}")


def as_json(params: dict[str, Any], operation: OperationModel) -> dict[str, Any]:
    """The params an SDK sends for `params` over AWS JSON."""
    body = JSONSerializer().serialize_to_request(params, operation)["body"]
    return orjson.loads(body) if body else {}


def as_form(params: dict[str, Any], operation: OperationModel) -> bytes:
    """The form body an SDK sends for `params` over the query protocol."""
    return urlencode(QuerySerializer().serialize_to_request(params, operation)["body"]).encode()


def parsed(parser: Any, body: bytes, shape: StructureShape | None) -> dict[str, Any]:
    out = parser.parse({"body": body, "headers": {}, "status_code": 200}, shape)
    out.pop("ResponseMetadata", None)
    return dict(out)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), name=st.sampled_from(OPERATIONS))
def test_form_decodes_to_the_json_params(data: st.DataObject, name: str) -> None:
    operation = MODEL.operation_model(name)
    shape = operation.input_shape
    params = data.draw(values(shape, wire=False)) if shape is not None else {}
    action, fields = query.parse_form(as_form(params, operation))
    assert action == name
    assert query.decode_params(fields, shape) == as_json(params, operation)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), name=st.sampled_from(WITH_OUTPUT))
def test_xml_parses_as_the_json_output(data: st.DataObject, name: str) -> None:
    operation = MODEL.operation_model(name)
    shape = operation.output_shape
    result = data.draw(values(shape, wire=True))
    xml = query.encode_result(operation, result, "req-1")
    assert parsed(QueryParser(), xml, shape) == parsed(JSONParser(), orjson.dumps(result), shape)


PUT_METRIC_DATA = {
    "Namespace": "Demo",
    "MetricData": [
        {
            "MetricName": "Errors",
            "Value": 1.0,
            "Unit": "Count",
            "Timestamp": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            "Dimensions": [{"Name": "LogGroup", "Value": "/demo/app"}],
            "Values": [1.5, 2.0],
            "StorageResolution": 1,
        }
    ],
    "EntityMetricData": [
        {"Entity": {"KeyAttributes": {"Type": "Service", "Name": "api"}}, "MetricData": []}
    ],
    "StrictEntityValidation": False,
}


def test_put_metric_data_form_as_the_spec_shows_it() -> None:
    operation = MODEL.operation_model("PutMetricData")
    body = as_form(PUT_METRIC_DATA, operation)
    assert b"MetricData.member.1.Dimensions.member.1.Name=LogGroup" in body
    assert b"EntityMetricData.member.1.Entity.KeyAttributes.entry.1.key=Type" in body
    action, fields = query.parse_form(body)
    assert action == "PutMetricData"
    params = query.decode_params(fields, operation.input_shape)
    assert params == {
        "Namespace": "Demo",
        "MetricData": [
            {
                "MetricName": "Errors",
                "Value": 1.0,
                "Unit": "Count",
                "Timestamp": 1767225600,
                "Dimensions": [{"Name": "LogGroup", "Value": "/demo/app"}],
                "Values": [1.5, 2.0],
                "StorageResolution": 1,
            }
        ],
        "EntityMetricData": [
            {"Entity": {"KeyAttributes": {"Type": "Service", "Name": "api"}}, "MetricData": []}
        ],
        "StrictEntityValidation": False,
    }


def test_members_are_ordered_by_index_not_by_text() -> None:
    fields = {f"Statistics.member.{i}": s for i, s in [(10, "j"), (2, "b"), (1, "a")]}
    shape = MODEL.operation_model("GetMetricStatistics").input_shape
    assert query.decode_params(fields, shape) == {"Statistics": ["a", "b", "j"]}


def test_values_that_do_not_convert_stay_text_for_validation() -> None:
    shape = MODEL.operation_model("GetMetricStatistics").input_shape
    fields = {"Period": "sixty", "StartTime": "yesterday", "Namespace": "N"}
    assert query.decode_params(fields, shape) == {
        "Period": "sixty",
        "StartTime": "yesterday",
        "Namespace": "N",
    }
    shape = MODEL.operation_model("ListMetrics").input_shape
    assert query.decode_params({"IncludeLinkedAccounts": "yes"}, shape) == {
        "IncludeLinkedAccounts": "yes"
    }


def test_version_and_unknown_fields_are_dropped() -> None:
    action, fields = query.parse_form(b"Action=ListMetrics&Version=2010-08-01&Bogus=1")
    assert action == "ListMetrics"
    assert query.decode_params(fields, MODEL.operation_model("ListMetrics").input_shape) == {}
    assert query.parse_form(b"Version=2010-08-01") == (None, {})


def test_body_that_is_not_utf8_is_refused() -> None:
    with pytest.raises(AwsError) as e:
        query.parse_form(b"Action=\xff")
    assert e.value.code == "MalformedQueryString"


def test_timestamps_decode_as_the_json_serializer_writes_them() -> None:
    shape = MODEL.operation_model("GetMetricData").input_shape
    got = query.decode_params(
        {"StartTime": "2026-01-01T00:00:00.123456Z", "EndTime": "2026-01-01T01:00:00Z"}, shape
    )
    assert got == {"StartTime": 1767225600.123456, "EndTime": 1767229200}


def test_operation_without_output_answers_with_metadata_only() -> None:
    xml = query.encode_result(MODEL.operation_model("PutMetricData"), None, "req-9")
    assert (
        xml
        == (
            f'<PutMetricDataResponse xmlns="{NAMESPACE}"><ResponseMetadata>'
            "<RequestId>req-9</RequestId></ResponseMetadata></PutMetricDataResponse>"
        ).encode()
    )


def test_empty_output_still_has_its_result_wrapper() -> None:
    operation = MODEL.operation_model("DeleteDashboards")
    xml = query.encode_result(operation, {}, "req-2")
    assert b"<DeleteDashboardsResult />" in xml
    assert parsed(QueryParser(), xml, operation.output_shape) == {}


def test_non_finite_doubles_parse_as_floats() -> None:
    operation = MODEL.operation_model("GetMetricStatistics")
    result = {"Datapoints": [{"Sum": "Infinity", "Minimum": "-Infinity", "Maximum": "NaN"}]}
    (point,) = parsed(
        QueryParser(), query.encode_result(operation, result, "r"), operation.output_shape
    )["Datapoints"]
    assert point["Sum"] == float("inf") and point["Minimum"] == float("-inf")
    assert point["Maximum"] != point["Maximum"]


def test_get_metric_data_xml() -> None:
    operation = MODEL.operation_model("GetMetricData")
    result = {
        "MetricDataResults": [
            {
                "Id": "m1",
                "Label": "Errors",
                "Timestamps": [1767225600],
                "Values": [1.0, 0.1],
                "StatusCode": "Complete",
            }
        ],
        "Messages": [],
    }
    xml = query.encode_result(operation, result, "req-3")
    assert xml.startswith(
        f'<GetMetricDataResponse xmlns="{NAMESPACE}"><GetMetricDataResult><MetricDataResults>'
        "<member><Id>m1</Id><Label>Errors</Label><Timestamps>"
        "<member>2026-01-01T00:00:00.000Z</member></Timestamps>"
        "<Values><member>1.0</member><member>0.1</member></Values>".encode()
    )
    out = parsed(QueryParser(), xml, operation.output_shape)
    assert out["MetricDataResults"][0]["Timestamps"] == [dt.datetime(2026, 1, 1, tzinfo=dt.UTC)]
    assert out["MetricDataResults"][0]["Values"] == [1.0, 0.1]


@pytest.mark.parametrize(
    ("shape", "code", "status", "side"),
    [
        ("InvalidParameterValueException", "InvalidParameterValue", 400, "Sender"),
        ("MissingRequiredParameterException", "MissingParameter", 400, "Sender"),
        ("InvalidParameterCombinationException", "InvalidParameterCombination", 400, "Sender"),
        ("ResourceNotFound", "ResourceNotFound", 404, "Sender"),
        ("InternalServiceFault", "InternalServiceError", 500, "Receiver"),
        ("DashboardNotFoundError", "ResourceNotFound", 404, "Sender"),
        ("ConflictException", "ConflictException", 409, "Sender"),
    ],
)
def test_error_xml_carries_the_query_code(shape: str, code: str, status: int, side: str) -> None:
    assert query_code(MODEL, shape) == code
    error = with_query_code(AwsError(shape, "bad <value> & more", status), MODEL)
    assert error.query_error() == f"{code};{side}"
    xml = query.encode_error(error, "req-1", NAMESPACE)
    out = QueryParser().parse({"body": xml, "headers": {}, "status_code": status}, None)
    assert out["Error"] == {"Type": side, "Code": code, "Message": "bad <value> & more"}
    assert out["ResponseMetadata"]["RequestId"] == "req-1"


def test_codes_outside_the_model_stay_as_they_are() -> None:
    assert query_code(MODEL, "NotImplementedException") == "NotImplementedException"
    logs = botocore.session.get_session().get_service_model("logs")
    assert with_query_code(AwsError("ResourceNotFoundException", "x"), logs).query_code is None


def test_unknown_and_missing_action() -> None:
    assert query.invalid_action("Nope", "2010-08-01").message == (
        "Could not find operation Nope for version 2010-08-01"
    )
    assert query.missing_action().code == "MissingAction"


@pytest.mark.parametrize(
    ("content_type", "form"),
    [
        ("application/x-www-form-urlencoded; charset=utf-8", True),
        ("Application/X-WWW-Form-Urlencoded", True),
        ("application/x-amz-json-1.0", False),
        (None, False),
    ],
)
def test_is_form(content_type: str | None, form: bool) -> None:
    assert query.is_form(content_type) is form
