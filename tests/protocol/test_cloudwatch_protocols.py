"""CloudWatch over its three protocols on owl's one port: AWS JSON 1.0 (boto3's default), the
query protocol (boto3 forced to it, raw forms, and the Debian aws CLI v2) and Smithy RPC v2
CBOR (boto3 forced to it). Each round-trips metrics and reports errors with the query-era code
botocore raises as the modeled exception; the JSON services answer as before.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import subprocess
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import botocore.serialize
import cbor2
import pytest
from botocore.exceptions import ClientError

from tests.conftest import OwlServer
from tests.signing import JSON_11, RawResponse, send, signed_request

PROTOCOLS = ["json", "query", "smithy-rpc-v2-cbor"]
FORM = "application/x-www-form-urlencoded; charset=utf-8"
NAMESPACE_URI = "http://monitoring.amazonaws.com/doc/2010-08-01/"
AWS_V2 = Path("/usr/bin/aws")
NOW = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)


def cloudwatch(server: OwlServer, protocol: str) -> Any:
    """A boto3 cloudwatch client that speaks `protocol` (botocore has no setting for it, so
    the client's resolved protocol and serializer are replaced; its parser follows)."""
    client = server.client("cloudwatch")
    if protocol != "json":
        client.meta.service_model.__dict__["resolved_protocol"] = protocol
        client._serializer = botocore.serialize.create_serializer(protocol, True)
    return client


@pytest.fixture(params=PROTOCOLS)
def cw(request: pytest.FixtureRequest, owl_server: OwlServer) -> Any:
    return cloudwatch(owl_server, request.param)


@pytest.fixture
def namespace() -> str:
    return f"Owl/{uuid.uuid4().hex[:12]}"


def seen_requests(client: Any) -> list[Any]:
    """The requests `client` sends from now on, as signed."""
    sent: list[Any] = []
    client.meta.events.register("before-send", lambda request, **_: sent.append(request))
    return sent


def test_put_list_and_get_metrics(cw: Any, namespace: str) -> None:
    sent = seen_requests(cw)
    dims = [{"Name": "LogGroup", "Value": "/demo/app"}]
    cw.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {"MetricName": "Errors", "Dimensions": dims, "Timestamp": NOW, "Value": 2.5},
            {"MetricName": "Errors", "Dimensions": dims, "Timestamp": NOW, "Value": 0.5},
        ],
    )
    protocol = cw.meta.service_model.resolved_protocol
    content_type = sent[0].headers["Content-Type"].decode()
    expected = {"json": "x-amz-json-1.0", "query": "form-urlencoded", "smithy-rpc-v2-cbor": "cbor"}
    assert expected[protocol] in content_type

    listed = cw.list_metrics(Namespace=namespace)
    assert listed["Metrics"] == [
        {"Namespace": namespace, "MetricName": "Errors", "Dimensions": dims}
    ]
    stats = cw.get_metric_statistics(
        Namespace=namespace,
        MetricName="Errors",
        Dimensions=dims,
        StartTime=NOW - dt.timedelta(minutes=5),
        EndTime=NOW + dt.timedelta(minutes=5),
        Period=60,
        Statistics=["Sum", "SampleCount", "Maximum"],
    )
    (point,) = stats["Datapoints"]
    assert point["Timestamp"] == NOW
    assert (point["Sum"], point["SampleCount"], point["Maximum"]) == (3.0, 2.0, 2.5)
    data = cw.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "m1",
                "MetricStat": {
                    "Metric": {"Namespace": namespace, "MetricName": "Errors", "Dimensions": dims},
                    "Period": 60,
                    "Stat": "Sum",
                },
            }
        ],
        StartTime=NOW - dt.timedelta(minutes=5),
        EndTime=NOW + dt.timedelta(minutes=5),
    )
    (series,) = data["MetricDataResults"]
    assert (series["Id"], series["Timestamps"], series["Values"]) == ("m1", [NOW], [3.0])
    assert series["StatusCode"] == "Complete"


def test_large_put_metric_data_is_gzipped_and_accepted(cw: Any, namespace: str) -> None:
    sent = seen_requests(cw)
    datums = [
        {"MetricName": f"m{i:03d}", "Value": float(i), "Timestamp": NOW, "Unit": "Count"}
        for i in range(300)
    ]
    cw.put_metric_data(Namespace=namespace, MetricData=datums)
    # botocore compresses bodies of 10 KiB or more and signs the compressed bytes.
    assert sent[0].headers["Content-Encoding"] == b"gzip"
    pages = cw.get_paginator("list_metrics").paginate(Namespace=namespace)
    names = sorted(m["MetricName"] for page in pages for m in page["Metrics"])
    assert names == [f"m{i:03d}" for i in range(300)]


