"""Log stream operations: create, delete, describe."""

from __future__ import annotations

from owl.domain.models import LogGroup
from owl.domain.streams import ORDER_BY_LAST_EVENT, ORDER_BY_NAME
from owl.errors import ConflictError, InvalidInputError
from owl.services.base import Call, Params, Result
from owl.services.logs import LOGS
from owl.services.logs.shapes import log_stream


def group_of(call: Call, p: Params) -> LogGroup:
    """The group named by exactly one of logGroupName and logGroupIdentifier."""
    name = p.get("logGroupName")
    identifier = p.get("logGroupIdentifier")
    if name is not None and identifier is not None:
        raise InvalidInputError(
            "LogGroup name and LogGroup ARN are mutually exclusive parameters.",
            reason="mutually_exclusive_arn",
        )
    if name is None and identifier is None:
        raise InvalidInputError("Either logGroupName or logGroupIdentifier must be specified.")
    if name is not None:
        return call.backends.groups.get(call.scope, name)
    assert identifier is not None
    return call.backends.groups.resolve(call.scope, identifier)


@LOGS.operation("CreateLogStream")
def create_log_stream(call: Call, p: Params) -> Result:
    group = call.backends.groups.get(call.scope, p["logGroupName"])
    stream = call.backends.streams.create(group, p["logStreamName"])
    call.backends.directory.remember(call.scope, group, stream)
    return None


@LOGS.operation("DeleteLogStream")
def delete_log_stream(call: Call, p: Params) -> Result:
    group = call.backends.groups.get(call.scope, p["logGroupName"])
    if group.deletion_protection:
        # Deletion protection blocks every deletion in the group, streams included.
        raise ConflictError(
            "Cannot delete log stream in a log group with deletion protection enabled. "
            "Disable deletion protection first.",
            reason="deletion_protected",
        )
    call.backends.streams.delete(group, p["logStreamName"])
    return None


@LOGS.operation("DescribeLogStreams")
def describe_log_streams(call: Call, p: Params) -> Result:
    group = group_of(call, p)
    order_by = p.get("orderBy", ORDER_BY_NAME)
    prefix = p.get("logStreamNamePrefix")
    if order_by == ORDER_BY_LAST_EVENT and prefix is not None:
        raise InvalidInputError("Cannot order by LastEventTime with a logStreamNamePrefix.")
    if order_by == ORDER_BY_LAST_EVENT:
        # The catalog orders; bring it up to the live statistics the response shows.
        call.backends.sync_stream_stats()
    page = call.backends.streams.describe(
        group,
        prefix=prefix,
        order_by=order_by,
        descending=bool(p.get("descending", False)),
        limit=p.get("limit", 50),
        next_token=p.get("nextToken"),
    )
    store = call.backends.store
    out: dict[str, object] = {
        "logStreams": [log_stream(s, store.stream_stats(s.id)) for s in page.items]
    }
    if page.next_token:
        out["nextToken"] = page.next_token
    return out
