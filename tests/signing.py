"""Raw SigV4-signed requests, for tests that must control what boto3 would hide.

botocore signs (so the signature is exactly what an SDK sends); http.client sends, so that a
test can tamper with any byte after signing.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
from dataclasses import dataclass
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

import botocore.auth
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

TARGET_PREFIX = "Logs_20140328"
JSON_11 = "application/x-amz-json-1.1"


def signed_request(
    url: str,
    body: bytes,
    *,
    access_key_id: str,
    secret_access_key: str,
    target: str | None = None,
    region: str = "us-east-1",
    service: str = "logs",
    when: dt.datetime | None = None,
    headers: dict[str, str] | None = None,
) -> AWSRequest:
    """A POST signed by botocore's SigV4Auth, as of `when` (default: now)."""
    all_headers = {"Content-Type": JSON_11}
    if target is not None:
        all_headers["X-Amz-Target"] = target
    all_headers.update(headers or {})
    request = AWSRequest(method="POST", url=url, data=body, headers=all_headers)
    signer = SigV4Auth(Credentials(access_key_id, secret_access_key), service, region)
    if when is None:
        signer.add_auth(request)
    else:
        naive = when.astimezone(dt.UTC).replace(tzinfo=None)
        with mock.patch.object(botocore.auth, "get_current_datetime", return_value=naive):
            signer.add_auth(request)
    return request


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def error_type(self) -> str | None:
        if not self.body:
            return None
        value = self.json()
        return value.get("__type") if isinstance(value, dict) else None

    @property
    def message(self) -> str | None:
        value = self.json()
        return value.get("message") if isinstance(value, dict) else None


def send(
    endpoint: str,
    headers: dict[str, str],
    body: bytes,
    *,
    method: str = "POST",
    path: str = "/",
    timeout: float = 10,
) -> RawResponse:
    """Send exactly these headers and body (plus Host and Content-Length)."""
    parts = urlsplit(endpoint)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return RawResponse(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
    finally:
        conn.close()


def call(
    endpoint: str,
    operation: str,
    params: dict[str, Any] | None = None,
    *,
    access_key_id: str,
    secret_access_key: str,
    **kw: Any,
) -> RawResponse:
    """Sign and send one Logs operation."""
    body = json.dumps(params or {}).encode()
    request = signed_request(
        endpoint + "/",
        body,
        access_key_id=access_key_id,
        secret_access_key=secret_access_key,
        target=f"{TARGET_PREFIX}.{operation}",
        **kw,
    )
    return send(endpoint, dict(request.headers.items()), body)
