"""Domain errors → KMS errors, in one table keyed by error class and reason; and the errors
only the service layer raises (DryRun, unsupported key kinds).

KMS answers 400 for everything the caller can fix, 412 for DryRunOperationException and 500
(KMSInternalException) for the rest, whose message never says why: the why may be the master key.
"""

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
)
from owl.protocol.errors import AwsError

# (class, reason or None for any) → AWS code
_TABLE: list[tuple[type[OwlError], str | None, str]] = [
    (NotFoundError, None, "NotFoundException"),
    (ConflictError, "key_disabled", "DisabledException"),
    (ConflictError, None, "KMSInvalidStateException"),
    (AlreadyExistsError, None, "AlreadyExistsException"),
    (InvalidInputError, "invalid_alias_name", "InvalidAliasNameException"),
    (InvalidInputError, "invalid_ciphertext", "InvalidCiphertextException"),
    (InvalidInputError, "incorrect_key", "IncorrectKeyException"),
    (InvalidInputError, "invalid_arn", "InvalidArnException"),
    (InvalidInputError, "invalid_token", "InvalidMarkerException"),
    (InvalidInputError, "malformed_policy", "MalformedPolicyDocumentException"),
    (InvalidInputError, "unsupported", "UnsupportedOperationException"),
    (InvalidInputError, "reserved_tag", "TagException"),
    (InvalidInputError, None, "ValidationException"),
    (LimitExceededError, None, "LimitExceededException"),
    (AccessDeniedError, None, "AccessDeniedException"),
    (ThrottledError, None, "ThrottlingException"),
]
_MESSAGES = {"invalid_token": "The specified Marker is not valid."}
INTERNAL = "The request was rejected because an internal exception occurred. Try again."


def translate(error: OwlError) -> AwsError:
    for cls, reason, code in _TABLE:
        if isinstance(error, cls) and (reason is None or error.reason == reason):
            message = _MESSAGES.get(error.reason, error.message)
            return AwsError(code, message or None, 400)
    return AwsError("KMSInternalException", INTERNAL, 500)


def dry_run() -> AwsError:
    return AwsError(
        "DryRunOperationException",
        "The request would have succeeded, but the DryRun option is set.",
        412,
    )


def unsupported(message: str) -> AwsError:
    return AwsError("UnsupportedOperationException", message, 400)
