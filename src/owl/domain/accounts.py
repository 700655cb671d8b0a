"""Accounts and their access keys, kept in the catalog (whose file is mode 0600)."""

from __future__ import annotations

import secrets
import sqlite3
import string
import threading

import sqlalchemy as sa

from owl.domain.catalog import access_keys, accounts
from owl.domain.clock import Clock, SystemClock
from owl.domain.models import AccessKey
from owl.errors import NotFoundError

_KEY_ALPHABET = string.ascii_uppercase + "234567"
_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"


def new_account_id() -> str:
    return str(secrets.randbelow(9 * 10**11) + 10**11)


def _new_access_key_id() -> str:
    # AKIA + 16 characters, like long-term AWS access keys.
    return "AKIA" + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(16))


def _new_secret() -> str:
    return "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(40))


class Accounts:
    """Create accounts, issue and revoke keys, resolve a key id to its secret."""

    def __init__(self, engine: sa.Engine, clock: Clock | None = None) -> None:
        self._engine = engine
        self._clock = clock or SystemClock()
        self._secrets: dict[str, tuple[str, str]] = {}
        self._seen_version: int | None = None
        self._version_lock = threading.Lock()
        self._version_db: sqlite3.Connection | None = None
        path = engine.url.database
        if engine.url.get_backend_name() == "sqlite" and path and path != ":memory:":
            self._version_db = sqlite3.connect(path, check_same_thread=False)

    def ensure_account(self, account_id: str) -> None:
        with self._engine.begin() as conn:
            exists = conn.execute(
                sa.select(accounts.c.account_id).where(accounts.c.account_id == account_id)
            ).first()
            if exists is None:
                conn.execute(
                    accounts.insert().values(account_id=account_id, created_ms=self._clock.now_ms())
                )

    def has_any_account(self) -> bool:
        with self._engine.connect() as conn:
            return conn.execute(sa.select(accounts.c.account_id).limit(1)).first() is not None

    def create_account(self) -> AccessKey:
        """A new account with a root key; returns the key (its secret is shown once)."""
        account_id = new_account_id()
        self.ensure_account(account_id)
        return self.create_key(account_id, is_root=True)

    def create_key(self, account_id: str, *, is_root: bool = False) -> AccessKey:
        with self._engine.begin() as conn:
            if (
                conn.execute(
                    sa.select(accounts.c.account_id).where(accounts.c.account_id == account_id)
                ).first()
                is None
            ):
                raise NotFoundError(f"Account {account_id} does not exist.")
            key = AccessKey(
                access_key_id=_new_access_key_id(),
                secret_access_key=_new_secret(),
                account_id=account_id,
                created_ms=self._clock.now_ms(),
                is_root=is_root,
            )
            conn.execute(
                access_keys.insert().values(
                    access_key_id=key.access_key_id,
                    secret_access_key=key.secret_access_key,
                    account_id=key.account_id,
                    created_ms=key.created_ms,
                    is_root=key.is_root,
                )
            )
        return key

    def list_keys(self) -> list[AccessKey]:
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(access_keys).order_by(access_keys.c.account_id, access_keys.c.created_ms)
            ).all()
        return [
            AccessKey(r.access_key_id, r.secret_access_key, r.account_id, r.created_ms, r.is_root)
            for r in rows
        ]

    def delete_key(self, access_key_id: str) -> None:
        with self._engine.begin() as conn:
            result = conn.execute(
                access_keys.delete().where(access_keys.c.access_key_id == access_key_id)
            )
        self._secrets = {}
        if result.rowcount == 0:
            raise NotFoundError(f"Access key {access_key_id} does not exist.")

    def secret_of(self, access_key_id: str) -> tuple[str, str] | None:
        """(secret, account id) of a key, or None when the key is unknown.

        Every request asks, so known keys are remembered until the catalog changes: SQLite's
        data_version moves whenever another connection (`owl keys delete` in another process,
        or any write of this server) commits, and a deleted key is refused at once."""
        if not self._catalog_unchanged():
            self._secrets = {}
        hit = self._secrets.get(access_key_id)
        if hit is not None:
            return hit
        found = self._lookup_secret(access_key_id)
        if found is not None:  # unknown keys are not remembered: a new key works at once
            if len(self._secrets) > 10_000:
                self._secrets = {}
            self._secrets[access_key_id] = found
        return found

    def _catalog_unchanged(self) -> bool:
        if self._version_db is None:
            return False
        with self._version_lock:
            row = self._version_db.execute("PRAGMA data_version").fetchone()
            version = int(row[0])
            same = version == self._seen_version
            self._seen_version = version
        return same

    def _lookup_secret(self, access_key_id: str) -> tuple[str, str] | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                sa.select(access_keys.c.secret_access_key, access_keys.c.account_id).where(
                    access_keys.c.access_key_id == access_key_id
                )
            ).first()
        return None if row is None else (row[0], row[1])
