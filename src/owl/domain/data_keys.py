"""Data keys of log groups: the keys the store encrypts events under.

Each group has one data key per UTC day (and per KMS key, when an association changes within
a day): 32 random bytes, stored only wrapped — as a KMS ciphertext of the group's KMS key with
the encryption context {"aws:logs:arn": <group ARN>}, as AWS does, or under the master key for
groups without one (the service-managed key). Plaintext keys are cached in memory only.

Key states reach the data through here: writes need the group's KMS key Enabled; reads need
every KMS key that still wraps data of the group to be Enabled (disabled or pending deletion:
AccessDeniedException, as CloudWatch Logs cannot decrypt); when a KMS key is deleted, its data
keys are deleted and `on_shred` tells the store to forget the events under them.

This class holds no lock while it calls into Keys: Keys may run a purge that notifies us and,
through `on_shred`, the store.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable

import sqlalchemy as sa

from owl.domain.catalog import data_keys, log_groups
from owl.domain.clock import Clock
from owl.domain.groups import LogGroups
from owl.domain.key_models import Key, KeyState
from owl.domain.key_policy import allows_logs
from owl.domain.keys import Keys
from owl.domain.master_key import unwrap, wrap
from owl.domain.models import LogGroup, Scope
from owl.errors import AccessDeniedError, InvalidInputError, NotFoundError, OwlError

log = logging.getLogger("owl.domain.data_keys")

DAY_MS = 86_400_000
KEY_BYTES = 32
_KEY_ARN = re.compile(
    r"arn:aws:kms:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):key/(?P<id>[0-9a-f-]{36})"
)


class DataKeyGoneError(OwlError):
    """The data key's KMS key was deleted: what it encrypted is gone for good."""

    reason = "data_key_gone"


def key_uuid(arn: str) -> str | None:
    m = _KEY_ARN.fullmatch(arn)
    return m["id"] if m else None


def _context(group_arn: str) -> dict[str, str]:
    return {"aws:logs:arn": group_arn}


def _master_label(group_id: int, day: int) -> str:
    return f"data-key:{group_id}:{day}"


