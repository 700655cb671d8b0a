"""Domain objects → the wire dictionaries of CloudWatch Logs (camelCase lives here)."""

from __future__ import annotations

from typing import Any

from owl.domain.models import LogGroup, LogStream


def log_group(group: LogGroup, *, brief: bool = False) -> dict[str, Any]:
    """A `LogGroup` as DescribeLogGroups returns it; `brief` when a name pattern was given."""
    out: dict[str, Any] = {
        "logGroupName": group.name,
        "creationTime": group.created_ms,
        "metricFilterCount": 0,
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


def log_stream(stream: LogStream) -> dict[str, Any]:
    out: dict[str, Any] = {
        "logStreamName": stream.name,
        "creationTime": stream.created_ms,
    }
    if stream.first_event_ms is not None:
        out["firstEventTimestamp"] = stream.first_event_ms
    if stream.last_event_ms is not None:
        out["lastEventTimestamp"] = stream.last_event_ms
    if stream.last_ingestion_ms is not None:
        out["lastIngestionTime"] = stream.last_ingestion_ms
    out["arn"] = stream.arn
    out["storedBytes"] = 0
    return out
