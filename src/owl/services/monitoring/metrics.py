"""PutMetricData, GetMetricData, GetMetricStatistics, ListMetrics."""

from __future__ import annotations