class DataKeys:
    def __init__(
        self, engine: sa.Engine, keys: Keys, master_key: bytes, clock: Clock, groups: LogGroups
    ) -> None:
        self._engine = engine
        self._keys = keys
        self._master = master_key
        self._clock = clock
        self._groups = groups
        self._current: dict[int, tuple[int, int, bytes]] = {}  # group → (day, key id, material)
        self._materials: dict[int, bytes] = {}
        self._states: dict[str, KeyState] = {}  # KMS key id → state, until it changes
        self._group_kms: dict[int, set[str]] = {}  # group → KMS keys that wrap its data keys
        self.on_shred: Callable[[list[int]], object] = lambda ids: None
        self.on_revoke: Callable[[list[int]], object] = lambda ids: None
        keys.on_change(self._key_changed)
        groups.on_change(self._current.clear)

    # -- associations -----------------------------------------------------------------------

    def check_association(self, scope: Scope, resource_arn: str, kms_key_arn: str) -> None:
        """Refuse a KMS key that CloudWatch Logs may not use for the resource (a log group's
        ARN without ``:*``, or the account's query results), as AWS does: a malformed,
        missing or disabled key is InvalidParameterException; one in another account or
        whose policy leaves out the service, AccessDeniedException."""
        m = _KEY_ARN.fullmatch(kms_key_arn)
        if m is None:
            raise InvalidInputError(
                f"Specified KMS key ARN is invalid: {kms_key_arn}", reason="invalid_kms_key"
            )
        group_arn = resource_arn
        denied = AccessDeniedError(
            "The specified KMS key does not exist or is not allowed to be used with Arn "
            f"'{group_arn}'",
            reason="kms_key_not_allowed",
        )
        if (m["account"], m["region"]) != (scope.account_id, scope.region):
            raise denied
        try:
            key = self._keys.describe(scope, kms_key_arn)
            policy = self._keys.policy(scope, kms_key_arn, "default")
        except NotFoundError:
            raise InvalidInputError(
                f"Specified KMS key does not exist: {kms_key_arn}", reason="kms_key_not_found"
            ) from None
        if key.state != KeyState.ENABLED:
            raise InvalidInputError(
                f"Specified KMS key is {key.state.value.lower()}: {kms_key_arn}",
                reason="kms_key_unusable",
            )
        if not allows_logs(policy, scope.region, group_arn):
            raise denied

    # -- states -----------------------------------------------------------------------------

    def _state(self, kms_id: str) -> KeyState:
        state = self._states.get(kms_id)
        if state is None:
            state = self._keys.state_of(kms_id)
            self._states[kms_id] = state
        return state

    def _refuse(self, group: LogGroup, kms_id: str, state: KeyState) -> AccessDeniedError:
        arn = group.scope.arn("kms", f"key/{kms_id}")
        what = {
            KeyState.DISABLED: "is disabled",
            KeyState.PENDING_DELETION: "is pending deletion",
            KeyState.DELETED: "was deleted; the log group's data under it cannot be decrypted",
        }.get(state, f"is {state.value}")
        return AccessDeniedError(
            f"The KMS key {arn} of log group {group.name} {what}.", reason="kms_key_state"
        )

    def check_writable(self, group: LogGroup) -> None:
        kms_id = key_uuid(group.kms_key_id) if group.kms_key_id else None
        if kms_id is not None and (state := self._state(kms_id)) != KeyState.ENABLED:
            raise self._refuse(group, kms_id, state)

    def check_readable(self, group: LogGroup) -> None:
        """Every KMS key that wraps data of the group must be usable (a deleted one wraps
        nothing any more: its data is gone, the rest stays readable)."""
        self.check_writable(group)
        kms_ids = self._group_kms.get(group.id)
        if kms_ids is None:
            with self._engine.connect() as conn:
                rows = conn.execute(
                    sa.select(data_keys.c.kms_key_id)
                    .where(data_keys.c.group_id == group.id, data_keys.c.kms_key_id.is_not(None))
                    .distinct()
                ).all()
            kms_ids = {str(r[0]) for r in rows}
            self._group_kms[group.id] = kms_ids
        for kms_id in kms_ids:
            state = self._state(kms_id)
            if state not in (KeyState.ENABLED, KeyState.DELETED):
                raise self._refuse(group, kms_id, state)

    def _key_changed(self, key: Key) -> None:
        self._states.pop(key.id, None)
        self._current.clear()
        if key.state == KeyState.ENABLED:
            return
        with self._engine.connect() as conn:
            ids = [
                int(r[0])
                for r in conn.execute(
                    sa.select(data_keys.c.id).where(data_keys.c.kms_key_id == key.id)
                ).all()
            ]
            if key.state == KeyState.DELETED:
                conn.execute(data_keys.delete().where(data_keys.c.kms_key_id == key.id))
                conn.commit()
        for i in ids:
            self._materials.pop(i, None)
        if not ids:
            return
        if key.state == KeyState.DELETED:
            self._group_kms.clear()
            log.info("KMS key deleted: shredding data keys=%d", len(ids))
            self.on_shred(ids)
        else:
            self.on_revoke(ids)  # disabled or pending deletion: DuckDB lets the keys go

    # -- the store's key ring ---------------------------------------------------------------

    def for_write(self, group_id: int) -> tuple[int, bytes]:
        """(id, material) of the key the group's new events go under today."""
        day = self._clock.now_ms() // DAY_MS
        hit = self._current.get(group_id)
        if hit is not None and hit[0] == day:
            return hit[1], hit[2]
        group = self._groups.by_id(group_id)
        kms_id = key_uuid(group.kms_key_id) if group.kms_key_id else None
        self.check_writable(group)
        with self._engine.connect() as conn:
            cond = (
                data_keys.c.kms_key_id == kms_id
                if kms_id is not None
                else data_keys.c.kms_key_id.is_(None)
            )
            row = conn.execute(
                sa.select(data_keys)
                .where(data_keys.c.group_id == group_id, data_keys.c.day == day, cond)
                .order_by(data_keys.c.id.desc())
                .limit(1)
            ).first()
        if row is not None:
            key_id = int(row._mapping["id"])
            material = _unwrap(
                self._keys, self._master, group_id, day, group.arn, kms_id, row._mapping["wrapped"]
            )
        else:
            material = secrets.token_bytes(KEY_BYTES)
            if kms_id is not None:
                blob, _ = self._keys.encrypt(group.scope, kms_id, material, _context(group.arn))
            else:
                blob = wrap(self._master, _master_label(group_id, day), material)
            with self._engine.begin() as conn:
                pk = conn.execute(
                    data_keys.insert().values(
                        group_id=group_id,
                        day=day,
                        kms_key_id=kms_id,
                        wrapped=blob,
                        created_ms=self._clock.now_ms(),
                    )
                ).inserted_primary_key
            assert pk is not None
            key_id = int(pk[0])
            if kms_id is not None:
                self._group_kms.pop(group_id, None)
        self._materials[key_id] = material
        self._current[group_id] = (day, key_id, material)
        return key_id, material

    def material(self, key_id: int) -> bytes:
        """The plaintext of a data key found on disk, whatever its KMS key's state;
        DataKeyGoneError once that KMS key (or the group) is deleted."""
        cached = self._materials.get(key_id)
        if cached is not None:
            return cached
        material = open_data_key(self._engine, self._keys, self._master, key_id)
        self._materials[key_id] = material
        return material


def _unwrap(
    keys: Keys,
    master: bytes,
    group_id: int,
    day: int,
    group_arn: str,
    kms_id: str | None,
    wrapped: bytes,
) -> bytes:
    if kms_id is None:
        return unwrap(master, _master_label(group_id, day), bytes(wrapped))
    try:
        return keys.open_for_service(bytes(wrapped), _context(group_arn))
    except NotFoundError:
        raise DataKeyGoneError(f"A data key of {group_arn} is gone with its KMS key.") from None


def open_data_key(engine: sa.Engine, keys: Keys, master: bytes, key_id: int) -> bytes:
    """The plaintext of data key `key_id` from the catalog (also what a recovery tool with
    the master key would run); DataKeyGoneError once its KMS key or its group is gone."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(data_keys, log_groups.c.account_id, log_groups.c.region, log_groups.c.name)
            .join(log_groups, log_groups.c.id == data_keys.c.group_id)
            .where(data_keys.c.id == key_id)
        ).first()
    if row is None:
        raise DataKeyGoneError(f"Data key {key_id} is gone.")
    m = row._mapping
    group_arn = Scope(str(m["account_id"]), str(m["region"])).arn("logs", f"log-group:{m['name']}")
    return _unwrap(
        keys, master, int(m["group_id"]), int(m["day"]), group_arn, m["kms_key_id"], m["wrapped"]
    )
