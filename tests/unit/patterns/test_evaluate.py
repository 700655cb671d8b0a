"""The batch evaluator (one fused DuckDB query) and §1.8: one verdict everywhere."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from owl.patterns import BatchEvaluator, compile_pattern, parse
from owl.patterns import match_messages as tmf

MESSAGES = [
    "ERROR disk full",
    "WARN slow 250",
    '{"level":"ERROR","ms":12}',
    '{"level":"INFO","ms":700}',
    "1.2.3.4 GET /x 404 12",
    "",
]
PATTERNS = [
    "ERROR",
    "?WARN ?INFO",
    "%[0-9]{3}%",
    '{ $.level = "ERROR" || $.ms > 500 }',
    "[ip, method, path, code = 4*, bytes]",
    "[]",
    "-ERROR",
]


def sql_masks(pattern: str) -> list[bool]:
    compiled = compile_pattern(pattern)
    with duckdb.connect() as con:
        con.register("events", pa.table({"message": MESSAGES}))
        return [
            bool(r[0])
            for r in con.execute(f"SELECT {compiled.sql} FROM events", compiled.params).fetchall()
        ]


def test_1_8_fused_evaluator_agrees_with_sql_and_test_metric_filter() -> None:
    with BatchEvaluator(PATTERNS) as evaluator:
        masks = evaluator.evaluate(pa.array(MESSAGES))
    for pattern, mask in zip(PATTERNS, masks, strict=True):
        assert isinstance(mask, pa.BooleanArray)
        assert mask.to_pylist() == sql_masks(pattern)
        hits = [i for i, m in enumerate(mask.to_pylist()) if m]
        assert [n for n, _, _ in tmf(pattern, MESSAGES)] == hits


def test_evaluator_accepts_trees_texts_and_compiled_patterns() -> None:
    sources = [parse("ERROR"), "ERROR", compile_pattern("ERROR")]
    with BatchEvaluator(sources) as evaluator:
        masks = evaluator.evaluate(pa.array(MESSAGES))
    assert masks[0] == masks[1] == masks[2]


def test_evaluator_reuses_its_connection_across_batches_and_inputs() -> None:
    evaluator = BatchEvaluator(PATTERNS)
    table = pa.table({"ts": list(range(len(MESSAGES))), "message": MESSAGES})
    first = evaluator.evaluate(pa.array(MESSAGES))
    assert evaluator.evaluate(table) == first
    assert evaluator.evaluate(table.to_batches()[0]) == first
    assert evaluator.evaluate(pa.chunked_array([MESSAGES[:2], MESSAGES[2:]])) == first
    assert evaluator.evaluate(pa.array(MESSAGES, pa.large_string())) == first
    empty = evaluator.evaluate(pa.array([], pa.string()))
    assert [len(m) for m in empty] == [0] * len(PATTERNS)
    evaluator.close()


def test_no_patterns_no_columns() -> None:
    with BatchEvaluator([]) as evaluator:
        assert evaluator.evaluate(pa.array(MESSAGES)) == []


def test_fused_json_patterns_share_one_parse_and_keep_their_verdicts() -> None:
    messages = [
        '{"level":"ERROR","ms":12,"user":{"id":7}}',
        '{"level":"INFO","ms":700,"tags":["a","b"]}',
        ' {"level":"WARN","ms":"900"}',
        '{"level":"ERROR"',  # not JSON
        "plain ERROR line",
        '[{"level":"ERROR"}]',  # JSON, but not an object
    ]
    patterns = [
        '{ $.level = "ERROR" }',
        "{ $.ms > 500 }",
        "{ $.ms = 900 || $.user.id = 7 }",
        "{ $.user NOT EXISTS }",
        '{ $.tags[*] = "b" }',  # a wildcard keeps its own extract
        "ERROR",
    ]
    with BatchEvaluator(patterns) as fused:
        together = [m.to_pylist() for m in fused.evaluate(pa.array(messages))]
    for pattern, mask in zip(patterns, together, strict=True):
        with BatchEvaluator([pattern]) as alone:
            assert alone.evaluate(pa.array(messages))[0].to_pylist() == mask, pattern
        assert [n for n, _, _ in tmf(pattern, messages)] == [i for i, m in enumerate(mask) if m]
    assert together[0] == [True, False, False, False, False, False]
    assert together[1] == [False, True, False, False, False, False]  # "900" is a string
    assert together[2] == [True, False, True, False, False, False]
    assert together[3] == [False, True, True, False, False, False]
