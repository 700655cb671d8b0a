"""What the CloudWatch handlers share: their error builders and signed position tokens."""

from __future__ import annotations

from owl.errors import InvalidInputError
from owl.services.base import Call


def invalid(message: str) -> InvalidInputError:
    """InvalidParameterValue."""
    return InvalidInputError(message)


def missing(name: str) -> InvalidInputError:
    """MissingParameter."""
    return InvalidInputError(f"The parameter {name} is required.", reason="missing")


def combination(message: str) -> InvalidInputError:
    """InvalidParameterCombination."""
    return InvalidInputError(message, reason="combination")


def exclusive(a: str, b: str) -> InvalidInputError:
    return combination(
        f"The parameters {a} and {b} are mutually exclusive and you have specified both."
    )


def _scope(call: Call, purpose: str) -> list[str]:
    return [call.scope.account_id, call.scope.region, purpose]


def position(call: Call, purpose: str, token: str | None) -> int:
    """Where a listing resumes: 0 without a token; InvalidNextToken for a foreign one."""
    if not token:
        return 0
    try:
        return int(call.backends.signer.decode(purpose, _scope(call, purpose), token))
    except InvalidInputError:
        raise InvalidInputError("The NextToken is not valid.", reason="invalid_token") from None


def next_token(call: Call, purpose: str, at: int) -> str:
    """The token of position `at` of a listing, bound to the caller's account and region."""
    return str(call.backends.signer.encode(purpose, _scope(call, purpose), at))
