"""Tagging: TagResource, UntagResource, ListTagsForResource and the deprecated name-based trio."""

from __future__ import annotations

import re

from owl.domain.models import LogGroup
from owl.errors import InvalidInputError
from owl.services.base import Call, Params, Result
from owl.services.logs import LOGS

_GROUP_ARN = re.compile(r"arn:[^:]+:logs:[^:]*:\d{12}:log-group:[^:]+(?::\*)?")


def _resource(call: Call, arn: str) -> LogGroup:
    """The taggable resource an ARN names (log groups; destinations arrive with their issue)."""
    if _GROUP_ARN.fullmatch(arn) is None:
        raise InvalidInputError(f"Invalid resource ARN: {arn}", reason="invalid_arn")
    return call.backends.groups.resolve(call.scope, arn)


@LOGS.operation("TagResource")
def tag_resource(call: Call, p: Params) -> Result:
    call.backends.groups.tag(_resource(call, p["resourceArn"]), p["tags"])
    return None


@LOGS.operation("UntagResource")
def untag_resource(call: Call, p: Params) -> Result:
    call.backends.groups.untag(_resource(call, p["resourceArn"]), p["tagKeys"])
    return None


@LOGS.operation("ListTagsForResource")
def list_tags_for_resource(call: Call, p: Params) -> Result:
    return {"tags": call.backends.groups.tags(_resource(call, p["resourceArn"]))}


@LOGS.operation("TagLogGroup")
def tag_log_group(call: Call, p: Params) -> Result:
    group = call.backends.groups.get(call.scope, p["logGroupName"])
    call.backends.groups.tag(group, p["tags"])
    return None


@LOGS.operation("UntagLogGroup")
def untag_log_group(call: Call, p: Params) -> Result:
    group = call.backends.groups.get(call.scope, p["logGroupName"])
    call.backends.groups.untag(group, p["tags"])
    return None


@LOGS.operation("ListTagsLogGroup")
def list_tags_log_group(call: Call, p: Params) -> Result:
    return {
        "tags": call.backends.groups.tags(call.backends.groups.get(call.scope, p["logGroupName"]))
    }
