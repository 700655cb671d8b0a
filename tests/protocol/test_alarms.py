"""Metric alarms through boto3 against a live `--test-hooks` server: the operations and their
errors, evaluation on a moved clock (`/_owl/clock` then `/_owl/alarms`), and actions delivered
to a local HTTP receiver named by OWL_ALARM_ACTIONS."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import botocore.serialize
import pytest
from botocore.exceptions import ClientError

from tests.conftest import OwlServer, start_server
from tests.protocol.support import error_of, owl_hook

OPS = "arn:aws:sns:us-east-1:123456789012:ops"
FLAKY = "arn:aws:sns:us-east-1:123456789012:flaky"
UNMAPPED = "arn:aws:sns:us-east-1:123456789012:nowhere"
HOUR_MS = 3_600_000


class Receiver:
    """An HTTP endpoint on 127.0.0.1 that records POSTs; `failures[path]` answers 500 first."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, Any]]] = []
        self.attempts: dict[str, int] = {}
        self.failures: dict[str, int] = {"/flaky": 2}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.attempts[self.path] = receiver.attempts.get(self.path, 0) + 1
                if receiver.attempts[self.path] <= receiver.failures.get(self.path, 0):
                    self.send_response(500)
                    self.end_headers()
                    return
                receiver.posts.append((self.path, json.loads(body)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def messages(self, alarm: str) -> list[dict[str, Any]]:
        """The alarm messages received for `alarm`, in order."""
        out = []
        for _, body in self.posts:
            message = json.loads(body["Message"])
            if message["AlarmName"] == alarm:
                out.append({**message, "_envelope": body})
        return out


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.http.shutdown()
    r.http.server_close()


def _env(receiver: Receiver) -> dict[str, str]:
    actions = {OPS: f"{receiver.url}/ops", FLAKY: f"{receiver.url}/flaky"}
    return {"OWL_ALARM_ACTIONS": json.dumps(actions)}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, receiver: Receiver) -> Iterator[OwlServer]:
    s = start_server(tmp_path_factory.mktemp("alarms") / "data", "--test-hooks", env=_env(receiver))
    yield s
    s.stop()


@pytest.fixture
def cw(server: OwlServer) -> Any:
    return server.client("cloudwatch")


def _alarm(cw: Any, name: str, **kw: Any) -> None:
    args: dict[str, Any] = {
        "AlarmName": name,
        "Namespace": "Owl/Test",
        "MetricName": name,
        "Statistic": "Maximum",
        "Period": 3600,
        "EvaluationPeriods": 1,
        "Threshold": 1.0,
        "ComparisonOperator": "GreaterThanThreshold",
    }
    args.update(kw)
    cw.put_metric_alarm(**args)


def _put(cw: Any, name: str, value: float) -> None:
    cw.put_metric_data(Namespace="Owl/Test", MetricData=[{"MetricName": name, "Value": value}])


def _state(cw: Any, name: str) -> dict[str, Any]:
    return dict(cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0])


def _next_hour(server: OwlServer) -> None:
    owl_hook(server, "clock", {"advance_ms": HOUR_MS})
    owl_hook(server, "alarms")


def test_new_alarm_is_described_with_every_member(cw: Any, server: OwlServer) -> None:
    _alarm(
        cw,
        "described",
        Dimensions=[{"Name": "Host", "Value": "a"}],
        AlarmDescription="why",
        AlarmActions=[OPS],
        Unit="Count",
        DatapointsToAlarm=1,
    )
    a = _state(cw, "described")
    assert a["StateValue"] == "INSUFFICIENT_DATA"
    assert a["StateReason"] == "Unchecked: Initial alarm creation"
    assert a["AlarmArn"].startswith("arn:aws:cloudwatch:us-east-1:")
    assert a["AlarmArn"].endswith(":alarm:described")
    assert a["AlarmDescription"] == "why"
    assert a["ActionsEnabled"] is True
    assert a["AlarmActions"] == [OPS] and a["OKActions"] == []
    assert a["Dimensions"] == [{"Name": "Host", "Value": "a"}]
    assert (a["Statistic"], a["Period"], a["Unit"]) == ("Maximum", 3600, "Count")
    assert (a["EvaluationPeriods"], a["DatapointsToAlarm"], a["Threshold"]) == (1, 1, 1.0)
    assert a["TreatMissingData"] == "missing"
    for key in (
        "AlarmConfigurationUpdatedTimestamp",
        "StateUpdatedTimestamp",
        "StateTransitionedTimestamp",
    ):
        assert key in a
    assert cw.describe_alarms(AlarmNames=["described"])["CompositeAlarms"] == []
    found = cw.describe_alarms_for_metric(
        Namespace="Owl/Test", MetricName="described", Dimensions=[{"Name": "Host", "Value": "a"}]
    )["MetricAlarms"]
    assert [x["AlarmName"] for x in found] == ["described"]
    assert (
        cw.describe_alarms_for_metric(Namespace="Owl/Test", MetricName="described")["MetricAlarms"]
        == []
    )


