"""Smithy RPC v2 CBOR against botocore's own serializer and parser, over CloudWatch's shapes.

As for the query protocol, the oracles are botocore's JSON serializer (what the same call sends
as JSON) and JSON parser (what the same output reads as from JSON).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import cbor2
import orjson
import pytest
from botocore.parsers import JSONParser, RpcV2CBORParser
from botocore.serialize import RpcV2CBORSerializer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from owl.protocol import rpcv2
from owl.protocol.errors import AwsError, with_query_code
from tests.unit.protocol.test_query import MODEL, OPERATIONS, WITH_OUTPUT, as_json, parsed, values


def as_cbor(params: dict[str, Any], name: str) -> dict[str, Any]:
    """The request botocore sends for `params` over RPC v2 CBOR."""
    return RpcV2CBORSerializer().serialize_to_request(params, MODEL.operation_model(name))


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), name=st.sampled_from(OPERATIONS))
def test_cbor_decodes_to_the_json_params(data: st.DataObject, name: str) -> None:
    operation = MODEL.operation_model(name)
    shape = operation.input_shape
    params = data.draw(values(shape, wire=False)) if shape is not None else {}
    request = as_cbor(params, name)
    assert request["url_path"] == f"/service/GraniteServiceVersion20100801/operation/{name}"
    assert rpcv2.decode_body(request["body"], shape) == as_json(params, operation)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), name=st.sampled_from(WITH_OUTPUT))
def test_cbor_parses_as_the_json_output(data: st.DataObject, name: str) -> None:
    shape = MODEL.operation_model(name).output_shape
    result = data.draw(values(shape, wire=True))
    body = rpcv2.encode_result(result, shape)
    assert parsed(RpcV2CBORParser(), body, shape) == parsed(
        JSONParser(), orjson.dumps(result), shape
    )


def test_timestamps_blobs_and_non_finite_doubles() -> None:
    shape = MODEL.operation_model("PutMetricData").input_shape
    when = dt.datetime(2026, 1, 1, 0, 0, 0, 250000, tzinfo=dt.UTC)
    body = cbor2.dumps(
        {
            "Namespace": "N",
            "MetricData": [{"MetricName": "m", "Timestamp": when, "Value": float("inf")}],
        },
        datetime_as_timestamp=True,
    )
    assert rpcv2.decode_body(body, shape) == {
        "Namespace": "N",
        "MetricData": [{"MetricName": "m", "Timestamp": 1767225600.25, "Value": "Infinity"}],
    }
    out = MODEL.operation_model("GetMetricStatistics").output_shape
    encoded = cbor2.loads(
        rpcv2.encode_result({"Datapoints": [{"Timestamp": 5, "Sum": "NaN", "Unit": None}]}, out)
    )
    (point,) = encoded["Datapoints"]
    assert point["Timestamp"] == dt.datetime.fromtimestamp(5, dt.UTC)  # tag 1
    assert point["Sum"] != point["Sum"] and "Unit" not in point


def test_operation_without_output_answers_with_an_empty_map() -> None:
    assert rpcv2.encode_result(None, None) == b"\xa0"
    assert parsed(RpcV2CBORParser(), b"\xa0", None) == {}


@pytest.mark.parametrize("body", [b"\xff\xff", cbor2.dumps([1]), cbor2.dumps("x"), b"\xa1\x01\x02"])
def test_anything_but_a_map_of_names_is_refused(body: bytes) -> None:
    with pytest.raises(AwsError) as e:
        rpcv2.decode_body(body, MODEL.operation_model("ListMetrics").input_shape)
    assert e.value.code == "SerializationException"


def test_empty_body_is_no_input() -> None:
    assert rpcv2.decode_body(b"", MODEL.operation_model("ListMetrics").input_shape) == {}


@pytest.mark.parametrize(
    ("path", "split"),
    [
        (
            "/service/GraniteServiceVersion20100801/operation/ListMetrics",
            ("GraniteServiceVersion20100801", "ListMetrics"),
        ),
        ("/prefix/service/P/operation/Op/", ("P", "Op")),
        ("/", None),
        ("/service//operation/Op", None),
        ("/service/P/ops/Op", None),
    ],
)
def test_split_path(path: str, split: tuple[str, str] | None) -> None:
    assert rpcv2.split_path(path) == split


def test_error_reads_back_with_the_query_code() -> None:
    error = with_query_code(AwsError("InvalidParameterValueException", "bad", 400), MODEL)
    response = {
        "body": rpcv2.encode_error(error),
        "headers": {"x-amzn-query-error": error.query_error(), "x-amzn-requestid": "r-1"},
        "status_code": 400,
    }
    out = RpcV2CBORParser().parse(response, None)
    assert out["Error"] == {
        "Code": "InvalidParameterValue",
        "Message": "bad",
        "QueryErrorCode": "InvalidParameterValueException",
        "Type": "Sender",
    }
    assert out["ResponseMetadata"]["RequestId"] == "r-1"
