"""The KMS-compatible key service, through boto3's `kms` client against live servers.

Most tests share the session server. Isolation between accounts, the master key and what the
catalog holds use a private server of this module; the waiting period of a deletion uses a
`--test-hooks` server whose clock moves forward (`POST /_owl/clock`); the master key from the
environment and restarts use servers of their own.
"""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import stat
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import sqlalchemy as sa
from botocore.config import Config
from botocore.exceptions import ClientError

from owl.domain import ciphertext
from owl.domain.catalog import open_catalog
from owl.domain.clock import OffsetClock
from owl.domain.keys import Key, Keys, KeyState
from owl.domain.master_key import MASTER_KEY_ENV, unwrap
from owl.domain.models import Scope
from owl.services.kms import KMS
from tests.conftest import REGION, OwlServer, start_server
from tests.signing import RawResponse, send, signed_request

DAY_S = 86_400
DAY_MS = DAY_S * 1000
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
ALGORITHM = "SYMMETRIC_DEFAULT"


def fails(code: str, fn: Callable[..., Any], /, **kw: Any) -> str:
    """Call `fn(**kw)`, expect the AWS error `code`; its message."""
    with pytest.raises(ClientError) as e:
        fn(**kw)
    error = e.value.response["Error"]
    assert error["Code"] == code, error
    return str(error["Message"])


def status_of(fn: Callable[..., Any], /, **kw: Any) -> int:
    with pytest.raises(ClientError) as e:
        fn(**kw)
    return int(e.value.response["ResponseMetadata"]["HTTPStatusCode"])


def raw_client(server: OwlServer, **kw: Any) -> Any:
    """A kms client that sends what it is given: no client-side parameter validation."""
    return boto3.client(
        "kms",
        endpoint_url=server.endpoint,
        region_name=REGION,
        aws_access_key_id=server.access_key_id,
        aws_secret_access_key=server.secret_access_key,
        config=Config(retries={"total_max_attempts": 1}, parameter_validation=False),
        **kw,
    )


