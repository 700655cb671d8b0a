"""Run compiled patterns over Arrow batches of messages, inside DuckDB, with no per-event Python.

All patterns of an evaluator become one fused `SELECT p0 AS m0, p1 AS m1, ... FROM batch`;
each pattern is recompiled with its own parameter prefix so their parameters cannot collide.
One in-memory DuckDB connection is kept per evaluator (guarded by a lock).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TypeAlias

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from owl.patterns import fields
from owl.patterns.ast import DelimitedPattern, Field, MetricValue, Pattern
from owl.patterns.parser import parse
from owl.patterns.sql import (
    FIELDS_SQL,
    OBJECT_TEXT,
    CompiledPattern,
    Layout,
    Param,
    Shared,
    compile_ast,
    compile_pattern,
    inline_params,
    remainder_re,
    sql_string,
    value_sql,
)

# TestMetricFilter numbers matches from 0 (the API reference; the CLI example says 1) — §1.5.
EVENT_NUMBER_BASE = 0
_TABLE = "__owl_messages"
_BATCH = "owl_batch"  # the local variable of BatchEvaluator._run that its queries read

Messages: TypeAlias = pa.Array | pa.ChunkedArray | pa.RecordBatch | pa.Table


def _as_table(messages: Messages) -> pa.Table:
    if isinstance(messages, pa.RecordBatch):
        messages = pa.Table.from_batches([messages])
    if isinstance(messages, pa.Table):
        return messages.select(["message"])
    return pa.table({"message": messages})


def _tree(pattern: CompiledPattern | Pattern | str) -> Pattern:
    if isinstance(pattern, str):
        return parse(pattern)
    if isinstance(pattern, CompiledPattern):
        return pattern.ast
    return pattern


@dataclass(frozen=True)
class Evaluation:
    """One batch's outcome: a mask per pattern and a column per requested value."""

    masks: list[pa.BooleanArray]
    values: list[pa.StringArray]


