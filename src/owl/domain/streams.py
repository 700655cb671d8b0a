"""Log streams of a group: create, delete, describe (by name or by last event time)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from owl.domain.catalog import log_streams, starts_with
from owl.domain.clock import Clock, SystemClock
from owl.domain.models import LogGroup, LogStream
from owl.domain.pagination import TokenSigner
from owl.errors import AlreadyExistsError, NotFoundError

ORDER_BY_NAME = "LogStreamName"
ORDER_BY_LAST_EVENT = "LastEventTime"
# Streams that never received an event sort as if their last event were at this time.
_NO_EVENT = -1


def stream_not_found() -> NotFoundError:
    return NotFoundError("The specified log stream does not exist.", reason="log_stream_not_found")


def _row_to_stream(group: LogGroup, row: sa.Row[tuple[object, ...]]) -> LogStream:
    m = row._mapping
    return LogStream(
        id=int(m["id"]),
        group=group,
        name=str(m["name"]),
        created_ms=int(m["created_ms"]),
        first_event_ms=m["first_event_ms"],
        last_event_ms=m["last_event_ms"],
        last_ingestion_ms=m["last_ingestion_ms"],
    )


@dataclass(frozen=True)
class StreamPage:
    items: list[LogStream]
    next_token: str | None


class LogStreams:
    def __init__(self, engine: sa.Engine, signer: TokenSigner, clock: Clock | None = None) -> None:
        self._engine = engine
        self._signer = signer
        self._clock = clock or SystemClock()
        self._delete_listeners: list[Callable[[LogStream], None]] = []

    def on_delete(self, listener: Callable[[LogStream], None]) -> None:
        self._delete_listeners.append(listener)

    def create(self, group: LogGroup, name: str) -> LogStream:
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    log_streams.insert().values(
                        group_id=group.id, name=name, created_ms=self._clock.now_ms()
                    )
                )
        except sa.exc.IntegrityError:
            raise AlreadyExistsError(
                "The specified log stream already exists", reason="log_stream_exists"
            ) from None
        return self.get(group, name)

    def get(self, group: LogGroup, name: str) -> LogStream:
        with self._engine.connect() as conn:
            row = conn.execute(
                sa.select(log_streams).where(
                    log_streams.c.group_id == group.id, log_streams.c.name == name
                )
            ).first()
        if row is None:
            raise stream_not_found()
        return _row_to_stream(group, row)

    def delete(self, group: LogGroup, name: str) -> None:
        stream = self.get(group, name)
        with self._engine.begin() as conn:
            conn.execute(log_streams.delete().where(log_streams.c.id == stream.id))
        for listener in self._delete_listeners:
            listener(stream)

    def describe(
        self,
        group: LogGroup,
        *,
        prefix: str | None = None,
        order_by: str = ORDER_BY_NAME,
        descending: bool = False,
        limit: int = 50,
        next_token: str | None = None,
    ) -> StreamPage:
        """One page of streams; the token names the last stream returned, by its sort key."""
        token_scope = {
            "g": group.id,
            "p": prefix,
            "o": order_by,
            "d": descending,
        }
        purpose = "describe_log_streams"
        after = self._signer.decode(purpose, token_scope, next_token) if next_token else None
        c = log_streams.c
        if order_by == ORDER_BY_LAST_EVENT:
            keys: list[sa.ColumnElement[object]] = [
                sa.func.coalesce(c.last_event_ms, _NO_EVENT),
                c.name,
            ]
        else:
            keys = [c.name]
        q = sa.select(log_streams).where(c.group_id == group.id)
        if prefix:
            q = q.where(*starts_with(c.name, prefix))
        if after is not None:
            position = sa.tuple_(*keys)
            bound = sa.tuple_(*[sa.literal(v) for v in after])
            q = q.where(position < bound if descending else position > bound)
        order = [k.desc() if descending else k.asc() for k in keys]
        with self._engine.connect() as conn:
            rows = conn.execute(q.order_by(*order).limit(limit + 1)).all()
        streams = [_row_to_stream(group, r) for r in rows[:limit]]
        token = None
        if len(rows) > limit:
            last = streams[-1]
            key: list[object] = [last.name]
            if order_by == ORDER_BY_LAST_EVENT:
                key = [
                    last.last_event_ms if last.last_event_ms is not None else _NO_EVENT,
                    last.name,
                ]
            token = self._signer.encode(purpose, token_scope, key)
        return StreamPage(streams, token)

    # -- event statistics (kept by the store in memory, persisted here in batches) ---------

    def save_stats(self, stats: dict[int, tuple[int, int, int]]) -> None:
        """Persist (first, last, last ingestion) per stream id in one transaction."""
        if not stats:
            return
        c = log_streams.c
        first: sa.BindParameter[int] = sa.bindparam("first")
        last: sa.BindParameter[int] = sa.bindparam("last")
        ingest: sa.BindParameter[int] = sa.bindparam("ingest")
        stmt = (
            log_streams.update()
            .where(c.id == sa.bindparam("sid"))
            .values(
                first_event_ms=sa.func.min(sa.func.coalesce(c.first_event_ms, first), first),
                last_event_ms=sa.func.max(sa.func.coalesce(c.last_event_ms, last), last),
                last_ingestion_ms=sa.func.max(
                    sa.func.coalesce(c.last_ingestion_ms, ingest), ingest
                ),
            )
        )
        rows = [{"sid": k, "first": f, "last": la, "ingest": i} for k, (f, la, i) in stats.items()]
        with self._engine.begin() as conn:
            conn.execute(stmt, rows)

    def load_stats(self) -> dict[int, tuple[int, int, int]]:
        c = log_streams.c
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(c.id, c.first_event_ms, c.last_event_ms, c.last_ingestion_ms).where(
                    c.last_event_ms.is_not(None)
                )
            ).all()
        return {int(r[0]): (int(r[1]), int(r[2]), int(r[3])) for r in rows}

    def select(
        self, group: LogGroup, *, names: list[str] | None = None, prefix: str | None = None
    ) -> dict[int, str]:
        """Stream id → name for the group's streams, optionally only `names` or a `prefix`."""
        c = log_streams.c
        q = sa.select(c.id, c.name).where(c.group_id == group.id)
        if names is not None:
            q = q.where(c.name.in_(names))
        if prefix:
            q = q.where(*starts_with(c.name, prefix))
        with self._engine.connect() as conn:
            return {int(i): str(n) for i, n in conn.execute(q)}