def hook(server: OwlServer, path: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{server.endpoint}/_owl/{path}", data=json.dumps(body).encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as r:
        return dict(json.loads(r.read()))


@pytest.fixture
def kms(owl_server: OwlServer) -> Any:
    return owl_server.client("kms")


@pytest.fixture
def key(kms: Any) -> dict[str, Any]:
    """A fresh key's metadata."""
    return dict(kms.create_key(Description="test key")["KeyMetadata"])


def new_alias(tag: str = "a") -> str:
    return f"alias/owl-test/{tag}-{time.monotonic_ns()}"


# --- CreateKey, DescribeKey, ListKeys ---------------------------------------------------------


def test_create_key_answers_symmetric_key_metadata(kms: Any) -> None:
    before = time.time()
    meta = kms.create_key(Description="orders", Tags=[{"TagKey": "team", "TagValue": "pay"}])[
        "KeyMetadata"
    ]
    account = meta["AWSAccountId"]
    assert len(account) == 12 and account.isdigit()
    assert meta["Arn"] == f"arn:aws:kms:{REGION}:{account}:key/{meta['KeyId']}"
    assert abs(meta["CreationDate"].timestamp() - before) < 60
    assert {k: meta[k] for k in ("Description", "Enabled", "KeyState", "KeyUsage")} == {
        "Description": "orders",
        "Enabled": True,
        "KeyState": "Enabled",
        "KeyUsage": "ENCRYPT_DECRYPT",
    }
    assert (meta["KeySpec"], meta["CustomerMasterKeySpec"]) == (ALGORITHM, ALGORITHM)
    assert (meta["Origin"], meta["KeyManager"], meta["MultiRegion"]) == (
        "AWS_KMS",
        "CUSTOMER",
        False,
    )
    assert meta["EncryptionAlgorithms"] == [ALGORITHM]
    assert "DeletionDate" not in meta
    tags = kms.list_resource_tags(KeyId=meta["KeyId"])["Tags"]
    assert tags == [{"TagKey": "team", "TagValue": "pay"}]


@pytest.mark.parametrize(
    "params",
    [
        {"KeySpec": "RSA_2048"},
        {"KeyUsage": "SIGN_VERIFY"},
        {"CustomerMasterKeySpec": "ECC_NIST_P256"},
        {"Origin": "EXTERNAL"},
        {"MultiRegion": True},
        {"CustomKeyStoreId": "cks-1234567890abcdef0"},
    ],
)
def test_create_key_refuses_kinds_owl_does_not_make(kms: Any, params: dict[str, Any]) -> None:
    fails("UnsupportedOperationException", kms.create_key, **params)


def test_create_key_checks_policy_and_tags(kms: Any) -> None:
    fails("MalformedPolicyDocumentException", kms.create_key, Policy="not json")
    fails("MalformedPolicyDocumentException", kms.create_key, Policy='{"Version": "2012-10-17"}')
    message = fails("TagException", kms.create_key, Tags=[{"TagKey": "aws:x", "TagValue": "1"}])
    assert message == "Tags beginning with aws: are reserved"
    many = [{"TagKey": f"k{i}", "TagValue": "v"} for i in range(51)]
    fails("LimitExceededException", kms.create_key, Tags=many)


def test_validation_errors_spell_members_as_kms_does(owl_server: OwlServer) -> None:
    raw = raw_client(owl_server)
    message = fails("ValidationException", raw.describe_key, KeyId="")
    assert message == (
        "1 validation error detected: Value '' at 'keyId' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"
    )
    message = fails(
        "ValidationException",
        raw.tag_resource,
        KeyId=UNKNOWN_ID,
        Tags=[{"TagKey": "k" * 129, "TagValue": "v"}],
    )
    assert "at 'tags.1.member.tagKey' failed to satisfy constraint" in message
    message = fails("ValidationException", raw.encrypt, KeyId=UNKNOWN_ID, Plaintext=b"x" * 4097)
    assert message == (
        "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: "
        "Member must have length less than or equal to 4096"
    )


def test_describe_key_by_every_identifier(kms: Any, key: dict[str, Any]) -> None:
    alias = new_alias()
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    alias_arn = key["Arn"].replace(f"key/{key['KeyId']}", alias)
    for ident in (key["KeyId"], key["Arn"], alias, alias_arn):
        assert kms.describe_key(KeyId=ident)["KeyMetadata"]["KeyId"] == key["KeyId"], ident


def test_describe_unknown_keys_and_aliases(kms: Any, key: dict[str, Any]) -> None:
    account = key["AWSAccountId"]
    arn = f"arn:aws:kms:{REGION}:{account}:key/{UNKNOWN_ID}"
    assert fails("NotFoundException", kms.describe_key, KeyId=UNKNOWN_ID) == (
        f"Key '{arn}' does not exist"
    )
    assert fails("NotFoundException", kms.describe_key, KeyId=arn) == f"Key '{arn}' does not exist"
    assert fails("NotFoundException", kms.describe_key, KeyId="alias/owl-test/none") == (
        f"Alias arn:aws:kms:{REGION}:{account}:alias/owl-test/none is not found."
    )
    assert fails("NotFoundException", kms.describe_key, KeyId="nope") == "Invalid keyId 'nope'"
    elsewhere = key["Arn"].replace(REGION, "eu-west-1")
    fails("NotFoundException", kms.describe_key, KeyId=elsewhere)
    fails("InvalidArnException", kms.describe_key, KeyId="arn:aws:kms:broken")


def test_list_keys_pages_through_every_key(kms: Any) -> None:
    made = {kms.create_key()["KeyMetadata"]["KeyId"] for _ in range(3)}
    seen: list[str] = []
    marker = None
    while True:
        page = kms.list_keys(Limit=2, **({"Marker": marker} if marker else {}))
        assert len(page["Keys"]) <= 2
        for entry in page["Keys"]:
            assert entry["KeyArn"].endswith(f":key/{entry['KeyId']}")
            seen.append(entry["KeyId"])
        if not page["Truncated"]:
            assert "NextMarker" not in page
            break
        marker = page["NextMarker"]
    assert made <= set(seen)
    assert len(seen) == len(set(seen))
    fails("InvalidMarkerException", kms.list_keys, Marker="forged")


# --- aliases ----------------------------------------------------------------------------------


def test_aliases_create_list_delete(kms: Any, key: dict[str, Any]) -> None:
    alias = new_alias()
    kms.create_alias(AliasName=alias, TargetKeyId=key["Arn"])
    entries = kms.list_aliases(KeyId=key["KeyId"])["Aliases"]
    assert [e["AliasName"] for e in entries] == [alias]
    entry = entries[0]
    assert entry["AliasArn"] == f"arn:aws:kms:{REGION}:{key['AWSAccountId']}:{alias}"
    assert entry["TargetKeyId"] == key["KeyId"]
    assert entry["CreationDate"] == entry["LastUpdatedDate"]
    assert alias in {e["AliasName"] for e in kms.list_aliases(Limit=1000)["Aliases"]}

    other = kms.create_key()["KeyMetadata"]
    message = fails(
        "AlreadyExistsException", kms.create_alias, AliasName=alias, TargetKeyId=other["KeyId"]
    )
    assert message == f"An alias with the name {entry['AliasArn']} already exists"

    kms.delete_alias(AliasName=alias)
    assert kms.list_aliases(KeyId=key["KeyId"])["Aliases"] == []
    assert fails("NotFoundException", kms.delete_alias, AliasName=alias) == (
        f"Alias {entry['AliasArn']} is not found."
    )
    fails("NotFoundException", kms.describe_key, KeyId=alias)


def test_alias_names_follow_aws_rules(kms: Any, key: dict[str, Any]) -> None:
    message = fails(
        "ValidationException", kms.create_alias, AliasName="orders", TargetKeyId=key["KeyId"]
    )
    assert message.startswith('Alias must start with the prefix "alias/".')
    fails(
        "InvalidAliasNameException",
        kms.create_alias,
        AliasName="alias/aws/ebs",
        TargetKeyId=key["KeyId"],
    )
    fails(
        "InvalidAliasNameException",
        kms.create_alias,
        AliasName="alias/a:b",
        TargetKeyId=key["KeyId"],
    )
    fails("ValidationException", kms.delete_alias, AliasName="orders")


def test_alias_targets_and_key_only_operations(kms: Any, key: dict[str, Any]) -> None:
    alias = new_alias()
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    # TargetKeyId, EnableKey and the like take a key id or key ARN, never an alias.
    fails("NotFoundException", kms.create_alias, AliasName=new_alias(), TargetKeyId=alias)
    fails("NotFoundException", kms.enable_key, KeyId=alias)
    alias_arn = f"arn:aws:kms:{REGION}:{key['AWSAccountId']}:{alias}"
    fails("InvalidArnException", kms.disable_key, KeyId=alias_arn)
    fails("NotFoundException", kms.create_alias, AliasName=new_alias(), TargetKeyId=UNKNOWN_ID)
    fails("NotFoundException", kms.list_aliases, KeyId=UNKNOWN_ID)


# --- key states -------------------------------------------------------------------------------


def test_disabled_key_refuses_cryptography_until_enabled(kms: Any, key: dict[str, Any]) -> None:
    kid = key["KeyId"]
    blob = kms.encrypt(KeyId=kid, Plaintext=b"before")["CiphertextBlob"]
    kms.disable_key(KeyId=kid)
    kms.disable_key(KeyId=kid)  # disabling a disabled key is fine
    meta = kms.describe_key(KeyId=kid)["KeyMetadata"]
    assert (meta["KeyState"], meta["Enabled"]) == ("Disabled", False)
    disabled = f"{key['Arn']} is disabled."
    assert fails("DisabledException", kms.encrypt, KeyId=kid, Plaintext=b"x") == disabled
    assert fails("DisabledException", kms.decrypt, CiphertextBlob=blob) == disabled
    fails("DisabledException", kms.generate_data_key, KeyId=kid, KeySpec="AES_256")
    fails("DisabledException", kms.generate_data_key_without_plaintext, KeyId=kid, NumberOfBytes=8)
    kms.enable_key(KeyId=kid)
    assert kms.describe_key(KeyId=kid)["KeyMetadata"]["KeyState"] == "Enabled"
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"before"


def test_schedule_and_cancel_key_deletion(kms: Any, key: dict[str, Any]) -> None:
    kid, arn = key["KeyId"], key["Arn"]
    alias = new_alias()
    kms.create_alias(AliasName=alias, TargetKeyId=kid)
    blob = kms.encrypt(KeyId=kid, Plaintext=b"kept")["CiphertextBlob"]
    now = time.time()
    out = kms.schedule_key_deletion(KeyId=kid)
    assert (out["KeyId"], out["KeyState"], out["PendingWindowInDays"]) == (
        arn,
        "PendingDeletion",
        30,
    )
    assert abs(out["DeletionDate"].timestamp() - (now + 30 * DAY_S)) < 60
    meta = kms.describe_key(KeyId=alias)["KeyMetadata"]
    assert (meta["KeyState"], meta["Enabled"]) == ("PendingDeletion", False)
    assert meta["DeletionDate"] == out["DeletionDate"]

    pending = f"{arn} is pending deletion."
    assert fails("KMSInvalidStateException", kms.encrypt, KeyId=kid, Plaintext=b"x") == pending
    assert fails("KMSInvalidStateException", kms.decrypt, CiphertextBlob=blob) == pending
    fails("KMSInvalidStateException", kms.generate_data_key, KeyId=alias, NumberOfBytes=16)
    fails("KMSInvalidStateException", kms.enable_key, KeyId=kid)
    fails("KMSInvalidStateException", kms.disable_key, KeyId=kid)
    fails("KMSInvalidStateException", kms.schedule_key_deletion, KeyId=kid)
    fails(
        "KMSInvalidStateException",
        kms.tag_resource,
        KeyId=kid,
        Tags=[{"TagKey": "a", "TagValue": "b"}],
    )
    fails("KMSInvalidStateException", kms.create_alias, AliasName=new_alias(), TargetKeyId=kid)
    # Reading metadata, the policy and tags still works while the key waits.
    assert kms.get_key_policy(KeyId=kid)["Policy"]
    assert kms.list_resource_tags(KeyId=kid)["Tags"] == []

    assert kms.cancel_key_deletion(KeyId=kid)["KeyId"] == arn
    meta = kms.describe_key(KeyId=kid)["KeyMetadata"]
    assert (meta["KeyState"], meta["Enabled"]) == ("Disabled", False)  # as AWS: not Enabled
    assert "DeletionDate" not in meta
    message = fails("KMSInvalidStateException", kms.cancel_key_deletion, KeyId=kid)
    assert message == f"{arn} is not pending deletion."
    kms.enable_key(KeyId=kid)
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"kept"
    assert kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"] == kid


def test_pending_window_is_7_to_30_days(kms: Any) -> None:
    for days in (6, 31, 365):
        kid = kms.create_key()["KeyMetadata"]["KeyId"]
        message = fails(
            "ValidationException", kms.schedule_key_deletion, KeyId=kid, PendingWindowInDays=days
        )
        assert message == f"PendingWindowInDays should be between 7 and 30, but it is {days}"
        assert kms.describe_key(KeyId=kid)["KeyMetadata"]["KeyState"] == "Enabled"
    for days in (7, 30):
        kid = kms.create_key()["KeyMetadata"]["KeyId"]
        out = kms.schedule_key_deletion(KeyId=kid, PendingWindowInDays=days)
        assert out["PendingWindowInDays"] == days
        assert abs(out["DeletionDate"].timestamp() - (time.time() + days * DAY_S)) < 60
    fails("NotFoundException", kms.schedule_key_deletion, KeyId=UNKNOWN_ID)
    fails("NotFoundException", kms.cancel_key_deletion, KeyId=UNKNOWN_ID)
    fails("NotFoundException", kms.enable_key, KeyId=UNKNOWN_ID)
    fails("NotFoundException", kms.disable_key, KeyId=UNKNOWN_ID)


# --- Encrypt, Decrypt, GenerateDataKey --------------------------------------------------------


def test_encrypt_decrypt_round_trip(kms: Any, key: dict[str, Any]) -> None:
    kid, arn = key["KeyId"], key["Arn"]
    out = kms.encrypt(KeyId=kid, Plaintext=b"secret \x00\xff bytes")
    assert (out["KeyId"], out["EncryptionAlgorithm"]) == (arn, ALGORITHM)
    assert b"secret" not in out["CiphertextBlob"]
    back = kms.decrypt(CiphertextBlob=out["CiphertextBlob"])
    assert back["Plaintext"] == b"secret \x00\xff bytes"
    assert (back["KeyId"], back["EncryptionAlgorithm"]) == (arn, ALGORITHM)
    # The same plaintext twice gives two different blobs (a fresh nonce each time).
    assert (
        kms.encrypt(KeyId=kid, Plaintext=b"same")["CiphertextBlob"]
        != kms.encrypt(KeyId=kid, Plaintext=b"same")["CiphertextBlob"]
    )
    # An empty context is no context, as in AWS.
    assert kms.decrypt(CiphertextBlob=out["CiphertextBlob"], EncryptionContext={})["Plaintext"]
    # Decrypt takes the key as id, ARN or alias when given, and needs it to match.
    alias = new_alias()
    kms.create_alias(AliasName=alias, TargetKeyId=kid)
    for ident in (kid, arn, alias):
        assert kms.decrypt(CiphertextBlob=out["CiphertextBlob"], KeyId=ident)["Plaintext"]
    other = kms.create_key()["KeyMetadata"]["KeyId"]
    message = fails(
        "IncorrectKeyException", kms.decrypt, CiphertextBlob=out["CiphertextBlob"], KeyId=other
    )
    assert message == (
        "The key ID in the request does not identify a CMK that can perform this operation."
    )


def test_encryption_context_is_bound_to_the_ciphertext(kms: Any, key: dict[str, Any]) -> None:
    context = {"tenant": "a", "purpose": "logs"}
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"ctx", EncryptionContext=context)[
        "CiphertextBlob"
    ]
    reordered = {"purpose": "logs", "tenant": "a"}
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext=reordered)["Plaintext"] == b"ctx"
    for wrong in ({}, {"tenant": "b", "purpose": "logs"}, {"tenant": "a"}, {**context, "x": "y"}):
        fails(
            "InvalidCiphertextException", kms.decrypt, CiphertextBlob=blob, EncryptionContext=wrong
        )


