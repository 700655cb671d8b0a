"""Aliases: CreateAlias, DeleteAlias, ListAliases."""

from __future__ import annotations

from owl.services.base import Call, Params, Result
from owl.services.kms import KMS
from owl.services.kms.shapes import after, alias_entry, page


@KMS.operation("CreateAlias")
def create_alias(call: Call, p: Params) -> Result:
    call.backends.keys.create_alias(call.scope, p["AliasName"], p["TargetKeyId"])
    return None


@KMS.operation("DeleteAlias")
def delete_alias(call: Call, p: Params) -> Result:
    call.backends.keys.delete_alias(call.scope, p["AliasName"])
    return None


@KMS.operation("ListAliases")
def list_aliases(call: Call, p: Params) -> Result:
    of = p.get("KeyId")
    aliases, more = call.backends.keys.list_aliases(
        call.scope, of, after(call, "Aliases", p.get("Marker"), of or ""), p.get("Limit", 50)
    )
    items = [alias_entry(a) for a in aliases]
    return page(call, "Aliases", items, more, aliases[-1].name if aliases else None, of or "")