def test_alarm_goes_to_alarm_and_back_to_ok_with_one_notification_each(
    cw: Any, server: OwlServer, receiver: Receiver
) -> None:
    name = "cycle"
    _alarm(cw, name, AlarmActions=[OPS], OKActions=[OPS], AlarmDescription="cpu")
    owl_hook(server, "alarms")
    _put(cw, name, 5.0)
    _next_hour(server)
    a = _state(cw, name)
    assert a["StateValue"] == "ALARM"
    assert a["StateReason"].startswith("Threshold Crossed: 1 out of the last 1 datapoints [5.0 (")
    assert a["StateReason"].endswith(
        "was greater than the threshold (1.0)"
        " (minimum 1 datapoint for INSUFFICIENT_DATA -> ALARM transition)."
    )
    assert json.loads(a["StateReasonData"])["recentDatapoints"] == [5.0]
    _put(cw, name, 0.5)
    _next_hour(server)
    assert _state(cw, name)["StateValue"] == "OK"
    got = receiver.messages(name)
    assert [m["NewStateValue"] for m in got] == ["ALARM", "OK"]
    assert [m["OldStateValue"] for m in got] == ["INSUFFICIENT_DATA", "ALARM"]
    first = got[0]
    envelope = first["_envelope"]
    assert envelope["Type"] == "Notification" and envelope["TopicArn"] == OPS
    assert envelope["Subject"] == 'ALARM: "cycle" in us-east-1'
    assert envelope["MessageId"]
    assert first["AlarmDescription"] == "cpu" and first["Region"] == "us-east-1"
    assert first["AlarmArn"] == a["AlarmArn"]
    trigger = first["Trigger"]
    assert (trigger["MetricName"], trigger["Namespace"]) == (name, "Owl/Test")
    assert (trigger["StatisticType"], trigger["Statistic"]) == ("Statistic", "MAXIMUM")
    assert trigger["Period"] == 3600 and trigger["Threshold"] == 1.0
    assert trigger["ComparisonOperator"] == "GreaterThanThreshold"
    history = cw.describe_alarm_history(AlarmName=name, HistoryItemType="StateUpdate")
    items = history["AlarmHistoryItems"]
    assert [i["HistorySummary"] for i in items] == [
        "Alarm updated from ALARM to OK",
        "Alarm updated from INSUFFICIENT_DATA to ALARM",
    ]
    data = json.loads(items[1]["HistoryData"])
    assert data["version"] == "1.0"
    assert data["oldState"]["stateValue"] == "INSUFFICIENT_DATA"
    assert data["newState"]["stateValue"] == "ALARM"
    assert data["newState"]["stateReasonData"]["recentDatapoints"] == [5.0]
    actions = cw.describe_alarm_history(AlarmName=name, HistoryItemType="Action")
    assert [i["HistorySummary"] for i in actions["AlarmHistoryItems"]] == [
        f"Successfully executed action {OPS}"
    ] * 2
    ascending = cw.describe_alarm_history(AlarmName=name, ScanBy="TimestampAscending")
    types = [i["HistoryItemType"] for i in ascending["AlarmHistoryItems"]]
    assert types[0] == "ConfigurationUpdate" and "StateUpdate" in types


