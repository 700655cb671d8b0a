"""Metric alarms: PutMetricAlarm, DescribeAlarms, DescribeAlarmsForMetric, DescribeAlarmHistory,
DeleteAlarms, SetAlarmState, Enable/DisableAlarmActions and tagging of alarm ARNs.

The checks here are the ones CloudWatch makes beyond the model (which the protocol layer has
already applied); storage, evaluation and delivery live in owl.metrics.alarms.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

from owl.errors import InvalidInputError, NotFoundError
from owl.metrics.alarms import (
    INSUFFICIENT,
    Alarm,
    AlarmEngine,
    HistoryItem,
)
from owl.metrics.alarms import STATIC_OPERATORS as _STATIC
from owl.metrics.alarms import TREATMENTS as _TREATMENTS
from owl.metrics.statistics import BASIC, parse_stat
from owl.protocol.errors import AwsError
from owl.services.base import Call, Params, Result
from owl.services.monitoring import MONITORING
from owl.services.monitoring.common import (
    combination,
    invalid,
    missing,
    next_token,
    position,
)

DEFAULT_RECORDS = 50
HISTORY_RECORDS = 100
MAX_TAGS = 50
# Members of the single-metric form, which a Metrics (metric math) alarm may not carry.
_SINGLE = ("MetricName", "Namespace", "Statistic", "ExtendedStatistic", "Dimensions", "Period")
_ARN = re.compile(r"arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d*:.+")
_ALARM_ARN = re.compile(r"arn:aws[a-z-]*:cloudwatch:([a-z0-9-]+):(\d{12}):alarm:(.+)")


def _engine(call: Call) -> AlarmEngine:
    engine = call.backends.alarms
    assert engine is not None, "the server attaches the alarm engine at start"
    return engine


def _check_period(period: int, where: str) -> None:
    if period not in (10, 20, 30) and (period <= 0 or period % 60):
        raise invalid(f"The parameter {where} must be 10, 20, 30 or a multiple of 60.")


def _check_single(p: Params) -> None:
    for name in ("Namespace", "MetricName", "Period"):
        if name not in p:
            raise missing(name)
    if "Statistic" in p and "ExtendedStatistic" in p:
        raise combination(
            "The parameters Statistic and ExtendedStatistic are mutually exclusive and you"
            " have specified both."
        )
    if "Statistic" not in p and "ExtendedStatistic" not in p:
        raise InvalidInputError(
            "Exactly one of Statistic or ExtendedStatistic must be specified.", reason="missing"
        )
    ext = p.get("ExtendedStatistic")
    if ext is not None and (ext in BASIC or parse_stat(ext) is None):
        raise invalid(f"The value {ext} for parameter ExtendedStatistic is not supported.")
    low = p.get("EvaluateLowSampleCountPercentile")
    if low is not None and low not in ("evaluate", "ignore"):
        raise invalid(
            f"The value {low} for parameter EvaluateLowSampleCountPercentile is not supported."
        )
    if low is not None and ext is None:
        raise combination(
            "The parameter EvaluateLowSampleCountPercentile needs a percentile ExtendedStatistic."
        )
    if len({d["Name"] for d in p.get("Dimensions") or []}) != len(p.get("Dimensions") or []):
        raise invalid("No Metric may specify the same dimension twice.")
    _check_period(int(p["Period"]), "Period")


def _check_metrics(p: Params) -> int:
    """Check a metric math alarm's queries; returns the period it evaluates on."""
    given = [k for k in _SINGLE if k in p]
    if given:
        raise combination(
            f"The parameters Metrics and {given[0]} are mutually exclusive and you have"
            " specified both."
        )
    queries = p["Metrics"]
    if sum(bool(q.get("ReturnData", True)) for q in queries) != 1:
        raise invalid("Exactly one element of the metrics list should return data.")
    ids = [q["Id"] for q in queries]
    if len(set(ids)) != len(ids):
        raise invalid("The values of Metrics.member.N.Id must be unique.")
    periods: list[int] = []
    for i, q in enumerate(queries, 1):
        where = f"Metrics.member.{i}"
        if ("MetricStat" in q) == ("Expression" in q):
            raise combination(
                f"Exactly one of {where}.MetricStat and {where}.Expression must be given."
            )
        if not re.fullmatch(r"[a-z][A-Za-z0-9_]*", q["Id"]):
            raise invalid(f"The value {q['Id']} for parameter {where}.Id is invalid.")
        if "MetricStat" in q:
            ms = q["MetricStat"]
            if parse_stat(ms["Stat"]) is None:
                raise invalid(
                    f"The value {ms['Stat']} for parameter {where}.MetricStat.Stat is invalid."
                )
            _check_period(int(ms["Period"]), f"{where}.MetricStat.Period")
            periods.append(int(ms["Period"]))
        elif q.get("Period"):
            _check_period(int(q["Period"]), f"{where}.Period")
            periods.append(int(q["Period"]))
    if not periods:
        raise invalid("A metric math alarm needs at least one MetricStat.")
    return periods[0]


