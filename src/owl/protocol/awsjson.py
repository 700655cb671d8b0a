"""AWS JSON 1.0/1.1: reading X-Amz-Target and bodies, writing results and errors."""

from __future__ import annotations

from typing import Any

import orjson

from owl.protocol.errors import AwsError, serialization, unknown_operation


def split_target(target: str | None) -> tuple[str, str]:
    """`Logs_20140328.CreateLogGroup` → (`Logs_20140328`, `CreateLogGroup`)."""
    if not target:
        raise unknown_operation()
    prefix, dot, operation = target.partition(".")
    if not dot or not operation:
        raise unknown_operation()
    return prefix, operation


def decode_body(body: bytes) -> dict[str, Any]:
    """The request object; an empty body counts as `{}`, anything but an object is refused."""
    if not body.strip():
        return {}
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise serialization() from None
    if isinstance(value, list):
        raise serialization("Start of list found where not expected")
    if not isinstance(value, dict):
        # `null`, a string or a number: AWS answers with the bare code, as for broken JSON.
        raise serialization()
    return value


def content_type(json_version: str) -> str:
    return f"application/x-amz-json-{json_version}"


def encode_result(result: dict[str, Any] | None) -> bytes:
    """Operations without output answer with an empty body, as AWS does."""
    if result is None:
        return b""
    return orjson.dumps(result)


def error_headers(error: AwsError, request_id: str, json_version: str) -> dict[str, str]:
    headers = {
        "content-type": content_type(json_version),
        "x-amzn-requestid": request_id,
        "x-amzn-errortype": error.code,
    }
    if error.query_code:
        fault = "Sender" if error.sender_fault else "Receiver"
        headers["x-amzn-query-error"] = f"{error.query_code};{fault}"
    return headers