ERRORS = [
    (
        "get_metric_statistics",
        {"Period": 61, "Statistics": ["Sum"]},
        "InvalidParameterValue",
        "InvalidParameterValueException",
        "The parameter Period must be 1, 5, 10, 20, 30, 60 or any multiple of 60.",
    ),
    (
        "get_metric_statistics",
        {"Period": 60, "Statistics": ["Sum"], "ExtendedStatistics": ["p99"]},
        "InvalidParameterCombination",
        "InvalidParameterCombinationException",
        "The parameters Statistics and ExtendedStatistics are mutually exclusive "
        "and you have specified both.",
    ),
]


@pytest.mark.parametrize(("method", "extra", "code", "shape", "message"), ERRORS)
def test_errors_carry_the_query_code(
    cw: Any, method: str, extra: dict[str, Any], code: str, shape: str, message: str
) -> None:
    window = {"StartTime": NOW - dt.timedelta(hours=1), "EndTime": NOW}
    with pytest.raises(ClientError) as e:
        getattr(cw, method)(Namespace="Owl/E", MetricName="m", **window, **extra)
    error = e.value.response["Error"]
    assert (error["Code"], error["Message"], error["Type"]) == (code, message, "Sender")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # botocore finds the modeled class by the query code.
    assert isinstance(e.value, getattr(cw.exceptions, shape))
    if cw.meta.service_model.resolved_protocol != "query":
        assert error["QueryErrorCode"] == shape


def test_model_validation_error(cw: Any) -> None:
    with pytest.raises(cw.exceptions.InvalidParameterValueException) as e:
        cw.list_metrics(Namespace=":starts-with-colon")
    error = e.value.response["Error"]
    assert error["Code"] == "InvalidParameterValue"
    assert error["Message"].startswith("1 validation error detected: Value ':starts-with-colon'")


def test_unimplemented_operation_is_a_receiver_fault(cw: Any) -> None:
    with pytest.raises(ClientError) as e:
        cw.describe_anomaly_detectors()
    error = e.value.response["Error"]
    assert (error["Code"], error["Type"]) == ("NotImplementedException", "Receiver")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501


# -- raw requests --------------------------------------------------------------------------


def signed(
    server: OwlServer,
    body: bytes,
    headers: dict[str, str],
    path: str = "/",
    service: str = "monitoring",
) -> RawResponse:
    request = signed_request(
        server.endpoint + path,
        body,
        access_key_id=server.access_key_id,
        secret_access_key=server.secret_access_key,
        service=service,
        headers=headers,
    )
    return send(server.endpoint, dict(request.headers.items()), body, path=path)


def form(server: OwlServer, fields: dict[str, str], **headers: str) -> RawResponse:
    return signed(server, urlencode(fields).encode(), {"Content-Type": FORM, **headers})


def xml_error(response: RawResponse) -> tuple[str, str, str]:
    """(Type, Code, Message) of an `<ErrorResponse>`, checking its shape on the way."""
    assert response.headers["content-type"] == "text/xml"
    text = response.body.decode()
    assert text.startswith(f'<ErrorResponse xmlns="{NAMESPACE_URI}"><Error><Type>')
    assert f"<RequestId>{response.headers['x-amzn-requestid']}</RequestId>" in text

    def between(tag: str) -> str:
        return text.split(f"<{tag}>", 1)[1].split(f"</{tag}>", 1)[0]

    return between("Type"), between("Code"), between("Message")


@pytest.mark.parametrize(
    ("fields", "code", "message"),
    [
        (
            {"Action": "DescribeEverything", "Version": "2010-08-01"},
            "InvalidAction",
            "Could not find operation DescribeEverything for version 2010-08-01",
        ),
        (
            {"Version": "2010-08-01"},
            "MissingAction",
            "The request must contain the parameter Action.",
        ),
        (
            {"Action": "PutMetricData", "Namespace": "Owl/M"},
            "MissingParameter",
            "The parameter MetricData is required.",
        ),
    ],
)
def test_query_errors(
    owl_server: OwlServer, fields: dict[str, str], code: str, message: str
) -> None:
    response = form(owl_server, fields)
    assert response.status == 400
    assert xml_error(response) == ("Sender", code, message)


def test_query_gzip_form(owl_server: OwlServer, namespace: str) -> None:
    fields = {
        "Action": "PutMetricData",
        "Version": "2010-08-01",
        "Namespace": namespace,
        "MetricData.member.1.MetricName": "Zipped",
        "MetricData.member.1.Value": "1",
    }
    body = gzip.compress(urlencode(fields).encode())
    response = signed(owl_server, body, {"Content-Type": FORM, "Content-Encoding": "gzip"})
    assert response.status == 200, response.body
    assert response.body.startswith(f'<PutMetricDataResponse xmlns="{NAMESPACE_URI}">'.encode())
    listed = form(owl_server, {"Action": "ListMetrics", "Namespace": namespace})
    assert b"<MetricName>Zipped</MetricName>" in listed.body


