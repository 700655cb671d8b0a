"""The error family the domain raises; imports nothing from owl.

    OwlError
    ├── InvalidInputError      bad value the model cannot express (InvalidParameterException)
    ├── NotFoundError          a named resource is absent (ResourceNotFoundException)
    ├── AlreadyExistsError     a create collides (ResourceAlreadyExistsException)
    ├── LimitExceededError     a quota is full (LimitExceededException)
    ├── ConflictError          the state forbids the change (OperationAbortedException, …)
    ├── AccessDeniedError      the caller may not (AccessDeniedException)
    ├── TooManyTagsError       a resource would carry more than 50 tags
    ├── ThrottledError         over a budget for now; retry later (ThrottlingException)
    └── UnavailableError       cannot serve safely now (ServiceUnavailableException)

Errors carry a stable snake_case ``reason`` and a human message, never an HTTP status: the
service layer maps them to AWS codes in one table (services/logs/errors.py).
"""

from __future__ import annotations


class OwlError(Exception):
    """Base of every error owl raises on purpose."""

    reason: str = "error"

    def __init__(self, message: str, *, reason: str | None = None, **fields: object) -> None:
        super().__init__(message)
        self.message = message
        if reason is not None:
            self.reason = reason
        self.fields = fields


class InvalidInputError(OwlError):
    reason = "invalid_input"


class NotFoundError(OwlError):
    reason = "not_found"


class AlreadyExistsError(OwlError):
    reason = "already_exists"


class LimitExceededError(OwlError):
    reason = "limit_exceeded"


class ConflictError(OwlError):
    reason = "conflict"


class AccessDeniedError(OwlError):
    reason = "access_denied"


class TooManyTagsError(OwlError):
    reason = "too_many_tags"


class ThrottledError(OwlError):
    reason = "throttled"


class UnavailableError(OwlError):
    reason = "unavailable"


class DataDirLockedError(OwlError):
    """Another process holds the data directory."""

    reason = "data_dir_locked"