def test_m_out_of_n(cw: Any, server: OwlServer) -> None:
    name = "m-of-n"
    _alarm(cw, name, EvaluationPeriods=3, DatapointsToAlarm=2, TreatMissingData="notBreaching")
    owl_hook(server, "alarms")
    seen = []
    for value in (5.0, 0.0, 5.0):
        _put(cw, name, value)
        _next_hour(server)
        seen.append(_state(cw, name)["StateValue"])
    assert seen == ["OK", "OK", "ALARM"]
    reason = _state(cw, name)["StateReason"]
    assert reason.startswith("Threshold Crossed: 2 out of the last 3 datapoints [")
    assert "(minimum 2 datapoints for OK -> ALARM transition)" in reason


@pytest.mark.parametrize(
    ("treat", "expected"),
    [
        ("missing", "INSUFFICIENT_DATA"),
        ("breaching", "ALARM"),
        ("notBreaching", "OK"),
        ("ignore", "INSUFFICIENT_DATA"),
    ],
)
def test_treat_missing_data_without_any_data(
    cw: Any, server: OwlServer, treat: str, expected: str
) -> None:
    name = f"nodata-{treat}"
    _alarm(cw, name, TreatMissingData=treat)
    owl_hook(server, "alarms")
    assert _state(cw, name)["StateValue"] == expected


def test_treat_missing_data_with_one_of_two_periods_empty(cw: Any, server: OwlServer) -> None:
    expected = {"breaching": "ALARM", "notBreaching": "OK", "missing": "OK", "ignore": "OK"}
    for treat in expected:
        _alarm(
            cw,
            f"partial-{treat}",
            MetricName="partial",
            EvaluationPeriods=2,
            TreatMissingData=treat,
        )
    owl_hook(server, "alarms")
    _put(cw, "partial", 5.0)
    _next_hour(server)
    got = {t: _state(cw, f"partial-{t}")["StateValue"] for t in expected}
    assert got == expected
    # breaching was in ALARM from its first evaluation (both periods empty) and stayed there.
    reason = _state(cw, "partial-breaching")["StateReason"]
    assert reason.endswith("2 missing datapoints were treated as [Breaching].")


def test_ignore_keeps_and_missing_resets_a_set_state(cw: Any, server: OwlServer) -> None:
    for treat, after in (("ignore", "OK"), ("missing", "INSUFFICIENT_DATA")):
        name = f"held-{treat}"
        _alarm(cw, name, TreatMissingData=treat)
        owl_hook(server, "alarms")
        cw.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="by hand")
        a = _state(cw, name)
        assert (a["StateValue"], a["StateReason"]) == ("OK", "by hand")
        owl_hook(server, "alarms")
        assert _state(cw, name)["StateValue"] == after


def test_set_alarm_state_sends_actions_and_checks_its_input(
    cw: Any, server: OwlServer, receiver: Receiver
) -> None:
    name = "set-state"
    _alarm(cw, name, AlarmActions=[OPS])
    owl_hook(server, "alarms")
    cw.set_alarm_state(
        AlarmName=name, StateValue="ALARM", StateReason="test", StateReasonData='{"a": 1}'
    )
    a = _state(cw, name)
    assert (a["StateValue"], a["StateReason"], a["StateReasonData"]) == (
        "ALARM",
        "test",
        '{"a": 1}',
    )
    owl_hook(server, "alarms")  # waits for deliveries
    assert [m["NewStateValue"] for m in receiver.messages(name)] == ["ALARM"]
    with pytest.raises(ClientError) as e:
        cw.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="x", StateReasonData="{")
    assert error_of(e)[0] == "InvalidFormat"
    with pytest.raises(ClientError) as e:
        cw.set_alarm_state(AlarmName="no-such-alarm", StateValue="OK", StateReason="x")
    assert error_of(e)[0] == "ResourceNotFound"


