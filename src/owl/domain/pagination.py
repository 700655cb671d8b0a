"""Opaque, HMAC-signed paging tokens: a position plus the request parameters it belongs to.

A token is deterministic (the same position gives the same token), scoped (a token of one request
shape is refused by another) and tamper-evident (a forged token is refused, never decoded).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Any

import orjson
import sqlalchemy as sa

from owl.domain.catalog import server_secrets
from owl.errors import InvalidInputError

_MAC_BYTES = 16


def load_or_create_secret(engine: sa.Engine, name: str = "token_hmac") -> bytes:
    """The server's signing key, made once and kept in the catalog so tokens survive restarts."""
    with engine.begin() as conn:
        row = conn.execute(
            sa.select(server_secrets.c.value).where(server_secrets.c.name == name)
        ).first()
        if row is not None:
            return bytes(row[0])
        value = secrets.token_bytes(32)
        conn.execute(server_secrets.insert().values(name=name, value=value))
        return value


class TokenSigner:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def _mac(self, purpose: str, scope: Any, body: bytes) -> bytes:
        scope_bytes = orjson.dumps(scope, option=orjson.OPT_SORT_KEYS)
        msg = purpose.encode() + b"\0" + scope_bytes + b"\0" + body
        return hmac.new(self._key, msg, hashlib.sha256).digest()[:_MAC_BYTES]

    def encode(self, purpose: str, scope: Any, position: Any) -> str:
        """A token for `position`, valid only for the same purpose and scope."""
        body = orjson.dumps(position)
        raw = self._mac(purpose, scope, body) + body
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def decode(self, purpose: str, scope: Any, token: str) -> Any:
        """The position in `token`; InvalidInputError(invalid_token) when forged or foreign."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (ValueError, TypeError):
            raise _invalid() from None
        # The decoder skips characters outside the alphabet and ignores the spare bits of the
        # last one, so only the exact text encode() produces is taken.
        if base64.urlsafe_b64encode(raw).decode().rstrip("=") != token:
            raise _invalid()
        mac, body = raw[:_MAC_BYTES], raw[_MAC_BYTES:]
        if len(mac) != _MAC_BYTES or not hmac.compare_digest(mac, self._mac(purpose, scope, body)):
            raise _invalid()
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            raise _invalid() from None


def _invalid() -> InvalidInputError:
    return InvalidInputError("The specified nextToken is invalid.", reason="invalid_token")