def _check_actions(p: Params) -> None:
    for key in ("OKActions", "AlarmActions", "InsufficientDataActions"):
        actions = p.get(key) or []
        if len(actions) > 5:
            raise invalid(f"The collection {key} must not have a size greater than 5.")
        for arn in actions:
            if not _ARN.fullmatch(arn):
                raise invalid(f"Invalid arn syntax: {arn}")


@MONITORING.operation("PutMetricAlarm")
def put_metric_alarm(call: Call, p: Params) -> Result:
    if p.get("EvaluationCriteria") or p.get("ThresholdMetricId"):
        raise invalid("owl evaluates static thresholds only (no PromQL or anomaly band alarms).")
    operator = p.get("ComparisonOperator")
    if operator is None:
        raise missing("ComparisonOperator")
    if operator not in _STATIC:
        raise invalid(
            f"The value {operator} for parameter ComparisonOperator is not supported: owl has"
            " no anomaly detection models."
        )
    if "Threshold" not in p:
        raise missing("Threshold")
    if "EvaluationPeriods" not in p:
        raise missing("EvaluationPeriods")
    if "Metrics" in p:
        period = _check_metrics(p)
    elif "MetricName" in p or "Namespace" in p:
        _check_single(p)
        period = int(p["Period"])
    else:
        raise combination("Exactly one of MetricName and Metrics must be specified.")
    n = int(p["EvaluationPeriods"])
    m = int(p.get("DatapointsToAlarm") or n)
    if m > n:
        raise AwsError(
            "ValidationException",
            "DatapointsToAlarm must be less than or equal to EvaluationPeriods",
        )
    limit, span = (604_800, "week") if period >= 3600 else (86_400, "day")
    if n * period > limit:
        raise invalid(
            f"Metrics cannot be checked across more than a {span} (EvaluationPeriods * Period"
            f" must be <= {limit})"
        )
    treat = p.get("TreatMissingData", "missing")
    if treat not in _TREATMENTS:
        raise invalid(
            f"The value {treat} for parameter TreatMissingData is not supported: it must be"
            " breaching, notBreaching, ignore or missing."
        )
    _check_actions(p)
    tags = p.get("Tags") or []
    if len(tags) > MAX_TAGS:
        raise invalid(f"The collection Tags must not have a size greater than {MAX_TAGS}.")
    config = {k: v for k, v in p.items() if k != "Tags"}
    config.setdefault("ActionsEnabled", True)
    engine = _engine(call)
    now = call.backends.clock.now_ms()
    account, region, name = call.scope.account_id, call.scope.region, p["AlarmName"]
    with engine.mutex:
        _save_alarm(engine, account, region, name, config, tags, now)
    return None