def test_bad_ciphertext_is_invalid_ciphertext(kms: Any, key: dict[str, Any]) -> None:
    blob = bytearray(kms.encrypt(KeyId=key["KeyId"], Plaintext=b"intact")["CiphertextBlob"])
    for i in (0, 20, len(blob) - 1):  # version byte, nonce, tag
        tampered = bytearray(blob)
        tampered[i] ^= 0x01
        fails("InvalidCiphertextException", kms.decrypt, CiphertextBlob=bytes(tampered))
    fails("InvalidCiphertextException", kms.decrypt, CiphertextBlob=b"not a kms blob at all")
    fails("InvalidCiphertextException", kms.decrypt, CiphertextBlob=bytes(blob[:-1]))
    assert kms.decrypt(CiphertextBlob=bytes(blob))["Plaintext"] == b"intact"


def test_generate_data_key_sizes_and_round_trip(kms: Any, key: dict[str, Any]) -> None:
    kid, arn = key["KeyId"], key["Arn"]
    context = {"group": "/app/web"}
    for params, size in (
        ({"KeySpec": "AES_256"}, 32),
        ({"KeySpec": "AES_128"}, 16),
        ({"NumberOfBytes": 7}, 7),
    ):
        out = kms.generate_data_key(KeyId=kid, EncryptionContext=context, **params)
        assert out["KeyId"] == arn
        assert len(out["Plaintext"]) == size
        back = kms.decrypt(CiphertextBlob=out["CiphertextBlob"], EncryptionContext=context)
        assert back["Plaintext"] == out["Plaintext"]
        fails("InvalidCiphertextException", kms.decrypt, CiphertextBlob=out["CiphertextBlob"])
    first = kms.generate_data_key(KeyId=kid, KeySpec="AES_256")["Plaintext"]
    assert first != kms.generate_data_key(KeyId=kid, KeySpec="AES_256")["Plaintext"]

    out = kms.generate_data_key_without_plaintext(KeyId=kid, KeySpec="AES_256")
    assert "Plaintext" not in out and out["KeyId"] == arn
    assert len(kms.decrypt(CiphertextBlob=out["CiphertextBlob"])["Plaintext"]) == 32


