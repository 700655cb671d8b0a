"""Helpers the protocol tests share: error unpacking, the server's account, a lenient client."""

from __future__ import annotations

import sqlite3
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import OwlServer


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