def _save_alarm(
    engine: AlarmEngine,
    account: str,
    region: str,
    name: str,
    config: dict[str, Any],
    tags: list[dict[str, str]],
    now: int,
) -> None:
    old = engine.store.get(account, region, name)
    if old is None:
        alarm = Alarm(
            account,
            region,
            name,
            config,
            {t["Key"]: t["Value"] for t in tags},
            state_updated_ms=now,
            state_transitioned_ms=now,
            config_updated_ms=now,
        )
        kind, summary = "Create", f'Alarm "{name}" created'
        data: dict[str, Any] = {"type": kind, "createdAlarm": describe(alarm)}
    else:
        # CloudWatch keeps the state and the tags of an alarm it updates; it evaluates anew.
        alarm = replace(old, config=config, config_updated_ms=now, next_eval_s=0)
        kind, summary = "Update", f'Alarm "{name}" updated'
        data = {"type": kind, "originalAlarm": describe(old), "updatedAlarm": describe(alarm)}
    item = HistoryItem(
        name, now, "ConfigurationUpdate", summary, json.dumps({"version": "1.0", **data})
    )
    engine.store.save(alarm, item)


def describe(alarm: Alarm) -> dict[str, Any]:
    """The MetricAlarm shape of an alarm (timestamps as epoch seconds)."""
    c = alarm.config
    out: dict[str, Any] = {
        "AlarmName": alarm.name,
        "AlarmArn": alarm.arn,
        "AlarmConfigurationUpdatedTimestamp": alarm.config_updated_ms / 1000,
        "ActionsEnabled": bool(c.get("ActionsEnabled", True)),
        "OKActions": list(c.get("OKActions") or []),
        "AlarmActions": list(c.get("AlarmActions") or []),
        "InsufficientDataActions": list(c.get("InsufficientDataActions") or []),
        "StateValue": alarm.state,
        "StateReason": alarm.reason,
        "StateUpdatedTimestamp": alarm.state_updated_ms / 1000,
        "StateTransitionedTimestamp": alarm.state_transitioned_ms / 1000,
        "Dimensions": list(c.get("Dimensions") or []),
        "EvaluationPeriods": int(c["EvaluationPeriods"]),
        "DatapointsToAlarm": int(c.get("DatapointsToAlarm") or c["EvaluationPeriods"]),
        "Threshold": float(c["Threshold"]),
        "ComparisonOperator": c["ComparisonOperator"],
        "TreatMissingData": c.get("TreatMissingData", "missing"),
    }
    if alarm.reason_data:
        out["StateReasonData"] = alarm.reason_data
    for key in (
        "AlarmDescription",
        "MetricName",
        "Namespace",
        "Statistic",
        "ExtendedStatistic",
        "Period",
        "Unit",
        "EvaluateLowSampleCountPercentile",
        "Metrics",
    ):
        if key in c:
            out[key] = c[key]
    return out


def _page(
    call: Call, purpose: str, items: list[Any], p: Params, default: int
) -> tuple[list[Any], str | None]:
    start = position(call, purpose, p.get("NextToken"))
    size = int(p.get("MaxRecords") or default)
    token = None
    if start + size < len(items):
        token = next_token(call, purpose, start + size)
    return items[start : start + size], token


def _alarms(call: Call) -> list[Alarm]:
    return _engine(call).store.alarms(call.scope.account_id, call.scope.region)


