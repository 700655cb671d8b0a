"""KMS keys: create, find by any identifier, states, deletion, aliases, tags, policy, and the
cryptographic operations that need the key material.

A key lives in one Scope and is named by a UUID. Its 32 bytes of material are made here, stored
only wrapped under the master key (owl.domain.master_key) and used only here: nothing outside
this module sees them, and no message carries them. Key states follow AWS: Enabled ⇄ Disabled,
either → PendingDeletion (a waiting period of 7 to 30 days) → gone, or back to Disabled by
CancelKeyDeletion. A key whose DeletionDate has passed is deleted on the next access of any key
(the clock is injectable, so tests move time instead of waiting); deleting it removes its row,
aliases and tags, so data under it can never be decrypted again. Listeners registered with
`on_change` hear every state change, deletion included (log-group encryption depends on key
states). Imports nothing above the domain.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace

import sqlalchemy as sa

from owl.domain import ciphertext
from owl.domain.catalog import kms_aliases, kms_key_tags, kms_keys, server_secrets
from owl.domain.clock import Clock
from owl.domain.key_models import (
    ARN,
    DAY_MS,
    DEFAULT_POLICY,
    DEFAULT_WINDOW_DAYS,
    ENCRYPT_DECRYPT,
    KEY_ID,
    MAX_TAGS,
    MAX_WINDOW_DAYS,
    MIN_WINDOW_DAYS,
    SYMMETRIC,
    USABLE,
    Alias,
    Key,
    KeyState,
    alias_exists,
    alias_not_found,
    check_alias_name,
    check_policy,
    check_tags,
    check_usable,
    invalid_ciphertext,
    invalid_key_id,
    key_not_found,
    row_to_alias,
    row_to_key,
    state_error,
)
from owl.domain.master_key import KEY_BYTES, unwrap, wrap
from owl.domain.models import Scope
from owl.errors import ConflictError, InvalidInputError, LimitExceededError, NotFoundError

__all__ = ["Alias", "Key", "KeyState", "Keys", "SYMMETRIC", "ENCRYPT_DECRYPT"]

_MASTER_CHECK = "kms_master_check"  # a value sealed under the master key: a wrong one fails early


class Keys:
    def __init__(self, engine: sa.Engine, clock: Clock, master_key: bytes) -> None:
        self._engine = engine
        self._clock = clock
        self._master = master_key
        self._listeners: list[Callable[[Key], None]] = []
        self._check_master_key()

    @property
    def master_key(self) -> bytes:
        """The service-managed key (log groups without a KMS key wrap their data keys in it)."""
        return self._master

    def on_change(self, listener: Callable[[Key], None]) -> None:
        """Called after a key is created, changes state or is deleted (state DELETED)."""
        self._listeners.append(listener)

    def _notify(self, key: Key) -> None:
        for listener in self._listeners:
            listener(key)

    def _check_master_key(self) -> None:
        with self._engine.begin() as conn:
            row = conn.execute(
                sa.select(server_secrets.c.value).where(server_secrets.c.name == _MASTER_CHECK)
            ).first()
            if row is not None:
                unwrap(self._master, _MASTER_CHECK, bytes(row[0]))  # MasterKeyError if wrong
                return
            sealed = wrap(self._master, _MASTER_CHECK, b"owl")
            conn.execute(server_secrets.insert().values(name=_MASTER_CHECK, value=sealed))

    # -- finding ----------------------------------------------------------------------------

    def _find(
        self, conn: sa.Connection, scope: Scope, ident: str, *, aliases: bool
    ) -> sa.Row[tuple[object, ...]]:
        """The row of the key `ident` names: key id or key ARN, and alias name or alias ARN
        when the operation takes aliases. Keys of other accounts and regions do not exist."""
        key_id = ident
        if ident.startswith("arn:"):
            m = ARN.fullmatch(ident)
            if m is None:
                raise InvalidInputError(f"Invalid arn {ident}", reason="invalid_arn")
            mine = (m["account"], m["region"]) == (scope.account_id, scope.region)
            if m["kind"] == "alias":
                if not aliases:
                    raise InvalidInputError(
                        "Key Aliases are not supported for this operation.", reason="invalid_arn"
                    )
                if not mine:
                    raise alias_not_found(ident)
                return self._by_alias(conn, scope, "alias/" + m["rest"])
            if not mine:
                raise key_not_found(ident)
            key_id = m["rest"]
        elif ident.startswith("alias/"):
            if not aliases:
                raise invalid_key_id(ident)
            return self._by_alias(conn, scope, ident)
        if KEY_ID.fullmatch(key_id) is None:
            raise invalid_key_id(key_id)
        row = conn.execute(
            sa.select(kms_keys).where(
                kms_keys.c.id == key_id,
                kms_keys.c.account_id == scope.account_id,
                kms_keys.c.region == scope.region,
            )
        ).first()
        if row is None:
            raise key_not_found(scope.arn("kms", f"key/{key_id}"))
        return row

    def _by_alias(self, conn: sa.Connection, scope: Scope, name: str) -> sa.Row[tuple[object, ...]]:
        row = conn.execute(
            sa.select(kms_keys)
            .join(kms_aliases, kms_aliases.c.key_id == kms_keys.c.id)
            .where(
                kms_aliases.c.account_id == scope.account_id,
                kms_aliases.c.region == scope.region,
                kms_aliases.c.name == name,
            )
        ).first()
        if row is None:
            raise alias_not_found(scope.arn("kms", name))
        return row

    def _get(self, scope: Scope, ident: str, *, aliases: bool) -> sa.Row[tuple[object, ...]]:
        self.purge_expired()
        with self._engine.connect() as conn:
            return self._find(conn, scope, ident, aliases=aliases)

    def describe(self, scope: Scope, ident: str) -> Key:
        return row_to_key(self._get(scope, ident, aliases=True))

    def list_keys(self, scope: Scope, after: str | None, limit: int) -> tuple[list[Key], bool]:
        """Keys in id order after `after`; True when more follow."""
        self.purge_expired()
        query = sa.select(kms_keys).where(
            kms_keys.c.account_id == scope.account_id, kms_keys.c.region == scope.region
        )
        if after is not None:
            query = query.where(kms_keys.c.id > after)
        with self._engine.connect() as conn:
            rows = conn.execute(query.order_by(kms_keys.c.id).limit(limit + 1)).all()
        return [row_to_key(r) for r in rows[:limit]], len(rows) > limit

    # -- create and states ------------------------------------------------------------------

    def create(
        self,
        scope: Scope,
        *,
        description: str = "",
        policy: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> Key:
        if policy is not None:
            check_policy(policy)
        tags = dict(tags or {})
        check_tags(tags)
        key_id = str(uuid.uuid4())
        material = secrets.token_bytes(KEY_BYTES)
        with self._engine.begin() as conn:
            conn.execute(
                kms_keys.insert().values(
                    id=key_id,
                    account_id=scope.account_id,
                    region=scope.region,
                    created_ms=self._clock.now_ms(),
                    description=description,
                    key_usage=ENCRYPT_DECRYPT,
                    key_spec=SYMMETRIC,
                    state=KeyState.ENABLED.value,
                    deletion_ms=None,
                    policy=policy or DEFAULT_POLICY % scope.account_id,
                    material=wrap(self._master, key_id, material),
                )
            )
            if tags:
                conn.execute(
                    kms_key_tags.insert(),
                    [{"key_id": key_id, "tag_key": k, "tag_value": v} for k, v in tags.items()],
                )
        key = self.describe(scope, key_id)
        self._notify(key)
        return key

    def _transition(
        self,
        scope: Scope,
        ident: str,
        allowed: Iterable[KeyState],
        state: KeyState,
        deletion_ms: int | None = None,
    ) -> Key:
        """Move a key to `state` if it is in one of `allowed`; the update is guarded by the
        state read, so a concurrent change is seen (and judged again), never overwritten."""
        allowed = set(allowed)
        self.purge_expired()
        while True:
            with self._engine.begin() as conn:
                key = row_to_key(self._find(conn, scope, ident, aliases=False))
                if key.state not in allowed:
                    if KeyState.PENDING_DELETION in allowed:
                        raise ConflictError(
                            f"{key.arn} is not pending deletion.", reason="invalid_state"
                        )
                    raise state_error(key)
                done = conn.execute(
                    kms_keys.update()
                    .where(kms_keys.c.id == key.id, kms_keys.c.state == key.state.value)
                    .values(state=state.value, deletion_ms=deletion_ms)
                ).rowcount
            if done:
                changed = replace(key, state=state, deletion_ms=deletion_ms)
                if changed.state != key.state:
                    self._notify(changed)
                return changed

    def enable(self, scope: Scope, ident: str) -> Key:
        return self._transition(scope, ident, USABLE, KeyState.ENABLED)

    def disable(self, scope: Scope, ident: str) -> Key:
        return self._transition(scope, ident, USABLE, KeyState.DISABLED)

    def schedule_deletion(self, scope: Scope, ident: str, days: int | None) -> Key:
        days = DEFAULT_WINDOW_DAYS if days is None else days
        # Checked before the key is looked up, as AWS does.
        if not MIN_WINDOW_DAYS <= days <= MAX_WINDOW_DAYS:
            raise InvalidInputError(
                f"PendingWindowInDays should be between {MIN_WINDOW_DAYS} and "
                f"{MAX_WINDOW_DAYS}, but it is {days}",
                reason="invalid_window",
            )
        deletion_ms = self._clock.now_ms() + days * DAY_MS
        return self._transition(scope, ident, USABLE, KeyState.PENDING_DELETION, deletion_ms)

    def cancel_deletion(self, scope: Scope, ident: str) -> Key:
        """Back to Disabled, as AWS does: the owner enables the key on purpose."""
        return self._transition(scope, ident, (KeyState.PENDING_DELETION,), KeyState.DISABLED)

    def purge_expired(self) -> list[Key]:
        """Delete every key whose waiting period has ended, of any account; returns them.

        Runs on every access, so a deleted key is never seen after its DeletionDate. The delete
        is guarded by state and date, so a CancelKeyDeletion that lands first keeps the key.
        """
        now = self._clock.now_ms()
        due = (
            kms_keys.c.state == KeyState.PENDING_DELETION.value,
            kms_keys.c.deletion_ms <= now,
        )
        with self._engine.connect() as conn:
            rows = conn.execute(sa.select(kms_keys).where(*due)).all()
        gone: list[Key] = []
        for row in rows:
            key = row_to_key(row)
            if self._shred(key.id, due):
                gone.append(replace(key, state=KeyState.DELETED))
        for key in gone:
            self._notify(key)
        return gone

    def _shred(self, key_id: str, due: tuple[sa.ColumnElement[bool], ...]) -> bool:
        """Delete a key's row (aliases and tags by cascade); on SQLite the freed pages are
        zeroed and the WAL checkpointed, so the wrapped material does not linger in the file."""
        with self._engine.connect() as conn:
            sqlite = conn.dialect.name == "sqlite"
            if sqlite:
                conn.exec_driver_sql("PRAGMA secure_delete=ON")
            done = conn.execute(kms_keys.delete().where(kms_keys.c.id == key_id, *due)).rowcount
            conn.commit()
            if sqlite:
                conn.exec_driver_sql("PRAGMA secure_delete=OFF")
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                conn.commit()
        return bool(done)

    # -- cryptographic operations -----------------------------------------------------------

    def usable(self, scope: Scope, ident: str) -> Key:
        """The key, if it may encrypt and decrypt now (DryRun asks only this)."""
        row = self._get(scope, ident, aliases=True)
        key = row_to_key(row)
        check_usable(key)
        return key

    def _material(self, row: sa.Row[tuple[object, ...]]) -> bytes:
        m = row._mapping
        return unwrap(self._master, str(m["id"]), bytes(m["material"]))

    def encrypt(
        self, scope: Scope, ident: str, plaintext: bytes, context: Mapping[str, str] | None
    ) -> tuple[bytes, Key]:
        row = self._get(scope, ident, aliases=True)
        key = row_to_key(row)
        check_usable(key)
        return ciphertext.seal(key.id, self._material(row), plaintext, context), key

    def generate_data_key(
        self, scope: Scope, ident: str, size: int, context: Mapping[str, str] | None
    ) -> tuple[bytes, bytes, Key]:
        """A fresh data key of `size` bytes: (plaintext, ciphertext blob, key)."""
        plaintext = secrets.token_bytes(size)
        blob, key = self.encrypt(scope, ident, plaintext, context)
        return plaintext, blob, key

    def decrypt(
        self,
        scope: Scope,
        blob: bytes,
        context: Mapping[str, str] | None,
        ident: str | None = None,
    ) -> tuple[bytes, Key]:
        """The plaintext of `blob`; `ident`, when given, must name the blob's own key."""
        try:
            parsed = ciphertext.parse(blob)
        except ciphertext.BadCiphertext:
            raise invalid_ciphertext() from None
        self.purge_expired()
        with self._engine.connect() as conn:
            if ident is not None:
                row = self._find(conn, scope, ident, aliases=True)
                if row._mapping["id"] != parsed.key_id:
                    raise InvalidInputError(
                        "The key ID in the request does not identify a CMK that can perform "
                        "this operation.",
                        reason="incorrect_key",
                    )
            else:
                row = self._find(conn, scope, parsed.key_id, aliases=False)
        key = row_to_key(row)
        check_usable(key)
        try:
            return ciphertext.open_blob(parsed, self._material(row), context), key
        except ciphertext.BadCiphertext:
            raise invalid_ciphertext() from None

    # -- for other services (log-group encryption) -------------------------------------------

    def state_of(self, key_id: str) -> KeyState:
        """The state of a key by its id, DELETED once it is gone (no scope: the caller
        already resolved the key in the scope of its resource)."""
        self.purge_expired()
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(kms_keys.c.state).where(kms_keys.c.id == key_id)).first()
        return KeyState(row[0]) if row is not None else KeyState.DELETED

    def open_for_service(self, blob: bytes, context: Mapping[str, str] | None) -> bytes:
        """Decrypt a data key that a service wrapped earlier, whatever the key's state now:
        data already written stays readable inside owl (flushes, merges, replay) while the
        key is disabled; the service refuses its clients by state itself. NotFoundError once
        the key is deleted: then the data under it is gone."""
        try:
            parsed = ciphertext.parse(blob)
        except ciphertext.BadCiphertext:
            raise invalid_ciphertext() from None
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(kms_keys).where(kms_keys.c.id == parsed.key_id)).first()
        if row is None:
            raise NotFoundError(f"Key '{parsed.key_id}' was deleted", reason="key_deleted")
        try:
            return ciphertext.open_blob(parsed, self._material(row), context)
        except ciphertext.BadCiphertext:
            raise invalid_ciphertext() from None

    # -- policy -----------------------------------------------------------------------------

    def policy(self, scope: Scope, ident: str, name: str) -> str:
        row = self._get(scope, ident, aliases=False)
        if name != "default":
            raise NotFoundError("No such policy exists", reason="policy_not_found")
        return str(row._mapping["policy"])

    def put_policy(self, scope: Scope, ident: str, name: str, policy: str) -> None:
        row = self._get(scope, ident, aliases=False)
        if name != "default":
            raise InvalidInputError("Only the default policy is supported", reason="unsupported")
        check_policy(policy)
        with self._engine.begin() as conn:
            conn.execute(
                kms_keys.update().where(kms_keys.c.id == row._mapping["id"]).values(policy=policy)
            )

    # -- aliases ----------------------------------------------------------------------------

    def create_alias(self, scope: Scope, name: str, target: str) -> Alias:
        check_alias_name(name)
        self.purge_expired()
        now = self._clock.now_ms()
        try:
            with self._engine.begin() as conn:
                exists = conn.execute(
                    sa.select(kms_aliases.c.name).where(
                        kms_aliases.c.account_id == scope.account_id,
                        kms_aliases.c.region == scope.region,
                        kms_aliases.c.name == name,
                    )
                ).first()
                if exists is not None:
                    raise alias_exists(scope, name)
                key = row_to_key(self._find(conn, scope, target, aliases=False))
                if key.state == KeyState.PENDING_DELETION:
                    raise state_error(key)
                values = dict(
                    account_id=scope.account_id,
                    region=scope.region,
                    name=name,
                    key_id=key.id,
                    created_ms=now,
                    updated_ms=now,
                )
                conn.execute(kms_aliases.insert().values(**values))
        except sa.exc.IntegrityError:
            raise alias_exists(scope, name) from None
        return Alias(scope, name, key.id, now, now)

    def delete_alias(self, scope: Scope, name: str) -> None:
        if not name.startswith("alias/"):
            check_alias_name(name)
        self.purge_expired()
        with self._engine.begin() as conn:
            done = conn.execute(
                kms_aliases.delete().where(
                    kms_aliases.c.account_id == scope.account_id,
                    kms_aliases.c.region == scope.region,
                    kms_aliases.c.name == name,
                )
            ).rowcount
        if not done:
            raise alias_not_found(scope.arn("kms", name))

    def list_aliases(
        self, scope: Scope, ident: str | None, after: str | None, limit: int
    ) -> tuple[list[Alias], bool]:
        """Aliases in name order after `after` (of one key when `ident` names it)."""
        query = sa.select(kms_aliases).where(
            kms_aliases.c.account_id == scope.account_id, kms_aliases.c.region == scope.region
        )
        if ident is not None:
            key_id = self._get(scope, ident, aliases=False)._mapping["id"]
            query = query.where(kms_aliases.c.key_id == key_id)
        else:
            self.purge_expired()
        if after is not None:
            query = query.where(kms_aliases.c.name > after)
        with self._engine.connect() as conn:
            rows = conn.execute(query.order_by(kms_aliases.c.name).limit(limit + 1)).all()
        return [row_to_alias(r) for r in rows[:limit]], len(rows) > limit

    # -- tags -------------------------------------------------------------------------------

    def tag(self, scope: Scope, ident: str, tags: Mapping[str, str]) -> None:
        """Add tags, replacing the values of keys already present."""
        check_tags(tags)
        self.purge_expired()
        with self._engine.begin() as conn:
            key = row_to_key(self._find(conn, scope, ident, aliases=False))
            if key.state == KeyState.PENDING_DELETION:
                raise state_error(key)
            have = set(
                conn.execute(
                    sa.select(kms_key_tags.c.tag_key).where(kms_key_tags.c.key_id == key.id)
                ).scalars()
            )
            if len(have | set(tags)) > MAX_TAGS:
                raise LimitExceededError(
                    f"A KMS key can have no more than {MAX_TAGS} tags.", reason="too_many_tags"
                )
            conn.execute(
                kms_key_tags.delete().where(
                    kms_key_tags.c.key_id == key.id, kms_key_tags.c.tag_key.in_(list(tags))
                )
            )
            conn.execute(
                kms_key_tags.insert(),
                [{"key_id": key.id, "tag_key": k, "tag_value": v} for k, v in tags.items()],
            )

    def untag(self, scope: Scope, ident: str, tag_keys: Iterable[str]) -> None:
        self.purge_expired()
        with self._engine.begin() as conn:
            key = row_to_key(self._find(conn, scope, ident, aliases=False))
            if key.state == KeyState.PENDING_DELETION:
                raise state_error(key)
            conn.execute(
                kms_key_tags.delete().where(
                    kms_key_tags.c.key_id == key.id, kms_key_tags.c.tag_key.in_(list(tag_keys))
                )
            )

    def tags(
        self, scope: Scope, ident: str, after: str | None, limit: int
    ) -> tuple[list[tuple[str, str]], bool]:
        """(key, value) pairs in key order after `after`; True when more follow."""
        key_id = self._get(scope, ident, aliases=False)._mapping["id"]
        query = sa.select(kms_key_tags.c.tag_key, kms_key_tags.c.tag_value).where(
            kms_key_tags.c.key_id == key_id
        )
        if after is not None:
            query = query.where(kms_key_tags.c.tag_key > after)
        with self._engine.connect() as conn:
            rows = conn.execute(query.order_by(kms_key_tags.c.tag_key).limit(limit + 1)).all()
        return [(str(k), str(v)) for k, v in rows[:limit]], len(rows) > limit
