"""Metric filters end to end: PutMetricFilter and its kin through boto3, and the metrics that
ingested events publish, read back with the cloudwatch client (GetMetricData, ListMetrics).

Publishing happens before PutLogEvents answers, so a test reads the metric right after it.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import OwlServer
from tests.protocol.support import error_of

ACCESS = '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" {status} 2326'
PATTERN_404 = "[ip, id, user, timestamp, request, status_code=404, size]"


def _group(owl_server: OwlServer) -> tuple[Any, Any, str]:
    logs = owl_server.client()
    name = f"/mf/{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=name)
    logs.create_log_stream(logGroupName=name, logStreamName="s")
    return logs, owl_server.client("cloudwatch"), name


def _put(logs: Any, group: str, messages: list[str], ts: int | None = None) -> None:
    ts = ts or int(time.time() * 1000)
    logs.put_log_events(
        logGroupName=group,
        logStreamName="s",
        logEvents=[{"timestamp": ts + i, "message": m} for i, m in enumerate(messages)],
    )


def _transform(name: str, ns: str, value: str = "1", **kw: Any) -> list[dict[str, Any]]:
    return [{"metricName": name, "metricNamespace": ns, "metricValue": value, **kw}]


def _data(
    cw: Any, ns: str, name: str, stat: str, dims: dict[str, str] | None = None
) -> list[float]:
    """Values of the metric over the last and next ten minutes, oldest first, period 1 hour."""
    now = time.time()
    metric: dict[str, Any] = {"Namespace": ns, "MetricName": name}
    if dims:
        metric["Dimensions"] = [{"Name": k, "Value": v} for k, v in dims.items()]
    out = cw.get_metric_data(
        MetricDataQueries=[
            {"Id": "m", "MetricStat": {"Metric": metric, "Period": 3600, "Stat": stat}}
        ],
        StartTime=dt.datetime.fromtimestamp(now - 600, dt.UTC),
        EndTime=dt.datetime.fromtimestamp(now + 600, dt.UTC),
        ScanBy="TimestampAscending",
    )["MetricDataResults"]
    assert len(out) == 1 and out[0]["StatusCode"] == "Complete"
    return list(out[0]["Values"])


def test_404_filter_publishes_one_per_match_and_not_retroactively(owl_server: OwlServer) -> None:
    logs, cw, group = _group(owl_server)
    ns = f"Web{uuid.uuid4().hex[:6]}"
    _put(logs, group, [ACCESS.format(status=404)] * 7)  # before the filter: never counted
    logs.put_metric_filter(
        logGroupName=group,
        filterName="404s",
        filterPattern=PATTERN_404,
        metricTransformations=_transform("404Errors", ns),
    )
    assert _data(cw, ns, "404Errors", "Sum") == []
    _put(logs, group, [ACCESS.format(status=s) for s in (404, 200, 404, 500, 404)])
    _put(logs, group, [ACCESS.format(status=404), "not an access line"])
    assert _data(cw, ns, "404Errors", "Sum") == [4.0]
    assert _data(cw, ns, "404Errors", "SampleCount") == [4.0]
    metrics = cw.list_metrics(Namespace=ns)["Metrics"]
    assert metrics == [{"Namespace": ns, "MetricName": "404Errors", "Dimensions": []}]
    described = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]
    assert described["metricFilterCount"] == 1


def test_json_values_and_dimensions_land_in_get_metric_data(owl_server: OwlServer) -> None:
    logs, cw, group = _group(owl_server)
    ns = f"App{uuid.uuid4().hex[:6]}"
    logs.put_metric_filter(
        logGroupName=group,
        filterName="latency",
        filterPattern="{ $.latency = * }",
        metricTransformations=_transform(
            "Latency",
            ns,
            "$.latency",
            unit="Milliseconds",
            dimensions={"Path": "$.path", "Method": "$.method"},
        ),
    )
    events = [
        {"latency": 10, "path": "/a", "method": "GET"},
        {"latency": 30, "path": "/a", "method": "GET"},
        {"latency": 5.5, "path": "/b", "method": "GET"},
        {"latency": 100, "path": "/a", "method": "POST"},
        {"latency": "fast", "path": "/a", "method": "GET"},  # not a number: nothing
        {"latency": 7, "path": "/a"},  # a dimension is missing: nothing
    ]
    _put(logs, group, [json.dumps(e) for e in events] + ["plain text"])
    get_a = {"Path": "/a", "Method": "GET"}
    assert _data(cw, ns, "Latency", "Sum", get_a) == [40.0]
    assert _data(cw, ns, "Latency", "Average", get_a) == [20.0]
    assert _data(cw, ns, "Latency", "Maximum", {"Path": "/b", "Method": "GET"}) == [5.5]
    assert _data(cw, ns, "Latency", "p50", {"Path": "/a", "Method": "POST"}) == [100.0]
    assert _data(cw, ns, "Latency", "Sum", {"Path": "/a"}) == []  # dimensions match exactly
    listed = cw.list_metrics(Namespace=ns, Dimensions=[{"Name": "Method", "Value": "GET"}])
    assert sorted(d["Value"] for m in listed["Metrics"] for d in m["Dimensions"]) == [
        "/a",
        "/b",
        "GET",
        "GET",
    ]
    stats = cw.get_metric_statistics(
        Namespace=ns,
        MetricName="Latency",
        Dimensions=[{"Name": k, "Value": v} for k, v in get_a.items()],
        StartTime=dt.datetime.fromtimestamp(time.time() - 600, dt.UTC),
        EndTime=dt.datetime.fromtimestamp(time.time() + 600, dt.UTC),
        Period=3600,
        Statistics=["Sum", "Minimum"],
    )["Datapoints"]
    assert [(p["Sum"], p["Minimum"], p["Unit"]) for p in stats] == [(40.0, 10.0, "Milliseconds")]


def test_space_delimited_field_values(owl_server: OwlServer) -> None:
    logs, cw, group = _group(owl_server)
    ns = f"Bytes{uuid.uuid4().hex[:6]}"
    logs.put_metric_filter(
        logGroupName=group,
        filterName="bytes",
        filterPattern=PATTERN_404.replace("status_code=404", "status_code"),
        metricTransformations=_transform(
            "Bytes", ns, "$size", dimensions={"Status": "$status_code"}
        ),
    )
    _put(logs, group, [ACCESS.format(status=s) for s in (200, 200, 404)])
    assert _data(cw, ns, "Bytes", "Sum", {"Status": "200"}) == [2 * 2326.0]
    assert _data(cw, ns, "Bytes", "Sum", {"Status": "404"}) == [2326.0]


def test_default_value_counts_events_that_do_not_match(owl_server: OwlServer) -> None:
    logs, cw, group = _group(owl_server)
    ns = f"Err{uuid.uuid4().hex[:6]}"
    logs.put_metric_filter(
        logGroupName=group,
        filterName="errors",
        filterPattern="ERROR",
        metricTransformations=_transform("Errors", ns, defaultValue=0.0),
    )
    _put(logs, group, ["ERROR one", "ok", "ok", "ERROR two", "fine"])
    assert _data(cw, ns, "Errors", "Sum") == [2.0]
    assert _data(cw, ns, "Errors", "SampleCount") == [5.0]
    assert _data(cw, ns, "Errors", "Average") == [0.4]


def test_a_literal_value_counts_as_that_number_per_match(owl_server: OwlServer) -> None:
    logs, cw, group = _group(owl_server)
    ns = f"Lit{uuid.uuid4().hex[:6]}"
    logs.put_metric_filter(
        logGroupName=group,
        filterName="weighted",
        filterPattern="ERROR",
        metricTransformations=_transform("Weighted", ns, value="2.5"),
    )
    _put(logs, group, ["ERROR one", "ok", "ERROR two", "ERROR three"])
    assert _data(cw, ns, "Weighted", "Sum") == [7.5]
    assert _data(cw, ns, "Weighted", "Maximum") == [2.5]
    assert _data(cw, ns, "Weighted", "SampleCount") == [3.0]


def test_embedded_metric_format_events_become_metrics(owl_server: OwlServer) -> None:
    logs, cw, group = _group(owl_server)
    ns = f"Emf{uuid.uuid4().hex[:6]}"
    now = int(time.time() * 1000)
    doc = {
        "_aws": {
            "Timestamp": now,
            "CloudWatchMetrics": [
                {
                    "Namespace": ns,
                    "Dimensions": [["Operation"], ["Operation", "Cell"]],
                    "Metrics": [{"Name": "Latency", "Unit": "Milliseconds"}],
                }
            ],
        },
        "Operation": "checkout",
        "Cell": "001",
        "Latency": [100, 200],
    }
    invalid = {"_aws": {"CloudWatchMetrics": [{"Namespace": ns}]}, "Latency": 5}  # no Timestamp
    _put(logs, group, [json.dumps(doc), json.dumps(invalid), "plain"])
    assert _data(cw, ns, "Latency", "Sum", {"Operation": "checkout"}) == [300.0]
    assert _data(cw, ns, "Latency", "Sum", {"Operation": "checkout", "Cell": "001"}) == [300.0]
    assert len(cw.list_metrics(Namespace=ns)["Metrics"]) == 2
    # The events themselves are stored, EMF or not.
    got = logs.get_log_events(logGroupName=group, logStreamName="s", startFromHead=True)
    assert len(got["events"]) == 3


def test_describe_replace_delete_and_paging(owl_server: OwlServer) -> None:
    logs, _, group = _group(owl_server)
    for i in range(5):
        logs.put_metric_filter(
            logGroupName=group,
            filterName=f"f{i}",
            filterPattern="ERROR",
            metricTransformations=_transform(f"M{i % 2}", "NsPaging"),
        )
    logs.put_metric_filter(  # replaces f0 by name
        logGroupName=group,
        filterName="f0",
        filterPattern='"timed out"',
        metricTransformations=_transform("M9", "NsPaging", unit="Count"),
    )
    names: list[str] = []
    kw: dict[str, Any] = {"logGroupName": group, "limit": 2}
    while True:
        page = logs.describe_metric_filters(**kw)
        names += [f["filterName"] for f in page["metricFilters"]]
        if "nextToken" not in page:
            break
        kw["nextToken"] = page["nextToken"]
    assert names == ["f0", "f1", "f2", "f3", "f4"]
    f0 = logs.describe_metric_filters(logGroupName=group, filterNamePrefix="f0")["metricFilters"]
    assert f0[0]["filterPattern"] == '"timed out"'
    assert f0[0]["metricTransformations"] == [
        {"metricName": "M9", "metricNamespace": "NsPaging", "metricValue": "1", "unit": "Count"}
    ]
    assert f0[0]["logGroupName"] == group and isinstance(f0[0]["creationTime"], int)
    by_metric = logs.describe_metric_filters(metricName="M1", metricNamespace="NsPaging")
    assert {f["filterName"] for f in by_metric["metricFilters"]} >= {"f1", "f3"}
    logs.delete_metric_filter(logGroupName=group, filterName="f1")
    left = logs.describe_metric_filters(logGroupName=group)["metricFilters"]
    assert [f["filterName"] for f in left] == ["f0", "f2", "f3", "f4"]
    # Deleting the group deletes its filters: a group of the same name starts without any.
    logs.delete_log_group(logGroupName=group)
    logs.create_log_group(logGroupName=group)
    assert logs.describe_metric_filters(logGroupName=group)["metricFilters"] == []


def _error(fn: Any, **kw: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as exc:
        fn(**kw)
    return error_of(exc)


def test_errors(owl_server: OwlServer) -> None:
    logs, _, group = _group(owl_server)
    put = logs.put_metric_filter
    base: dict[str, Any] = {
        "logGroupName": group,
        "filterName": "f",
        "filterPattern": "ERROR",
        "metricTransformations": _transform("M", "Ns"),
    }
    code, message = _error(put, **{**base, "logGroupName": "/mf/missing"})
    assert code == "ResourceNotFoundException"
    cases: list[dict[str, Any]] = [
        {"filterPattern": "{ $.x = "},  # not a pattern
        {"metricTransformations": _transform("M", "Ns", "$.latency")},  # selector, text pattern
        {
            "filterPattern": "{ $.a = 1 }",
            "metricTransformations": _transform(
                "M", "Ns", dimensions={"a": "$.a", "b": "$.b", "c": "$.c", "d": "$.d"}
            ),
        },
        {
            "filterPattern": "{ $.a = 1 }",
            "metricTransformations": _transform(
                "M", "Ns", defaultValue=0.0, dimensions={"a": "$.a"}
            ),
        },
        {"metricTransformations": _transform("M", "Ns", "one")},  # not a metric value
        {"metricTransformations": _transform("M", "Ns") * 2},  # exactly one transformation
        {"metricTransformations": _transform("M:x", "Ns")},  # ':' is not allowed in names
    ]
    for case in cases:
        code, message = _error(put, **{**base, **case})
        assert code == "InvalidParameterException", (case, code, message)
    code, _ = _error(logs.delete_metric_filter, logGroupName=group, filterName="nope")
    assert code == "ResourceNotFoundException"
    code, _ = _error(logs.describe_metric_filters, metricName="M")
    assert code == "InvalidParameterException"
    code, _ = _error(logs.describe_metric_filters, logGroupName="/mf/missing")
    assert code == "ResourceNotFoundException"


def test_at_most_100_filters_per_group(owl_server: OwlServer) -> None:
    logs, _, group = _group(owl_server)
    for i in range(100):
        logs.put_metric_filter(
            logGroupName=group,
            filterName=f"f{i:03d}",
            filterPattern="ERROR",
            metricTransformations=_transform("M", "NsLimit"),
        )
    code, _ = _error(
        logs.put_metric_filter,
        logGroupName=group,
        filterName="one-too-many",
        filterPattern="ERROR",
        metricTransformations=_transform("M", "NsLimit"),
    )
    assert code == "LimitExceededException"
    # Replacing an existing one is still allowed.
    logs.put_metric_filter(
        logGroupName=group,
        filterName="f000",
        filterPattern="WARN",
        metricTransformations=_transform("M", "NsLimit"),
    )


def test_concurrent_batches_all_count(owl_server: OwlServer) -> None:
    """Batches of several clients at once share the group's compiled filters."""
    logs, cw, group = _group(owl_server)
    ns = f"Conc{uuid.uuid4().hex[:6]}"
    for i, pattern in enumerate(("ERROR", "{ $.level = 1 }", PATTERN_404)):
        logs.put_metric_filter(
            logGroupName=group,
            filterName=f"f{i}",
            filterPattern=pattern,
            metricTransformations=_transform(f"M{i}", ns),
        )
    streams = [f"c{k}" for k in range(4)]
    for s in streams:
        logs.create_log_stream(logGroupName=group, logStreamName=s)
    batch = ["ERROR x", '{"level": 1}', ACCESS.format(status=404), "other"] * 250

    def send(stream: str) -> None:
        client = owl_server.client()
        for _ in range(5):
            client.put_log_events(
                logGroupName=group,
                logStreamName=stream,
                logEvents=[{"timestamp": int(time.time() * 1000), "message": m} for m in batch],
            )

    with ThreadPoolExecutor(len(streams)) as pool:
        list(pool.map(send, streams))
    for i in range(3):
        assert _data(cw, ns, f"M{i}", "Sum") == [4 * 5 * 250.0]
