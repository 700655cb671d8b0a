"""The compiled SQL: parameters, and totality over hostile message content (§6.1, §5.11)."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest

from owl.patterns import compile_pattern

HOSTILE = [
    "",
    " ",
    "{",
    "}",
    "{}",
    "[]",
    "null",
    '{"a":',
    '{"a":1,}',
    '{"a":NaN}',
    '{"a":1e999}',
    '{"a":123456789012345678901234567890}',
    '{"a":"\\u0000"}',
    '{"a":' + "[" * 200 + "]" * 200 + "}",
    '"' * 7,
    "[[[[",
    "\x00\x01\x02",
    "naïve ☃ 日本",
    "a\nb\r\nc\td",
    "'; DROP TABLE x; --",
    "$pat0",
    "x" * 20000,
]

PATTERNS = [
    "a",
    '-"x" ?y',
    "%^a.b$|[0-9]{2,}%",
    "{ $.a = 1 }",
    "{ $.a != x || $.a[*] > 1 && $.a.* = %z% }",
    "{ $.a IS NULL || $.a NOT EXISTS || $.a IS TRUE || $.a = * }",
    '{ $.[\'weird " key\\\\\'] = "*x*" }',
    "[a, b = 1 || b = %x%, ..., c >= 2]",
    "[a, b]",
    "[a = *, b != -5e3]",
    "[]",
]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_predicates_never_raise(pattern: str) -> None:
    compiled = compile_pattern(pattern)
    with duckdb.connect() as con:
        con.register("events", pa.table({"message": HOSTILE}))
        rows = con.execute(f"SELECT {compiled.sql} FROM events", compiled.params).fetchall()
    assert all(r[0] in (True, False) for r in rows)


def test_user_text_travels_as_parameters() -> None:
    compiled = compile_pattern("'; DROP TABLE x; -- $pat0")
    assert "DROP" not in compiled.sql
    assert list(compiled.params.values()) == ["';", "DROP", "TABLE", "x;", "-", "$pat0"]


def test_prefix_names_parameters() -> None:
    compiled = compile_pattern("{ $.a = 1 && $.b = x }", prefix="q")
    assert set(compiled.params) == {"q0", "q1"}
    assert compiled.params["q0"] == 1.0


def test_2_1_match_all_is_true() -> None:
    assert compile_pattern("").sql == "TRUE"
    assert compile_pattern("[]").matches_all
    assert not compile_pattern("[a]").matches_all
