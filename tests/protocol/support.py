"""Helpers the protocol tests share: error unpacking, the server's account, a lenient client,
the test hooks of a `--test-hooks` server and a private server of that kind."""

from __future__ import annotations

import json
import sqlite3
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import OwlServer, start_server


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    err = exc.value.response["Error"]
    return err["Code"], err["Message"]


def account_of(server: OwlServer) -> str:
    """The account of the server's root key, read from the catalog (read-only)."""
    db = sqlite3.connect(f"file:{server.data_dir / 'catalog.db'}?mode=ro", uri=True)
    try:
        row = db.execute(
            "SELECT account_id FROM access_keys WHERE access_key_id = ?", (server.access_key_id,)
        ).fetchone()
    finally:
        db.close()
    assert row is not None
    return str(row[0])


def lenient(logs: Any) -> Any:
    """A client of the same server that skips botocore's own parameter validation."""
    creds = logs._request_signer._credentials
    return boto3.client(
        "logs",
        endpoint_url=logs.meta.endpoint_url,
        region_name=logs.meta.region_name,
        aws_access_key_id=creds.access_key,
        aws_secret_access_key=creds.secret_key,
        config=Config(retries={"total_max_attempts": 1}, parameter_validation=False),
    )


def logs_key_policy(account: str, region: str, resource: str = "log-group:*") -> str:
    """A key policy that lets the account manage the key and CloudWatch Logs use it for the
    account's resources matching `resource` (the policy AWS's documentation has owners
    write; `query-result:*` is the form for query results)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    "Effect": "Allow",
                    "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                    "Action": [
                        "kms:Encrypt*",
                        "kms:Decrypt*",
                        "kms:ReEncrypt*",
                        "kms:GenerateDataKey*",
                        "kms:Describe*",
                    ],
                    "Resource": "*",
                    "Condition": {
                        "ArnLike": {
                            "kms:EncryptionContext:aws:logs:arn": (
                                f"arn:aws:logs:{region}:{account}:{resource}"
                            )
                        }
                    },
                },
            ],
        }
    )


def logs_key(server: OwlServer, region: str = "us-east-1") -> str:
    """The ARN of a new KMS key that CloudWatch Logs may use for the account's groups."""
    kms = server.client("kms", region=region)
    policy = logs_key_policy(account_of(server), region)
    return str(kms.create_key(Policy=policy)["KeyMetadata"]["Arn"])


def owl_hook(server: OwlServer, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """POST /_owl/<path> (flush, clock, retention, ...) on a `--test-hooks` server."""
    data = json.dumps(body or {}).encode()
    request = urllib.request.Request(f"{server.endpoint}/_owl/{path}", data=data, method="POST")
    with urllib.request.urlopen(request, timeout=120) as r:
        return dict(json.loads(r.read()))


def hooked_server(tmp_path: Path) -> Iterator[OwlServer]:
    """A private `--test-hooks` server over an empty data directory (wrap as a fixture)."""
    s = start_server(tmp_path / "data", "--test-hooks")
    try:
        yield s
    finally:
        s.stop()
