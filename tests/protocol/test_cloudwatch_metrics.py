"""CloudWatch metrics through boto3's cloudwatch client: PutMetricData and its rules, the
statistics of GetMetricStatistics, GetMetricData with metric math and paging, ListMetrics,
and metrics surviving a restart. Error codes are the query-era ones botocore reports.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import OwlServer, start_server
from tests.protocol.support import error_of


def _ns() -> str:
    return f"Test/{uuid.uuid4().hex[:8]}"


def _minute(offset: int = 0) -> dt.datetime:
    """The start of the current minute, moved by `offset` minutes."""
    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    return now + dt.timedelta(minutes=offset)


def _stats(cw: Any, ns: str, name: str, period: int, **kw: Any) -> list[dict[str, Any]]:
    kw.setdefault("Statistics", ["SampleCount", "Sum", "Average", "Minimum", "Maximum"])
    kw.setdefault("StartTime", _minute(-30))
    kw.setdefault("EndTime", _minute(2))
    kw = {k: v for k, v in kw.items() if v is not None}
    points = cw.get_metric_statistics(Namespace=ns, MetricName=name, Period=period, **kw)[
        "Datapoints"
    ]
    return sorted(points, key=lambda p: p["Timestamp"])


def test_values_counts_and_statistic_sets_fold_into_every_statistic(owl_server: OwlServer) -> None:
    cw, ns = owl_server.client("cloudwatch"), _ns()
    t = _minute(-5)
    cw.put_metric_data(
        Namespace=ns,
        MetricData=[
            {"MetricName": "Lat", "Value": 10, "Timestamp": t, "Unit": "Milliseconds"},
            {"MetricName": "Lat", "Values": [1, 2, 3], "Counts": [1, 1, 2], "Timestamp": t},
            {
                "MetricName": "Lat",
                "StatisticValues": {"SampleCount": 2, "Sum": 50, "Minimum": 20, "Maximum": 30},
                "Timestamp": t + dt.timedelta(seconds=30),
            },
            {"MetricName": "Lat", "Value": 4, "Timestamp": t + dt.timedelta(minutes=1)},
        ],
    )
    points = _stats(cw, ns, "Lat", 60)
    assert [(p["SampleCount"], p["Sum"], p["Minimum"], p["Maximum"]) for p in points] == [
        (7.0, 69.0, 1.0, 30.0),
        (1.0, 4.0, 4.0, 4.0),
    ]
    assert points[0]["Average"] == pytest.approx(69 / 7)
    assert points[0]["Timestamp"] == t
    # Buckets run from the start time: a 5-minute period from t folds both minutes into one.
    folded = _stats(cw, ns, "Lat", 300, StartTime=t - dt.timedelta(minutes=25))
    assert [(p["Timestamp"], p["SampleCount"]) for p in folded] == [(t, 8.0)]
    shifted = _stats(cw, ns, "Lat", 300, StartTime=t - dt.timedelta(minutes=24))
    assert [p["SampleCount"] for p in shifted] == [7.0, 1.0]


def test_percentiles_from_values(owl_server: OwlServer) -> None:
    cw, ns = owl_server.client("cloudwatch"), _ns()
    t = _minute(-2)
    values = [float(v) for v in range(1, 101)]
    cw.put_metric_data(
        Namespace=ns, MetricData=[{"MetricName": "D", "Values": values, "Timestamp": t}]
    )
    point = _stats(cw, ns, "D", 60, Statistics=None, ExtendedStatistics=["p50", "p90", "p99"])
    assert point[0]["ExtendedStatistics"] == {"p50": 50.0, "p90": 90.0, "p99": 99.0}


def test_dimensions_identify_a_metric_exactly(owl_server: OwlServer) -> None:
    cw, ns = owl_server.client("cloudwatch"), _ns()
    a = [{"Name": "Host", "Value": "a"}]
    ab = [{"Name": "Host", "Value": "a"}, {"Name": "Disk", "Value": "sda"}]
    cw.put_metric_data(
        Namespace=ns,
        MetricData=[
            {"MetricName": "Used", "Dimensions": a, "Value": 1},
            {"MetricName": "Used", "Dimensions": ab, "Value": 2},
            {"MetricName": "Used", "Dimensions": list(reversed(ab)), "Value": 3},
            {"MetricName": "Free", "Value": 9},
        ],
    )
    assert [p["Sum"] for p in _stats(cw, ns, "Used", 60, Dimensions=a)] == [1.0]
    assert [p["Sum"] for p in _stats(cw, ns, "Used", 60, Dimensions=ab)] == [5.0]
    assert _stats(cw, ns, "Used", 60) == []  # no dimensions is another metric
    listed = cw.list_metrics(Namespace=ns)["Metrics"]
    assert len(listed) == 3
    by_host = cw.list_metrics(Namespace=ns, Dimensions=[{"Name": "Host", "Value": "a"}])
    assert len(by_host["Metrics"]) == 2
    by_name = cw.list_metrics(Namespace=ns, Dimensions=[{"Name": "Disk"}])
    assert len(by_name["Metrics"]) == 1
    assert cw.list_metrics(Namespace=ns, MetricName="Free")["Metrics"][0]["Dimensions"] == []
    assert len(cw.list_metrics(Namespace=ns, RecentlyActive="PT3H")["Metrics"]) == 3


def test_get_metric_data_math_labels_order_and_paging(owl_server: OwlServer) -> None:
    cw, ns = owl_server.client("cloudwatch"), _ns()
    data = []
    for i in range(5):
        t = _minute(-10 + i)
        data += [
            {"MetricName": "Errors", "Value": i, "Timestamp": t},
            {"MetricName": "Requests", "Value": 10, "Timestamp": t},
        ]
    cw.put_metric_data(Namespace=ns, MetricData=data)

    def stat(qid: str, name: str, **kw: Any) -> dict[str, Any]:
        metric = {"Namespace": ns, "MetricName": name}
        return {"Id": qid, "MetricStat": {"Metric": metric, "Period": 60, "Stat": "Sum"}, **kw}

    queries = [
        stat("e", "Errors", ReturnData=False),
        stat("r", "Requests", Label="requests"),
        {"Id": "rate", "Expression": "100 * e / r", "Label": "error rate"},
        {"Id": "total", "Expression": "SUM(METRICS())"},
        {"Id": "avg", "Expression": "AVG(e)"},
    ]
    kw = {"StartTime": _minute(-30), "EndTime": _minute(1)}
    results = {
        r["Id"]: r for r in cw.get_metric_data(MetricDataQueries=queries, **kw)["MetricDataResults"]
    }
    assert set(results) == {"r", "rate", "total", "avg"}  # e has ReturnData false
    assert results["r"]["Label"] == "requests"
    assert results["rate"]["Label"] == "error rate"
    assert results["rate"]["Values"] == [40.0, 30.0, 20.0, 10.0, 0.0]  # newest first
    stamps = results["rate"]["Timestamps"]
    assert stamps == sorted(stamps, reverse=True) and stamps[0] == _minute(-6)
    assert results["total"]["Values"] == [14.0, 13.0, 12.0, 11.0, 10.0]
    assert results["avg"]["Values"] == [2.0] * 5
    ascending = cw.get_metric_data(
        MetricDataQueries=[stat("r", "Requests")], ScanBy="TimestampAscending", **kw
    )["MetricDataResults"][0]
    assert ascending["Timestamps"] == sorted(ascending["Timestamps"])

    pages, token = [], None
    while True:
        extra = {"NextToken": token} if token else {}
        page = cw.get_metric_data(
            MetricDataQueries=[stat("e", "Errors")], MaxDatapoints=2, **kw, **extra
        )
        pages.append(page["MetricDataResults"][0]["Values"])
        token = page.get("NextToken")
        if not token:
            break
    assert pages == [[4.0, 3.0], [2.0, 1.0], [0.0]]


def _error(fn: Any, **kw: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as exc:
        fn(**kw)
    return error_of(exc)


def test_put_metric_data_rules(owl_server: OwlServer) -> None:
    cw, ns = owl_server.client("cloudwatch"), _ns()
    put = cw.put_metric_data
    stat_set = {"SampleCount": 1, "Sum": 1, "Minimum": 1, "Maximum": 1}
    cases: list[tuple[str, dict[str, Any]]] = [
        (
            "InvalidParameterValue",
            {"Namespace": "AWS/EC2", "MetricData": [{"MetricName": "m", "Value": 1}]},
        ),
        (
            "InvalidParameterCombination",
            {"MetricData": [{"MetricName": "m", "Value": 1, "StatisticValues": stat_set}]},
        ),
        (
            "InvalidParameterCombination",
            {"MetricData": [{"MetricName": "m", "Value": 1, "Values": [1]}]},
        ),
        (
            "InvalidParameterValue",
            {"MetricData": [{"MetricName": "m", "Values": [1, 2], "Counts": [1]}]},
        ),
        (
            "InvalidParameterValue",
            {"MetricData": [{"MetricName": "m", "Values": [float(v) for v in range(151)]}]},
        ),
        (
            "InvalidParameterValue",
            {"MetricData": [{"MetricName": "m", "Value": 1, "StorageResolution": 5}]},
        ),
        (
            "InvalidParameterValue",
            {"MetricData": [{"MetricName": "m", "Value": 1, "Timestamp": _minute(-15 * 24 * 60)}]},
        ),
        (
            "InvalidParameterValue",
            {"MetricData": [{"MetricName": "m", "Value": 1, "Timestamp": _minute(180)}]},
        ),
        ("InvalidParameterValue", {"MetricData": [{"MetricName": "m", "Value": 2.0**400}]}),
        ("MissingParameter", {"MetricData": [{"MetricName": "m"}]}),
        (
            "InvalidParameterValue",
            {"MetricData": [{"MetricName": "m", "Value": 1, "Unit": "Parsecs"}]},
        ),
    ]
    for want, kw in cases:
        kw.setdefault("Namespace", ns)
        code, message = _error(put, **kw)
        assert code == want, (kw, code, message)
    # None of the refused calls stored anything.
    assert cw.list_metrics(Namespace=ns)["Metrics"] == []
    code, message = _error(
        cw.get_metric_statistics,
        Namespace=ns,
        MetricName="m",
        StartTime=_minute(-3000),
        EndTime=_minute(),
        Period=60,
        Statistics=["Sum"],
    )
    assert code == "InvalidParameterCombination" and "1,440" in message
    code, _ = _error(
        cw.get_metric_statistics,
        Namespace=ns,
        MetricName="m",
        StartTime=_minute(-3),
        EndTime=_minute(),
        Period=60,
        Statistics=["Sum"],
        ExtendedStatistics=["p99"],
    )
    assert code == "InvalidParameterCombination"
    code, _ = _error(
        cw.get_metric_data,
        MetricDataQueries=[{"Id": "x", "Expression": "nope + 1"}],
        StartTime=_minute(-3),
        EndTime=_minute(),
    )
    assert code == "ValidationError" or code == "InvalidParameterValue"


def test_large_bodies_are_gzipped_by_boto3_and_accepted(owl_server: OwlServer) -> None:
    cw, ns = owl_server.client("cloudwatch"), _ns()
    data = [
        {
            "MetricName": f"m{i % 10}",
            "Dimensions": [{"Name": "Instance", "Value": f"i-{i:017d}"}],
            "Value": float(i),
        }
        for i in range(1000)
    ]
    cw.put_metric_data(Namespace=ns, MetricData=data)  # ~100 kB: botocore gzips it
    names: list[str] = []
    token = None
    while True:
        page = cw.list_metrics(Namespace=ns, **({"NextToken": token} if token else {}))
        names += [m["MetricName"] for m in page["Metrics"]]
        token = page.get("NextToken")
        if not token:
            break
    assert len(names) == 1000


def test_high_resolution_metrics_keep_seconds(owl_server: OwlServer) -> None:
    cw, ns = owl_server.client("cloudwatch"), _ns()
    t = _minute(-1)
    cw.put_metric_data(
        Namespace=ns,
        MetricData=[
            {
                "MetricName": "hr",
                "Value": float(s),
                "StorageResolution": 1,
                "Timestamp": t + dt.timedelta(seconds=s),
            }
            for s in range(0, 60, 5)
        ],
    )
    points = _stats(cw, ns, "hr", 10)
    assert [p["Sum"] for p in points] == [0 + 5, 10 + 15, 20 + 25, 30 + 35, 40 + 45, 50 + 55]
    assert [p["Sum"] for p in _stats(cw, ns, "hr", 60)] == [sum(range(0, 60, 5))]


@pytest.fixture
def private(tmp_path: Path) -> Iterator[OwlServer]:
    s = start_server(tmp_path / "data")
    try:
        yield s
    finally:
        s.stop()


def test_metrics_survive_a_restart(private: OwlServer) -> None:
    cw, ns = private.client("cloudwatch"), _ns()
    cw.put_metric_data(
        Namespace=ns, MetricData=[{"MetricName": "kept", "Values": [1, 2, 3], "Unit": "Count"}]
    )
    private.stop()
    again = start_server(private.data_dir)
    try:
        cw = again.client("cloudwatch")
        points = _stats(cw, ns, "kept", 60, Statistics=["Sum"], ExtendedStatistics=None)
        assert [(p["Sum"], p["Unit"]) for p in points] == [(6.0, "Count")]
    finally:
        again.stop()


def test_metric_identities_are_encrypted_at_rest(private: OwlServer) -> None:
    """Namespaces, names and dimension values (which metric filters take from log fields)
    never reach the metric store's files in clear, and read back after a restart."""
    marker = "owl-metric-marker-3b9e"
    cw, logs = private.client("cloudwatch"), private.client()
    cw.put_metric_data(
        Namespace=f"{marker}-ns",
        MetricData=[
            {
                "MetricName": f"{marker}-name",
                "Dimensions": [{"Name": "User", "Value": f"{marker}-put"}],
                "Value": 1.0,
            }
        ],
    )
    logs.create_log_group(logGroupName="/enc/metrics")
    logs.create_log_stream(logGroupName="/enc/metrics", logStreamName="s")
    logs.put_metric_filter(
        logGroupName="/enc/metrics",
        filterName="by-user",
        filterPattern="{ $.user = * }",
        metricTransformations=[
            {
                "metricName": "Logins",
                "metricNamespace": "App",
                "metricValue": "1",
                "dimensions": {"User": "$.user"},
            }
        ],
    )
    ms = int(_minute(-1).timestamp() * 1000)
    logs.put_log_events(
        logGroupName="/enc/metrics",
        logStreamName="s",
        logEvents=[{"timestamp": ms, "message": f'{{"user": "{marker}-log"}}'}],
    )
    assert len(cw.list_metrics()["Metrics"]) == 2  # both are in (the read waits for them)
    private.stop()
    files = [f for f in (private.data_dir / "metrics").iterdir() if f.is_file()]
    assert any(f.name.startswith("metrics.db") for f in files)
    for f in files:
        if f.name.startswith("metrics.db"):
            assert marker.encode() not in f.read_bytes(), f
    again = start_server(private.data_dir)
    try:
        listed = again.client("cloudwatch").list_metrics()["Metrics"]
        values = sorted(d["Value"] for m in listed for d in m["Dimensions"])
        assert values == [f"{marker}-log", f"{marker}-put"]
        assert {m["Namespace"] for m in listed} == {f"{marker}-ns", "App"}
    finally:
        again.stop()