def test_generate_data_key_needs_exactly_one_size(
    owl_server: OwlServer, key: dict[str, Any]
) -> None:
    raw = raw_client(owl_server)
    for op in (raw.generate_data_key, raw.generate_data_key_without_plaintext):
        for params in ({}, {"KeySpec": "AES_256", "NumberOfBytes": 32}):
            message = fails("ValidationException", op, KeyId=key["KeyId"], **params)
            assert message == "Please specify either number of bytes or key spec."
        message = fails("ValidationException", op, KeyId=key["KeyId"], NumberOfBytes=0)
        assert message == (
            "1 validation error detected: Value '0' at 'numberOfBytes' failed to satisfy "
            "constraint: Member must have value greater than or equal to 1"
        )
        fails("ValidationException", op, KeyId=key["KeyId"], NumberOfBytes=1025)
        fails("ValidationException", op, KeyId=key["KeyId"], KeySpec="AES_512")


def test_cryptography_by_alias_and_unknown_keys(kms: Any, key: dict[str, Any]) -> None:
    alias = new_alias()
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    alias_arn = f"arn:aws:kms:{REGION}:{key['AWSAccountId']}:{alias}"
    for ident in (alias, alias_arn, key["Arn"]):
        assert kms.encrypt(KeyId=ident, Plaintext=b"x")["KeyId"] == key["Arn"]
        assert kms.generate_data_key(KeyId=ident, NumberOfBytes=4)["KeyId"] == key["Arn"]
    fails("NotFoundException", kms.encrypt, KeyId=UNKNOWN_ID, Plaintext=b"x")
    fails("NotFoundException", kms.encrypt, KeyId="alias/owl-test/none", Plaintext=b"x")
    fails("NotFoundException", kms.generate_data_key, KeyId=UNKNOWN_ID, KeySpec="AES_256")
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    fails("NotFoundException", kms.decrypt, CiphertextBlob=blob, KeyId=UNKNOWN_ID)
    fails(
        "InvalidKeyUsageException",
        kms.encrypt,
        KeyId=key["KeyId"],
        Plaintext=b"x",
        EncryptionAlgorithm="RSAES_OAEP_SHA_256",
    )


