"""AWS JSON 1.0/1.1: reading X-Amz-Target and bodies, writing results and errors.

The JSON forms here (epoch-second timestamps, "NaN" doubles) are also the params every other
protocol decodes into, so handlers see one shape whatever the wire.
"""

from __future__ import annotations

import calendar
import datetime as dt
import zlib
from typing import Any

import orjson

from owl.protocol.errors import AwsError, serialization, too_large, unknown_operation

# The strings botocore writes for doubles JSON cannot hold.
NON_FINITE = frozenset({"NaN", "Infinity", "-Infinity"})


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
    query_error = error.query_error()
    if query_error:
        headers["x-amzn-query-error"] = query_error
    return headers


def epoch_seconds(when: dt.datetime) -> int | float:
    """Epoch seconds as botocore's JSON serializer writes them: an int, or µs in a float."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    seconds = calendar.timegm(when.utctimetuple())
    if when.microsecond:
        # One division, as botocore does, so the float is the one a JSON client would send.
        return (seconds * 10**6 + when.microsecond) / 10**6
    return seconds


def decode_content(body: bytes, encoding: str | None, limit: int) -> bytes:
    """The body without its Content-Encoding: botocore gzips large PutMetricData requests.

    Runs after SigV4, which covers the compressed bytes as sent. Inflating stops at `limit`
    bytes, so a small bomb cannot exhaust memory.
    """
    codings = [c.strip().lower() for c in (encoding or "").split(",") if c.strip()]
    for coding in reversed(codings):
        if coding == "identity":
            continue
        if coding != "gzip":
            raise serialization(f"Unsupported Content-Encoding: {coding}")
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            body = inflater.decompress(body, limit + 1)
        except zlib.error:
            raise serialization("The request body is not valid gzip.") from None
        if len(body) > limit or inflater.unconsumed_tail:
            raise too_large(limit)
        if not inflater.eof:
            raise serialization("The request body is not valid gzip.")
    return body
