"""Run a pattern over messages three ways (SQL in DuckDB, BatchEvaluator, TestMetricFilter)."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from owl.patterns import BatchEvaluator, compile_pattern
from owl.patterns import match_messages as tmf


def select(pattern: str, messages: list[str]) -> list[int]:
    """Indexes of the messages the pattern matches; the three paths must agree."""
    compiled = compile_pattern(pattern)
    with duckdb.connect() as con:
        con.register("events", pa.table({"i": range(len(messages)), "message": messages}))
        rows = con.execute(
            f"SELECT i FROM events WHERE {compiled.sql} ORDER BY i", compiled.params
        ).fetchall()
    by_sql = [r[0] for r in rows]
    with BatchEvaluator([compiled]) as evaluator:
        mask = evaluator.evaluate(pa.array(messages, pa.string()))[0].to_pylist()
    assert [i for i, m in enumerate(mask) if m] == by_sql
    assert [n for n, _, _ in tmf(pattern, messages)] == by_sql
    return by_sql


def matches(pattern: str, message: str) -> bool:
    return select(pattern, [message]) == [0]


def extracted(pattern: str, message: str) -> dict[str, str] | None:
    found = tmf(pattern, [message])
    return found[0][2] if found else None
