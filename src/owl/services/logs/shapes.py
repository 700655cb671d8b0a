"""Domain objects → the wire dictionaries of CloudWatch Logs (camelCase lives here)."""

from __future__ import annotations

from typing import Any

from owl.domain.models import LogGroup, LogStream
from owl.store.engine import StreamStats


def log_group(group: LogGroup, *, brief: bool = False, metric_filters: int = 0) -> dict[str, Any]:
    """A `LogGroup` as DescribeLogGroups returns it; `brief` when a name pattern was given."""
    out: dict[str, Any] = {
        "logGroupName": group.name,
        "creationTime": group.created_ms,
        "metricFilterCount": metric_filters,
        "arn": group.arn_with_star,
        "logGroupClass": group.log_group_class,
        "logGroupArn": group.arn,
    }
    if brief:
        return out
    if group.retention_days is not None:
        out["retentionInDays"] = group.retention_days
    out["storedBytes"] = 0
    if group.kms_key_id:
        out["kmsKeyId"] = group.kms_key_id
    out["deletionProtectionEnabled"] = group.deletion_protection
    return out


def log_group_summary(group: LogGroup) -> dict[str, Any]:
    return {
        "logGroupName": group.name,
        "logGroupArn": group.arn,
        "logGroupClass": group.log_group_class,
    }


def log_stream(stream: LogStream, live: StreamStats | None = None) -> dict[str, Any]:
    """A `LogStream`; `live` are the store's in-memory statistics, fresher than the catalog's."""
    first, last, ingest = stream.first_event_ms, stream.last_event_ms, stream.last_ingestion_ms
    if live is not None:
        first = live.first_ts if first is None else min(first, live.first_ts)
        last = live.last_ts if last is None else max(last, live.last_ts)
        ingest = live.last_ingest if ingest is None else max(ingest, live.last_ingest)
    out: dict[str, Any] = {
        "logStreamName": stream.name,
        "creationTime": stream.created_ms,
    }
    if first is not None:
        out["firstEventTimestamp"] = first
    if last is not None:
        out["lastEventTimestamp"] = last
    if ingest is not None:
        out["lastIngestionTime"] = ingest
        out["uploadSequenceToken"] = f"{ingest:056d}"
    out["arn"] = stream.arn
    out["storedBytes"] = 0
    return out
