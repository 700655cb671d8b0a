"""Smithy RPC v2 CBOR: `POST /service/<prefix>/operation/<Op>` with CBOR bodies both ways.

Bodies are converted along botocore's shapes to and from the JSON protocol's params (epoch
seconds for tag-1 timestamps, base64 text for byte strings, "NaN" strings for non-finite
doubles), so handlers see the same dict whatever the wire. Knows botocore shapes, never a
service; imports nothing above protocol.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import math
from typing import Any

import cbor2
from botocore.model import ListShape, MapShape, Shape, StructureShape

from owl.protocol.awsjson import NON_FINITE, epoch_seconds
from owl.protocol.errors import AwsError, serialization

PROTOCOL = "rpc-v2-cbor"
CONTENT_TYPE = "application/cbor"
_EPOCH_TAG = 1


def split_path(path: str) -> tuple[str, str] | None:
    """`/service/Prefix/operation/Op` → (`Prefix`, `Op`); None for any other path.

    Only the last four segments count: botocore keeps a path prefix of the endpoint URL.
    """
    parts = path.rstrip("/").split("/")
    if len(parts) >= 5 and parts[-4] == "service" and parts[-2] == "operation":
        if parts[-3] and parts[-1]:
            return parts[-3], parts[-1]
    return None


def headers(request_id: str) -> dict[str, str]:
    return {
        "smithy-protocol": PROTOCOL,
        "content-type": CONTENT_TYPE,
        "x-amzn-requestid": request_id,
    }


def decode_body(body: bytes, shape: StructureShape | None) -> dict[str, Any]:
    """The request map as JSON-protocol params; an empty body is `{}` (no input)."""
    if not body:
        return {}
    try:
        value = cbor2.loads(body)
    except (cbor2.CBORDecodeError, ValueError, TypeError, OverflowError):
        raise serialization() from None
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise serialization()
    return _to_json(shape, value) if shape is not None else {}


def _to_json(shape: Shape, value: Any) -> Any:
    """A decoded CBOR value in JSON-protocol form; a value of the wrong type is left for
    validation to refuse."""
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        members = shape.members
        return {k: _to_json(members[k], v) if k in members else v for k, v in value.items()}
    if isinstance(shape, ListShape) and isinstance(value, list):
        return [_to_json(shape.member, v) for v in value]
    if isinstance(shape, MapShape) and isinstance(value, dict):
        return {k: _to_json(shape.value, v) for k, v in value.items()}
    kind = shape.type_name
    if kind == "timestamp" and isinstance(value, dt.datetime):
        return epoch_seconds(value)
    if kind == "blob" and isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if kind in ("double", "float") and isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value


def encode_result(result: dict[str, Any] | None, shape: StructureShape | None) -> bytes:
    """The output map; an operation without output answers with an empty map."""
    if shape is None or result is None:
        return cbor2.dumps({})
    return cbor2.dumps(_from_json(shape, result))


def _from_json(shape: Shape, value: Any) -> Any:
    if isinstance(shape, StructureShape):
        members = shape.members
        return {
            k: _from_json(members[k], v) for k, v in value.items() if v is not None and k in members
        }
    if isinstance(shape, ListShape):
        return [_from_json(shape.member, v) for v in value]
    if isinstance(shape, MapShape):
        return {k: _from_json(shape.value, v) for k, v in value.items()}
    kind = shape.type_name
    if kind == "timestamp" and isinstance(value, int | float):
        return cbor2.CBORTag(_EPOCH_TAG, value)
    if kind == "blob" and isinstance(value, str):
        try:
            return base64.b64decode(value)
        except binascii.Error:
            return value.encode()
    if kind in ("double", "float") and not isinstance(value, bool):
        if (isinstance(value, str) and value in NON_FINITE) or isinstance(value, int):
            return float(value)
    return value


def encode_error(error: AwsError) -> bytes:
    """`{__type, message, fields…}`; the query-era code travels in `x-amzn-query-error`."""
    body: dict[str, Any] = {"__type": error.code}
    if error.message is not None:
        body["message"] = error.message
    body.update(error.fields)
    return cbor2.dumps(body)