def test_dry_run_checks_then_refuses(kms: Any, key: dict[str, Any]) -> None:
    kid = key["KeyId"]
    blob = kms.encrypt(KeyId=kid, Plaintext=b"dry")["CiphertextBlob"]
    calls: list[tuple[Callable[..., Any], dict[str, Any]]] = [
        (kms.encrypt, {"KeyId": kid, "Plaintext": b"x"}),
        (kms.decrypt, {"CiphertextBlob": blob}),
        (kms.decrypt, {"KeyId": kid, "DryRunModifiers": ["IGNORE_CIPHERTEXT"]}),
        (kms.generate_data_key, {"KeyId": kid, "KeySpec": "AES_256"}),
        (kms.generate_data_key_without_plaintext, {"KeyId": kid, "NumberOfBytes": 8}),
    ]
    for op, params in calls:
        message = fails("DryRunOperationException", op, DryRun=True, **params)
        assert message == "The request would have succeeded, but the DryRun option is set."
        assert status_of(op, DryRun=True, **params) == 412
    # What would fail still fails: a DryRun is not a way around the checks.
    fails("InvalidCiphertextException", kms.decrypt, CiphertextBlob=b"garbage" * 8, DryRun=True)
    fails("NotFoundException", kms.encrypt, KeyId=UNKNOWN_ID, Plaintext=b"x", DryRun=True)
    kms.disable_key(KeyId=kid)
    for op, params in calls:
        fails("DisabledException", op, DryRun=True, **params)


def test_decrypt_needs_a_ciphertext_unless_dry_run(owl_server: OwlServer) -> None:
    message = fails("ValidationException", raw_client(owl_server).decrypt)
    assert message == (
        "1 validation error detected: Value null at 'ciphertextBlob' failed to satisfy "
        "constraint: Member must not be null"
    )


# --- policy and tags --------------------------------------------------------------------------


def test_key_policy_default_get_and_put(kms: Any, key: dict[str, Any]) -> None:
    kid, account = key["KeyId"], key["AWSAccountId"]
    out = kms.get_key_policy(KeyId=kid)
    assert out["PolicyName"] == "default"
    policy = json.loads(out["Policy"])
    assert policy["Id"] == "key-default-1"
    statement = policy["Statement"][0]
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{account}:root"}
    assert (statement["Effect"], statement["Action"], statement["Resource"]) == (
        "Allow",
        "kms:*",
        "*",
    )
    assert kms.get_key_policy(KeyId=key["Arn"], PolicyName="default")["Policy"] == out["Policy"]

    mine = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "logs.us-east-1.amazonaws.com"},
                    "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:GenerateDataKey*"],
                    "Resource": "*",
                }
            ],
        }
    )
    kms.put_key_policy(KeyId=kid, Policy=mine)
    assert kms.get_key_policy(KeyId=kid)["Policy"] == mine
    fails("MalformedPolicyDocumentException", kms.put_key_policy, KeyId=kid, Policy="{oops")
    assert kms.get_key_policy(KeyId=kid)["Policy"] == mine
    fails("NotFoundException", kms.get_key_policy, KeyId=kid, PolicyName="other")
    fails("NotFoundException", kms.get_key_policy, KeyId=UNKNOWN_ID)
    fails("NotFoundException", kms.put_key_policy, KeyId=UNKNOWN_ID, Policy=mine)

    custom = kms.create_key(Policy=mine)["KeyMetadata"]["KeyId"]
    assert kms.get_key_policy(KeyId=custom)["Policy"] == mine


