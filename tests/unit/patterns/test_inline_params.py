"""inline_params: a query with its parameters written in answers exactly as the bound one."""

from __future__ import annotations

import duckdb
from hypothesis import example, given, settings
from hypothesis import strategies as st

from owl.patterns import compile_pattern
from owl.patterns.sql import inline_params

TEXT = st.text(st.characters(blacklist_categories=["Cs"]), max_size=20)
SQL = "SELECT $a = $b, $a || '$a', contains($a, $b), $f * 2, '$b''s', $a10, length($a)"


@example(a="", b="", f=0.011867351315221155, a10="")  # a DECIMAL literal lost a digit
@settings(max_examples=300, deadline=None)
@given(a=TEXT, b=TEXT, f=st.floats(allow_nan=False, allow_infinity=False), a10=TEXT)
def test_inlined_equals_bound(a: str, b: str, f: float, a10: str) -> None:
    params = {"a": a, "b": b, "f": f, "a10": a10}
    sql, left = inline_params(SQL, params)
    con = duckdb.connect()
    assert con.execute(sql, left or None).fetchall() == con.execute(SQL, params).fetchall()
    assert "'$a'" in sql and "'$b''s'" in sql  # quoted text is left alone
    assert set(left) <= {"a", "b", "a10"}  # only text with a NUL byte stays bound


def test_nul_bytes_and_non_finite_numbers_stay_bound() -> None:
    sql, left = inline_params("SELECT $a, $f, $g", {"a": "x\x00y", "f": float("inf"), "g": 1.5})
    assert left == {"a": "x\x00y", "f": float("inf")}
    assert sql == "SELECT $a, $f, CAST(1.5000000000000000e+00 AS DOUBLE)"


@given(
    st.sampled_from(["ERROR", '"a b"', "?x ?y -z", "%ab+c%", '{ $.a = "q\'x" }', "[a, b=1*, c]"])
)
def test_compiled_patterns_have_no_parameters_left(pattern: str) -> None:
    compiled = compile_pattern(pattern)
    sql, left = inline_params(compiled.sql, compiled.params)
    assert left == {}
    assert "$p" not in sql.replace("'$", "")
