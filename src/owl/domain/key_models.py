"""The key service's records and rules: key states, keys and aliases as the catalog hands them
out, the errors AWS answers with, and the checks of names, policies and tags.

No key material here: owl.domain.keys alone touches it. Imports nothing above the domain.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass

import orjson
import sqlalchemy as sa

from owl.domain.models import Scope
from owl.errors import (
    AlreadyExistsError,
    ConflictError,
    InvalidInputError,
    LimitExceededError,
    NotFoundError,
)

DAY_MS = 86_400_000
MIN_WINDOW_DAYS, MAX_WINDOW_DAYS, DEFAULT_WINDOW_DAYS = 7, 30, 30
MAX_TAGS = 50
SYMMETRIC = "SYMMETRIC_DEFAULT"
ENCRYPT_DECRYPT = "ENCRYPT_DECRYPT"
ARN = re.compile(
    r"arn:[^:]+:kms:(?P<region>[^:]*):(?P<account>[^:]*):(?P<kind>key|alias)/(?P<rest>.+)"
)
KEY_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_ALIAS_NAME = re.compile(r"alias/[a-zA-Z0-9/_-]+")
DEFAULT_POLICY = """{
  "Version" : "2012-10-17",
  "Id" : "key-default-1",
  "Statement" : [ {
    "Sid" : "Enable IAM User Permissions",
    "Effect" : "Allow",
    "Principal" : {
      "AWS" : "arn:aws:iam::%s:root"
    },
    "Action" : "kms:*",
    "Resource" : "*"
  } ]
}"""


class KeyState(enum.StrEnum):
    ENABLED = "Enabled"
    DISABLED = "Disabled"
    PENDING_DELETION = "PendingDeletion"
    DELETED = "Deleted"  # never stored: what `on_change` listeners hear when a key is gone


USABLE = (KeyState.ENABLED, KeyState.DISABLED)  # states a key can be enabled or disabled from


@dataclass(frozen=True)
class Key:
    id: str
    scope: Scope
    created_ms: int
    description: str
    key_usage: str
    key_spec: str
    state: KeyState
    deletion_ms: int | None

    @property
    def arn(self) -> str:
        return self.scope.arn("kms", f"key/{self.id}")


@dataclass(frozen=True)
class Alias:
    scope: Scope
    name: str  # "alias/…"
    key_id: str
    created_ms: int
    updated_ms: int

    @property
    def arn(self) -> str:
        return self.scope.arn("kms", self.name)


def key_not_found(arn: str) -> NotFoundError:
    return NotFoundError(f"Key '{arn}' does not exist", reason="key_not_found")


def alias_not_found(arn: str) -> NotFoundError:
    return NotFoundError(f"Alias {arn} is not found.", reason="alias_not_found")


def invalid_key_id(key_id: str) -> NotFoundError:
    return NotFoundError(f"Invalid keyId '{key_id}'", reason="invalid_key_id")


def invalid_ciphertext() -> InvalidInputError:
    return InvalidInputError("", reason="invalid_ciphertext")


def row_to_key(row: sa.Row[tuple[object, ...]]) -> Key:
    m = row._mapping
    return Key(
        id=str(m["id"]),
        scope=Scope(str(m["account_id"]), str(m["region"])),
        created_ms=int(m["created_ms"]),
        description=str(m["description"]),
        key_usage=str(m["key_usage"]),
        key_spec=str(m["key_spec"]),
        state=KeyState(m["state"]),
        deletion_ms=m["deletion_ms"],
    )


def row_to_alias(row: sa.Row[tuple[object, ...]]) -> Alias:
    m = row._mapping
    return Alias(
        scope=Scope(str(m["account_id"]), str(m["region"])),
        name=str(m["name"]),
        key_id=str(m["key_id"]),
        created_ms=int(m["created_ms"]),
        updated_ms=int(m["updated_ms"]),
    )


def check_alias_name(name: str) -> None:
    """AWS's rules for a new alias name, beyond the model's pattern."""
    if not name.startswith("alias/"):
        raise InvalidInputError(
            'Alias must start with the prefix "alias/". Please see '
            "https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html",
            reason="alias_prefix",
        )
    if name.startswith("alias/aws/"):
        raise InvalidInputError(
            "Alias names cannot begin with alias/aws/, which is reserved for AWS managed keys.",
            reason="invalid_alias_name",
        )
    if _ALIAS_NAME.fullmatch(name) is None:
        raise InvalidInputError(
            f"{name} contains invalid characters for an alias", reason="invalid_alias_name"
        )


def check_policy(policy: str) -> None:
    try:
        doc = orjson.loads(policy)
    except orjson.JSONDecodeError:
        doc = None
    if not isinstance(doc, dict) or not isinstance(doc.get("Statement"), list | dict):
        raise InvalidInputError(
            "The policy document is not a JSON object with a Statement.",
            reason="malformed_policy",
        )


def check_usable(key: Key) -> None:
    if key.state != KeyState.ENABLED:
        raise state_error(key)


def state_error(key: Key) -> ConflictError:
    """What AWS answers when a key's state forbids the operation."""
    if key.state == KeyState.DISABLED:
        return ConflictError(f"{key.arn} is disabled.", reason="key_disabled")
    if key.state == KeyState.PENDING_DELETION:
        return ConflictError(f"{key.arn} is pending deletion.", reason="key_pending_deletion")
    return ConflictError(f"{key.arn} is {key.state.value}.", reason="invalid_state")


def alias_exists(scope: Scope, name: str) -> AlreadyExistsError:
    arn = scope.arn("kms", name)
    return AlreadyExistsError(f"An alias with the name {arn} already exists", reason="alias_exists")


def check_tags(tags: Mapping[str, str]) -> None:
    if any(k.lower().startswith("aws:") for k in tags):
        raise InvalidInputError("Tags beginning with aws: are reserved", reason="reserved_tag")
    if len(tags) > MAX_TAGS:
        raise LimitExceededError(
            f"A KMS key can have no more than {MAX_TAGS} tags.", reason="too_many_tags"
        )