def test_tags_add_replace_list_and_remove(kms: Any, key: dict[str, Any]) -> None:
    kid = key["KeyId"]
    kms.tag_resource(
        KeyId=kid, Tags=[{"TagKey": "b", "TagValue": "1"}, {"TagKey": "a", "TagValue": "2"}]
    )
    kms.tag_resource(
        KeyId=key["Arn"], Tags=[{"TagKey": "b", "TagValue": "3"}, {"TagKey": "c", "TagValue": ""}]
    )
    assert kms.list_resource_tags(KeyId=kid)["Tags"] == [
        {"TagKey": "a", "TagValue": "2"},
        {"TagKey": "b", "TagValue": "3"},
        {"TagKey": "c", "TagValue": ""},
    ]
    first = kms.list_resource_tags(KeyId=kid, Limit=2)
    assert first["Truncated"] is True and [t["TagKey"] for t in first["Tags"]] == ["a", "b"]
    rest = kms.list_resource_tags(KeyId=kid, Limit=2, Marker=first["NextMarker"])
    assert (rest["Truncated"], [t["TagKey"] for t in rest["Tags"]]) == (False, ["c"])
    # A marker belongs to the listing of one key.
    other = kms.create_key()["KeyMetadata"]["KeyId"]
    fails("InvalidMarkerException", kms.list_resource_tags, KeyId=other, Marker=first["NextMarker"])

    kms.untag_resource(KeyId=kid, TagKeys=["a", "missing"])
    assert [t["TagKey"] for t in kms.list_resource_tags(KeyId=kid)["Tags"]] == ["b", "c"]
    fails("TagException", kms.tag_resource, KeyId=kid, Tags=[{"TagKey": "AWS:x", "TagValue": "1"}])
    many = [{"TagKey": f"k{i:02}", "TagValue": "v"} for i in range(49)]
    fails("LimitExceededException", kms.tag_resource, KeyId=kid, Tags=many)
    fails(
        "NotFoundException",
        kms.tag_resource,
        KeyId=UNKNOWN_ID,
        Tags=[{"TagKey": "a", "TagValue": "b"}],
    )
    fails("NotFoundException", kms.list_resource_tags, KeyId=UNKNOWN_ID)


# --- every operation answers like AWS ---------------------------------------------------------


def raw_kms(server: OwlServer, operation: str, *, service: str = "kms") -> RawResponse:
    """`{}` to `operation`, signed by botocore for `service`, sent byte for byte."""
    body = b"{}"
    request = signed_request(
        server.endpoint + "/",
        body,
        access_key_id=server.access_key_id,
        secret_access_key=server.secret_access_key,
        target=f"TrentService.{operation}",
        service=service,
    )
    return send(server.endpoint, dict(request.headers.items()), body)


@pytest.mark.parametrize("operation", sorted(KMS.implemented()))
def test_operation_answers_empty_body_like_aws(owl_server: OwlServer, operation: str) -> None:
    resp = raw_kms(owl_server, operation)
    assert resp.headers.get("x-amzn-requestid")
    assert resp.status < 500, resp.body
    assert b"Traceback" not in resp.body
    if resp.status != 200:
        assert resp.headers["x-amzn-errortype"] == resp.json()["__type"]
        assert resp.headers["content-type"] == "application/x-amz-json-1.1"


def test_a_kms_request_signed_for_logs_is_refused(owl_server: OwlServer) -> None:
    assert raw_kms(owl_server, "ListKeys").status == 200
    resp = raw_kms(owl_server, "ListKeys", service="logs")
    assert (resp.status, resp.error_type) == (400, "InvalidSignatureException"), resp.body
    assert resp.message == "Credential should be scoped to correct service: 'kms'. "


# --- accounts and regions ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def private(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwlServer]:
    """A server of this module: its tests add an account and read its data directory."""
    server = start_server(tmp_path_factory.mktemp("kms") / "data")
    try:
        yield server
    finally:
        server.stop()


