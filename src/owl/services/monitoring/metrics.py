"""PutMetricData, GetMetricData, GetMetricStatistics, ListMetrics.

Params arrive in the JSON shape of the model whatever the protocol (timestamps as epoch
seconds); member paths in messages are spelled as the query protocol names them
(`MetricData.member.1.Value`), as CloudWatch's own messages do.
"""

from __future__ import annotations

import math
from typing import Any

from owl.errors import InvalidInputError
from owl.metrics.datum import Datum, Dimensions
from owl.metrics.expressions import Array, ExpressionError, Series, Value, evaluate
from owl.metrics.query import buckets, round_start, series
from owl.metrics.statistics import BASIC, Stat, parse_stat
from owl.services.base import Call, Params, Result
from owl.services.monitoring import MONITORING
from owl.services.monitoring.common import exclusive, invalid, missing, next_token, position

MAX_VALUE = 2.0**360
MAX_DISTINCT_VALUES = 150
PAST_S, FUTURE_S = 14 * 86_400, 2 * 3600
MAX_STATISTICS_POINTS = 1_440
DEFAULT_MAX_DATAPOINTS = 100_800
LIST_PAGE = 500
RECENT_S = 3 * 3600
SETTLE_S = 5.0  # at most this long for metric filters to catch up with ingestion


def _dimensions(raw: list[dict[str, str]] | None, where: str) -> Dimensions:
    pairs = [(d["Name"], d["Value"]) for d in raw or []]
    if len({n for n, _ in pairs}) != len(pairs):
        raise invalid(f"No Metric may specify the same dimension twice ({where}.Dimensions).")
    return tuple(sorted(pairs))


def _number(v: float, where: str) -> float:
    if not math.isfinite(v) or abs(v) > MAX_VALUE:
        raise invalid(f"The value {v} for parameter {where} is invalid.")
    return float(v)


def _datum(namespace: str, raw: dict[str, Any], where: str, now_s: float) -> Datum:
    has = {k for k in ("Value", "StatisticValues", "Values") if k in raw}
    if "Value" in has and "StatisticValues" in has:
        raise exclusive(f"{where}.Value", f"{where}.StatisticValues")
    if "Values" in has and ("Value" in has or "StatisticValues" in has):
        other = "Value" if "Value" in has else "StatisticValues"
        raise exclusive(f"{where}.Values", f"{where}.{other}")
    if "Counts" in raw and "Values" not in raw:
        raise invalid(f"The parameter {where}.Counts needs {where}.Values.")
    resolution = int(raw.get("StorageResolution", 60))
    if resolution not in (1, 60):
        raise invalid(
            f"The value {resolution} for parameter {where}.StorageResolution is invalid:"
            " it must be 1 or 60."
        )
    ts = float(raw.get("Timestamp", now_s))
    if ts < now_s - PAST_S or ts > now_s + FUTURE_S:
        raise invalid(
            f"The parameter {where}.Timestamp must specify a time no more than two weeks in"
            " the past and no more than two hours in the future."
        )
    unit = raw.get("Unit", "None")
    common: dict[str, Any] = {
        "namespace": namespace,
        "name": raw["MetricName"],
        "dimensions": _dimensions(raw.get("Dimensions"), where),
        "timestamp_ms": int(ts * 1000),
        "unit": unit,
        "storage_resolution": resolution,
    }
    if "StatisticValues" in raw:
        s = raw["StatisticValues"]
        n, total = _number(s["SampleCount"], f"{where}.StatisticValues.SampleCount"), s["Sum"]
        lo, hi = s["Minimum"], s["Maximum"]
        if n <= 0:
            raise invalid(f"The parameter {where}.StatisticValues.SampleCount must be > 0.")
        if lo > hi:
            raise invalid(
                f"The parameter {where}.StatisticValues.Minimum must not exceed its Maximum."
            )
        for key in ("Sum", "Minimum", "Maximum"):
            _number(s[key], f"{where}.StatisticValues.{key}")
        return Datum(sample_count=n, sum=total, minimum=lo, maximum=hi, **common)
    if "Values" in raw:
        values = [_number(v, f"{where}.Values") for v in raw["Values"]]
        counts = [float(c) for c in raw.get("Counts", [1.0] * len(values))]
        if len(counts) != len(values):
            raise invalid(
                f"The parameters {where}.Values and {where}.Counts must be of the same size."
            )
        if len(set(values)) > MAX_DISTINCT_VALUES:
            raise invalid(
                f"The collection {where}.Values must not have more than"
                f" {MAX_DISTINCT_VALUES} distinct values."
            )
        if any(c < 0 for c in counts) or not values:
            raise invalid(f"The parameter {where}.Counts must hold counts >= 0.")
        kept = [(v, c) for v, c in zip(values, counts, strict=True) if c > 0]
        n = sum(c for _, c in kept)
        return Datum(
            sample_count=n,
            sum=sum(v * c for v, c in kept),
            minimum=min((v for v, _ in kept), default=0.0),
            maximum=max((v for v, _ in kept), default=0.0),
            values=tuple(v for v, _ in kept),
            counts=tuple(c for _, c in kept),
            **common,
        )
    if "Value" not in raw:
        raise missing(f"{where}.Value")
    v = _number(raw["Value"], f"{where}.Value")
    return Datum(sample_count=1, sum=v, minimum=v, maximum=v, values=(v,), counts=(1.0,), **common)


