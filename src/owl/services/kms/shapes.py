"""Domain objects in KMS wire shapes (KeyMetadata, AliasListEntry, Tag), and paging markers.

KMS timestamps (DateType) travel as epoch seconds; blobs as base64 text.
"""

from __future__ import annotations

import base64
from typing import Any

from owl.domain.keys import SYMMETRIC, Alias, Key, KeyState
from owl.services.base import Call


def seconds(ms: int) -> float:
    return ms / 1000


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text: str) -> bytes:
    """A blob member; the model validator has already checked that it is base64."""
    return base64.b64decode(text)


def key_metadata(key: Key) -> dict[str, Any]:
    out: dict[str, Any] = {
        "AWSAccountId": key.scope.account_id,
        "KeyId": key.id,
        "Arn": key.arn,
        "CreationDate": seconds(key.created_ms),
        "Enabled": key.state == KeyState.ENABLED,
        "Description": key.description,
        "KeyUsage": key.key_usage,
        "KeyState": key.state.value,
        "Origin": "AWS_KMS",
        "KeyManager": "CUSTOMER",
        "CustomerMasterKeySpec": key.key_spec,
        "KeySpec": key.key_spec,
        "EncryptionAlgorithms": [SYMMETRIC],
        "MultiRegion": False,
    }
    if key.deletion_ms is not None:
        out["DeletionDate"] = seconds(key.deletion_ms)
    return out


def alias_entry(alias: Alias) -> dict[str, Any]:
    return {
        "AliasName": alias.name,
        "AliasArn": alias.arn,
        "TargetKeyId": alias.key_id,
        "CreationDate": seconds(alias.created_ms),
        "LastUpdatedDate": seconds(alias.updated_ms),
    }


def tags_of(tags: list[dict[str, str]] | None) -> dict[str, str]:
    """A Tags member (TagKey/TagValue pairs) as a mapping; a repeated key keeps its last value."""
    return {t["TagKey"]: t["TagValue"] for t in tags or ()}


def after(call: Call, listing: str, marker: str | None, of: str = "") -> str | None:
    """The position a Marker names; InvalidMarkerException when it is forged or belongs to
    another listing, account, region or key (`of`)."""
    if marker is None:
        return None
    scope = [call.scope.account_id, call.scope.region, of]
    return str(call.backends.signer.decode(f"kms:{listing}", scope, marker))


def page(
    call: Call,
    listing: str,
    items: list[Any],
    more: bool,
    last: str | None,
    of: str = "",
) -> dict[str, Any]:
    """A listing's answer: `Truncated` always, `NextMarker` only when more follow."""
    out: dict[str, Any] = {listing: items, "Truncated": more}
    if more and last is not None:
        scope = [call.scope.account_id, call.scope.region, of]
        out["NextMarker"] = call.backends.signer.encode(f"kms:{listing}", scope, last)
    return out