def second_account(server: OwlServer) -> Any:
    done = subprocess.run(
        [sys.executable, "-m", "owl", "keys", "create", "--json", "--new-account"]
        + ["--data-dir", str(server.data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    key = json.loads(done.stdout)
    return server.client(
        "kms", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"]
    )


def test_accounts_and_regions_see_only_their_own_keys(private: OwlServer) -> None:
    mine, theirs = private.client("kms"), second_account(private)
    key = mine.create_key()["KeyMetadata"]
    alias = new_alias("shared-name")
    mine.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    blob = mine.encrypt(KeyId=key["KeyId"], Plaintext=b"mine")["CiphertextBlob"]

    for ident in (key["KeyId"], key["Arn"], alias):
        fails("NotFoundException", theirs.describe_key, KeyId=ident)
        fails("NotFoundException", theirs.encrypt, KeyId=ident, Plaintext=b"x")
    fails("NotFoundException", theirs.decrypt, CiphertextBlob=blob)
    fails("NotFoundException", theirs.disable_key, KeyId=key["Arn"])
    fails("NotFoundException", theirs.schedule_key_deletion, KeyId=key["KeyId"])
    fails("NotFoundException", theirs.list_resource_tags, KeyId=key["KeyId"])
    assert key["KeyId"] not in {k["KeyId"] for k in theirs.list_keys()["Keys"]}
    assert theirs.list_aliases()["Aliases"] == []

    # Alias names are per account: the same name points at each account's own key.
    their_key = theirs.create_key()["KeyMetadata"]
    assert their_key["AWSAccountId"] != key["AWSAccountId"]
    theirs.create_alias(AliasName=alias, TargetKeyId=their_key["KeyId"])
    assert theirs.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"] == their_key["KeyId"]
    assert mine.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"] == key["KeyId"]
    assert mine.decrypt(CiphertextBlob=blob)["Plaintext"] == b"mine"

    west = private.client("kms", region="us-west-2")
    fails("NotFoundException", west.describe_key, KeyId=key["KeyId"])
    fails("NotFoundException", west.describe_key, KeyId=key["Arn"])
    fails("NotFoundException", west.decrypt, CiphertextBlob=blob)
    assert west.list_keys()["Keys"] == []


# --- the master key and what the data directory holds ----------------------------------------


def files_holding(data_dir: Path, needle: bytes) -> list[str]:
    return [
        str(p.relative_to(data_dir))
        for p in data_dir.rglob("*")
        if p.is_file() and needle in p.read_bytes()
    ]


def stored_material(data_dir: Path, key_id: str) -> bytes:
    """The wrapped material of a key, read from the catalog while the server runs."""
    db = sqlite3.connect(f"file:{data_dir / 'catalog.db'}?mode=ro", uri=True)
    try:
        row = db.execute("SELECT material FROM kms_keys WHERE id = ?", (key_id,)).fetchone()
    finally:
        db.close()
    assert row is not None
    return bytes(row[0])


def master_of(data_dir: Path) -> bytes:
    return base64.b64decode((data_dir / "master.key").read_text())


def test_master_key_file_is_private_and_material_is_wrapped(private: OwlServer) -> None:
    data_dir = private.data_dir
    path = data_dir / "master.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    master = master_of(data_dir)
    assert len(master) == 32

    kms = private.client("kms")
    kid = kms.create_key()["KeyMetadata"]["KeyId"]
    marker = f"owl-kms-marker-{time.monotonic_ns()}".encode()
    blob = kms.encrypt(KeyId=kid, Plaintext=marker, EncryptionContext={"c": "1"})["CiphertextBlob"]
    data_key = kms.generate_data_key(KeyId=kid, KeySpec="AES_256")["Plaintext"]

    wrapped = stored_material(data_dir, kid)
    material = unwrap(master, kid, wrapped)
    # The test reads the right thing: the unwrapped material opens what Encrypt made ...
    assert ciphertext.open_blob(ciphertext.parse(blob), material, {"c": "1"}) == marker
    # ... and the wrapped form is what the catalog holds (so the search below can find bytes).
    assert files_holding(data_dir, wrapped)
    # The material itself, the plaintext and the data key are nowhere on disk.
    assert files_holding(data_dir, material) == []
    assert files_holding(data_dir, marker) == []
    assert files_holding(data_dir, data_key) == []
    with pytest.raises(ciphertext.BadCiphertext):
        ciphertext.open_blob(ciphertext.parse(blob), wrapped[12:44], {"c": "1"})


def test_keys_survive_a_restart(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data")
    try:
        kms = server.client("kms")
        kid = kms.create_key()["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName="alias/kept", TargetKeyId=kid)
        blob = kms.encrypt(KeyId="alias/kept", Plaintext=b"durable")["CiphertextBlob"]
    finally:
        server.stop()
    again = start_server(tmp_path / "data")
    try:
        kms = again.client("kms")
        assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"durable"
        assert kms.describe_key(KeyId="alias/kept")["KeyMetadata"]["KeyId"] == kid
    finally:
        again.stop()


def test_master_key_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data_dir = tmp_path / "data"
    given = os.urandom(32)
    monkeypatch.setenv(MASTER_KEY_ENV, base64.b64encode(given).decode())
    server = start_server(data_dir)
    try:
        kms = server.client("kms")
        kid = kms.create_key()["KeyMetadata"]["KeyId"]
        blob = kms.encrypt(KeyId=kid, Plaintext=b"env")["CiphertextBlob"]
        assert not (data_dir / "master.key").exists()
        unwrap(given, kid, stored_material(data_dir, kid))  # wrapped under the given key
    finally:
        server.stop()

    wrong = base64.b64encode(os.urandom(32)).decode()
    monkeypatch.setenv(MASTER_KEY_ENV, wrong)
    with pytest.raises(RuntimeError):
        start_server(data_dir)  # a different master key would open nothing: refuse to start
    logs = "".join(p.read_text() for p in tmp_path.glob("owl-*.log"))
    assert "does not open under this master key" in logs
    assert wrong not in logs and base64.b64encode(given).decode() not in logs

    monkeypatch.setenv(MASTER_KEY_ENV, "c2hvcnQ=")
    with pytest.raises(RuntimeError):
        start_server(data_dir)

    monkeypatch.setenv(MASTER_KEY_ENV, base64.b64encode(given).decode())
    server = start_server(data_dir)
    try:
        assert server.client("kms").decrypt(CiphertextBlob=blob)["Plaintext"] == b"env"
    finally:
        server.stop()


# --- the waiting period, with a moving clock --------------------------------------------------


@pytest.fixture
def clocked(tmp_path: Path) -> Iterator[OwlServer]:
    server = start_server(tmp_path / "data", "--test-hooks")
    try:
        yield server
    finally:
        server.stop()


def test_deletion_completes_after_the_waiting_period(clocked: OwlServer) -> None:
    kms = clocked.client("kms")
    doomed = kms.create_key()["KeyMetadata"]
    kept = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/doomed", TargetKeyId=doomed["KeyId"])
    blob = kms.encrypt(KeyId=doomed["KeyId"], Plaintext=b"gone soon")["CiphertextBlob"]
    kept_blob = kms.encrypt(KeyId=kept["KeyId"], Plaintext=b"stays")["CiphertextBlob"]
    wrapped = stored_material(clocked.data_dir, doomed["KeyId"])
    kms.schedule_key_deletion(KeyId=doomed["KeyId"], PendingWindowInDays=7)
    kms.schedule_key_deletion(KeyId=kept["KeyId"], PendingWindowInDays=7)
    kms.cancel_key_deletion(KeyId=kept["KeyId"])
    kms.enable_key(KeyId=kept["KeyId"])

    hook(clocked, "clock", {"advance_ms": 7 * DAY_MS - 60_000})
    assert kms.describe_key(KeyId=doomed["KeyId"])["KeyMetadata"]["KeyState"] == "PendingDeletion"
    fails("KMSInvalidStateException", kms.decrypt, CiphertextBlob=blob)

    hook(clocked, "clock", {"advance_ms": 120_000})
    gone = f"Key '{doomed['Arn']}' does not exist"
    assert fails("NotFoundException", kms.describe_key, KeyId=doomed["KeyId"]) == gone
    assert fails("NotFoundException", kms.decrypt, CiphertextBlob=blob) == gone
    fails("NotFoundException", kms.cancel_key_deletion, KeyId=doomed["KeyId"])
    fails("NotFoundException", kms.enable_key, KeyId=doomed["KeyId"])
    fails("NotFoundException", kms.describe_key, KeyId="alias/doomed")  # its aliases went too
    assert [k["KeyId"] for k in kms.list_keys()["Keys"]] == [kept["KeyId"]]
    assert kms.list_aliases()["Aliases"] == []
    # Crypto-shredding: not even the wrapped material is left in the data directory.
    assert files_holding(clocked.data_dir, wrapped) == []
    # The key whose deletion was cancelled is untouched.
    assert kms.decrypt(CiphertextBlob=kept_blob)["Plaintext"] == b"stays"


def test_default_waiting_period_is_30_days(clocked: OwlServer) -> None:
    kms = clocked.client("kms")
    kid = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.schedule_key_deletion(KeyId=kid)
    hook(clocked, "clock", {"advance_ms": 29 * DAY_MS})
    assert kms.describe_key(KeyId=kid)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    hook(clocked, "clock", {"advance_ms": DAY_MS + 60_000})
    fails("NotFoundException", kms.describe_key, KeyId=kid)


# --- the domain's change hook ----------------------------------------------------------------


def test_on_change_reports_every_state_and_the_deletion(tmp_path: Path) -> None:
    engine = open_catalog(tmp_path / "data")
    clock = OffsetClock()
    try:
        keys = Keys(engine, clock, os.urandom(32))
        heard: list[tuple[str, KeyState]] = []

        def listen(k: Key) -> None:
            heard.append((k.id, k.state))

        keys.on_change(listen)
        scope = Scope("123456789012", REGION)
        key = keys.create(scope)
        keys.disable(scope, key.id)
        keys.disable(scope, key.id)  # no change, nothing heard
        keys.enable(scope, key.id)
        keys.schedule_deletion(scope, key.id, 7)
        clock.advance(7 * DAY_MS)
        assert keys.list_keys(scope, None, 10) == ([], False)
        assert heard == [
            (key.id, KeyState.ENABLED),
            (key.id, KeyState.DISABLED),
            (key.id, KeyState.ENABLED),
            (key.id, KeyState.PENDING_DELETION),
            (key.id, KeyState.DELETED),
        ]
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM kms_keys")).scalar() == 0
        # A wrong master key is refused at once, not at the first Decrypt.
        with pytest.raises(Exception, match="does not open under this master key"):
            Keys(engine, clock, os.urandom(32))
    finally:
        engine.dispose()