@MONITORING.operation("PutMetricData")
def put_metric_data(call: Call, p: Params) -> Result:
    namespace = p["Namespace"]
    if namespace.startswith("AWS/"):
        raise invalid(f"The value {namespace} for parameter Namespace is invalid.")
    now_s = call.backends.clock.now_ms() / 1000
    raw = list(p.get("MetricData") or [])
    for entity in p.get("EntityMetricData") or []:
        raw += entity.get("MetricData") or []
    if not raw:
        raise missing("MetricData")
    if len(raw) > 1000:
        raise invalid("The collection MetricData must not have a size greater than 1000.")
    datums = [_datum(namespace, d, f"MetricData.member.{i}", now_s) for i, d in enumerate(raw, 1)]
    call.backends.metrics.put(call.scope.account_id, call.scope.region, datums)
    return None


# -- reading -------------------------------------------------------------------------------


def _window(p: Params, call: Call, period: int) -> tuple[int, int]:
    start, end = int(float(p["StartTime"])), int(float(p["EndTime"]))
    if end <= start:
        raise invalid("The parameter StartTime must be less than the parameter EndTime.")
    return round_start(start, call.backends.clock.now_ms() // 1000, period), end


def _check_period(period: int, where: str) -> None:
    if period <= 0 or (period >= 60 and period % 60) or (period < 60 and 60 % period):
        raise invalid(f"The parameter {where} must be 1, 5, 10, 20, 30, 60 or any multiple of 60.")


def _basic_stat(name: str) -> Stat:
    fn = parse_stat(name)
    if fn is None:
        raise invalid(f"The value {name} for parameter Statistics is not supported.")
    return fn


@MONITORING.operation("GetMetricStatistics")
def get_metric_statistics(call: Call, p: Params) -> Result:
    call.backends.settle_metrics(SETTLE_S)  # read what was ingested before
    stats = list(p.get("Statistics") or [])
    extended = list(p.get("ExtendedStatistics") or [])
    if stats and extended:
        raise exclusive("Statistics", "ExtendedStatistics")
    if not stats and not extended:
        raise InvalidInputError(
            "Must specify either Statistics or ExtendedStatistics.", reason="missing"
        )
    basic = {s: _basic_stat(s) for s in stats}  # the model allows the five names only
    functions = {}
    for name in extended:
        fn = parse_stat(name)
        if fn is None or name in BASIC:
            raise invalid(f"The value {name} for parameter ExtendedStatistics is not supported.")
        functions[name] = fn
    period = int(p["Period"])
    _check_period(period, "Period")
    start, end = _window(p, call, period)
    if (end - start) / period > MAX_STATISTICS_POINTS:
        raise InvalidInputError(
            f"You have requested up to {math.ceil((end - start) / period):,} datapoints, which"
            f" exceeds the limit of {MAX_STATISTICS_POINTS:,}. You may reduce the datapoints"
            " requested by increasing Period, or decreasing the time range.",
            reason="combination",
        )
    name, metrics = p["MetricName"], call.backends.metrics
    found = metrics.find(
        call.scope.account_id,
        call.scope.region,
        p["Namespace"],
        name,
        _dimensions(p.get("Dimensions"), "Dimensions"),
    )
    unit = p.get("Unit")
    points = []
    if found is not None:
        points = buckets(metrics, found.id, start, end, period, unit, basic=not functions)
    datapoints = []
    for point in points:
        dp: dict[str, Any] = {"Timestamp": point.ts, "Unit": point.unit}
        dp.update((k, v) for k, fn in basic.items() if (v := fn(point)) is not None)
        ext = {k: v for k, fn in functions.items() if (v := fn(point)) is not None}
        if ext:
            dp["ExtendedStatistics"] = ext
        datapoints.append(dp)
    return {"Label": name, "Datapoints": datapoints}


@MONITORING.operation("GetMetricData")
def get_metric_data(call: Call, p: Params) -> Result:
    call.backends.settle_metrics(SETTLE_S)  # read what was ingested before
    queries = list(p["MetricDataQueries"])
    if len(queries) > 500:
        raise invalid("The collection MetricDataQueries must not have more than 500 members.")
    ids = [q["Id"] for q in queries]
    if len(set(ids)) != len(ids):
        raise invalid("The values of MetricDataQueries.member.N.Id must be unique.")
    start, end = int(float(p["StartTime"])), int(float(p["EndTime"]))
    if end <= start:
        raise invalid("The parameter StartTime must be less than the parameter EndTime.")
    now_s = call.backends.clock.now_ms() // 1000
    refs: dict[str, Value] = {}
    stat_series: list[Series] = []
    for i, q in enumerate(queries, 1):
        where = f"MetricDataQueries.member.{i}"
        if ("MetricStat" in q) == ("Expression" in q):
            raise InvalidInputError(
                f"Exactly one of {where}.MetricStat and {where}.Expression must be given.",
                reason="combination",
            )
        if "MetricStat" in q:
            s = _metric_stat(call, q, where, start, end, now_s)
            refs[q["Id"]] = s
            stat_series.append(s)
    _expressions(queries, refs, stat_series)
    results: list[dict[str, Any]] = []
    for q in queries:
        if not q.get("ReturnData", True):
            continue
        value = refs[q["Id"]]
        items = list(value.items) if isinstance(value, Array) else [value]
        for item in items:
            assert isinstance(item, Series)
            label = q.get("Label") or item.label
            results.append(_result(q["Id"], label, item, p.get("ScanBy")))
    return _page(call, p, results)


def _expressions(
    queries: list[dict[str, Any]], refs: dict[str, Value], stat_series: list[Series]
) -> None:
    """Evaluate the expression queries into `refs`, each once the ids it names are known."""
    pending = [q for q in queries if "Expression" in q]
    while pending:
        waiting: list[dict[str, Any]] = []
        error: str | None = None
        for q in pending:
            try:
                value = evaluate(q["Expression"], refs, stat_series)
            except ExpressionError as e:
                waiting.append(q)
                error = error or f"Error in expression {q['Id']}: {e}"
                continue
            if isinstance(value, float):
                stamps = sorted({t for s in stat_series for t in s.points})
                value = Series(q["Id"], dict.fromkeys(stamps, value))
            elif isinstance(value, Series):
                value = Series(q["Id"], value.points)
            refs[q["Id"]] = value
        if len(waiting) == len(pending):
            raise invalid(error or "Invalid expression.")
        pending = waiting


def _metric_stat(
    call: Call, q: dict[str, Any], where: str, start: int, end: int, now_s: int
) -> Series:
    ms = q["MetricStat"]
    metric = ms["Metric"]
    period = int(ms["Period"])
    _check_period(period, f"{where}.MetricStat.Period")
    fn = parse_stat(ms["Stat"])
    if fn is None:
        raise invalid(f"The value {ms['Stat']} for parameter {where}.MetricStat.Stat is invalid.")
    found = call.backends.metrics.find(
        call.scope.account_id,
        call.scope.region,
        metric.get("Namespace", ""),
        metric.get("MetricName", ""),
        _dimensions(metric.get("Dimensions"), f"{where}.MetricStat.Metric"),
    )
    label = metric.get("MetricName", q["Id"])
    if found is None:
        return Series(label, {})
    first = round_start(start, now_s, period)
    basic = ms["Stat"] in BASIC
    unit = ms.get("Unit")
    points = buckets(call.backends.metrics, found.id, first, end, period, unit, basic=basic)
    ts, values = series(points, fn)
    return Series(label, dict(zip(ts, values, strict=True)))


def _result(qid: str, label: str, s: Series, scan_by: str | None) -> dict[str, Any]:
    stamps = sorted(s.points, reverse=scan_by != "TimestampAscending")
    return {
        "Id": qid,
        "Label": label,
        "Timestamps": stamps,
        "Values": [s.points[t] for t in stamps],
        "StatusCode": "Complete",
    }


def _page(call: Call, p: Params, results: list[dict[str, Any]]) -> Result:
    """MaxDatapoints per response over all results; the rest behind NextToken."""
    limit = int(p.get("MaxDatapoints") or DEFAULT_MAX_DATAPOINTS)
    skip = position(call, "metric-data", p.get("NextToken"))
    out: list[dict[str, Any]] = []
    budget, seen, more = limit, 0, False
    for r in results:
        n = len(r["Timestamps"])
        lo = max(0, skip - seen)
        seen += n
        if n and lo >= n:
            continue  # sent on an earlier page
        take = min(n - lo, budget)
        budget -= take
        page = {**r, "Timestamps": r["Timestamps"][lo : lo + take]}
        page["Values"] = r["Values"][lo : lo + take]
        if take < n - lo:
            more = True
            page["StatusCode"] = "PartialData"
        out.append(page)
    answer: dict[str, Any] = {"MetricDataResults": out, "Messages": []}
    if more:
        answer["NextToken"] = next_token(call, "metric-data", skip + limit)
    return answer


@MONITORING.operation("ListMetrics")
def list_metrics(call: Call, p: Params) -> Result:
    call.backends.settle_metrics(SETTLE_S)  # read what was ingested before
    recent = p.get("RecentlyActive")
    since = None
    if recent is not None:
        since = call.backends.clock.now_ms() - RECENT_S * 1000
    wanted = [(f["Name"], f.get("Value")) for f in p.get("Dimensions") or []]
    found = call.backends.metrics.metrics(
        call.scope.account_id,
        call.scope.region,
        namespace=p.get("Namespace"),
        name=p.get("MetricName"),
        active_since_ms=since,
    )
    matching = [
        s
        for s in found
        if all(
            any(n == k and (v is None or v == val) for k, val in s.dimensions) for n, v in wanted
        )
    ]
    start = position(call, "list-metrics", p.get("NextToken"))
    page = matching[start : start + LIST_PAGE]
    answer: dict[str, Any] = {
        "Metrics": [
            {
                "Namespace": s.namespace,
                "MetricName": s.name,
                "Dimensions": [{"Name": k, "Value": v} for k, v in s.dimensions],
            }
            for s in page
        ]
    }
    if start + LIST_PAGE < len(matching):
        answer["NextToken"] = next_token(call, "list-metrics", start + LIST_PAGE)
    return answer
