"""Saved Logs Insights queries: put (create, or replace whole), describe by name prefix, delete.

A definition lives in one Scope and is named by a UUID; no other account or region sees it. A
put with an id replaces every member, so members left out are cleared, as AWS documents. The
clientToken of a create is kept with the definition, so a retried create (the SDK resends the
same token) gets the same id back instead of a duplicate. Listing is in name order, then id
(names are not unique), and pages by that pair. Imports nothing above the domain.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import orjson
import sqlalchemy as sa

from owl.domain.catalog import query_definitions, starts_with
from owl.domain.clock import Clock, SystemClock
from owl.domain.models import Scope
from owl.domain.pagination import TokenSigner
from owl.errors import NotFoundError

DEFAULT_LANGUAGE = "CWLI"
_TABLE = query_definitions.c


def definition_not_found() -> NotFoundError:
    return NotFoundError(
        "The specified query definition does not exist.", reason="query_definition_not_found"
    )


@dataclass(frozen=True)
class QueryParameter:
    """A placeholder of the query string (``{{name}}``), filled at StartQuery."""

    name: str
    default_value: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class QueryDefinition:
    id: str
    scope: Scope
    name: str
    query_string: str
    query_language: str
    log_group_names: tuple[str, ...]
    parameters: tuple[QueryParameter, ...]
    last_modified_ms: int


@dataclass(frozen=True)
class QueryDefinitionPage:
    items: list[QueryDefinition]
    next_token: str | None


def _json_or_none(items: Sequence[Any]) -> str | None:
    """An empty list is stored as absent: DescribeQueryDefinitions leaves such members out."""
    return orjson.dumps(items).decode() if items else None


def _row_to_definition(row: sa.Row[tuple[object, ...]]) -> QueryDefinition:
    m = row._mapping
    groups = orjson.loads(m["log_group_names"]) if m["log_group_names"] else []
    params = orjson.loads(m["parameters"]) if m["parameters"] else []
    return QueryDefinition(
        id=str(m["id"]),
        scope=Scope(str(m["account_id"]), str(m["region"])),
        name=str(m["name"]),
        query_string=str(m["query_string"]),
        query_language=str(m["query_language"]),
        log_group_names=tuple(groups),
        parameters=tuple(QueryParameter(**p) for p in params),
        last_modified_ms=int(m["last_modified_ms"]),
    )


def _in(scope: Scope) -> tuple[sa.ColumnElement[bool], ...]:
    return (_TABLE.account_id == scope.account_id, _TABLE.region == scope.region)


class QueryDefinitions:
    def __init__(self, engine: sa.Engine, signer: TokenSigner, clock: Clock | None = None) -> None:
        self._engine = engine
        self._signer = signer
        self._clock = clock or SystemClock()

    def put(
        self,
        scope: Scope,
        *,
        name: str,
        query_string: str,
        query_language: str = DEFAULT_LANGUAGE,
        definition_id: str | None = None,
        log_group_names: Sequence[str] = (),
        parameters: Sequence[QueryParameter] = (),
        client_token: str | None = None,
    ) -> str:
        """Create a definition, or replace all of `definition_id`'s; returns its id.

        An unknown `definition_id` (or one of another scope) is NotFoundError: ids are
        always the server's, never created under a caller's choice.
        """
        values = dict(
            name=name,
            query_string=query_string,
            query_language=query_language,
            log_group_names=_json_or_none(list(log_group_names)),
            parameters=_json_or_none([asdict(p) for p in parameters]),
            last_modified_ms=self._clock.now_ms(),
        )
        if definition_id is not None:
            with self._engine.begin() as conn:
                done = conn.execute(
                    query_definitions.update()
                    .where(*_in(scope), _TABLE.id == definition_id)
                    .values(**values)
                )
            if done.rowcount == 0:
                raise definition_not_found()
            return definition_id
        return self._create(scope, values, client_token)

    def _create(self, scope: Scope, values: dict[str, Any], client_token: str | None) -> str:
        new_id = str(uuid.uuid4())
        row = dict(
            values,
            id=new_id,
            account_id=scope.account_id,
            region=scope.region,
            client_token=client_token,
        )
        try:
            with self._engine.begin() as conn:
                conn.execute(query_definitions.insert().values(**row))
        except sa.exc.IntegrityError:
            # The token is taken in this scope: this is a retry, answer as the first create did.
            earlier = self._id_of_token(scope, client_token) if client_token else None
            if earlier is None:
                raise
            return earlier
        return new_id

    def _id_of_token(self, scope: Scope, client_token: str) -> str | None:
        with self._engine.connect() as conn:
            found = conn.execute(
                sa.select(_TABLE.id).where(*_in(scope), _TABLE.client_token == client_token)
            ).scalar()
        return None if found is None else str(found)

    def delete(self, scope: Scope, definition_id: str) -> None:
        with self._engine.begin() as conn:
            done = conn.execute(
                query_definitions.delete().where(*_in(scope), _TABLE.id == definition_id)
            )
        if done.rowcount == 0:
            raise definition_not_found()

    def describe(
        self,
        scope: Scope,
        *,
        prefix: str | None = None,
        query_language: str | None = None,
        limit: int = 1000,
        next_token: str | None = None,
    ) -> QueryDefinitionPage:
        """One page in (name, id) order; the token names the last (name, id) served and is
        bound to the scope, prefix and language, so it cannot be replayed on another listing."""
        token_scope = {
            "a": scope.account_id,
            "r": scope.region,
            "p": prefix,
            "l": query_language,
        }
        purpose = "describe_query_definitions"
        q = sa.select(query_definitions).where(*_in(scope))
        if next_token is not None:
            after_name, after_id = self._signer.decode(purpose, token_scope, next_token)
            q = q.where(sa.tuple_(_TABLE.name, _TABLE.id) > sa.tuple_(after_name, after_id))
        if prefix:
            q = q.where(*starts_with(_TABLE.name, prefix))
        if query_language:
            q = q.where(_TABLE.query_language == query_language)
        with self._engine.connect() as conn:
            rows = conn.execute(q.order_by(_TABLE.name, _TABLE.id).limit(limit + 1)).all()
        items = [_row_to_definition(r) for r in rows[:limit]]
        token = None
        if len(rows) > limit:
            token = self._signer.encode(purpose, token_scope, [items[-1].name, items[-1].id])
        return QueryDefinitionPage(items, token)