@MONITORING.operation("DescribeAlarms")
def describe_alarms(call: Call, p: Params) -> Result:
    names, prefix = p.get("AlarmNames"), p.get("AlarmNamePrefix")
    if names and prefix:
        raise combination(
            "The parameters AlarmNames and AlarmNamePrefix are mutually exclusive and you have"
            " specified both."
        )
    types = p.get("AlarmTypes")
    found = [] if types and "MetricAlarm" not in types else _alarms(call)
    if names:
        found = [a for a in found if a.name in set(names)]
    if prefix:
        found = [a for a in found if a.name.startswith(prefix)]
    if p.get("StateValue"):
        found = [a for a in found if a.state == p["StateValue"]]
    if p.get("ActionPrefix"):
        ap = p["ActionPrefix"]
        found = [
            a
            for a in found
            if any(
                arn.startswith(ap) for s in ("OK", "ALARM", INSUFFICIENT) for arn in a.actions(s)
            )
        ]
    if p.get("ChildrenOfAlarmName") or p.get("ParentsOfAlarmName"):
        found = []  # no composite alarms
    page, token = _page(call, "describe-alarms", found, p, DEFAULT_RECORDS)
    answer: dict[str, Any] = {"MetricAlarms": [describe(a) for a in page], "CompositeAlarms": []}
    if token:
        answer["NextToken"] = token
    return answer


def _uses(alarm: Alarm, p: Params, dims: list[tuple[str, str]]) -> bool:
    """Whether an alarm watches the metric (and statistic, period, unit) that `p` names."""
    c = alarm.config
    specs: list[dict[str, Any]] = []
    if alarm.metric_queries:
        for q in alarm.metric_queries:
            if "MetricStat" in q:
                ms = q["MetricStat"]
                specs.append(
                    {
                        **ms["Metric"],
                        "Period": ms["Period"],
                        "Unit": ms.get("Unit"),
                        "Stat": ms["Stat"],
                    }
                )
    else:
        specs.append({**c, "Stat": c.get("Statistic") or c.get("ExtendedStatistic")})
    for s in specs:
        if (s.get("Namespace"), s.get("MetricName")) != (p["Namespace"], p["MetricName"]):
            continue
        if sorted((d["Name"], d["Value"]) for d in s.get("Dimensions") or []) != dims:
            continue
        stat = p.get("Statistic") or p.get("ExtendedStatistic")
        if stat is not None and s.get("Stat") != stat:
            continue
        if p.get("Period") is not None and int(s["Period"]) != int(p["Period"]):
            continue
        if p.get("Unit") is not None and s.get("Unit") != p["Unit"]:
            continue
        return True
    return False


@MONITORING.operation("DescribeAlarmsForMetric")
def describe_alarms_for_metric(call: Call, p: Params) -> Result:
    dims = sorted((d["Name"], d["Value"]) for d in p.get("Dimensions") or [])
    return {"MetricAlarms": [describe(a) for a in _alarms(call) if _uses(a, p, dims)]}


@MONITORING.operation("DescribeAlarmHistory")
def describe_alarm_history(call: Call, p: Params) -> Result:
    types = p.get("AlarmTypes")
    start = p.get("StartDate")
    end = p.get("EndDate")
    items = (
        []
        if types and "MetricAlarm" not in types
        else _engine(call).store.history(
            call.scope.account_id,
            call.scope.region,
            name=p.get("AlarmName"),
            item_type=p.get("HistoryItemType"),
            start_ms=None if start is None else int(float(start) * 1000),
            end_ms=None if end is None else int(float(end) * 1000),
            ascending=p.get("ScanBy") == "TimestampAscending",
        )
    )
    page, token = _page(call, "alarm-history", items, p, HISTORY_RECORDS)
    answer: dict[str, Any] = {
        "AlarmHistoryItems": [
            {
                "AlarmName": h.name,
                "AlarmType": "MetricAlarm",
                "Timestamp": h.ts_ms / 1000,
                "HistoryItemType": h.type,
                "HistorySummary": h.summary,
                "HistoryData": h.data,
            }
            for h in page
        ]
    }
    if token:
        answer["NextToken"] = token
    return answer


@MONITORING.operation("DeleteAlarms")
def delete_alarms(call: Call, p: Params) -> Result:
    # Unknown names are skipped and the others still deleted, as CloudWatch documents.
    engine = _engine(call)
    with engine.mutex:
        engine.store.delete(call.scope.account_id, call.scope.region, list(p["AlarmNames"]))
    return None


