"""Key management: CreateKey, DescribeKey, ListKeys, EnableKey, DisableKey, ScheduleKeyDeletion,
CancelKeyDeletion, GetKeyPolicy, PutKeyPolicy, TagResource, UntagResource, ListResourceTags.

owl makes symmetric encryption keys only (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT, origin AWS_KMS);
asking for any other kind is UnsupportedOperationException rather than a key that would not
behave like the one asked for.
"""

from __future__ import annotations

from owl.domain.keys import ENCRYPT_DECRYPT, SYMMETRIC
from owl.services.base import Call, Params, Result
from owl.services.kms import KMS
from owl.services.kms.errors import unsupported
from owl.services.kms.shapes import after, key_metadata, page, seconds, tags_of

_ONLY_SYMMETRIC = (
    "owl supports symmetric encryption keys only "
    "(KeySpec SYMMETRIC_DEFAULT, KeyUsage ENCRYPT_DECRYPT, Origin AWS_KMS)."
)


def _check_supported(p: Params) -> None:
    if p.get("KeyUsage", ENCRYPT_DECRYPT) != ENCRYPT_DECRYPT:
        raise unsupported(_ONLY_SYMMETRIC)
    for member in ("KeySpec", "CustomerMasterKeySpec"):
        if p.get(member, SYMMETRIC) != SYMMETRIC:
            raise unsupported(_ONLY_SYMMETRIC)
    if p.get("Origin", "AWS_KMS") != "AWS_KMS":
        raise unsupported(_ONLY_SYMMETRIC)
    if p.get("CustomKeyStoreId") is not None or p.get("XksKeyId") is not None:
        raise unsupported("owl has no custom key stores.")
    if p.get("MultiRegion"):
        raise unsupported("owl has no multi-Region keys.")


@KMS.operation("CreateKey")
def create_key(call: Call, p: Params) -> Result:
    _check_supported(p)
    key = call.backends.keys.create(
        call.scope,
        description=p.get("Description", ""),
        policy=p.get("Policy"),
        tags=tags_of(p.get("Tags")),
    )
    return {"KeyMetadata": key_metadata(key)}


@KMS.operation("DescribeKey")
def describe_key(call: Call, p: Params) -> Result:
    return {"KeyMetadata": key_metadata(call.backends.keys.describe(call.scope, p["KeyId"]))}


@KMS.operation("ListKeys")
def list_keys(call: Call, p: Params) -> Result:
    keys, more = call.backends.keys.list_keys(
        call.scope, after(call, "Keys", p.get("Marker")), p.get("Limit", 100)
    )
    items = [{"KeyId": k.id, "KeyArn": k.arn} for k in keys]
    return page(call, "Keys", items, more, keys[-1].id if keys else None)


@KMS.operation("EnableKey")
def enable_key(call: Call, p: Params) -> Result:
    call.backends.keys.enable(call.scope, p["KeyId"])
    return None


@KMS.operation("DisableKey")
def disable_key(call: Call, p: Params) -> Result:
    call.backends.keys.disable(call.scope, p["KeyId"])
    return None


@KMS.operation("ScheduleKeyDeletion")
def schedule_key_deletion(call: Call, p: Params) -> Result:
    key = call.backends.keys.schedule_deletion(call.scope, p["KeyId"], p.get("PendingWindowInDays"))
    assert key.deletion_ms is not None
    return {
        "KeyId": key.arn,
        "DeletionDate": seconds(key.deletion_ms),
        "KeyState": key.state.value,
        "PendingWindowInDays": p.get("PendingWindowInDays", 30),
    }


@KMS.operation("CancelKeyDeletion")
def cancel_key_deletion(call: Call, p: Params) -> Result:
    return {"KeyId": call.backends.keys.cancel_deletion(call.scope, p["KeyId"]).arn}


@KMS.operation("GetKeyPolicy")
def get_key_policy(call: Call, p: Params) -> Result:
    name = p.get("PolicyName", "default")
    return {
        "Policy": call.backends.keys.policy(call.scope, p["KeyId"], name),
        "PolicyName": name,
    }


@KMS.operation("PutKeyPolicy")
def put_key_policy(call: Call, p: Params) -> Result:
    name = p.get("PolicyName", "default")
    call.backends.keys.put_policy(call.scope, p["KeyId"], name, p["Policy"])
    return None


@KMS.operation("TagResource")
def tag_resource(call: Call, p: Params) -> Result:
    call.backends.keys.tag(call.scope, p["KeyId"], tags_of(p["Tags"]))
    return None


@KMS.operation("UntagResource")
def untag_resource(call: Call, p: Params) -> Result:
    call.backends.keys.untag(call.scope, p["KeyId"], p["TagKeys"])
    return None


@KMS.operation("ListResourceTags")
def list_resource_tags(call: Call, p: Params) -> Result:
    of = p["KeyId"]
    tags, more = call.backends.keys.tags(
        call.scope, of, after(call, "Tags", p.get("Marker"), of), p.get("Limit", 50)
    )
    items = [{"TagKey": k, "TagValue": v} for k, v in tags]
    return page(call, "Tags", items, more, tags[-1][0] if tags else None, of)
