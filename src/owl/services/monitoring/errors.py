"""Domain errors → CloudWatch errors, by model shape name (the protocol layer maps each shape
to its query-protocol code: InvalidParameterValueException → InvalidParameterValue)."""

from __future__ import annotations

from owl.errors import (
    AlreadyExistsError,
    ConflictError,
    InvalidInputError,
    LimitExceededError,
    NotFoundError,
    OwlError,
    ThrottledError,
)
from owl.protocol.errors import AwsError

# (class, reason or None for any) → (shape name, HTTP status)
_TABLE: list[tuple[type[OwlError], str | None, str, int]] = [
    (InvalidInputError, "missing", "MissingRequiredParameterException", 400),
    (InvalidInputError, "combination", "InvalidParameterCombinationException", 400),
    (InvalidInputError, "invalid_token", "InvalidNextToken", 400),
    (InvalidInputError, "invalid_format", "InvalidFormatFault", 400),
    (InvalidInputError, None, "InvalidParameterValueException", 400),
    (NotFoundError, None, "ResourceNotFound", 404),
    (AlreadyExistsError, None, "ResourceConflict", 409),
    (ConflictError, None, "ResourceConflict", 409),
    (LimitExceededError, None, "LimitExceededFault", 400),
    (ThrottledError, None, "Throttling", 400),
]


def translate(error: OwlError) -> AwsError:
    for cls, reason, code, status in _TABLE:
        if isinstance(error, cls) and (reason is None or error.reason == reason):
            return AwsError(code, error.message, status)
    return AwsError("InternalServiceFault", "An internal error occurred.", 500)
