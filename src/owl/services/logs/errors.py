"""Domain errors → CloudWatch Logs errors, in one table keyed by error class and reason."""

from __future__ import annotations

from owl.errors import (
    AccessDeniedError,
    AlreadyExistsError,
    ConflictError,
    InvalidInputError,
    LimitExceededError,
    NotFoundError,
    OwlError,
    ThrottledError,
    TooManyTagsError,
    UnavailableError,
)
from owl.protocol.errors import AwsError

# (class, reason or None for any) → (AWS code, HTTP status)
_TABLE: list[tuple[type[OwlError], str | None, str, int]] = [
    (ConflictError, "deletion_protected", "ValidationException", 400),
    (InvalidInputError, "mutually_exclusive_arn", "ValidationException", 400),
    (InvalidInputError, None, "InvalidParameterException", 400),
    (NotFoundError, None, "ResourceNotFoundException", 400),
    (AlreadyExistsError, None, "ResourceAlreadyExistsException", 400),
    (LimitExceededError, None, "LimitExceededException", 400),
    (TooManyTagsError, None, "TooManyTagsException", 400),
    (ConflictError, None, "OperationAbortedException", 400),
    (AccessDeniedError, None, "AccessDeniedException", 400),
    (ThrottledError, None, "ThrottlingException", 400),
    (UnavailableError, None, "ServiceUnavailableException", 500),
]


def translate(error: OwlError) -> AwsError:
    for cls, reason, code, status in _TABLE:
        if isinstance(error, cls) and (reason is None or error.reason == reason):
            fields = {}
            if isinstance(error, TooManyTagsError) and "resource_name" in error.fields:
                fields["resourceName"] = error.fields["resource_name"]
            return AwsError(code, error.message, status, fields=fields)
    return AwsError("ServiceUnavailableException", error.message, 500)
