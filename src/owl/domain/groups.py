"""Log groups: create, find, list, delete, retention and deletion protection.

A group is stored under an incarnation id; deleting it removes the row (and, by cascade, its
streams and tags), so a group created later under the same name is a new, empty one. Listeners
registered with `on_delete` (the store) drop the events of a deleted incarnation.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import sqlalchemy as sa

from owl.domain.catalog import log_group_tags, log_groups, starts_with
from owl.domain.clock import Clock, SystemClock
from owl.domain.models import LogGroup, Scope
from owl.domain.pagination import TokenSigner
from owl.errors import (
    AlreadyExistsError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    TooManyTagsError,
)

RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip
LOG_GROUP_CLASSES = ("STANDARD", "INFREQUENT_ACCESS", "DELIVERY", "ESSENTIALS")
MAX_TAGS = 50
_ARN = re.compile(
    r"arn:(?P<partition>[^:]+):logs:(?P<region>[^:]*):(?P<account>\d{12}):log-group:(?P<name>[^:]+)(?::\*)?"
)


def group_not_found() -> NotFoundError:
    return NotFoundError("The specified log group does not exist.", reason="log_group_not_found")


def _row_to_group(row: sa.Row[tuple[object, ...]]) -> LogGroup:
    m = row._mapping
    return LogGroup(
        id=int(m["id"]),
        scope=Scope(str(m["account_id"]), str(m["region"])),
        name=str(m["name"]),
        created_ms=int(m["created_ms"]),
        retention_days=m["retention_days"],
        kms_key_id=m["kms_key_id"],
        log_group_class=str(m["log_group_class"]),
        deletion_protection=bool(m["deletion_protection"]),
    )


@dataclass(frozen=True)
class Page:
    """One page of a listing and the token of the next, if there is one."""

    items: list[LogGroup]
    next_token: str | None


class LogGroups:
    def __init__(self, engine: sa.Engine, signer: TokenSigner, clock: Clock | None = None) -> None:
        self._engine = engine
        self._signer = signer
        self._clock = clock or SystemClock()
        self._delete_listeners: list[Callable[[LogGroup], None]] = []
        self._change_listeners: list[Callable[[], None]] = []

    def on_delete(self, listener: Callable[[LogGroup], None]) -> None:
        self._delete_listeners.append(listener)

    def on_change(self, listener: Callable[[], None]) -> None:
        """Called after any group setting changes (caches of groups drop their entries)."""
        self._change_listeners.append(listener)

    # -- create / find / delete -------------------------------------------------------------

    def create(
        self,
        scope: Scope,
        name: str,
        *,
        tags: Mapping[str, str] | None = None,
        kms_key_id: str | None = None,
        log_group_class: str | None = None,
        deletion_protection: bool = False,
    ) -> LogGroup:
        if name[:4].lower() == "aws/":
            raise InvalidInputError(
                "Log groups starting with AWS/ are reserved for AWS.", reason="reserved_name"
            )
        tags = dict(tags or {})
        if len(tags) > MAX_TAGS:
            raise TooManyTagsError(
                f"A resource can have no more than {MAX_TAGS} tags.", resource_name=name
            )
        values = dict(
            account_id=scope.account_id,
            region=scope.region,
            name=name,
            created_ms=self._clock.now_ms(),
            retention_days=None,
            kms_key_id=kms_key_id,
            log_group_class=log_group_class or "STANDARD",
            deletion_protection=deletion_protection,
        )
        try:
            with self._engine.begin() as conn:
                group_id = conn.execute(log_groups.insert().values(**values)).inserted_primary_key
                assert group_id is not None
                if tags:
                    conn.execute(
                        log_group_tags.insert(),
                        [{"group_id": group_id[0], "key": k, "value": v} for k, v in tags.items()],
                    )
        except sa.exc.IntegrityError:
            raise AlreadyExistsError(
                "The specified log group already exists", reason="log_group_exists"
            ) from None
        return self.get(scope, name)

    def get(self, scope: Scope, name: str) -> LogGroup:
        with self._engine.connect() as conn:
            row = conn.execute(
                sa.select(log_groups).where(
                    log_groups.c.account_id == scope.account_id,
                    log_groups.c.region == scope.region,
                    log_groups.c.name == name,
                )
            ).first()
        if row is None:
            raise group_not_found()
        return _row_to_group(row)

    def by_id(self, group_id: int) -> LogGroup:
        """A group by its incarnation id (the store knows groups only by id)."""
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(log_groups).where(log_groups.c.id == group_id)).first()
        if row is None:
            raise group_not_found()
        return _row_to_group(row)

    def set_kms_key(self, scope: Scope, name: str, kms_key_id: str | None) -> LogGroup:
        """Associate (or, with None, disassociate) a KMS key: new data goes under it."""
        group = self.get(scope, name)
        self._update(group, kms_key_id=kms_key_id)
        return group

    def resolve(self, scope: Scope, identifier: str) -> LogGroup:
        """A group by name or ARN (with or without the trailing ``:*``)."""
        if identifier.startswith("arn:"):
            m = _ARN.fullmatch(identifier)
            if m is None:
                raise InvalidInputError(
                    f"Invalid log group ARN: {identifier}", reason="invalid_arn"
                )
            if m["account"] != scope.account_id or m["region"] != scope.region:
                raise group_not_found()
            return self.get(scope, m["name"])
        return self.get(scope, identifier)

    def delete(self, scope: Scope, name: str) -> None:
        group = self.get(scope, name)
        if group.deletion_protection:
            raise ConflictError(
                "Cannot delete log group with deletion protection enabled. "
                "Disable deletion protection first.",
                reason="deletion_protected",
            )
        with self._engine.begin() as conn:
            conn.execute(log_groups.delete().where(log_groups.c.id == group.id))
        for listener in self._delete_listeners:
            listener(group)
        for change in self._change_listeners:
            change()

    # -- settings --------------------------------------------------------------------------

    def _update(self, group: LogGroup, **values: object) -> None:
        with self._engine.begin() as conn:
            conn.execute(log_groups.update().where(log_groups.c.id == group.id).values(**values))
        for listener in self._change_listeners:
            listener()

    def put_retention(self, scope: Scope, name: str, days: int) -> None:
        # The value is checked first: it is a validation error, found before any lookup.
        if days not in RETENTION_DAYS:
            raise InvalidInputError(
                f"1 validation error detected: Value '{days}' at 'retentionInDays' "
                "failed to satisfy constraint: "
                f"Member must satisfy enum value set: [{', '.join(map(str, RETENTION_DAYS))}]",
                reason="invalid_retention",
            )
        self._update(self.get(scope, name), retention_days=days)

    def delete_retention(self, scope: Scope, name: str) -> None:
        self._update(self.get(scope, name), retention_days=None)

    def with_retention(self) -> builtins.list[LogGroup]:
        """Every group, of any account, that has a retention policy (the retention job)."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(log_groups).where(log_groups.c.retention_days.is_not(None))
            ).all()
        return [_row_to_group(r) for r in rows]

    def put_deletion_protection(self, scope: Scope, identifier: str, enabled: bool) -> None:
        self._update(self.resolve(scope, identifier), deletion_protection=enabled)

    # -- listing ---------------------------------------------------------------------------

    def _scan(
        self,
        scope: Scope,
        *,
        after: str | None,
        prefix: str | None,
        substring: str | None,
        log_group_class: str | None,
    ) -> Iterator[LogGroup]:
        """Groups of `scope` in name order, after `after`, in chunks of one query each."""
        cursor = after
        while True:
            q = sa.select(log_groups).where(
                log_groups.c.account_id == scope.account_id,
                log_groups.c.region == scope.region,
            )
            if cursor is not None:
                q = q.where(log_groups.c.name > cursor)
            if prefix:
                q = q.where(*starts_with(log_groups.c.name, prefix))
            if substring:
                q = q.where(sa.func.instr(log_groups.c.name, substring) > 0)
            if log_group_class:
                q = q.where(log_groups.c.log_group_class == log_group_class)
            with self._engine.connect() as conn:
                rows = conn.execute(q.order_by(log_groups.c.name).limit(500)).all()
            for row in rows:
                yield _row_to_group(row)
            if len(rows) < 500:
                return
            cursor = str(rows[-1]._mapping["name"])

    def _page(
        self,
        purpose: str,
        token_scope: Mapping[str, object],
        candidates: Callable[[str | None], Iterator[LogGroup]],
        keep: Callable[[LogGroup], bool],
        limit: int,
        next_token: str | None,
    ) -> Page:
        after = self._signer.decode(purpose, token_scope, next_token) if next_token else None
        items: list[LogGroup] = []
        more = False
        for group in candidates(after):
            if not keep(group):
                continue
            if len(items) == limit:
                more = True
                break
            items.append(group)
        token = self._signer.encode(purpose, token_scope, items[-1].name) if more else None
        return Page(items, token)

    def describe(
        self,
        scope: Scope,
        *,
        prefix: str | None = None,
        pattern: str | None = None,
        log_group_class: str | None = None,
        identifiers: list[str] | None = None,
        limit: int = 50,
        next_token: str | None = None,
    ) -> Page:
        if identifiers:
            wanted: dict[str, LogGroup] = {}
            for ident in identifiers:
                try:
                    g = self.resolve(scope, ident)
                except NotFoundError:
                    continue
                wanted[g.name] = g
            ordered = sorted(wanted.values(), key=lambda g: g.name)

            def from_list(after: str | None) -> Iterator[LogGroup]:
                return (g for g in ordered if after is None or g.name > after)

            candidates = from_list
        else:

            def from_db(after: str | None) -> Iterator[LogGroup]:
                return self._scan(
                    scope,
                    after=after,
                    prefix=prefix,
                    substring=pattern,
                    log_group_class=log_group_class,
                )

            candidates = from_db
        token_scope = {
            "a": scope.account_id,
            "r": scope.region,
            "p": prefix,
            "s": pattern,
            "c": log_group_class,
            "i": identifiers,
        }
        return self._page(
            "describe_log_groups", token_scope, candidates, lambda g: True, limit, next_token
        )

    def list(
        self,
        scope: Scope,
        *,
        pattern: str | None = None,
        log_group_class: str | None = None,
        tag_filters: list[tuple[str, list[str]]] | None = None,
        exclude_all: bool = False,
        limit: int = 50,
        next_token: str | None = None,
    ) -> Page:
        """ListLogGroups: `pattern` is the model's restricted regex (alternatives, ``^``)."""
        regex = re.compile(pattern) if pattern else None
        tags_of = self._tags_by_group(scope) if tag_filters else {}

        def keep(group: LogGroup) -> bool:
            if exclude_all:
                return False
            if regex is not None and regex.search(group.name) is None:
                return False
            for key, values in tag_filters or []:
                tags = tags_of.get(group.id, {})
                if key not in tags or (values and tags[key] not in values):
                    return False
            return True

        def candidates(after: str | None) -> Iterator[LogGroup]:
            return self._scan(
                scope, after=after, prefix=None, substring=None, log_group_class=log_group_class
            )

        token_scope = {
            "a": scope.account_id,
            "r": scope.region,
            "p": pattern,
            "c": log_group_class,
            "t": tag_filters,
            "x": exclude_all,
        }
        return self._page("list_log_groups", token_scope, candidates, keep, limit, next_token)

    def _tags_by_group(self, scope: Scope) -> dict[int, dict[str, str]]:
        q = (
            sa.select(log_group_tags.c.group_id, log_group_tags.c.key, log_group_tags.c.value)
            .join(log_groups, log_groups.c.id == log_group_tags.c.group_id)
            .where(log_groups.c.account_id == scope.account_id, log_groups.c.region == scope.region)
        )
        out: dict[int, dict[str, str]] = {}
        with self._engine.connect() as conn:
            for gid, key, value in conn.execute(q):
                out.setdefault(int(gid), {})[str(key)] = str(value)
        return out

    # -- tags ------------------------------------------------------------------------------

    def tags(self, group: LogGroup) -> builtins.dict[str, str]:
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(log_group_tags.c.key, log_group_tags.c.value)
                .where(log_group_tags.c.group_id == group.id)
                .order_by(log_group_tags.c.key)
            ).all()
        return {str(k): str(v) for k, v in rows}

    def tag(self, group: LogGroup, tags: Mapping[str, str]) -> None:
        """Add or overwrite tags; more than 50 in all is TooManyTagsError and changes nothing."""
        with self._engine.begin() as conn:
            current = {
                str(k)
                for (k,) in conn.execute(
                    sa.select(log_group_tags.c.key).where(log_group_tags.c.group_id == group.id)
                )
            }
            if len(current | set(tags)) > MAX_TAGS:
                raise TooManyTagsError(
                    f"A resource can have no more than {MAX_TAGS} tags.", resource_name=group.arn
                )
            for key, value in tags.items():
                conn.execute(
                    log_group_tags.delete().where(
                        log_group_tags.c.group_id == group.id, log_group_tags.c.key == key
                    )
                )
                conn.execute(
                    log_group_tags.insert().values(group_id=group.id, key=key, value=value)
                )

    def untag(self, group: LogGroup, keys: builtins.list[str]) -> None:
        if not keys:
            return
        with self._engine.begin() as conn:
            conn.execute(
                log_group_tags.delete().where(
                    log_group_tags.c.group_id == group.id, log_group_tags.c.key.in_(keys)
                )
            )