def test_disabled_actions_send_nothing(cw: Any, server: OwlServer, receiver: Receiver) -> None:
    name = "quiet"
    _alarm(cw, name, AlarmActions=[OPS], OKActions=[OPS], TreatMissingData="breaching")
    cw.disable_alarm_actions(AlarmNames=[name, "unknown-is-ignored"])
    assert _state(cw, name)["ActionsEnabled"] is False
    owl_hook(server, "alarms")
    assert _state(cw, name)["StateValue"] == "ALARM"
    assert receiver.messages(name) == []
    cw.enable_alarm_actions(AlarmNames=[name])
    cw.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="enabled again")
    owl_hook(server, "alarms")  # back to ALARM (missing data breaches), notified too
    assert [m["NewStateValue"] for m in receiver.messages(name)] == ["OK", "ALARM"]


def test_failing_receiver_is_retried(cw: Any, server: OwlServer, receiver: Receiver) -> None:
    name = "retried"
    _alarm(cw, name, AlarmActions=[FLAKY], TreatMissingData="breaching")
    owl_hook(server, "alarms")
    assert receiver.attempts["/flaky"] == 3
    assert [m["NewStateValue"] for m in receiver.messages(name)] == ["ALARM"]
    items = cw.describe_alarm_history(
        AlarmName=name, HistoryItemType="Action", ScanBy="TimestampAscending"
    )["AlarmHistoryItems"]
    summaries = [i["HistorySummary"] for i in items]
    assert (
        summaries[:2] == [f"Failed to execute action {FLAKY}. Received error: HTTP status 500"] * 2
    )
    assert summaries[2] == f"Successfully executed action {FLAKY}"
    assert json.loads(items[2]["HistoryData"])["actionState"] == "Succeeded"


def test_unmapped_action_is_a_failed_history_item(cw: Any, server: OwlServer) -> None:
    name = "unmapped"
    _alarm(cw, name, AlarmActions=[UNMAPPED], TreatMissingData="breaching")
    owl_hook(server, "alarms")
    items = cw.describe_alarm_history(AlarmName=name, HistoryItemType="Action")
    [item] = items["AlarmHistoryItems"]
    assert item["HistorySummary"].startswith(f"Failed to execute action {UNMAPPED}")
    assert json.loads(item["HistoryData"])["actionState"] == "Failed"


def test_metric_math_alarm(cw: Any, server: OwlServer) -> None:
    name = "math"
    metric = {"Namespace": "Owl/Test", "MetricName": name}
    cw.put_metric_alarm(
        AlarmName=name,
        EvaluationPeriods=1,
        Threshold=10.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        Metrics=[
            {
                "Id": "m1",
                "MetricStat": {"Metric": metric, "Period": 3600, "Stat": "Sum"},
                "ReturnData": False,
            },
            {"Id": "e1", "Expression": "m1 * 2", "ReturnData": True},
        ],
    )
    owl_hook(server, "alarms")
    _put(cw, name, 5.0)
    _next_hour(server)
    a = _state(cw, name)
    assert a["StateValue"] == "ALARM"
    assert [q["Id"] for q in a["Metrics"]] == ["m1", "e1"]
    assert "MetricName" not in a


def test_update_keeps_state_and_records_configuration(cw: Any, server: OwlServer) -> None:
    name = "updated"
    _alarm(cw, name, TreatMissingData="breaching")
    owl_hook(server, "alarms")
    _alarm(cw, name, TreatMissingData="breaching", Threshold=2.0)
    a = _state(cw, name)
    assert (a["StateValue"], a["Threshold"]) == ("ALARM", 2.0)
    items = cw.describe_alarm_history(AlarmName=name, HistoryItemType="ConfigurationUpdate")[
        "AlarmHistoryItems"
    ]
    assert [i["HistorySummary"] for i in items] == [
        f'Alarm "{name}" updated',
        f'Alarm "{name}" created',
    ]
    assert json.loads(items[0]["HistoryData"])["type"] == "Update"