def _get(call: Call, name: str) -> Alarm:
    alarm = _engine(call).store.get(call.scope.account_id, call.scope.region, name)
    if alarm is None:
        raise NotFoundError(f"Alarm {name} not found")
    return alarm


@MONITORING.operation("SetAlarmState")
def set_alarm_state(call: Call, p: Params) -> Result:
    data = p.get("StateReasonData")
    if data is not None:
        try:
            json.loads(data)
        except ValueError:
            raise InvalidInputError(
                "The parameter StateReasonData must be a valid JSON object.",
                reason="invalid_format",
            ) from None
    engine = _engine(call)
    with engine.mutex:
        alarm = _get(call, p["AlarmName"])
        # The state holds until the evaluator next runs on the alarm's period boundary.
        engine.transition(
            alarm, p["StateValue"], p["StateReason"], data, call.backends.clock.now_ms()
        )
    return None


def _set_actions(call: Call, names: list[str], enabled: bool) -> None:
    engine = _engine(call)
    with engine.mutex:
        _set_actions_locked(engine, call, names, enabled)


def _set_actions_locked(engine: AlarmEngine, call: Call, names: list[str], enabled: bool) -> None:
    for name in names:
        alarm = engine.store.get(call.scope.account_id, call.scope.region, name)
        if alarm is not None:  # unknown names are ignored
            config = {**alarm.config, "ActionsEnabled": enabled}
            engine.store.save(replace(alarm, config=config))


@MONITORING.operation("EnableAlarmActions")
def enable_alarm_actions(call: Call, p: Params) -> Result:
    _set_actions(call, list(p["AlarmNames"]), True)
    return None


@MONITORING.operation("DisableAlarmActions")
def disable_alarm_actions(call: Call, p: Params) -> Result:
    _set_actions(call, list(p["AlarmNames"]), False)
    return None


# -- tags -----------------------------------------------------------------------------------


def _tagged(call: Call, arn: str) -> Alarm:
    """The alarm an ARN names; CloudWatch answers these with ResourceNotFoundException (the
    structured shape with ResourceType and ResourceId), not the ResourceNotFound of alarms."""
    m = _ALARM_ARN.fullmatch(arn)
    if m is None:
        raise invalid(f"Invalid ARN: {arn}")
    region, account, name = m.groups()
    alarm = None
    if (region, account) == (call.scope.region, call.scope.account_id):
        alarm = _engine(call).store.get(account, region, name)
    if alarm is None:
        raise AwsError(
            "ResourceNotFoundException",
            f"Alarm {name} does not exist.",
            404,
            fields={"ResourceType": "Alarm", "ResourceId": name},
        )
    return alarm


def _retag(call: Call, alarm: Alarm, tags: dict[str, str]) -> None:
    if len(tags) > MAX_TAGS:
        raise invalid(f"An alarm may have at most {MAX_TAGS} tags.")
    _engine(call).store.save(replace(alarm, tags=tags))


@MONITORING.operation("TagResource")
def tag_resource(call: Call, p: Params) -> Result:
    with _engine(call).mutex:
        alarm = _tagged(call, p["ResourceARN"])
        _retag(call, alarm, {**alarm.tags, **{t["Key"]: t["Value"] for t in p["Tags"]}})
    return {}


@MONITORING.operation("UntagResource")
def untag_resource(call: Call, p: Params) -> Result:
    drop = set(p["TagKeys"])
    with _engine(call).mutex:
        alarm = _tagged(call, p["ResourceARN"])
        _retag(call, alarm, {k: v for k, v in alarm.tags.items() if k not in drop})
    return {}


@MONITORING.operation("ListTagsForResource")
def list_tags_for_resource(call: Call, p: Params) -> Result:
    alarm = _tagged(call, p["ResourceARN"])
    return {"Tags": [{"Key": k, "Value": v} for k, v in sorted(alarm.tags.items())]}
