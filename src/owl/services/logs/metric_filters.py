"""Metric filters: PutMetricFilter, DescribeMetricFilters, DeleteMetricFilter, and
TestMetricFilter, the dry run of a pattern over sample messages.

The verdicts come from the same compiled pattern that FilterLogEvents runs, so a pattern that
matches here matches there (spec/filter-patterns.md 1.8). Publishing is metric_publish's.
"""

from __future__ import annotations

from typing import Any

from owl.errors import InvalidInputError
from owl.patterns import Pattern, PatternError, match_messages, parse, value_sql
from owl.services.base import Call, Params, Result
from owl.services.logs import LOGS


@LOGS.operation("TestMetricFilter")
def test_metric_filter(call: Call, p: Params) -> Result:
    try:
        matches = match_messages(p["filterPattern"], list(p["logEventMessages"]))
    except PatternError as e:
        raise InvalidInputError(e.message) from None
    return {
        "matches": [
            {"eventNumber": number, "eventMessage": message, "extractedValues": values}
            for number, message, values in matches
        ]
    }


test_metric_filter.__test__ = False  # type: ignore[attr-defined]  # an operation, not a test


MAX_DIMENSIONS = 3


def _check_transformation(pattern: Pattern, t: dict[str, Any]) -> None:
    """metricValue and dimensions must name values the pattern can give (spec §8.1, §8.4)."""
    try:
        value_sql(pattern, t["metricValue"])
        dims = t.get("dimensions") or {}
        if len(dims) > MAX_DIMENSIONS:
            raise InvalidInputError(
                f"A metric transformation can have at most {MAX_DIMENSIONS} dimensions."
            )
        if dims and "defaultValue" in t:
            raise InvalidInputError(
                "A metric transformation with dimensions cannot have a defaultValue."
            )
        for ref in dims.values():
            if not str(ref).startswith("$"):
                raise InvalidInputError(
                    f"Invalid dimension value {ref}: expected $.selector or $field."
                )
            value_sql(pattern, ref)
    except PatternError as e:
        raise InvalidInputError(e.message) from None


@LOGS.operation("PutMetricFilter")
def put_metric_filter(call: Call, p: Params) -> Result:
    text = p["filterPattern"]
    try:
        pattern = parse(text)
    except PatternError as e:
        raise InvalidInputError(e.message) from None
    transformations = list(p["metricTransformations"])
    for t in transformations:
        _check_transformation(pattern, t)
    group = call.backends.groups.get(call.scope, p["logGroupName"])
    options: dict[str, Any] = {
        k: p[k]
        for k in ("applyOnTransformedLogs", "fieldSelectionCriteria", "emitSystemFieldDimensions")
        if k in p
    }
    call.backends.metric_filters.put(group, p["filterName"], text, transformations, options)
    return None


@LOGS.operation("DeleteMetricFilter")
def delete_metric_filter(call: Call, p: Params) -> Result:
    group = call.backends.groups.get(call.scope, p["logGroupName"])
    call.backends.metric_filters.delete(group, p["filterName"])
    return None


@LOGS.operation("DescribeMetricFilters")
def describe_metric_filters(call: Call, p: Params) -> Result:
    name, namespace = p.get("metricName"), p.get("metricNamespace")
    if (name is None) != (namespace is None):
        raise InvalidInputError("metricName and metricNamespace must be specified together.")
    if p.get("filterNamePrefix") and not p.get("logGroupName"):
        raise InvalidInputError("filterNamePrefix requires logGroupName.")
    group = (
        call.backends.groups.get(call.scope, p["logGroupName"]) if p.get("logGroupName") else None
    )
    page = call.backends.metric_filters.describe(
        call.scope,
        group=group,
        prefix=p.get("filterNamePrefix"),
        metric=(name, namespace) if name is not None and namespace is not None else None,
        limit=int(p.get("limit", 50)),
        next_token=p.get("nextToken"),
    )
    out: dict[str, Any] = {
        "metricFilters": [
            {
                "filterName": f.name,
                "filterPattern": f.pattern,
                "metricTransformations": list(f.transformations),
                "creationTime": f.created_ms,
                "logGroupName": f.group_name,
                **f.options,
            }
            for f in page.items
        ]
    }
    if page.next_token:
        out["nextToken"] = page.next_token
    return out