class BatchEvaluator:
    """Many patterns (and metric values) evaluated together over batches of messages.

    `values` are (pattern index, reference) pairs such as (0, "$.latency") or (1, "$bytes");
    each yields a string column, NULL where the event has no such value.

    What several patterns read is computed once per batch (owl.patterns.sql.Shared): one
    json_extract of every selector of every JSON pattern and value, in DuckDB; the tokens of
    space-delimited patterns, by owl.patterns.fields in numpy, only as far into each message
    as some pattern reads, and only the positions some pattern reads.
    """

    def __init__(
        self,
        patterns: Sequence[CompiledPattern | Pattern | str],
        values: Sequence[tuple[int, MetricValue | str]] = (),
    ) -> None:
        self.shared = Shared()
        self.patterns = [
            compile_ast(_tree(p), prefix=f"p{i}_", shared=self.shared)
            for i, p in enumerate(patterns)
        ]
        self.params: dict[str, Param] = {}
        masks: list[str] = []
        for i, compiled in enumerate(self.patterns):
            masks.append(f"{compiled.sql} AS m{i}")
            self.params.update(compiled.params)
        extracts: list[str] = []
        for j, (index, ref) in enumerate(values):
            expr, params = value_sql(
                self.patterns[index].ast, ref, prefix=f"v{j}_", shared=self.shared
            )
            extracts.append(f"({expr})::VARCHAR AS v{j}")
            self.params.update(params)
        self._masks_sql, self._masks_params = self._inline(self._select(masks))
        self._all_sql, self._all_params = self._inline(self._select(masks + extracts))
        self._con = duckdb.connect()
        # Batches are small: one thread costs less CPU (and here less time) than two.
        self._con.execute("SET threads = 1")
        self._lock = threading.Lock()

    def _select(self, columns: list[str]) -> str | None:
        if not columns:
            return None
        source = _BATCH
        if self.shared.paths:
            listed = ", ".join(sql_string(p) for p in self.shared.paths)
            # TRY: an invalid document gives NULL, which every pattern reads as no match.
            source = (
                f"(SELECT *, CASE WHEN {OBJECT_TEXT} THEN TRY(json_extract(message, [{listed}])) "
                f"END AS _j FROM {_BATCH})"
            )
        return f"SELECT {', '.join(columns)} FROM {source}"

    def _inline(self, sql: str | None) -> tuple[str | None, dict[str, Param]]:
        if sql is None:
            return None, {}
        return inline_params(sql, self.params)

    def _run(self, sql: str | None, messages: Messages, params: dict[str, Param]) -> pa.Table:
        if sql is None:
            return pa.table({})
        # DuckDB finds the batch by its variable name (a replacement scan): registering and
        # dropping a view per call would cost more than matching a small batch.
        owl_batch = _as_table(messages)
        if self.shared.reads_tokens:
            found = fields.columns(
                owl_batch.column("message"), self.shared.positions, self.shared.needed
            )
            for name, column in found.items():
                owl_batch = owl_batch.append_column(name, column)
        with self._lock:
            return self._con.execute(sql, params or None).to_arrow_table()

    def evaluate(self, messages: Messages) -> list[pa.BooleanArray]:
        """A boolean mask per pattern, aligned with `messages`."""
        return self.run(messages, with_values=False).masks

    def extract(self, messages: Messages) -> list[pa.StringArray]:
        """The requested values per event (whether or not the event matched)."""
        return self.run(messages).values

    def run(self, messages: Messages, with_values: bool = True) -> Evaluation:
        if with_values:
            result = self._run(self._all_sql, messages, self._all_params)
        else:
            result = self._run(self._masks_sql, messages, self._masks_params)
        n = len(self.patterns)
        masks = [pc.fill_null(result.column(i).combine_chunks(), False) for i in range(n)]
        values = (
            [result.column(i).combine_chunks() for i in range(n, result.num_columns)]
            if with_values
            else []
        )
        return Evaluation(masks, values)

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> BatchEvaluator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _extracted(node: DelimitedPattern, fields: list[str], rest: str | None) -> dict[str, str]:
    """extractedValues of one matching event (§7.4): `$name` or `$<message position>`."""
    layout = Layout.of(node)
    slots = [f for f in node.fields if isinstance(f, Field)]
    total = len(fields)
    by_position: dict[int, tuple[str, str]] = {}
    for k, slot in enumerate(slots):
        if k < layout.before:
            position = k + 1
            absorbs = not layout.ellipsis and position == layout.before and total > position
            value = rest if absorbs and rest is not None else fields[k]
        else:
            position = total - (layout.minimum - k) + 1
            value = fields[position - 1]
        by_position[position] = (f"${slot.name or position}", value)
    if layout.ellipsis:
        for position in range(layout.before + 1, total - layout.after + 1):
            by_position[position] = (f"${position}", fields[position - 1])
    return dict(by_position[p] for p in sorted(by_position))


def match_messages(pattern_text: str, messages: list[str]) -> list[tuple[int, str, dict[str, str]]]:
    """TestMetricFilter: (event number, message, extractedValues) for each matching message."""
    compiled = compile_pattern(pattern_text)
    node = compiled.ast
    columns = [f"{compiled.sql} AS m"]
    if isinstance(node, DelimitedPattern):
        layout = Layout.of(node)
        columns.append(f"{FIELDS_SQL} AS f")
        if not layout.ellipsis:
            rest = sql_string(remainder_re(layout.before - 1))
            columns.append(f"regexp_extract(message, {rest}, 1) AS r")
    table = pa.table({"message": pa.array(messages, pa.string())})
    with duckdb.connect() as con:
        con.register(_TABLE, table)
        rows = con.execute(f"SELECT {', '.join(columns)} FROM {_TABLE}", compiled.params).fetchall()
    out: list[tuple[int, str, dict[str, str]]] = []
    for i, (message, row) in enumerate(zip(messages, rows, strict=True)):
        if not row[0]:
            continue
        values: dict[str, str] = {}
        if isinstance(node, DelimitedPattern):
            values = _extracted(node, list(row[1]), row[2] if len(row) > 2 else None)
        out.append((i + EVENT_NUMBER_BASE, message, values))
    return out
