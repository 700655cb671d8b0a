"""Metric filters: put (create or replace by name), describe, delete; the filters of a group.

A filter belongs to one log group incarnation (deleting the group deletes its filters). Its
metric transformations are kept as the API spells them, so DescribeMetricFilters returns what
was put. Ingestion asks for a group's filters on every batch: they are cached in memory and
`version` moves on every change, so that compiled evaluators can be kept until it does.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa

from owl.domain.catalog import log_groups, metric_filters
from owl.domain.clock import Clock, SystemClock
from owl.domain.models import LogGroup, Scope
from owl.domain.pagination import TokenSigner
from owl.errors import LimitExceededError, NotFoundError

MAX_PER_GROUP = 100
_F = metric_filters.c


@dataclass(frozen=True)
class MetricFilter:
    group_id: int
    group_name: str
    name: str
    pattern: str
    transformations: tuple[dict[str, Any], ...]
    options: dict[str, Any]
    created_ms: int


@dataclass(frozen=True)
class MetricFilterPage:
    items: list[MetricFilter]
    next_token: str | None


def _row(row: sa.Row[tuple[object, ...]]) -> MetricFilter:
    m = row._mapping
    return MetricFilter(
        group_id=int(m["group_id"]),
        group_name=str(m["group_name"]),
        name=str(m["name"]),
        pattern=str(m["pattern"]),
        transformations=tuple(orjson.loads(m["transformations"])),
        options=orjson.loads(m["options"]) if m["options"] else {},
        created_ms=int(m["created_ms"]),
    )


def _select() -> sa.Select[Any]:
    return sa.select(metric_filters, log_groups.c.name.label("group_name")).join(
        log_groups, log_groups.c.id == _F.group_id
    )


class MetricFilters:
    def __init__(self, engine: sa.Engine, signer: TokenSigner, clock: Clock | None = None) -> None:
        self._engine = engine
        self._signer = signer
        self._clock = clock or SystemClock()
        self._lock = threading.Lock()
        self._by_group: dict[int, tuple[MetricFilter, ...]] = {}
        self.version = 0

    def _changed(self) -> None:
        with self._lock:
            self._by_group.clear()
            self.version += 1

    def put(
        self,
        group: LogGroup,
        name: str,
        pattern: str,
        transformations: list[dict[str, Any]],
        options: dict[str, Any],
    ) -> None:
        """Create the filter, or replace the one of that name (its creation time is new)."""
        values = dict(
            pattern=pattern,
            transformations=orjson.dumps(transformations).decode(),
            options=orjson.dumps(options).decode() if options else None,
            created_ms=self._clock.now_ms(),
        )
        with self._engine.begin() as conn:
            done = conn.execute(
                metric_filters.update()
                .where(_F.group_id == group.id, _F.name == name)
                .values(**values)
            )
            if done.rowcount == 0:
                count = conn.execute(
                    sa.select(sa.func.count()).where(_F.group_id == group.id)
                ).scalar_one()
                if count >= MAX_PER_GROUP:
                    raise LimitExceededError(
                        f"A log group can have at most {MAX_PER_GROUP} metric filters."
                    )
                conn.execute(metric_filters.insert().values(group_id=group.id, name=name, **values))
        self._changed()

    def delete(self, group: LogGroup, name: str) -> None:
        with self._engine.begin() as conn:
            done = conn.execute(
                metric_filters.delete().where(_F.group_id == group.id, _F.name == name)
            )
        if done.rowcount == 0:
            raise NotFoundError(
                "The specified metric filter does not exist.", reason="metric_filter_not_found"
            )
        self._changed()

    def of_group(self, group_id: int) -> tuple[MetricFilter, ...]:
        """The group's filters in name order (cached: ingestion asks on every batch)."""
        with self._lock:
            hit = self._by_group.get(group_id)
        if hit is not None:
            return hit
        with self._engine.connect() as conn:
            rows = conn.execute(_select().where(_F.group_id == group_id).order_by(_F.name)).all()
        found = tuple(_row(r) for r in rows)
        with self._lock:
            self._by_group[group_id] = found
        return found

    def counts(self, group_ids: list[int]) -> dict[int, int]:
        if not group_ids:
            return {}
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(_F.group_id, sa.func.count())
                .where(_F.group_id.in_(group_ids))
                .group_by(_F.group_id)
            ).all()
        return {int(g): int(n) for g, n in rows}

    def describe(
        self,
        scope: Scope,
        *,
        group: LogGroup | None = None,
        prefix: str | None = None,
        metric: tuple[str, str] | None = None,
        limit: int = 50,
        next_token: str | None = None,
    ) -> MetricFilterPage:
        """Filters in (group name, filter name) order, optionally of one group, by name
        prefix, or publishing one (metric name, namespace)."""
        q = _select().where(
            log_groups.c.account_id == scope.account_id, log_groups.c.region == scope.region
        )
        if group is not None:
            q = q.where(_F.group_id == group.id)
        with self._engine.connect() as conn:
            rows = conn.execute(q.order_by(log_groups.c.name, _F.name)).all()
        found = [_row(r) for r in rows]
        if prefix:
            found = [f for f in found if f.name.startswith(prefix)]
        if metric is not None:
            found = [
                f
                for f in found
                if any((t["metricName"], t["metricNamespace"]) == metric for t in f.transformations)
            ]
        token_scope = [scope.account_id, scope.region, group and group.id, prefix, metric]
        if next_token is not None:
            after = tuple(self._signer.decode("metric_filters", token_scope, next_token))
            found = [f for f in found if (f.group_name, f.name) > after]
        items = found[:limit]
        token = None
        if len(found) > limit:
            last = items[-1]
            token = self._signer.encode("metric_filters", token_scope, [last.group_name, last.name])
        return MetricFilterPage(items, token)
