"""AwsError, the one exception the wire understands, and its JSON rendering.

Services translate domain errors into AwsError; the protocol layer serializes it. Nothing here
knows a domain type.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import orjson
from botocore.model import ServiceModel


class AwsError(Exception):
    """An error exactly as an AWS service would return it."""

    def __init__(
        self,
        code: str,
        message: str | None,
        status: int = 400,
        *,
        fields: dict[str, Any] | None = None,
        query_code: str | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.fields = fields or {}
        self.query_code = query_code

    @property
    def sender_fault(self) -> bool:
        return self.status < 500

    def query_error(self) -> str | None:
        """The `x-amzn-query-error` value (`Code;Sender`), for awsQueryCompatible services."""
        if not self.query_code:
            return None
        return f"{self.query_code};{'Sender' if self.sender_fault else 'Receiver'}"

    def json_body(self) -> bytes:
        body: dict[str, Any] = {"__type": self.code}
        if self.message is not None:
            body["message"] = self.message
        body.update(self.fields)
        return orjson.dumps(body)


def is_query_compatible(model: ServiceModel) -> bool:
    """Whether clients of the service expect the query-era error code (awsQueryCompatible)."""
    return model.metadata.get("awsQueryCompatible") is not None


@cache
def _query_codes(model: ServiceModel) -> dict[str, str]:
    return {s.name: s.metadata.get("error", {}).get("code") or s.name for s in model.error_shapes}


def query_code(model: ServiceModel, code: str) -> str:
    """The query-protocol code of error shape `code`: the model's `error.code`, else `code`.

    Handlers raise by shape name (InvalidParameterValueException); query clients and the
    `x-amzn-query-error` header need the query-era name (InvalidParameterValue).
    """
    return _query_codes(model).get(code, code)


def with_query_code(error: AwsError, model: ServiceModel) -> AwsError:
    """`error`, carrying its query-era code when the service is awsQueryCompatible."""
    if error.query_code is None and is_query_compatible(model):
        error.query_code = query_code(model, error.code)
    return error


# Errors every JSON service shares (authentication, framing); status codes as AWS sends them.
def unknown_operation() -> AwsError:
    # AWS sends the bare code, no message, for an unknown or missing X-Amz-Target.
    return AwsError("UnknownOperationException", None, 400)


def serialization(message: str | None = None) -> AwsError:
    return AwsError("SerializationException", message, 400)


def not_implemented(service: str, operation: str) -> AwsError:
    # 501 is not retried by SDKs, unlike 500/503.
    return AwsError(
        "NotImplementedException",
        f"The operation {operation} of {service} is not implemented by owl yet.",
        501,
    )


def internal(request_id: str) -> AwsError:
    return AwsError(
        "InternalFailure",
        f"The request processing has failed because of an unknown error (request {request_id}).",
        500,
    )


def too_large(limit: int) -> AwsError:
    return AwsError(
        "SerializationException",
        f"Request body exceeds the maximum allowed size of {limit} bytes.",
        413,
    )