def test_describe_filters_and_pages(cw: Any, server: OwlServer) -> None:
    for i in range(5):
        _alarm(cw, f"page-{i}", AlarmActions=[OPS] if i % 2 else [])
    names = []
    token = None
    while True:
        kw = {"NextToken": token} if token else {}
        r = cw.describe_alarms(AlarmNamePrefix="page-", MaxRecords=2, **kw)
        names += [a["AlarmName"] for a in r["MetricAlarms"]]
        token = r.get("NextToken")
        if not token:
            break
    assert names == [f"page-{i}" for i in range(5)]
    with_ops = cw.describe_alarms(AlarmNamePrefix="page-", ActionPrefix="arn:aws:sns:")
    assert [a["AlarmName"] for a in with_ops["MetricAlarms"]] == ["page-1", "page-3"]
    assert cw.describe_alarms(AlarmTypes=["CompositeAlarm"])["MetricAlarms"] == []
    r = cw.describe_alarms(AlarmNamePrefix="page-", StateValue="ALARM")
    assert r["MetricAlarms"] == []
    with pytest.raises(ClientError) as e:
        cw.describe_alarms(NextToken="forged")
    assert error_of(e)[0] == "InvalidNextToken"
    with pytest.raises(ClientError) as e:
        cw.describe_alarms(AlarmNames=["a"], AlarmNamePrefix="a")
    assert error_of(e)[0] == "InvalidParameterCombination"
    cw.delete_alarms(AlarmNames=["page-0", "page-1", "never-existed"])
    left = cw.describe_alarms(AlarmNamePrefix="page-")["MetricAlarms"]
    assert [a["AlarmName"] for a in left] == ["page-2", "page-3", "page-4"]
    assert cw.describe_alarm_history(AlarmName="page-0")["AlarmHistoryItems"] == []


def test_tags(cw: Any, server: OwlServer) -> None:
    _alarm(cw, "tagged", Tags=[{"Key": "team", "Value": "owl"}])
    arn = _state(cw, "tagged")["AlarmArn"]
    assert cw.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "team", "Value": "owl"}]
    cw.tag_resource(ResourceARN=arn, Tags=[{"Key": "env", "Value": "test"}])
    cw.untag_resource(ResourceARN=arn, TagKeys=["team"])
    assert cw.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "env", "Value": "test"}]
    with pytest.raises(ClientError) as e:
        cw.list_tags_for_resource(ResourceARN=arn.replace(":tagged", ":absent"))
    assert error_of(e)[0] == "ResourceNotFoundException"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"ExtendedStatistic": "p99"}, "InvalidParameterCombination"),
        ({"Period": 45}, "InvalidParameterValue"),
        ({"Period": 60, "EvaluationPeriods": 1441}, "InvalidParameterValue"),
        ({"EvaluationPeriods": 2, "DatapointsToAlarm": 3}, "ValidationError"),
        ({"TreatMissingData": "sometimes"}, "InvalidParameterValue"),
        ({"ComparisonOperator": "LessThanLowerThreshold"}, "InvalidParameterValue"),
        ({"AlarmActions": ["not-an-arn"]}, "InvalidParameterValue"),
        ({"ExtendedStatistic": "p99", "Statistic": None}, None),
        ({"ExtendedStatistic": "bogus", "Statistic": None}, "InvalidParameterValue"),
    ],
)
def test_put_metric_alarm_errors(cw: Any, changes: dict[str, Any], code: str | None) -> None:
    args: dict[str, Any] = {
        "AlarmName": "invalid",
        "Namespace": "Owl/Test",
        "MetricName": "invalid",
        "Statistic": "Average",
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": 1.0,
        "ComparisonOperator": "GreaterThanThreshold",
    }
    args.update(changes)
    args = {k: v for k, v in args.items() if v is not None}
    if code is None:
        cw.put_metric_alarm(**args)
        cw.delete_alarms(AlarmNames=["invalid"])
        return
    with pytest.raises(ClientError) as e:
        cw.put_metric_alarm(**args)
    assert error_of(e)[0] == code


def test_metric_math_errors(cw: Any) -> None:
    metric = {"Namespace": "Owl/Test", "MetricName": "x"}
    stat = {"Metric": metric, "Period": 60, "Stat": "Sum"}
    common: dict[str, Any] = {
        "AlarmName": "bad-math",
        "EvaluationPeriods": 1,
        "Threshold": 1.0,
        "ComparisonOperator": "GreaterThanThreshold",
    }
    with pytest.raises(ClientError) as e:
        cw.put_metric_alarm(
            **common, Metrics=[{"Id": "m1", "MetricStat": stat}, {"Id": "m2", "MetricStat": stat}]
        )
    assert error_of(e)[0] == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        cw.put_metric_alarm(**common, MetricName="x", Metrics=[{"Id": "m1", "MetricStat": stat}])
    assert error_of(e)[0] == "InvalidParameterCombination"


