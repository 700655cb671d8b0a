"""Log group operations: create, delete, describe, list, retention, protection, KMS keys."""

from __future__ import annotations

from owl.domain.models import LogGroup
from owl.errors import InvalidInputError
from owl.protocol.errors import AwsError
from owl.services.base import Call, Params, Result
from owl.services.logs import LOGS
from owl.services.logs.shapes import log_group, log_group_summary

NAME_TOO_LONG = "Invalid LogGroup or LogStream, both must have length less than or equal to 512."


def _check_name_lengths(params: Params) -> None:
    # AWS answers an over-long name at creation with its own message, not the model's.
    for member in ("logGroupName", "logStreamName"):
        value = params.get(member)
        if isinstance(value, str) and len(value) > 512:
            raise AwsError("InvalidParameterException", NAME_TOO_LONG)


LOGS.pre_validate["CreateLogGroup"] = _check_name_lengths
LOGS.pre_validate["CreateLogStream"] = _check_name_lengths


@LOGS.operation("CreateLogGroup")
def create_log_group(call: Call, p: Params) -> Result:
    kms_key_id = p.get("kmsKeyId")
    if kms_key_id is not None:
        arn = call.scope.arn("logs", f"log-group:{p['logGroupName']}")
        call.backends.data_keys.check_association(call.scope, arn, kms_key_id)
    call.backends.groups.create(
        call.scope,
        p["logGroupName"],
        tags=p.get("tags"),
        kms_key_id=kms_key_id,
        log_group_class=p.get("logGroupClass"),
        deletion_protection=bool(p.get("deletionProtectionEnabled", False)),
    )
    return None


@LOGS.operation("DeleteLogGroup")
def delete_log_group(call: Call, p: Params) -> Result:
    call.backends.groups.delete(call.scope, p["logGroupName"])
    return None


@LOGS.operation("DescribeLogGroups")
def describe_log_groups(call: Call, p: Params) -> Result:
    prefix = p.get("logGroupNamePrefix")
    pattern = p.get("logGroupNamePattern")
    identifiers = p.get("logGroupIdentifiers")
    if prefix is not None and pattern is not None:
        raise InvalidInputError(
            "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters."
        )
    if identifiers and (prefix is not None or pattern is not None or p.get("logGroupClass")):
        raise InvalidInputError(
            "logGroupIdentifiers can only be combined with includeLinkedAccounts."
        )
    page = call.backends.groups.describe(
        call.scope,
        prefix=prefix,
        pattern=pattern,
        log_group_class=p.get("logGroupClass"),
        identifiers=identifiers,
        limit=p.get("limit", 50),
        next_token=p.get("nextToken"),
    )
    counts = call.backends.metric_filters.counts([g.id for g in page.items])
    out: dict[str, object] = {
        "logGroups": [
            log_group(g, brief=pattern is not None, metric_filters=counts.get(g.id, 0))
            for g in page.items
        ]
    }
    if page.next_token:
        out["nextToken"] = page.next_token
    return out


@LOGS.operation("ListLogGroups")
def list_log_groups(call: Call, p: Params) -> Result:
    tag_filters = [(f["key"], list(f.get("values") or [])) for f in p.get("logGroupTags") or []]
    page = call.backends.groups.list(
        call.scope,
        pattern=p.get("logGroupNamePattern"),
        log_group_class=p.get("logGroupClass"),
        tag_filters=tag_filters,
        # owl groups have no data sources or field indexes yet, so these filters match nothing.
        exclude_all=bool(p.get("dataSources") or p.get("fieldIndexNames")),
        limit=p.get("limit", 50),
        next_token=p.get("nextToken"),
    )
    out: dict[str, object] = {"logGroups": [log_group_summary(g) for g in page.items]}
    if page.next_token:
        out["nextToken"] = page.next_token
    return out


@LOGS.operation("PutRetentionPolicy")
def put_retention_policy(call: Call, p: Params) -> Result:
    call.backends.groups.put_retention(call.scope, p["logGroupName"], p["retentionInDays"])
    return None


@LOGS.operation("DeleteRetentionPolicy")
def delete_retention_policy(call: Call, p: Params) -> Result:
    call.backends.groups.delete_retention(call.scope, p["logGroupName"])
    return None


@LOGS.operation("PutLogGroupDeletionProtection")
def put_log_group_deletion_protection(call: Call, p: Params) -> Result:
    call.backends.groups.put_deletion_protection(
        call.scope, p["logGroupIdentifier"], p["deletionProtectionEnabled"]
    )
    return None


def _kms_target(call: Call, p: Params) -> LogGroup | None:
    """The group an (dis)association names, or None for the account's query results."""
    name, resource = p.get("logGroupName"), p.get("resourceIdentifier")
    if (name is None) == (resource is None):
        raise InvalidInputError("Exactly one of logGroupName and resourceIdentifier is required.")
    if name is not None:
        return call.backends.groups.get(call.scope, name)
    assert resource is not None
    if resource == call.scope.arn("logs", "query-result:*"):
        return None
    if ":log-group:" not in resource:
        raise InvalidInputError(f"Invalid resourceIdentifier: {resource}")
    return call.backends.groups.resolve(call.scope, resource)


@LOGS.operation("AssociateKmsKey")
def associate_kms_key(call: Call, p: Params) -> Result:
    group = _kms_target(call, p)
    kms_key_id = p["kmsKeyId"]
    arn = group.arn if group is not None else call.scope.arn("logs", "query-result:*")
    call.backends.data_keys.check_association(call.scope, arn, kms_key_id)
    if group is not None:
        # Events already stored stay under their data keys; new ones go under this key.
        call.backends.groups.set_kms_key(group.scope, group.name, kms_key_id)
    # Query results live in server memory (spills are encrypted), so owl has nothing more to
    # put under a query-result key than the check AWS makes.
    return None


@LOGS.operation("DisassociateKmsKey")
def disassociate_kms_key(call: Call, p: Params) -> Result:
    group = _kms_target(call, p)
    if group is not None:
        call.backends.groups.set_kms_key(group.scope, group.name, None)
    return None
