"""Metric filters: today TestMetricFilter, the dry run of a pattern over sample messages.

The verdicts come from the same compiled pattern that FilterLogEvents runs, so a pattern that
matches here matches there (spec/filter-patterns.md 1.8).
"""

from __future__ import annotations

from owl.errors import InvalidInputError
from owl.patterns import PatternError, match_messages
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