def test_json_error_headers(owl_server: OwlServer) -> None:
    body = json.dumps({"Namespace": "Owl/J"}).encode()
    headers = {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "GraniteServiceVersion20100801.PutMetricData",
        "x-amzn-query-mode": "true",
    }
    response = signed(owl_server, body, headers)
    assert response.status == 400
    assert response.headers["x-amzn-query-error"] == "MissingParameter;Sender"
    assert response.json() == {
        "__type": "MissingRequiredParameterException",
        "message": "The parameter MetricData is required.",
    }


def test_cbor_error_and_unknown_operation(owl_server: OwlServer) -> None:
    prefix = "/service/GraniteServiceVersion20100801/operation"
    headers = {"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"}
    response = signed(
        owl_server, cbor2.dumps({"Namespace": "Owl/C"}), headers, f"{prefix}/PutMetricData"
    )
    assert response.status == 400
    assert response.headers["smithy-protocol"] == "rpc-v2-cbor"
    assert response.headers["content-type"] == "application/cbor"
    assert response.headers["x-amzn-query-error"] == "MissingParameter;Sender"
    assert cbor2.loads(response.body) == {
        "__type": "MissingRequiredParameterException",
        "message": "The parameter MetricData is required.",
    }
    response = signed(owl_server, cbor2.dumps({}), headers, f"{prefix}/Nope")
    assert response.status == 400
    assert cbor2.loads(response.body) == {"__type": "UnknownOperationException"}


@pytest.mark.parametrize(
    ("headers", "path"),
    [
        ({"Content-Type": JSON_11, "X-Amz-Target": "Logs_20140328.Nope"}, "/"),
        ({"Content-Type": JSON_11}, "/"),
        (
            {"Content-Type": JSON_11, "smithy-protocol": "rpc-v2-cbor"},
            "/service/Logs_20140328/operation/DescribeLogGroups",
        ),
    ],
)
def test_json_services_answer_unknown_operations_as_before(
    owl_server: OwlServer, headers: dict[str, str], path: str
) -> None:
    response = signed(owl_server, b"{}", headers, path, service="logs")
    assert response.status == 400
    assert response.body == b'{"__type":"UnknownOperationException"}'
    assert response.headers["content-type"] == JSON_11
    assert response.headers["x-amzn-errortype"] == "UnknownOperationException"
    assert "x-amzn-query-error" not in response.headers


# -- the aws CLI v2 (query protocol for cloudwatch) ------------------------------------------


def aws_v2(server: OwlServer, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        # This CLI predates AWS_ENDPOINT_URL.
        [str(AWS_V2), "cloudwatch", *args, "--output", "json", "--endpoint-url", server.endpoint],
        env=server.aws_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.skipif(not AWS_V2.exists(), reason="Debian's aws CLI v2 (/usr/bin/aws) is absent")
def test_aws_cli_v2_put_and_list_metrics(owl_server: OwlServer, namespace: str) -> None:
    done = aws_v2(
        owl_server,
        "put-metric-data",
        "--namespace",
        namespace,
        "--metric-name",
        "Requests",
        "--dimensions",
        "Service=api",
        "--value",
        "4",
        "--debug",
    )
    assert done.returncode == 0, done.stderr
    # This CLI's model of cloudwatch speaks the query protocol.
    assert "'Content-Type': 'application/x-www-form-urlencoded" in done.stderr
    assert "'Action': 'PutMetricData'" in done.stderr
    done = aws_v2(owl_server, "list-metrics", "--namespace", namespace)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["Metrics"] == [
        {
            "Namespace": namespace,
            "MetricName": "Requests",
            "Dimensions": [{"Name": "Service", "Value": "api"}],
        }
    ]
    done = aws_v2(
        owl_server,
        "get-metric-statistics",
        "--namespace",
        namespace,
        "--metric-name",
        "Requests",
        "--dimensions",
        "Name=Service,Value=api",
        "--start-time",
        (NOW - dt.timedelta(hours=1)).isoformat(),
        "--end-time",
        (NOW + dt.timedelta(hours=1)).isoformat(),
        "--period",
        "61",
        "--statistics",
        "Sum",
    )
    assert done.returncode == 254
    assert "(InvalidParameterValue)" in done.stderr
    assert "The parameter Period must be 1, 5, 10, 20, 30, 60 or any multiple of 60." in done.stderr