def test_alarms_and_history_survive_restart(tmp_path: Path, receiver: Receiver) -> None:
    data = tmp_path / "data"
    first = start_server(data, "--test-hooks", env=_env(receiver))
    try:
        cw = first.client("cloudwatch")
        _alarm(cw, "durable", TreatMissingData="breaching", Tags=[{"Key": "k", "Value": "v"}])
        owl_hook(first, "alarms")
        before = _state(cw, "durable")
    finally:
        first.stop()
    second = start_server(data, "--test-hooks", env=_env(receiver))
    try:
        cw = second.client("cloudwatch")
        after = _state(cw, "durable")
        assert after == before
        assert after["StateValue"] == "ALARM"
        history = cw.describe_alarm_history(AlarmName="durable")["AlarmHistoryItems"]
        assert {i["HistoryItemType"] for i in history} == {"ConfigurationUpdate", "StateUpdate"}
        tags = cw.list_tags_for_resource(ResourceARN=after["AlarmArn"])["Tags"]
        assert tags == [{"Key": "k", "Value": "v"}]
    finally:
        second.stop()


@pytest.mark.parametrize("protocol", ["json", "query", "smithy-rpc-v2-cbor"])
def test_every_protocol(server: OwlServer, protocol: str) -> None:
    """The alarm shapes survive the query XML and CBOR serializers too (botocore forced to
    each protocol, as the CloudWatch protocol tests do)."""
    cw = server.client("cloudwatch")
    if protocol != "json":
        cw.meta.service_model.__dict__["resolved_protocol"] = protocol
        cw._serializer = botocore.serialize.create_serializer(protocol, True)
    name = f"wire-{protocol}"
    _alarm(cw, name, Dimensions=[{"Name": "D", "Value": "v"}], OKActions=[OPS])
    cw.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="wire", StateReasonData="{}")
    a = _state(cw, name)
    assert (a["StateValue"], a["Dimensions"], a["OKActions"]) == (
        "ALARM",
        [{"Name": "D", "Value": "v"}],
        [OPS],
    )
    assert a["StateUpdatedTimestamp"].year >= 2026
    items = cw.describe_alarm_history(AlarmName=name)["AlarmHistoryItems"]
    assert [i["HistoryItemType"] for i in items] == ["StateUpdate", "ConfigurationUpdate"]
    assert (
        cw.describe_alarms_for_metric(
            Namespace="Owl/Test", MetricName=name, Dimensions=[{"Name": "D", "Value": "v"}]
        )["MetricAlarms"][0]["AlarmName"]
        == name
    )
    with pytest.raises(ClientError) as e:
        cw.set_alarm_state(AlarmName="absent", StateValue="OK", StateReason="x")
    assert error_of(e)[0] == "ResourceNotFound"
    cw.delete_alarms(AlarmNames=[name])


def test_alarm_actions_flag_takes_a_file(tmp_path: Path, receiver: Receiver) -> None:
    """`owl serve --alarm-actions FILE` maps action ARNs like OWL_ALARM_ACTIONS does."""
    mapping = tmp_path / "actions.json"
    mapping.write_text(json.dumps({OPS: f"{receiver.url}/from-file"}))
    s = start_server(tmp_path / "data", "--test-hooks", "--alarm-actions", str(mapping))
    try:
        cw = s.client("cloudwatch")
        _alarm(cw, "flagged", AlarmActions=[OPS])
        _put(cw, "flagged", 5.0)
        _next_hour(s)
        assert _state(cw, "flagged")["StateValue"] == "ALARM"
        got = [path for path, body in receiver.posts if "flagged" in body["Message"]]
        assert got == ["/from-file"]
    finally:
        s.stop()
